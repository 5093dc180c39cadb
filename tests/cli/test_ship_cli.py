"""`jejak ship`, `jejak return` and `jejak recall` through the real CLI against a real store.

The store is built with the engine (36 packs in cases of 12; cases 0 and 1 on pallet 0, case 2
loose), closed, and driven with ``main([...])``; codes are named in HRI form (and one raw with
a typed GS); what a command did is read back with the engine.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from tests.cli.conftest import Run
from tests.engine.aggregation.test_operations import hri, open_printed, ref, refs

from jejak.engine.aggregation import Aggregation
from jejak.engine.codes import CodeState, Level
from jejak.engine.product import Product
from jejak.engine.report.shipping import DEFAULT_HEADER
from jejak.engine.store import Store
from jejak.testing import GTIN, NIE

P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY


@pytest.fixture
def codes(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The store's folder and the HRI of the codes the tests name."""
    path = tmp_path / "store"
    with Store(path, map_size=1 << 30) as store:
        store.add_product(Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus",
                                        gtin=GTIN), actor="qa")  # fmt: skip
        record = open_printed(store, "B1", 36, max_per_tertiary=2)
        agg = Aggregation(store, actor="qa")
        for case in range(3):
            agg.pack(ref(record, S, case), refs(record, P, range(12 * case, 12 * case + 12)))
        agg.pack(ref(record, T, 0), refs(record, S, range(2)))
        names = {"t0": hri(store, ref(record, T, 0)), "c0": hri(store, ref(record, S, 0)),
                 "c2": hri(store, ref(record, S, 2)), "p0": hri(store, ref(record, P, 0)),
                 "p30": hri(store, ref(record, P, 30))}  # fmt: skip
    return path, names


def state(path: Path, level: Level, index: int) -> CodeState:
    with Store(path) as store, store.view() as view:
        return view.state_of(view.batch("B1"), level, index)


def test_ship_prints_json_and_writes_the_shipping_report(
    run: Run, codes: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, name = codes
    out = tmp_path / "ship.csv"
    result = run("ship", "--to", "PBF-0042", name["t0"], name["c2"], "--out", str(out),
                 "--partner", "P-0001", "--json", "--store", str(path),
                 "--actor", "wh")  # fmt: skip
    assert result.code == 0, result.err
    facts: Any = result.json()
    assert facts == {"to": "PBF-0042", "shipped": 2, "released": 40,
                     "codes": [name["t0"], name["c2"]], "events": facts["events"],
                     "out": str(out)}  # fmt: skip
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == DEFAULT_HEADER
    assert [(r[1], r[3], r[4], r[5]) for r in rows[1:]] == [  # by level, then as named
        ("PBF-0042", "0", name["c2"], "0"), ("PBF-0042", "0", "0", name["t0"])]  # fmt: skip
    assert state(path, P, 0) is CodeState.RELEASED


def test_return_and_recall(run: Run, codes: tuple[Path, dict[str, str]]) -> None:
    path, name = codes
    store = ("--store", str(path), "--actor", "wh")
    assert run("ship", "--to", "PBF-0042", name["t0"], *store).code == 0
    back = run("return", name["c0"], "--reason", "damaged", "--from", "PBF-0042", "--json",
               *store)  # fmt: skip
    assert back.code == 0, back.err
    assert back.json() == {"returned": 1, "inactivated": 13, "codes": [name["c0"]],
                           "events": back.json()["events"]}  # type: ignore[index]  # fmt: skip
    assert state(path, P, 0) is CodeState.INACTIVE
    recall = run("recall", "--batch", "B1", "--reason", "out of specification", "--letter",
                 "R-12/2026", "--json", *store)  # fmt: skip
    assert recall.code == 0, recall.err
    facts: Any = recall.json()
    # t0 and c1 with its 12 packs (Released), c2 with its 12 (Commissioned); c0 was returned
    assert (facts["batch"], facts["inactivated"]) == ("B1", 2 + 12 + 13)
    assert [(s["code"], s["to"]) for s in facts["shipped"]] == [(name["t0"], "PBF-0042")]
    assert state(path, P, 30) is CodeState.INACTIVE


@pytest.mark.parametrize(("argv", "exit_code", "message"), [
    (["ship", "--to", "PBF 42", "{t0}"], 2, ("jejak: error: Invalid partner ID 'PBF 42': "
     "expected 1 to 64 characters")),
    (["ship", "--to", "PBF-0042", "{c0}"], 1, ("jejak: error: Cannot ship or take back {c0!r}: "
     "it is in {t0!r}. Hint: ship its outermost container")),
    (["ship", "--to", "PBF-0042", "{c2}", "--out", "x.csv"], 2, ("jejak: error: Invalid "
     "partner ID None: expected the ID TTAC gave the NIE holder")),
    (["return", "{p30}", "--reason", "x"], 1, ("jejak: error: Cannot ship or take back {p30!r}: "
     "it is Commissioned, not Released.")),
    (["return", "{p30}", "--reason", " "], 2, ("jejak: error: Invalid reason ' ': expected 1 "
     "to 500 printable characters")),
    (["recall", "--batch", "B9", "--reason", "x"], 1, "jejak: error: Unknown batch 'B9'"),
])  # fmt: skip
def test_bad_input_and_refusals_are_one_line_and_change_nothing(
    run: Run, codes: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, *,
    argv: list[str], exit_code: int, message: str,
) -> None:  # fmt: skip
    path, name = codes
    monkeypatch.delenv("JEJAK_PARTNER_ID", raising=False)
    result = run(*(word.format(**name) for word in argv), "--store", str(path))
    assert (result.code, result.out) == (exit_code, "")
    assert result.err.startswith(message.format(**name)), result.err
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err
    assert state(path, P, 0) is CodeState.COMMISSIONED

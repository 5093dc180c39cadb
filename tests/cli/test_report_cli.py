"""`jejak report usage` and `jejak report epcis` through the real CLI against a real store.

The store is built with the engine (36 packs in cases of 12, the cases on pallets of 2; pack
35 rejected), closed, and driven with ``main([...])``; the files written are read back with
Python's csv and json modules.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.cli.conftest import Run
from tests.engine.aggregation.test_operations import open_printed, ref, refs

from jejak.engine.aggregation import Aggregation
from jejak.engine.codes import CodeState, Level
from jejak.engine.product import Product
from jejak.engine.report.usage import DEFAULT_HEADER
from jejak.engine.store import Store
from jejak.testing import GTIN, NIE

P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY


@pytest.fixture
def path(tmp_path: Path) -> Path:
    where = tmp_path / "store"
    with Store(where, map_size=1 << 30) as store:
        store.add_product(Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus",
                                        gtin=GTIN), actor="qa")  # fmt: skip
        record = open_printed(store, "B1", 36, packs=35, max_per_tertiary=2)
        store.transition("B1", P, np.array([35]), CodeState.LABEL_SCRAPPED, actor="qa")
        agg = Aggregation(store, actor="qa")
        for case in range(2):
            agg.pack(ref(record, S, case), refs(record, P, range(12 * case, 12 * case + 12)))
        agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    return where


def test_report_usage_writes_the_template_and_prints_its_counts(
    run: Run, path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "usage.csv"
    result = run("report", "usage", "--batch", "B1", "--out", str(out), "--partner", "P-0001",
                 "--json", "--store", str(path))  # fmt: skip
    assert result.code == 0, result.err
    assert result.json() == {"batches": ["B1"], "format": "csv", "out": str(out), "rows": 36,
                             "active": 35, "retained_sample": 0, "reject": 1}  # fmt: skip
    with out.open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    assert tuple(header) == DEFAULT_HEADER
    assert sum(row[3] == "0" for row in rows) == 36 - 24  # the packs in no case
    assert [row[9:] for row in rows].count(["FALSE", "FALSE", "TRUE"]) == 1


def test_report_usage_as_json_from_the_environments_partner(
    run: Run, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJAK_PARTNER_ID", "P-0002")
    out = tmp_path / "usage.json"
    assert run("report", "usage", "--batch", "B1", "--format", "json", "--out", str(out),
               "--store", str(path)).code == 0  # fmt: skip
    document = json.loads(out.read_text())
    assert (document["partner_id"], len(document["rows"])) == ("P-0002", 36)


def test_report_epcis_writes_the_document(run: Run, path: Path, tmp_path: Path) -> None:
    out = tmp_path / "b1.jsonld"
    result = run("report", "epcis", "--batch", "B1", "--out", str(out), "--offset", "+07:00",
                 "--json", "--store", str(path))  # fmt: skip
    assert result.code == 0, result.err
    facts: Any = result.json()
    document = json.loads(out.read_text())
    events = document["epcisBody"]["eventList"]
    assert (facts["batches"], facts["out"], facts["events"]) == (["B1"], str(out), len(events))
    assert document["type"] == "EPCISDocument"
    assert {e["eventTimeZoneOffset"] for e in events} == {"+07:00"}
    packing = [e for e in events if e.get("bizStep") == "packing"]
    assert len(packing) == 3  # two cases, one pallet


@pytest.mark.parametrize(("argv", "exit_code", "message"), [
    (["report", "usage", "--batch", "B1", "--out", "-"], 2,
     "jejak: error: Invalid partner ID None: expected the ID TTAC gave the NIE holder"),
    (["report", "usage", "--batch", "B9", "--out", "-", "--partner", "P"], 1,
     "jejak: error: Unknown batch 'B9'"),
    (["report", "epcis", "--batch", "B1", "--out", "-", "--offset", "+25:00"], 2,
     "jejak: error: Invalid time-zone offset '+25:00': expected +HH:MM or -HH:MM"),
])  # fmt: skip
def test_bad_input_is_one_line(
    run: Run, path: Path, monkeypatch: pytest.MonkeyPatch, *, argv: list[str], exit_code: int,
    message: str,
) -> None:  # fmt: skip
    monkeypatch.delenv("JEJAK_PARTNER_ID", raising=False)
    result = run(*argv, "--store", str(path))
    assert (result.code, result.out) == (exit_code, "")
    assert result.err.startswith(message), result.err
    assert result.err.count("\n") == 1


def test_report_usage_of_a_window(run: Run, path: Path, tmp_path: Path) -> None:
    """The store was built without the outbox (no activity on record): a window over all time
    reports nothing; a sample taken through the CLI's store (with the outbox) is reported."""
    out = tmp_path / "window.csv"
    argv = ["report", "usage", "--since", "2000-01-01", "--out", str(out), "--partner", "P",
            "--json", "--store", str(path)]  # fmt: skip
    assert run(*argv).json()["rows"] == 0  # type: ignore[index]
    pack = _pack_hri(path, 30)
    assert run("agg", "sample", pack, "--store", str(path)).code == 0
    facts: Any = run(*argv).json()
    assert (facts["batches"], facts["rows"], facts["retained_sample"]) == (["B1"], 1, 1)
    assert run("report", "usage", "--out", "-", "--partner", "P", "--store",
               str(path)).err.startswith("jejak: error: Nothing to report")  # fmt: skip


def _pack_hri(path: Path, index: int) -> str:
    with Store(path) as store, store.view() as view:
        return view.code(view.batch("B1"), P, index).hri

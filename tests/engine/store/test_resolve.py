"""Resolve: every form of a read to (batch, level, index), fast path and full path agreeing."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.engine.batch_record import BatchStatus
from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import InvalidFormat, UnknownCode, ValidationError
from jejak.engine.gs1 import AI, GS, ElementString
from jejak.engine.listing import iter_code_lines
from jejak.engine.product import Product
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import CodeRef, Store
from jejak.engine.store.resolve import _resolve_slowly, resolve, split_read
from jejak.engine.symbology import Symbology
from jejak.testing import FORMAT, GTIN, make_request

NIE_ONLY = "DKL2012345678A1"
SSCC = SsccFormat.parse(company_prefix="8991234", extension=0)


def raws(store: Store, batch: str, level: Level) -> list[str]:
    text = b"".join(iter_code_lines(store, batch, level, form=CodeForm.RAW)).decode()
    return text.split("\n")[:-1]  # not splitlines(): it would split at the GS too


@pytest.fixture
def filled(store: Store) -> Store:
    store.open_batch(make_request("G1", 2000), serial_format=FORMAT, actor="qa")
    store.open_batch(make_request("S1", 500), serial_format=FORMAT, sscc=SSCC, actor="qa")
    store.add_product(Product.parse(nie=NIE_ONLY, name="P", packaging="Botol"), actor="qa")
    serials = [f"BP{i:05d}".encode() for i in range(40)]
    store.open_batch(make_request("N1", 40, nie=NIE_ONLY), serial_format=FORMAT,
                     imported=serials, actor="qa")  # fmt: skip
    store.rotate_key(actor="qa")
    store.open_batch(make_request("G2", 300), serial_format=FORMAT, actor="qa")
    return store


def forms(raw: str) -> list[str]:
    code = ElementString.parse(raw)
    return [raw, "]d2" + raw, "]Q3" + raw, "]d1" + raw, code.hri, GS + raw,
            "]Q3" + raw.replace(GS, "<GS>")]  # fmt: skip


@pytest.mark.parametrize(
    ("batch", "level", "index"),
    [("G1", Level.PRIMARY, 0), ("G1", Level.PRIMARY, 1999), ("G1", Level.TERTIARY, 4),
     ("S1", Level.PRIMARY, 7), ("S1", Level.SECONDARY, 41), ("S1", Level.TERTIARY, 1),
     ("N1", Level.PRIMARY, 39), ("N1", Level.SECONDARY, 0), ("G2", Level.PRIMARY, 299)],
)  # fmt: skip
def test_every_form_resolves_to_its_code(
    filled: Store, batch: str, level: Level, index: int
) -> None:
    record = filled.batch(batch)
    raw = raws(filled, batch, level)[index]
    for data in forms(raw):
        found = filled.resolve(data)
        assert (found.ref, found.record) == (CodeRef(record.batch_id, level, index), record)
        assert found.code.raw == raw
    assert filled.resolve("]d1" + raw).symbology is Symbology.DATAMATRIX
    code = ElementString.parse(raw)
    serial = code.get(AI.SERIAL) or code[AI.SSCC]
    assert filled.resolve(serial).ref == CodeRef(record.batch_id, level, index)  # bare


def test_the_fast_path_and_the_full_path_agree(filled: Store) -> None:
    with filled.view() as view:
        for batch in ("G1", "S1", "N1", "G2"):
            for level in Level:
                for raw in raws(filled, batch, level)[::37]:
                    for data in forms(raw):
                        fast, slow = resolve(view, data), _resolve_slowly(view, data)
                        assert (fast.ref, fast.serial, fast.record) == (
                            slow.ref, slow.serial, slow.record
                        )  # fmt: skip


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (f"(01){GTIN}(10)G1(17)281031(21)2AAAAAAAAAAA", UnknownCode, "Unknown code '(01)0899"),
        ("(00)089912340000999999", UnknownCode, "Unknown SSCC '(00)089912340000999999'"),
        ("(90)DKL1234567890A1(91)291231", UnknownCode, "has no serial (21)"),
        ("]X9abc", InvalidFormat, "Unsupported symbology identifier ']X9'"),
        ("ZZZ", UnknownCode, "Unknown code 'ZZZ'"),
        (f"(01){GTIN[:-1]}2(21)X", ValidationError, "check digit"),
    ],
)
def test_refusals(filled: Store, data: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        filled.resolve(data)


def test_a_change_elsewhere_reaches_the_cache(filled: Store, tmp_path: Path) -> None:
    raw = raws(filled, "G1", Level.PRIMARY)[5]
    assert filled.resolve(raw).record.status is BatchStatus.OPEN  # cached now
    # Another process (a CLI on the line PC) closes the batch.
    script = (
        "from jejak.engine.store import Store; import sys\n"
        "with Store(sys.argv[1], map_size=1 << 32) as s: s.close_batch('G1', actor='qa')"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "store")], check=True)
    assert filled.resolve(raw).record.status is BatchStatus.CLOSED


# The store is only read here: sharing it between examples is what is wanted.
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(index=st.integers(0, 1999), extra=st.sampled_from(["", "x", "0", GS, "(21)"]))
def test_a_damaged_read_never_resolves_to_another_code(filled: Store, index: int,
                                                        extra: str) -> None:  # fmt: skip
    raw = raws(filled, "G1", Level.PRIMARY)[index]
    damaged = raw[:-1] + chr(ord(raw[-1]) ^ 1) + extra
    try:
        found = filled.resolve(damaged)
    except (UnknownCode, ValidationError):
        return
    # Flipping the last serial character may land on another issued serial only by chance of
    # the permutation; a hit must then be that serial's own code, never this one's.
    assert found.code.raw != raw
    assert found.serial == damaged.rsplit(GS + "21", 1)[-1]


def test_split_read_takes_what_the_parser_takes() -> None:
    for raw in (f"01{GTIN}17281031" + "10B1" + GS + "21ABC", "90DKL1234567890A1" + GS + "21X",
                "00089912340000000015"):  # fmt: skip
        split = split_read(raw)
        assert split is not None
        assert split[1] == {e.ai.value: e.value for e in ElementString.parse(raw).elements}
    for junk in ("", "]d2", "21", "01123", "(01)", "99abc", "21A" + GS + "21B", "é"):
        assert split_read(junk) is None


def test_resolve_of_many_codes(filled: Store) -> None:
    record = filled.batch("G1")
    lines = raws(filled, "G1", Level.PRIMARY)
    with filled.view() as view:
        indices = [resolve(view, "]d2" + line).ref.index for line in lines]
    assert indices == list(range(record.level(Level.PRIMARY).count))
    assert np.all(np.diff(indices) == 1)

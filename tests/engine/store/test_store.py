"""The LMDB store: batches, ranges, states, transitions, close, lookup, listing, audit."""

from __future__ import annotations

import re
from pathlib import Path

import lmdb
import numpy as np
import pytest
from tests.engine.conftest import raw

from jejak.engine.batch_record import BatchStatus, CodeSource
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import (
    Duplicate,
    IllegalTransition,
    InvalidQuantity,
    StoreCorrupted,
    StoreError,
    UnknownCode,
    UnknownNie,
)
from jejak.engine.listing import iter_code_lines
from jejak.engine.lookup import lookup
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store
from jejak.engine.store import _layout as layout
from jejak.testing import FORMAT, GTIN, make_request

A = CodeState


def serials_of(store: Store, batch: str, level: Level = Level.PRIMARY) -> list[bytes]:
    text = b"".join(iter_code_lines(store, batch, level, form=CodeForm.SERIAL))
    return text.split()


def test_open_batch_allocates_every_level_in_one_range(store: Store) -> None:
    record = store.open_batch(make_request(), serial_format=FORMAT, overage_pct=5, actor="qa")
    assert [(a.level, a.count, a.source, a.start) for a in record.levels] == [
        (Level.PRIMARY, 1050, CodeSource.SELF, 0),
        (Level.SECONDARY, 89, CodeSource.SELF, 1050),  # ceil(84 * 1.05)
        (Level.TERTIARY, 4, CodeSource.SELF, 1139),  # ceil(3 * 1.05)
    ]
    assert record.key.value == GTIN
    assert store.counts("B1") == {
        Level.PRIMARY: {A.ALLOCATED: 1050},
        Level.SECONDARY: {A.ALLOCATED: 89},
        Level.TERTIARY: {A.ALLOCATED: 4},
    }
    assert store.ranges.issued(record.scope, 0) == 1143


def test_serials_never_repeat_across_batches_and_levels(store: Store) -> None:
    for n in range(4):
        store.open_batch(make_request(f"B{n}", 3000), serial_format=FORMAT, actor="qa")
    everything = [s for n in range(4) for level in Level for s in serials_of(store, f"B{n}", level)]
    assert len(everything) == len(set(everything)) == 4 * (3000 + 250 + 7)


def test_serials_never_repeat_across_key_epochs(store: Store) -> None:
    store.open_batch(make_request("B1", 5000), serial_format=FORMAT, actor="qa")
    store.rotate_key(actor="qa")
    second = store.open_batch(make_request("B2", 5000), serial_format=FORMAT, actor="qa")
    assert second.epoch == 1
    assert second.level(Level.PRIMARY).start == 0  # a new epoch's counter starts again...
    first, again = set(serials_of(store, "B1")), set(serials_of(store, "B2"))
    assert not first & again  # ...but its tag keeps every serial distinct
    assert {s[:1] for s in first} != {s[:1] for s in again}


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"batch": "B1"}, Duplicate, "Batch 'B1' already exists."),
        ({"nie": "DKL1234567890A2"}, UnknownNie, "Unknown NIE 'DKL1234567890A2'"),
        ({"gtin": "09506000134352"}, ValueError, "expected the product's GTIN '08991234567891'"),
    ],
)
def test_open_batch_refusals_change_nothing(
    store: Store, change: dict[str, str], error: type[Exception], message: str
) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    before = (store.events(), store.batches())
    with pytest.raises(error, match=re.escape(message)):
        store.open_batch(make_request(**change), serial_format=FORMAT, actor="qa")
    assert (store.events(), store.batches()) == before


def test_a_scope_keeps_its_serial_format(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    other = SerialFormat.parse(alphabet="digits", length=16)
    with pytest.raises(StoreError, match=r"differs from .* already used for scope '01:0899"):
        store.open_batch(make_request("B2"), serial_format=other, actor="qa")


def test_guess_probability_bound_refuses_and_changes_nothing(store: Store) -> None:
    small = SerialFormat.parse(alphabet="digits", length=8)  # 10^7 -> at most 1,000 codes
    with pytest.raises(InvalidQuantity, match=r"guess probability 1\.09e-04, expected at most"):
        store.open_batch(make_request(quantity=1000), serial_format=small, actor="qa")
    assert store.batches() == []


def test_transition_then_illegal_one_changes_nothing(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    assert store.transition("B1", Level.PRIMARY, np.arange(10), A.ENCODED, actor="line") == 10
    store.transition("B1", Level.PRIMARY, np.arange(5), A.COMMISSIONED, actor="camera")
    before = store.counts("B1")
    first_bad = serials_of(store, "B1")[20].decode()
    with pytest.raises(IllegalTransition) as caught:
        store.transition("B1", Level.PRIMARY, np.array([3, 20, 4]), A.RELEASED, actor="x")
    assert str(caught.value) == (
        f"Illegal transition for code '(01){GTIN}(10)B1(17)281031(21){first_bad}': from Allocated"
        " to Released. Expected one of: Encoded, SNInvalid. Hint: a code that may have been "
        "printed is never issued again."
    )
    assert (
        store.counts("B1")
        == before
        == {
            Level.PRIMARY: {A.ALLOCATED: 990, A.ENCODED: 5, A.COMMISSIONED: 5},
            Level.SECONDARY: {A.ALLOCATED: 84},
            Level.TERTIARY: {A.ALLOCATED: 3},
        }
    )


def test_transition_index_out_of_range(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    with pytest.raises(InvalidQuantity, match=r"Invalid code index 1000 for primary codes"):
        store.transition("B1", Level.PRIMARY, np.array([1000]), A.ENCODED, actor="x")


def test_close_voids_unused_and_scraps_unconfirmed(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.arange(100), A.ENCODED, actor="printer")
    store.transition("B1", Level.PRIMARY, np.arange(90), A.COMMISSIONED, actor="camera")
    report = store.close_batch("B1", actor="qa")
    assert report["levels"]["primary"] == {
        "allocated": 1000,
        "before": {"Allocated": 900, "Encoded": 10, "Commissioned": 90},
        "after": {"SNInvalid": 900, "LabelScrapped": 10, "Commissioned": 90},
        "voided": 900,
        "scrapped": 10,
    }
    assert store.batch("B1").status is BatchStatus.CLOSED
    assert store.counts("B1")[Level.PRIMARY] == {
        A.SN_INVALID: 900, A.LABEL_SCRAPPED: 10, A.COMMISSIONED: 90
    }  # fmt: skip
    with pytest.raises(StoreError, match=r"Batch 'B1' is already closed"):
        store.close_batch("B1", actor="qa")
    with pytest.raises(StoreError, match=r"Batch 'B1' is closed"):
        store.transition("B1", Level.PRIMARY, np.arange(1), A.SAMPLED, actor="qa")


def test_close_refuses_a_store_that_does_not_balance(store: Store) -> None:
    record = store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    with raw(store) as (txn, dbs):  # simulate a lost state page
        txn.delete(layout.page_key(record.batch_id, Level.SECONDARY, 0), db=dbs["states"])
    with pytest.raises(StoreCorrupted, match=r"secondary: 84 of 84 codes have no state"):
        store.close_batch("B1", actor="qa")
    assert store.batch("B1").status is BatchStatus.OPEN


def test_lookup_by_raw_hri_and_bare_serial(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    store.open_batch(make_request("B2"), serial_format=FORMAT, actor="qa")
    serial = serials_of(store, "B2", Level.SECONDARY)[7].decode()
    store.transition("B2", Level.SECONDARY, np.array([7]), A.ENCODED, actor="printer")
    code = store.batch("B2").code(serial)
    for data in (code.raw, "]d2" + code.raw, code.hri, serial):
        info = lookup(store, data)
        assert (info.batch.batch, info.level, info.index, info.state) == (
            "B2", Level.SECONDARY, 7, A.ENCODED
        )  # fmt: skip
        assert [e.what for e in info.history] == ["batch.open", "codes.transition"]
        assert info.warnings == ()


def test_lookup_flags_a_batch_mismatch_and_refuses_strangers(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    serial = serials_of(store, "B1")[0].decode()
    info = lookup(store, f"(01){GTIN}(10)B9(17)281031(21){serial}")
    assert info.warnings == (
        (
            "Mismatch: the scanned code carries (10) 'B9', but its serial belongs to batch 'B1' "
            "with 'B1'."
        ),
    )
    with pytest.raises(UnknownCode, match=r"Unknown code '\(01\)08991234567891\(10\)B1"):
        lookup(store, f"(01){GTIN}(10)B1(17)281031(21)2AAAAAAAAAAA")
    with pytest.raises(UnknownCode, match=r"has no serial \(21\)"):
        lookup(store, "(90)DKL1234567890A1(91)291231")


def test_listing_forms_and_state_filter(store: Store) -> None:
    store.open_batch(make_request(quantity=70_000), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.arange(65_530, 65_540), A.ENCODED, actor="p")
    lines = b"".join(iter_code_lines(store, "B1", Level.PRIMARY, state=A.ENCODED)).splitlines()
    assert len(lines) == 10
    assert all(line.startswith(f"(01){GTIN}(10)B1(17)281031(21)".encode()) for line in lines)
    raw = b"".join(iter_code_lines(store, "B1", Level.TERTIARY, form=CodeForm.RAW)).splitlines()
    assert raw[0].startswith(f"01{GTIN}1728103110B1\x1d21".encode())
    assert len(serials_of(store, "B1")) == 70_000


def test_import_bpom_codes_and_refuse_duplicates(store: Store) -> None:
    serials = [f"BPOM{n:06d}".encode() for n in range(500)]
    record = store.open_batch(
        make_request(quantity=500), serial_format=FORMAT, imported=serials, actor="qa"
    )
    assert record.level(Level.PRIMARY).source is CodeSource.BPOM
    assert serials_of(store, "B1") == serials
    assert lookup(store, "BPOM000123").index == 123
    more = store.import_codes("B1", Level.PRIMARY, [b"BPOM900000"], actor="qa")
    assert more.level(Level.PRIMARY).count == 501
    before = store.events()
    with pytest.raises(Duplicate, match=r"Duplicate code 'BPOM000001': already issued in scope"):
        store.import_codes("B1", Level.PRIMARY, [b"NEW1", b"BPOM000001"], actor="qa")
    assert store.events() == before
    assert store.batch("B1").level(Level.PRIMARY).count == 501
    with pytest.raises(StoreError, match=r"has self-issued secondary codes"):
        store.import_codes("B1", Level.SECONDARY, [b"X1"], actor="qa")


def test_audit_chain_verifies_and_catches_tampering(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.array([1, 5, 9]), A.ENCODED, actor="p")
    store.transition("B1", Level.PRIMARY, np.array([1]), A.COMMISSIONED, actor="cam")
    report = store.verify_audit()
    # product.add, key.create, range.reserve, batch.open, two transitions
    assert (report.ok, report.checked) == (True, 6)
    with raw(store) as (txn, dbs):  # rewrite event 2's actor without fixing its hash
        key = layout.seq_key(2)
        text = bytes(txn.get(key, db=dbs["events"])).replace(b'"qa"', b'"mallory"')
        txn.put(key, text, db=dbs["events"])
    report = store.verify_audit()
    assert (report.ok, report.broken_at, report.reason) == (
        False, 2, "its content does not match its hash"
    )  # fmt: skip


def test_audit_catches_an_altered_payload(store: Store) -> None:
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.array([1, 5, 9]), A.ENCODED, actor="p")
    seq = store.events()[-1].seq  # the transition, its indices in a payload
    with raw(store) as (txn, dbs):
        txn.put(layout.seq_key(seq), np.array([1, 5, 8], ">u8").tobytes(), db=dbs["event_data"])
    assert store.verify_audit().broken_at == seq


def test_schema_version_is_checked(tmp_path: Path) -> None:
    Store(tmp_path / "s").close()
    env = lmdb.open(str(tmp_path / "s"), max_dbs=16)
    meta = env.open_db(b"meta")  # before the write transaction: open_db starts its own
    with env.begin(write=True) as txn:
        txn.put(b"schema", b"99", db=meta)
    env.close()
    with pytest.raises(StoreError, match=r"has schema '99': expected 5 or older\. Hint: it was "):
        Store(tmp_path / "s")

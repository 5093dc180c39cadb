"""SSCC levels in the LMDB store: allocation, listing, lookup, transitions, close, print ledger.

A batch opened with an `SsccFormat` gives its cases and pallets (secondary, tertiary) SSCCs from
the counter of the site's scope ``00:<extension><prefix>``; primary codes stay self-issued
serials. Every SSCC listed is checked with biip, an independent GS1 parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from biip.sscc import Sscc
from tests.engine.conftest import raw

from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import (
    IllegalTransition,
    InvalidChecksum,
    InvalidCombination,
    InvalidQuantity,
    StoreCorrupted,
    StoreError,
    UnknownCode,
)
from jejak.engine.listing import code_texts, iter_code_lines
from jejak.engine.lookup import lookup
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import Store
from jejak.engine.store import _layout as layout
from jejak.testing import FORMAT, GTIN, make_request

A = CodeState
SSCC = SsccFormat.parse(company_prefix="8991234", extension=0)
SCOPE = f"01:{GTIN}".encode()
LOGISTIC = (Level.SECONDARY, Level.TERTIARY)


def listed(
    store: Store,
    batch: str,
    level: Level,
    form: CodeForm = CodeForm.SERIAL,
    state: CodeState | None = None,
) -> list[str]:
    text = b"".join(iter_code_lines(store, batch, level, form=form, state=state))
    return text.decode().splitlines()


def issued(store: Store, scope: bytes, epoch: int = 0) -> int:
    return store.ranges.issued(scope, epoch)


def scopes(store: Store) -> dict[bytes, bytes]:
    with raw(store) as (txn, dbs):
        return {bytes(k): bytes(v) for k, v in txn.cursor(dbs["scopes"])}


def open_sscc(
    store: Store, batch: str = "B1", quantity: int = 1000, sscc: SsccFormat = SSCC, **kw: object
) -> BatchRecord:
    return store.open_batch(
        make_request(batch, quantity, **kw), serial_format=FORMAT, sscc=sscc, actor="qa"
    )


# Allocation ------------------------------------------------------------------------------------


def test_open_batch_gives_cases_and_pallets_ssccs(store: Store) -> None:
    record = open_sscc(store)
    assert [(a.level, a.count, a.source, a.start) for a in record.levels] == [
        (Level.PRIMARY, 1000, CodeSource.SELF, 0),
        (Level.SECONDARY, 84, CodeSource.SSCC, 0),
        (Level.TERTIARY, 3, CodeSource.SSCC, 84),
    ]
    assert record.sscc == SSCC
    assert store.batch("B1") == record
    assert (issued(store, SCOPE), issued(store, b"00:08991234")) == (1000, 87)
    assert scopes(store)[b"00:08991234"] == SSCC.to_json().encode()
    assert store.counts("B1") == {
        Level.PRIMARY: {A.ALLOCATED: 1000},
        Level.SECONDARY: {A.ALLOCATED: 84},
        Level.TERTIARY: {A.ALLOCATED: 3},
    }
    opened = store.events()[-1]
    assert (opened.what, opened.data["levels"]) == (
        "batch.open",
        {"primary": ["self", 0, 1000], "secondary": ["sscc", 0, 84], "tertiary": ["sscc", 84, 3]},
    )


def test_without_sscc_every_level_stays_self_issued(store: Store) -> None:
    record = store.open_batch(make_request(), serial_format=FORMAT, actor="qa")
    assert [a.source for a in record.levels] == [CodeSource.SELF] * 3
    assert record.sscc is None
    assert b"00:08991234" not in scopes(store)


def test_bpom_primary_codes_with_sscc_cases_and_pallets(store: Store) -> None:
    serials = [f"BPOM{n:06d}".encode() for n in range(100)]
    record = store.open_batch(
        make_request(quantity=100), serial_format=FORMAT, imported=serials, sscc=SSCC, actor="qa"
    )
    assert [(a.level, a.count, a.source, a.start) for a in record.levels] == [
        (Level.PRIMARY, 100, CodeSource.BPOM, None),
        (Level.SECONDARY, 9, CodeSource.SSCC, 0),
        (Level.TERTIARY, 1, CodeSource.SSCC, 9),
    ]
    assert issued(store, SCOPE) == 0  # nothing self-issued
    assert listed(store, "B1", Level.TERTIARY) == [SSCC.sscc(9)]
    assert store.close_batch("B1", actor="qa")["levels"]["tertiary"]["voided"] == 1


# Listing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("level", "start", "count"), [(Level.SECONDARY, 0, 84),
                                                        (Level.TERTIARY, 84, 3)])  # fmt: skip
def test_listing_forms_of_an_sscc_level(store: Store, level: Level, start: int, count: int) -> None:
    open_sscc(store)
    digits = listed(store, "B1", level)
    assert digits == [SSCC.sscc(start + i) for i in range(count)]
    assert listed(store, "B1", level, CodeForm.RAW) == ["00" + s for s in digits]
    assert listed(store, "B1", level, CodeForm.HRI) == [f"(00){s}" for s in digits]
    assert len(set(digits)) == count
    for sscc in digits:
        read = Sscc.parse(sscc)  # biip: raises on a wrong check digit
        assert (read.extension_digit, read.value) == (0, sscc)
        assert sscc.startswith("08991234")


def test_ssccs_never_repeat_across_batches_or_levels(store: Store) -> None:
    records = [open_sscc(store, f"B{n}", 1000 + 100 * n) for n in range(4)]
    everything = [s for r in records for lv in LOGISTIC for s in listed(store, r.batch, lv)]
    assert (
        len(everything)
        == len(set(everything))
        == sum(r.level(lv).count for r in records for lv in LOGISTIC)
    )
    assert everything == [SSCC.sscc(n) for n in range(len(everything))]  # one counter, no gap
    assert issued(store, SSCC.scope) == len(everything)
    primaries = {s for r in records for s in listed(store, r.batch, Level.PRIMARY)}
    assert not primaries & set(everything)


def test_the_sscc_counter_survives_a_key_rotation(store: Store) -> None:
    """SSCCs have no key epoch: after a rotation the SSCC counter goes on, it never restarts."""
    open_sscc(store, "B1")
    store.rotate_key(actor="qa")
    second = open_sscc(store, "B2")
    assert (second.epoch, second.level(Level.PRIMARY).start) == (1, 0)
    assert second.level(Level.SECONDARY).start == 87
    assert not set(listed(store, "B1", Level.SECONDARY)) & set(listed(store, "B2", Level.SECONDARY))


def test_another_extension_digit_starts_its_own_counter(store: Store) -> None:
    open_sscc(store, "B1")
    other = SsccFormat.parse(company_prefix="8991234", extension=7)
    record = open_sscc(store, "B2", sscc=other)
    assert [(a.level, a.start) for a in record.levels[1:]] == [
        (Level.SECONDARY, 0), (Level.TERTIARY, 84)
    ]  # fmt: skip
    assert listed(store, "B2", Level.SECONDARY)[:2] == ["789912340000000007", "789912340000000014"]
    assert (issued(store, SSCC.scope), issued(store, other.scope)) == (87, 87)
    assert not set(listed(store, "B1", Level.SECONDARY)) & set(listed(store, "B2", Level.SECONDARY))
    again = open_sscc(store, "B3")  # extension 0 goes on where it stopped
    assert again.level(Level.SECONDARY).start == 87


@pytest.mark.parametrize(("first", "second"), [("899123450", "8991234500"),
                                               ("8991234500", "899123450")])  # fmt: skip
def test_nested_company_prefixes_are_refused(store: Store, first: str, second: str) -> None:
    """Extension 0 with prefix 899123450 and with 8991234500 share the digits `08991234500`:
    reference 0xxxxxx of one is reference xxxxxx of the other. Two counters would issue the
    same SSCCs, so the second layout is refused and changes nothing."""
    open_sscc(store, "B1", sscc=SsccFormat.parse(company_prefix=first))
    with pytest.raises(InvalidCombination) as caught:
        open_sscc(store, "B2", sscc=SsccFormat.parse(company_prefix=second))
    assert str(caught.value) == (
        f"Invalid SSCC extension 0 with company prefix {second!r}: its SSCCs could repeat those "
        f"of extension 0 with prefix {first!r}, already used here. Hint: a site has one GS1 "
        "company prefix; use it with the same length every time."
    )
    with pytest.raises(StoreError, match=r"^Unknown batch 'B2'"):
        store.batch("B2")


def test_code_texts_of_sscc_levels(store: Store) -> None:
    record = open_sscc(store)
    picks = np.array([0, 5, 83], dtype=np.int64)
    expected = [SSCC.sscc(n) for n in (0, 5, 83)]
    with store.view() as view:
        assert code_texts(view, record, Level.SECONDARY, picks) == [
            f"00{s}".encode() for s in expected
        ]
        assert code_texts(view, record, Level.SECONDARY, picks, form=CodeForm.HRI) == [
            f"(00){s}".encode() for s in expected
        ]
        assert code_texts(
            view, record, Level.TERTIARY, np.array([2], np.int64), form=CodeForm.SERIAL
        ) == [SSCC.sscc(86).encode()]
        assert code_texts(view, record, Level.TERTIARY, np.array([], np.int64)) == []


def test_listing_an_sscc_level_by_state(store: Store) -> None:
    open_sscc(store)
    store.transition("B1", Level.SECONDARY, np.array([3, 40]), A.ENCODED, actor="line")
    assert listed(store, "B1", Level.SECONDARY, CodeForm.HRI, state=A.ENCODED) == [
        f"(00){SSCC.sscc(3)}", f"(00){SSCC.sscc(40)}"
    ]  # fmt: skip
    assert len(listed(store, "B1", Level.SECONDARY, state=A.ALLOCATED)) == 82


# Lookup -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        lambda s: f"(00){s}",
        lambda s: f"00{s}",
        lambda s: f"]d200{s}",
        lambda s: f"]C100{s}",
        lambda s: f"]Q300{s}",
    ],
    ids=["hri", "raw", "d2", "C1", "Q3"],
)
def test_lookup_an_sscc(store: Store, form: Callable[[str], str]) -> None:
    open_sscc(store, "B1")
    open_sscc(store, "B2")
    store.transition("B2", Level.TERTIARY, np.array([1]), A.ENCODED, actor="printer")
    sscc = listed(store, "B2", Level.TERTIARY)[1]
    assert sscc == SSCC.sscc(87 + 84 + 1)
    info = lookup(store, form(sscc))
    assert (info.batch.batch, info.level, info.index, info.state) == (
        "B2", Level.TERTIARY, 1, A.ENCODED
    )  # fmt: skip
    assert (info.code.hri, info.code.raw) == (f"(00){sscc}", f"00{sscc}")
    assert [e.what for e in info.history] == ["batch.open", "codes.transition"]
    assert info.warnings == ()


def test_lookup_finds_each_extension_in_its_own_scope(store: Store) -> None:
    open_sscc(store, "B1")
    seven = SsccFormat.parse(company_prefix="8991234", extension=7)
    open_sscc(store, "B2", sscc=seven)
    for fmt, batch in ((SSCC, "B1"), (seven, "B2")):
        info = lookup(store, f"(00){fmt.sscc(84)}")
        assert (info.batch.batch, info.level, info.index) == (batch, Level.TERTIARY, 0)


def test_lookup_an_sscc_by_its_bare_digits(store: Store) -> None:
    """`codes list --form serial` of an SSCC level prints the 18 bare digits; they look up."""
    open_sscc(store)
    sscc = listed(store, "B1", Level.SECONDARY)[5]
    info = lookup(store, sscc)
    assert (info.batch.batch, info.level, info.index) == ("B1", Level.SECONDARY, 5)


UNKNOWN = (
    "Unknown SSCC {!r}: no batch in this store issued it. Hint: check the extension digit and "
    "company prefix; an SSCC printed elsewhere is not this site's."
)


@pytest.mark.parametrize(
    "data",
    [
        f"(00){SSCC.sscc(87)}",  # the next SSCC: not issued yet
        f"00{SSCC.sscc(10**9 - 1)}",
        f"(00){SsccFormat.parse(company_prefix='8991234', extension=1).sscc(0)}",
        f"(00){SsccFormat.parse(company_prefix='8991235').sscc(0)}",
        "]d200106141411234567897",  # the GS1 example: another company's
    ],
)
def test_lookup_refuses_an_sscc_no_batch_issued(store: Store, data: str) -> None:
    open_sscc(store)
    with pytest.raises(UnknownCode) as caught:
        lookup(store, data)
    assert str(caught.value) == UNKNOWN.format(data)


def test_lookup_of_an_sscc_in_a_store_without_ssccs(store: Store) -> None:
    data = f"(00){SSCC.sscc(0)}"
    with pytest.raises(UnknownCode) as caught:  # no scope at all
        lookup(store, data)
    assert str(caught.value) == UNKNOWN.format(data)
    store.open_batch(make_request(), serial_format=FORMAT, actor="qa")  # only a serial scope
    with pytest.raises(UnknownCode) as caught:
        lookup(store, data)
    assert str(caught.value) == UNKNOWN.format(data)


def test_lookup_of_an_sscc_with_a_wrong_check_digit(store: Store) -> None:
    open_sscc(store)
    with pytest.raises(InvalidChecksum) as caught:
        lookup(store, "(00)089912340000000016")
    assert str(caught.value) == (
        "Invalid (00) SSCC check digit for '089912340000000016': expected 5, got 6. Hint: "
        "re-type the SSCC from the product master; a single wrong digit changes the check digit."
    )


def test_serial_lookups_are_unchanged_beside_sscc_scopes(store: Store) -> None:
    open_sscc(store)
    serial = listed(store, "B1", Level.PRIMARY)[9]
    for data in (serial, f"(01){GTIN}(10)B1(17)281031(21){serial}"):
        info = lookup(store, data)
        assert (info.batch.batch, info.level, info.index) == ("B1", Level.PRIMARY, 9)
    with pytest.raises(UnknownCode, match=re.escape("Unknown code 'ZZZZZZZZZZZZ': no batch")):
        lookup(store, "ZZZZZZZZZZZZ")


# Transitions and close --------------------------------------------------------------------------


def test_transition_of_an_sscc_level_then_an_illegal_one(store: Store) -> None:
    record = open_sscc(store)
    assert store.transition("B1", Level.SECONDARY, np.arange(10), A.ENCODED, actor="line") == 10
    store.transition("B1", Level.SECONDARY, np.arange(5), A.COMMISSIONED, actor="camera")
    before = (store.counts("B1"), store.events())
    with pytest.raises(IllegalTransition) as caught:
        store.transition("B1", Level.SECONDARY, np.array([3, 20, 4]), A.RELEASED, actor="x")
    assert str(caught.value) == (
        f"Illegal transition for code '(00){SSCC.sscc(20)}': from Allocated to Released. "
        "Expected one of: Encoded, SNInvalid. Hint: a code that may have been printed is never "
        "issued again."
    )
    assert (store.counts("B1"), store.events()) == before
    assert before[0][Level.SECONDARY] == {A.ALLOCATED: 74, A.ENCODED: 5, A.COMMISSIONED: 5}
    with store.view() as view:
        assert view.code(record, Level.TERTIARY, 2).hri == f"(00){SSCC.sscc(86)}"
        assert record.sscc_digits(Level.TERTIARY, 2) == SSCC.sscc(86)


def test_close_reconciles_sscc_levels(store: Store) -> None:
    open_sscc(store)
    store.transition("B1", Level.SECONDARY, np.arange(10), A.ENCODED, actor="printer")
    store.transition("B1", Level.SECONDARY, np.arange(8), A.COMMISSIONED, actor="camera")
    report = store.close_batch("B1", actor="qa")
    assert report["levels"]["secondary"] == {
        "allocated": 84,
        "before": {"Allocated": 74, "Encoded": 2, "Commissioned": 8},
        "after": {"SNInvalid": 74, "LabelScrapped": 2, "Commissioned": 8},
        "voided": 74,
        "scrapped": 2,
    }
    assert report["levels"]["tertiary"]["after"] == {"SNInvalid": 3}
    closed = store.batch("B1")
    assert (closed.status, closed.sscc) == (BatchStatus.CLOSED, SSCC)
    assert open_sscc(store, "B2").level(Level.SECONDARY).start == 87  # voided, never reissued


def _corrupt_range(store: Store, record: BatchRecord) -> None:
    with raw(store) as (txn, dbs):
        txn.delete(layout.range_key(SSCC.scope, 0, 0), db=dbs["ranges"])


def _counter_behind(store: Store, record: BatchRecord) -> None:
    with raw(store) as (txn, dbs):
        txn.put(layout.counter_key(SSCC.scope, 0), (50).to_bytes(8, "big"), db=dbs["counters"])


def _format_lost(store: Store, record: BatchRecord) -> None:
    record_json = json.loads(record.to_json())
    record_json["sscc"] = None
    with raw(store) as (txn, dbs):
        txn.put(b"B1", json.dumps(record_json).encode(), db=dbs["batches"])


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_corrupt_range, "secondary: counter range at 0 is not recorded for this batch"),
        (_counter_behind, ("secondary: the scope counter is behind the batch's range (serials "
         "could repeat); tertiary: the scope counter is behind the batch's range")),
        (_format_lost, ("secondary: SSCC codes without an SSCC format or range; tertiary: SSCC "
         "codes without an SSCC format or range")),
    ],
)  # fmt: skip
def test_close_refuses_sscc_levels_that_do_not_reconcile(
    store: Store, damage: Callable[[Store, BatchRecord], None], problem: str
) -> None:
    record = open_sscc(store)
    damage(store, record)
    with pytest.raises(StoreCorrupted, match=re.escape(f"does not reconcile: {problem}")):
        store.close_batch("B1", actor="qa")
    assert store.batch("B1").status is BatchStatus.OPEN


# The record -------------------------------------------------------------------------------------


def test_batch_record_json_keeps_the_sscc_format(store: Store) -> None:
    record = open_sscc(store, sscc=SsccFormat.parse(company_prefix="8991234567", extension=3))
    raw = json.loads(record.to_json())
    assert raw["sscc"] == {"company_prefix": "8991234567", "extension": 3}
    assert BatchRecord.from_json(record.to_json()) == record
    assert BatchRecord.from_json(record.closed().to_json()).sscc == record.sscc
    plain = store.open_batch(make_request("B2"), serial_format=FORMAT, actor="qa")
    assert json.loads(plain.to_json())["sscc"] is None
    del raw["sscc"]  # a record written before SSCCs existed
    older = BatchRecord.from_json(json.dumps(raw).encode())
    assert older.sscc is None
    assert older.levels == record.levels


# Capacity ---------------------------------------------------------------------------------------

TEN = SsccFormat.parse(company_prefix="8991234567", extension=0)  # 10**6 SSCCs


def _full(issued: int, count: int) -> str:
    return (
        f"Invalid SSCC count {count}: {issued:,} of the 1,000,000 SSCCs of extension 0 and prefix "
        f"'8991234567' are issued, so at most {1_000_000 - issued:,} remain. Hint: use another "
        "extension digit."
    )


def _snapshot(store: Store) -> tuple[object, ...]:
    with raw(store) as (txn, dbs):
        counters = {bytes(k): bytes(v) for k, v in txn.cursor(dbs["counters"])}
        ranges = {bytes(k): bytes(v) for k, v in txn.cursor(dbs["ranges"])}
    return store.batches(), store.events(), scopes(store), counters, ranges


def test_sscc_capacity_refuses_and_changes_nothing(store: Store) -> None:
    def one_per_case(batch: str, quantity: int) -> BatchRecord:
        return open_sscc(store, batch, quantity, sscc=TEN, max_per_secondary=1)

    before = _snapshot(store)
    with pytest.raises(InvalidQuantity) as caught:  # 1,000,000 cases and 25,000 pallets
        one_per_case("B0", 1_000_000)
    assert str(caught.value) == _full(0, 1_025_000)
    assert _snapshot(store) == before  # not even the scope record
    one_per_case("B1", 975_000)  # 975,000 cases and 24,375 pallets
    assert issued(store, TEN.scope) == 999_375
    before = _snapshot(store)
    with pytest.raises(InvalidQuantity) as caught:
        one_per_case("B2", 610)  # 610 + 16 = 626, one too many
    assert str(caught.value) == _full(999_375, 626)
    assert _snapshot(store) == before
    last = one_per_case("B2", 609)  # 609 + 16 = 625: exactly the rest
    assert issued(store, TEN.scope) == 1_000_000
    assert listed(store, "B2", Level.TERTIARY)[-1] == "089912345679999998"
    assert lookup(store, "(00)089912345679999998").batch.batch == "B2"
    assert last.level(Level.TERTIARY).start == 999_984
    before = _snapshot(store)
    with pytest.raises(InvalidQuantity) as caught:
        one_per_case("B3", 1)
    assert str(caught.value) == _full(1_000_000, 2)
    assert _snapshot(store) == before
    other = SsccFormat.parse(company_prefix="8991234567", extension=1)  # as the hint says
    assert open_sscc(store, "B3", 1, sscc=other).level(Level.SECONDARY).start == 0


# Print ledger and audit -------------------------------------------------------------------------


def test_print_ledger_takes_and_settles_sscc_codes(store: Store) -> None:
    record = open_sscc(store)
    ledger = PrintLedger(store, "B1", Level.SECONDARY)
    assert (ledger.count, ledger.remaining(), ledger.self_issued) == (84, 84, False)
    first, second = ledger.take([("zebra-1", 5), ("zebra-2", 3)], actor="line")
    assert (first.tolist(), second.tolist()) == ([0, 1, 2, 3, 4], [5, 6, 7])
    with store.view() as view:
        texts = code_texts(view, record, Level.SECONDARY, first)
    assert texts == [f"00{SSCC.sscc(n)}".encode() for n in range(5)]
    settled = ledger.settle(
        [("zebra-1", PrintOutcome.PRINTED, first), ("zebra-2", PrintOutcome.FAILED, second)],
        actor="line",
    )
    assert settled.ignored == []
    assert ledger.counts()[PrintOutcome.PRINTED] == 5
    assert store.counts("B1")[Level.SECONDARY] == {
        A.ALLOCATED: 76, A.ENCODED: 5, A.LABEL_SCRAPPED: 3
    }  # fmt: skip
    again = PrintLedger(store, "B1", Level.SECONDARY).take([("zebra-1", 2)], actor="line")
    assert again[0].tolist() == [8, 9]  # never handed out twice
    info = lookup(store, f"(00){SSCC.sscc(6)}")
    assert (info.index, info.state) == (6, A.LABEL_SCRAPPED)
    report = store.close_batch("B1", actor="qa")
    assert report["levels"]["secondary"]["scrapped"] == 7  # 5 printed, unconfirmed + 2 sent


def test_audit_verifies_a_store_with_sscc_batches(store: Store) -> None:
    open_sscc(store, "B1")
    open_sscc(store, "B2", sscc=SsccFormat.parse(company_prefix="8991234", extension=5))
    store.transition("B1", Level.TERTIARY, np.array([0, 2]), A.ENCODED, actor="line")
    store.close_batch("B1", actor="qa")
    report = store.verify_audit()
    # product.add, key.create; per batch two range.reserve (serials, SSCCs) and batch.open;
    # the transition, the close's scrap of the two pallet labels never confirmed, the close
    assert (report.ok, report.checked) == (True, 11)
    reserve = ["range.reserve", "range.reserve"]
    assert [e.what for e in store.events()] == [
        "product.add", *reserve, "key.create", "batch.open", *reserve, "batch.open",
        "codes.transition", "codes.transition", "batch.close",
    ]  # fmt: skip
    assert [e.data["scope"] for e in store.events() if e.what == "range.reserve"] == [
        f"01:{GTIN}",
        "00:08991234",
        f"01:{GTIN}",
        "00:58991234",
    ]


def test_a_store_with_ssccs_opens_again(store: Store, tmp_path: Path) -> None:
    record = open_sscc(store)
    store.close()  # the fixture closes it again: closing twice is harmless
    with Store(tmp_path / "store", map_size=1 << 32) as again:
        assert again.batch("B1") == record
        assert lookup(again, f"00{SSCC.sscc(86)}").index == 2

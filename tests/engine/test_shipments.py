"""Shipments, returns and recalls: what each moves, what each refuses (and then changes
nothing), the events they write, the shipping report and the recall's listing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import hri, open_printed, ref, refs

from jejak.engine.aggregation import Aggregation, check
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import InvalidFormat, ShipmentRefused
from jejak.engine.report.shipping import DEFAULT_HEADER, ShippingReport
from jejak.engine.report.usage import UsageReport, UsageSettings
from jejak.engine.shipments import PartnerId, Reason, Refusal, Shipping
from jejak.engine.store import CodeRef, EventKind, Store

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
TO = PartnerId.parse("PBF-0042")
SETTINGS = UsageSettings.parse(partner_id="P-0001")


@pytest.fixture
def b1(store: Store) -> BatchRecord:
    """36 packs, cases of 12, pallets of 2: cases 0 and 1 (packs 0-23) on pallet 0; case 2
    (packs 24-35) loose; pallet 1 printed, empty."""
    record = open_printed(store, "B1", 36, max_per_tertiary=2)
    agg = Aggregation(store, actor="qa")
    for case in range(3):
        agg.pack(ref(record, S, case), refs(record, P, range(12 * case, 12 * case + 12)))
    agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    return record


def states(store: Store, codes: list[CodeRef]) -> set[CodeState]:
    with store.view() as view:
        return {view.state_of(view.batch_by_id(c.batch_id), c.level, c.index) for c in codes}


def everything(record: BatchRecord) -> list[CodeRef]:
    return refs(record, P, range(36)) + refs(record, S, range(3)) + [ref(record, T, 0)]


def test_a_pallet_and_a_loose_case_ship_with_everything_inside(
    store: Store, b1: BatchRecord
) -> None:
    shipping = Shipping(store, actor="wh")
    shipment = shipping.ship([ref(b1, T, 0), ref(b1, S, 2)], TO)
    assert shipment.outermost == (hri(store, ref(b1, T, 0)), hri(store, ref(b1, S, 2)))
    assert shipment.released == 1 + 3 + 36
    assert states(store, everything(b1)) == {A.RELEASED}
    assert states(store, [ref(b1, T, 1)]) == {A.ENCODED}  # not shipped
    with store.view() as view:
        assert check(view, b1) == []
        events = [e for e in view.events() if e.what is EventKind.SHIP_SEND]
        # One event a batch level of the codes named; every code inside is in its history.
        assert [(e.data["level"], e.data["count"], e.data["to"]) for e in events] == [
            ("secondary", 1, "PBF-0042"), ("tertiary", 1, "PBF-0042")]  # fmt: skip
        assert shipment.events == tuple(e.seq for e in events)
        assert events[0].data["batches"] == ["B1"]
        assert any(e.what is EventKind.SHIP_SEND for e in view.history(ref(b1, P, 5)))


def test_the_shipping_report_has_one_row_an_outermost_code(store: Store, b1: BatchRecord) -> None:
    shipment = Shipping(store, actor="wh").ship([ref(b1, T, 0), ref(b1, S, 2)], TO)
    with store.view() as view:
        text = ShippingReport(view, shipment.events, SETTINGS).csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == DEFAULT_HEADER
    case, pallet = hri(store, ref(b1, S, 2)), hri(store, ref(b1, T, 0))
    assert rows[1:] == [
        ["P-0001", "PBF-0042", "Dus", "0", case, "0", b1.nie, b1.expiry.isoformat(), "B1",
         "08991234567891"],
        ["P-0001", "PBF-0042", "Dus", "0", "0", pallet, b1.nie, b1.expiry.isoformat(), "B1",
         "08991234567891"],
    ]  # fmt: skip


def test_a_return_makes_the_code_and_its_contents_inactive_and_a_reject(
    store: Store, b1: BatchRecord
) -> None:
    shipping = Shipping(store, actor="wh")
    shipping.ship([ref(b1, T, 0), ref(b1, S, 2)], TO)
    back = shipping.take_back([ref(b1, S, 1), ref(b1, P, 30)], Reason.parse("damaged in transit"),
                              from_partner=TO)  # fmt: skip
    assert back.inactivated == 1 + 12 + 1
    assert states(store, [ref(b1, S, 1), *refs(b1, P, range(12, 24)), ref(b1, P, 30)]) == {
        A.INACTIVE}  # fmt: skip
    assert states(store, [ref(b1, T, 0), ref(b1, S, 0), ref(b1, P, 0)]) == {A.RELEASED}
    with store.view() as view:
        assert check(view, b1) == []  # a returned code keeps its shipped container
        counts = UsageReport(view, [b1], SETTINGS).counts()
    assert (counts.active, counts.reject) == (36 - 13, 13)


def test_a_recall_inactivates_the_batch_and_lists_where_it_went(
    store: Store, b1: BatchRecord
) -> None:
    shipping = Shipping(store, actor="wh")
    shipping.ship([ref(b1, T, 0)], TO)
    shipping.ship([ref(b1, S, 2)], PartnerId.parse("APT-7"))
    recall = shipping.recall("B1", Reason.parse("out of specification"), letter="R-12/2026")
    assert recall.inactivated == 36 + 3 + 1  # not the printed, empty pallet 1
    assert [(s.code, s.to) for s in recall.shipped] == [
        (hri(store, ref(b1, T, 0)), "PBF-0042"), (hri(store, ref(b1, S, 2)), "APT-7")]  # fmt: skip
    assert states(store, everything(b1)) == {A.INACTIVE}
    with store.view() as view:
        assert check(view, b1) == []


@dataclass(frozen=True)
class Refused:
    name: str
    act: Callable[[Shipping, BatchRecord], object]
    reason: Refusal
    message: str


def _ship(codes: Callable[[BatchRecord], list[CodeRef]]) -> Callable[[Shipping, BatchRecord],
                                                                    object]:  # fmt: skip
    return lambda shipping, record: shipping.ship(codes(record), TO)


REFUSALS = [
    Refused("a case on a pallet", _ship(lambda r: [ref(r, S, 0)]), Refusal.INSIDE_CONTAINER,
            "Cannot ship or take back {C0!r}: it is in {T0!r}. Hint: ship its outermost "
            "container (see it with `jejak agg show`), or take it out first with `jejak agg "
            "unpack`."),
    Refused("a pack in a case", _ship(lambda r: [ref(r, P, 30)]), Refusal.INSIDE_CONTAINER,
            "Cannot ship or take back {P30!r}: it is in {C2!r}. Hint: ship its outermost "
            "container (see it with `jejak agg show`), or take it out first with `jejak agg "
            "unpack`."),
    Refused("an empty pallet", _ship(lambda r: [ref(r, T, 1)]), Refusal.NOT_COMMISSIONED,
            "Cannot ship or take back {T1!r}: it is Encoded, not Commissioned. Hint: ship only "
            "verified (Commissioned) codes; see the code with `jejak codes lookup`."),
    Refused("a code twice", _ship(lambda r: [ref(r, S, 2), ref(r, S, 2)]), Refusal.REPEATED,
            "Cannot ship or take back {C2!r}: it is named twice. Hint: name each code once, "
            "and a container without the codes inside it."),
    Refused("a pack and its case", _ship(lambda r: [ref(r, S, 2), ref(r, P, 24)]),
            Refusal.INSIDE_CONTAINER, "Cannot ship or take back {P24!r}: it is in {C2!r}. Hint: "
            "ship its outermost container (see it with `jejak agg show`), or take it out first "
            "with `jejak agg unpack`."),
    Refused("a code of no batch level", _ship(lambda r: [ref(r, S, 3)]), Refusal.UNKNOWN,
            "Cannot ship or take back 'B1/secondary/3': the batch has 3 secondary codes. Hint: "
            "name codes of this store (see them with `jejak codes list`)."),
    Refused("no code", _ship(lambda r: []), Refusal.NOTHING,
            "Cannot ship or take back '': no codes were named. Hint: name at least one code."),
    Refused("a return of a code not shipped",
            lambda s, r: s.take_back([ref(r, S, 2)], Reason.parse("x")), Refusal.NOT_SHIPPED,
            "Cannot ship or take back {C2!r}: it is Commissioned, not Released. Hint: only "
            "shipped (Released) codes come back; see the code with `jejak codes lookup`."),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c.name)
def test_a_refused_operation_names_the_code_and_changes_nothing(
    store: Store, b1: BatchRecord, case: Refused
) -> None:
    sizes = (("P", P, 36), ("C", S, 3), ("T", T, 2))
    names = {f"{tag}{i}": hri(store, ref(b1, level, i))
             for tag, level, n in sizes for i in range(n)}  # fmt: skip
    with store.view() as view:
        before = [view.states(b1, level).copy() for level in Level]
        events = len(list(view.events()))
    with pytest.raises(ShipmentRefused) as refused:
        case.act(Shipping(store, actor="wh"), b1)
    assert str(refused.value) == case.message.format(**names)
    assert refused.value.reason is case.reason
    with store.view() as view:
        assert all(np.array_equal(view.states(b1, level), was)
                   for level, was in zip(Level, before, strict=True))  # fmt: skip
        assert len(list(view.events())) == events


def test_a_closed_batch_still_ships_and_recalls(store: Store, b1: BatchRecord) -> None:
    store.close_batch("B1", actor="qa")
    shipping = Shipping(store, actor="wh")
    shipping.ship([ref(b1, T, 0)], TO)
    assert states(store, [ref(b1, P, 0)]) == {A.RELEASED}
    assert shipping.recall("B1", Reason.parse("recall")).inactivated == 36 + 3 + 1


@pytest.mark.parametrize(("value", "message"), [
    ("", ("Invalid partner ID '': expected 1 to 64 characters of letters, digits and . _ / -, "
          "beginning with a letter or digit. Hint: use the partner's ID from TTAC (ID "
          "rekanan).")),
    ("a,b", "Invalid partner ID 'a,b': expected 1 to 64 characters"),
    ("x" * 65, "Invalid partner ID 'xxxx"),
    (42, "Invalid partner ID 42: expected"),
])  # fmt: skip
def test_a_bad_partner_id_is_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidFormat) as bad:
        PartnerId.parse(value)
    assert str(bad.value).startswith(message)


@pytest.mark.parametrize("value", ["", "   ", "line\nbreak", "x" * 501, None])
def test_a_bad_reason_is_refused(value: object) -> None:
    with pytest.raises(InvalidFormat, match=r"^Invalid reason .*: expected 1 to 500 printable"):
        Reason.parse(value)

"""The outbox hook: every reportable activity queued in the unit of work that records it (or
not at all), with its topic, its deadline (24 hours), its facts, and its key: the CBV 2.0 hash
of its first EPCIS event, the very ``eventID`` the batch's EPCIS document gives it."""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
from typing import Any

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import hri, open_printed, ref, refs

from jejak.engine import _outbox_body, outbox
from jejak.engine.aggregation import Aggregation
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.outbox import AUDIT_KEY, Outbox, Topic, install, pending
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.report import epcis, event_hash
from jejak.engine.shipments import PartnerId, Reason, Shipping
from jejak.engine.store import EventKind, OutboxRecord, Store
from jejak.engine.verification import Verdict, VerificationLedger
from jejak.testing import FORMAT, GTIN, NIE, make_request

P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
EXPIRY = "2028-10-31"


def ints(*values: int) -> np.ndarray[Any, np.dtype[np.int64]]:
    return np.array(values, dtype=np.int64)


@pytest.fixture
def hooked(store: Store) -> Store:
    install(store)
    return store


def queued(store: Store, *, since: int = 0) -> list[OutboxRecord]:
    with store.view() as view:
        return [r for r in view.outbox() if r.seq > since]


def last_seq(store: Store) -> int:
    found = queued(store)
    return found[-1].seq if found else 0


def epcis_ids_after(store: Store, record: OutboxRecord) -> list[str]:
    """The EPCIS event IDs of a record's audit event, asked after its unit committed."""
    with store.view() as view:
        event = next(view.events(start=record.event))
        batch = view.batch(event.data["batch"]) if "batch" in event.data else view.batch("B1")
        return [event_hash.event_id(e) for e in epcis.epcis_events(view, batch, event)]


def usage_row(code: str, status: str, **containers: str | None) -> dict[str, Any]:
    return {"partner_id": None, "packaging": "Dus", "primary_code": code,
            "secondary_code": containers.get("secondary"),
            "tertiary_code": containers.get("tertiary"), "nie": NIE, "expiry": EXPIRY,
            "batch": "B1", "gtin": GTIN, "active": status == "active",
            "retained_sample": status == "sample", "reject": status == "reject"}  # fmt: skip


def codes(store: Store, record: BatchRecord, level: Level, indices: range) -> list[str]:
    return [hri(store, c) for c in refs(record, level, indices)]


@pytest.fixture
def printed(hooked: Store) -> BatchRecord:
    """Batch B1 of 100 packs: 0-59 printed, 60-69 failed."""
    record = hooked.open_batch(make_request(quantity=100), serial_format=FORMAT, actor="qa")
    ledger = PrintLedger(hooked, "B1", P)
    (taken,) = ledger.take([("p1", 70)], actor="engine")
    ledger.settle([("p1", PrintOutcome.PRINTED, taken[:60]),
                   ("p1", PrintOutcome.FAILED, taken[60:70])], actor="engine")  # fmt: skip
    return record


def test_verdicts_queue_usage_rows_keyed_by_their_epcis_event(
    hooked: Store, printed: BatchRecord
) -> None:
    failed = queued(hooked)
    before = last_seq(hooked)
    VerificationLedger(hooked, "B1").commit({Verdict.GOOD: ints(0, 1, 2), Verdict.NO_READ:
                                             ints(3)}, actor="camera")  # fmt: skip
    good, rejected = queued(hooked, since=before)
    (event_good, event_reject) = [e for e in hooked.events() if e.what is EventKind.LINE_VERIFY]
    assert (good.topic, good.event, rejected.topic, rejected.event) == (
        "usage", event_good.seq, "usage", event_reject.seq)  # fmt: skip
    ids = epcis_ids_after(hooked, good)
    assert good.key == ids[0]
    assert good.key.startswith("ni:///sha-256;")
    assert good.due == (dt.datetime.fromisoformat(event_good.time) + dt.timedelta(hours=24)
                        ).isoformat(timespec="seconds")  # fmt: skip
    assert dict(good.body) == {
        "activity": "line.verify",
        "time": event_good.time,
        "event": event_good.seq,
        "epcis_event_id": ids[0],
        "epcis_events": len(ids),
        "part": 1,
        "parts": 1,
        "rows": [usage_row(c, "active") for c in codes(hooked, printed, P, range(3))],
    }
    assert rejected.key == AUDIT_KEY + event_reject.hash  # no EPCIS event: a label never used
    assert rejected.body["rows"] == [usage_row(codes(hooked, printed, P, range(3, 4))[0],
                                               "reject")]  # fmt: skip
    (failure,) = failed  # the failed prints were rejects too, when the printer said so
    assert failure.body["activity"] == "print.failed"
    assert [r["reject"] for r in failure.body["rows"]] == [True] * 10


def test_the_line_needs_no_network_the_api_may_be_down(
    hooked: Store, printed: BatchRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the outbox hook opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    before = last_seq(hooked)
    VerificationLedger(hooked, "B1").commit({Verdict.GOOD: np.arange(20)}, actor="camera")
    assert len(queued(hooked, since=before)) == 1  # queued; delivery is another process's job


def test_samples_are_queued_as_retained_samples(hooked: Store, printed: BatchRecord) -> None:
    ledger = VerificationLedger(hooked, "B1")
    ledger.commit({Verdict.GOOD: ints(0, 1, 2)}, actor="camera")
    before = last_seq(hooked)
    ledger.sample(ints(1), actor="qa")
    (sample,) = queued(hooked, since=before)
    assert sample.body["rows"] == [usage_row(codes(hooked, printed, P, range(1, 2))[0],
                                             "sample")]  # fmt: skip
    assert sample.key == epcis_ids_after(hooked, sample)[0]


def test_a_unit_that_aborts_queues_nothing(hooked: Store, printed: BatchRecord) -> None:
    def verify_then_fail() -> None:
        with hooked.unit_of_work("camera") as uow:
            uow.move(printed, P, ints(0), CodeState.COMMISSIONED)
            uow.event(EventKind.LINE_VERIFY, {"verdict": "good", "line": "l1"}, batch=printed,
                      level=P, indices=ints(0))  # fmt: skip
            raise RuntimeError("power cut")

    before = queued(hooked)
    with pytest.raises(RuntimeError, match="power cut"):
        verify_then_fail()
    assert queued(hooked) == before


@pytest.mark.parametrize("few", [0, 40])
def test_the_site_s_code_form_is_used(
    store: Store, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    monkeypatch.setattr(_outbox_body, "FEW", few)
    install(store, outbox.OutboxSettings.parse(form="raw"))
    record = store.open_batch(make_request(quantity=10), serial_format=FORMAT, actor="qa")
    store.transition("B1", P, None, CodeState.ENCODED, actor="qa")
    store.transition("B1", P, ints(0, 1), CodeState.COMMISSIONED, actor="qa")
    (activated,) = queued(store)
    with store.view() as view:
        raw = [view.code(record, P, i).raw for i in (0, 1)]
    assert [row["primary_code"] for row in activated.body["rows"]] == raw
    assert "\x1d" in raw[0]  # the raw form, with its GS separators


def test_events_that_report_nothing_queue_nothing(store: Store) -> None:
    install(store)
    install(store)  # once only
    assert sum(isinstance(h, Outbox) for h in store.hooks) == 1
    store.open_batch(make_request(quantity=10), serial_format=FORMAT, actor="qa")
    store.transition("B1", P, None, CodeState.ENCODED, actor="qa")
    assert queued(store) == []


def test_an_identification_batch_reports_nothing(hooked: Store) -> None:
    hooked.add_product(Product.parse(nie="DBL2012345678A1", name="Parasetamol",
                                     packaging="Dus"), actor="qa")  # fmt: skip
    hooked.open_identification(nie="DBL2012345678A1", batch="I1", packs=5,
                               validity=Gs1Date.parse_iso("2027-12-31"),
                               expiry=Gs1Date.parse_iso("2028-06-30"), actor="qa")  # fmt: skip
    hooked.transition("I1", P, None, CodeState.ENCODED, actor="qa")
    hooked.transition("I1", P, None, CodeState.COMMISSIONED, actor="qa")
    assert queued(hooked) == []


@pytest.mark.parametrize("few", [0, 40])  # the codes formatted in bulk, or one at a time
def test_a_large_activity_goes_in_parts(
    hooked: Store, printed: BatchRecord, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    monkeypatch.setattr(outbox, "PART", 4)
    monkeypatch.setattr(_outbox_body, "FEW", few)
    before = last_seq(hooked)
    VerificationLedger(hooked, "B1").commit({Verdict.GOOD: np.arange(10)}, actor="camera")
    parts = queued(hooked, since=before)
    first = epcis_ids_after(hooked, parts[0])[0]
    assert [r.key for r in parts] == [f"{first}#part-{n}-of-3" for n in (1, 2, 3)]
    assert [len(r.body["rows"]) for r in parts] == [4, 4, 2]
    assert [(r.body["part"], r.body["parts"]) for r in parts] == [(1, 3), (2, 3), (3, 3)]
    assert [row["primary_code"] for r in parts for row in r.body["rows"]] == codes(
        hooked, printed, P, range(10))  # fmt: skip


# Aggregation, shipments, returns, recalls ------------------------------------------------------


@pytest.fixture
def packed(hooked: Store) -> BatchRecord:
    """24 packs in cases of 12 (cases 0 and 1), both on pallet 0; case 2 printed, empty."""
    record = open_printed(hooked, "B1", 36, max_per_tertiary=3)
    agg = Aggregation(hooked, actor="qa")
    for case in range(2):
        agg.pack(ref(record, S, case), refs(record, P, range(12 * case, 12 * case + 12)))
    agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    return record


def link(store: Store, parent: Any, child: Any) -> dict[str, str]:
    return {"parent": hri(store, parent), "parent_level": parent.level.name.lower(),
            "child": hri(store, child), "child_level": child.level.name.lower()}  # fmt: skip


def after(store: Store, action: Any) -> list[OutboxRecord]:
    before = last_seq(store)
    action()
    return queued(store, since=before)


def test_packing_queues_its_links(hooked: Store, packed: BatchRecord) -> None:
    records = queued(hooked)
    packs = [r for r in records if r.body["activity"] == "agg.pack"]
    assert [r.topic for r in packs] == ["aggregation"] * 3
    assert packs[0].body["links"] == {
        "add": [link(hooked, ref(packed, S, 0), c) for c in refs(packed, P, range(12))],
        "remove": [],
    }
    assert packs[2].body["links"]["add"] == [link(hooked, ref(packed, T, 0), ref(packed, S, c))
                                             for c in range(2)]  # fmt: skip
    for record in packs:
        assert record.key == epcis_ids_after(hooked, record)[0]
    commissioning = [r for r in records if r.body["activity"] == "codes.transition"]
    assert [len(r.body["rows"]) for r in commissioning] == [36]  # packs verified by hand


def test_rework_queues_the_links_added_and_removed(hooked: Store, packed: BatchRecord) -> None:
    agg = Aggregation(hooked, actor="qa")
    case0, case2, pallet = ref(packed, S, 0), ref(packed, S, 2), ref(packed, T, 0)
    p0, p1, p30, p31 = (ref(packed, P, i) for i in (0, 1, 30, 31))
    (unpack,) = after(hooked, lambda: agg.unpack([p0]))
    assert unpack.body["links"] == {"add": [], "remove": [link(hooked, case0, p0)]}
    (replace,) = after(hooked, lambda: agg.replace(p1, p0))
    assert replace.body["links"] == {"add": [link(hooked, case0, p0)],
                                     "remove": [link(hooked, case0, p1)]}  # fmt: skip
    (filled,) = after(hooked, lambda: agg.reset(case2, [p30]))
    assert filled.body["links"] == {"add": [link(hooked, case2, p30)], "remove": []}
    (reset,) = after(hooked, lambda: agg.reset(case2, [p31]))
    assert reset.body["links"] == {"add": [link(hooked, case2, p31)],
                                   "remove": [link(hooked, case2, p30)]}  # fmt: skip
    (move,) = after(hooked, lambda: agg.move(case2, pallet))
    assert move.body["links"] == {"add": [link(hooked, pallet, case2)], "remove": []}
    (dissolve,) = after(hooked, lambda: agg.dissolve(case2))
    assert dissolve.body["links"] == {"add": [], "remove": [link(hooked, case2, p31)]}
    for record in (unpack, replace, filled, reset, move, dissolve):
        assert record.topic == "aggregation"
        assert record.key == epcis_ids_after(hooked, record)[0]


def test_a_sample_and_a_destruction_report_status_and_the_links_they_broke(
    hooked: Store, packed: BatchRecord
) -> None:
    agg = Aggregation(hooked, actor="qa")
    case0, case1, pallet = ref(packed, S, 0), ref(packed, S, 1), ref(packed, T, 0)
    (sample,) = after(hooked, lambda: agg.sample([ref(packed, P, 5)]))
    assert (sample.topic, sample.body["rows"]) == (
        "usage", [usage_row(hri(hooked, ref(packed, P, 5)), "sample")])  # fmt: skip
    assert sample.body["links"] == {"add": [], "remove": [link(hooked, case0, ref(packed, P, 5))]}
    (destroy,) = after(hooked, lambda: agg.destroy(case1))
    assert destroy.body["rows"] == [usage_row(hri(hooked, c), "reject") for c in
                                    refs(packed, P, range(12, 24))]  # fmt: skip
    assert destroy.body["links"] == {"add": [], "remove": [link(hooked, pallet, case1)]}
    assert destroy.body["destroyed"] == [hri(hooked, c) for c in refs(packed, P, range(12, 24))
                                         ] + [hri(hooked, case1)]  # fmt: skip
    assert destroy.key == epcis_ids_after(hooked, destroy)[0]


def test_a_shipment_a_return_and_a_recall(hooked: Store, packed: BatchRecord) -> None:
    shipping = Shipping(hooked, actor="wh")
    pallet = ref(packed, T, 0)
    (ship,) = after(hooked, lambda: shipping.ship([pallet], PartnerId.parse("PBF-0042")))
    row = {"partner_id": None, "destination_id": "PBF-0042", "packaging": "Dus",
           "primary_code": None, "secondary_code": None, "tertiary_code": hri(hooked, pallet),
           "nie": NIE, "expiry": EXPIRY, "batch": "B1", "gtin": GTIN}  # fmt: skip
    assert (ship.topic, ship.body["rows"], ship.body["destination_id"]) == (
        "shipment", [row], "PBF-0042")  # fmt: skip
    assert ship.key == epcis_ids_after(hooked, ship)[0]
    back = after(
        hooked,
        lambda: shipping.take_back(
            [pallet], Reason.parse("damaged"), from_partner=PartnerId.parse("PBF-0042")
        ),
    )
    (returned,) = back
    del row["destination_id"]
    assert (returned.topic, returned.body["rows"], returned.body["reason"],
            returned.body["from"]) == ("return", [row], "damaged", "PBF-0042")  # fmt: skip
    recalls = after(hooked, lambda: shipping.recall("B1", Reason.parse("contamination")))
    assert {r.topic for r in recalls} == {"recall"}
    assert recalls[0].body["recall"] == {
        "batch": "B1", "nie": NIE, "gtin": GTIN, "expiry": EXPIRY, "reason": "contamination",
        "letter": None, "level": "primary", "count": 12}  # fmt: skip


def test_every_epcis_key_is_an_event_id_of_the_batch_s_epcis_document(
    hooked: Store, packed: BatchRecord
) -> None:
    Shipping(hooked, actor="wh").ship([ref(packed, T, 0)], PartnerId.parse("PBF-0042"))
    with hooked.view() as view:
        out = io.BytesIO()
        epcis.write_epcis(view, [view.batch("B1")], out)
    document = json.loads(out.getvalue())
    ids = [e["eventID"] for e in document["epcisBody"]["eventList"]]
    records = queued(hooked)
    assert {r.topic for r in records} == {"usage", "aggregation", "shipment"}
    for record in records:
        assert record.key in ids
        assert record.body["epcis_event_id"] in (*ids, None)


def test_pending_says_what_is_due_and_what_is_overdue(hooked: Store, printed: BatchRecord) -> None:
    VerificationLedger(hooked, "B1").commit({Verdict.GOOD: ints(0)}, actor="camera")
    with hooked.view() as view:
        now = pending(view)
        later = pending(view, now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25))
    assert [p.overdue for p in now] == [False, False]
    assert [p.overdue for p in later] == [True, True]
    assert later[1].as_json() == {
        "seq": 2, "topic": "usage", "key": later[1].record.key, "activity": "line.verify",
        "event": later[1].record.event, "due": later[1].record.due, "overdue": True,
        "attempts": 0, "last_outcome": None, "last_status": None, "last_detail": None,
        "last_attempt_at": None}  # fmt: skip
    assert Topic("recall") is Topic.RECALL


def test_prints_never_confirmed_are_queued_as_rejects_when_the_batch_closes(
    hooked: Store, printed: BatchRecord
) -> None:
    """Batch close scraps the codes printed but never verified (LabelScrapped): rejects that
    the API must hear of, queued with the close."""
    VerificationLedger(hooked, "B1").commit({Verdict.GOOD: ints(*range(50))}, actor="camera")
    before = last_seq(hooked)
    hooked.close_batch("B1", actor="qa")
    (scrap,) = [r for r in queued(hooked, since=before) if r.topic == "usage"]
    assert scrap.body["activity"] == "codes.transition"
    assert scrap.body["rows"] == [usage_row(code, "reject")
                                  for code in codes(hooked, printed, P, range(50, 60))]  # fmt: skip
    assert scrap.key.startswith("jejak-audit:sha-256:")  # a label never commissioned: no EPCIS

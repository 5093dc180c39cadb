"""The EPCIS 2.0 document of a batch: it passes GS1's published JSON schema and the business
rules the schema leaves out, its event IDs are the reference implementation's hashes, it is
exactly the events each audit event maps to (the outbox's idempotency keys), and it says what
happened to every code: commissioned, packed, unpacked, sampled, destroyed, decommissioned,
shipped, returned and recalled. Codes keyed by NIE, SSCC containers, chunked lists, settings
and refusals."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.engine.aggregation.test_operations import open_printed, ref, refs
from tests.engine.report.test_event_hash import reference  # noqa: F401 - a fixture

from jejak.engine.aggregation import Aggregation
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import InvalidFormat, InvalidQuantity, ReportRefused
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.report._rows import from_texts, order
from jejak.engine.report.digital_link import DigitalLinks, NoGs1Key
from jejak.engine.report.epcis import (
    CONTEXT,
    EpcisCounts,
    EpcisSettings,
    epcis_events,
    write_epcis,
)
from jejak.engine.report.event_hash import event_id
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import CodeRef, EventKind, Store, pack_ref
from jejak.testing import FORMAT, make_request

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SCHEMA = SHARED / "reference/epcis/EPCIS-JSON-Schema.json"
SITE = EpcisSettings.parse(offset="+07:00", read_point="urn:epc:id:sgln:8991234.00001.0",
                           biz_location="https://id.gs1.org/414/8991234000015",
                           partner_template="https://id.example.co.id/partner/{partner}",
                           )  # fmt: skip
CREATED = "2026-12-03T00:00:00.000Z"
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_URI = re.compile(r"https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)+")


# Helpers (the benchmark imports them) ----------------------------------------------------------


def ship(store: Store, record: BatchRecord, level: Level, indices: Sequence[int], *,
         kind: EventKind, data: dict[str, Any], target: CodeState) -> None:  # fmt: skip
    """A shipment, return or recall as the shipping module records it: the outermost codes
    named by one ``ship.*`` event (its batch, level and indices), everything inside them
    entered in its history, all of them moved to `target`."""
    outer = np.array(sorted(indices), dtype=np.int64)
    with store.unit_of_work("qa") as uow:
        below: dict[Level, list[int]] = {}
        frontier = [CodeRef(record.batch_id, level, int(i)) for i in outer]
        while frontier:
            kids = [CodeRef(int(r) >> 40, Level(int(r) >> 32 & 0xFF), int(r) & 0xFFFFFFFF)
                    for code in frontier for r in uow.children(code).tolist()]  # fmt: skip
            for kid in kids:
                below.setdefault(kid.level, []).append(kid.index)
            frontier = [k for k in kids if k.level is not P]
        event = uow.event(kind, data, batch=record, level=level, indices=outer)
        uow.move(record, level, outer, target, check_open=False)
        for lower, found in below.items():
            inside = np.array(sorted(found), dtype=np.int64)
            uow.index(event, record, lower, inside)
            uow.move(record, lower, inside, target, check_open=False)


def document(store: Store, records: Sequence[BatchRecord],
             settings: EpcisSettings = SITE) -> tuple[dict[str, Any], EpcisCounts]:  # fmt: skip
    out = io.BytesIO()
    with store.view() as view:
        counts = write_epcis(view, records, out, settings, created=CREATED)
    return json.loads(out.getvalue()), counts


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = doc["epcisBody"]["eventList"]
    return found


def uri_of(store: Store, code: CodeRef, links: DigitalLinks = SITE.links) -> str:
    with store.view() as view:
        return links.code_uri(view.code(view.batch_by_id(code.batch_id), code.level, code.index))


def uris(store: Store, codes: Iterable[CodeRef]) -> set[str]:
    return {uri_of(store, code) for code in codes}


def check_rules(doc: dict[str, Any]) -> None:
    """What GS1's schema does not check: parentID on every AggregationEvent ADD or DELETE,
    children on every ADD, unique IDs that are the events' hashes, times and URIs in form
    (the schema's ``date-time`` and ``uri`` formats need checkers jsonschema lacks here), no
    code in an event before the event that commissioned it, and no code listed twice."""
    assert doc["@context"] == CONTEXT
    assert (doc["type"], doc["schemaVersion"]) == ("EPCISDocument", "2.0")
    commissioned: set[str] = set()
    ids = [e["eventID"] for e in events_of(doc)]
    assert len(set(ids)) == len(ids)
    for event in events_of(doc):
        assert event["eventID"] == event_id(event)
        assert _TIME.fullmatch(event["eventTime"])
        codes = event.get("epcList", event.get("childEPCs", []))
        assert len(set(codes)) == len(codes)
        assert all(_URI.fullmatch(c) for c in [*codes, event.get("parentID", "https://x/y")])
        if event["type"] == "AggregationEvent":
            assert event["action"] in ("ADD", "DELETE")
            assert "parentID" in event
            assert event["action"] == "DELETE" or event["childEPCs"]
        if event.get("bizStep") == "commissioning":
            assert not commissioned & set(codes), "a code commissioned twice"
            commissioned |= set(codes)
        else:
            assert {*codes, *([event["parentID"]] if "parentID" in event else [])} \
                <= commissioned, "a code in an event before its commissioning"  # fmt: skip


@pytest.fixture(scope="session")
def schema_validator() -> Any:
    """GS1's published EPCIS 2.0 JSON schema (read where it is kept, never copied)."""
    if not SCHEMA.is_file():
        pytest.skip(f"GS1's EPCIS 2.0 JSON schema is not at {SCHEMA} (a fresh clone)")
    from jsonschema import Draft7Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


@pytest.fixture
def plant(store: Store) -> BatchRecord:
    """B1, 60 packs: 0-49 verified, 50-54 rejected; cases 0-2 (packs 0-11, 12-23, 24-29),
    cases 0 and 1 on pallet 0; pack 1 unpacked, pack 30 and pack 0 sampled (0 out of its
    case), case 2 destroyed with its packs, pack 32 decommissioned; pallet 0 shipped, and
    returned; pack 40 shipped on its own, then the batch recalled."""
    record = open_printed(store, "B1", 60, packs=50, cases=3, pallets=1)
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(record, S, 0), refs(record, P, range(12)))
    agg.pack(ref(record, S, 1), refs(record, P, range(12, 24)))
    agg.pack(ref(record, S, 2), refs(record, P, range(24, 30)))
    agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    agg.unpack([ref(record, P, 1)])
    agg.sample([ref(record, P, 30), ref(record, P, 0)])
    agg.destroy(ref(record, S, 2))
    store.transition("B1", P, np.array([32]), A.INACTIVE, actor="qa")
    store.transition("B1", P, np.arange(50, 55), A.LABEL_SCRAPPED, actor="qa")
    ship(store, record, T, [0], kind=EventKind.SHIP_SEND,
         data={"to": "PBF-0042", "batches": ["B1"]}, target=A.RELEASED)  # fmt: skip
    ship(store, record, T, [0], kind=EventKind.SHIP_RETURN,
         data={"reason": "damaged", "from": "PBF-0042"}, target=A.INACTIVE)  # fmt: skip
    ship(store, record, P, [40], kind=EventKind.SHIP_SEND,
         data={"to": "PBF-7", "batches": ["B1"]}, target=A.RELEASED)  # fmt: skip
    ship(store, record, P, [40], kind=EventKind.SHIP_RECALL,
         data={"reason": "recall", "letter": None}, target=A.INACTIVE)  # fmt: skip
    return record


def of(doc: dict[str, Any], step: str | None, action: str | None = None) -> list[dict[str, Any]]:
    return [e for e in events_of(doc) if e.get("bizStep") == step
            and action in (None, e["action"])]  # fmt: skip


# The document ----------------------------------------------------------------------------------


def test_the_document_passes_gs1_schema_and_the_business_rules(
    store: Store, plant: BatchRecord, schema_validator: Any
) -> None:
    doc, counts = document(store, [plant])
    errors = sorted(schema_validator.iter_errors(doc), key=str)
    assert not errors, errors[0]
    check_rules(doc)
    assert counts == EpcisCounts(
        object_events=sum(e["type"] == "ObjectEvent" for e in events_of(doc)),
        aggregation_events=sum(e["type"] == "AggregationEvent" for e in events_of(doc)),
        epcs=sum(len(e.get("epcList", e.get("childEPCs", []))) for e in events_of(doc)),
    )
    assert doc["creationDate"] == CREATED


def test_event_ids_are_the_reference_implementations(
    store: Store,
    plant: BatchRecord,
    reference: Any,  # noqa: F811 - the fixture imported above
) -> None:
    events = events_of(document(store, [plant])[0])
    assert [e["eventID"] for e in events] == reference(events)


def test_the_document_is_the_events_of_each_audit_event_in_order(
    store: Store, plant: BatchRecord
) -> None:
    doc, _ = document(store, [plant])
    with store.view() as view:
        each = [epcis_events(view, plant, event, SITE) for event in view.events()]
    assert [e for found in each for e in found] == events_of(doc)
    with store.view() as view:  # the product's addition, and the batch's opening: nothing
        assert epcis_events(view, plant, store.events()[0], SITE) == []
        assert epcis_events(view, plant, store.events()[1], SITE) == []


def test_commissioning_names_every_code_the_line_or_the_packing_commissioned(
    store: Store, plant: BatchRecord
) -> None:
    doc, _ = document(store, [plant])
    events = of(doc, "commissioning")
    assert {(e["type"], e["action"], e["disposition"]) for e in events} == {
        ("ObjectEvent", "ADD", "active")}  # fmt: skip
    named = [c for e in events for c in e["epcList"]]
    packs = refs(plant, P, range(50))
    containers = [*refs(plant, S, range(3)), ref(plant, T, 0)]
    assert sorted(named) == sorted(uris(store, [*packs, *containers]))
    assert all(e["readPoint"] == {"id": "https://id.gs1.org/414/8991234000015"} for e in events)
    assert {e["eventTimeZoneOffset"] for e in events_of(doc)} == {"+07:00"}


def test_packing_and_rework_are_aggregation_events(store: Store, plant: BatchRecord) -> None:
    doc, _ = document(store, [plant])
    packed = {e["parentID"]: e["childEPCs"] for e in of(doc, "packing", "ADD")}
    assert packed == {
        uri_of(store, ref(plant, S, 0)): sorted(uris(store, refs(plant, P, range(12)))),
        uri_of(store, ref(plant, S, 1)): sorted(uris(store, refs(plant, P, range(12, 24)))),
        uri_of(store, ref(plant, S, 2)): sorted(uris(store, refs(plant, P, range(24, 30)))),
        uri_of(store, ref(plant, T, 0)): sorted(uris(store, refs(plant, S, range(2)))),
    }
    assert {e["disposition"] for e in of(doc, "packing")} == {"in_progress"}
    unpacked = [(e["parentID"], e["childEPCs"]) for e in of(doc, "unpacking", "DELETE")]
    case = uri_of(store, ref(plant, S, 0))
    assert unpacked == [(case, [uri_of(store, ref(plant, P, 1))]),
                        (case, [uri_of(store, ref(plant, P, 0))])]  # fmt: skip


def test_samples_destruction_and_decommissioning(store: Store, plant: BatchRecord) -> None:
    doc, _ = document(store, [plant])
    samples = of(doc, "sampling")  # one event for those from a case, one for the loose ones
    assert {(e["action"], e["disposition"]) for e in samples} == {
        ("OBSERVE", "non_sellable_other")}  # fmt: skip
    assert {c for e in samples for c in e["epcList"]} == uris(store, refs(plant, P, [0, 30]))
    (destroyed,) = of(doc, "destroying")
    assert (destroyed["action"], destroyed["disposition"]) == ("DELETE", "destroyed")
    expected = uris(store, [ref(plant, S, 2), *refs(plant, P, range(24, 30))])
    assert set(destroyed["epcList"]) == expected
    (inactive,) = of(doc, "decommissioning")
    assert (inactive["action"], inactive["disposition"]) == ("DELETE", "inactive")
    assert inactive["epcList"] == [uri_of(store, ref(plant, P, 32))]


def test_shipments_returns_and_recalls_name_the_outermost_codes(
    store: Store, plant: BatchRecord
) -> None:
    doc, _ = document(store, [plant])
    pallet, pack = uri_of(store, ref(plant, T, 0)), uri_of(store, ref(plant, P, 40))
    shipped = [(e["epcList"], e["destinationList"]) for e in of(doc, "shipping")]
    partner = "https://id.example.co.id/partner/"
    assert shipped == [
        ([pallet], [{"type": "owning_party", "destination": partner + "PBF-0042"}]),
        ([pack], [{"type": "owning_party", "destination": partner + "PBF-7"}]),
    ]
    assert {(e["action"], e["disposition"]) for e in of(doc, "shipping")} == {
        ("OBSERVE", "in_transit")}  # fmt: skip
    (back,) = of(doc, "receiving")
    assert (back["epcList"], back["disposition"]) == ([pallet], "returned")
    assert back["sourceList"] == [{"type": "owning_party", "source": partner + "PBF-0042"}]
    (recall,) = [e for e in events_of(doc) if e.get("disposition") == "recalled"]
    assert (recall["epcList"], recall["action"]) == ([pack], "OBSERVE")
    assert "bizStep" not in recall


def test_without_a_partner_template_shipments_name_no_destination(
    store: Store, plant: BatchRecord
) -> None:
    doc, _ = document(store, [plant], EpcisSettings())
    assert all("destinationList" not in e and "sourceList" not in e for e in events_of(doc))
    assert {e["eventTimeZoneOffset"] for e in events_of(doc)} == {"+00:00"}
    assert all("readPoint" not in e for e in events_of(doc))


def test_long_lists_are_cut_into_events_of_at_most_a_chunk(store: Store) -> None:
    record = open_printed(store, "B2", 60, packs=50, cases=2, pallets=0)
    Aggregation(store, actor="qa").pack(ref(record, S, 0), refs(record, P, range(12)))
    doc, _ = document(store, [record], EpcisSettings.parse(chunk=7))
    check_rules(doc)
    lists = [e.get("epcList", e.get("childEPCs")) for e in events_of(doc)]
    assert max(len(found) for found in lists) == 7
    packs = [c for e in of(doc, "commissioning") for c in e["epcList"]]
    assert len(packs) == len(set(packs)) == 51  # 50 packs and the case
    assert [len(e["childEPCs"]) for e in of(doc, "packing")] == [7, 5]


def test_bulk_links_and_sscc_containers(store: Store) -> None:
    sscc = SsccFormat.parse(company_prefix="8991234", extension=0)
    record = store.open_batch(make_request("B3", 48), serial_format=FORMAT, sscc=sscc,
                              actor="qa")  # fmt: skip
    for level in (P, S, T):
        store.transition("B3", level, None, A.ENCODED, actor="qa")
    store.transition("B3", P, None, A.COMMISSIONED, actor="qa")
    kids = np.array([pack_ref(record.batch_id, P, i) for i in range(48)], dtype=np.uint64)
    cases = np.array([pack_ref(record.batch_id, S, i // 12) for i in range(48)], np.uint64)
    Aggregation(store, actor="qa").pack_many(kids[::-1].copy(), cases[::-1].copy())
    doc, _ = document(store, [record])
    check_rules(doc)
    packed = of(doc, "packing")
    assert [e["parentID"][:22] for e in packed] == ["https://id.gs1.org/00/"] * 4
    assert [len(e["childEPCs"]) for e in packed] == [12] * 4
    assert all(e["childEPCs"] == sorted(e["childEPCs"]) for e in packed)
    (commissioned,) = [e for e in of(doc, "commissioning") if e["epcList"][0][:22].endswith("00/")]
    assert sorted(commissioned["epcList"]) == sorted(e["parentID"] for e in packed)


def test_a_document_of_two_batches_lists_each_event_once(store: Store, plant: BatchRecord) -> None:
    other = open_printed(store, "B4", 24, packs=24, cases=1, pallets=0)
    Aggregation(store, actor="qa").pack(ref(other, S, 0), refs(other, P, range(12)))
    both, _ = document(store, [plant, other])
    one, _ = document(store, [plant])
    two, _ = document(store, [other])
    check_rules(both)
    assert len(events_of(both)) == len(events_of(one)) + len(events_of(two))
    assert {e["eventID"] for e in events_of(both)} == {
        e["eventID"] for e in events_of(one) + events_of(two)}  # fmt: skip


# Codes keyed by NIE ------------------------------------------------------------------------------

OTC = "DBL2012345678A1"


def nie_batch(store: Store) -> BatchRecord:
    store.add_product(Product.parse(nie=OTC, name="Paracetamol", packaging="Strip"), actor="qa")
    return open_printed(store, "N1", 12, packs=3, cases=0, pallets=0, nie=OTC)


def test_codes_keyed_by_nie_need_a_site_uri_template(store: Store) -> None:
    record = nie_batch(store)
    with pytest.raises(NoGs1Key) as raised, store.view() as view:
        write_epcis(view, [record], io.BytesIO())
    assert str(raised.value) == (
        f"Invalid code key (90) {OTC!r} for a GS1 Digital Link URI: expected a GS1 key (a GTIN) "
        "or a site URI template for codes keyed by NIE. Hint: BPOM's AI 90 is no GS1 key; give "
        "the site's template, e.g. https://id.example.co.id/90/{nie}/10/{batch}/21/{serial}."
    )
    commissioned = store.events()[-1]
    with pytest.raises(NoGs1Key), store.view() as view:
        epcis_events(view, record, commissioned)


def test_codes_keyed_by_nie_take_the_sites_template(store: Store, schema_validator: Any) -> None:
    record = nie_batch(store)
    template = "https://id.example.co.id/90/{nie}/10/{batch}/21/{serial}"
    settings = EpcisSettings.parse(nie_template=template)
    doc, _ = document(store, [record], settings)
    assert not list(schema_validator.iter_errors(doc))
    check_rules(doc)
    (commissioned,) = of(doc, "commissioning")
    with store.view() as view:
        serials = sorted(view.serial(record, P, i) for i in range(3))
    assert commissioned["epcList"] == [
        f"https://id.example.co.id/90/{OTC}/10/N1/21/{s}" for s in serials]  # fmt: skip


def test_an_identification_batch_has_no_epcis_document(store: Store) -> None:
    store.add_product(Product.parse(nie=OTC, name="P", packaging="Dus"), actor="qa")
    record = store.open_identification(nie=OTC, batch="I1", packs=5,
                                       validity=Gs1Date.parse_iso("2027-12-31"),
                                       expiry=Gs1Date.parse_iso("2028-06-30"),
                                       actor="qa")  # fmt: skip
    with pytest.raises(ReportRefused) as raised, store.view() as view:
        write_epcis(view, [record], io.BytesIO())
    assert str(raised.value) == (
        "Batch 'I1' is an identification batch: its one code names no single pack, and EPCIS "
        "events need serialised codes. Hint: EPCIS documents are for batches with "
        "authentication codes."
    )


# Settings ------------------------------------------------------------------------------------


def test_settings_parse_what_a_site_gives() -> None:
    settings = EpcisSettings.parse(offset=" +07:00 ", chunk=500,
                                   read_point="urn:epc:id:sgln:8991234.00001.L1")  # fmt: skip
    assert (settings.offset, settings.chunk) == ("+07:00", 500)
    assert settings.read_point is not None
    assert settings.read_point.uri == "https://id.gs1.org/414/8991234000015/254/L1"
    assert EpcisSettings.parse() == EpcisSettings()


@pytest.mark.parametrize(("given", "error", "message"), [
    ({"offset": "+7:00"}, InvalidFormat, ("Invalid time-zone offset '+7:00': expected +HH:MM or "
     "-HH:MM from -14:00 to +14:00. Hint: Indonesia's WIB is +07:00, WITA +08:00, WIT +09:00.")),
    ({"offset": "+14:30"}, InvalidFormat, ("Invalid time-zone offset '+14:30': expected +HH:MM "
     "or -HH:MM from -14:00 to +14:00. Hint: Indonesia's WIB is +07:00, WITA +08:00, WIT "
     "+09:00.")),
    ({"chunk": 0}, InvalidQuantity, ("Invalid EPCIS chunk 0: expected 1 to 1000000 codes an "
     "event. Hint: 10000 suits most receivers.")),
    ({"chunk": True}, InvalidQuantity, ("Invalid EPCIS chunk True: expected 1 to 1000000 codes "
     "an event. Hint: 10000 suits most receivers.")),
    ({"partner_template": "https://x.id/p"}, InvalidFormat, ("Invalid partner URI template "
     "'https://x.id/p': expected an https URI whose path has one {partner} segment and literal "
     "segments of A-Z a-z 0-9 - . _ ~. Hint: e.g. https://id.example.co.id/partner/{partner}.")),
])  # fmt: skip
def test_settings_refusals(given: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as raised:
        EpcisSettings.parse(**given)
    assert str(raised.value) == message


def test_no_batch_is_refused(store: Store) -> None:
    with pytest.raises(ReportRefused, match=r"^Cannot write an EPCIS document of no batch\."), \
            store.view() as view:  # fmt: skip
        write_epcis(view, [], io.BytesIO())


# Rework, and the two ways of knowing what was commissioned ------------------------------------


def final_links(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Each container's children after the document's AggregationEvents, in order."""
    held: dict[str, set[str]] = {}
    for event in events_of(doc):
        if event["type"] != "AggregationEvent":
            continue
        kids = held.setdefault(event["parentID"], set())
        if event["action"] == "ADD":
            kids |= set(event["childEPCs"])
        elif "childEPCs" in event:
            kids -= set(event["childEPCs"])
        else:
            kids.clear()
    return {parent: kids for parent, kids in held.items() if kids}


@pytest.fixture
def rework(store: Store) -> BatchRecord:
    """R1, 120 packs (100 verified), 10 case labels and 3 pallet labels printed: cases packed,
    moved (into a pallet whose label the move commissions), a pack replaced, cases reset (one
    whose label the reset commissions) and dissolved, 18 packs sampled out of two cases (too
    many for the event to name them: found from its links), a pallet of 27 codes destroyed
    (found through the store), a decommissioned pack destroyed later."""
    record = open_printed(store, "R1", 120, packs=100, cases=10, pallets=3, max_per_tertiary=4)
    agg = Aggregation(store, actor="qa")
    for case in range(3):
        agg.pack(ref(record, S, case), refs(record, P, range(12 * case, 12 * case + 12)))
    agg.pack(ref(record, T, 0), refs(record, S, [0, 1]))
    agg.move(ref(record, S, 2), ref(record, T, 1))
    agg.move(ref(record, S, 1), ref(record, T, 1))
    agg.replace(ref(record, P, 0), ref(record, P, 50))
    agg.reset(ref(record, S, 0), refs(record, P, [50, 51, 52]))
    agg.reset(ref(record, S, 3), refs(record, P, range(60, 64)))
    agg.dissolve(ref(record, S, 3))
    agg.sample(refs(record, P, range(12, 30)))
    for case in (4, 5):
        agg.pack(ref(record, S, case), refs(record, P, range(64 + 12 * (case - 4),
                                                              76 + 12 * (case - 4))))  # fmt: skip
    agg.pack(ref(record, T, 2), refs(record, S, [4, 5]))
    store.transition("R1", P, np.array([99]), A.INACTIVE, actor="qa")
    store.transition("R1", P, np.array([99]), A.DESTROYED, actor="qa")
    agg.destroy(ref(record, T, 2))
    return record


def test_rework_in_the_document(store: Store, rework: BatchRecord, schema_validator: Any,
                                reference: Any) -> None:  # noqa: F811  # fmt: skip
    doc, _ = document(store, [rework])
    assert not list(schema_validator.iter_errors(doc))
    check_rules(doc)
    events = events_of(doc)
    assert [e["eventID"] for e in events] == reference(events)
    with store.view() as view:
        each = [e for event in view.events() for e in epcis_events(view, rework, event, SITE)]
    assert each == events  # the history of each code says what the replay of the log says
    destroyed = [set(e["epcList"]) for e in of(doc, "destroying")]
    pallet = [ref(rework, T, 2), *refs(rework, S, [4, 5]), *refs(rework, P, range(64, 88))]
    assert destroyed == [uris(store, [ref(rework, P, 99)]), uris(store, pallet)]
    (sampled,) = of(doc, "sampling")
    assert set(sampled["epcList"]) == uris(store, refs(rework, P, range(12, 30)))
    # what the document says is inside what, where nothing was destroyed, is what the store has
    gone = {uri_of(store, code) for code in pallet}
    with store.view() as view:
        stored = {uri_of(store, CodeRef(rework.batch_id, level, index)):
                  {uri_of(store, CodeRef(int(r) >> 40, Level(int(r) >> 32 & 0xFF),
                                         int(r) & 0xFFFFFFFF))
                   for r in view.children(CodeRef(rework.batch_id, level, index)).tolist()}
                  for level in (S, T) for index in view.containers(rework, level)}  # fmt: skip
    assert {k: v for k, v in final_links(doc).items() if k not in gone} == stored


def test_the_commissioning_of_containers_by_rework(store: Store, rework: BatchRecord) -> None:
    doc, _ = document(store, [rework])
    order = [(e.get("bizStep"), e["action"], e.get("parentID")) for e in events_of(doc)]
    pallet, case = uri_of(store, ref(rework, T, 1)), uri_of(store, ref(rework, S, 3))
    commissioned = [set(e["epcList"]) for e in of(doc, "commissioning")]
    assert {pallet} in commissioned
    assert {case} in commissioned
    for container in (pallet, case):  # commissioned by the move, and by the reset
        at = order.index(("packing", "ADD", container))
        assert events_of(doc)[at - 1]["epcList"] == [container]
    moved = order.index(("unpacking", "DELETE", uri_of(store, ref(rework, T, 0))))
    assert order[moved + 1] == ("packing", "ADD", pallet)  # case 1: from pallet 0 to 1


def test_many_samples_some_in_no_case_are_all_named(store: Store) -> None:
    """An agg.sample records the packs from cases by their pairs and the loose ones a few
    to an event, so that the document names every sample, however many."""
    record = open_printed(store, "R2", 40, packs=40, cases=1, pallets=0)
    Aggregation(store, actor="qa").pack(ref(record, S, 0), refs(record, P, range(12)))
    Aggregation(store, actor="qa").sample(refs(record, P, range(6, 24)))  # 12 in no case
    doc, _ = document(store, [record])
    named = [c for e in of(doc, "sampling") for c in e["epcList"]]
    assert sorted(named) == sorted(uris(store, refs(record, P, range(6, 24))))
    (unpacked,) = of(doc, "unpacking")
    assert set(unpacked["childEPCs"]) == uris(store, refs(record, P, range(6, 12)))


class _Writes(io.BytesIO):
    """A file that remembers the size of every write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, data: Any) -> int:
        self.sizes.append(len(data))
        return super().write(data)


def test_the_document_is_streamed_in_pieces(store: Store) -> None:
    record = open_printed(store, "B5", 60_000, packs=60_000)
    out = _Writes()
    with store.view() as view:
        counts = write_epcis(view, [record], out, EpcisSettings.parse(chunk=1000))
    assert counts.epcs == 60_000
    assert len(out.sizes) > 2
    assert max(out.sizes) < (1 << 20) + 100_000  # a buffer of 1 MiB, and one event more
    check_rules(json.loads(out.getvalue()))


@given(values=st.lists(st.binary(min_size=0, max_size=24).map(lambda b: b"https://x/" +
                                                                 b.replace(b"\x00", b"")),
                       unique=True, max_size=40),
       groups=st.lists(st.integers(0, 3), min_size=40, max_size=40))  # fmt: skip
def test_byte_rows_sort_as_python_sorts_bytes(values: list[bytes], groups: list[int]) -> None:
    """The writer's order of identifiers (the pre-hash string's): by their bytes, within
    their container when grouped."""
    rows = from_texts(values)
    assert [values[i] for i in order(rows)] == sorted(values)
    first = np.array(groups[: len(values)], dtype=np.int64)
    found = [(int(first[i]), values[i]) for i in order(rows, first)]
    assert found == sorted(zip(first.tolist(), values, strict=True))

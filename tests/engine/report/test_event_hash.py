"""The CBV 2.0 event hash: exact pre-hash strings, the same IDs as the reference implementation
(``epcis-event-hash-generator``, given GS1's JSON-LD context offline), independence of order
and of how values are spelled, sensitivity to every field, and the refusals' messages.

The reference expands each document with PyLD, which would fetch the EPCIS context over the
network. There is no network here: `reference_ids` installs a PyLD document loader that serves
the context from the copy that ships inside the reference package itself and refuses every
other URL, so a test that needed the network would fail rather than hang."""

from __future__ import annotations

import copy
import importlib.resources
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat
from jejak.engine.report.digital_link import percent_encode
from jejak.engine.report.event_hash import (
    canonical_id,
    canonical_time,
    event_id,
    pre_hash,
    vocabulary,
)

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# The reference package's own copy of GS1's context document, named by its SHA-256.
_CONTEXT_FILE = "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
GTIN = "08991234567891"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


# The reference ---------------------------------------------------------------------------------


def _offline_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    from pyld.jsonld import JsonLdError

    if url != CONTEXT:
        raise JsonLdError(f"no network in tests: {url}", "jsonld.LoadDocumentError")
    package = importlib.resources.files("epcis_event_hash_generator")
    document = json.loads((package / _CONTEXT_FILE).read_text(encoding="utf-8"))
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": document}  # fmt: skip


@pytest.fixture(scope="session")
def reference() -> Iterator[Any]:
    """The reference's ``ids(events)``: the event IDs it computes for a document of them."""
    pytest.importorskip("epcis_event_hash_generator")
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    before = jsonld.get_document_loader()
    jsonld.set_document_loader(_offline_loader)

    def ids(events: Sequence[Mapping[str, Any]]) -> list[str]:
        document = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
                    "creationDate": "2026-12-03T00:00:00.000Z",
                    "epcisBody": {"eventList": copy.deepcopy(list(events))}}  # fmt: skip
        parsed = json_to_py.event_list_from_epcis_document_json(document)
        found: list[str] = hash_generator.epcis_hashes_from_events(parsed)
        assert len(found) == len(events), "the reference skipped an event it could not read"
        return found

    yield ids
    jsonld.set_document_loader(before)


def uri(serial: str) -> str:
    return f"https://id.gs1.org/01/{GTIN}/21/{percent_encode(serial)}"


SHIPPED = {
    "type": "ObjectEvent",
    "eventTime": "2026-12-03T13:19:01.123+07:00",
    "eventTimeZoneOffset": "+07:00",
    "epcList": [uri("B2"), uri("A/1")],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "in_transit",
    "readPoint": {"id": "https://id.gs1.org/414/8991234000015"},
    "bizLocation": {"id": "https://id.gs1.org/414/8991234000015/254/A1"},
    "destinationList": [{"type": "owning_party",
                         "destination": "https://id.example.co.id/partner/PBF-0042"}],
}  # fmt: skip
PACKED = {
    "type": "AggregationEvent",
    "eventTime": "2026-12-03T06:19:01.123Z",
    "eventTimeZoneOffset": "+00:00",
    "parentID": "https://id.gs1.org/00/089912340000000015",
    "childEPCs": [uri("X")],
    "action": "ADD",
    "bizStep": "packing",
    "disposition": "in_progress",
}


def test_the_pre_hash_string_of_a_shipment() -> None:
    assert pre_hash(SHIPPED) == (
        "eventType=ObjectEvent"
        "eventTime=2026-12-03T06:19:01.123Z"
        "eventTimeZoneOffset=+07:00"
        f"epcListepc={uri('A/1')}epc={uri('B2')}"
        "action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
        "readPointid=https://id.gs1.org/414/8991234000015"
        "bizLocationid=https://id.gs1.org/414/8991234000015/254/A1"
        "destinationListtype=https://ref.gs1.org/cbv/SDT-owning_party"
        "destination=https://id.example.co.id/partner/PBF-0042"
    )


def test_the_pre_hash_string_of_a_packing() -> None:
    assert pre_hash(PACKED) == (
        "eventType=AggregationEventeventTime=2026-12-03T06:19:01.123ZeventTimeZoneOffset=+00:00"
        f"parentID=https://id.gs1.org/00/089912340000000015childEPCsepc={uri('X')}"
        "action=ADDbizStep=https://ref.gs1.org/cbv/BizStep-packing"
        "disposition=https://ref.gs1.org/cbv/Disp-in_progress"
    )


EXAMPLES = [
    SHIPPED,
    PACKED,
    {"type": "ObjectEvent", "eventTime": "2026-12-03T06:19:01.1239Z",
     "eventTimeZoneOffset": "-03:30", "epcList": ["urn:epc:id:sgtin:8991234.056789.A%2F1",
                                                  "urn:epc:id:sscc:8991234.0000000001"],
     "action": "ADD", "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
     "disposition": "active",
     "persistentDisposition": {"set": ["completeness_verified"],
                               "unset": ["needs_replacement", "conformant"]},
     "readPoint": {"id": "urn:epc:id:sgln:8991234.00001.0"}},
    {"type": "ObjectEvent", "eventTime": "2026-12-03T06:19:01Z", "eventTimeZoneOffset": "+00:00",
     "eventID": "ni:///sha-256;00?ver=CBV2.0", "recordTime": "2026-12-04T00:00:00Z",
     "epcList": [uri("R1")], "action": "OBSERVE", "bizStep": "receiving",
     "disposition": "returned", "sourceList": [{"type": "owning_party",
                                                "source": "urn:epc:id:pgln:8991234.00001"}]},
    {"type": "AggregationEvent", "eventTime": "2026-12-03T06:19:01.000+00:00",
     "eventTimeZoneOffset": "+00:00", "parentID": uri("C1"), "action": "DELETE",
     "bizStep": "unpacking"},
    {"type": "ObjectEvent", "eventTime": "2026-12-03T06:19:01.5Z", "eventTimeZoneOffset": "+00:00",
     "epcList": [uri("Q")], "action": "OBSERVE", "disposition": "recalled",
     "bizTransactionList": [{"type": "desadv",
                             "bizTransaction": "urn:epcglobal:cbv:bt:8991234000015:1152"}]},
    {"type": "ObjectEvent", "eventTime": "2026-12-03T06:19:01.5Z", "eventTimeZoneOffset": "+00:00",
     "epcList": [], "action": "OBSERVE"},
]  # fmt: skip


@pytest.mark.parametrize("event", EXAMPLES, ids=range(len(EXAMPLES)))
def test_ids_are_the_reference_implementations(event: dict[str, Any], reference: Any) -> None:
    assert event_id(event) == reference([event])[0]


def test_an_id_is_sha256_of_the_pre_hash_string_in_rfc_6920_form() -> None:
    import hashlib

    digest = hashlib.sha256(pre_hash(PACKED).encode()).hexdigest()
    assert event_id(PACKED) == f"ni:///sha-256;{digest}?ver=CBV2.0"


def test_order_and_spelling_do_not_change_the_id() -> None:
    spelled = {key: PACKED[key] for key in reversed(list(PACKED))}
    spelled.update({"eventTime": "2026-12-03T08:19:01.123000+02:00", "bizStep":
                    "https://ref.gs1.org/cbv/BizStep-packing", "action": " ADD ",
                    "@context": [CONTEXT], "eventID": "ni:///whatever"})  # fmt: skip
    shuffled = {**SHIPPED, "epcList": list(reversed(SHIPPED["epcList"]))}
    assert event_id(spelled) == event_id(PACKED)
    assert event_id(shuffled) == event_id(SHIPPED)


@pytest.mark.parametrize(("field", "value"), [
    ("eventTime", "2026-12-03T06:19:01.124Z"), ("eventTimeZoneOffset", "+07:00"),
    ("parentID", uri("C2")), ("childEPCs", [uri("X"), uri("Y")]), ("action", "DELETE"),
    ("bizStep", "unpacking"), ("disposition", "active"),
    ("readPoint", {"id": "https://id.gs1.org/414/8991234000015"}), ("type", "ObjectEvent"),
])  # fmt: skip
def test_every_field_changes_the_id(field: str, value: Any) -> None:
    assert event_id({**PACKED, field: value}) != event_id(PACKED)


@given(serials=st.lists(st.text(st.characters(codec="ascii", exclude_characters="\x00"),
                                min_size=1, max_size=20), min_size=1, max_size=5, unique=True),
       micros=st.integers(0, 999_999),
       offset=st.sampled_from(["+07:00", "-09:30", "+00:00"]))  # fmt: skip
@settings(max_examples=40, deadline=None)
def test_random_events_hash_as_the_reference(serials: list[str], micros: int, offset: str,
                                             reference: Any) -> None:  # fmt: skip
    event = {"type": "ObjectEvent", "eventTime": f"2026-12-03T06:19:01.{micros // 1000:03d}Z",
             "eventTimeZoneOffset": offset, "epcList": [uri(s) for s in serials],
             "action": "ADD", "bizStep": "commissioning", "disposition": "active"}  # fmt: skip
    assert event_id(event) == reference([event])[0]


# Values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-12-03T13:19:01+07:00", "2026-12-03T06:19:01.000Z"),
    ("2026-12-03T06:19:01.1Z", "2026-12-03T06:19:01.100Z"),
    ("2026-12-03T06:19:01.1234Z", "2026-12-03T06:19:01.123Z"),
    ("2026-12-03T06:19:01.1235Z", "2026-12-03T06:19:01.124Z"),
    ("2026-12-31T23:59:59.9995-00:00", "2027-01-01T00:00:00.000Z"),
    (" 2026-12-03T06:19:01.000+00:00 ", "2026-12-03T06:19:01.000Z"),
])  # fmt: skip
def test_times_are_utc_to_the_millisecond_rounded_half_up(value: str, expected: str) -> None:
    assert canonical_time(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("urn:epc:id:sgtin:8991234.056789.A%2F1", f"https://id.gs1.org/01/{GTIN}/21/A%2F1"),
    ("urn:epc:id:sgtin:8991234.056789.A!1", f"https://id.gs1.org/01/{GTIN}/21/A%211"),
    ("urn:epc:id:sscc:8991234.0000000001", "https://id.gs1.org/00/089912340000000015"),
    ("urn:epc:id:sgln:8991234.00001.X1", "https://id.gs1.org/414/8991234000015/254/X1"),
    ("urn:epc:id:pgln:8991234.00001", "https://id.gs1.org/417/8991234000015"),
    ("urn:epc:id:sgtin:8991234.05678.A1", "urn:epc:id:sgtin:8991234.05678.A1"),  # 12 digits
    ("urn:epc:id:sgln:8991234.00001", "urn:epc:id:sgln:8991234.00001"),  # no extension
    (uri("A/1"), uri("A/1")),
    ("https://id.example.co.id/90/DKL/21/X", "https://id.example.co.id/90/DKL/21/X"),
])  # fmt: skip
def test_epc_urns_become_digital_link_uris(value: str, expected: str) -> None:
    assert canonical_id(value) == expected


def test_cbv_values_become_web_vocabulary_uris() -> None:
    assert vocabulary("disposition", "in_transit") == "https://ref.gs1.org/cbv/Disp-in_transit"
    assert vocabulary("sourceList", "urn:epcglobal:cbv:sdt:owning_party") == (
        "https://ref.gs1.org/cbv/SDT-owning_party")  # fmt: skip
    assert vocabulary("bizStep", "https://example.com/steps/x") == "https://example.com/steps/x"


@given(st.text(max_size=30))
def test_a_serial_round_trips_through_its_urn(serial: str) -> None:
    urn = "urn:epc:id:sgtin:8991234.056789." + "".join(f"%{b:02X}" for b in serial.encode())
    expected = uri(serial) if serial else urn
    assert canonical_id(urn) == expected


# Refusals --------------------------------------------------------------------------------------

HINT = "Hint: Jejak hashes the standard fields of an EPCIS 2.0 event as CBV 2.0 lists them."


@pytest.mark.parametrize(("change", "message"), [
    ({"type": "SensorEvent"}, "Invalid EPCIS event type 'SensorEvent': expected one of "
     "ObjectEvent, AggregationEvent, TransactionEvent, TransformationEvent, AssociationEvent. "
     + HINT),
    ({"ilmd": {}}, "Invalid field 'ilmd' for the event hash: expected only the standard fields "
     "(no quantities, sensor data, ILMD or extensions). " + HINT),
    ({"example:batch": "B1"}, "Invalid field 'example:batch' for the event hash: expected only "
     "the standard fields (no quantities, sensor data, ILMD or extensions). " + HINT),
    ({"eventTime": "2026-12-03T06:19:01"}, ("Invalid EPCIS time '2026-12-03T06:19:01': expected "
     "an ISO 8601 date and time with its offset, e.g. 2026-12-03T13:19:01.123+07:00. Hint: "
     "EPCIS times carry a zone.")),
    ({"eventTime": "2026-13-03T06:19:01Z"}, ("Invalid EPCIS time '2026-13-03T06:19:01Z': "
     "expected an ISO 8601 date and time with its offset, e.g. 2026-12-03T13:19:01.123+07:00. "
     "Hint: EPCIS times carry a zone.")),
    ({"readPoint": "urn:x"}, "Invalid readPoint 'urn:x': expected an object with an id only. "
     + HINT),
    ({"childEPCs": uri("X")}, f"Invalid childEPCs {uri('X')!r}: expected a list. " + HINT),
    ({"action": 1}, "Invalid action 1: expected a string. " + HINT),
    ({"destinationList": [{"destination": 1}]}, "Invalid destinationList 1: expected a string. "
     + HINT),
    ({"sourceList": [{"type": "location"}]}, "Invalid sourceList element {'type': 'location'}: "
     "expected an object with a type and a source. " + HINT),
    ({"persistentDisposition": {"add": []}}, "Invalid persistentDisposition {'add': []}: "
     "expected an object with set and unset lists. " + HINT),
])  # fmt: skip
def test_refusals_say_what_was_expected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidFormat) as raised:
        event_id({**PACKED, **change})
    assert str(raised.value) == message


def test_unreserved_characters_stay_as_they_are_in_uris() -> None:
    assert percent_encode(UNRESERVED) == UNRESERVED

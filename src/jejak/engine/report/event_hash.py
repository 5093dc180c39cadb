"""The CBV 2.0 event hash: an EPCIS event's ID, the same wherever and however it is written.

GS1's Core Business Vocabulary 2.0 names an EPCIS event by the SHA-256 of its canonical
*pre-hash string*, as ``ni:///sha-256;<64 hex digits>?ver=CBV2.0`` (RFC 6920). Jejak uses it as
each event's ``eventID`` and as the idempotency key of its delivery. The pre-hash string is:

- ``eventType=<type>``, then each field present, in the standard's order (`ORDER`): a value as
  ``name=value``; a list as its name followed by its elements, each ``epc=<id>`` (or its parts),
  sorted by their UTF-8 bytes; a structure (``readPoint``) as its name followed by its parts;
- times in UTC to the millisecond (``2026-12-03T06:19:01.123Z``, a sub-millisecond rest
  rounded half up); CBV values (``commissioning``, ``in_transit``, ``owning_party``, or their
  ``urn:epcglobal:cbv:…`` forms) as their web-vocabulary URIs
  (``https://ref.gs1.org/cbv/BizStep-commissioning``); EPC URNs (SGTIN, SSCC, SGLN, PGLN) as
  constrained GS1 Digital Link URIs on ``id.gs1.org``; other identifiers as written (Jejak
  writes its URIs canonical: see `digital_link`);
- joined with nothing, hashed as UTF-8. ``eventID``, ``recordTime``, ``errorDeclaration`` and
  ``@context`` are not part of it.

This module hashes the standard fields an ObjectEvent, AggregationEvent, TransactionEvent,
TransformationEvent or AssociationEvent may carry, except quantities, sensor data, ILMD and
user extensions, which it refuses (`InvalidFormat`): Jejak writes none of them. Where an event
has more than one of ``bizTransactionList``, ``sourceList`` and ``destinationList``, they are
hashed in the standard's order; the reference implementation (``epcis-event-hash-generator``
1.9.3) sorts those three lists among themselves instead, so the two agree on events with at
most one of them (all of Jejak's).

>>> event = {"type": "ObjectEvent", "eventTime": "2026-12-03T13:19:01.123+07:00",
...          "eventTimeZoneOffset": "+07:00", "action": "ADD", "bizStep": "commissioning",
...          "epcList": ["https://id.gs1.org/01/08991234567891/21/B2",
...                      "https://id.gs1.org/01/08991234567891/21/A1"]}
>>> pre_hash(event)
'eventType=ObjectEventeventTime=2026-12-03T06:19:01.123ZeventTimeZoneOffset=+07:00epcListepc=\
https://id.gs1.org/01/08991234567891/21/A1epc=https://id.gs1.org/01/08991234567891/21/B2action=\
ADDbizStep=https://ref.gs1.org/cbv/BizStep-commissioning'
>>> event_id(event)
'ni:///sha-256;9ea18673e37e2215d9fc09ab6d63037497c487c618a87e7faf48ae2bbc7205ac?ver=CBV2.0'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import Any

from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.errors import InvalidFormat
from jejak.engine.report.digital_link import percent_encode
from jejak.engine.text import describe

__all__ = [
    "CBV",
    "ID_PREFIX",
    "ID_SUFFIX",
    "ORDER",
    "EventType",
    "Part",
    "canonical_id",
    "canonical_time",
    "event_id",
    "pre_hash",
    "vocabulary",
]

ID_PREFIX = "ni:///sha-256;"
ID_SUFFIX = "?ver=CBV2.0"
CBV = "https://ref.gs1.org/cbv/"
"""The namespace of CBV 2.0's web vocabulary."""


class EventType(Enum):
    OBJECT = "ObjectEvent"
    AGGREGATION = "AggregationEvent"
    TRANSACTION = "TransactionEvent"
    TRANSFORMATION = "TransformationEvent"
    ASSOCIATION = "AssociationEvent"


class Part(Enum):
    """How a field enters the pre-hash string."""

    TIME = "time"  # name=<UTC, milliseconds>
    TEXT = "text"  # name=<value, trimmed>
    ID = "id"  # name=<canonical identifier>
    IDS = "ids"  # name, then epc=<canonical identifier> for each, sorted
    VOCABULARY = "vocabulary"  # name=<CBV web-vocabulary URI>
    PERSISTENT = "persistent"  # name, then set=<disposition>... unset=<disposition>..., sorted
    LOCATION = "location"  # name, then id=<canonical identifier>
    PARTIES = "parties"  # name, then type=<CBV URI><element>=<identifier> for each, sorted


ORDER: tuple[tuple[str, Part], ...] = (
    ("eventTime", Part.TIME),
    ("eventTimeZoneOffset", Part.TEXT),
    ("certificationInfo", Part.TEXT),
    ("parentID", Part.ID),
    ("epcList", Part.IDS),
    ("inputEPCList", Part.IDS),
    ("childEPCs", Part.IDS),
    ("outputEPCList", Part.IDS),
    ("action", Part.TEXT),
    ("transformationID", Part.ID),
    ("bizStep", Part.VOCABULARY),
    ("disposition", Part.VOCABULARY),
    ("persistentDisposition", Part.PERSISTENT),
    ("readPoint", Part.LOCATION),
    ("bizLocation", Part.LOCATION),
    ("bizTransactionList", Part.PARTIES),
    ("sourceList", Part.PARTIES),
    ("destinationList", Part.PARTIES),
)
"""The fields of the pre-hash string, in CBV 2.0's order (quantity lists, which would come
between the EPC lists, and sensor elements, after the destinations, are not supported)."""

_IGNORED = frozenset({"@context", "type", "eventID", "recordTime", "errorDeclaration"})
_KNOWN = frozenset(name for name, _ in ORDER)
_VOCABULARIES = {  # which CBV vocabulary a field's bare value belongs to
    "bizStep": ("BizStep-", "bizstep"),
    "disposition": ("Disp-", "disp"),
    "persistentDisposition": ("Disp-", "disp"),
    "bizTransactionList": ("BTT-", "btt"),
    "sourceList": ("SDT-", "sdt"),
    "destinationList": ("SDT-", "sdt"),
}
_ELEMENT = {"bizTransactionList": "bizTransaction", "sourceList": "source",
            "destinationList": "destination"}  # fmt: skip
_BARE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_URN = re.compile(r"urn:epc:id:(sgtin|sscc|sgln|pgln):([0-9]+)\.([0-9]*)(?:\.(.+))?", re.ASCII)
_HINT = "Hint: Jejak hashes the standard fields of an EPCIS 2.0 event as CBV 2.0 lists them."


def event_id(event: Mapping[str, Any]) -> str:
    """The event's CBV 2.0 hash ID, ``ni:///sha-256;<hex>?ver=CBV2.0``."""
    digest = hashlib.sha256(pre_hash(event).encode("utf-8")).hexdigest()
    return f"{ID_PREFIX}{digest}{ID_SUFFIX}"


def pre_hash(event: Mapping[str, Any]) -> str:
    """The canonical pre-hash string of an EPCIS 2.0 event (a JSON object as a mapping)."""
    return "".join(_parts(event))


def _parts(event: Mapping[str, Any]) -> Iterator[str]:
    kind = event.get("type")
    if kind not in {t.value for t in EventType}:
        raise InvalidFormat(
            f"Invalid EPCIS event type {describe(kind)}: expected one of "
            f"{', '.join(t.value for t in EventType)}. {_HINT}"
        )
    unknown = sorted(set(event) - _KNOWN - _IGNORED)
    if unknown:
        raise InvalidFormat(
            f"Invalid field {unknown[0]!r} for the event hash: expected only the standard "
            "fields (no quantities, sensor data, ILMD or extensions). " + _HINT
        )
    yield f"eventType={kind}"
    for name, part in ORDER:
        value = event.get(name)
        if value is not None:
            yield _part(name, part, value)


def _part(name: str, part: Part, value: Any) -> str:
    if part is Part.TIME:
        return f"{name}={canonical_time(value)}"
    if part is Part.TEXT:
        return f"{name}={_text(name, value)}"
    if part is Part.ID:
        return f"{name}={canonical_id(_text(name, value))}"
    if part is Part.VOCABULARY:
        return f"{name}={vocabulary(name, _text(name, value))}"
    if part is Part.LOCATION:
        if not isinstance(value, Mapping) or set(value) != {"id"}:
            raise InvalidFormat(f"Invalid {name} {describe(value)}: expected an object with "
                                f"an id only. {_HINT}")  # fmt: skip
        return f"{name}id={canonical_id(_text(name, value['id']))}"
    if part is Part.PERSISTENT:
        return _persistent(name, value)
    if part is Part.IDS:
        return _named(name, [f"epc={canonical_id(_text(name, v))}" for v in _list(name, value)])
    return _named(name, [_party(name, item) for item in _list(name, value)])


def _named(name: str, elements: list[str]) -> str:
    """A list: its name and its elements in byte order (nothing at all when empty)."""
    return name + _sorted(elements) if elements else ""


def _sorted(elements: list[str]) -> str:
    return "".join(sorted(elements, key=lambda e: e.encode("utf-8")))


def _persistent(name: str, value: Any) -> str:
    if not isinstance(value, Mapping) or not set(value) <= {"set", "unset"}:
        raise InvalidFormat(f"Invalid {name} {describe(value)}: expected an object with set "
                            f"and unset lists. {_HINT}")  # fmt: skip
    found = "".join(_sorted([f"{key}={vocabulary(name, _text(name, v))}"
                             for v in _list(name, value.get(key, []))])
                    for key in ("set", "unset"))  # fmt: skip
    return name + found if found else ""


def _party(name: str, item: Any) -> str:
    element = _ELEMENT[name]
    if not isinstance(item, Mapping) or element not in item or not set(item) <= {"type", element}:
        raise InvalidFormat(f"Invalid {name} element {describe(item)}: expected an object "
                            f"with a type and a {element}. {_HINT}")  # fmt: skip
    kind = item.get("type")
    head = "" if kind is None else f"type={vocabulary(name, _text(name, kind))}"
    return f"{head}{element}={canonical_id(_text(name, item[element]))}"


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise InvalidFormat(f"Invalid {name} {describe(value)}: expected a list. {_HINT}")
    return list(value)


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidFormat(f"Invalid {name} {describe(value)}: expected a string. {_HINT}")
    return value.strip()


def canonical_time(value: object) -> str:
    """A time as the pre-hash string holds it: UTC, to the millisecond, ``Z``.

    >>> canonical_time("2026-12-03T13:19:01.1234565+07:00")
    '2026-12-03T06:19:01.123Z'
    >>> canonical_time("2026-12-31T23:59:59.9996Z")
    '2027-01-01T00:00:00.000Z'
    """
    text = value.strip() if isinstance(value, str) else ""
    match = re.fullmatch(r"([^.]+?)(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})", text, re.ASCII)
    try:
        if match is None:
            raise ValueError(text)
        whole = dt.datetime.fromisoformat(match.group(1) + match.group(3).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFormat(
            f"Invalid EPCIS time {describe(value)}: expected an ISO 8601 date and time with "
            "its offset, e.g. 2026-12-03T13:19:01.123+07:00. Hint: EPCIS times carry a zone."
        ) from None
    fraction = (match.group(2) or "").ljust(4, "0")
    millis = int(fraction[:3]) + (fraction[3] >= "5")
    utc = whole.astimezone(dt.UTC) + dt.timedelta(milliseconds=millis)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def vocabulary(name: str, value: str) -> str:
    """A CBV value of field `name` as its web-vocabulary URI; any other URI as it is.

    >>> vocabulary("bizStep", "urn:epcglobal:cbv:bizstep:shipping")
    'https://ref.gs1.org/cbv/BizStep-shipping'
    """
    prefix, urn = _VOCABULARIES[name]
    if _BARE.fullmatch(value):
        return f"{CBV}{prefix}{value}"
    head = f"urn:epcglobal:cbv:{urn}:"
    if value.startswith(head):
        return f"{CBV}{prefix}{value[len(head) :]}"
    return value


def canonical_id(value: str) -> str:
    """An identifier as the pre-hash string holds it: EPC URNs as GS1 Digital Link URIs on
    ``id.gs1.org``; anything else as it is.

    >>> canonical_id("urn:epc:id:sgtin:8991234.056789.A%2F1")
    'https://id.gs1.org/01/08991234567891/21/A%2F1'
    >>> canonical_id("urn:epc:id:sgln:8991234.00001.0")
    'https://id.gs1.org/414/8991234000015'
    """
    match = _URN.fullmatch(value)
    if match is None:
        return value
    scheme, prefix, reference, rest = match.groups()
    digits = prefix + reference
    if scheme == "sgtin" and len(digits) == 13 and reference and rest:
        gtin = reference[0] + prefix + reference[1:]
        serial = percent_encode(urllib.parse.unquote(rest))
        return f"https://id.gs1.org/01/{gtin}{gs1_check_digit(gtin)}/21/{serial}"
    if scheme == "sscc" and len(digits) == 17 and reference and rest is None:
        sscc = reference[0] + prefix + reference[1:]
        return f"https://id.gs1.org/00/{sscc}{gs1_check_digit(sscc)}"
    if scheme in ("sgln", "pgln") and len(digits) == 12:
        key = "414" if scheme == "sgln" else "417"
        if (scheme == "sgln") != (rest is not None):
            return value
        tail = "" if rest in (None, "0") else f"/254/{percent_encode(urllib.parse.unquote(rest))}"
        return f"https://id.gs1.org/{key}/{digits}{gs1_check_digit(digits)}{tail}"
    return value

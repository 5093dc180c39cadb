"""A batch as one EPCIS 2.0 JSON-LD document, for trading partners and L4 systems: what was
commissioned, packed, sampled, destroyed, shipped, returned and recalled, as it happened.

The events come from the store's audit trail, each audit event mapped to its EPCIS events by
one table (`_epcis_events`): ObjectEvent ADD / commissioning for the codes the camera verified,
AggregationEvent ADD / packing (``parentID``, ``childEPCs``) for every case and pallet, DELETE /
unpacking for rework, and ObjectEvents for samples, decommissioning, destruction, shipments,
returns and recalls. ``eventTime`` is the audit event's (UTC, to the millisecond), with the
site's ``eventTimeZoneOffset`` (Indonesia: ``+07:00`` WIB); codes are GS1 Digital Link URIs
(`digital_link`); each ``eventID`` is the CBV 2.0 event hash (`event_hash`), also the event's
idempotency key wherever it is delivered (`epcis_events` gives the events of one audit event).

`write_epcis` streams the document: it reads the batches' events once, in log order (found
through the store's event index: other batches' events are never read), writes each event as
it is made, a page of codes at a time, and never holds the document; a long list of codes is
cut into events of `EpcisSettings.chunk` codes. Write it to a temporary file and rename it
when done: a refusal part-way (`ReportRefused`) leaves a partial document behind.

>>> EpcisSettings.parse(offset="+07:00", read_point="urn:epc:id:sgln:8991234.00001.0").offset
'+07:00'
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from jejak.engine.batch_record import BatchRecord
from jejak.engine.errors import InvalidFormat, InvalidQuantity, ReportRefused
from jejak.engine.report._epcis_events import (
    HistoryOracle,
    Oracle,
    ReplayOracle,
    concerns,
    drafts,
)
from jejak.engine.report._epcis_render import Renderer
from jejak.engine.report.digital_link import DigitalLinks, Location, PartnerTemplate
from jejak.engine.report.event_hash import EventType
from jejak.engine.store import Event, StoreView
from jejak.engine.text import describe

__all__ = [
    "CONTEXT",
    "SCHEMA_VERSION",
    "EpcisCounts",
    "EpcisSettings",
    "epcis_events",
    "write_epcis",
]

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SCHEMA_VERSION = "2.0"
DEFAULT_CHUNK = 10_000
_OFFSET = re.compile(r"[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00)", re.ASCII)
_FLUSH = 1 << 20  # bytes buffered before a write


@dataclass(frozen=True, slots=True)
class EpcisSettings:
    """A site's EPCIS settings: how its codes keyed by NIE and its partners are named as URIs
    (none: such codes are refused, partners left out), its read point and business location,
    its time-zone offset, and how many codes one event lists at most."""

    links: DigitalLinks = field(default_factory=DigitalLinks)
    read_point: Location | None = None
    biz_location: Location | None = None
    offset: str = "+00:00"
    partners: PartnerTemplate | None = None
    chunk: int = DEFAULT_CHUNK

    @classmethod
    def parse(cls, *, nie_template: object = None, read_point: object = None,
              biz_location: object = None, offset: object = None,
              partner_template: object = None, chunk: object = None) -> EpcisSettings:  # fmt: skip
        """Validate settings as given on the command line, in the environment or a file."""
        return cls(
            DigitalLinks.parse(nie_template=nie_template),
            None if read_point is None else Location.parse(read_point),
            None if biz_location is None else Location.parse(biz_location),
            _offset(offset),
            None if partner_template is None else PartnerTemplate.parse(partner_template),
            _chunk(chunk),
        )


def _offset(value: object) -> str:
    if value is None:
        return "+00:00"
    if not isinstance(value, str) or not _OFFSET.fullmatch(value.strip()):
        raise InvalidFormat(
            f"Invalid time-zone offset {describe(value)}: expected +HH:MM or -HH:MM from -14:00 "
            "to +14:00. Hint: Indonesia's WIB is +07:00, WITA +08:00, WIT +09:00."
        )
    return value.strip()


def _chunk(value: object) -> int:
    if value is None:
        return DEFAULT_CHUNK
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise InvalidQuantity(
            f"Invalid EPCIS chunk {describe(value)}: expected 1 to 1000000 codes an event. "
            f"Hint: {DEFAULT_CHUNK} suits most receivers."
        )
    return value


@dataclass(frozen=True, slots=True)
class EpcisCounts:
    """What a document holds: events by type, and how many codes they list in all."""

    object_events: int = 0
    aggregation_events: int = 0
    epcs: int = 0

    @property
    def events(self) -> int:
        return self.object_events + self.aggregation_events

    def as_json(self) -> dict[str, int]:
        return {"events": self.events, "object_events": self.object_events,
                "aggregation_events": self.aggregation_events, "epcs": self.epcs}  # fmt: skip


def _renderer(view: StoreView, settings: EpcisSettings) -> Renderer:
    return Renderer(view, links=settings.links, read_point=settings.read_point,
                    biz_location=settings.biz_location, offset=settings.offset,
                    partners=settings.partners, chunk=settings.chunk)  # fmt: skip


def epcis_events(view: StoreView, record: BatchRecord, event: Event,
                 settings: EpcisSettings | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The EPCIS events (JSON objects) that one audit event maps to, as `write_epcis` writes
    them into the document of `record`'s batch with the same `settings`: none when the event
    reports nothing or is not about the batch's codes. Their ``eventID``s are the idempotency
    keys of their delivery. The same audit event gives the same events whenever it is asked
    (its own unit of work included) and whichever of its batches asks."""
    if not concerns(view, event, {record.batch: record.batch_id}):
        return []
    renderer = _renderer(view, settings or EpcisSettings())
    return [json.loads(text) for draft in drafts(view, event, HistoryOracle())
            for text, _ in renderer.render(event, draft)]  # fmt: skip


def write_epcis(view: StoreView, records: Sequence[BatchRecord], out: BinaryIO,
                settings: EpcisSettings | None = None, *,
                created: str | None = None) -> EpcisCounts:  # fmt: skip
    """Stream the EPCIS 2.0 document of `records`' batches to `out`: every event about their
    codes, in the order they happened. `created`: the ``creationDate`` (now by default)."""
    settings = settings or EpcisSettings()
    _check(records, settings)
    batches = {record.batch: record.batch_id for record in records}
    when = created or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    head = {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": SCHEMA_VERSION,
            "creationDate": when.replace("+00:00", "Z")}  # fmt: skip
    buffer = bytearray(json.dumps(head, separators=(",", ":"))[:-1].encode())
    buffer += b',"epcisBody":{"eventList":['
    tally = {EventType.OBJECT: 0, EventType.AGGREGATION: 0}
    epcs, separator = 0, b"\n"
    renderer, oracle = _renderer(view, settings), ReplayOracle()
    for event in view.batch_events(records):  # through the event index, not the whole log
        for draft in _drafts(view, event, batches, oracle):
            for text, listed in renderer.render(event, draft):
                buffer += separator
                buffer += text
                separator = b",\n"
                tally[draft.what.type] += 1
                epcs += listed
                if len(buffer) >= _FLUSH:
                    out.write(buffer)
                    buffer.clear()
        oracle.observe(view, event)
    buffer += b"\n]}}\n"
    out.write(buffer)
    return EpcisCounts(tally[EventType.OBJECT], tally[EventType.AGGREGATION], epcs)


def _drafts(view: StoreView, event: Event, batches: dict[str, int], oracle: Oracle) -> list[Any]:
    return drafts(view, event, oracle) if concerns(view, event, batches) else []


def _check(records: Sequence[BatchRecord], settings: EpcisSettings) -> None:
    """Refuse, before anything is written, a batch whose codes have no URI."""
    if not records:
        raise ReportRefused("Cannot write an EPCIS document of no batch. Hint: name a batch.")
    for record in records:
        if record.identification is not None:
            raise ReportRefused(
                f"Batch {record.batch!r} is an identification batch: its one code names no "
                "single pack, and EPCIS events need serialised codes. Hint: EPCIS documents "
                "are for batches with authentication codes."
            )
        for allocation in record.levels:
            settings.links.affixes(record, allocation.level)

"""EPCIS events as JSON text, each with its CBV 2.0 event hash, a page of codes at a time.

A `Draft` becomes one event for each chunk of its codes (an ObjectEvent's ``epcList``), or for
each container and chunk of its children (an AggregationEvent). What is the same in all the
events of a draft — type, time, action, step, disposition, locations, partner — is written
once, as a `_Template`: the JSON text and the pre-hash string (`event_hash.pre_hash`, the one
implementation of it) of an event whose parent and identifiers are placeholders, cut at the
placeholders. Each event is then the template with its parent's URI and its identifiers put
in: the identifiers as byte rows (`_rows`), sorted by their bytes (the pre-hash string's order,
which is also the order the document lists them in), framed as ``epc=<uri>`` for the hash and
``"<uri>"`` for the JSON, and joined in numpy. Only the hash itself and the slicing are done
event by event. Digital Link URIs need no JSON escaping: every byte of them is printable ASCII
and none is a quote or a backslash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import Level
from jejak.engine.report._epcis_events import Draft, Refs
from jejak.engine.report._rows import Matrix, framed, joined, lengths, order, stacked, texts
from jejak.engine.report.digital_link import DigitalLinks, Location, PartnerTemplate
from jejak.engine.report.event_hash import ID_PREFIX, ID_SUFFIX, EventType, pre_hash
from jejak.engine.store import PAGE, Event, StoreView

__all__ = ["Renderer", "event_time"]

_ID, _PARENT, _IDS = 0, 1, 2  # the placeholders of a template
_HASH_MARKS = re.compile("(\x01|epc=\x00)")
_JSON_MARKS = re.compile(r'("\\u0002"|"\\u0001"|"\\u0000")')
_SLOT = {"\x01": _PARENT, "epc=\x00": _IDS, '"\\u0002"': _ID, '"\\u0001"': _PARENT,
         '"\\u0000"': _IDS}  # fmt: skip
_Piece = bytes | int


def event_time(time: str) -> str:
    """An audit event's time (UTC, microseconds) as EPCIS writes it: UTC, to the millisecond
    (cut, not rounded: a time never moves into the next second).

    >>> event_time("2026-12-03T06:19:01.123999+00:00")
    '2026-12-03T06:19:01.123Z'
    """
    moment = dt.datetime.fromisoformat(time).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _pieces(text: str, marks: re.Pattern[str]) -> tuple[_Piece, ...]:
    """A template's text cut at its placeholders: literal bytes and slots."""
    return tuple(_SLOT[part] if at % 2 else part.encode("utf-8")
                 for at, part in enumerate(marks.split(text)) if part)  # fmt: skip


class _Template:
    """The text of the events of one draft around their variable parts."""

    __slots__ = ("_hash", "_json")

    def __init__(self, fields: dict[str, Any], *, parent: bool, ids: str | None) -> None:
        head = {k: fields[k] for k in ("type", "eventTime", "eventTimeZoneOffset")}
        body = {k: v for k, v in fields.items() if k not in head}
        event = {**head, "eventID": "\x02", **({"parentID": "\x01"} if parent else {}),
                 **({ids: ["\x00"]} if ids else {}), **body}  # fmt: skip
        self._hash = _pieces(pre_hash(event), _HASH_MARKS)
        self._json = _pieces(json.dumps(event, separators=(",", ":")), _JSON_MARKS)

    def render(self, parent: bytes, ids_hash: bytes, ids_json: bytes) -> bytes:
        """One event: the parent's URI and the identifiers (framed and joined) put in."""
        digest = hashlib.sha256()
        for piece in self._hash:
            digest.update(piece if isinstance(piece, bytes) else
                          parent if piece == _PARENT else ids_hash)  # fmt: skip
        values = {_ID: f'"{ID_PREFIX}{digest.hexdigest()}{ID_SUFFIX}"'.encode("ascii"),
                  _PARENT: b'"' + parent + b'"', _IDS: ids_json}  # fmt: skip
        return b"".join(p if isinstance(p, bytes) else values[p] for p in self._json)


class Renderer:
    """Drafts as EPCIS 2.0 JSON events (compact, one event a `bytes`), in one store view."""

    __slots__ = ("_chunk", "_links", "_locations", "_offset", "_partners", "_view")

    def __init__(self, view: StoreView, *, links: DigitalLinks, read_point: Location | None,
                 biz_location: Location | None, offset: str,
                 partners: PartnerTemplate | None, chunk: int) -> None:  # fmt: skip
        self._view, self._links, self._offset = view, links, offset
        self._partners, self._chunk = partners, chunk
        self._locations = {name: {"id": where.uri} for name, where in
                           (("readPoint", read_point), ("bizLocation", biz_location))
                           if where is not None}  # fmt: skip

    def render(self, event: Event, draft: Draft) -> Iterator[tuple[bytes, int]]:
        """Each EPCIS event of a draft, and how many identifiers it lists."""
        aggregation = draft.what.type is EventType.AGGREGATION
        ids = ("childEPCs" if aggregation else "epcList") if draft.refs.size else None
        template = _Template(self._fields(event, draft), parent=aggregation, ids=ids)
        if not aggregation:
            yield from self._objects(template, draft.refs)
            return
        if draft.parents is None:
            raise ValueError("An AggregationEvent's draft names its containers.")
        if not draft.refs.size:
            for parent in texts(self._uri_rows(draft.parents)):
                yield template.render(parent, b"", b""), 0
        else:
            yield from self._aggregations(template, draft.parents, draft.refs)

    def _fields(self, event: Event, draft: Draft) -> dict[str, Any]:
        what = draft.what
        fields: dict[str, Any] = {"type": what.type.value, "eventTime": event_time(event.time),
                                  "eventTimeZoneOffset": self._offset,
                                  "action": what.action.value}  # fmt: skip
        if what.step is not None:
            fields["bizStep"] = what.step.value
        if what.disposition is not None:
            fields["disposition"] = what.disposition.value
        fields.update(self._locations)
        if draft.party is not None and self._partners is not None:
            name, partner = draft.party
            key = "destination" if name == "destinationList" else "source"
            fields[name] = [{"type": "owning_party", key: self._partners.uri(partner)}]
        return fields

    def _objects(self, template: _Template, refs: Refs) -> Iterator[tuple[bytes, int]]:
        for start in range(0, refs.size, self._chunk):
            rows = self._uri_rows(refs[start : start + self._chunk])
            rows = rows[order(rows)]
            yield template.render(b"", joined(framed(rows, b"epc=", b"")),
                                  joined(framed(rows, b',"', b'"'))[1:]), rows.shape[0]  # fmt: skip

    def _aggregations(self, template: _Template, parents: Refs,
                      children: Refs) -> Iterator[tuple[bytes, int]]:  # fmt: skip
        """One event for each container and chunk of its children, a block of containers
        holding about a page of children at a time."""
        starts = np.flatnonzero(np.concatenate(([True], parents[1:] != parents[:-1])))
        bounds = np.append(starts, parents.size)
        cuts = np.unique(np.searchsorted(starts, np.arange(0, children.size, PAGE)))
        cuts = cuts[cuts < starts.size]
        for lo, hi in zip(cuts.tolist(), [*cuts[1:].tolist(), starts.size], strict=True):
            first, last = int(bounds[lo]), int(bounds[hi])
            yield from self._block(template, parents[starts[lo:hi]], children[first:last],
                                   bounds[lo : hi + 1] - first)  # fmt: skip

    def _block(self, template: _Template, parents: Refs, children: Refs,
               bounds: npt.NDArray[np.int64]) -> Iterator[tuple[bytes, int]]:  # fmt: skip
        rows = self._uri_rows(children)
        group = np.repeat(np.arange(parents.size, dtype=np.int64), np.diff(bounds))
        rows = rows[order(rows, group)]  # by URI within each container
        hashed, hashed_at = _flat(framed(rows, b"epc=", b""))
        listed, listed_at = _flat(framed(rows, b',"', b'"'))
        for at, parent in enumerate(texts(self._uri_rows(parents))):
            end = int(bounds[at + 1])
            for lo in range(int(bounds[at]), end, self._chunk):
                hi = min(lo + self._chunk, end)
                text = template.render(parent, hashed[hashed_at[lo] : hashed_at[hi]],
                                       listed[listed_at[lo] + 1 : listed_at[hi]])  # fmt: skip
                yield text, hi - lo

    def _uri_rows(self, refs: Refs) -> Matrix:
        """The URIs of codes (packed references, of any batches and levels) as byte rows, in
        the order given."""
        heads = refs >> np.uint64(32)
        if not refs.size or int(heads.min()) == int(heads.max()):
            return self._level_rows(int(heads[0]) if refs.size else 0, refs)
        parts, positions = [], []
        for head in np.unique(heads).tolist():
            at = np.flatnonzero(heads == head)
            parts.append(self._level_rows(head, refs[at]))
            positions.append(at)
        out = stacked(parts)
        out[np.concatenate(positions)] = out.copy()
        return out

    def _level_rows(self, head: int, refs: Refs) -> Matrix:
        if not refs.size:
            return np.zeros((0, 0), dtype=np.uint8)
        record = self._view.batch_by_id(head >> 8)
        indices = (refs & np.uint64(0xFFFFFFFF)).astype(np.int64)
        return self._links.uri_rows(self._view, record, Level(head & 0xFF), indices)


def _flat(rows: Matrix) -> tuple[bytes, npt.NDArray[np.int64]]:
    """The rows joined, and where each row starts in them (and where the last one ends)."""
    return joined(rows), np.concatenate(([0], np.cumsum(lengths(rows))))

"""A time window of a usage report: the primary codes whose reported facts changed in it.

Art. 12 asks for a report within 24 hours of each activity; a site that uploads the CSV once a
day reports the codes of that day's activities. Every reportable activity is in the outbox
with its time and the codes it names (`engine.outbox`): the window's codes are those named
by the records of the window, and the report gives each its facts as the store holds them at
the end (its status now, its case and pallet now):

- usage records (verdicts, samples, rejects, destruction): their rows' primary codes;
- aggregation records: each link's child, or for a case put on or taken off a pallet, the
  packs inside it (their pallet column changed);
- returns: every primary code inside the codes returned; a recall: the batch's every code.

Records are numbered in the order of their activities, so the window's first record is found
by a binary search and the walk stops at its end (a clock set back on the line PC could
misplace the activities around that moment: keep it synchronised, as GMP asks anyway).
Shipments change no usage fact (a shipped code stays active). A store migrated from before
the outbox has no records of its earlier activities: a window over that time is empty.

>>> w = Window.parse(since="2026-12-01T00:00:00+07:00", until="2026-12-02")
>>> w.since.isoformat(), w.until.isoformat()
('2026-11-30T17:00:00+00:00', '2026-12-02T00:00:00+00:00')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import Level
from jejak.engine.errors import InvalidDate, JejakError
from jejak.engine.store import CodeRef, OutboxRecord, StoreView, resolve

__all__ = ["Window", "window_codes"]

_CODE_KEYS = ("primary_code", "secondary_code", "tertiary_code")


@dataclass(frozen=True, slots=True)
class Window:
    """From `since` (inclusive) to `until` (exclusive), both UTC."""

    since: dt.datetime
    until: dt.datetime

    @classmethod
    def parse(cls, *, since: object, until: object = None,
              now: dt.datetime | None = None) -> Window:  # fmt: skip
        """ISO 8601 dates or times (a time without an offset is UTC; a date is its
        midnight); `until` defaults to now."""
        start = _instant(since, "--since")
        end = (now or dt.datetime.now(dt.UTC)) if until is None else _instant(until, "--until")
        if not start < end:
            raise InvalidDate(
                f"Invalid window {since!r} to {until!r}: expected its start before its end. "
                "Hint: e.g. --since 2026-12-01T00:00:00+07:00 --until 2026-12-02T00:00:00+07:00."
            )
        return cls(start, end)


def _instant(value: object, what: str) -> dt.datetime:
    try:
        if not isinstance(value, str):
            raise ValueError
        found = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidDate(
            f"Invalid {what} {value!r}: expected an ISO 8601 date or time, e.g. 2026-12-01 or "
            "2026-12-01T00:00:00+07:00. Hint: a time without an offset is UTC."
        ) from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=dt.UTC)
    return found.astimezone(dt.UTC)


Indices = npt.NDArray[np.int64]


def window_codes(view: StoreView, window: Window,
                 records: Sequence[BatchRecord] | None = None) -> dict[int, Indices]:  # fmt: skip
    """{batch id: the sorted indices of its primary codes named in the window} for the
    batches of `records` (all when None)."""
    wanted = None if records is None else {r.batch_id for r in records}
    found: dict[int, set[int]] = {}
    for record in view.outbox_records(start=_first_at(view, window.since)):
        when = _instant(str(record.body.get("time")), "time")
        if when >= window.until:
            break  # records are queued in the order their activities happened
        if when < window.since:
            continue
        for ref in _named(view, record):
            if wanted is None or ref.batch_id in wanted:
                found.setdefault(ref.batch_id, set()).add(ref.index)
    return {batch_id: np.array(sorted(indices), dtype=np.int64)
            for batch_id, indices in sorted(found.items())}  # fmt: skip


def _first_at(view: StoreView, since: dt.datetime) -> int:
    """The number of the first outbox record of an activity at or after `since`: a binary
    search (records are numbered in the order of their activities' times)."""
    low, high = 1, view.outbox_last() + 1
    while low < high:
        middle = (low + high) // 2
        if _instant(str(view.outbox_record(middle).body.get("time")), "time") < since:
            low = middle + 1
        else:
            high = middle
    return low


def _named(view: StoreView, record: OutboxRecord) -> Iterator[CodeRef]:
    """The primary codes whose usage facts an outbox record changed."""
    body: Mapping[str, Any] = record.body
    if record.topic == "usage":
        yield from _primaries(view, (row.get("primary_code") for row in body.get("rows", ())))
    elif record.topic == "aggregation":
        links = body.get("links", {})
        for link in [*links.get("add", ()), *links.get("remove", ())]:
            yield from _primaries(view, [link.get("child")])
    elif record.topic == "return":
        for row in body.get("rows", ()):
            yield from _primaries(view, (row.get(key) for key in _CODE_KEYS))
    elif record.topic == "recall":
        batch = view.batch(str(body["recall"]["batch"]))
        for index in range(batch.level(Level.PRIMARY).count):
            yield CodeRef(batch.batch_id, Level.PRIMARY, index)


def _primaries(view: StoreView, texts: Iterable[object]) -> Iterator[CodeRef]:
    """The primary codes `texts` name: a pack itself, a case's or pallet's packs (now)."""
    for text in texts:
        if not isinstance(text, str) or text in ("", "0"):
            continue
        try:
            ref = resolve(view, text).ref
        except JejakError:  # a code the store no longer resolves: nothing to report of it
            continue
        frontier = [ref]
        while frontier:
            code = frontier.pop()
            if code.level is Level.PRIMARY:
                yield code
                continue
            for child in view.children(code).tolist():
                frontier.append(CodeRef(child >> 40, Level(child >> 32 & 0xFF),
                                        child & 0xFFFFFFFF))  # fmt: skip

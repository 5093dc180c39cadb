"""The outbox: every reportable activity queued for the regulator in the unit of work that
records it, with its deadline (Regulation 33/2018 Art. 12(5): within 24 hours), and what is
still to deliver.

`Outbox` is a store hook (`Store(..., hooks=[Outbox()])`, or `install(store)`). For each event
of a reportable kind it defers its work to the end of the unit (so it sees every code the
event was entered under, and the final states), then queues one record, or several for a
large activity (parts of at most `PART` rows or links each):

==============================================  ===========  ================================
activity (event)                                topic        body
==============================================  ===========  ================================
``line.verify`` good / rejected                 usage        rows: active / reject
``line.sample``, ``agg.sample``                 usage        rows: retained sample (and the
                                                             links the packs left)
``print.failed`` (labels scrapped)              usage        rows: reject
``codes.transition`` to a reported status       usage        rows with that status
``agg.destroy``                                 usage        rows: reject, the link it left
``agg.pack/unpack/replace/reset/dissolve/move`` aggregation  links added and removed
``ship.send``                                   shipment     rows of the outermost codes
``ship.return``                                 return       rows, reason, from whom
``ship.recall``                                 recall       batch, reason, letter, count
==============================================  ===========  ================================

A record's **key** is its idempotency key everywhere: the CBV 2.0 event hash (the EPCIS
``eventID``, `report.event_hash.event_id`) of the first EPCIS event the activity maps to
(`report.epcis.epcis_events`, with the site's `EpcisSettings`: the same as its EPCIS
documents', since they shape the events); for an activity EPCIS does not express (a rejected
label, never commissioned; a code keyed by NIE with no site URI template) the SHA-256 of its
audit event (``jejak-audit:sha-256:<hex>``). One record per activity, keyed by its first EPCIS
event: an activity of several EPCIS events (packing that commissions its case, then links
it) is one delivery; its body says the first one's ``eventID`` (``epcis_event_id``, null for
none) and how many there are (``epcis_events``). A record cut in parts carries
``#part-<k>-of-<n>`` after that key.

A **body** (a JSON object) holds ``activity`` (the event kind), ``time`` (when it happened),
``event`` (the audit event's number), ``epcis_event_id``, ``epcis_events``, ``part`` and
``parts``, and by
topic: ``rows`` (usage rows keyed by `usage.FIELDS`; shipping and return rows keyed by
`shipping.KEYS`), ``links`` (``add`` and ``remove``: ``parent``, ``parent_level``,
``child``, ``child_level``) and the topic's facts (``destination_id``; ``reason``, ``from``;
``recall``). Rows carry ``partner_id`` null: the submitting site's partner ID is filled in
when the record is sent (`jejak.regulator`), so that a line needs no regulator settings.

The hook costs the line the text of each event's codes (one at a time for a few, in bulk for
many), the EPCIS mapping and one LMDB put per record, inside a unit that commits anyway: about
2 ms on a unit of 10 verdicts here, 6 ms when numba's parallel formatter (the EPCIS URIs)
competes for busy cores. It does no I/O: delivery never runs on the line, `jejak report
submit` does it, later, from the queue.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jejak.engine import _outbox_body
from jejak.engine._outbox_body import REPORTED, Report, Topic
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm
from jejak.engine.errors import InvalidFormat, ReportRefused
from jejak.engine.report import epcis, event_hash
from jejak.engine.report.epcis import EpcisSettings
from jejak.engine.store import Event, OutboxRecord, Store, StoreView, UnitOfWork
from jejak.engine.store.view import Attempt

__all__ = [
    "DUE_WITHIN",
    "PART",
    "SITE_ENV",
    "Outbox",
    "OutboxSettings",
    "Pending",
    "Topic",
    "due_of",
    "epcis_key",
    "install",
    "pending",
    "site_epcis",
]

DUE_WITHIN = dt.timedelta(hours=24)  # Art. 12(5): each activity reported within 24 hours
PART = 5_000  # rows or links in one record at most: a larger activity goes in parts
AUDIT_KEY = "jejak-audit:sha-256:"


@dataclass(frozen=True, slots=True)
class OutboxSettings:
    """A site's settings for its reports to the regulator: the form of the codes (HRI by
    default, as the usage report), and its EPCIS settings (the same as its EPCIS documents':
    they make the events, so the keys)."""

    form: CodeForm = CodeForm.HRI
    epcis: EpcisSettings = field(default_factory=EpcisSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> OutboxSettings:
        """The site's settings as its environment gives them (`SITE_ENV`): the settings of
        every store a command or a line opens, so that the keys a line queues are the event
        IDs `jejak report epcis` writes."""
        return cls.parse(form=None, epcis=site_epcis(environ))

    @classmethod
    def parse(cls, *, form: object = None, epcis: EpcisSettings | None = None) -> OutboxSettings:
        links = epcis or EpcisSettings()
        if form is None:
            return cls(CodeForm.HRI, links)
        try:
            return cls(CodeForm(str(form)), links)
        except ValueError:
            raise InvalidFormat(
                f"Invalid code form {form!r}: expected one of "
                f"{', '.join(f.value for f in CodeForm)}. Hint: hri is what BPOM's template "
                "shows."
            ) from None


SITE_ENV = {
    "offset": "JEJAK_EPCIS_OFFSET",  # eventTimeZoneOffset; default +07:00 (WIB)
    "nie_template": "JEJAK_NIE_URI_TEMPLATE",  # URIs of codes keyed by NIE
    "partner_template": "JEJAK_PARTNER_URI_TEMPLATE",  # URIs of trading partners
    "read_point": "JEJAK_READ_POINT",  # a GLN as Digital Link URI or SGLN URN
    "biz_location": "JEJAK_BIZ_LOCATION",
}
"""The environment variables of a site's EPCIS settings, by `EpcisSettings.parse` argument."""
SITE_OFFSET = "+07:00"  # western Indonesian time (WIB), where a site sets no offset


def site_epcis(environ: Mapping[str, str] | None = None,
               **given: object) -> EpcisSettings:  # fmt: skip
    """A site's EPCIS settings: each from `given` (a command's flags) when not None, else
    from the environment (`SITE_ENV`), else the default (the offset: `SITE_OFFSET`)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, variable in SITE_ENV.items():
        value = given.get(name)
        values[name] = value if value is not None else (env.get(variable) or None)
    if values["offset"] is None:
        values["offset"] = SITE_OFFSET
    return EpcisSettings.parse(**values)


def due_of(time: str) -> str:
    """The deadline of an activity at `time` (ISO 8601, UTC): 24 hours later."""
    return (dt.datetime.fromisoformat(time) + DUE_WITHIN).isoformat(timespec="seconds")


def epcis_key(view: StoreView, record: BatchRecord, event: Event,
              settings: EpcisSettings) -> tuple[str | None, int]:  # fmt: skip
    """The CBV 2.0 event hash of the first EPCIS event `event` maps to (the ``eventID`` the
    site's EPCIS documents give it), and how many it maps to; (None, 0) when EPCIS cannot
    express it: a code keyed by NIE with no site URI template has no EPCIS identity."""
    try:
        events = epcis.epcis_events(view, record, event, settings)
    except ReportRefused:
        return None, 0
    return (event_hash.event_id(events[0]) if events else None), len(events)


class Outbox:
    """The store hook that queues every reportable activity (see the module)."""

    __slots__ = ("settings",)

    def __init__(self, settings: OutboxSettings | None = None) -> None:
        self.settings = settings or OutboxSettings()

    def __call__(self, uow: UnitOfWork, event: Event) -> None:
        if event.what in REPORTED:
            uow.at_finish(functools.partial(self._queue, event))

    def _queue(self, event: Event, uow: UnitOfWork) -> list[OutboxRecord]:
        codes = uow.codes_of(event)
        if not codes or codes[0][0].identification is not None:
            return []  # identification packs share one code: nothing to track or report
        found = _outbox_body.report(uow, event, codes, self.settings.form)
        if found is None:
            return []
        first, count = epcis_key(uow, codes[0][0], event, self.settings.epcis)
        key = first or AUDIT_KEY + event.hash
        parts = _parts(found)
        due = due_of(event.time)
        queued = []
        for number, part in enumerate(parts, start=1):
            body = _body(event, (first, count), part, number, len(parts))
            part_key = key if len(parts) == 1 else f"{key}#part-{number}-of-{len(parts)}"
            queued.append(uow.enqueue(found.topic.value, part_key, due, body, event))
        return queued


def install(store: Store, settings: OutboxSettings | None = None) -> Outbox:
    """Add the outbox hook to `store` (once: a store that has one keeps it)."""
    for hook in store.hooks:
        if isinstance(hook, Outbox):
            return hook
    hook = Outbox(settings)
    store.hooks.append(hook)
    return hook


def _parts(found: Report) -> list[Report]:
    """`found` cut into parts of at most `PART` rows and links each (the facts in each)."""
    size = max(len(found.rows), len(found.add) + len(found.remove))
    if size <= PART:
        return [found]
    links = [("add", link) for link in found.add] + [("remove", link) for link in found.remove]
    parts = []
    for start in range(0, size, PART):
        chunk = links[start : start + PART]
        parts.append(Report(found.topic, found.rows[start : start + PART],
                            [link for kind, link in chunk if kind == "add"],
                            [link for kind, link in chunk if kind == "remove"],
                            found.facts))  # fmt: skip
    return parts


def _body(event: Event, epcis_of: tuple[str | None, int], part: Report, number: int,
          parts: int) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"activity": event.what.value, "time": event.time,
                            "event": event.seq, "epcis_event_id": epcis_of[0],
                            "epcis_events": epcis_of[1], "part": number,
                            "parts": parts}  # fmt: skip
    if part.rows or part.topic in (Topic.USAGE, Topic.SHIPMENT, Topic.RETURN):
        body["rows"] = part.rows
    if part.add or part.remove or part.topic is Topic.AGGREGATION:
        body["links"] = {"add": part.add, "remove": part.remove}
    body.update(part.facts if part.topic is not Topic.RECALL else {"recall": part.facts})
    return body


# What is still to deliver ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pending:
    """A record not sent yet: its attempts so far and the last one, and whether its deadline
    has passed."""

    record: OutboxRecord
    attempts: int
    last: Attempt | None
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        last = self.last
        return {"seq": self.record.seq, "topic": self.record.topic, "key": self.record.key,
                "activity": self.record.body.get("activity"), "event": self.record.event,
                "due": self.record.due, "overdue": self.overdue, "attempts": self.attempts,
                "last_outcome": None if last is None else last.outcome.value,
                "last_status": None if last is None else last.status,
                "last_detail": None if last is None else last.detail,
                "last_attempt_at": None if last is None else last.started}  # fmt: skip


def pending(view: StoreView, *, now: dt.datetime | None = None,
            limit: int | None = None) -> list[Pending]:  # fmt: skip
    """Every record not sent yet (up to `limit`), oldest first."""
    when = now or dt.datetime.now(dt.UTC)
    found = []
    for record in view.queued(limit=limit):
        attempts = view.attempts(record.seq)
        overdue = dt.datetime.fromisoformat(record.due) < when
        found.append(Pending(record, len(attempts), attempts[-1] if attempts else None, overdue))
    return found

"""What the test server accepts: the shape of each topic's payload (`wire` says how it travels).

`problem(payload, topic, partner_id)` returns None for a payload the API would take, else what
is wrong with it (the first thing found), for the server's ``invalid_payload`` answer. It checks
the envelope (key, topic, partner, deadline, the activity and its time, the EPCIS event IDs,
the part), then by topic: usage rows with exactly the usage report's fields (`usage.FIELDS`)
and exactly one of active / retained sample / reject true; links with both ends and their
levels; shipping and return rows with the shipping report's fields (`shipping.KEYS`) and the
code in exactly one level column; a recall's batch, reason and count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from jejak.engine.codes import Level
from jejak.engine.outbox import Topic
from jejak.engine.report.shipping import KEYS as SHIPPING_KEYS
from jejak.engine.report.usage import FIELDS

__all__ = ["problem"]

_USAGE = frozenset(f.key for f in FIELDS)
_SHIPPING = frozenset(SHIPPING_KEYS)
_RETURN = _SHIPPING - {"destination_id"}
_FLAGS = ("active", "retained_sample", "reject")
_CODES = ("primary_code", "secondary_code", "tertiary_code")
_LEVELS = frozenset(level.name.lower() for level in Level)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ENVELOPE = {"key": str, "topic": str, "partner_id": str, "due": str, "activity": str,
             "time": str, "event": int, "epcis_events": int, "part": int,
             "parts": int}  # fmt: skip


def problem(payload: Any, topic: str, partner_id: str) -> str | None:
    """What is wrong with `payload` sent to `topic` by `partner_id` (None: nothing)."""
    if not isinstance(payload, dict):
        return "the body is not a JSON object"
    for name, kind in _ENVELOPE.items():
        value = payload.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{name!r} is missing or not a {kind.__name__}"
    if payload["topic"] != topic:
        return f"topic {payload['topic']!r} posted to {topic!r}"
    if payload["partner_id"] != partner_id:
        return "partner_id is not the caller's"
    if not 1 <= payload["part"] <= payload["parts"]:
        return "part is not within 1..parts"
    for name in ("due", "time"):
        if not _is_time(payload[name]):
            return f"{name!r} is not an ISO 8601 time with its offset"
    first = payload.get("epcis_event_id")
    if (first is None) != (payload["epcis_events"] == 0) or not (
            first is None or (isinstance(first, str) and first)):  # fmt: skip
        return "epcis_event_id is not the ID of the first of epcis_events"
    return _BY_TOPIC[Topic(topic)](payload, partner_id)


def _usage(payload: Mapping[str, Any], partner_id: str) -> str | None:
    rows = payload.get("rows")
    if not isinstance(rows, list) or (not rows and "links" not in payload):
        return "usage needs rows"
    for at, row in enumerate(rows):
        found = _row(row, _USAGE, partner_id)
        if found is None and sum(row[f] is True for f in _FLAGS) != 1:
            found = "not exactly one of active, retained_sample and reject is true"
        if found is None and not isinstance(row["primary_code"], str):
            found = "no primary code"
        if found is not None:
            return f"row {at}: {found}"
    return _links(payload.get("links", {"add": [], "remove": []}), required=False)


def _aggregation(payload: Mapping[str, Any], partner_id: str) -> str | None:
    return _links(payload.get("links"), required=True)


def _shipment(payload: Mapping[str, Any], partner_id: str) -> str | None:
    if not isinstance(payload.get("destination_id"), str):
        return "a shipment needs its destination_id"
    return _level_rows(payload.get("rows"), _SHIPPING, partner_id)


def _return(payload: Mapping[str, Any], partner_id: str) -> str | None:
    if not isinstance(payload.get("reason"), str) or not payload["reason"]:
        return "a return needs its reason"
    return _level_rows(payload.get("rows"), _RETURN, partner_id)


def _recall(payload: Mapping[str, Any], partner_id: str) -> str | None:
    recall = payload.get("recall")
    if not isinstance(recall, dict):
        return "a recall needs its recall object"
    for name in ("batch", "nie", "reason", "level"):
        if not isinstance(recall.get(name), str) or not recall[name]:
            return f"recall {name!r} is missing"
    if not isinstance(recall.get("count"), int) or recall["count"] < 1:
        return "recall count is not a positive number"
    return None


def _level_rows(rows: Any, keys: frozenset[str], partner_id: str) -> str | None:
    if not isinstance(rows, list) or not rows:
        return "rows are missing"
    for at, row in enumerate(rows):
        found = _row(row, keys, partner_id)
        if found is None and sum(isinstance(row[c], str) for c in _CODES) != 1:
            found = "not exactly one code column holds the code"
        if found is not None:
            return f"row {at}: {found}"
    return None


def _row(row: Any, keys: frozenset[str], partner_id: str) -> str | None:
    if not isinstance(row, dict) or set(row) != keys:
        return "not an object with exactly the report's fields"
    if row["partner_id"] != partner_id:
        return "partner_id is not the caller's"
    if not isinstance(row["expiry"], str) or not _DATE.fullmatch(row["expiry"]):
        return "expiry is not yyyy-mm-dd"
    for name in ("nie", "batch", "packaging"):
        if not isinstance(row[name], str) or not row[name]:
            return f"{name} is missing"
    return None


def _links(links: Any, *, required: bool) -> str | None:
    if not isinstance(links, dict) or set(links) != {"add", "remove"}:
        return "links is not an object of add and remove"
    if required and not (links["add"] or links["remove"]):
        return "no links added or removed"
    for kind in ("add", "remove"):
        for at, link in enumerate(links[kind]):
            if not isinstance(link, dict) or set(link) != {"parent", "parent_level", "child",
                                                           "child_level"}:  # fmt: skip
                return f"{kind} {at}: not an object of parent, parent_level, child, child_level"
            if not (isinstance(link["parent"], str) and isinstance(link["child"], str)):
                return f"{kind} {at}: a code is missing"
            if link["parent_level"] not in _LEVELS or link["child_level"] not in _LEVELS:
                return f"{kind} {at}: an unknown level"
    return None


def _is_time(value: str) -> bool:
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


_BY_TOPIC: dict[Topic, Callable[[Mapping[str, Any], str], str | None]] = {
    Topic.USAGE: _usage, Topic.AGGREGATION: _aggregation, Topic.SHIPMENT: _shipment,
    Topic.RETURN: _return, Topic.RECALL: _recall,
}  # fmt: skip

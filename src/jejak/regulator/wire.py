"""The regulator API as Jejak speaks it: requests, answers and how an answer is judged.

BPOM's track-and-trace API (TTAC) publishes no schema; this is the contract Jejak's client and
its test server share, kept in one place so that a site can map it to the real one.

Request: ``POST <base>/<topic>`` (`Topic`: usage, aggregation, shipment, return, recall) with

- ``Authorization: Bearer <token>``, ``X-Partner-ID: <partner ID>``,
  ``Idempotency-Key: <record key>``, ``Content-Type: application/json``;
- the body `envelope(record, partner_id)`: the outbox record's body (`jejak.engine.outbox`)
  with ``key``, ``topic``, ``partner_id`` and ``due`` added, and each row's ``partner_id``
  filled in.

Answers (JSON objects):

========  ============================================  ==========================
status    body                                          outcome
========  ============================================  ==========================
201       ``{"status": "accepted", "key", "receipt"}``  accepted (sent)
200       ``{"status": "duplicate", "key", "receipt"}`` duplicate (sent: a re-send
                                                        the server had already)
400, 422  ``{"error": <code>, "detail"}``               refused (the payload)
409       ``{"error": "key_conflict", ...}``            refused (same key, another
                                                        payload)
401, 403  ``{"error": "unauthorized" | "wrong_partner"}``  unauthorized
429, 5xx  anything (``Retry-After`` seconds honoured)   server error (retried)
========  ============================================  ==========================

A 2xx answer confirms a record only if it is JSON, its ``status`` says accepted or duplicate,
its ``key`` is the record's key and it carries a ``receipt``; anything else is a bad answer
(retried). Decisions are taken on the status code and those fields, never on message text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jejak.engine.outbox import Topic
from jejak.engine.store import OutboxRecord
from jejak.engine.store.view import AttemptOutcome

__all__ = [
    "IDEMPOTENCY_KEY",
    "PARTNER_HEADER",
    "AnswerStatus",
    "ErrorCode",
    "Judgement",
    "envelope",
    "judge",
    "path_of",
]

IDEMPOTENCY_KEY = "Idempotency-Key"
PARTNER_HEADER = "X-Partner-ID"
RETRY_AFTER = "Retry-After"
TOPICS = frozenset(t.value for t in Topic)


class AnswerStatus(StrEnum):
    """The ``status`` of a confirming answer."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


class ErrorCode(StrEnum):
    """The ``error`` of a refusing answer."""

    INVALID_JSON = "invalid_json"
    INVALID_PAYLOAD = "invalid_payload"
    KEY_MISMATCH = "key_mismatch"  # the Idempotency-Key header is not the body's key
    KEY_CONFLICT = "key_conflict"  # the key was accepted with another payload
    UNAUTHORIZED = "unauthorized"
    WRONG_PARTNER = "wrong_partner"
    UNKNOWN_TOPIC = "unknown_topic"
    TOO_LARGE = "too_large"
    UNAVAILABLE = "unavailable"  # a 5xx the test server was told to answer


def path_of(topic: str) -> str:
    """The path of a topic's operation, relative to the base URL."""
    return Topic(topic).value


def envelope(record: OutboxRecord, partner_id: str) -> dict[str, Any]:
    """What is sent for `record`: its body with the key, topic, partner and deadline."""
    body = dict(record.body)
    if "rows" in body:
        body["rows"] = [{**row, "partner_id": partner_id} for row in body["rows"]]
    return {"key": record.key, "topic": record.topic, "partner_id": partner_id,
            "due": record.due, **body}  # fmt: skip


def encode(payload: Mapping[str, Any]) -> bytes:
    """The request body: canonical JSON (a re-send carries the very same bytes)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Judgement:
    """What an answer means for the record: the outcome, the receipt (when confirmed) and a
    detail for people (the server's error code, or what was wrong with the answer)."""

    outcome: AttemptOutcome
    receipt: str | None = None
    detail: str | None = None


def judge(status: int, body: bytes, key: str) -> Judgement:
    """The outcome of an HTTP answer to the request that delivered `key`."""
    answer = _json_object(body)
    error = answer.get("error") if answer is not None else None
    detail = str(error) if isinstance(error, str) else None
    if 200 <= status < 300:
        return _confirmation(status, answer, key)
    if status in (401, 403):
        return Judgement(AttemptOutcome.UNAUTHORIZED, detail=detail or f"http {status}")
    if status == 429 or status >= 500:
        return Judgement(AttemptOutcome.SERVER_ERROR, detail=detail or f"http {status}")
    if 400 <= status < 500:
        return Judgement(AttemptOutcome.REFUSED, detail=detail or f"http {status}")
    return Judgement(AttemptOutcome.BAD_ANSWER, detail=f"http {status}")


def _confirmation(status: int, answer: dict[str, Any] | None, key: str) -> Judgement:
    if answer is None:
        return Judgement(AttemptOutcome.BAD_ANSWER, detail="not a JSON object")
    receipt = answer.get("receipt")
    if answer.get("key") != key:
        return Judgement(AttemptOutcome.BAD_ANSWER, detail="the answer names another key")
    if not isinstance(receipt, str) or not receipt:
        return Judgement(AttemptOutcome.BAD_ANSWER, detail="no receipt")
    if answer.get("status") == AnswerStatus.ACCEPTED.value:
        return Judgement(AttemptOutcome.ACCEPTED, receipt=receipt)
    if answer.get("status") == AnswerStatus.DUPLICATE.value:
        return Judgement(AttemptOutcome.DUPLICATE, receipt=receipt)
    return Judgement(AttemptOutcome.BAD_ANSWER, detail=f"http {status} without a known status")


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        found = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return found if isinstance(found, dict) else None


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` of whole seconds (an HTTP date is not honoured: None)."""
    text = (value or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 6:
        return float(text)
    return None

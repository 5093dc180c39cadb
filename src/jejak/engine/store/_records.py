"""Records the store keeps as JSON: products, outbox records queued for delivery, and the
attempts to deliver them.

An outbox record is written once, by the unit of work that records the activity it reports, and
never changed. Each attempt to deliver it is a record of its own (`Attempt`): written as
`AttemptOutcome.STARTED` before the request leaves, then with the answer (or the failure) once
it is known; an attempt still ``started`` after its process ended was interrupted (a kill, a
power loss). A record is sent when one of its attempts is `AttemptOutcome.confirmed`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from jejak.engine.errors import StoreCorrupted
from jejak.engine.product import Product

__all__ = ["Attempt", "AttemptOutcome", "OutboxRecord", "product_from_json", "product_to_json"]


def product_to_json(product: Product) -> bytes:
    return json.dumps(
        {"nie": product.nie.value, "name": product.name, "packaging": product.packaging,
         "gtin": product.gtin, "dosage_form": product.dosage_form,
         "method": product.method.value, "reason": product.method_reason}
    ).encode()  # fmt: skip


def product_from_json(data: bytes | memoryview) -> Product:
    raw = json.loads(bytes(data))
    method = raw["method"] if raw["reason"] else None
    return Product.parse(nie=raw["nie"], name=raw["name"], packaging=raw["packaging"],
                         gtin=raw["gtin"], dosage_form=raw["dosage_form"], method=method,
                         reason=raw["reason"])  # fmt: skip


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """Something to deliver later (a report entry), queued by the unit of work that recorded
    the activity it reports, so that the two commit together or not at all.

    ``key`` is the idempotency key of the delivery (the receiver drops a repeat); ``due`` the
    ISO time by which it must be delivered; ``event`` the audit event it belongs to.
    """

    seq: int
    topic: str
    key: str
    due: str
    event: int
    body: Mapping[str, Any]

    def to_json(self) -> bytes:
        return json.dumps({"topic": self.topic, "key": self.key, "due": self.due,
                           "event": self.event, "body": dict(self.body)},
                          sort_keys=True).encode()  # fmt: skip

    @classmethod
    def from_json(cls, seq: int, data: bytes | memoryview) -> OutboxRecord:
        raw = json.loads(bytes(data))
        return cls(seq, raw["topic"], raw["key"], raw["due"], raw["event"], raw["body"])


class AttemptOutcome(StrEnum):
    """How an attempt to deliver an outbox record ended. Decided on the HTTP status and the
    answer's fields, never on the text of a message."""

    STARTED = "started"  # the request left; no answer recorded (yet, or ever: interrupted)
    ACCEPTED = "accepted"  # the server confirmed it, received for the first time
    DUPLICATE = "duplicate"  # the server confirmed it had it already (a re-send): sent too
    REFUSED = "refused"  # 4xx: the server will not take this record as it is
    UNAUTHORIZED = "unauthorized"  # 401 / 403: the token or the partner ID is wrong
    SERVER_ERROR = "server_error"  # 5xx or 429: try again later
    TIMEOUT = "timeout"  # no answer within the client's timeout
    CONNECTION = "connection"  # no connection, or it was lost before the answer
    BAD_ANSWER = "bad_answer"  # an answer that does not confirm this record

    @property
    def confirmed(self) -> bool:
        """Whether the server confirmed the record: it is sent."""
        return self in _CONFIRMED

    @property
    def transient(self) -> bool:
        """Whether the same request may well succeed later (retried with backoff)."""
        return self in _TRANSIENT

    @classmethod
    def parse(cls, value: object) -> AttemptOutcome:
        try:
            return cls(str(value))
        except ValueError:
            raise StoreCorrupted(
                f"Unknown delivery outcome {value!r}: expected one of "
                f"{', '.join(o.value for o in cls)}. Hint: the store was written by a newer "
                "Jejak; use that version."
            ) from None


_CONFIRMED = frozenset({AttemptOutcome.ACCEPTED, AttemptOutcome.DUPLICATE})
_TRANSIENT = frozenset({AttemptOutcome.SERVER_ERROR, AttemptOutcome.TIMEOUT,
                        AttemptOutcome.CONNECTION, AttemptOutcome.BAD_ANSWER})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt to deliver outbox record `seq`: its number (from 1), when it started and
    ended, its outcome, the HTTP status (None: no answer), the server's receipt (when it
    confirmed) and a detail for people (the server's error code, or the kind of failure)."""

    seq: int
    number: int
    started: str
    outcome: AttemptOutcome = AttemptOutcome.STARTED
    ended: str | None = None
    status: int | None = None
    receipt: str | None = None
    detail: str | None = None

    def answered(self, outcome: AttemptOutcome, *, ended: str, status: int | None = None,
                 receipt: str | None = None, detail: str | None = None) -> Attempt:  # fmt: skip
        """This attempt with its outcome."""
        return replace(self, outcome=outcome, ended=ended, status=status, receipt=receipt,
                       detail=detail)  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {"attempt": self.number, "started": self.started, "outcome": self.outcome.value,
                "ended": self.ended, "status": self.status, "receipt": self.receipt,
                "detail": self.detail}  # fmt: skip

    def to_json(self) -> bytes:
        return json.dumps(self.as_json(), sort_keys=True).encode()

    @classmethod
    def from_json(cls, seq: int, data: bytes | memoryview) -> Attempt:
        raw = json.loads(bytes(data))
        return cls(seq, int(raw["attempt"]), raw["started"], AttemptOutcome.parse(raw["outcome"]),
                   raw["ended"], raw["status"], raw["receipt"], raw["detail"])  # fmt: skip

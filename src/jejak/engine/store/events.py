"""The audit trail: an append-only, SHA-256 hash-chained log of every change to the store.

Each event records its sequence number, UTC time, actor, its kind (`EventKind`), its data, the
SHA-256 of any bulk payload it refers to (an index array), the hash of the previous event and
its own hash over all of that. Changing, removing or reordering any event breaks the chain at
that point, and `verify` names the first broken link.

Events are appended by the unit of work, inside the LMDB transaction of the change they
describe, so the log and the data never disagree.

>>> EventKind.parse("print.sent")
<EventKind.PRINT_SENT: 'print.sent'>
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.errors import StoreCorrupted
from jejak.engine.store._layout import seq_key

__all__ = ["GENESIS", "AuditReport", "Event", "EventKind", "index_payload"]

GENESIS = "0" * 64


class EventKind(StrEnum):
    """What an event records. The values are the ``what`` of the stored event: never renamed,
    since the hash chain covers them."""

    STORE_MIGRATE = "store.migrate"
    PRODUCT_ADD = "product.add"
    KEY_CREATE = "key.create"
    KEY_ROTATE = "key.rotate"
    RANGE_RESERVE = "range.reserve"
    BATCH_OPEN = "batch.open"
    CODES_IMPORT = "codes.import"
    CODES_TRANSITION = "codes.transition"
    PRINT_SENT = "print.sent"
    PRINT_PRINTED = "print.printed"
    PRINT_FAILED = "print.failed"
    PRINT_UNKNOWN = "print.unknown"
    PRINT_RECOVER = "print.recover"
    SYMBOLS_PREGEN = "symbols.pregen"
    BATCH_CLOSE = "batch.close"
    LINE_RUN = "line.run"  # a line run of a batch starts (its settings) or ends (its summary)
    LINE_STATE = "line.state"  # a PackML state change of a line
    LINE_VERIFY = "line.verify"  # camera verdicts on codes: commissioned or rejected, by reason
    LINE_SAMPLE = "line.sample"  # verified packs taken as retained samples
    AGG_PACK = "agg.pack"  # children packed into a container (a case, a pallet)
    AGG_UNPACK = "agg.unpack"  # children taken out of their containers
    AGG_REPLACE = "agg.replace"  # a child replaced by another in its container
    AGG_SAMPLE = "agg.sample"  # a pack taken out of its case as a retained sample
    AGG_RESET = "agg.reset"  # a container's children all replaced at once
    AGG_DISSOLVE = "agg.dissolve"  # a container emptied
    AGG_MOVE = "agg.move"  # a container moved into another (a case to another pallet)
    AGG_DESTROY = "agg.destroy"  # a container destroyed with everything inside it
    AGG_SEAL = "agg.seal"  # a container closed: full, or partial (the last of a batch)
    SHIP_SEND = "ship.send"  # outermost codes shipped to a partner (Released, with all inside)
    SHIP_RETURN = "ship.return"  # shipped codes returned (Inactive, with all inside)
    SHIP_RECALL = "ship.recall"  # a batch recalled: its shipped codes made Inactive
    OUTBOX_ATTEMPT = "outbox.attempt"  # an attempt to deliver an outbox record begins
    OUTBOX_ANSWER = "outbox.answer"  # how it ended: the server's answer, or the failure

    @classmethod
    def parse(cls, value: str) -> EventKind:
        try:
            return cls(value)
        except ValueError:
            raise StoreCorrupted(
                f"Unknown event kind {value!r}: expected one of "
                f"{', '.join(k.value for k in cls)}. Hint: the store was written by a newer "
                "Jejak; use that version."
            ) from None


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    time: str
    actor: str
    what: EventKind
    data: Mapping[str, Any]
    payload_sha256: str | None
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """What the hash covers: everything but the hash itself."""
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "what": self.what.value,
            "data": dict(self.data),
            "payload_sha256": self.payload_sha256,
            "prev": self.prev,
        }


def digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def decode(value: bytes | memoryview) -> Event:
    raw = json.loads(bytes(value))
    return Event(
        seq=raw["seq"],
        time=raw["time"],
        actor=raw["actor"],
        what=EventKind.parse(raw["what"]),
        data=raw["data"],
        payload_sha256=raw["payload_sha256"],
        prev=raw["prev"],
        hash=raw["hash"],
    )


class Chain:
    """The head of the hash chain within one write transaction: appends without re-reading it."""

    __slots__ = ("_events_db", "_payload_db", "hash", "seq")

    def __init__(self, txn: Any, events_db: Any, payload_db: Any) -> None:
        self._events_db, self._payload_db = events_db, payload_db
        cursor = txn.cursor(events_db)
        if cursor.last():
            last = json.loads(bytes(cursor.value()))
            self.seq, self.hash = int(last["seq"]), str(last["hash"])
        else:
            self.seq, self.hash = 0, GENESIS

    def append(
        self, txn: Any, *, actor: str, what: EventKind, data: Mapping[str, Any],
        payload: bytes | None = None,
    ) -> Event:  # fmt: skip
        seq = self.seq + 1
        payload_hash = None
        if payload is not None:
            payload_hash = hashlib.sha256(payload).hexdigest()
            txn.put(seq_key(seq), payload, db=self._payload_db, append=True)
        time = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        event = Event(seq, time, actor, what, data, payload_hash, self.hash, "")
        body = event.body()
        body["hash"] = digest(event.body())
        txn.put(seq_key(seq), json.dumps(body, sort_keys=True).encode(), db=self._events_db,
                append=True)  # fmt: skip
        self.seq, self.hash = seq, body["hash"]
        return Event(seq, time, actor, what, data, payload_hash, event.prev, body["hash"])


def events(txn: Any, events_db: Any, *, start: int = 1) -> Iterator[Event]:
    cursor = txn.cursor(events_db)
    if cursor.set_range(seq_key(start)):
        for _, value in cursor:
            yield decode(value)


def event_at(txn: Any, events_db: Any, seq: int) -> Event:
    value = txn.get(seq_key(seq), db=events_db)
    if value is None:
        raise StoreCorrupted(
            f"Event {seq} is indexed but missing from the log. Hint: run `jejak audit verify` "
            "and restore the store from backup."
        )
    return decode(value)


def index_payload(indices: npt.NDArray[np.int64]) -> bytes | None:
    """The payload naming the codes an event touched: None when they are one contiguous run
    (the event's ``first`` and ``last`` say it all), else the sorted indices as big-endian u64.

    >>> index_payload(np.array([3, 4, 5])) is None, index_payload(np.array([7, 3]))
    (True, b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x07')
    """
    if indices.size and int(indices.max()) - int(indices.min()) + 1 == indices.size:
        return None
    ordered = indices if bool(np.all(indices[1:] > indices[:-1])) else np.sort(indices)
    return ordered.astype(">u8").tobytes()


def payload(txn: Any, payload_db: Any, seq: int) -> bytes | None:
    value = txn.get(seq_key(seq), db=payload_db)
    return None if value is None else bytes(value)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The outcome of a chain walk: how many events verified and the first broken link, if any."""

    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(txn: Any, events_db: Any, payload_db: Any) -> AuditReport:
    """Walk the chain from the first event; stop at the first link that does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for key, value in txn.cursor(events_db):
        try:
            event = decode(value)
        except (ValueError, KeyError, TypeError, StoreCorrupted) as error:
            seq = int.from_bytes(key, "big")
            return AuditReport(checked, seq, f"event {seq} is not a readable record ({error})")
        if int.from_bytes(key, "big") != event.seq or event.seq != expected_seq:
            return AuditReport(
                checked, event.seq, f"expected event {expected_seq}, found {event.seq}"
            )
        if event.prev != prev:
            return AuditReport(checked, event.seq, "its previous-hash does not match event before")
        if digest(event.body()) != event.hash:
            return AuditReport(checked, event.seq, "its content does not match its hash")
        if event.payload_sha256 is not None:
            data = payload(txn, payload_db, event.seq)
            if data is None or hashlib.sha256(data).hexdigest() != event.payload_sha256:
                return AuditReport(checked, event.seq, "its payload is missing or altered")
        prev = event.hash
        expected_seq += 1
        checked += 1
    return AuditReport(checked, None, None)

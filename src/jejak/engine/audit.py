"""The audit trail: an append-only, SHA-256 hash-chained log of every change to the store.

Each event records its sequence number, UTC time, actor, what happened and its data; the SHA-256
of any bulk payload it refers to (an index array); the hash of the previous event; and its own
hash over all of that. Changing, removing or reordering any event breaks the chain at that
point, and `verify` names the first broken link.

Events are written inside the same LMDB transaction as the change they describe, so the log and
the data never disagree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import lmdb
import numpy as np
import numpy.typing as npt

from jejak.engine._lmdb_layout import seq_key

__all__ = ["GENESIS", "AuditReport", "Event", "append", "events", "index_payload", "verify"]

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    time: str
    actor: str
    what: str
    data: Mapping[str, Any]
    payload_sha256: str | None
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "actor": self.actor,
            "what": self.what,
            "data": dict(self.data),
            "payload_sha256": self.payload_sha256,
            "prev": self.prev,
        }


def _digest(body: Mapping[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _decode(value: bytes | memoryview) -> Event:
    raw = json.loads(bytes(value))
    return Event(
        seq=raw["seq"],
        time=raw["time"],
        actor=raw["actor"],
        what=raw["what"],
        data=raw["data"],
        payload_sha256=raw["payload_sha256"],
        prev=raw["prev"],
        hash=raw["hash"],
    )


def append(
    txn: lmdb.Transaction,
    events_db: lmdb._Database,
    payload_db: lmdb._Database,
    *,
    actor: str,
    what: str,
    data: Mapping[str, Any],
    payload: bytes | None = None,
) -> Event:
    """Append one event in `txn` (the transaction that makes the change it describes)."""
    cursor = txn.cursor(events_db)
    if cursor.last():
        last = _decode(cursor.value())
        seq, prev = last.seq + 1, last.hash
    else:
        seq, prev = 1, GENESIS
    payload_hash = None
    if payload is not None:
        payload_hash = hashlib.sha256(payload).hexdigest()
        txn.put(seq_key(seq), payload, db=payload_db)
    time = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    event = Event(seq, time, actor, what, data, payload_hash, prev, "")
    body = event.body()
    body["hash"] = _digest(event.body())
    txn.put(seq_key(seq), json.dumps(body, sort_keys=True).encode(), db=events_db, append=True)
    return Event(seq, time, actor, what, data, payload_hash, prev, body["hash"])


def events(txn: lmdb.Transaction, events_db: lmdb._Database) -> Iterator[Event]:
    for _, value in txn.cursor(events_db):
        yield _decode(value)


def index_payload(indices: npt.NDArray[np.int64]) -> bytes | None:
    """The payload naming the codes an event changed: None when they are one contiguous run
    (the event's ``first`` and ``last`` say it all), else the sorted indices as big-endian u64.

    >>> index_payload(np.array([3, 4, 5])) is None, index_payload(np.array([7, 3]))
    (True, b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x03\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x07')
    """
    if indices.size and int(indices.max()) - int(indices.min()) + 1 == indices.size:
        return None
    return np.sort(indices).astype(">u8").tobytes()


def payload(txn: lmdb.Transaction, payload_db: lmdb._Database, seq: int) -> bytes | None:
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


def verify(
    txn: lmdb.Transaction, events_db: lmdb._Database, payload_db: lmdb._Database
) -> AuditReport:
    """Walk the chain from the first event; stop at the first link that does not hold."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    for key, value in txn.cursor(events_db):
        try:
            event = _decode(value)
        except (ValueError, KeyError, TypeError) as error:
            seq = int.from_bytes(key, "big")
            return AuditReport(checked, seq, f"event {seq} is not a readable record ({error})")
        if int.from_bytes(key, "big") != event.seq or event.seq != expected_seq:
            return AuditReport(
                checked, event.seq, f"expected event {expected_seq}, found {event.seq}"
            )
        if event.prev != prev:
            return AuditReport(checked, event.seq, "its previous-hash does not match event before")
        if _digest(event.body()) != event.hash:
            return AuditReport(checked, event.seq, "its content does not match its hash")
        if event.payload_sha256 is not None:
            data = payload(txn, payload_db, event.seq)
            if data is None or hashlib.sha256(data).hexdigest() != event.payload_sha256:
                return AuditReport(checked, event.seq, "its payload is missing or altered")
        prev = event.hash
        expected_seq += 1
        checked += 1
    return AuditReport(checked, None, None)

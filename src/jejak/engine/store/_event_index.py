"""The event index: which events touched which codes, so a code's history never walks the log.

An event about a whole batch (opened, codes imported, closed) has one entry under the batch's
"batch-wide" level. An event about codes of a level has one entry for every bucket of 4 Ki codes
it touched, holding the first and last index it touched and whether its payload lists them
(a sparse set). A code's history reads the batch-wide entries and its bucket's entries, filters
by first/last, checks sparse payloads by binary search, and decodes only the events that hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.store._layout import (
    BATCH_WIDE,
    BUCKET,
    SPARSE,
    event_bucket_prefix,
    event_key,
    event_key_seq,
    event_value,
    seq_key,
    unpack_event_value,
)

__all__ = ["add", "add_batch_wide", "seqs_of"]


def add_batch_wide(txn: Any, db: Any, batch_id: int, seq: int) -> None:
    txn.put(event_key(batch_id, BATCH_WIDE, 0, seq), event_value(0, 0, 0), db=db)


def add(
    txn: Any, db: Any, batch_id: int, level: int, seq: int, *, first: int, last: int,
    listed: npt.NDArray[np.int64] | None = None,
) -> None:  # fmt: skip
    """Index a code event over codes first..last of a level: every one of them, or only
    those `listed` (sorted; the event's payload)."""
    buckets: list[int] | range
    if listed is not None:
        buckets = np.flatnonzero(np.bincount(listed // BUCKET)).tolist() if listed.size else []
    else:
        buckets = range(first // BUCKET, last // BUCKET + 1)
    value = event_value(first, last, 0 if listed is None else SPARSE)
    items = [(event_key(batch_id, level, bucket, seq), value) for bucket in buckets]
    txn.cursor(db).putmulti(items)


def seqs_of(
    txn: Any, db: Any, payload_db: Any, *, batch_id: int, level: int, index: int
) -> list[int]:
    """The sequence numbers of every event about code `index` of a level, in log order."""
    found = _scan(txn, db, event_bucket_prefix(batch_id, BATCH_WIDE, 0), None, payload_db)
    found += _scan(txn, db, event_bucket_prefix(batch_id, level, index // BUCKET), index,
                   payload_db)  # fmt: skip
    return sorted(found)


def _scan(txn: Any, db: Any, prefix: bytes, index: int | None, payload_db: Any) -> list[int]:
    cursor = txn.cursor(db)
    found: list[int] = []
    if not cursor.set_range(prefix):
        return found
    for key, value in cursor:
        if not bytes(key).startswith(prefix):
            break
        seq = event_key_seq(bytes(key))
        if index is None:
            found.append(seq)
            continue
        first, last, flags = unpack_event_value(bytes(value))
        if not first <= index <= last:
            continue
        if flags & SPARSE and not _listed(txn, payload_db, seq, index):
            continue
        found.append(seq)
    return found


def _listed(txn: Any, payload_db: Any, seq: int, index: int) -> bool:
    raw = txn.get(seq_key(seq), db=payload_db)
    if raw is None:
        return False
    listed = np.frombuffer(raw, dtype=">u8")
    position = int(np.searchsorted(listed, index))
    return position < listed.shape[0] and int(listed[position]) == index

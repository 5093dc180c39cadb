"""The event index: which events touched which codes, so a code's history never walks the log.

An event about a whole batch (opened, closed) has one entry under the batch's "batch-wide"
level. An event about codes of a level is entered by the runs of codes it touched, each run in
the size class that fits it: class c holds runs of at most 4^c codes, keyed by their first
index, so the runs of class c that can hold code i start within 4^c - 1 codes before it. A
code's history seeks, in each class the level uses, from ``i - 4^c + 1`` to ``i``, keeps the
runs whose last index reaches ``i``, and decodes only those events. Each code's events are
found among a handful of entries, whether the line wrote one event a code or one a million.

A scattered set of codes (an index array) is entered as one run per window of 4 Ki codes it
touches, flagged when the window's codes are not all of its run: those are checked against
the event's payload (the sorted index list) by binary search.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.store._layout import BATCH_WIDE, SPARSE, seq_key

__all__ = ["CLASSES", "add", "add_batch_wide", "batch_seqs", "seqs_of"]

CLASSES = 20  # run sizes 1, 4, 16 ... 4^19: any level a store can hold
_WINDOW = 1 << 12  # codes per window of a scattered set
_USED = 0xFF  # the class byte of the entry that says which classes a level uses
_PREFIX = struct.Struct(">IBB")
_KEY = struct.Struct(">IBBQQ")
_VALUE = struct.Struct(">QB")
_MASK = struct.Struct(">I")
_BATCH = struct.Struct(">I")  # the head of every key of one batch


def _class_of(span: int) -> int:
    """The smallest class c with 4^c >= span."""
    return max(0, (span - 1).bit_length() + 1) // 2


def add_batch_wide(txn: Any, db: Any, batch_id: int, seq: int) -> None:
    txn.put(_KEY.pack(batch_id, BATCH_WIDE, 0, 0, seq), _VALUE.pack(0, 0), db=db)


def add(
    txn: Any, db: Any, batch_id: int, level: int, seq: int, *, first: int, last: int,
    listed: npt.NDArray[np.int64] | None = None,
) -> None:  # fmt: skip
    """Index a code event over codes first..last of a level: every one of them, or only
    those `listed` (sorted, distinct; the event's payload)."""
    runs = [(first, last, 0)] if listed is None else _windows(listed)
    items = []
    used = 0
    for run_first, run_last, flags in runs:
        size_class = _class_of(run_last - run_first + 1)
        used |= 1 << size_class
        items.append((_KEY.pack(batch_id, level, size_class, run_first, seq),
                      _VALUE.pack(run_last, flags)))  # fmt: skip
    txn.cursor(db).putmulti(items)
    mask_key = _KEY.pack(batch_id, level, _USED, 0, 0)
    found = txn.get(mask_key, db=db)
    known = 0 if found is None else _MASK.unpack(bytes(found))[0]
    if known | used != known:
        txn.put(mask_key, _MASK.pack(known | used), db=db)


def _windows(listed: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """(first, last, flags) for each 4 Ki-code window the sorted indices touch."""
    if not listed.size:
        return []
    windows = listed // _WINDOW
    cuts = np.flatnonzero(np.diff(windows)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [listed.size])) - 1
    firsts, lasts = listed[starts], listed[ends]
    whole = (lasts - firsts) == (ends - starts)  # every code of the window's run is listed
    return [(int(f), int(t), 0 if w else SPARSE)
            for f, t, w in zip(firsts, lasts, whole, strict=True)]  # fmt: skip


def seqs_of(
    txn: Any, db: Any, payload_db: Any, *, batch_id: int, level: int, index: int
) -> list[int]:
    """The sequence numbers of every event about code `index` of a level, in log order."""
    cursor = txn.cursor(db)
    found = _batch_wide(cursor, batch_id)
    mask = txn.get(_KEY.pack(batch_id, level, _USED, 0, 0), db=db)
    used = 0 if mask is None else _MASK.unpack(bytes(mask))[0]
    for size_class in range(CLASSES):
        if not used >> size_class & 1:
            continue
        prefix = _PREFIX.pack(batch_id, level, size_class)
        start = max(0, index - (1 << (2 * size_class)) + 1)
        if not cursor.set_range(_KEY.pack(batch_id, level, size_class, start, 0)):
            continue
        for key, value in cursor:
            if key[:6] != prefix:
                break
            _, _, _, run_first, seq = _KEY.unpack(key)
            if run_first > index:
                break
            run_last, flags = _VALUE.unpack(value)
            if run_last >= index and (not flags & SPARSE or _listed(txn, payload_db, seq, index)):
                found.append(seq)
    return sorted(found)


def batch_seqs(txn: Any, db: Any, batch_id: int) -> list[int]:
    """The sequence numbers of every event about a batch or any of its codes, in log order:
    one pass over the batch's index entries (every level and class), no event read."""
    cursor = txn.cursor(db)
    head = _BATCH.pack(batch_id)
    found: set[int] = set()
    if cursor.set_range(head):
        for key in cursor.iternext(values=False):
            if key[:4] != head:
                break
            if key[5] != _USED:
                found.add(_KEY.unpack(key)[4])
    return sorted(found)


def _batch_wide(cursor: Any, batch_id: int) -> list[int]:
    prefix = _PREFIX.pack(batch_id, BATCH_WIDE, 0)
    found: list[int] = []
    if cursor.set_range(prefix):
        for key in cursor.iternext(values=False):
            if key[:6] != prefix:
                break
            found.append(_KEY.unpack(key)[4])
    return found


def _listed(txn: Any, payload_db: Any, seq: int, index: int) -> bool:
    raw = txn.get(seq_key(seq), db=payload_db)
    if raw is None:
        return False
    listed = np.frombuffer(raw, dtype=">u8")
    position = int(np.searchsorted(listed, index))
    return position < listed.shape[0] and int(listed[position]) == index

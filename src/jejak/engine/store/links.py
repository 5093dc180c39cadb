"""Aggregation links as the store keeps them: code references and the children database.

A code reference packs (batch id, level, index) in one u64 (see `_layout`): the ``parents``
column holds each code's container as one, and the ``children`` database holds, for each
container, its children's references as one little-endian u64 array in ascending order (so a
case's 100 packs are one read, and a pallet's tree is one read per case). Both are written in
the same unit of work, so they always agree; `aggregation` keeps the rules.

>>> ref = pack_ref(7, 2, 65_536)
>>> unpack_ref(ref), ref > 0
((7, 2, 65536), True)
>>> unpack_refs(pack_refs(7, 1, np.array([0, 5]))).tolist()
[[7, 1, 0], [7, 1, 5]]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.store._layout import u64, unpack_u64

__all__ = ["NO_PARENT", "pack_ref", "pack_refs", "unpack_ref", "unpack_refs"]

NO_PARENT = 0
_BATCH_SHIFT, _LEVEL_SHIFT = 40, 32
_INDEX_MASK = (1 << 32) - 1
_LEVEL_MASK = 0xFF
_CHILD = np.dtype("<u8")

Refs = npt.NDArray[np.uint64]


def pack_ref(batch_id: int, level: int, index: int) -> int:
    return batch_id << _BATCH_SHIFT | level << _LEVEL_SHIFT | index


def pack_refs(batch_id: int, level: int, indices: npt.NDArray[np.int64]) -> Refs:
    head = np.uint64(pack_ref(batch_id, level, 0))
    return indices.astype(np.uint64) | head


def unpack_ref(ref: int) -> tuple[int, int, int]:
    return ref >> _BATCH_SHIFT, ref >> _LEVEL_SHIFT & _LEVEL_MASK, ref & _INDEX_MASK


def unpack_refs(refs: Refs) -> npt.NDArray[np.int64]:
    """An (n, 3) array of (batch id, level, index)."""
    refs = refs.astype(np.uint64)
    out = np.empty((refs.shape[0], 3), dtype=np.int64)
    out[:, 0] = (refs >> np.uint64(_BATCH_SHIFT)).astype(np.int64)
    out[:, 1] = ((refs >> np.uint64(_LEVEL_SHIFT)) & np.uint64(_LEVEL_MASK)).astype(np.int64)
    out[:, 2] = (refs & np.uint64(_INDEX_MASK)).astype(np.int64)
    return out


def children(txn: Any, db: Any, parent: int) -> Refs:
    """A container's children (ascending; empty when it holds none)."""
    raw = txn.get(u64(parent), db=db)
    if raw is None:
        return np.zeros(0, dtype=np.uint64)
    return np.frombuffer(raw, dtype=_CHILD).astype(np.uint64)


def put_children(txn: Any, db: Any, parent: int, refs: Refs) -> None:
    """Write a container's children (sorted here); none deletes its entry."""
    if refs.size:
        txn.put(u64(parent), np.sort(refs).astype(_CHILD).tobytes(), db=db)
    else:
        txn.delete(u64(parent), db=db)


def children_of(txn: Any, db: Any, parents: Refs) -> dict[int, Refs]:
    """The children of each of `parents` that holds any (one batched read)."""
    found = txn.cursor(db).getmulti([u64(ref) for ref in parents.tolist()])
    return {unpack_u64(key): np.frombuffer(raw, dtype=_CHILD).astype(np.uint64)
            for key, raw in found}  # fmt: skip


def put_children_runs(txn: Any, db: Any, parents: Refs, refs: Refs, starts: Refs) -> None:
    """Write the children of many containers at once: `parents` (ascending, distinct) hold the
    runs of `refs` that begin at `starts`, each run already in ascending order."""
    data = memoryview(refs.astype(_CHILD).tobytes())
    width = _CHILD.itemsize
    bounds = (np.append(starts.astype(np.int64), refs.size) * width).tolist()
    spans = zip(parents.tolist(), bounds[:-1], bounds[1:], strict=True)
    txn.cursor(db).putmulti([(u64(ref), data[lo:hi]) for ref, lo, hi in spans])


def containers(txn: Any, db: Any, batch_id: int, level: int) -> Iterator[tuple[int, int]]:
    """(index, number of children) of every container of a batch level that holds any."""
    low, high = pack_ref(batch_id, level, 0), pack_ref(batch_id, level, _INDEX_MASK)
    cursor = txn.cursor(db)
    if not cursor.set_range(u64(low)):
        return
    for key, value in cursor:
        ref = unpack_u64(bytes(key))
        if ref > high:
            break
        yield ref & _INDEX_MASK, len(value) // _CHILD.itemsize

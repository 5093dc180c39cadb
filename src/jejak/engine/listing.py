"""Stream a batch's codes as text lines, fast: one numpy pass per page of 64 Ki codes.

Self-issued serials are formatted in bulk by the numba permutation; each line is the constant
part of the element string (its (21) comes last in both the raw and the HRI form), the serial
and a newline, assembled as one byte matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt

from jejak.engine import _lmdb_layout as layout
from jejak.engine.batch_record import BatchRecord, CodeForm, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.store import Store

__all__ = ["code_texts", "iter_code_lines"]


def iter_code_lines(
    store: Store, batch: str, level: Level, *, state: CodeState | None = None,
    form: CodeForm = CodeForm.HRI,
) -> Iterator[bytes]:  # fmt: skip
    """Blocks of newline-terminated codes of one level, in index order, optionally one state."""
    with store.read() as txn:
        record = store.batch(batch, txn)
        states = store.states(txn, record, level)
        allocation = record.level(level)
        prefix = np.frombuffer(record.level_prefix(level, form), dtype=np.uint8)
        if allocation.source is CodeSource.BPOM:
            serials = store.imported_serials(txn, record, level)
            head = prefix.tobytes()
            for start in range(0, len(serials), layout.CHUNK):
                page = range(start, min(start + layout.CHUNK, len(serials)))
                yield b"".join(
                    head + serials[i] + b"\n" for i in page if state is None or states[i] == state
                )
            return
    base = allocation.start or 0
    format_many = _formatter(store, record, level)
    width = prefix.shape[0] + format_many(np.zeros(1, dtype=np.uint64)).shape[1] + 1
    for start in range(0, allocation.count, layout.CHUNK):
        index = np.arange(start, min(start + layout.CHUNK, allocation.count), dtype=np.uint64)
        if state is not None:
            index = index[states[start : start + index.shape[0]] == state]
        if not index.size:
            continue
        lines = np.empty((index.shape[0], width), dtype=np.uint8)
        lines[:, : prefix.shape[0]] = prefix
        lines[:, prefix.shape[0] : -1] = format_many(index + np.uint64(base))
        lines[:, -1] = ord("\n")
        yield lines.tobytes()


def code_texts(
    store: Store, txn: object, record: BatchRecord, level: Level,
    indices: npt.NDArray[np.int64], *, form: CodeForm = CodeForm.RAW,
) -> list[bytes]:  # fmt: skip
    """The codes at `indices` of a level, each as bytes (raw element strings by default).

    Self-issued serials are formatted in one numba call; BPOM-issued ones are read from the
    issued list.
    """
    allocation = record.level(level)
    head = record.level_prefix(level, form)
    if allocation.source is CodeSource.BPOM:
        db = store.db["issued_list"]
        get = txn.get  # type: ignore[attr-defined]
        return [
            head + bytes(get(layout.issued_list_key(record.batch_id, level, int(i)), db=db))
            for i in indices
        ]
    if not indices.size:
        return []
    serials = _formatter(store, record, level)(
        indices.astype(np.uint64) + np.uint64(allocation.start or 0)
    )
    width = len(head) + serials.shape[1]
    lines = np.empty((serials.shape[0], width), dtype=np.uint8)
    lines[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    lines[:, len(head) :] = serials
    flat = lines.tobytes()
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _formatter(
    store: Store, record: BatchRecord, level: Level
) -> Callable[[npt.NDArray[np.uint64]], npt.NDArray[np.uint8]]:
    """Counters to fixed-width ASCII: the keyed permutation, or SSCC digits."""
    if record.level(level).source is CodeSource.SSCC:
        return record.sscc_format(level)[0].format_many
    return store.permutation(record).format

"""Stream a batch's codes as text lines, fast: one numpy pass per page of 64 Ki codes.

Self-issued serials are formatted in bulk by the numba permutation; each line is the constant
part of the element string (its (21) comes last in both the raw and the HRI form), the serial
and a newline, assembled as one byte matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

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
        if allocation.source is CodeSource.BPOM:
            serials = store.imported_serials(txn, record, level)
            head = record.level_prefix(level, form)
            for start in range(0, len(serials), layout.CHUNK):
                page = range(start, min(start + layout.CHUNK, len(serials)))
                yield b"".join(
                    head + serials[i] + b"\n" for i in page if state is None or states[i] == state
                )
            return
    head = record.level_prefix(level, form)
    for start in range(0, allocation.count, layout.CHUNK):
        index = np.arange(start, min(start + layout.CHUNK, allocation.count), dtype=np.int64)
        if state is not None:
            index = index[states[start : start + index.shape[0]] == state]
        if index.size:
            yield _line_matrix(store, record, level, index, head=head, tail=b"\n").tobytes()


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
    lines = _line_matrix(store, record, level, indices, head=head, tail=b"")
    width = lines.shape[1]
    flat = lines.tobytes()
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def _line_matrix(
    store: Store, record: BatchRecord, level: Level, indices: npt.NDArray[np.int64], *,
    head: bytes, tail: bytes,
) -> npt.NDArray[np.uint8]:  # fmt: skip
    """Codes `indices` of a counter-range level as rows of ASCII: head, serial, tail.

    Serials come from the keyed permutation in one numba call, or as SSCC digits."""
    counters = indices.astype(np.uint64) + np.uint64(record.level(level).start or 0)
    if record.level(level).source is CodeSource.SSCC:
        body = record.sscc_format(level)[0].format_many(counters)
    else:
        body = store.permutation(record).format(counters)
    lines = np.empty((body.shape[0], len(head) + body.shape[1] + len(tail)), dtype=np.uint8)
    lines[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    lines[:, len(head) : len(head) + body.shape[1]] = body
    lines[:, len(head) + body.shape[1] :] = np.frombuffer(tail, dtype=np.uint8)
    return lines

"""Stream a batch's codes as text lines, fast: one numpy pass per page of 64 Ki codes.

Self-issued serials are formatted in bulk by the numba permutation; each line is the constant
part of the element string (its (21) comes last in both the raw and the HRI form), the serial
and a newline, assembled as one byte matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.serials import SerialPermutation
from jejak.engine.store import PAGE, Store, StoreView

__all__ = ["PAD", "code_matrix", "code_texts", "iter_code_lines"]

PAD = 0  # what fills a `code_matrix` row after a shorter code (no code holds a NUL)


def iter_code_lines(
    store: Store, batch: str, level: Level, *, state: CodeState | None = None,
    form: CodeForm = CodeForm.HRI,
) -> Iterator[bytes]:  # fmt: skip
    """Blocks of newline-terminated codes of one level, in index order, optionally one state."""
    with store.view() as view:
        record = view.batch(batch)
        states = view.states(record, level)
        allocation = record.level(level)
        serials = view.imported_serials(record, level) if allocation.source is CodeSource.BPOM \
            else None  # fmt: skip
    head = record.level_prefix(level, form)
    if serials is not None:
        for start in range(0, len(serials), PAGE):
            page = range(start, min(start + PAGE, len(serials)))
            yield b"".join(
                head + serials[i] + b"\n" for i in page if state is None or states[i] == state
            )
        return
    for start in range(0, allocation.count, PAGE):
        index = np.arange(start, min(start + PAGE, allocation.count), dtype=np.int64)
        if state is not None:
            index = index[states[start : start + index.shape[0]] == state]
        if index.size:
            yield _line_matrix(store.permutation, record, level, index, head=head,
                               tail=b"\n").tobytes()  # fmt: skip


def code_texts(
    view: StoreView, record: BatchRecord, level: Level, indices: npt.NDArray[np.int64], *,
    form: CodeForm = CodeForm.RAW,
) -> list[bytes]:  # fmt: skip
    """The codes at `indices` of a level, each as bytes (raw element strings by default).

    Self-issued serials are formatted in one numba call; BPOM-issued ones are read from the
    issued list.
    """
    allocation = record.level(level)
    head = record.level_prefix(level, form)
    if allocation.source is CodeSource.BPOM:
        return [head + view.imported_serial(record, level, int(i)) for i in indices]
    if allocation.source is CodeSource.IDENTIFICATION:
        return [head] * int(indices.size)  # one code on every pack
    if not indices.size:
        return []
    lines = _line_matrix(view.permutation, record, level, indices, head=head, tail=b"")
    width = lines.shape[1]
    flat = lines.tobytes()
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def code_matrix(
    view: StoreView, record: BatchRecord, level: Level, indices: npt.NDArray[np.int64], *,
    form: CodeForm = CodeForm.RAW,
) -> npt.NDArray[np.uint8]:  # fmt: skip
    """The codes at `indices` of a level as the rows of one byte matrix, each row padded with
    `PAD` after a code shorter than the longest (imported codes; self-issued ones are all one
    width). What a vectorised report assembles its lines from."""
    allocation = record.level(level)
    if allocation.source is CodeSource.SELF or allocation.source is CodeSource.SSCC:
        head = record.level_prefix(level, form)
        if not indices.size:
            return np.zeros((0, 0), dtype=np.uint8)
        return _line_matrix(view.permutation, record, level, indices, head=head, tail=b"")
    texts = code_texts(view, record, level, indices, form=form)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    out = np.full((len(texts), int(lengths.max(initial=0))), PAD, dtype=np.uint8)
    rows = np.repeat(np.arange(len(texts)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[rows, np.arange(rows.size) - starts] = np.frombuffer(b"".join(texts), dtype=np.uint8)
    return out


def _line_matrix(
    permutation: Callable[[BatchRecord], SerialPermutation], record: BatchRecord, level: Level,
    indices: npt.NDArray[np.int64], *, head: bytes, tail: bytes,
) -> npt.NDArray[np.uint8]:  # fmt: skip
    """Codes `indices` of a counter-range level as rows of ASCII: head, serial, tail.

    Serials come from the keyed permutation in one numba call, or as SSCC digits."""
    allocation = record.level(level)
    counters = allocation.counters(indices)
    if allocation.source is CodeSource.SSCC:
        body = record.sscc_format(level)[0].format_many(counters)
    else:
        body = permutation(record).format(counters)
    lines = np.empty((body.shape[0], len(head) + body.shape[1] + len(tail)), dtype=np.uint8)
    lines[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    lines[:, len(head) : len(head) + body.shape[1]] = body
    lines[:, len(head) + body.shape[1] :] = np.frombuffer(tail, dtype=np.uint8)
    return lines

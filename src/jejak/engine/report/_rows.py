"""Byte rows: many short texts as one padded ``uint8`` matrix, one text a row, `PAD` after the
shorter ones (as `code_matrix` gives codes). The EPCIS writer builds its identifiers and the
text around them this way, a page of codes at a time, and joins them in one pass.

>>> rows = from_texts([b"ab", b"c"])
>>> joined(framed(rows, b"<", b">")), lengths(rows).tolist()
(b'<ab><c>', [2, 1])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from jejak.engine.listing import PAD

__all__ = ["Matrix", "framed", "from_texts", "joined", "lengths", "order", "stacked", "texts"]

Matrix = npt.NDArray[np.uint8]


def lengths(rows: Matrix) -> npt.NDArray[np.int64]:
    """How many bytes each row holds (its padding not counted)."""
    found: npt.NDArray[np.int64] = (rows != PAD).sum(axis=1, dtype=np.int64)
    return found


def framed(rows: Matrix, before: bytes, after: bytes) -> Matrix:
    """Each row as ``before + row + after``, padded."""
    count, width = rows.shape
    out = np.full((count, len(before) + width + len(after)), PAD, dtype=np.uint8)
    if before:
        out[:, : len(before)] = np.frombuffer(before, dtype=np.uint8)
    out[:, len(before) : len(before) + width] = rows
    if after:
        ends = len(before) + lengths(rows)
        spots = ends[:, None] + np.arange(len(after))
        out[np.arange(count)[:, None], spots] = np.frombuffer(after, dtype=np.uint8)
    return out


def joined(rows: Matrix) -> bytes:
    """Every row's bytes, one after the other."""
    flat = rows.ravel()
    found: bytes = flat[flat != PAD].tobytes()
    return found


def from_texts(values: Sequence[bytes]) -> Matrix:
    """Texts (none holding a NUL) as rows."""
    widths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    out = np.full((len(values), int(widths.max(initial=0))), PAD, dtype=np.uint8)
    rows = np.repeat(np.arange(len(values)), widths)
    starts = np.repeat(np.cumsum(widths) - widths, widths)
    out[rows, np.arange(rows.size) - starts] = np.frombuffer(b"".join(values), dtype=np.uint8)
    return out


def texts(rows: Matrix) -> list[bytes]:
    """Each row's bytes."""
    return [row.tobytes().rstrip(b"\x00") for row in rows]


def stacked(parts: Sequence[Matrix]) -> Matrix:
    """Matrices one above the other, the narrower ones padded."""
    if not parts:
        return np.zeros((0, 0), dtype=np.uint8)
    width = max(part.shape[1] for part in parts)
    out = np.full((sum(part.shape[0] for part in parts), width), PAD, dtype=np.uint8)
    at = 0
    for part in parts:
        out[at : at + part.shape[0], : part.shape[1]] = part
        at += part.shape[0]
    return out


def order(rows: Matrix, first: npt.NDArray[np.int64] | None = None) -> npt.NDArray[np.intp]:
    """The order that sorts the rows by their bytes (a shorter row before its extensions);
    with `first`, by it first, then by the bytes. The columns every row shares are dropped and
    the rest read as big-endian 64-bit words: sorted by the first word alone when that leaves
    no tie (random serials: nearly always), else by all of them."""
    count = rows.shape[0]
    if count < 2:
        return np.arange(count, dtype=np.intp)
    varying = np.flatnonzero((rows != rows[0]).any(axis=0))
    part = rows[:, varying[0] :] if varying.size else rows[:, :0]
    width = max(8, -(-part.shape[1] // 8) * 8)
    padded = np.zeros((count, width), dtype=np.uint8)
    padded[:, : part.shape[1]] = part
    words = padded.view(">u8").astype(np.uint64)
    lead = words[:, 0]
    found: npt.NDArray[np.intp] = (np.argsort(lead) if first is None
                                   else np.lexsort((lead, first)))  # fmt: skip
    if words.shape[1] > 1:
        tied = lead[found][1:] == lead[found][:-1]
        if first is not None:
            tied &= first[found][1:] == first[found][:-1]
        if tied.any():
            keys = [words[:, at] for at in reversed(range(words.shape[1]))]
            found = np.lexsort([*keys, *([] if first is None else [first])])
    return found

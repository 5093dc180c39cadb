"""A numba kernel for the byte matrices that reports are assembled in.

Reports (`report.usage`, EPCIS) build a page of rows as one padded byte matrix: each row's
fields side by side, every field as wide as its widest value, filled with `listing.PAD` (NUL,
which no code holds). `drop_padding` writes the bytes that are not padding, in order, in one pass
over the matrix: the same result as ``flat[flat != PAD].tobytes()`` without the boolean mask,
the gathered copy and the bytes object (about three passes and two allocations fewer). Importing
`holds_any` tells whether a matrix holds any byte of a set (a
byte a format must escape or quote), again in one pass and without a temporary. Importing
this module imports numba (about 0.4 s): only report writers import it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["drop_padding", "holds_any"]


@njit(cache=True)
def _compact(flat: npt.NDArray[np.uint8], pad: np.uint8, out: npt.NDArray[np.uint8]) -> int:
    written = 0
    for at in range(flat.size):
        byte = flat[at]
        if byte != pad:
            out[written] = byte
            written += 1
    return written


def drop_padding(matrix: npt.NDArray[np.uint8], pad: int) -> memoryview:
    """The bytes of `matrix` (C order) that are not `pad`, as a memoryview of a new buffer."""
    flat = np.ascontiguousarray(matrix).reshape(-1)
    out = np.empty(flat.size, dtype=np.uint8)
    written: int = _compact(flat, np.uint8(pad), out)
    return out[:written].data


@njit(cache=True)
def _holds(flat: npt.NDArray[np.uint8], table: npt.NDArray[np.bool_]) -> bool:
    for at in range(flat.size):  # noqa: SIM110 (numba compiles no generator for any())
        if table[flat[at]]:
            return True
    return False


def holds_any(matrix: npt.NDArray[np.uint8], table: npt.NDArray[np.bool_]) -> bool:
    """Whether `matrix` holds a byte ``b`` with ``table[b]`` (`table`: 256 booleans)."""
    found: bool = _holds(np.ascontiguousarray(matrix).reshape(-1), table)
    return found

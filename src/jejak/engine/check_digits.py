"""GS1 mod-10 check digits of whole numpy arrays: the bulk form of `jejak.engine.check_digit`.

The same rule as the scalar `gs1_check_digit` (weights 3 and 1 alternating from the rightmost
payload digit), over arrays of fixed-width ASCII digit strings (dtype ``S<n>``), for bulk paths
such as reports and imports.

>>> import numpy as np
>>> gs1_check_digits(np.array([b"0950600013435", b"1061414112345"], dtype="S13")).tolist()
[2, 9]
>>> is_valid_gs1_batch(np.array([b"09506000134352", b"09506000134353"], dtype="S14")).tolist()
[True, False]
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["gs1_check_digits", "is_valid_gs1_batch"]

_ZERO = ord("0")


def _weights(width: int) -> npt.NDArray[np.int32]:
    # Weight 3 on the rightmost payload digit, then 1, 3, 1, ... leftwards.
    return np.where((width - 1 - np.arange(width)) % 2 == 0, 3, 1).astype(np.int32)


def _digit_matrix(values: npt.NDArray[np.bytes_]) -> npt.NDArray[np.int32]:
    width = values.dtype.itemsize
    matrix = values.reshape(-1).view(np.uint8).reshape(-1, width).astype(np.int32) - _ZERO
    if matrix.size and (matrix.min() < 0 or matrix.max() > 9):
        raise ValueError(
            f"Invalid digit array of dtype {values.dtype}: expected only ASCII digits in every "
            "cell. Hint: validate or strip the input before the vectorised check."
        )
    return matrix


def gs1_check_digits(payloads: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint8]:
    """Check digits for an array of fixed-width ASCII payloads (dtype ``S<n>``, all n digits)."""
    matrix = _digit_matrix(payloads)
    total = matrix @ _weights(matrix.shape[1])
    return ((10 - total % 10) % 10).astype(np.uint8)


def is_valid_gs1_batch(values: npt.NDArray[np.bytes_]) -> npt.NDArray[np.bool_]:
    """For an array of complete identifiers (dtype ``S<n>``, check digit last), which are valid."""
    matrix = _digit_matrix(values)
    total = matrix[:, :-1] @ _weights(matrix.shape[1] - 1)
    result: npt.NDArray[np.bool_] = (10 - total % 10) % 10 == matrix[:, -1]
    return result

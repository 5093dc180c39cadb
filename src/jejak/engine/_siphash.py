"""SipHash-2-4 (Aumasson and Bernstein, 2012) compiled with numba: the PRF of the serial Feistel.

`siphash24(k0, k1, data)` hashes a byte array; `siphash24_words(k0, k1, w0, w1, w2)` hashes the
24-byte message made of three little-endian 64-bit words, without building it, for the hot loop.
Both are checked against the published test vectors in the tests.

>>> import numpy as np
>>> k0, k1 = key_words(bytes(range(16)))
>>> hex(siphash24(k0, k1, np.arange(0, dtype=np.uint8)))
'0x726fdb47dd0e0e31'
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, uint64

__all__ = ["key_words", "siphash24", "siphash24_words"]

_C0 = uint64(0x736F6D6570736575)
_C1 = uint64(0x646F72616E646F6D)
_C2 = uint64(0x6C7967656E657261)
_C3 = uint64(0x7465646279746573)


def key_words(key: bytes) -> tuple[int, int]:
    """The two little-endian 64-bit words of a 16-byte key."""
    if len(key) != 16:
        raise ValueError(f"Invalid SipHash key of {len(key)} bytes: expected 16.")
    return int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")


@njit(inline="always", cache=True)
def _rotl(x: np.uint64, b: int) -> np.uint64:
    return uint64((x << uint64(b)) | (x >> uint64(64 - b)))


@njit(inline="always", cache=True)
def _round(
    v0: np.uint64, v1: np.uint64, v2: np.uint64, v3: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    v0 = uint64(v0 + v1)
    v1 = _rotl(v1, 13)
    v1 ^= v0
    v0 = _rotl(v0, 32)
    v2 = uint64(v2 + v3)
    v3 = _rotl(v3, 16)
    v3 ^= v2
    v0 = uint64(v0 + v3)
    v3 = _rotl(v3, 21)
    v3 ^= v0
    v2 = uint64(v2 + v1)
    v1 = _rotl(v1, 17)
    v1 ^= v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


@njit(inline="always", cache=True)
def _compress(
    v0: np.uint64, v1: np.uint64, v2: np.uint64, v3: np.uint64, m: np.uint64
) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    v3 ^= m
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 ^= m
    return v0, v1, v2, v3


@njit(inline="always", cache=True)
def _finish(v0: np.uint64, v1: np.uint64, v2: np.uint64, v3: np.uint64) -> np.uint64:
    v2 ^= uint64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return uint64(v0 ^ v1 ^ v2 ^ v3)


@njit(cache=True)
def siphash24(k0: np.uint64, k1: np.uint64, data: npt.NDArray[np.uint8]) -> np.uint64:
    """SipHash-2-4 of a byte array."""
    k0 = uint64(k0)
    k1 = uint64(k1)
    v0, v1, v2, v3 = k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3
    n = data.shape[0]
    whole = n - n % 8
    for start in range(0, whole, 8):
        m = uint64(0)
        for j in range(8):
            m |= uint64(data[start + j]) << uint64(8 * j)
        v0, v1, v2, v3 = _compress(v0, v1, v2, v3, m)
    last = uint64(n & 0xFF) << uint64(56)
    for j in range(n - whole):
        last |= uint64(data[whole + j]) << uint64(8 * j)
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, last)
    return _finish(v0, v1, v2, v3)


@njit(inline="always", cache=True)
def siphash24_words(
    k0: np.uint64, k1: np.uint64, w0: np.uint64, w1: np.uint64, w2: np.uint64
) -> np.uint64:
    """SipHash-2-4 of the 24 bytes ``w0 w1 w2``, each a little-endian 64-bit word."""
    v0, v1, v2, v3 = k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w0))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w1))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w2))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(24) << uint64(56))
    return _finish(v0, v1, v2, v3)

"""The numba kernels of the serial permutation: SipHash-2-4 and the Feistel network on uint64.

The same arithmetic as `_siphash` and `_feistel` (see there for the construction), compiled for
whole arrays: `format_many` writes the serials of many counters, `decrypt_halves` inverts one
scanned serial in a couple of microseconds. Importing this module imports numba (about 0.4 s), so
`jejak.engine.serials` imports it only on first bulk use or when a long-running process asks for
it (`load_kernels`); the tests hold both implementations to the same results.

Every kernel takes the permutation's parameters as one uint64 vector in the field order of
`FeistelKey` (``np.array(key, dtype=np.uint64)``). Halves are at most 10 numerals of radix at
most 82, so every quantity fits in 64 bits; additions are done as comparisons and subtractions so
that none overflows. Kernel scalars are numba ``uint64`` values: mypy sees them as `Any`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange, uint64

from jejak.engine._feistel import ROUNDS

__all__ = ["decrypt_halves", "format_many", "siphash24_words"]

U64 = Any  # a numba uint64 scalar
# The parameter vector: the fields of FeistelKey, in order.
_K0, _K1, _TWEAK, _MOD_U, _MOD_V, _U, _V, _RADIX = range(8)

_C0 = uint64(0x736F6D6570736575)
_C1 = uint64(0x646F72616E646F6D)
_C2 = uint64(0x6C7967656E657261)
_C3 = uint64(0x7465646279746573)


# --- SipHash-2-4 --------------------------------------------------------------------------------


@njit(inline="always", cache=True)
def _rotl(x: U64, b: int) -> U64:
    return uint64((x << uint64(b)) | (x >> uint64(64 - b)))


@njit(inline="always", cache=True)
def _round(v0: U64, v1: U64, v2: U64, v3: U64) -> tuple[U64, U64, U64, U64]:
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
def _compress(v0: U64, v1: U64, v2: U64, v3: U64, m: U64) -> tuple[U64, U64, U64, U64]:
    v3 ^= m
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    v0 ^= m
    return v0, v1, v2, v3


@njit(inline="always", cache=True)
def _finish(v0: U64, v1: U64, v2: U64, v3: U64) -> U64:
    v2 ^= uint64(0xFF)
    for _ in range(4):
        v0, v1, v2, v3 = _round(v0, v1, v2, v3)
    return uint64(v0 ^ v1 ^ v2 ^ v3)


@njit(inline="always", cache=True)
def siphash24_words(k0: U64, k1: U64, w0: U64, w1: U64, w2: U64) -> U64:
    """SipHash-2-4 of the 24 bytes ``w0 w1 w2``, each a little-endian 64-bit word."""
    v0, v1, v2, v3 = k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w0))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w1))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(w2))
    v0, v1, v2, v3 = _compress(v0, v1, v2, v3, uint64(24) << uint64(56))
    return _finish(v0, v1, v2, v3)


# --- the Feistel network ------------------------------------------------------------------------


@njit(inline="always", cache=True)
def _encrypt(c: U64, p: npt.NDArray[np.uint64]) -> tuple[U64, U64]:
    a = c // p[_MOD_V]
    b = c % p[_MOD_V]
    for rnd in range(ROUNDS):
        m = p[_MOD_U] if rnd % 2 == 0 else p[_MOD_V]
        y = siphash24_words(p[_K0], p[_K1], p[_TWEAK], uint64(rnd), b) % m
        room = m - y
        nxt = a - room if a >= room else a + y
        a = b
        b = nxt
    return a, b


@njit(inline="always", cache=True)
def _decrypt(a: U64, b: U64, p: npt.NDArray[np.uint64]) -> tuple[U64, U64]:
    for rnd in range(ROUNDS - 1, -1, -1):
        m = p[_MOD_U] if rnd % 2 == 0 else p[_MOD_V]
        prev_b = a
        y = siphash24_words(p[_K0], p[_K1], p[_TWEAK], uint64(rnd), prev_b) % m
        a = b - y if b >= y else b + (m - y)
        b = prev_b
    return a, b


@njit(parallel=True, cache=True)
def format_many(
    counters: npt.NDArray[np.uint64],
    p: npt.NDArray[np.uint64],
    alphabet: npt.NDArray[np.uint8],
    head: npt.NDArray[np.uint8],
    out: npt.NDArray[np.uint8],
) -> None:
    """Write the serial of ``counters[i]`` into ``out[i]``: `head`, then the permuted numerals."""
    radix = p[_RADIX]
    u = np.int64(p[_U])
    v = np.int64(p[_V])
    h = head.shape[0]
    for i in prange(counters.shape[0]):
        a, b = _encrypt(counters[i], p)
        for j in range(h):
            out[i, j] = head[j]
        for j in range(u - 1, -1, -1):
            out[i, h + j] = alphabet[a % radix]
            a //= radix
        for j in range(v - 1, -1, -1):
            out[i, h + u + j] = alphabet[b % radix]
            b //= radix


@njit(cache=True)
def decrypt_halves(numerals: npt.NDArray[np.uint64], p: npt.NDArray[np.uint64]) -> tuple[U64, U64]:
    """The counter's halves ``(c // r**v, c % r**v)`` for permuted numerals (alphabet indices,
    most significant first); the caller joins them, since ``c`` may not fit in 64 bits."""
    radix = p[_RADIX]
    u = np.int64(p[_U])
    a = uint64(0)
    b = uint64(0)
    for j in range(numerals.shape[0]):
        if j < u:
            a = a * radix + numerals[j]
        else:
            b = b * radix + numerals[j]
    return _decrypt(a, b, p)

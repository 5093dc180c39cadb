"""The numba kernels of the serial permutation: a radix Feistel network (NIST FF1's structure).

A value of ``n`` numerals in radix ``r`` is split into halves of ``u = n // 2`` and
``v = n - u`` numerals, held as integers below ``r**u`` and ``r**v``. Round ``i`` replaces
``(A, B)`` by ``(B, (A + F(i, B)) mod r**m)`` with ``m = u`` on even rounds and ``v`` on odd
ones, where F is SipHash-2-4 keyed by the site key and tweaked by the scope. Both halves stay in
their domains, so the network permutes exactly ``r**n`` values. Halves are at most 10 numerals of
radix at most 82, so every quantity fits in an unsigned 64-bit integer; additions are done as
comparisons and subtractions so that none overflows.

Kernel scalars are numba ``uint64`` values: mypy sees them as `Any`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit, prange, uint64

from jejak.engine._siphash import siphash24_words

__all__ = ["MOD_V", "ROUNDS", "decrypt_halves", "format_many", "key_params"]

ROUNDS = 10
U64 = Any  # a numba uint64 scalar
# Layout of the parameter vector every kernel takes.
_K0, _K1, _TWEAK, _MOD_U, _MOD_V, _U, _V, _RADIX = range(8)
MOD_V = _MOD_V


def key_params(k0: int, k1: int, tweak: int, radix: int, numerals: int) -> npt.NDArray[np.uint64]:
    """Pack key, tweak and the half sizes for `numerals` numerals of `radix` into one vector."""
    u, v = numerals // 2, numerals - numerals // 2
    values = [k0, k1, tweak, radix**u, radix**v, u, v, radix]
    return np.array(values, dtype=np.uint64)


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

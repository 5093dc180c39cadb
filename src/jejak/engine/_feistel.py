"""The serial permutation's radix Feistel network (NIST FF1's structure), one value at a time.

A value of ``n`` numerals in radix ``r`` is split into halves of ``u = n // 2`` and
``v = n - u`` numerals, held as integers below ``r**u`` and ``r**v``. Round ``i`` replaces
``(A, B)`` by ``(B, (A + F(i, B)) mod r**m)`` with ``m = u`` on even rounds and ``v`` on odd
ones, where F is SipHash-2-4 keyed by the site key and tweaked by the scope. Both halves stay in
their domains, so the network permutes exactly ``r**n`` values. Halves are at most 10 numerals of
radix at most 82, so every quantity fits in an unsigned 64-bit integer.

This module runs the network on Python integers, without numpy or numba: what one serial, or a
lookup of one scanned code, needs. `_serial_kernels` runs the same network with numba over whole
arrays. Both write the modular additions as comparisons and subtractions (the kernels' uint64
must not overflow), so they agree bit for bit; the tests check it for random keys and formats.

>>> key = FeistelKey.of(k0=1, k1=2, tweak=3, radix=10, numerals=6)
>>> key.mod_u, key.mod_v
(1000, 1000)
>>> encrypt(key, 123456)
(640, 666)
>>> decrypt(key, 640, 666)
(123, 456)
>>> list(numerals_of(key, 640, 666)), halves_of(key, bytes([6, 4, 0, 6, 6, 6]))
([6, 4, 0, 6, 6, 6], (640, 666))
"""

from __future__ import annotations

from typing import NamedTuple

from jejak.engine._siphash import siphash24_words

__all__ = ["ROUNDS", "FeistelKey", "decrypt", "encrypt", "halves_of", "numerals_of"]

ROUNDS = 10


class FeistelKey(NamedTuple):
    """Key, tweak and half sizes of one permutation. The field order is the layout of the
    parameter vector the numba kernels take (``np.array(key, dtype=np.uint64)``)."""

    k0: int
    k1: int
    tweak: int
    mod_u: int  # r ** u
    mod_v: int  # r ** v
    u: int
    v: int
    radix: int

    @classmethod
    def of(cls, *, k0: int, k1: int, tweak: int, radix: int, numerals: int) -> FeistelKey:
        """The key of a network over `numerals` numerals of `radix`."""
        u, v = numerals // 2, numerals - numerals // 2
        mod_u: int = radix**u  # int ** int is Any to mypy
        mod_v: int = radix**v
        return cls(k0, k1, tweak, mod_u, mod_v, u, v, radix)


def encrypt(key: FeistelKey, counter: int) -> tuple[int, int]:
    """The permuted halves of `counter` (below ``mod_u * mod_v``)."""
    a, b = divmod(counter, key.mod_v)
    for rnd in range(ROUNDS):
        m = key.mod_u if rnd % 2 == 0 else key.mod_v
        y = siphash24_words(key.k0, key.k1, key.tweak, rnd, b) % m
        room = m - y
        nxt = a - room if a >= room else a + y
        a = b
        b = nxt
    return a, b


def decrypt(key: FeistelKey, a: int, b: int) -> tuple[int, int]:
    """The counter's halves ``(c // mod_v, c % mod_v)`` for permuted halves ``a``, ``b``."""
    for rnd in range(ROUNDS - 1, -1, -1):
        m = key.mod_u if rnd % 2 == 0 else key.mod_v
        prev_b = a
        y = siphash24_words(key.k0, key.k1, key.tweak, rnd, prev_b) % m
        a = b - y if b >= y else b + (m - y)
        b = prev_b
    return a, b


def numerals_of(key: FeistelKey, a: int, b: int) -> bytes:
    """Halves as their ``u + v`` numerals (alphabet indices), most significant first."""
    out = bytearray(key.u + key.v)
    for j in range(key.u - 1, -1, -1):
        a, out[j] = divmod(a, key.radix)
    for j in range(key.u + key.v - 1, key.u - 1, -1):
        b, out[j] = divmod(b, key.radix)
    return bytes(out)


def halves_of(key: FeistelKey, numerals: bytes) -> tuple[int, int]:
    """The halves that `numerals` (``u + v`` alphabet indices, most significant first) spell."""
    a = b = 0
    for digit in numerals[: key.u]:
        a = a * key.radix + digit
    for digit in numerals[key.u :]:
        b = b * key.radix + digit
    return a, b

"""SipHash-2-4 (Aumasson and Bernstein, 2012) on Python integers: the PRF of the serial Feistel.

`siphash24(k0, k1, data)` hashes bytes; `siphash24_words(k0, k1, w0, w1, w2)` hashes the 24-byte
message made of three little-endian 64-bit words without building it, as the Feistel round
function does. Keys and words are integers below ``2**64``. This module imports neither numpy nor
numba: one serial, or the scope tweak of a permutation, costs microseconds here, where importing
numba costs 0.4 s. `_serial_kernels` computes the same function with numba for bulk work; the
tests check both against the published vectors and against each other.

>>> k0, k1 = key_words(bytes(range(16)))
>>> hex(siphash24(k0, k1, b""))
'0x726fdb47dd0e0e31'
>>> hex(siphash24_words(k0, k1, 0x0706050403020100, 0x0F0E0D0C0B0A0908, 0x1716151413121110))
'0xb8ad50c6f649af94'
"""

from __future__ import annotations

__all__ = ["key_words", "siphash24", "siphash24_words"]

_MASK = (1 << 64) - 1
_C0 = 0x736F6D6570736575
_C1 = 0x646F72616E646F6D
_C2 = 0x6C7967656E657261
_C3 = 0x7465646279746573
_WORDS_LENGTH = 24 << 56  # the final block of a 24-byte message: its length, no message bytes


def key_words(key: bytes) -> tuple[int, int]:
    """The two little-endian 64-bit words of a 16-byte key."""
    if len(key) != 16:
        raise ValueError(f"Invalid SipHash key of {len(key)} bytes: expected 16.")
    return int.from_bytes(key[:8], "little"), int.from_bytes(key[8:], "little")


def _rounds(v0: int, v1: int, v2: int, v3: int, count: int) -> tuple[int, int, int, int]:
    """`count` SipRounds, each addition and rotation reduced to 64 bits."""
    for _ in range(count):
        v0 = (v0 + v1) & _MASK
        v1 = (((v1 << 13) & _MASK) | (v1 >> 51)) ^ v0
        v0 = ((v0 << 32) & _MASK) | (v0 >> 32)
        v2 = (v2 + v3) & _MASK
        v3 = (((v3 << 16) & _MASK) | (v3 >> 48)) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = (((v3 << 21) & _MASK) | (v3 >> 43)) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = (((v1 << 17) & _MASK) | (v1 >> 47)) ^ v2
        v2 = ((v2 << 32) & _MASK) | (v2 >> 32)
    return v0, v1, v2, v3


def _hash_blocks(k0: int, k1: int, blocks: tuple[int, ...]) -> int:
    """SipHash-2-4 of the message whose 64-bit blocks (the length block last) are `blocks`."""
    v0, v1, v2, v3 = k0 ^ _C0, k1 ^ _C1, k0 ^ _C2, k1 ^ _C3
    for m in blocks:
        v0, v1, v2, v3 = _rounds(v0, v1, v2, v3 ^ m, 2)
        v0 ^= m
    v0, v1, v2, v3 = _rounds(v0, v1, v2 ^ 0xFF, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def siphash24(k0: int, k1: int, data: bytes) -> int:
    """SipHash-2-4 of a byte string."""
    whole = len(data) - len(data) % 8
    blocks = [int.from_bytes(data[start : start + 8], "little") for start in range(0, whole, 8)]
    blocks.append(((len(data) & 0xFF) << 56) | int.from_bytes(data[whole:], "little"))
    return _hash_blocks(k0, k1, tuple(blocks))


def siphash24_words(k0: int, k1: int, w0: int, w1: int, w2: int) -> int:
    """SipHash-2-4 of the 24 bytes ``w0 w1 w2``, each a little-endian 64-bit word."""
    return _hash_blocks(k0, k1, (w0, w1, w2, _WORDS_LENGTH))

"""SipHash-2-4, the PRF of the serial permutation: the published vectors on both implementations.

The 64 vectors are those of the SipHash reference implementation (Aumasson and Bernstein,
``vectors.h``): key ``00 01 .. 0f``, message ``00 01 .. (n-1)`` for n = 0 .. 63. They are checked
on the pure-Python `_siphash` (what single serials use) and on the numba rounds of
`_serial_kernels` (what bulk formatting uses); Hypothesis holds the two equal on random keys and
words. A small SipHash-2-4 written from the paper serves as an independent oracle.
"""

from __future__ import annotations

import re

import numba
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine import _serial_kernels as kernels
from jejak.engine._siphash import key_words, siphash24, siphash24_words

KEY = bytes(range(16))
K0, K1 = 0x0706050403020100, 0x0F0E0D0C0B0A0908
MASK = (1 << 64) - 1

# fmt: off
VECTORS = [
    0x726FDB47DD0E0E31, 0x74F839C593DC67FD, 0x0D6C8009D9A94F5A, 0x85676696D7FB7E2D,
    0xCF2794E0277187B7, 0x18765564CD99A68D, 0xCBC9466E58FEE3CE, 0xAB0200F58B01D137,
    0x93F5F5799A932462, 0x9E0082DF0BA9E4B0, 0x7A5DBBC594DDB9F3, 0xF4B32F46226BADA7,
    0x751E8FBC860EE5FB, 0x14EA5627C0843D90, 0xF723CA908E7AF2EE, 0xA129CA6149BE45E5,
    0x3F2ACC7F57C29BDB, 0x699AE9F52CBE4794, 0x4BC1B3F0968DD39C, 0xBB6DC91DA77961BD,
    0xBED65CF21AA2EE98, 0xD0F2CBB02E3B67C7, 0x93536795E3A33E88, 0xA80C038CCD5CCEC8,
    0xB8AD50C6F649AF94, 0xBCE192DE8A85B8EA, 0x17D835B85BBB15F3, 0x2F2E6163076BCFAD,
    0xDE4DAAACA71DC9A5, 0xA6A2506687956571, 0xAD87A3535C49EF28, 0x32D892FAD841C342,
    0x7127512F72F27CCE, 0xA7F32346F95978E3, 0x12E0B01ABB051238, 0x15E034D40FA197AE,
    0x314DFFBE0815A3B4, 0x027990F029623981, 0xCADCD4E59EF40C4D, 0x9ABFD8766A33735C,
    0x0E3EA96B5304A7D0, 0xAD0C42D6FC585992, 0x187306C89BC215A9, 0xD4A60ABCF3792B95,
    0xF935451DE4F21DF2, 0xA9538F0419755787, 0xDB9ACDDFF56CA510, 0xD06C98CD5C0975EB,
    0xE612A3CB9ECBA951, 0xC766E62CFCADAF96, 0xEE64435A9752FE72, 0xA192D576B245165A,
    0x0A8787BF8ECB74B2, 0x81B3E73D20B49B6F, 0x7FA8220BA3B2ECEA, 0x245731C13CA42499,
    0xB78DBFAF3A8D83BD, 0xEA1AD565322A1A0B, 0x60E61C23A3795013, 0x6606D7E446282B93,
    0x6CA4ECB15C5F91E1, 0x9F626DA15C9625F3, 0xE51B38608EF25F57, 0x958A324CEB064572,
]
# fmt: on


def reference_siphash24(key: bytes, message: bytes) -> int:
    """SipHash-2-4 straight from the paper, on Python integers: slow, independent of numba."""

    def rotl(x: int, b: int) -> int:
        return ((x << b) | (x >> (64 - b))) & MASK

    def sipround(v: list[int]) -> None:
        v[0] = (v[0] + v[1]) & MASK
        v[1] = rotl(v[1], 13) ^ v[0]
        v[0] = rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & MASK
        v[3] = rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & MASK
        v[3] = rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & MASK
        v[1] = rotl(v[1], 17) ^ v[2]
        v[2] = rotl(v[2], 32)

    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:], "little")
    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]  # fmt: skip
    whole = len(message) - len(message) % 8
    last = message[whole:] + bytes(7 - len(message) % 8) + bytes([len(message) & 0xFF])
    for start in range(0, len(message) + 1, 8):
        block = message[start : start + 8] if start < whole else last
        m = int.from_bytes(block, "little")
        v[3] ^= m
        sipround(v)
        sipround(v)
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


@numba.njit
def kernel_words(k0: np.uint64, k1: np.uint64, w0: np.uint64, w1: np.uint64, w2: np.uint64) -> int:
    """The kernels inline `siphash24_words`; this is the smallest kernel that calls it."""
    return kernels.siphash24_words(k0, k1, w0, w1, w2)


@numba.njit
def kernel_bytes(k0: np.uint64, k1: np.uint64, data: npt.NDArray[np.uint8]) -> int:
    """The kernels' compiled rounds (`_compress`, `_finish`) over a whole message, padded as in
    the paper: the kernels themselves only hash 24 bytes, so this is how all 64 vectors reach
    their rounds."""
    v0, v1, v2, v3 = k0 ^ kernels._C0, k1 ^ kernels._C1, k0 ^ kernels._C2, k1 ^ kernels._C3
    n = data.shape[0]
    whole = n - n % 8
    for start in range(0, whole, 8):
        m = numba.uint64(0)
        for j in range(8):
            m |= numba.uint64(data[start + j]) << numba.uint64(8 * j)
        v0, v1, v2, v3 = kernels._compress(v0, v1, v2, v3, m)
    last = numba.uint64(n & 0xFF) << numba.uint64(56)
    for j in range(n - whole):
        last |= numba.uint64(data[whole + j]) << numba.uint64(8 * j)
    v0, v1, v2, v3 = kernels._compress(v0, v1, v2, v3, last)
    return kernels._finish(v0, v1, v2, v3)


def hash_bytes(key: bytes, message: bytes) -> int:
    return siphash24(*key_words(key), message)


def kernel_hash_bytes(key: bytes, message: bytes) -> int:
    k0, k1 = key_words(key)
    return int(kernel_bytes(np.uint64(k0), np.uint64(k1), np.frombuffer(message, np.uint8)))


def hash_words(key: bytes, w0: int, w1: int, w2: int) -> int:
    return siphash24_words(*key_words(key), w0, w1, w2)


def kernel_hash_words(key: bytes, w0: int, w1: int, w2: int) -> int:
    args = (*key_words(key), w0, w1, w2)
    return int(kernel_words(*(np.uint64(a) for a in args)))


def test_the_table_is_the_published_one() -> None:
    assert (len(VECTORS), hex(VECTORS[0]), hex(VECTORS[15]), hex(VECTORS[24])) == (
        64, "0x726fdb47dd0e0e31", "0xa129ca6149be45e5", "0xb8ad50c6f649af94"
    )  # fmt: skip
    assert [reference_siphash24(KEY, bytes(range(n))) for n in range(64)] == VECTORS


@pytest.mark.parametrize(("length", "expected"), list(enumerate(VECTORS)))
def test_siphash24_matches_the_published_vectors(length: int, expected: int) -> None:
    assert hash_bytes(KEY, bytes(range(length))) == expected
    assert kernel_hash_bytes(KEY, bytes(range(length))) == expected


def test_key_words_are_little_endian() -> None:
    assert key_words(KEY) == (K0, K1)
    assert key_words(b"\xff" * 16) == (MASK, MASK)


@pytest.mark.parametrize("size", [0, 1, 8, 15, 17, 32])
def test_key_words_refuses_keys_not_16_bytes(size: int) -> None:
    message = f"Invalid SipHash key of {size} bytes: expected 16."
    with pytest.raises(ValueError, match=re.escape(message)):
        key_words(bytes(size))


def test_siphash24_words_matches_vector_24() -> None:
    message = bytes(range(24))
    w0, w1, w2 = (int.from_bytes(message[i : i + 8], "little") for i in (0, 8, 16))
    assert hash_words(KEY, w0, w1, w2) == VECTORS[24] == 0xB8AD50C6F649AF94
    assert kernel_hash_words(KEY, w0, w1, w2) == VECTORS[24]


WORDS = st.integers(0, MASK)
KEYS = st.binary(min_size=16, max_size=16)


@settings(max_examples=200, deadline=None)
@given(key=KEYS, w0=WORDS, w1=WORDS, w2=WORDS)
def test_siphash24_words_equals_siphash24_on_the_24_bytes(
    key: bytes, w0: int, w1: int, w2: int
) -> None:
    message = b"".join(w.to_bytes(8, "little") for w in (w0, w1, w2))
    assert hash_words(key, w0, w1, w2) == hash_bytes(key, message)


@settings(max_examples=300, deadline=None)
@given(key=KEYS, w0=WORDS, w1=WORDS, w2=WORDS)
def test_the_kernels_words_equal_the_pure_python_words(
    key: bytes, w0: int, w1: int, w2: int
) -> None:
    assert kernel_hash_words(key, w0, w1, w2) == hash_words(key, w0, w1, w2)


@settings(max_examples=200, deadline=None)
@given(key=KEYS, message=st.binary(max_size=100))
def test_siphash24_matches_the_reference_on_random_input(key: bytes, message: bytes) -> None:
    assert hash_bytes(key, message) == reference_siphash24(key, message)
    assert kernel_hash_bytes(key, message) == reference_siphash24(key, message)

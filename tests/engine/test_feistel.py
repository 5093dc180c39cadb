"""The serial Feistel network: the pure-Python `_feistel` against the numba `_serial_kernels`.

Single serials and CLI lookups run the pure-Python network, bulk formatting and a line process's
scans the compiled one, so the two must agree bit for bit: on random keys, tweaks, radices (2 to
82), numeral counts (4 to 20) and counters or halves, including domains beyond 2**64.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine import _serial_kernels as kernels
from jejak.engine._feistel import (
    ROUNDS,
    FeistelKey,
    decrypt,
    encrypt,
    halves_of,
    numerals_of,
)

U64 = 2**64
WORDS = st.integers(0, U64 - 1)


@st.composite
def feistel_keys(draw: st.DrawFn) -> FeistelKey:
    return FeistelKey.of(
        k0=draw(WORDS, label="k0"),
        k1=draw(WORDS, label="k1"),
        tweak=draw(WORDS, label="tweak"),
        radix=draw(st.integers(2, 82), label="radix"),
        numerals=draw(st.integers(4, 20), label="numerals"),
    )


def params(key: FeistelKey) -> np.ndarray:
    return np.array(key, dtype=np.uint64)


def test_the_key_is_the_kernels_parameter_vector() -> None:
    assert FeistelKey._fields == ("k0", "k1", "tweak", "mod_u", "mod_v", "u", "v", "radix")
    layout = (kernels._K0, kernels._K1, kernels._TWEAK, kernels._MOD_U, kernels._MOD_V,
              kernels._U, kernels._V, kernels._RADIX)  # fmt: skip
    assert layout == tuple(range(8))
    key = FeistelKey.of(k0=U64 - 1, k1=7, tweak=U64 - 2, radix=82, numerals=20)
    assert key == (U64 - 1, 7, U64 - 2, 82**10, 82**10, 10, 10, 82)
    assert params(key).tolist() == list(key)  # the largest values survive the uint64 vector
    assert ROUNDS == 10


def test_halves_are_unbalanced_towards_v() -> None:
    key = FeistelKey.of(k0=0, k1=0, tweak=0, radix=32, numerals=9)
    assert (key.u, key.v, key.mod_u, key.mod_v) == (4, 5, 32**4, 32**5)


@settings(max_examples=300, deadline=None)
@given(key=feistel_keys(), data=st.data())
def test_encrypt_agrees_with_the_kernel_and_decrypt_inverts_it(
    key: FeistelKey, data: st.DataObject
) -> None:
    counter = data.draw(st.integers(0, min(key.mod_u * key.mod_v, U64) - 1), label="counter")
    a, b = encrypt(key, counter)
    assert (a, b) == tuple(int(h) for h in kernels._encrypt(np.uint64(counter), params(key)))
    assert 0 <= a < key.mod_u
    assert 0 <= b < key.mod_v
    assert decrypt(key, a, b) == divmod(counter, key.mod_v)


@settings(max_examples=300, deadline=None)
@given(key=feistel_keys(), data=st.data())
def test_decrypt_agrees_with_the_kernel_on_any_halves(key: FeistelKey, data: st.DataObject) -> None:
    a = data.draw(st.integers(0, key.mod_u - 1), label="a")
    b = data.draw(st.integers(0, key.mod_v - 1), label="b")
    c_a, c_b = decrypt(key, a, b)
    assert (c_a, c_b) == tuple(int(h) for h in kernels._decrypt(np.uint64(a), np.uint64(b),
                                                                 params(key)))  # fmt: skip
    numerals = numerals_of(key, a, b)
    assert len(numerals) == key.u + key.v
    assert max(numerals) < key.radix
    assert halves_of(key, numerals) == (a, b)
    as_array = np.frombuffer(numerals, np.uint8).astype(np.uint64)
    kernel = kernels.decrypt_halves(as_array, params(key))
    assert (c_a, c_b) == (int(kernel[0]), int(kernel[1]))
    counter = c_a * key.mod_v + c_b  # may pass 2**64 where the domain does
    if counter < U64:
        assert encrypt(key, counter) == (a, b)


@settings(max_examples=200, deadline=None)
@given(key=feistel_keys(), data=st.data())
def test_format_many_writes_the_numerals_of_encrypt(key: FeistelKey, data: st.DataObject) -> None:
    top = min(key.mod_u * key.mod_v, U64) - 1
    counters = data.draw(st.lists(st.integers(0, top), min_size=1, max_size=20), label="counters")
    head = data.draw(st.binary(max_size=4), label="head")
    alphabet = np.arange(key.radix, dtype=np.uint8)  # each numeral as itself
    out = np.empty((len(counters), len(head) + key.u + key.v), dtype=np.uint8)
    kernels.format_many(np.array(counters, dtype=np.uint64), params(key), alphabet,
                        np.frombuffer(head, np.uint8), out)  # fmt: skip
    expected = [head + numerals_of(key, *encrypt(key, c)) for c in counters]
    assert [bytes(row) for row in out] == expected

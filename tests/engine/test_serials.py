"""Serial numbers: known answers, bijection, round trips, uniqueness, formats and capacity.

Distinctness of many serials is checked by sorting fixed-width byte strings and comparing
neighbours (``np.unique`` is slow on numpy 2.4).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine import serials
from jejak.engine.errors import InvalidFormat, InvalidLength, InvalidQuantity
from jejak.engine.gs1 import AI, Element
from jejak.engine.serials import SerialAlphabet, SerialFormat, SerialPermutation, load_kernels

KEY = bytes(range(16))
OTHER_KEY = bytes(range(16, 32))
SCOPE = b"01:09506000134352"
OTHER_SCOPE = b"01:09506000134369"
U64 = 2**64
# Written out independently of the module.
ALPHABETS = {
    SerialAlphabet.DIGITS: "0123456789",
    SerialAlphabet.UPPER_NO_LOOKALIKES: "23456789ABCDEFGHJKLMNPQRSTUVWXYZ",
    SerialAlphabet.ALPHANUMERIC: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    SerialAlphabet.CSET82_SAFE: "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "*+-.:=?",
}
PREFIX_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-."


def fid(value: object) -> str | None:
    """A short test id for a format: ``digits8:L1/1`` is digits, length 8, prefix L1, 1 tag."""
    if not isinstance(value, SerialFormat):
        return None
    return f"{value.alphabet.value}{value.length}:{value.prefix}/{value.epoch_width}"


def fmt(alphabet: str, length: int, prefix: str = "", epoch_width: int = 1) -> SerialFormat:
    return SerialFormat.parse(
        alphabet=alphabet, length=length, prefix=prefix, epoch_width=epoch_width
    )


@contextmanager
def pure_python() -> Iterator[None]:
    """Run `counter_of` as a process that has not loaded the numba kernels does."""
    loaded = serials._Kernels.module
    serials._Kernels.module = None
    try:
        yield
    finally:
        serials._Kernels.module = loaded


def perm(
    f: SerialFormat, *, epoch: int = 0, key: bytes = KEY, scope: bytes = SCOPE
) -> SerialPermutation:
    return SerialPermutation(f, key=key, scope=scope, epoch=epoch)


def as_keys(serials: npt.NDArray[np.uint8]) -> npt.NDArray[np.bytes_]:
    """Rows of ASCII bytes as one fixed-width byte string each (serials hold no NUL)."""
    return np.ascontiguousarray(serials).view(f"S{serials.shape[1]}").ravel()


def assert_distinct(serials: npt.NDArray[np.uint8]) -> None:
    ordered = np.sort(as_keys(serials))
    repeats = ordered[1:][ordered[1:] == ordered[:-1]]
    assert repeats.size == 0, repeats[:5]


def overlap(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> int:
    """How many serials two sets of distinct serials share."""
    return int(np.intersect1d(as_keys(a), as_keys(b), assume_unique=True).size)


def every_string(f: SerialFormat, head: str) -> npt.NDArray[np.uint8]:
    """All strings of the format, head first, as an (alphabet ** n, length) byte array."""
    chars = np.frombuffer(ALPHABETS[f.alphabet].encode(), np.uint8)
    n, radix = f.permuted_length, len(chars)
    index = np.arange(radix**n, dtype=np.int64)
    out = np.empty((index.size, f.length), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head.encode(), np.uint8)
    for j in range(n):
        out[:, len(head) + j] = chars[(index // radix ** (n - 1 - j)) % radix]
    return out


def assert_in_alphabet(serials: npt.NDArray[np.uint8], f: SerialFormat, head: str) -> None:
    if head:
        assert (as_keys(serials[:, : len(head)]) == head.encode()).all()
    allowed = np.frombuffer(ALPHABETS[f.alphabet].encode(), np.uint8)
    assert np.isin(serials[:, len(head) :], allowed).all()


# --- known answers: a change to the algorithm must fail here -------------------------------------

KNOWN = [
    # (alphabet, length, prefix, epoch width, epoch, key, scope): {counter: serial}
    (("upper_no_lookalikes", 10, "", 1, 0, KEY, SCOPE),
     {0: "2TWEGNB8MC", 1: "2Y55PKJ622", 2: "2T35DCU5PS", 3_518_437_207: "2PJPQF4Z9R",
      35_184_372_088_831: "2EWA8VVSER"}),
    (("upper_no_lookalikes", 10, "", 1, 1, KEY, SCOPE),
     {0: "3VQ4RBTCFT", 1: "3S7LVBXF34", 2: "3YDZ7YXVWJ", 35_184_372_088_831: "3CJUFERE6F"}),
    (("digits", 12, "", 1, 0, KEY, b"90:DKL1234567890A1"),
     {0: "090034860374", 1: "054610044271", 2: "081521833368", 9_999_999: "086847248185",
      99_999_999_999: "078055310076"}),
    (("digits", 6, "", 0, 0, KEY, SCOPE),
     {0: "992543", 1: "346150", 2: "982023", 99: "571699", 999_999: "088209"}),
    (("alphanumeric", 20, "L1-", 2, 5, KEY, SCOPE),
     {0: "L1-05qHRe7jnb6uEgRUN", 1: "L1-0522aWz4NyOrcrb5U", 2: "L1-059DyGYnupfUuIjq6",
      12_345_678_901_234_567: "L1-05fpVedUFouTUdc7I", U64 - 1: "L1-05RIFkA4S1QoXGtPe"}),
    (("alphanumeric", 11, "", 0, 0, bytes(16), b""),
     {0: "2bQbPtgjKTg", 1: "5YhIIv4b8te", 2: "9sU9J28rpJD", 5_203_656_068_383_709: "0YHWDeyvxzu",
      U64 - 1: "O0cAaof9Pom"}),
    (("cset82_safe", 8, "", 0, 0, KEY, SCOPE),
     {0: "YyWi7a?Q", 1: "rIJsuQLh", 2: "-MHS.oiD", 51_379_837_441: "RP2Ho3Cd",
      513_798_374_428_640: "BT+8D?OK"}),
    (("cset82_safe", 20, "X.", 1, 3, OTHER_KEY, SCOPE),
     {0: "X.3zp9LJ*OTyEDFPlKNa", 1: "X.3Idxxr:pXWzvqEWTNI", 2: "X.3rsQdc5eS*-7zFe4Oq",
      12_345_678_901_234_567: "X.3j3Oihz3Q*0d:*77jv", U64 - 1: "X.3EDxzFu1e:DnEVgfZq"}),
    # The epoch tweak: one byte up to 255, four bytes from 256 on.
    (("upper_no_lookalikes", 12, "", 2, 255, KEY, SCOPE),
     {0: "9ZULANMTDZUM", 1: "9Z8QNMYLZYD8", 2: "9Z2PWHY9WGER", 35_184_372_088_831: "9Z2NJW3ZJ6Q4"}),
    (("upper_no_lookalikes", 12, "", 2, 256, KEY, SCOPE),
     {0: "A2V8RYNETP3Z", 1: "A2NXTQFFVXER", 2: "A2JVGUR7DDJ4", 35_184_372_088_831: "A2CBDB5NPYVU"}),
    (("cset82_safe", 16, "L2", 2, 4_000, OTHER_KEY, b"90:DKL1234567890A1"),
     {0: "L2v=cL?chgi1nKZ.", 1: "L2v=Ah+e0p+bIrT:", 2: "L2v=glyefUKmmCo8",
      U64 - 1: "L2v=k-B7-oKsvmTv"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"), KNOWN, ids=[f"{p[0]}{p[1]}:{p[2]}/{p[3]}@{p[4]}" for p, _ in KNOWN]
)
def test_known_answers(
    params: tuple[str, int, str, int, int, bytes, bytes], expected: dict[int, str]
) -> None:
    alphabet, length, prefix, epoch_width, epoch, key, scope = params
    p = perm(fmt(alphabet, length, prefix, epoch_width), epoch=epoch, key=key, scope=scope)
    assert {counter: p.serial(counter) for counter in expected} == expected
    with pure_python():
        assert {p.counter_of(serial): serial for serial in expected.values()} == expected
    counters = np.array(list(expected), dtype=np.uint64)
    assert [bytes(row).decode() for row in p.format(counters)] == list(expected.values())
    assert {p.counter_of(serial): serial for serial in expected.values()} == expected  # numba


def test_known_answer_of_a_string_never_issued() -> None:
    p = perm(fmt("upper_no_lookalikes", 10))
    assert p.counter_of("2Y55PKJ623") == 23_316_462_895_536
    assert p.serial(23_316_462_895_536) == "2Y55PKJ623"


# --- bijection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "epoch"),
    [(fmt("digits", 6, epoch_width=0), 0),  # 10**6, halves of 3 and 3
     (fmt("digits", 6, prefix="L", epoch_width=0), 0),  # 10**5, halves of 2 and 3
     (fmt("upper_no_lookalikes", 6, epoch_width=2), 37)],  # 32**4 behind the tag "37"
    ids=fid,
)  # fmt: skip
def test_the_permutation_is_a_bijection_of_the_whole_domain(f: SerialFormat, epoch: int) -> None:
    p = perm(f, epoch=epoch)
    serials = p.format(np.arange(f.domain, dtype=np.uint64))
    head = f.prefix + f.epoch_tag(epoch)
    assert np.array_equal(np.sort(as_keys(serials)), np.sort(as_keys(every_string(f, head))))
    for counter in range(0, f.domain, f.domain // 500):
        assert p.counter_of(bytes(serials[counter])) == counter


def test_epoch_tags_of_an_alphabet() -> None:
    assert fmt("upper_no_lookalikes", 10, epoch_width=2).epoch_tag(37) == "37"  # 1*32 + 5
    assert fmt("digits", 10, epoch_width=2).epoch_tag(5) == "05"
    assert fmt("digits", 10, epoch_width=0).epoch_tag(0) == ""
    f = fmt("alphanumeric", 10, epoch_width=2)
    tags = [f.epoch_tag(epoch) for epoch in range(f.max_epochs)]
    assert (len(set(tags)), f.max_epochs) == (62**2, 62**2)
    assert all(len(tag) == 2 and set(tag) <= set(ALPHABETS[f.alphabet]) for tag in tags)


@pytest.mark.parametrize(
    ("f", "epoch", "message"),
    [(fmt("digits", 10, epoch_width=0), 1, ("Invalid key epoch 1: expected 0 to 0 for 0 epoch "
      "character(s). Hint: widen the epoch tag.")),
     (fmt("upper_no_lookalikes", 10), 32, ("Invalid key epoch 32: expected 0 to 31 for 1 epoch "
      "character(s). Hint: widen the epoch tag.")),
     (fmt("digits", 10, epoch_width=2), -1, ("Invalid key epoch -1: expected 0 to 99 for 2 epoch "
      "character(s). Hint: widen the epoch tag."))],
    ids=fid,
)  # fmt: skip
def test_epochs_beyond_the_tag_are_refused(f: SerialFormat, epoch: int, message: str) -> None:
    with pytest.raises(InvalidQuantity, match=re.escape(message)):
        f.epoch_tag(epoch)
    with pytest.raises(InvalidQuantity, match=re.escape(message)):
        perm(f, epoch=epoch)


# --- round trips over random formats ------------------------------------------------------------


@st.composite
def formats(draw: st.DrawFn) -> SerialFormat:
    alphabet = draw(st.sampled_from(SerialAlphabet))
    length = draw(st.integers(6, 20))
    epoch_width = draw(st.integers(0, 2))
    prefix = draw(st.text(PREFIX_CHARS, max_size=length - epoch_width - 4))
    return fmt(alphabet, length, prefix, epoch_width)


def epochs(f: SerialFormat) -> st.SearchStrategy[int]:
    """Epochs of the format, from both sides of 256 where the tag allows (the tweak widens)."""
    top = f.max_epochs - 1
    if top < 256:
        return st.integers(0, top)
    return st.one_of(st.integers(0, 255), st.integers(256, top))


def draw_permutation(data: st.DataObject) -> SerialPermutation:
    """A permutation of a random format, epoch, key and scope, each shown when a test fails."""
    f = data.draw(formats(), label="format")
    return perm(
        f,
        epoch=data.draw(epochs(f), label="epoch"),
        key=data.draw(st.binary(min_size=16, max_size=16), label="key"),
        scope=data.draw(st.binary(max_size=30), label="scope"),
    )


@st.composite
def counters(draw: st.DrawFn, f: SerialFormat) -> int:
    """A counter below the capacity (what a store issues) or anywhere in the domain."""
    top = min(f.capacity(), U64) if draw(st.booleans()) else min(f.domain, U64)
    return draw(st.integers(0, top - 1))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_counter_of_inverts_serial(data: st.DataObject) -> None:
    p = draw_permutation(data)
    f = p.format_
    counter = data.draw(counters(f), label="counter")
    serial = p.serial(counter)
    assert p.counter_of(serial) == p.counter_of(serial.encode()) == counter
    assert len(serial) == f.length
    assert serial.startswith(f.prefix)
    assert set(serial[len(f.prefix) :]) <= set(ALPHABETS[f.alphabet])  # epoch tag and the rest
    assert Element.parse(AI.SERIAL, serial) == Element(AI.SERIAL, serial)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_every_string_of_the_format_is_the_serial_of_its_counter(data: st.DataObject) -> None:
    # The docstring's promise: any string of the format maps back to *some* counter, and that
    # counter's serial is the string. Lookup trusts that counter to decide whether it was issued.
    # Counters are 64-bit: a string whose counter would be larger is reported as no serial.
    p = draw_permutation(data)
    f = p.format_
    head = p.serial(0)[: len(f.prefix) + f.epoch_width]
    tail = data.draw(st.text(ALPHABETS[f.alphabet], min_size=f.permuted_length,
                             max_size=f.permuted_length), label="permuted part")  # fmt: skip
    counter = p.counter_of(head + tail)
    if counter is None:
        assert f.domain > 2**64  # only possible where counters outgrow 64 bits
        return
    assert 0 <= counter < min(f.domain, 2**64)
    assert p.serial(counter) == head + tail


# --- pure Python and the numba kernels ----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_pure_python_and_the_kernels_give_the_same_serials_and_counters(
    data: st.DataObject,
) -> None:
    # `serial` and a CLI's `counter_of` run in pure Python, `format` and a line process's
    # `counter_of` in numba: a serial must not depend on which one made or read it.
    p = draw_permutation(data)
    f = p.format_
    issued = data.draw(st.lists(counters(f), min_size=1, max_size=8), label="counters")
    bulk = [bytes(row).decode() for row in p.format(np.array(issued, dtype=np.uint64))]
    assert [p.serial(counter) for counter in issued] == bulk
    tails = st.text(ALPHABETS[f.alphabet], min_size=f.permuted_length, max_size=f.permuted_length)
    head = bulk[0][: len(f.prefix) + f.epoch_width]
    strings = bulk + [head + tail for tail in data.draw(st.lists(tails, max_size=4), label="any")]
    with pure_python():
        pure = [p.counter_of(string) for string in strings]
    assert pure == [p.counter_of(string) for string in strings]
    assert pure[: len(issued)] == issued


SINGLE_SERIALS = """
import sys
from jejak.engine.serials import SerialFormat, SerialPermutation, load_kernels
fmt = SerialFormat.parse(alphabet="upper_no_lookalikes", length=10)
perm = SerialPermutation(fmt, key=bytes(range(16)), scope=b"01:09506000134352", epoch=0)
def show():
    found = perm.counter_of("2Y55PKJ622"), perm.counter_of("2Y55PKJ623")
    print(perm.serial(0), *found, "numba" in sys.modules)
show()
load_kernels()
show()
"""


def test_single_serials_need_no_numba_until_the_kernels_are_loaded() -> None:
    # Issue 9: a CLI command that makes or looks up one serial must not import numba (0.4 s).
    done = subprocess.run(
        [sys.executable, "-c", SINGLE_SERIALS], capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines() == [
        "2TWEGNB8MC 1 23316462895536 False",
        "2TWEGNB8MC 1 23316462895536 True",
    ]


def test_load_kernels_gives_counter_of_the_compiled_inverse() -> None:
    load_kernels()
    load_kernels()  # again: nothing more to do
    assert serials._Kernels.module is not None
    assert perm(fmt("upper_no_lookalikes", 10)).counter_of("2Y55PKJ623") == 23_316_462_895_536


# --- uniqueness and independence ----------------------------------------------------------------

MANY = 200_000


@pytest.mark.parametrize(
    ("f", "start"),
    [(fmt("upper_no_lookalikes", 10), 0),
     (fmt("digits", 8), 0),  # 10**7: 2 % of the domain
     (fmt("digits", 8), 10**7 - MANY),  # the last counters of the domain
     (fmt("alphanumeric", 12, prefix="L1"), 0),
     (fmt("cset82_safe", 20, epoch_width=2), 2**40),
     (fmt("upper_no_lookalikes", 7, epoch_width=0), 3_000_000)],
    ids=fid,
)  # fmt: skip
def test_serials_never_repeat_within_a_scope(f: SerialFormat, start: int) -> None:
    serials = perm(f).format(np.arange(start, start + MANY, dtype=np.uint64))
    assert serials.shape == (MANY, f.length)
    assert_distinct(serials)
    assert_in_alphabet(serials, f, f.prefix + f.epoch_tag(0))
    for row in serials[:: MANY // 200]:
        serial = bytes(row).decode("ascii")
        assert Element.parse(AI.SERIAL, serial) == Element(AI.SERIAL, serial)


@pytest.mark.parametrize(
    "f", [fmt("upper_no_lookalikes", 10), fmt("digits", 6, epoch_width=2)], ids=fid
)
def test_serials_never_repeat_across_key_epochs(f: SerialFormat) -> None:
    counters = np.arange(min(MANY, f.domain), dtype=np.uint64)
    first = perm(f, epoch=0, key=KEY).format(counters)
    second = perm(f, epoch=1, key=OTHER_KEY).format(counters)
    assert overlap(first, second) == 0
    assert_distinct(np.concatenate([first, second]))
    assert_in_alphabet(second, f, f.prefix + f.epoch_tag(1))


@pytest.mark.parametrize(
    "other", [{"scope": OTHER_SCOPE}, {"key": OTHER_KEY}], ids=["scope", "key"]
)
def test_other_scopes_and_keys_give_unrelated_serials(other: dict[str, bytes]) -> None:
    # Small domain: 100,000 of 10**6 serials each; two independent random sets share about
    # 100,000**2 / 10**6 = 10,000 (standard deviation about 90) and agree in 0.1 positions.
    small = fmt("digits", 6, epoch_width=0)
    counters = np.arange(100_000, dtype=np.uint64)
    a, b = perm(small).format(counters), perm(small, **other).format(counters)  # type: ignore[arg-type]
    assert 9_500 < overlap(a, b) < 10_500
    assert int((a == b).all(axis=1).sum()) <= 3
    assert 0.095 < float((a == b).mean()) < 0.105  # each digit agrees by chance: 1 in 10
    # A real domain: 200,000 of 32**9; chance overlap 0.001.
    real = fmt("upper_no_lookalikes", 10)
    counters = np.arange(MANY, dtype=np.uint64)
    a, b = perm(real).format(counters), perm(real, **other).format(counters)  # type: ignore[arg-type]
    assert overlap(a, b) == 0
    assert 1 / 32 - 0.002 < float((a[:, 1:] == b[:, 1:]).mean()) < 1 / 32 + 0.002


# --- counter_of on strings that are not serials of the permutation -----------------------------


def test_counter_of_refuses_other_lengths_heads_and_epochs() -> None:
    f = fmt("upper_no_lookalikes", 12, prefix="L1")
    p = perm(f, epoch=0)
    serial = p.serial(7)
    assert serial[:3] == "L12"
    later = perm(f, epoch=1, key=OTHER_KEY).serial(7)
    for wrong in [serial[:-1], serial + "2", "", "L1", "L2" + serial[2:], "l1" + serial[2:],
                  "X" + serial[1:], "L13" + serial[3:], later, later.encode()]:  # fmt: skip
        assert p.counter_of(wrong) is None, wrong
    assert p.counter_of(serial) == p.counter_of(serial.encode()) == 7


@pytest.mark.parametrize(
    ("alphabet", "bad"),
    [("digits", "A"), ("digits", "-"), ("digits", "٣"), ("digits", "０"),
     ("upper_no_lookalikes", "0"), ("upper_no_lookalikes", "1"), ("upper_no_lookalikes", "O"),
     ("upper_no_lookalikes", "I"), ("upper_no_lookalikes", "a"), ("upper_no_lookalikes", "?"),
     ("alphanumeric", "-"), ("alphanumeric", "?"), ("alphanumeric", "é"),
     ("cset82_safe", "#"), ("cset82_safe", "/"), ("cset82_safe", " "), ("cset82_safe", "\x1d"),
     ("cset82_safe", "\x00"), ("cset82_safe", "é"), ("cset82_safe", "０")],
)  # fmt: skip
def test_counter_of_refuses_characters_outside_the_alphabet(alphabet: str, bad: str) -> None:
    p = perm(fmt(alphabet, 10))
    serial = p.serial(12345)
    for position in (1, 5, 9):
        wrong = serial[:position] + bad + serial[position + 1 :]
        assert p.counter_of(wrong) is None, wrong
        assert p.counter_of(wrong.encode("utf-8")) is None, wrong


# --- formats ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"alphabet": "digits", "length": 12},
      SerialFormat(SerialAlphabet.DIGITS, 12, "", 1)),
     ({"alphabet": SerialAlphabet.CSET82_SAFE, "length": 20, "prefix": "L-1.", "epoch_width": 2},
      SerialFormat(SerialAlphabet.CSET82_SAFE, 20, "L-1.", 2)),
     ({"alphabet": "upper_no_lookalikes", "length": 6, "prefix": "AB", "epoch_width": 0},
      SerialFormat(SerialAlphabet.UPPER_NO_LOOKALIKES, 6, "AB", 0))],  # 4 left to permute
)  # fmt: skip
def test_parse_format(kwargs: dict[str, object], expected: SerialFormat) -> None:
    assert SerialFormat.parse(**kwargs) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("f", "expected"),
    # format: (radix, permuted length, domain, max epochs, capacity)
    [(fmt("digits", 6, epoch_width=0), (10, 6, 10**6, 1, 100)),
     (fmt("upper_no_lookalikes", 10), (32, 9, 32**9, 32, 3_518_437_208)),
     (fmt("alphanumeric", 12, prefix="L1", epoch_width=2), (62, 8, 62**8, 62**2, 21_834_010_558)),
     (fmt("cset82_safe", 8, epoch_width=0), (69, 8, 69**8, 1, 51_379_837_442))],
    ids=fid,
)  # fmt: skip
def test_format_sizes(f: SerialFormat, expected: tuple[int, int, int, int, int]) -> None:
    assert (f.radix, f.permuted_length, f.domain, f.max_epochs, f.capacity()) == expected
    assert f.alphabet.characters == ALPHABETS[f.alphabet]


NAMES = "'digits', 'upper_no_lookalikes', 'alphanumeric', 'cset82_safe'"
ALPHABET_HINT = "Hint: 'upper_no_lookalikes' suits most lines."
LENGTH_HINT = "Hint: 10 to 12 characters give room for billions of codes."
PREFIX_HINT = "Hint: the prefix is fixed text such as a line number, e.g. 'L1'."
EPOCH_HINT = "Hint: 1 allows as many key rotations as the alphabet has characters."
SHORT_HINT = "Hint: lengthen the serial or shorten the prefix."


PARSE_ERRORS = [
    ({"alphabet": "base32", "length": 10}, InvalidFormat,
     f"Invalid serial alphabet 'base32': expected one of {NAMES}. {ALPHABET_HINT}"),
    ({"alphabet": "DIGITS", "length": 10}, InvalidFormat,
     f"Invalid serial alphabet 'DIGITS': expected one of {NAMES}. {ALPHABET_HINT}"),
    ({"alphabet": None, "length": 10}, InvalidFormat,
     f"Invalid serial alphabet None: expected one of {NAMES}. {ALPHABET_HINT}"),
    ({"alphabet": "x" * 100, "length": 10}, InvalidFormat,
     f"Invalid serial alphabet '{'x' * 39}…{'x' * 11}' (102 chars): expected one of {NAMES}."),
    ({"alphabet": "digits", "length": 5}, InvalidLength,
     f"Invalid serial length 5: expected 6 to 20 (BPOM AI 21). {LENGTH_HINT}"),
    ({"alphabet": "digits", "length": 21}, InvalidLength,
     f"Invalid serial length 21: expected 6 to 20 (BPOM AI 21). {LENGTH_HINT}"),
    ({"alphabet": "digits", "length": "10"}, InvalidLength,
     f"Invalid serial length '10': expected 6 to 20 (BPOM AI 21). {LENGTH_HINT}"),
    ({"alphabet": "digits", "length": True}, InvalidLength,
     f"Invalid serial length True: expected 6 to 20 (BPOM AI 21). {LENGTH_HINT}"),
    ({"alphabet": "digits", "length": 10.0}, InvalidLength,
     f"Invalid serial length 10.0: expected 6 to 20 (BPOM AI 21). {LENGTH_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "L 1"}, InvalidFormat,
     f"Invalid serial prefix 'L 1': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "L/1"}, InvalidFormat,
     f"Invalid serial prefix 'L/1': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "L#"}, InvalidFormat,
     f"Invalid serial prefix 'L#': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "Ä"}, InvalidFormat,
     f"Invalid serial prefix 'Ä': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "٣"}, InvalidFormat,
     f"Invalid serial prefix '٣': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": "L1\n"}, InvalidFormat,
     f"Invalid serial prefix 'L1\\n': expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "prefix": 1}, InvalidFormat,
     f"Invalid serial prefix 1: expected letters, digits, '-' or '.'. {PREFIX_HINT}"),
    ({"alphabet": "digits", "length": 10, "epoch_width": 3}, InvalidLength,
     f"Invalid epoch width 3: expected 0, 1 or 2 characters. {EPOCH_HINT}"),
    ({"alphabet": "digits", "length": 10, "epoch_width": -1}, InvalidLength,
     f"Invalid epoch width -1: expected 0, 1 or 2 characters. {EPOCH_HINT}"),
    ({"alphabet": "digits", "length": 10, "epoch_width": "1"}, InvalidLength,
     f"Invalid epoch width '1': expected 0, 1 or 2 characters. {EPOCH_HINT}"),
    ({"alphabet": "digits", "length": 10, "epoch_width": True}, InvalidLength,
     f"Invalid epoch width True: expected 0, 1 or 2 characters. {EPOCH_HINT}"),
    ({"alphabet": "digits", "length": 6, "prefix": "AB"}, InvalidLength,
     ("Invalid serial format: length 6 leaves 3 characters to permute after prefix 'AB' and 1 "
     f"epoch character(s); expected at least 4. {SHORT_HINT}")),
    ({"alphabet": "digits", "length": 8, "prefix": "LINE-1", "epoch_width": 2}, InvalidLength,
     ("Invalid serial format: length 8 leaves 0 characters to permute after prefix 'LINE-1' and 2 "
     f"epoch character(s); expected at least 4. {SHORT_HINT}")),
    ({"alphabet": "digits", "length": 6, "prefix": "LINE-12"}, InvalidLength,
     ("Invalid serial format: length 6 leaves -2 characters to permute after prefix 'LINE-12' "
     f"and 1 epoch character(s); expected at least 4. {SHORT_HINT}")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    PARSE_ERRORS,
    ids=[",".join(f"{k}={v!r}"[:24] for k, v in kwargs.items()) for kwargs, _, _ in PARSE_ERRORS],
)
def test_parse_format_refuses(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        SerialFormat.parse(**kwargs)  # type: ignore[arg-type]


def test_a_format_accepts_exactly_four_characters_to_permute() -> None:
    f = fmt("digits", 20, prefix="P" * 14, epoch_width=2)
    assert (f.permuted_length, f.domain, f.capacity()) == (4, 10**4, 1)


# --- capacity: the guess probability of 1 in 10,000 ---------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        fmt("digits", 6, epoch_width=0),  # 10**6: exactly 100
        fmt("digits", 6, epoch_width=2),  # 10**4: exactly 1
        fmt("digits", 8, epoch_width=0),
        fmt("upper_no_lookalikes", 10),  # 32**9
        fmt("upper_no_lookalikes", 12, prefix="L1"),  # 32**9 again, behind a prefix
        fmt("alphanumeric", 10),  # 62**9
        fmt("cset82_safe", 8, epoch_width=0),  # 69**8
        fmt("alphanumeric", 12),  # 62**11, capacity near 2**52
        fmt("upper_no_lookalikes", 15),  # 32**14, capacity near 2**57
        fmt("digits", 20, epoch_width=0),  # 10**20: exactly 10**16
    ],
    ids=lambda f: f"{f.alphabet.value}^{f.permuted_length}",  # named by the domain
)
def test_capacity_is_the_guess_probability_bound(f: SerialFormat) -> None:
    bound = f.domain // 10_000  # exact integer arithmetic
    assert f.capacity() == bound
    assert f.check_capacity(0, bound) == bound / f.domain
    assert f.check_capacity(bound - 1, 1) == bound / f.domain
    with pytest.raises(InvalidQuantity, match=re.escape(f"Invalid allocation of {bound + 1:,}")):
        f.check_capacity(0, bound + 1)
    with pytest.raises(InvalidQuantity, match=re.escape("Invalid allocation of 1 serials:")):
        f.check_capacity(bound, 1)


@pytest.mark.parametrize(
    ("f", "issued", "requested", "message"),
    [(fmt("digits", 8, epoch_width=0), 9_000, 2_000,
      ("Invalid allocation of 2,000 serials: 9,000 already issued in this scope would make the "
      "guess probability 1.10e-04, expected at most 1e-04 (10,000 serials for 10^8). Hint: use "
      "longer serials, a larger alphabet, or rotate the serial key to start a new epoch.")),
     (fmt("upper_no_lookalikes", 10), 0, 7_000_000_000,
      ("Invalid allocation of 7,000,000,000 serials: 0 already issued in this scope would make "
      "the guess probability 1.99e-04, expected at most 1e-04 (3,518,437,208 serials for 32^9). "
      "Hint: use longer serials, a larger alphabet, or rotate the serial key to start a new "
      "epoch."))],
    ids=fid,
)  # fmt: skip
def test_check_capacity_names_the_numbers(
    f: SerialFormat, issued: int, requested: int, message: str
) -> None:
    with pytest.raises(InvalidQuantity, match=re.escape(message)):
        f.check_capacity(issued, requested)


def test_check_capacity_returns_the_guess_probability() -> None:
    f = fmt("digits", 8, epoch_width=0)
    assert (f.check_capacity(0, 0), f.check_capacity(0, 1), f.check_capacity(4_000, 1_000)) == (
        0.0, 1e-8, 5e-5
    )  # fmt: skip


# --- format() -----------------------------------------------------------------------------------


def test_format_refuses_counters_outside_the_domain() -> None:
    p = perm(fmt("digits", 6, epoch_width=0))
    assert bytes(p.format(np.array([999_999], dtype=np.uint64))[0]) == b"088209"
    message = (
        "Invalid counter 1000000: expected below the domain 1000000. Hint: the scope's epoch is "
        "exhausted; rotate the key."
    )
    with pytest.raises(InvalidQuantity, match=re.escape(message)):
        p.format(np.array([5, 1_000_000, 7], dtype=np.uint64))
    with pytest.raises(InvalidQuantity, match=re.escape(message)):
        p.serial(1_000_000)
    big = "Invalid counter 18446744073709551615: expected below the domain 1000000."
    with pytest.raises(InvalidQuantity, match=re.escape(big)):
        p.format(np.array([U64 - 1], dtype=np.uint64))


def test_format_many_agrees_with_serial_one_by_one() -> None:
    p = perm(fmt("alphanumeric", 14, prefix="A-"))
    counters = np.arange(0, 10**12, 10**12 // 300, dtype=np.uint64)
    serials = p.format(counters)
    assert (serials.shape, serials.dtype) == ((counters.size, 14), np.dtype(np.uint8))
    assert [bytes(row).decode() for row in serials] == [p.serial(int(c)) for c in counters]
    assert p.format(np.array([], dtype=np.uint64)).shape == (0, 14)
    assert bytes(p.format([3])[0]).decode() == p.serial(3)  # type: ignore[arg-type]

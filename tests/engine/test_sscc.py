"""SSCC (AI 00) formats: digits, check digits, counters back from SSCCs, parse errors, capacity.

Check digits are checked against biip (an independent GS1 parser) and against hand-computed
GS1 examples; the vectorised `format_many` is checked against the scalar `sscc`.
"""

from __future__ import annotations

import json
import re

import biip
import numpy as np
import pytest
from biip.sscc import Sscc
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, InvalidLength, InvalidQuantity
from jejak.engine.sscc import SsccFormat

ID = SsccFormat.parse(company_prefix="8991234", extension=0)  # GS1 Indonesia (899), 7 digits
PREFIXES = ["8991234", "89912345", "899123456", "8991234567", "0614141", "7610425"]


def biip_sscc(sscc: str) -> Sscc:
    """biip's reading of an SSCC: `Sscc.parse` raises on a bad check digit; `biip.parse` of
    the element string reports the same error in `sscc_error` (biip 5 does not raise there)."""
    result = biip.parse("00" + sscc)
    assert result.sscc_error is None, result.sscc_error
    assert result.sscc is not None
    assert result.sscc.value == sscc
    return Sscc.parse(sscc)


formats = st.builds(
    lambda prefix, extension: SsccFormat.parse(company_prefix=prefix, extension=extension),
    st.sampled_from(PREFIXES),
    st.integers(0, 9),
)


@st.composite
def format_and_counter(draw: st.DrawFn) -> tuple[SsccFormat, int]:
    fmt = draw(formats)
    top = fmt.capacity - 1
    counter = draw(st.one_of(st.integers(0, top), st.sampled_from([0, 1, top - 1, top])))
    return fmt, counter


# Known SSCCs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "extension", "counter", "sscc"),
    [
        # GS1 General Specifications' example: 1 0614141 123456789, check digit 7. By hand, from
        # the right, weights 3,1,3,...: 9*3+8+7*3+6+5*3+4+3*3+2+1*3+1+4*3+1+4*3+1+6*3+0+1*3 = 143.
        ("0614141", 1, 123456789, "106141411234567897"),
        ("7610425", 3, 2123456, "376104250021234569"),  # 3 7610425 002123456, check 9
        # 0 8991234 000000001: 1*3 + 4*3 + 3 + 2*3 + 1 + 9*3 + 9 + 8*3 + 0 = 85, check 5.
        ("8991234", 0, 1, "089912340000000015"),
        ("8991234", 0, 0, "089912340000000008"),  # the same less 3: 82, check 8
        ("8991234567", 9, 999_999, "989912345679999991"),  # the last SSCC of a 10-digit prefix
        ("89912345", 5, 42, "589912345000000428"),
        ("899123456", 0, 1_234_567, "089912345612345677"),
    ],
)
def test_known_ssccs(prefix: str, extension: int, counter: int, sscc: str) -> None:
    fmt = SsccFormat.parse(company_prefix=prefix, extension=extension)
    assert fmt.sscc(counter) == sscc
    assert fmt.format_many(np.array([counter], dtype=np.uint64)).tobytes() == sscc.encode()
    assert fmt.counter_of(sscc) == counter
    read = biip_sscc(sscc)
    assert (read.extension_digit, read.check_digit) == (extension, int(sscc[-1]))
    assert read.payload == f"{extension}{prefix}{counter:0{16 - len(prefix)}d}"


def test_biip_refuses_a_wrong_check_digit() -> None:
    """The oracle itself: a wrong check digit is an error for biip, as for `counter_of`."""
    with pytest.raises(biip.ParseError, match=re.escape("Expected 5, got 6.")):
        Sscc.parse("089912340000000016")
    assert biip.parse("00089912340000000016").sscc_error == (
        "Invalid SSCC check digit for '089912340000000016': Expected 5, got 6."
    )
    assert ID.counter_of("089912340000000016") is None


# format_many and counter_of --------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(fmt=formats, data=st.data())
def test_format_many_equals_the_scalar_sscc(fmt: SsccFormat, data: st.DataObject) -> None:
    top = fmt.capacity - 1
    counters = data.draw(
        st.lists(st.one_of(st.integers(0, top), st.sampled_from([0, top])), max_size=50)
    )
    out = fmt.format_many(np.array(counters, dtype=np.uint64))
    assert out.dtype == np.uint8
    assert out.shape == (len(counters), 18)
    assert [row.tobytes().decode() for row in out] == [fmt.sscc(n) for n in counters]


def test_format_many_of_the_whole_top_of_a_10_digit_prefix() -> None:
    fmt = SsccFormat.parse(company_prefix="8991234567", extension=3)
    counters = np.arange(fmt.capacity - 1000, fmt.capacity, dtype=np.uint64)
    rows = [row.tobytes().decode() for row in fmt.format_many(counters)]
    assert rows == [fmt.sscc(int(n)) for n in counters]
    assert rows[-1] == "389912345679999999"
    assert all(biip_sscc(s).company_prefix is not None for s in rows[-3:])


@settings(max_examples=300, deadline=None)
@given(format_and_counter())
def test_counter_of_inverts_sscc(pair: tuple[SsccFormat, int]) -> None:
    fmt, counter = pair
    sscc = fmt.sscc(counter)
    assert len(sscc) == 18
    assert re.fullmatch(r"[0-9]{18}", sscc)
    assert sscc.startswith(f"{fmt.extension}{fmt.company_prefix}")
    assert fmt.counter_of(sscc) == counter
    biip_sscc(sscc)


@settings(max_examples=200, deadline=None)
@given(format_and_counter(), st.integers(0, 17), st.integers(1, 9))
def test_counter_of_refuses_any_one_changed_digit(
    pair: tuple[SsccFormat, int], position: int, delta: int
) -> None:
    """A GS1 check digit catches every single-digit error, and the head names the format."""
    fmt, counter = pair
    sscc = fmt.sscc(counter)
    digit = str((int(sscc[position]) + delta) % 10)
    changed = sscc[:position] + digit + sscc[position + 1 :]
    assert fmt.counter_of(changed) is None


@pytest.mark.parametrize(
    ("sscc", "why"),
    [
        ("189912340000000012", "another extension digit"),
        ("089912350000000014", "another company prefix"),
        ("006141411234567890", "another company prefix, valid check digit"),
        ("089912340000000016", "wrong check digit"),
        ("08991234000000001", "17 digits"),
        ("0899123400000000150", "19 digits"),
        ("", "empty"),
        ("08991234000000001X", "a letter"),
        ("(00)089912340000000015", "HRI, not bare digits"),
        ("00089912340000000015", "element string, not bare digits"),
        ("０８９９１２３４００００００００１５", "full-width digits"),
        ("08991234 000000001", "a space"),
        ("089912340000000015\n", "a newline"),
    ],
)
def test_counter_of_returns_none_for_other_codes(sscc: str, why: str) -> None:
    assert ID.counter_of(sscc) is None, why


def test_counter_of_tells_extensions_apart() -> None:
    other = SsccFormat.parse(company_prefix="8991234", extension=1)
    assert ID.counter_of(other.sscc(7)) is None
    assert other.counter_of(ID.sscc(7)) is None
    assert other.counter_of(other.sscc(7)) == 7


# parse ------------------------------------------------------------------------------------------

PREFIX_DIGITS = (
    "Invalid GS1 company prefix {}: expected digits. Hint: GS1 Indonesia assigns it; it starts "
    "the site's GTINs (e.g. 8991234)."
)
PREFIX_LENGTH = (
    "Invalid GS1 company prefix {!r}: expected 7 to 10 digits, got {}. Hint: an SSCC needs at "
    "least 6 digits of serial reference after the prefix."
)
EXTENSION = (
    "Invalid SSCC extension digit {}: expected one digit, 0-9. Hint: the site chooses it, e.g. "
    "one per packaging line."
)


@pytest.mark.parametrize(
    ("prefix", "extension", "error", "message"),
    [
        ("899-1234", 0, InvalidFormat, PREFIX_DIGITS.format("'899-1234'")),
        ("", 0, InvalidFormat, PREFIX_DIGITS.format("''")),
        (" 8991234", 0, InvalidFormat, PREFIX_DIGITS.format("' 8991234'")),
        ("８９９１２３４", 0, InvalidFormat, PREFIX_DIGITS.format("'８９９１２３４'")),
        (8991234, 0, InvalidFormat, PREFIX_DIGITS.format("8991234")),  # an int loses zeros
        (None, 0, InvalidFormat, PREFIX_DIGITS.format("None")),
        ("899123", 0, InvalidLength, PREFIX_LENGTH.format("899123", 6)),
        ("89912345678", 0, InvalidLength, PREFIX_LENGTH.format("89912345678", 11)),
        ("8991234", 10, InvalidFormat, EXTENSION.format("10")),
        ("8991234", "10", InvalidFormat, EXTENSION.format("'10'")),
        ("8991234", -1, InvalidFormat, EXTENSION.format("-1")),
        ("8991234", "-1", InvalidFormat, EXTENSION.format("'-1'")),
        ("8991234", "x", InvalidFormat, EXTENSION.format("'x'")),
        ("8991234", "", InvalidFormat, EXTENSION.format("''")),
        ("8991234", True, InvalidFormat, EXTENSION.format("True")),
        ("8991234", False, InvalidFormat, EXTENSION.format("False")),
        ("8991234", 1.0, InvalidFormat, EXTENSION.format("1.0")),
        ("8991234", None, InvalidFormat, EXTENSION.format("None")),
        ("8991234", "٣", InvalidFormat, EXTENSION.format("'٣'")),  # Arabic-Indic three
    ],
)  # fmt: skip
def test_parse_errors(
    prefix: object, extension: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        SsccFormat.parse(company_prefix=prefix, extension=extension)
    assert str(caught.value) == message


@pytest.mark.parametrize("extension", ["05", "0003"])
def test_parse_refuses_an_extension_of_more_than_one_digit(extension: str) -> None:
    """'05' is two digits, not the extension 5."""
    with pytest.raises(InvalidFormat) as caught:
        SsccFormat.parse(company_prefix="8991234", extension=extension)
    assert str(caught.value) == EXTENSION.format(repr(extension))


def test_a_long_junk_prefix_is_cut_short_in_the_message() -> None:
    with pytest.raises(InvalidFormat) as caught:
        SsccFormat.parse(company_prefix="x" * 500)
    assert str(caught.value) == PREFIX_DIGITS.format(
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…xxxxxxxxxxx' (502 chars)"
    )


@pytest.mark.parametrize(
    ("extension", "expected"), [(0, 0), (9, 9), ("0", 0), ("7", 7)]
)  # fmt: skip
def test_parse_takes_an_extension_as_int_or_one_digit_text(
    extension: object, expected: int
) -> None:
    assert SsccFormat.parse(company_prefix="8991234", extension=extension) == SsccFormat(
        "8991234", expected
    )


def test_parse_default_extension_is_zero() -> None:
    assert SsccFormat.parse(company_prefix="8991234") == SsccFormat("8991234", 0)


# capacity ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "extension", "capacity", "scope", "width"),
    [
        ("8991234", 0, 10**9, b"00:08991234", 9),
        ("89912345", 1, 10**8, b"00:189912345", 8),
        ("899123456", 2, 10**7, b"00:2899123456", 7),
        ("8991234567", 9, 10**6, b"00:98991234567", 6),
    ],
)
def test_capacity_scope_and_reference_width(
    prefix: str, extension: int, capacity: int, scope: bytes, width: int
) -> None:
    fmt = SsccFormat.parse(company_prefix=prefix, extension=extension)
    assert (fmt.capacity, fmt.scope, fmt.reference_width) == (capacity, scope, width)
    assert fmt.head == scope.decode()[3:]
    assert len(fmt.head) + fmt.reference_width + 1 == 18


@pytest.mark.parametrize(
    ("issued", "count"), [(0, 1_000_000), (999_999, 1), (400_000, 600_000), (0, 0)]
)  # fmt: skip
def test_check_capacity_allows_up_to_the_last_sscc(issued: int, count: int) -> None:
    SsccFormat.parse(company_prefix="8991234567").check_capacity(issued, count)


@pytest.mark.parametrize(
    ("issued", "count", "remain"),
    [(0, 1_000_001, "1,000,000"), (999_999, 2, "1"), (1_000_000, 1, "0"), (400_000, 600_001,
     "600,000")],
)  # fmt: skip
def test_check_capacity_message(issued: int, count: int, remain: str) -> None:
    fmt = SsccFormat.parse(company_prefix="8991234567", extension=4)
    with pytest.raises(InvalidQuantity) as caught:
        fmt.check_capacity(issued, count)
    assert str(caught.value) == (
        f"Invalid SSCC count {count}: {issued:,} of the 1,000,000 SSCCs of extension 4 and "
        f"prefix '8991234567' are issued, so at most {remain} remain. Hint: use another "
        "extension digit."
    )


# JSON -------------------------------------------------------------------------------------------


@given(formats)
def test_json_round_trip(fmt: SsccFormat) -> None:
    text = fmt.to_json()
    assert json.loads(text) == {
        "sscc": {"company_prefix": fmt.company_prefix, "extension": fmt.extension}
    }
    assert SsccFormat.from_json(text) == fmt
    assert SsccFormat.from_json(text.encode()) == fmt


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(["upper_no_lookalikes", 12, "", 1]),  # a serial scope's record
        b'["digits", 16, "", 1]',
        '{"format": "serial"}',
        "null",
    ],
)
def test_from_json_of_a_serial_scope_is_none(text: str | bytes) -> None:
    assert SsccFormat.from_json(text) is None


def test_from_json_validates_what_it_reads() -> None:
    with pytest.raises(InvalidLength, match=re.escape("expected 7 to 10 digits, got 3.")):
        SsccFormat.from_json('{"sscc": {"company_prefix": "899", "extension": 0}}')

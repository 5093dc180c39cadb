"""GS1 mod-10 check digits of numpy arrays: official vectors, against the scalar rule, and what
the sum detects."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.engine.test_check_digit import VECTORS

from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.check_digits import gs1_check_digits, is_valid_gs1_batch

DIGITS = "0123456789"
DIGIT_ERROR = "expected only ASCII digits in every cell. Hint: validate or strip the input"


def _array(values: list[str], width: int) -> npt.NDArray[np.bytes_]:
    return np.array([v.encode("ascii") for v in values], dtype=f"S{width}")


@pytest.mark.parametrize(("payload", "expected"), VECTORS)
def test_vectorised_check_digit_matches_published_vectors(payload: str, expected: int) -> None:
    result = gs1_check_digits(_array([payload], len(payload)))
    assert result.dtype == np.uint8
    assert result.tolist() == [expected]
    assert is_valid_gs1_batch(_array([f"{payload}{expected}"], len(payload) + 1)).tolist() == [True]


@pytest.mark.parametrize("width", [7, 11, 12, 13, 17])
def test_scalar_and_vectorised_agree_on_random_payloads(width: int) -> None:
    rng = np.random.default_rng(seed=20180033 + width)
    digits = rng.integers(0, 10, size=(2_000, width), dtype=np.uint8) + ord("0")
    payloads = digits.view(f"S{width}").reshape(-1)
    texts = [p.decode("ascii") for p in payloads.tolist()]
    expected = [gs1_check_digit(t) for t in texts]
    assert gs1_check_digits(payloads).tolist() == expected
    assert expected == [gs1_standard_check_digit(t) for t in texts]
    complete = _array([f"{t}{d}" for t, d in zip(texts, expected, strict=True)], width + 1)
    assert is_valid_gs1_batch(complete).all()


@settings(deadline=None)
@given(
    st.sampled_from([7, 11, 12, 13, 17]).flatmap(
        lambda width: st.lists(
            st.text(DIGITS, min_size=width, max_size=width), min_size=1, max_size=50
        )
    )
)
def test_scalar_and_vectorised_agree_on_generated_payloads(payloads: list[str]) -> None:
    width = len(payloads[0])
    expected = [gs1_check_digit(p) for p in payloads]
    assert gs1_check_digits(_array(payloads, width)).tolist() == expected
    assert expected == [gs1_standard_check_digit(p) for p in payloads]


def _single_digit_errors(value: str) -> list[str]:
    return [
        f"{value[:i]}{d}{value[i + 1 :]}"
        for i, original in enumerate(value)
        for d in DIGITS
        if d != original
    ]


@pytest.mark.parametrize("value", ["09506000134352", "106141411234567897", "96385074"])
def test_every_single_digit_error_is_caught_on_official_examples(value: str) -> None:
    wrong = _single_digit_errors(value)
    assert len(wrong) == 9 * len(value)
    assert is_valid_gs1_batch(_array([value], len(value))).tolist() == [True]
    assert not is_valid_gs1_batch(_array(wrong, len(value))).any()


@given(st.text(DIGITS, min_size=13, max_size=13))
def test_every_single_digit_error_is_caught_on_generated_gtins(payload: str) -> None:
    gtin = f"{payload}{gs1_standard_check_digit(payload)}"
    assert is_valid_gs1_batch(_array([gtin], 14)).tolist() == [True]
    assert not is_valid_gs1_batch(_array(_single_digit_errors(gtin), 14)).any()


def test_empty_arrays_give_empty_results() -> None:
    assert gs1_check_digits(np.array([], dtype="S13")).tolist() == []
    assert is_valid_gs1_batch(np.array([], dtype="S14")).tolist() == []


def test_batch_validity_flags_each_row() -> None:
    values = ["09506000134352", "09506000134353", "00000000000000", "10614141123456"]
    assert is_valid_gs1_batch(_array(values, 14)).tolist() == [True, False, True, False]


@pytest.mark.parametrize(
    "values",
    [
        [b"09506000134A5"],  # a letter
        [b"0950600013435", b"095060001343 "],  # a space, in the second row
        [b"/950600013435"],  # '/' is just below '0'
        [b"095060001343:"],  # ':' is just above '9'
        [b"095060001343\xd9"],  # a non-ASCII byte
        [b"0950600013435", b"123"],  # a short row, NUL-padded by numpy
        [b"\x00" * 13],
    ],
    ids=["letter", "space", "slash", "colon", "high-byte", "nul-padded", "all-nul"],
)
def test_non_digits_are_refused(values: list[bytes]) -> None:
    payloads = np.array(values, dtype="S13")
    with pytest.raises(ValueError, match=re.escape(DIGIT_ERROR)):
        gs1_check_digits(payloads)
    with pytest.raises(ValueError, match=re.escape(f"dtype |S13: {DIGIT_ERROR}")):
        is_valid_gs1_batch(payloads)

"""Camera value objects: ISO/IEC 15415 grades, the result format and its refusals, results."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe
from jejak.line_adapters.camera.result import (
    DEFAULT_MINIMUM_GRADE,
    CameraKind,
    CameraResult,
    Grade,
    ResultFormat,
)

GRADE_HINT = (
    "expected a letter A, B, C, D or F, or a number from 0.0 to 4.0 with at most one decimal. "
    "Hint: ISO/IEC 15415 grades A = 4.0, B = 3.0, C = 2.0, D = 1.0, F = 0.0; e.g. 'C' or '2.5'."
)


@pytest.mark.parametrize(
    ("text", "value", "letter", "shown"),
    [
        ("A", 4.0, "A", "A"),
        ("B", 3.0, "B", "B"),
        ("c", 2.0, "C", "C"),
        ("D", 1.0, "D", "D"),
        ("F", 0.0, "F", "F"),
        ("4.0", 4.0, "A", "4.0"),
        ("4", 4.0, "A", "4.0"),
        ("3.5", 3.5, "A", "3.5"),
        ("3.4", 3.4, "B", "3.4"),
        ("2.5", 2.5, "B", "2.5"),
        ("2.4", 2.4, "C", "2.4"),
        ("1.5", 1.5, "C", "1.5"),
        ("1.4", 1.4, "D", "1.4"),
        ("0.5", 0.5, "D", "0.5"),
        ("0.4", 0.4, "F", "0.4"),
        ("0.0", 0.0, "F", "0.0"),
        (2.5, 2.5, "B", "2.5"),
        (3, 3.0, "B", "3.0"),
        (b"B", 3.0, "B", "B"),
    ],
)
def test_grade_parse(text: object, value: float, letter: str, shown: str) -> None:
    grade = Grade.parse(text)
    assert (grade.value, grade.letter, str(grade)) == (value, letter, shown)


def test_grade_e_is_not_an_iso_grade() -> None:
    with pytest.raises(InvalidFormat) as error:
        Grade.parse("E")
    assert str(error.value) == (
        "Invalid grade 'E': ISO/IEC 15415 grades are A, B, C, D and F, there is no E. Hint: set "
        "the reader to ISO/IEC 15415 grading, or give the grade as a number from 0.0 to 4.0."
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("G", "'G'"),
        ("4.1", "'4.1'"),
        ("2.55", "'2.55'"),
        ("", "''"),
        (" B", "' B'"),
        ("-0", "'-0'"),
        ("AB", "'AB'"),
        (4.05, "4.05"),
        (-0.1, "-0.1"),
        (True, "True"),
        (None, "None"),
    ],
)
def test_grade_refusals(value: object, shown: str) -> None:
    with pytest.raises(InvalidFormat) as error:
        Grade.parse(value)
    assert str(error.value) == f"Invalid grade {shown}: {GRADE_HINT}"


def test_grades_compare_by_value_whatever_the_form() -> None:
    assert Grade.parse("B") == Grade.parse("3.0") == Grade.parse(3)
    assert hash(Grade.parse("B")) == hash(Grade.parse("3.0"))
    grades = [Grade.parse(g) for g in ("2.5", "F", "A", "0.4", "C")]
    assert [str(g) for g in sorted(grades)] == ["F", "0.4", "C", "2.5", "A"]
    assert str(min(grades)) == "F"


@pytest.mark.parametrize(
    ("grade", "minimum", "meets"),
    [
        ("1.5", "C", True),  # a letter minimum is its whole band
        ("1.4", "C", False),
        ("2.4", "C", True),
        ("C", "C", True),
        ("D", "C", False),
        ("A", "C", True),
        ("0.0", "F", True),
        ("1.9", "2.0", False),  # a number is that number
        ("2.0", "2.0", True),
        ("C", "2.0", True),  # a letter read is its ISO value (C = 2.0)
        ("C", "2.1", False),
        ("3.5", "A", True),
        ("3.4", "A", False),
    ],
)
def test_grade_meets_a_minimum(grade: str, minimum: str, meets: bool) -> None:
    assert Grade.parse(grade).meets(Grade.parse(minimum)) is meets


def test_default_minimum_is_c() -> None:
    assert Grade.parse("C") == DEFAULT_MINIMUM_GRADE
    assert DEFAULT_MINIMUM_GRADE.letter_form


@given(st.integers(0, 40), st.booleans())
def test_grade_text_round_trips(tenths: int, letter: bool) -> None:
    grade = Grade.parse(tenths / 10)
    if letter:
        grade = Grade.parse(grade.letter)
    again = Grade.parse(str(grade))
    assert (again, again.letter_form, str(again)) == (grade, grade.letter_form, str(grade))


def test_kinds_know_their_ports_and_no_read_strings() -> None:
    assert (CameraKind.COGNEX.default_port, CameraKind.KEYENCE.default_port) == (23, 9004)
    assert CameraKind.COGNEX.default_no_read == "NoRead"
    assert CameraKind.KEYENCE.default_no_read == "ERROR"


def test_result_format_parse() -> None:
    assert ResultFormat.parse(no_read="NoRead") == ResultFormat(b"NoRead", None)
    assert ResultFormat.parse(no_read=b"NOREAD", grade_separator=" ; ") == ResultFormat(
        b"NOREAD", b" ; "
    )


NO_READ_HINT = "Hint: the reader's no-read string, e.g. 'NoRead' (Cognex) or 'ERROR' (Keyence)."
NO_READ_TEXT = f"expected printable ASCII text. {NO_READ_HINT}"
NO_READ_RULE = (
    "expected 1 to 128 printable ASCII characters that do not begin like a command response "
    f"('||', 'OK,', 'ER,'). {NO_READ_HINT}"
)
SEPARATOR_HINT = "Hint: use ',' or ';' as the readers do."
SEPARATOR_TEXT = f"expected printable ASCII text. {SEPARATOR_HINT}"
SEPARATOR_RULE = (
    "expected 1 to 8 printable ASCII characters with no letter, digit or '.', which a grade "
    f"could contain. {SEPARATOR_HINT}"
)


@pytest.mark.parametrize(
    ("no_read", "message"),
    [
        ("", f"'': {NO_READ_TEXT}"),
        ("No\rRead", f"'No\\rRead': {NO_READ_TEXT}"),
        ("Kein Lesen…", f"'Kein Lesen…': {NO_READ_TEXT}"),
        (None, f"None: {NO_READ_TEXT}"),
        (7, f"7: {NO_READ_TEXT}"),
        ("||x", f"'||x': {NO_READ_RULE}"),
        ("OK,LON", f"'OK,LON': {NO_READ_RULE}"),
        ("ER,x", f"'ER,x': {NO_READ_RULE}"),
        ("X" * 129, f"{describe('X' * 129)}: {NO_READ_RULE}"),
    ],
)
def test_no_read_string_refusals(no_read: object, message: str) -> None:
    with pytest.raises(InvalidFormat) as error:
        ResultFormat.parse(no_read=no_read)
    assert str(error.value) == f"Invalid no-read string {message}"


@pytest.mark.parametrize(
    ("separator", "message"),
    [
        (".", f"'.': {SEPARATOR_RULE}"),
        ("/G", f"'/G': {SEPARATOR_RULE}"),
        (" 1", f"' 1': {SEPARATOR_RULE}"),
        (",,,,,,,,,", f"',,,,,,,,,': {SEPARATOR_RULE}"),
        ("", f"'': {SEPARATOR_TEXT}"),
        ("\t", f"'\\t': {SEPARATOR_TEXT}"),
        ("\x1d", f"'\\x1d': {SEPARATOR_TEXT}"),
    ],
)
def test_grade_separator_refusals(separator: object, message: str) -> None:
    with pytest.raises(InvalidFormat) as error:
        ResultFormat.parse(no_read="NoRead", grade_separator=separator)
    assert str(error.value) == f"Invalid grade separator {message}"


def test_camera_result_no_read() -> None:
    read = CameraResult(3, b"0108991234567891", Symbology.GS1_DATAMATRIX, None, 1.0)
    assert not read.no_read
    assert CameraResult(4, None, None, None, 2.0).no_read

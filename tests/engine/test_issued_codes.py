"""`parse_issued_codes`: BPOM-issued code files (Art. 5, annex F), every line checked first."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, InvalidQuantity, ValidationError
from jejak.engine.gs1 import AI, GS, Element
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.issued_codes import _HEADERS, MAX_REPORTED, parse_issued_codes

GTIN = "08991234567891"
NIE = "DKL1234567890A1"
BATCH = "B3"
EXPIRY = Gs1Date(2030, 1, 31)
GTIN_KEY = Element.parse(AI.GTIN, GTIN)
NIE_KEY = Element.parse(AI.NIE, NIE)
HEAD = f"(01){GTIN}(10){BATCH}(17)300131"
RAW_HEAD = f"01{GTIN}1730013110{BATCH}{GS}"


def parse(text: str, *, key: Element = GTIN_KEY, source: str = "codes.csv") -> list[bytes]:
    return parse_issued_codes(text, key=key, batch=BATCH, expiry=EXPIRY, source=source)


def rejected(text: str, *, key: Element = GTIN_KEY) -> str:
    with pytest.raises(InvalidFormat) as caught:
        parse(text, key=key)
    return str(caught.value)


def header(bad: int, rows: int) -> str:
    return (
        f"Invalid import 'codes.csv': {bad} of {rows} lines are not valid codes of batch "
        f"{BATCH!r}; nothing was imported.\n  "
    )


FOOTER = "\nHint: fix or remove those lines and import the whole file again."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A1\nA2\nA3\n", [b"A1", b"A2", b"A3"]),
        ("A1\nA2\nA3", [b"A1", b"A2", b"A3"]),
        ("A1\r\nA2\r\n", [b"A1", b"A2"]),
        ("\n\nA1\n\n  \nA2\n\n", [b"A1", b"A2"]),
        ("  A1  \n\tA2\n", [b"A1", b"A2"]),
        ("X7!%&'*+-./:<=>?_a\"z\n", [b"X7!%&'*+-./:<=>?_a\"z"]),
        ("12345678901234567890\n", [b"12345678901234567890"]),
    ],
    ids=["lines", "no-final-newline", "crlf", "blank-lines", "padded", "cset82", "20-digits"],
)
def test_plain_lines(text: str, expected: list[bytes]) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("name", ["code", "kode", "serial", "barcode", "KODE", " Kode "])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_header_selects_the_column(name: str, delimiter: str) -> None:
    rows = [["no", name, "status"], ["1", "A1", "new"], ["2", "A2", "new"], ["3", "A3", "x"]]
    text = "\n".join(delimiter.join(row) for row in rows) + "\n"
    assert parse(text) == [b"A1", b"A2", b"A3"]


def test_csv_without_a_known_header_reads_the_first_column() -> None:
    assert parse("A1,first\nA2,second\n") == [b"A1", b"A2"]
    assert parse("A1;x\r\n\r\nA2;y\r\n") == [b"A1", b"A2"]


def test_csv_quoted_cells_and_element_strings() -> None:
    rows = [["no", "kode"], ["1", "A,1"], ["2", f"{RAW_HEAD}21A2"], ["3", 'A"3']]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert parse(buffer.getvalue()) == [b"A,1", b"A2", b'A"3']


def test_csv_row_without_the_column() -> None:
    message = rejected("no,kode\n1,A1\n2\n")
    assert message == (
        header(1, 2) + "line 3: Invalid code '': expected a serial or an element string. Hint: "
        "remove empty cells." + FOOTER
    )


def test_a_byte_order_mark_is_the_callers_to_strip() -> None:
    """`jejak` reads files as utf-8-sig; a BOM left in is refused, never imported as part of a
    serial (and a BOM before a header would hide the header)."""
    assert parse("\ufeffkode\nA1\n".encode().decode("utf-8-sig")) == [b"A1"]
    message = rejected("\ufeffA1\nA2\n")
    assert message.startswith(
        header(1, 2) + "line 1: Invalid (21) serial number '\\ufeffA1': expected only GS1 CSET "
        "82 characters"
    )


@pytest.mark.parametrize(
    ("line", "key"),
    [
        (f"{HEAD}(21)S1", GTIN_KEY),
        (f"{RAW_HEAD}21S1", GTIN_KEY),
        (f"]d2{RAW_HEAD}21S1", GTIN_KEY),
        (f"]Q3{RAW_HEAD}21S1", GTIN_KEY),
        (f"{GS}{RAW_HEAD}21S1", GTIN_KEY),
        (f"01{GTIN}1730013110{BATCH}<GS>21S1", GTIN_KEY),
        (f"]d201{GTIN}1730013110{BATCH}<GS>21S1", GTIN_KEY),
        (f"(01){GTIN}(21)S1", GTIN_KEY),
        ("(10)B3(21)S1", GTIN_KEY),
        ("(21)S1", GTIN_KEY),
        (f"(90){NIE}(10){BATCH}(17)300131(21)S1", NIE_KEY),
        (f"90{NIE}{GS}10{BATCH}{GS}1730013121S1", NIE_KEY),
    ],
    ids=["hri", "raw", "d2", "Q3", "leading-gs", "typed-gs", "d2-typed-gs", "key-only",
         "batch-only", "serial-only", "nie-hri", "nie-raw"],
)  # fmt: skip
def test_element_strings_give_their_serial(line: str, key: Element) -> None:
    assert parse(f"{line}\nS2\n", key=key) == [b"S1", b"S2"]


@pytest.mark.parametrize(
    ("line", "key", "problem"),
    [
        (f"(01){GTIN}(10)B4(17)300131(21)S1", GTIN_KEY, "its (10) 'B4' is not this batch's 'B3'"),
        (f"(01){GTIN}(10)B3(17)300228(21)S1", GTIN_KEY,
         "its (17) '300228' is not this batch's '300131'"),
        ("(01)09506000134352(10)B3(17)300131(21)S1", GTIN_KEY,
         f"its (01) '09506000134352' is not this batch's {GTIN!r}"),
        ("(90)DKL1234567890A2(10)B3(21)S1", NIE_KEY,
         f"its (90) 'DKL1234567890A2' is not this batch's {NIE!r}"),
        (f"]d201{GTIN}1730013110B4<GS>21S1", GTIN_KEY, "its (10) 'B4' is not this batch's 'B3'"),
    ],
    ids=["batch", "expiry", "gtin", "nie", "d2-batch"],
)  # fmt: skip
def test_a_code_of_another_batch_is_refused(line: str, key: Element, problem: str) -> None:
    message = rejected(f"S0\n{line}\n", key=key)
    assert message == (
        header(1, 2) + f"line 2: Invalid code {line!r}: {problem}. Hint: BPOM codes are valid "
        "only for the batch they were requested for (Art. 10(2))." + FOOTER
    )


@pytest.mark.parametrize(
    ("line", "key", "found", "expected"),
    [
        (f"(90){NIE}(10){BATCH}(17)300131(21)S1", GTIN_KEY, "90", f"(01) {GTIN!r}"),
        (f"(01){GTIN}(10){BATCH}(21)S1", NIE_KEY, "01", f"(90) {NIE!r}"),
    ],
)
def test_a_code_keyed_the_other_way_is_refused(
    line: str, key: Element, found: str, expected: str
) -> None:
    assert rejected(line, key=key) == (
        header(1, 1) + f"line 1: Invalid code {line!r}: keyed by ({found}), but this batch is "
        f"keyed by {expected}. Hint: import the codes requested for this product." + FOOTER
    )


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("A B", "Invalid (21) serial number 'A B': expected only GS1 CSET 82 characters"),
        # Longer than a serial, so read as an element string: refused, if obliquely.
        ("A" * 21, "Unsupported GS1 Application Identifier 'AA': expected one of 00, 01, 10,"),
        ("(01)08991234567891(10)B3", ("Invalid code '(01)08991234567891(10)B3': expected a "
         "serial (21). Hint: import authentication codes.")),
        ("(01)123(21)S1", "Invalid (01) GTIN '123'"),
        ("]X9S1", "Unsupported symbology identifier ']X9'"),
        ("Kode Barang", "Invalid (21) serial number 'Kode Barang'"),
        ("A<GS>B", "Unsupported GS1 Application Identifier 'A\\x1d'"),
        ("(ABC", "Invalid HRI element string '(ABC': expected (AI)value pairs"),
    ],
)  # fmt: skip
def test_bad_lines_are_named(line: str, problem: str) -> None:
    message = rejected(f"S0\n{line}\n")
    assert message.startswith(header(1, 2) + f"line 2: {problem}")
    assert message.endswith(FOOTER)


def test_duplicates_in_the_file_are_refused_in_any_form() -> None:
    typed = RAW_HEAD.replace(GS, "<GS>")
    text = f"S1\nS2\nS1\n\n{HEAD}(21)S2\n]d2{typed}21S1\nS3\n"
    assert rejected(text) == (
        header(3, 6)
        + "line 3: duplicate of line 1 ('S1')\n  line 5: duplicate of line 2 ('S2')\n"
        + "  line 6: duplicate of line 1 ('S1')"
        + FOOTER
    )


def test_every_problem_is_counted_and_line_numbers_are_file_lines() -> None:
    text = "kode\nS1\n\nbad 1\nS2\n\n\nbad 2\nS1\n"
    message = rejected(text)
    assert message.startswith(header(3, 5))
    assert re.findall(r"line (\d+):", message) == ["4", "8", "9"]


@pytest.mark.parametrize(("bad", "listed", "more"), [(1, 1, None), (20, 20, None), (21, 20, 1),
                                                     (25, 20, 5), (250, 20, 230)])  # fmt: skip
def test_at_most_twenty_problems_are_listed(bad: int, listed: int, more: int | None) -> None:
    text = "".join(f"S{n}\nbad {n}\n" for n in range(bad))
    message = rejected(text)
    assert MAX_REPORTED == 20
    assert message.startswith(header(bad, 2 * bad))
    numbers = re.findall(r"^  line (\d+): Invalid \(21\)", message, re.MULTILINE)
    assert numbers == [str(2 * n + 2) for n in range(listed)]
    tail = message.splitlines()[-2]
    if more is None:
        assert "more" not in message
        assert tail.startswith(f"  line {2 * listed}: ")
    else:
        assert tail == f"  ... and {more} more"


@pytest.mark.parametrize("text", ["", "\n", "  \n\n\t\n", "kode\n", "no;kode\n\n"])
def test_a_file_without_codes_is_refused(text: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        parse(text, source="empty.csv")
    assert str(caught.value) == (
        "Invalid import 'empty.csv': expected at least one code, found none. Hint: export the "
        "batch's codes from TTAC's barcode management menu."
    )


def test_errors_are_validation_errors_naming_the_source() -> None:
    with pytest.raises(ValidationError, match=re.escape("Invalid import 'ttac-export.txt': 1 of")):
        parse("A B\n", source="ttac-export.txt")
    with pytest.raises(InvalidFormat, match=re.escape("Invalid import 'file': ")):
        parse_issued_codes("A B\n", key=GTIN_KEY, batch=BATCH, expiry=EXPIRY)


# Serials that round-trip: GS1 CSET 82, 1-20 characters. A serial starting with "(" reads as an
# HRI element string (refused when it is none); "<GS>" is the typed group separator.
SERIALS = st.text(
    alphabet="!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz",
    min_size=1,
    max_size=20,
).filter(lambda s: not s.startswith("(") and "<GS>" not in s)
# Plain lines: no delimiter character, or the file would read as CSV.
# A plain list's first line that names a header column ('kode', 'serial', ...) is read as the
# header, as documented; delimiters would make the line CSV.
PLAIN_SERIALS = SERIALS.filter(
    lambda s: not set(s) & set(",;") and s.strip().lower() not in _HEADERS
)


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(SERIALS, min_size=1, max_size=40, unique=True))
def test_distinct_serials_round_trip_through_csv_in_order(codes: list[str]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["no", "serial"])
    writer.writerows([str(n), code] for n, code in enumerate(codes, start=1))
    assert parse(buffer.getvalue()) == [code.encode() for code in codes]


@settings(max_examples=200, deadline=None)
@given(codes=st.lists(PLAIN_SERIALS, min_size=1, max_size=40, unique=True))
def test_distinct_serials_round_trip_as_plain_lines_in_order(codes: list[str]) -> None:
    assert parse("\n".join(codes) + "\n") == [code.encode() for code in codes]

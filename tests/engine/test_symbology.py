"""Reader results: symbology identifiers, the lost-FNC1 warning, incomplete-code warnings."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from jejak.engine.errors import (
    IncompleteCode,
    InvalidChecksum,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    UnknownApplicationIdentifier,
    ValidationError,
)
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.symbology import Read, Symbology, parse_read

TODAY = dt.date(2026, 6, 15)
GS = "\x1d"
GTIN_RAW = f"01095060001343521726123110ABC123{GS}21X7Y8Z9"
GTIN_HRI = "(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9"
GTIN_CODE = ElementString(
    (
        Element(AI.GTIN, "09506000134352"),
        Element(AI.BATCH, "ABC123"),
        Element(AI.EXPIRY, "261231"),
        Element(AI.SERIAL, "X7Y8Z9"),
    )
)
NIE_RAW = f"1726123190DKL1234567890A1{GS}10ABC123{GS}21X7Y8Z9"
NIE_CODE = ElementString(
    (
        Element(AI.NIE, "DKL1234567890A1"),
        Element(AI.BATCH, "ABC123"),
        Element(AI.EXPIRY, "261231"),
        Element(AI.SERIAL, "X7Y8Z9"),
    )
)


def _fnc1_lost(prefix: str, name: str) -> str:
    return (
        f"FNC1 lost: read as {prefix} ({name} without FNC1), not GS1. The printed symbol is "
        "defective unless it is a plain BPOM-issued QR code."
    )


@pytest.mark.parametrize(
    ("prefix", "symbology", "warnings"),
    [
        ("]d2", Symbology.GS1_DATAMATRIX, ()),
        ("]Q3", Symbology.GS1_QR, ()),
        ("]C1", Symbology.GS1_128, ()),
        ("]d1", Symbology.DATAMATRIX, (_fnc1_lost("]d1", "Data Matrix"),)),
        ("]Q1", Symbology.QR, (_fnc1_lost("]Q1", "QR"),)),
        ("", None, ()),
    ],
)
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (GTIN_RAW, GTIN_CODE),
        (GTIN_RAW.replace(GS, "<GS>"), GTIN_CODE),
        (GS + GTIN_RAW, GTIN_CODE),  # the leading FNC1 sent as GS
        (GTIN_HRI, GTIN_CODE),  # HRI after an identifier
        (NIE_RAW, NIE_CODE),
        ("(90)DKL1234567890A1(10)ABC123(17)261231(21)X7Y8Z9", NIE_CODE),
    ],
    ids=["raw", "gs-escape", "leading-gs", "hri", "nie-raw", "nie-hri"],
)
def test_every_symbology_identifier(
    prefix: str,
    symbology: Symbology | None,
    warnings: tuple[str, ...],
    body: str,
    code: ElementString,
) -> None:
    assert parse_read(prefix + body, today=TODAY) == Read(code, symbology, warnings)


@pytest.mark.parametrize(
    ("symbology", "is_gs1"),
    [
        (Symbology.GS1_DATAMATRIX, True),
        (Symbology.GS1_QR, True),
        (Symbology.GS1_128, True),
        (Symbology.DATAMATRIX, False),
        (Symbology.QR, False),
    ],
)
def test_is_gs1(symbology: Symbology, is_gs1: bool) -> None:
    assert symbology.is_gs1 is is_gs1


@pytest.mark.parametrize(
    ("data", "prefix"),
    [
        (f"]e0{GTIN_RAW}", "]e0"),  # GS1 DataBar
        (f"]X9{GTIN_RAW}", "]X9"),
        (f"]d0{GTIN_RAW}", "]d0"),
        (f"]Q2{GTIN_RAW}", "]Q2"),
        (f"]D2{GTIN_RAW}", "]D2"),  # identifiers are case-sensitive
        ("]d", "]d"),
        ("]", "]"),
    ],
)
def test_unsupported_symbology_identifier(data: str, prefix: str) -> None:
    message = (
        f"Unsupported symbology identifier {prefix!r} in {data!r}: expected one of ]d2, ]d1, "
        "]Q3, ]Q1, ]C1. Hint: configure the reader for Data Matrix, QR or GS1-128."
    )
    with pytest.raises(InvalidFormat, match=re.escape(message)) as info:
        parse_read(data)
    assert type(info.value) is InvalidFormat


@pytest.mark.parametrize(
    ("data", "warnings"),
    [
        ("]d2010950600013435217261231",
         ("Not a complete BPOM code: missing (10) batch, (21) serial number.",)),
        ("]d1010950600013435217261231",
         (_fnc1_lost("]d1", "Data Matrix"),
          "Not a complete BPOM code: missing (10) batch, (21) serial number.")),
        ("]Q390DKL1234567890A1",
         ("Not a complete BPOM code: missing (91) NIE validity date.",)),
        ("]Q3(10)ABC123(21)X7Y8Z9",
         ("Not a complete BPOM code: missing (01) GTIN, (17) expiry date.",)),
        ("(90)DKL1234567890A1(91)291231(10)ABC123",
         ("Not a complete BPOM code: unexpected combination (90)(10)(91).",)),
        ("]C100106141411234567897", ()),  # a logistic unit is complete on its own
        ("]Q390DKL1234567890A1<GS>91291231", ()),  # an identification code
    ],
)  # fmt: skip
def test_incomplete_codes_are_read_with_a_warning(data: str, warnings: tuple[str, ...]) -> None:
    assert parse_read(data, today=TODAY).warnings == warnings


def test_incomplete_read_keeps_the_elements() -> None:
    read = parse_read("]d2010950600013435217261231", today=TODAY)
    assert read == Read(
        ElementString((Element(AI.GTIN, "09506000134352"), Element(AI.EXPIRY, "261231"))),
        Symbology.GS1_DATAMATRIX,
        ("Not a complete BPOM code: missing (10) batch, (21) serial number.",),
    )


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        ("]d2010950600013435317261231", InvalidChecksum,
         ("Invalid (01) GTIN check digit for '09506000134353': expected 2, got 3. Hint: re-type "
          "the GTIN from the product master; a single wrong digit changes the check digit. "
          "(read as ]d2)")),
        ("]Q30109506000134352172612", InvalidLength,
         ("Invalid (17) expiry date '2612' in raw data '0109506000134352172612': expected "
          "exactly 6 characters. Hint: the data was cut short or misread; scan it again. "
          "(read as ]Q3)")),
        ("]d2", IncompleteCode,
         ("Empty element string: expected at least one GS1 element. Hint: a BPOM code starts "
          "with (01) or (90). (read as ]d2)")),
        ("]C1110950600013435", UnknownApplicationIdentifier,
         ("Unsupported GS1 Application Identifier '11': expected one of 00, 01, 10, 17, 21, 90, "
          "91.")),
        ("]Q1https://bpom.go.id/", UnknownApplicationIdentifier,
         "Unsupported GS1 Application Identifier 'ht'"),
        ("]d1(17)270229", InvalidDate,
         "for 2027-02, got 29. Hint: check the date on the batch record. (read as ]d1)"),
        ("(10)AB CD", InvalidFormat,
         ("Invalid (10) batch 'AB CD': expected only GS1 CSET 82 characters (A-Z a-z 0-9 and "
          "!\"%&'()*+,-./:;<=>?_), found ' '. Hint: remove spaces")),
    ],
)  # fmt: skip
def test_errors_keep_their_kind_and_name_the_identifier(
    data: str, error: type[ValidationError], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        parse_read(data, today=TODAY)
    assert type(info.value) is error
    assert isinstance(info.value.__cause__, error) is data.startswith("]")


def test_reads_use_the_reference_date_for_the_century() -> None:
    assert parse_read("]d2(17)000229", today=dt.date(2049, 1, 1)).code == ElementString(
        (Element(AI.EXPIRY, "000229"),)
    )
    with pytest.raises(InvalidDate, match=re.escape("for 2100-02, got 29.")):
        parse_read("]d2(17)000229", today=dt.date(2060, 1, 1))


def test_incomplete_fnc1_lost_read_of_a_bare_gtin() -> None:
    # A plain GTIN in a Data Matrix without FNC1: both defects reported, in order.
    read = parse_read("]d10109506000134352")
    assert read.symbology is Symbology.DATAMATRIX
    assert [w.split(":")[0] for w in read.warnings] == ["FNC1 lost", "Not a complete BPOM code"]

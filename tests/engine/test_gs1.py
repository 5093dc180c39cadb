"""GS1 element strings in the BPOM profile: official vectors, exact errors, junk.

Generated round trips and the biip oracle are in test_gs1_properties.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import biip
import pytest
from biip.checksums import gs1_standard_check_digit

from jejak.engine.errors import (
    IncompleteCode,
    InvalidChecksum,
    InvalidCombination,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    UnknownApplicationIdentifier,
    ValidationError,
)
from jejak.engine.gs1 import AI, GS, CodeKind, Element, ElementString, is_cset82
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.symbology import parse_read

TODAY = dt.date(2026, 6, 15)
# GS1 General Specifications 7.11, AI encodable character set 82, written out independently.
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
NOT_CSET82 = [" ", "#", "$", "@", "[", "\\", "]", "^", "`", "{", "|", "}", "~", "\x7f", GS,
              "\t", "\n", "é", "ß", "Ａ", "１", "٣", "😀"]  # fmt: skip
GTIN12 = "03600029145" + str(gs1_standard_check_digit("03600029145"))  # UPC-A 036000291452
GTIN8 = "9638507" + str(gs1_standard_check_digit("9638507"))  # GTIN-8 96385074
NIE = "DKL1234567890A1"
FULLWIDTH_GTIN = "０９５０６０００１３４３５２"

GTIN_CODE = ElementString(
    (
        Element(AI.GTIN, "09506000134352"),
        Element(AI.BATCH, "ABC123"),
        Element(AI.EXPIRY, "261231"),
        Element(AI.SERIAL, "X7Y8Z9"),
    )
)
GTIN_RAW = f"01095060001343521726123110ABC123{GS}21X7Y8Z9"
GTIN_HRI = "(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9"
NIE_CODE = ElementString((Element(AI.NIE, NIE), *GTIN_CODE.elements[1:]))
NIE_RAW = f"1726123190{NIE}{GS}10ABC123{GS}21X7Y8Z9"
ID_CODE = ElementString((Element(AI.NIE, NIE), Element(AI.NIE_VALIDITY, "291231")))


def test_cset82_is_what_gs1_defines() -> None:
    assert len(CSET82) == 82
    printable = {chr(c) for c in range(0x21, 0x7F)}
    assert printable - set(CSET82) == set("#$@[\\]^`{|}~")
    for code in range(0x110000):
        char = chr(code)
        assert is_cset82(char) is (char in CSET82), char
    assert (is_cset82(""), is_cset82(CSET82), is_cset82(CSET82 + " ")) == (False, True, False)


@pytest.mark.parametrize("char", [chr(c) for c in range(0x20, 0x80)])
def test_cset82_agrees_with_biip(char: str) -> None:
    assert is_cset82(char) is (biip.parse(f"10{char}").gs1_message is not None)


@pytest.mark.parametrize(
    ("ai", "value", "expected"),
    [
        (AI.GTIN, "09506000134352", "09506000134352"),  # GS1 General Specifications
        (AI.GTIN, "9506000134352", "09506000134352"),  # GTIN-13
        (AI.GTIN, GTIN12, f"00{GTIN12}"),
        (AI.GTIN, GTIN8, f"000000{GTIN8}"),
        ("01", "09506000134352", "09506000134352"),
        (AI.SSCC, "106141411234567897", "106141411234567897"),  # GS1 General Specifications
        (AI.BATCH, "A", "A"),
        (AI.BATCH, "B" * 20, "B" * 20),
        (AI.SERIAL, "1", "1"),
        (AI.SERIAL, "s" * 20, "s" * 20),
        (AI.NIE, "D", "D"),
        (AI.NIE, "DKL1234567890A1B", "DKL1234567890A1B"),  # 16, the BPOM maximum
        (AI.EXPIRY, "261200", "261200"),  # day 00 allowed for (17)
        (AI.EXPIRY, "280229", "280229"),
        (AI.NIE_VALIDITY, "291231", "291231"),
    ],
)
def test_element_parse(ai: AI | str, value: str, expected: str) -> None:
    element = Element.parse(ai, value, today=TODAY)
    assert element == Element(AI(ai), expected)
    assert element.hri == f"({AI(ai).value}){expected}"


@pytest.mark.parametrize("char", list(CSET82))
def test_every_cset82_char_is_accepted_in_batch_and_serial(char: str) -> None:
    assert Element.parse(AI.BATCH, f"L{char}") == Element(AI.BATCH, f"L{char}")
    assert Element.parse(AI.SERIAL, char * 20) == Element(AI.SERIAL, char * 20)


@pytest.mark.parametrize("ai", [AI.BATCH, AI.SERIAL])
@pytest.mark.parametrize("char", NOT_CSET82)
def test_other_chars_are_refused_in_batch_and_serial(ai: AI, char: str) -> None:
    value = f"AB{char}1"
    message = f"{value!r}: expected only GS1 CSET 82 characters (A-Z a-z 0-9 and !\"%&'()*+,-./"
    message += f":;<=>?_), found {char!r}. Hint: remove spaces and other characters"
    with pytest.raises(InvalidFormat, match=re.escape(message)):
        Element.parse(ai, value)


@pytest.mark.parametrize(
    ("ai", "value", "error", "message"),
    [
        (AI.GTIN, "09506000134353", InvalidChecksum,
         ("Invalid (01) GTIN check digit for '09506000134353': expected 2, got 3. Hint: re-type "
          "the GTIN from the product master; a single wrong digit changes the check digit.")),
        (AI.GTIN, "9506000134353", InvalidChecksum, "for '09506000134353': expected 2, got 3."),
        (AI.SSCC, "106141411234567898", InvalidChecksum,
         "Invalid (00) SSCC check digit for '106141411234567898': expected 7, got 8."),
        (AI.GTIN, "095060001343521", InvalidLength,
         ("Invalid (01) GTIN '095060001343521': expected exactly 14 characters, got 15. "
          "Hint: e.g. '09506000134352'.")),
        (AI.GTIN, "9638507", InvalidLength, "expected exactly 14 characters, got 7."),
        (AI.GTIN, "0950600013435A", InvalidFormat,
         "Invalid (01) GTIN '0950600013435A': expected only digits, found 'A'."),
        (AI.GTIN, FULLWIDTH_GTIN, InvalidFormat, "expected only digits, found '０'."),
        (AI.BATCH, "", InvalidLength,
         "Invalid (10) batch '': expected 1 to 20 characters, got 0. Hint: e.g. 'ABC123'."),
        (AI.BATCH, "B" * 21, InvalidLength, "expected 1 to 20 characters, got 21."),
        (AI.SERIAL, "", InvalidLength,
         "Invalid (21) serial number '': expected 1 to 20 characters, got 0. Hint: e.g."),
        (AI.SERIAL, "s" * 21, InvalidLength, "expected 1 to 20 characters, got 21."),
        (AI.NIE, "DKL1234567890A1BC", InvalidLength,
         "Invalid (90) NIE 'DKL1234567890A1BC': expected 1 to 16 characters, got 17."),
        (AI.NIE, "DKL-1234", InvalidFormat,
         "Invalid (90) NIE 'DKL-1234': expected only ASCII letters and digits, found '-'."),
        (AI.NIE, "DKL_1234", InvalidFormat, "expected only ASCII letters and digits, found '_'."),
        (AI.NIE, "DKL 1234", InvalidFormat, "expected only ASCII letters and digits, found ' '."),
        (AI.NIE, "DKLÄ1234", InvalidFormat, "expected only ASCII letters and digits, found 'Ä'."),
        (AI.EXPIRY, "270229", InvalidDate,
         ("Invalid (17) expiry date '270229': expected a day 00 (end of month) or 01 to 28 for "
          "2027-02, got 29.")),
        (AI.EXPIRY, "2612311", InvalidLength, "expected exactly 6 characters, got 7."),
        (AI.NIE_VALIDITY, "291200", InvalidDate,
         "Invalid (91) NIE validity date '291200': expected a day 01 to 31 for 2029-12, got 00."),
        ("11", "261231", UnknownApplicationIdentifier,
         ("Unsupported GS1 Application Identifier '11': expected one of 00, 01, 10, 17, 21, 90, "
          "91. Hint: BPOM codes use (01) or (90), (10), (17), (21)")),
        ("1", "A", UnknownApplicationIdentifier, "Identifier '1': expected one of"),
        ("010", "A", UnknownApplicationIdentifier, "Identifier '010': expected one of"),
    ],
)  # fmt: skip
def test_element_parse_errors(
    ai: AI | str, value: str, error: type[ValidationError], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        Element.parse(ai, value, today=TODAY)
    assert type(info.value) is error


def test_feb_29_in_an_expiry_follows_the_century() -> None:
    assert Element.parse(AI.EXPIRY, "000229", today=dt.date(2049, 1, 1)).value == "000229"
    with pytest.raises(InvalidDate, match=re.escape("for 2100-02, got 29.")):
        Element.parse(AI.EXPIRY, "000229", today=dt.date(2060, 1, 1))


def test_element_date() -> None:
    assert Element.parse(AI.EXPIRY, "270200").date == Gs1Date(2027, 2, 0)
    assert Element.parse(AI.NIE_VALIDITY, "291231").date == Gs1Date(2029, 12, 31)
    assert Element.parse(AI.BATCH, "270200").date is None


def test_authentication_codes() -> None:
    expiry = Gs1Date(2026, 12, 31)
    gtin = ElementString.authentication(
        key=Element.parse(AI.GTIN, "9506000134352"), batch="ABC123", expiry=expiry,
        serial="X7Y8Z9",
    )  # fmt: skip
    assert (gtin, gtin.raw, gtin.hri, gtin.kind) == (
        GTIN_CODE, GTIN_RAW, GTIN_HRI, CodeKind.AUTHENTICATION,
    )  # fmt: skip
    nie = ElementString.authentication(
        key=Element.parse(AI.NIE, NIE), batch="ABC123", expiry=expiry, serial="X7Y8Z9"
    )
    assert (nie, nie.raw, nie.hri, nie.kind) == (
        NIE_CODE, NIE_RAW, f"(90){NIE}(10)ABC123(17)261231(21)X7Y8Z9", CodeKind.AUTHENTICATION,
    )  # fmt: skip
    assert (nie.get(AI.BATCH), nie.get(AI.GTIN), nie[AI.NIE], AI.SERIAL in nie) == (
        "ABC123", None, NIE, True,
    )  # fmt: skip


def test_authentication_refuses_another_key() -> None:
    message = (
        "Invalid key (00) for an authentication code: expected (01) GTIN or (90) NIE. "
        "Hint: pass --gtin or --nie."
    )
    with pytest.raises(InvalidCombination, match=re.escape(message)):
        ElementString.authentication(
            key=Element.parse(AI.SSCC, "106141411234567897"), batch="A",
            expiry=Gs1Date(2026, 12, 31), serial="1",
        )  # fmt: skip


def test_identification_code() -> None:
    code = ElementString.identification(nie=NIE, validity=Gs1Date(2029, 12, 31))
    assert (code, code.raw, code.hri, code.kind, code.missing()) == (
        ID_CODE, f"90{NIE}{GS}91291231", f"(90){NIE}(91)291231", CodeKind.IDENTIFICATION, (),
    )  # fmt: skip
    message = (
        "Invalid (91) NIE validity '291200': expected a real day, not 00. Hint: use the "
        "validity date printed on the electronic NIE."
    )
    with pytest.raises(InvalidDate, match=re.escape(message)):
        ElementString.identification(nie=NIE, validity=Gs1Date(2029, 12, 0))


@pytest.mark.parametrize(
    ("code", "raw"),
    [
        (GTIN_CODE, GTIN_RAW),
        (NIE_CODE, NIE_RAW),
        (ID_CODE, f"90{NIE}{GS}91291231"),
        (ElementString((Element(AI.SSCC, "106141411234567897"),)), "00106141411234567897"),
        (ElementString(GTIN_CODE.elements[:1]), "0109506000134352"),
        (ElementString((GTIN_CODE.elements[0], GTIN_CODE.elements[2])), "010950600013435217261231"),
        (ElementString(GTIN_CODE.elements[1:2]), "10ABC123"),  # no trailing GS
        (ElementString(GTIN_CODE.elements[1:]), f"1726123110ABC123{GS}21X7Y8Z9"),
    ],
)
def test_raw_form_puts_predefined_lengths_first_and_separates_the_rest(
    code: ElementString, raw: str
) -> None:
    assert code.raw == raw
    variable = [e for e in code.elements if not e.ai.rule.predefined_length]
    assert code.raw.count(GS) == max(len(variable) - 1, 0)
    assert not code.raw.endswith(GS)


@pytest.mark.parametrize(
    "data",
    [
        GTIN_RAW,
        GTIN_RAW.replace(GS, "<GS>"),  # as typed on a command line
        GS + GTIN_RAW,  # the leading FNC1, transmitted as GS
        GTIN_RAW + GS,  # a trailing GS
        f"0109506000134352{GS}17261231{GS}10ABC123{GS}21X7Y8Z9{GS}",  # GS after fixed fields
        f"10ABC123{GS}21X7Y8Z9{GS}0109506000134352{GS}17261231",  # predefined lengths last
        GTIN_HRI,
        "(21)X7Y8Z9(17)261231(10)ABC123(01)09506000134352",  # HRI out of canonical order
        "(01)9506000134352(10)ABC123(17)261231(21)X7Y8Z9",  # a GTIN-13 in HRI
    ],
)
def test_parse_forms_of_one_code(data: str) -> None:
    assert ElementString.parse(data, today=TODAY) == GTIN_CODE


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (f"10ABC{GS}10DEF", InvalidCombination,
         ("Repeated AI (10) with 'ABC' and 'DEF': expected each AI once. Hint: a code carries "
          "one batch.")),
        ("(01)09506000134352(01)09506000134352", InvalidCombination,
         "Repeated AI (01) with '09506000134352' and '09506000134352'"),
        ("1109506000134352", UnknownApplicationIdentifier,
         "Unsupported GS1 Application Identifier '11': expected one of"),
        ("(11)261231", UnknownApplicationIdentifier, "Identifier '11': expected one of"),
        ("(0)1", InvalidFormat,
         ("Invalid HRI element string '(0)1': expected (AI)value pairs such as "
          "'(01)09506000134352(10)ABC123'. Hint: a value cannot contain '(' or ')'")),
        ("(10)AB(C)D", InvalidFormat, "Invalid HRI element string '(10)AB(C)D'"),
        ("010950600013435", InvalidLength,
         ("Invalid (01) GTIN '0950600013435' in raw data '010950600013435': expected exactly 14 "
          "characters. Hint: the data was cut short or misread; scan it again.")),
        (f"01095060{GS}01343521", InvalidLength, "Invalid (01) GTIN '095060\\x1d0134352' in"),
        ("01095060001343521726123", InvalidLength, "Invalid (17) expiry date '26123' in raw"),
        ("0010614141123456789", InvalidLength, "Invalid (00) SSCC '10614141123456789' in raw"),
        (f"10{GS}21X", InvalidLength, "Invalid (10) batch '': expected 1 to 20 characters"),
        (f"10ABC{GS}{GS}21X", UnknownApplicationIdentifier, "Identifier '\\x1d2': expected"),
        (f"90{NIE}{GS}91291200", InvalidDate, "expected a day 01 to 31 for 2029-12, got 00."),
        ("", IncompleteCode, "Empty element string: expected at least one GS1 element."),
        (GS, IncompleteCode, "Empty element string"),
        ("<GS>", IncompleteCode, "Empty element string"),
        ("(", InvalidFormat, "Invalid HRI element string '(': expected (AI)value pairs"),
        ("()", InvalidFormat, "Invalid HRI element string '()': expected (AI)value pairs"),
        (")", UnknownApplicationIdentifier, "Identifier ')': expected one of"),
        ("1" * 513, InvalidLength, "expected at most 512 characters, got 513. Hint: pass one"),
    ],
)  # fmt: skip
def test_parse_errors(data: str, error: type[ValidationError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        ElementString.parse(data, today=TODAY)
    assert type(info.value) is error


@pytest.mark.parametrize(
    ("data", "kind", "missing"),
    [
        (GTIN_HRI, CodeKind.AUTHENTICATION, ()),
        (NIE_RAW, CodeKind.AUTHENTICATION, ()),
        (f"(90){NIE}(91)291231", CodeKind.IDENTIFICATION, ()),
        ("(00)106141411234567897", CodeKind.LOGISTIC, ()),
        ("(01)09506000134352(17)261231", CodeKind.INCOMPLETE, (AI.BATCH, AI.SERIAL)),
        ("(01)09506000134352", CodeKind.INCOMPLETE, (AI.BATCH, AI.EXPIRY, AI.SERIAL)),
        (f"(90){NIE}", CodeKind.INCOMPLETE, (AI.NIE_VALIDITY,)),
        ("(91)291231", CodeKind.INCOMPLETE, (AI.NIE,)),
        ("(10)ABC123(21)X7Y8Z9", CodeKind.INCOMPLETE, (AI.GTIN, AI.EXPIRY)),
        (f"(90){NIE}(10)ABC123(17)261231", CodeKind.INCOMPLETE, (AI.SERIAL,)),
        (f"(90){NIE}(91)291231(10)ABC123", CodeKind.INCOMPLETE, ()),  # no kind fits
    ],
)
def test_kind_and_missing(data: str, kind: CodeKind, missing: tuple[AI, ...]) -> None:
    code = ElementString.parse(data, today=TODAY)
    assert (code.kind, code.missing()) == (kind, missing)


@pytest.mark.parametrize("text", ["<GS>", "A<GS>B", "<GS>21X"])
@pytest.mark.parametrize("ai", [AI.BATCH, AI.SERIAL])
def test_a_literal_gs_escape_in_a_value_is_refused(ai: AI, text: str) -> None:
    # '<', 'G', 'S', '>' are all CSET 82, but "<GS>" is the typed group-separator escape: a value
    # holding it could be read back as two fields ("A<GS>21S" as (10)A (21)S), so it is refused.
    assert is_cset82(text)
    message = f"Invalid ({ai.value}) {ai.rule.title} {text!r}: expected no '<GS>' inside a value."
    with pytest.raises(InvalidFormat, match=re.escape(message)):
        Element.parse(ai, text)


def test_escape_is_expanded_only_in_data_without_a_real_gs() -> None:
    typed = "010950600013435210ABC<GS>21S"
    assert ElementString.parse(typed, today=TODAY).get(AI.SERIAL) == "S"
    with pytest.raises(InvalidFormat, match=re.escape("expected no '<GS>' inside a value")):
        ElementString.parse(f"010950600013435210A<GS>B{GS}21S")


JUNK: list[object] = [
    None, 0, 1.5, b"0109506000134352", [], "", "１２３", "⁰", "٣", "A" * 100_000,
    f"０１{FULLWIDTH_GTIN}", "٢٦١٢٣١", "²⁶¹²³¹", "2027-٠٦-30", "\x00", "\x00" * 6,
    "01\x0009506000134352", "\n", "\r", "\t", "261231\n", f"{GTIN_RAW}\r\n", "\ud800",
    "10\ud800", "😀", "(10)😀", "]d2😀", "]😀", GS * 3,
]  # fmt: skip
JUNK_IDS = [repr(junk)[:24] for junk in JUNK]


def _element_parser(ai: AI) -> Callable[[object], object]:
    return lambda value: Element.parse(ai, value, today=TODAY)


VALIDATORS: dict[str, Callable[[object], object]] = {
    **{f"Element.parse({ai.value})": _element_parser(ai) for ai in AI},
    "Element.parse(ai=junk)": lambda v: Element.parse(v, "ABC123"),  # type: ignore[arg-type]
    "ElementString.parse": lambda v: ElementString.parse(v, today=TODAY),
    "parse_read": lambda v: parse_read(v, today=TODAY),
    "Gs1Date.parse": lambda v: Gs1Date.parse(v, today=TODAY),
    "Gs1Date.parse_iso": Gs1Date.parse_iso,
}


@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
@pytest.mark.parametrize("validator", VALIDATORS.values(), ids=VALIDATORS.keys())
def test_junk_raises_a_short_validation_error(
    validator: Callable[[object], object], junk: object
) -> None:
    with pytest.raises(ValidationError) as info:
        validator(junk)
    assert isinstance(info.value, ValueError)
    assert len(str(info.value)) < 400
    assert "Hint:" in str(info.value)


@pytest.mark.parametrize("junk", JUNK, ids=JUNK_IDS)
def test_is_cset82_never_raises(junk: object) -> None:
    # A predicate in python-stdnum style answers False for anything it cannot accept.
    assert is_cset82(junk) is (junk == "A" * 100_000)  # type: ignore[arg-type]


def test_junk_messages_name_the_value_briefly() -> None:
    with pytest.raises(InvalidLength) as info:
        Element.parse(AI.BATCH, "A" * 100_000)
    assert str(info.value) == (
        "Invalid (10) batch 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…AAAAAAAAAAA' (100002 chars): "
        "expected 1 to 20 characters, got 100000. Hint: e.g. 'ABC123'."
    )
    with pytest.raises(
        InvalidFormat, match=re.escape("Invalid (01) GTIN None: expected text, got")
    ):
        Element.parse(AI.GTIN, None)
    with pytest.raises(InvalidFormat, match=re.escape("Invalid element string b'01': expected")):
        ElementString.parse(b"01")

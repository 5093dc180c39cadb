"""Tests for `jejak.engine.nie`: NIE parsing, validation and the Art. 3 method table."""

from __future__ import annotations

import itertools
import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import (
    InvalidCombination,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from jejak.engine.nie import (
    DrugClass,
    DrugCode,
    DrugName,
    Method,
    Nie,
    Origin,
    ProductCategory,
    is_valid,
    required_method,
    validate,
)

DRUG = ProductCategory.DRUG
TM = ProductCategory.TRADITIONAL_MEDICINE
HS = ProductCategory.HEALTH_SUPPLEMENT
COS = ProductCategory.COSMETIC
FOOD = ProductCategory.PROCESSED_FOOD
AUTH = Method.AUTHENTICATION
IDENT = Method.IDENTIFICATION
# BPOM profile for AI (90): the NIE as registered, 1 to 16 ASCII alphanumerics.
AI90 = re.compile(r"[0-9A-Za-z]{1,16}", re.ASCII)
HINT = "Hint: copy the NIE from the product's BPOM registration (cekbpom.pom.go.id), e.g. "
DRUG_HINT = HINT + "'DKL1234567890A1'."
CHARS_HINT = (
    "Hint: retype it with plain letters and digits (no full-width or superscript digits, "
    "no control characters), e.g. 'DKL1234567890A1'."
)


def drug(value: str, cls: DrugClass, origin: Origin, name: DrugName = DrugName.BRAND) -> Nie:
    return Nie(value, DRUG, cls, origin, name)


def other(value: str, category: ProductCategory, origin: Origin) -> Nie:
    return Nie(value, category, None, origin)


VALID = [
    ("DKL1234567890A1", drug("DKL1234567890A1", DrugClass.KERAS, Origin.LOCAL)),
    ("GBL9612302310A1", drug("GBL9612302310A1", DrugClass.BEBAS, Origin.LOCAL, DrugName.GENERIC)),
    ("DBL 8630402711B1", drug("DBL8630402711B1", DrugClass.BEBAS, Origin.LOCAL)),
    ("dtl9624502804a1", drug("DTL9624502804A1", DrugClass.BEBAS_TERBATAS, Origin.LOCAL)),
    ("DKI 2088802343 A1", drug("DKI2088802343A1", DrugClass.KERAS, Origin.IMPORT)),
    ("DNL0512345601A1", drug("DNL0512345601A1", DrugClass.NARKOTIKA, Origin.LOCAL)),
    ("DPI1012345610C2", drug("DPI1012345610C2", DrugClass.PSIKOTROPIKA, Origin.IMPORT)),
    ("GKE1512345610A1", drug("GKE1512345610A1", DrugClass.KERAS, Origin.EXPORT, DrugName.GENERIC)),
    ("GKX0412345610A1", drug("GKX0412345610A1", DrugClass.KERAS, Origin.SPECIAL, DrugName.GENERIC)),
    ("TR123456789", other("TR123456789", TM, Origin.LOCAL)),
    ("POM TR 123456789", other("TR123456789", TM, Origin.LOCAL)),
    ("POM TR123456789", other("TR123456789", TM, Origin.LOCAL)),
    ("POM TI 123456789", other("TI123456789", TM, Origin.IMPORT)),
    ("TL123456789", other("TL123456789", TM, Origin.LICENSED)),
    ("POM FF 182600791", other("FF182600791", TM, Origin.UNSPECIFIED)),
    ("HT112600131", other("HT112600131", TM, Origin.UNSPECIFIED)),
    ("POM SD 123456789", other("SD123456789", HS, Origin.LOCAL)),
    ("si123456789", other("SI123456789", HS, Origin.IMPORT)),
    ("SL 123 456 789", other("SL123456789", HS, Origin.LICENSED)),
    ("NA18191200123", other("NA18191200123", COS, Origin.UNSPECIFIED)),
    ("NA 18240104109", other("NA18240104109", COS, Origin.UNSPECIFIED)),
    ("NB18191200123", other("NB18191200123", COS, Origin.IMPORT)),
    ("nc14191300159", other("NC14191300159", COS, Origin.IMPORT)),
    ("ND18191200123", other("ND18191200123", COS, Origin.IMPORT)),
    ("NE18191200123", other("NE18191200123", COS, Origin.IMPORT)),
    ("NKIT123456789", other("NKIT123456789", COS, Origin.UNSPECIFIED)),
    ("BPOM RI MD 224510107100", other("MD224510107100", FOOD, Origin.LOCAL)),
    ("BPOM RI MD 2245 1010 7100", other("MD224510107100", FOOD, Origin.LOCAL)),
    ("bpom ri ml224510107100", other("ML224510107100", FOOD, Origin.IMPORT)),
    ("BPOM ML 224510107100", other("ML224510107100", FOOD, Origin.IMPORT)),
    ("  MD224510107100  ", other("MD224510107100", FOOD, Origin.LOCAL)),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_valid(text: str, expected: Nie) -> None:
    parsed = Nie.parse(text)
    assert parsed == expected
    assert str(parsed) == expected.value
    assert validate(text) == expected.value
    assert is_valid(text)
    assert AI90.fullmatch(parsed.value)
    assert Nie.parse(parsed) is parsed
    assert Nie.parse(parsed.value) == parsed


def test_decoded_parts() -> None:
    nie = Nie.parse("DBL 8630402711B1")
    assert nie.prefix == "DBL"
    assert nie.drug_code == DrugCode("86", "304", "027", "11", "B", "1")
    food = Nie.parse("BPOM RI MD 224510107100")
    assert (food.prefix, food.drug_code) == ("MD", None)
    assert Nie.parse("NKIT123456789").prefix == "NKIT"


@pytest.mark.parametrize(("name", "cls", "origin"), list(itertools.product("DG", "KTBNP", "LIEX")))
def test_method_table_for_every_drug_prefix(name: str, cls: str, origin: str) -> None:
    nie = Nie.parse(f"{name}{cls}{origin}1234567890A1")
    expected = AUTH if cls in "KNP" else IDENT  # Art. 3(2) and 3(3)
    assert nie.method is expected
    assert required_method(nie) is expected


@pytest.mark.parametrize(
    "text", ["TR123456789", "FF182600791", "SD123456789", "NA18191200123", "MD224510107100"]
)
def test_non_drugs_need_identification(text: str) -> None:
    assert Nie.parse(text).method is IDENT  # Art. 3(3)


def _msg(value: str, expected: str, hint: str = DRUG_HINT) -> str:
    return f"Invalid NIE {value!r}: {expected} {hint}"


INVALID = [
    (
        "DKL123",
        InvalidLength,
        _msg(
            "DKL123",
            "expected 15 characters for a drug NIE (D or G, class letter, origin letter, "
            "10 digits, strength letter, pack digit), got 6.",
        ),
    ),
    (
        "BPOM RI DKL 1234567890 A12",
        InvalidLength,
        _msg(
            "BPOM RI DKL 1234567890 A12",
            "expected 15 characters for a drug NIE (D or G, class letter, origin letter, "
            "10 digits, strength letter, pack digit), got 16 in 'DKL1234567890A12'.",
        ),
    ),
    (
        "DZL1234567890A1",
        InvalidComponent,
        _msg(
            "DZL1234567890A1",
            "expected a drug class letter K, T, B, N or P at position 2, got 'Z'.",
        ),
    ),
    (
        "DKJ1234567890A1",
        InvalidComponent,
        _msg(
            "DKJ1234567890A1", "expected a drug origin letter L, I, E or X at position 3, got 'J'."
        ),
    ),
    (
        "DKL123456789012",
        InvalidFormat,
        _msg(
            "DKL123456789012",
            "expected 10 digits, a strength letter and a pack digit after 'DKL', "
            "got '123456789012'.",
        ),
    ),
    (
        "POM TR 12345678",
        InvalidLength,
        _msg(
            "POM TR 12345678",
            "expected 11 characters for a traditional-medicine NIE (TR and 9 digits), "
            "got 10 in 'TR12345678'.",
            HINT + "'TR123456789'.",
        ),
    ),
    (
        "TR12345678X",
        InvalidFormat,
        _msg(
            "TR12345678X", "expected 9 digits after 'TR', got '12345678X'.", HINT + "'TR123456789'."
        ),
    ),
    (
        "TX123456789",
        InvalidComponent,
        _msg(
            "TX123456789",
            "expected one of the prefixes TR, TI, TL, got 'TX'.",
            HINT + "'TR123456789'.",
        ),
    ),
    (
        "SX123456789",
        InvalidComponent,
        _msg(
            "SX123456789",
            "expected one of the prefixes SD, SI, SL, got 'SX'.",
            HINT + "'SD123456789'.",
        ),
    ),
    (
        "NF18191200123",
        InvalidComponent,
        _msg(
            "NF18191200123",
            "expected one of the prefixes NA, NB, NC, ND, NE, NKIT, got 'NF'.",
            HINT + "'NA18191200123'.",
        ),
    ),
    (
        "NA1819120012",
        InvalidLength,
        _msg(
            "NA1819120012",
            "expected 13 characters for a cosmetic NIE (NA and 11 digits), got 12.",
            HINT + "'NA18191200123'.",
        ),
    ),
    (
        "MD 224510107100123",
        InvalidLength,
        _msg(
            "MD 224510107100123",
            "expected 14 characters for a processed-food NIE (MD and 12 digits), got 17 in "
            "'MD224510107100123'.",
            HINT + "'MD224510107100'.",
        ),
    ),
    (
        "MK224510107100",
        InvalidComponent,
        _msg(
            "MK224510107100",
            "expected one of the prefixes MD, ML, got 'MK'.",
            HINT + "'MD224510107100'.",
        ),
    ),
    (
        "XYZ123",
        InvalidFormat,
        _msg(
            "XYZ123",
            "expected a family prefix D/G (drug), TR/TI/TL/FF/HT (traditional medicine), "
            "SD/SI/SL (health supplement), NA-NE/NKIT (cosmetic) or MD/ML (processed food), "
            "got 'XYZ'.",
        ),
    ),
    (
        "123456789012",
        InvalidFormat,
        _msg(
            "123456789012",
            "expected a family prefix D/G (drug), TR/TI/TL/FF/HT (traditional medicine), "
            "SD/SI/SL (health supplement), NA-NE/NKIT (cosmetic) or MD/ML (processed food), "
            "got no letters.",
        ),
    ),
    (
        "P-IRT 2063171010123-27",
        InvalidFormat,
        _msg(
            "P-IRT 2063171010123-27",
            "expected a BPOM NIE, got a household-food number (P-IRT, SPP-IRT or the old SP) of "
            "the district health office, which Regulation 33/2018 does not cover.",
            "Hint: only products with a BPOM NIE get 2D barcodes; processed food needs an MD or "
            "ML number, e.g. 'MD224510107100'.",
        ),
    ),
    (
        "AKL 20901800123",
        InvalidFormat,
        _msg(
            "AKL 20901800123",
            "expected a BPOM NIE, got a medical-device number of the Ministry of Health, which "
            "Regulation 33/2018 does not cover.",
            "Hint: only products with a BPOM NIE get 2D barcodes; processed food needs an MD or "
            "ML number, e.g. 'MD224510107100'.",
        ),
    ),
    (
        "DKL-1234567890A1",
        InvalidFormat,
        _msg(
            "DKL-1234567890A1",
            "expected ASCII letters, digits and spaces only, got '-' at position 4.",
            CHARS_HINT,
        ),
    ),
    (
        "１２３",
        InvalidFormat,
        _msg(
            "１２３",
            "expected ASCII letters, digits and spaces only, got '１' at position 1.",
            CHARS_HINT,
        ),
    ),
    ("", InvalidLength, _msg("", "expected 11 to 15 characters, got 0.")),
    ("BPOM RI", InvalidLength, _msg("BPOM RI", "expected 11 to 15 characters, got 0.")),
]


@pytest.mark.parametrize(("text", "error", "message"), INVALID)
def test_parse_invalid(text: str, error: type[ValidationError], message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$") as caught:
        Nie.parse(text)
    assert type(caught.value) is error
    with pytest.raises(error):
        validate(text)
    assert not is_valid(text)


def test_non_str_and_overlong_messages() -> None:
    with pytest.raises(InvalidFormat, match=re.escape("Invalid NIE None: expected a str, got ")):
        Nie.parse(None)
    with pytest.raises(
        InvalidFormat, match=re.escape("Invalid NIE b'DKL': expected a str, got by")
    ):
        Nie.parse(b"DKL")
    with pytest.raises(InvalidLength, match=r"^Invalid NIE 'D+\.\.\.D+': expected at most 15 "):
        Nie.parse("D" * 10_000)


JUNK: list[object] = [
    None,
    123,
    1.5,
    True,
    b"DKL1234567890A1",
    bytearray(b"DKL1234567890A1"),
    ["DKL1234567890A1"],
    {"nie": "DKL1234567890A1"},
    object(),
    "",
    " ",
    "\n",
    "１２３",
    "⁰",
    "D" * 10_000,
    "DKL\x001234567890A1",
    "DKL1234567890A1\n",
    "\x1cDKL1234567890A1",
    "\u00a0DKL1234567890A1",
    "ＤＫＬ1234567890A1",
    "DKL12345678٩0A1",
    "TR12345678９",
    "ﬀ182600791",  # a ligature that str.upper() turns into "FF"
    "ß",
    "BPOM",
    "POM",
    "D",
    "N",
    "NKIT",
    "DKL1234567890AA",
    "DKL1234567890A1" * 2,
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_raises_only_validation_errors(junk: object) -> None:
    with pytest.raises(ValidationError):
        Nie.parse(junk)
    with pytest.raises(ValidationError):
        validate(junk)
    assert is_valid(junk) is False


@given(st.text(max_size=40) | st.binary(max_size=20) | st.integers() | st.none())
def test_anything_parses_or_raises_a_validation_error(value: object) -> None:
    try:
        parsed = Nie.parse(value)
    except ValidationError:
        assert not is_valid(value)
    else:
        assert is_valid(value)
        assert AI90.fullmatch(parsed.value)


drug_nies = st.builds(
    "".join,
    st.tuples(
        st.sampled_from("DG"),
        st.sampled_from("KTBNP"),
        st.sampled_from("LIEX"),
        st.text(alphabet=string.digits, min_size=10, max_size=10),
        st.sampled_from(string.ascii_uppercase),
        st.sampled_from(string.digits),
    ),
)


@given(drug_nies, st.sampled_from(["", "BPOM RI ", "POM ", "bpom ri "]), st.booleans())
def test_drug_round_trip(compact: str, caption: str, lower: bool) -> None:
    printed = caption + (compact.lower() if lower else compact)
    nie = Nie.parse(printed)
    assert nie.value == compact
    assert Nie.parse(str(nie)) == nie
    assert AI90.fullmatch(nie.value)
    assert nie.method is (AUTH if compact[1] in "KNP" else IDENT)


OTC = Nie.parse("DBL8630402711B1")
KERAS = Nie.parse("DKL1234567890A1")
FOOD_NIE = Nie.parse("MD224510107100")


@pytest.mark.parametrize(
    ("nie", "override", "reason", "expected"),
    [
        (OTC, None, None, IDENT),
        (OTC, None, "  ", IDENT),
        (KERAS, None, None, AUTH),
        (OTC, AUTH, "OTC drug listed by the head of BPOM (Art. 3(4))", AUTH),
        (FOOD_NIE, AUTH, "food for special dietary use (Art. 3(4))", AUTH),
        (KERAS, AUTH, "already serialized", AUTH),
        (OTC, IDENT, "confirmed by QA", IDENT),
        (OTC, "authentication", "OTC drug listed by the head of BPOM", AUTH),
    ],
)
def test_required_method(
    nie: Nie, override: Method | None, reason: str | None, expected: Method
) -> None:
    assert required_method(nie, override, reason) is expected


@pytest.mark.parametrize("reason", [None, "", "   ", 42])
def test_override_needs_a_reason(reason: object) -> None:
    message = (
        f"Invalid method override 'authentication' for NIE 'DBL8630402711B1': expected a "
        f"non-blank reason with the override, got {reason!r}. Hint: cite the BPOM decision or "
        "risk assessment (Art. 3(4)), e.g. 'OTC drug listed by the head of BPOM'."
    )
    with pytest.raises(InvalidCombination, match=f"^{re.escape(message)}$"):
        required_method(OTC, AUTH, reason)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["DKL1234567890A1", "GNL1234567890A1", "DPI1234567890A1"])
def test_override_cannot_lower_art_3_2_drugs(text: str) -> None:
    nie = Nie.parse(text)
    message = (
        f"Invalid method override 'identification' for NIE {text!r}: a drug of class "
        f"{text[1]!r} ({nie.drug_class}) needs authentication under Art. 3(2) of Regulation "
        "33/2018, and an override may only raise identification to authentication. "
        "Hint: remove the override."
    )
    with pytest.raises(InvalidCombination, match=f"^{re.escape(message)}$"):
        required_method(nie, IDENT, "customer asked")


def test_reason_without_override() -> None:
    message = (
        "Invalid method override None for NIE 'DBL8630402711B1': expected no reason without an "
        "override, got 'risk assessment'. Hint: set the override to 'authentication' or drop "
        "the reason."
    )
    with pytest.raises(InvalidCombination, match=f"^{re.escape(message)}$"):
        required_method(OTC, None, "risk assessment")


def test_unknown_override() -> None:
    message = (
        "Invalid method override 'serialized' for NIE 'DBL8630402711B1': expected "
        "'authentication' or 'identification'. Hint: use jejak.engine.nie.Method."
    )
    with pytest.raises(InvalidComponent, match=f"^{re.escape(message)}$"):
        required_method(OTC, "serialized", "x")  # type: ignore[arg-type]

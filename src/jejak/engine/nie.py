"""BPOM marketing-authorisation numbers (Nomor Izin Edar, NIE) and the 2D-barcode method they need.

`Nie.parse` accepts the compact form or the printed one (spaces, lower case, a "BPOM RI" or "POM"
prefix), checks the family prefix, the length and every digit position, and decodes the product
category, the drug class and the origin. `Nie.method` applies Art. 3(2)-(3) of Regulation 33/2018:

>>> nie = Nie.parse("BPOM RI MD 224510107100")
>>> nie.value, nie.category.value, nie.origin.value, nie.method.value
('MD224510107100', 'processed_food', 'local', 'identification')
>>> drug = Nie.parse("dkl 1234567890 a1")
>>> str(drug), drug.drug_class, drug.method
('DKL1234567890A1', <DrugClass.KERAS: 'keras'>, <Method.AUTHENTICATION: 'authentication'>)
>>> is_valid("DKL123"), validate("POM TR 123456789")
(False, 'TR123456789')
"""

# Formats, and the public sources they rest on (none of them an official BPOM specification):
#
# Drugs (obat), 15 characters: 1 D brand name (dagang) / G generic; 2 class K keras, T bebas
#   terbatas, B bebas, N narkotika, P psikotropika; 3 origin L local (or licensed), I import,
#   E export only, X special programme (family planning, donations); 4-5 year of approval;
#   6-8 manufacturer; 9-11 product at that manufacturer; 12-13 dosage form (10 tablet, 01 capsule,
#   37 syrup, ...); 14 strength letter (A first approved, B second, ...); 15 pack digit.
#   - "Aturan Nomor Registrasi dan Batch" (after Permenkes 920/Menkes/Per/X/1995),
#     https://id.scribd.com/document/420803890/Aturan-Nomor-Registrasi-Dan-Batch
#   - "Nomor registrasi obat jadi", https://id.scribd.com/document/442039444/354795147-pdf
#   - https://trigonalmedia.com/2017/07/arti-nomor-registrasi-obat-dan-obat.html
#   - http://syariefsimboro.blogspot.com/2013/02/kode-nomor-pendaftaran-registrasi-untuk.html
#   - Combiphar, "Understanding Medicinal Codes" (DBL 8630402711B1),
#     http://combiphar.com/en/healthy-living/understanding-medicinal-codes
#   - CPAN Business::ID::POM 0.002 (2019), parse_pom_reg_code: the same 2+3+3+2+1+1 split.
#   Disagreements: pages say "3 letters + 12 digits" though position 14 is a letter in every
#   example; Combiphar's reading of its example skips the product number (we follow the four
#   sources that agree). One page adds origins J (obat terjangkau) and S (obat siaga); nothing
#   else confirms them, so they are rejected (InvalidComponent).
# Traditional medicine, 11 characters: TR local, TI import, TL licensed, FF fitofarmaka,
#   HT herbal terstandar, then 9 digits; printed "POM TR 123456789". One source splits the digits
#   (year, business type, dosage form, serial, pack size); unconfirmed, so only digits are
#   checked. BTR/BTI/BTL ("borderline") appear in two old pages only: rejected.
#   - https://id.scribd.com/document/385069118/TUGAS-OAI ; Business::ID::POM
#   - https://cewekbanget.grid.id/read/062712071/ (citing BPOM; also the supplements below)
# Health supplements, 11 characters: SD local, SI import, SL licensed, then 9 digits, printed
#   "POM SD 123456789". What the digits mean is not published; not decoded.
# Cosmetics (notification), 13 characters: N, region A Asia (Indonesia included), B Australia,
#   C Europe, D Africa, E America, then 11 digits (one source: country, year, category, serial);
#   kits: NKIT + 9 digits. NA does not tell local from imported: origin UNSPECIFIED.
#   - https://insightof.id/cosmetic-notification-number/ (PerBPOM 30/2020: "NX12345678901",
#     X = A-E; "NKIT123456789"); Business::ID::POM (regions); bali.viva.co.id (NA-NE).
# Processed food, 14 characters: MD local, ML import, then 12 digits (one source: packaging,
#   food type, province, company, product); printed "BPOM RI MD 224510107100".
#   - https://opera.liputan6.com/health/read/2068709/cara-tahu-produk-pangan-impor-atau-bukan
#     (a BPOM director: "ML followed by 12 digits"); Business::ID::POM. No source shows a
#     15-digit MD/ML number; such input is rejected.
# Out of scope: P-IRT/SPP-IRT and old SP numbers (household food, district health office,
#   http://linisehat.com/perbedaan-label-nomor-md-ml-dan-pirt-kemasan-makanan/); the Ministry of
#   Health's AKL/AKD (medical devices) and PKL/PKD (household health products).

from __future__ import annotations

import re
import reprlib
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from jejak.engine.errors import (
    InvalidCombination,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

__all__ = [
    "DrugClass",
    "DrugCode",
    "DrugName",
    "Method",
    "Nie",
    "Origin",
    "ProductCategory",
    "is_valid",
    "required_method",
    "validate",
]


class ProductCategory(StrEnum):
    """The five product groups of Art. 2(2)."""

    DRUG = "drug"
    TRADITIONAL_MEDICINE = "traditional_medicine"
    HEALTH_SUPPLEMENT = "health_supplement"
    COSMETIC = "cosmetic"
    PROCESSED_FOOD = "processed_food"


class DrugClass(StrEnum):
    """Drug class (golongan obat), the second letter of a drug NIE."""

    KERAS = "keras"
    BEBAS_TERBATAS = "bebas_terbatas"
    BEBAS = "bebas"
    NARKOTIKA = "narkotika"
    PSIKOTROPIKA = "psikotropika"


class DrugName(StrEnum):
    """The first letter of a drug NIE: D brand name (nama dagang) or G generic name."""

    BRAND = "brand"
    GENERIC = "generic"


class Origin(StrEnum):
    """Where the product comes from, as far as the NIE prefix says."""

    LOCAL = "local"
    IMPORT = "import"
    EXPORT = "export"
    SPECIAL = "special"
    LICENSED = "licensed"
    UNSPECIFIED = "unspecified"


class Method(StrEnum):
    """The 2D-barcode method of Art. 3(1): serialized authentication or plain identification."""

    AUTHENTICATION = "authentication"
    IDENTIFICATION = "identification"


class DrugCode(NamedTuple):
    """Positions 4-15 of a drug NIE, kept as printed (the year has two digits only)."""

    year: str
    manufacturer: str
    product: str
    dosage_form: str
    strength: str
    pack: str


class _Family(NamedTuple):
    category: ProductCategory
    origin: Origin
    digits: int
    example: str


_CLASSES = dict(zip("KTBNP", DrugClass, strict=True))  # in DrugClass order
_DRUG_ORIGINS = {"L": Origin.LOCAL, "I": Origin.IMPORT, "E": Origin.EXPORT, "X": Origin.SPECIAL}
_DRUG_NAMES = {"D": DrugName.BRAND, "G": DrugName.GENERIC}
# Art. 3(2): obat keras, narcotics, psychotropics (biological products are registered as K).
_AUTHENTICATED_CLASSES = frozenset({DrugClass.KERAS, DrugClass.NARKOTIKA, DrugClass.PSIKOTROPIKA})

_TM, _HS = ProductCategory.TRADITIONAL_MEDICINE, ProductCategory.HEALTH_SUPPLEMENT
_COS, _FOOD = ProductCategory.COSMETIC, ProductCategory.PROCESSED_FOOD
_FAMILIES: dict[str, _Family] = {
    "TR": _Family(_TM, Origin.LOCAL, 9, "TR123456789"),
    "TI": _Family(_TM, Origin.IMPORT, 9, "TI123456789"),
    "TL": _Family(_TM, Origin.LICENSED, 9, "TL123456789"),
    "FF": _Family(_TM, Origin.UNSPECIFIED, 9, "FF182600791"),
    "HT": _Family(_TM, Origin.UNSPECIFIED, 9, "HT112600131"),
    "SD": _Family(_HS, Origin.LOCAL, 9, "SD123456789"),
    "SI": _Family(_HS, Origin.IMPORT, 9, "SI123456789"),
    "SL": _Family(_HS, Origin.LICENSED, 9, "SL123456789"),
    "NA": _Family(_COS, Origin.UNSPECIFIED, 11, "NA18191200123"),
    "NB": _Family(_COS, Origin.IMPORT, 11, "NB18191200123"),
    "NC": _Family(_COS, Origin.IMPORT, 11, "NC14191300159"),
    "ND": _Family(_COS, Origin.IMPORT, 11, "ND18191200123"),
    "NE": _Family(_COS, Origin.IMPORT, 11, "NE18191200123"),
    "NKIT": _Family(_COS, Origin.UNSPECIFIED, 9, "NKIT123456789"),
    "MD": _Family(_FOOD, Origin.LOCAL, 12, "MD224510107100"),
    "ML": _Family(_FOOD, Origin.IMPORT, 12, "ML224510107100"),
}
# Prefixes grouped by first letter, to tell "unknown letter in a known family" from junk.
_GROUPS: dict[str, tuple[str, ...]] = {
    first: tuple(p for p in _FAMILIES if p[0] == first) for first in {p[0] for p in _FAMILIES}
}
_LONGEST_FIRST = sorted(_FAMILIES, key=len, reverse=True)  # NKIT before NA-NE
_OUT_OF_SCOPE = {
    ("PIRT", "SPPIRT", "SP"): "a household-food number (P-IRT, SPP-IRT or the old SP) of the "
    "district health office",
    ("AKL", "AKD"): "a medical-device number of the Ministry of Health",
    ("PKL", "PKD"): "a household-health-product number of the Ministry of Health",
}
_PRINTED_PREFIXES = ("BPOMRI", "BPOM", "POMRI", "POM")
_MAX_INPUT = 40  # a 15-character NIE with "BPOM RI " and generous spaces
_BAD_CHAR = re.compile(r"[^A-Za-z0-9 ]", re.ASCII)
_DRUG_TAIL = re.compile(r"[0-9]{10}[A-Z][0-9]", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_LETTERS = re.compile(r"[A-Z]+", re.ASCII)
_HINT = "Hint: copy the NIE from the product's BPOM registration (cekbpom.pom.go.id), e.g. {ex!r}."
_DRUG_EXAMPLE = "DKL1234567890A1"
_FAMILY_LIST = (
    "D/G (drug), TR/TI/TL/FF/HT (traditional medicine), SD/SI/SL (health supplement), "
    "NA-NE/NKIT (cosmetic) or MD/ML (processed food)"
)

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 48
_show = _repr.repr  # repr(value), shortened for very long input so messages stay readable


def _strip_printed(text: str) -> str:
    """Drop the "BPOM RI" / "POM" caption printed before the NIE (spaces already removed)."""
    for printed in _PRINTED_PREFIXES:
        if text.startswith(printed):
            return text[len(printed) :]
    return text


def _compact(value: object, shown: str) -> str:
    """Check the raw input and return it upper-cased, without spaces and printed caption."""
    if not isinstance(value, str):
        raise InvalidFormat(
            f"Invalid NIE {shown}: expected a str, got {type(value).__name__}. "
            f"Hint: pass the NIE as text (decode bytes first), e.g. {_DRUG_EXAMPLE!r}."
        )
    if len(value) > _MAX_INPUT:
        raise InvalidLength(
            f"Invalid NIE {shown}: expected at most 15 characters (at most {_MAX_INPUT} with "
            f"the printed prefix and spaces), got {len(value)}. " + _HINT.format(ex=_DRUG_EXAMPLE)
        )
    probe = _strip_printed(value.upper().replace(" ", "").replace("-", ""))
    for scope_prefixes, what in _OUT_OF_SCOPE.items():
        if probe.startswith(scope_prefixes):
            raise InvalidFormat(
                f"Invalid NIE {shown}: expected a BPOM NIE, got {what}, which Regulation "
                "33/2018 does not cover. Hint: only products with a BPOM NIE get 2D barcodes; "
                "processed food needs an MD or ML number, e.g. 'MD224510107100'."
            )
    bad = _BAD_CHAR.search(value)
    if bad:
        raise InvalidFormat(
            f"Invalid NIE {shown}: expected ASCII letters, digits and spaces only, got "
            f"{bad.group()!r} at position {bad.start() + 1}. Hint: retype it with plain "
            "letters and digits (no full-width or superscript digits, no control characters), "
            f"e.g. {_DRUG_EXAMPLE!r}."
        )
    compact = _strip_printed(value.replace(" ", "").upper())
    if not compact:
        raise InvalidLength(
            f"Invalid NIE {shown}: expected 11 to 15 characters, got 0. "
            + _HINT.format(ex=_DRUG_EXAMPLE)
        )
    return compact


@dataclass(frozen=True, slots=True)
class Nie:
    """A valid NIE in compact form (upper case, no spaces, no "BPOM RI" prefix), decoded."""

    value: str
    category: ProductCategory
    drug_class: DrugClass | None
    origin: Origin
    drug_name: DrugName | None = None

    def __str__(self) -> str:
        return self.value

    @property
    def method(self) -> Method:
        """Authentication for K, N and P drugs (Art. 3(2)); identification otherwise (Art. 3(3))."""
        if self.drug_class in _AUTHENTICATED_CLASSES:
            return Method.AUTHENTICATION
        return Method.IDENTIFICATION

    @property
    def prefix(self) -> str:
        """The family prefix: 'DKL', 'TR', 'NA', 'NKIT', 'MD', ..."""
        if self.category is ProductCategory.DRUG:
            return self.value[:3]
        return self.value.rstrip("0123456789")

    @property
    def drug_code(self) -> DrugCode | None:
        """Positions 4-15 of a drug NIE; None for the other categories."""
        if self.category is not ProductCategory.DRUG:
            return None
        v = self.value
        return DrugCode(v[3:5], v[5:8], v[8:11], v[11:13], v[13], v[14])

    @classmethod
    def parse(cls, value: object) -> Nie:
        """Parse a compact or printed NIE; raise a `ValidationError` kind if it is not valid."""
        if isinstance(value, Nie):
            return value
        shown = _show(value)
        compact = _compact(value, shown)
        note = "" if compact == value else f" in {compact!r}"
        if compact[0] in _DRUG_NAMES:
            return cls._parse_drug(compact, shown, note)
        for prefix in _LONGEST_FIRST:
            if compact.startswith(prefix):
                return cls._parse_family(prefix, compact, shown, note)
        if compact[0] in _GROUPS:
            group = _GROUPS[compact[0]]
            raise InvalidComponent(
                f"Invalid NIE {shown}: expected one of the prefixes {', '.join(group)}, got "
                f"{compact[:2]!r}. " + _HINT.format(ex=_FAMILIES[group[0]].example)
            )
        letters = _LETTERS.match(compact)
        got = repr(letters.group()) if letters else "no letters"
        raise InvalidFormat(
            f"Invalid NIE {shown}: expected a family prefix {_FAMILY_LIST}, got {got}. "
            + _HINT.format(ex=_DRUG_EXAMPLE)
        )

    @classmethod
    def _parse_drug(cls, compact: str, shown: str, note: str) -> Nie:
        hint = _HINT.format(ex=_DRUG_EXAMPLE)
        if len(compact) != 15:
            raise InvalidLength(
                f"Invalid NIE {shown}: expected 15 characters for a drug NIE (D or G, class "
                f"letter, origin letter, 10 digits, strength letter, pack digit), got "
                f"{len(compact)}{note}. {hint}"
            )
        drug_class = _CLASSES.get(compact[1])
        if drug_class is None:
            raise InvalidComponent(
                f"Invalid NIE {shown}: expected a drug class letter K, T, B, N or P at position 2, "
                f"got {compact[1]!r}. {hint}"
            )
        origin = _DRUG_ORIGINS.get(compact[2])
        if origin is None:
            raise InvalidComponent(
                f"Invalid NIE {shown}: expected a drug origin letter L, I, E or X at position 3, "
                f"got {compact[2]!r}. {hint}"
            )
        if not _DRUG_TAIL.fullmatch(compact, 3):
            raise InvalidFormat(
                f"Invalid NIE {shown}: expected 10 digits, a strength letter and a pack digit "
                f"after {compact[:3]!r}, got {compact[3:]!r}. {hint}"
            )
        return cls(compact, ProductCategory.DRUG, drug_class, origin, _DRUG_NAMES[compact[0]])

    @classmethod
    def _parse_family(cls, prefix: str, compact: str, shown: str, note: str) -> Nie:
        family = _FAMILIES[prefix]
        hint = _HINT.format(ex=family.example)
        size = len(prefix) + family.digits
        label = family.category.value.replace("_", "-")
        if len(compact) != size:
            raise InvalidLength(
                f"Invalid NIE {shown}: expected {size} characters for a {label} NIE ({prefix} and "
                f"{family.digits} digits), got {len(compact)}{note}. {hint}"
            )
        if not _DIGITS.fullmatch(compact, len(prefix)):
            raise InvalidFormat(
                f"Invalid NIE {shown}: expected {family.digits} digits after {prefix!r}, got "
                f"{compact[len(prefix) :]!r}. {hint}"
            )
        return cls(compact, family.category, None, family.origin)


def validate(value: object) -> str:
    """Return the compact NIE, or raise a `ValidationError` kind."""
    return Nie.parse(value).value


def is_valid(value: object) -> bool:
    """Whether `value` is a valid NIE. Never raises."""
    try:
        Nie.parse(value)
    except ValidationError:
        return False
    return True


def required_method(nie: Nie, override: Method | None = None, reason: str | None = None) -> Method:
    """The method a product needs: its NIE's (Art. 3(2)-(3)), or a justified stricter override.

    Art. 3(4) lets BPOM require authentication, by risk assessment, for certain OTC drugs and for
    food for special dietary use. That decision belongs to the product master; this function only
    checks that it raises identification to authentication and carries a reason.
    """
    has_reason = isinstance(reason, str) and bool(reason.strip())
    if override is None:
        if has_reason:
            raise InvalidCombination(
                f"Invalid method override None for NIE {nie.value!r}: expected no reason without "
                f"an override, got {_show(reason)}. Hint: set the override to 'authentication' or "
                "drop the reason."
            )
        return nie.method
    try:
        chosen = Method(override)
    except (ValueError, TypeError):
        raise InvalidComponent(
            f"Invalid method override {_show(override)} for NIE {nie.value!r}: expected "
            "'authentication' or 'identification'. Hint: use jejak.engine.nie.Method."
        ) from None
    if not has_reason:
        raise InvalidCombination(
            f"Invalid method override {chosen.value!r} for NIE {nie.value!r}: expected a "
            f"non-blank reason with the override, got {_show(reason)}. Hint: cite the BPOM "
            "decision or risk assessment (Art. 3(4)), e.g. 'OTC drug listed by the head of BPOM'."
        )
    if nie.method is Method.AUTHENTICATION and chosen is Method.IDENTIFICATION:
        raise InvalidCombination(
            f"Invalid method override {chosen.value!r} for NIE {nie.value!r}: a drug of class "
            f"{nie.value[1]!r} ({nie.drug_class}) needs authentication under Art. 3(2) of "
            "Regulation 33/2018, and an override may only raise identification to authentication. "
            "Hint: remove the override."
        )
    return chosen

"""GS1 element strings in the BPOM profile: build, validate and parse.

Jejak supports the Application Identifiers (AIs) a BPOM 2D barcode needs:

==== ============================ ========================== ============================
AI   content                      length                     characters
==== ============================ ========================== ============================
00   SSCC (logistic unit)         18, fixed                  digits, GS1 check digit
01   GTIN                         14, fixed                  digits, GS1 check digit
10   batch / lot                  1-20                       GS1 CSET 82
17   expiry date                  6, fixed                   YYMMDD, day ``00`` = month end
21   serial number                1-20                       GS1 CSET 82
90   NIE (BPOM profile)           1-16                       ASCII letters and digits
91   NIE validity (BPOM profile)  6                          YYMMDD
==== ============================ ========================== ============================

Two forms of the same data exist. The *raw* form is what a symbol carries after its FNC1: the AIs
with GS1 predefined lengths (00, 01, 17) first, then the others, each followed by a GS (``\\x1d``)
unless it is last. The *HRI* form is what people read: ``(01)…(10)…``.

>>> code = ElementString.authentication(
...     key=Element.parse(AI.GTIN, "09506000134352"), batch="ABC123",
...     expiry=Gs1Date.parse("261231"), serial="X7Y8Z9")
>>> code.hri
'(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9'
>>> code.raw
'01095060001343521726123110ABC123\\x1d21X7Y8Z9'
>>> ElementString.parse(code.raw) == code
True

Reads from a scanner, with or without a symbology identifier, go through `parse_read`, which also
reports a lost FNC1 (``]d1`` or ``]Q1`` on a code meant to be GS1).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum

from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.errors import (
    IncompleteCode,
    InvalidChecksum,
    InvalidCombination,
    InvalidDate,
    InvalidFormat,
    InvalidLength,
    UnknownApplicationIdentifier,
)
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.text import describe

__all__ = [
    "AI",
    "GS",
    "CodeKind",
    "Element",
    "ElementString",
    "is_cset82",
]

GS = "\x1d"
"""The ASCII group separator that ends a variable-length field in the raw form (FNC1 as data)."""

GS_ESCAPE = "<GS>"
"""How people type a GS on a command line or in a file: ``01…10ABC<GS>21…``."""

_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_ALNUM = re.compile(r"[0-9A-Za-z]+", re.ASCII)
_MAX_INPUT = 512  # No GS1 symbol that Jejak prints carries more; longer input is junk.


def is_cset82(value: object) -> bool:
    """Tell whether `value` is a non-empty string of GS1 character set 82 only. Never raises.

    >>> is_cset82("AB-12/3"), is_cset82("AB 12"), is_cset82("ÄB"), is_cset82(None)
    (True, False, False, False)
    """
    return isinstance(value, str) and _CSET82.fullmatch(value) is not None


class AI(StrEnum):
    """The GS1 Application Identifiers Jejak builds and parses."""

    SSCC = "00"
    GTIN = "01"
    BATCH = "10"
    EXPIRY = "17"
    SERIAL = "21"
    NIE = "90"
    NIE_VALIDITY = "91"

    @property
    def rule(self) -> _AiRule:
        return _RULES[self]


class _Charset(Enum):
    DIGITS = "digits"
    CSET82 = "GS1 CSET 82 characters (A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_)"
    ALNUM = "ASCII letters and digits"


@dataclass(frozen=True, slots=True)
class _AiRule:
    title: str
    min_length: int
    max_length: int
    charset: _Charset
    predefined_length: bool  # GS1 predefined-length AI: no GS needed after it in the raw form.
    check_digit: bool = False
    date: bool = False
    day_zero: bool = False  # YYMMDD with day 00 meaning the last day of the month.
    example: str = ""


_RULES: dict[AI, _AiRule] = {
    AI.SSCC: _AiRule("SSCC", 18, 18, _Charset.DIGITS, True, check_digit=True,
                     example="106141411234567897"),
    AI.GTIN: _AiRule("GTIN", 14, 14, _Charset.DIGITS, True, check_digit=True,
                     example="09506000134352"),
    AI.BATCH: _AiRule("batch", 1, 20, _Charset.CSET82, False, example="ABC123"),
    AI.EXPIRY: _AiRule("expiry date", 6, 6, _Charset.DIGITS, True, date=True, day_zero=True,
                       example="261231"),
    AI.SERIAL: _AiRule("serial number", 1, 20, _Charset.CSET82, False, example="X7Y8Z9"),
    AI.NIE: _AiRule("NIE", 1, 16, _Charset.ALNUM, False, example="DKL1234567890A1"),
    AI.NIE_VALIDITY: _AiRule("NIE validity date", 6, 6, _Charset.DIGITS, False, date=True,
                             example="291231"),
}  # fmt: skip

_AI_BY_CODE = {ai.value: ai for ai in AI}
_CHARSET_PATTERNS = {_Charset.DIGITS: _DIGITS, _Charset.CSET82: _CSET82, _Charset.ALNUM: _ALNUM}
# Canonical order, as BPOM writes its codes: the key, then batch, expiry, serial, NIE validity.
_ORDER = (AI.SSCC, AI.NIE, AI.GTIN, AI.BATCH, AI.EXPIRY, AI.SERIAL, AI.NIE_VALIDITY)


def _checked_text(value: object, ai: AI) -> str:
    """Check a field's characters and length against its AI rule; return it unchanged."""
    rule = ai.rule
    label = f"({ai.value}) {rule.title}"
    if not isinstance(value, str):
        raise InvalidFormat(
            f"Invalid {label} {describe(value)}: expected text, got {type(value).__name__}. "
            f"Hint: pass the {rule.title} as a string, e.g. {rule.example!r}."
        )
    if len(value) > _MAX_INPUT or not rule.min_length <= len(value) <= rule.max_length:
        expected = (
            f"exactly {rule.min_length}"
            if rule.min_length == rule.max_length
            else f"{rule.min_length} to {rule.max_length}"
        )
        raise InvalidLength(
            f"Invalid {label} {describe(value)}: expected {expected} characters, got "
            f"{len(value)}. Hint: e.g. {rule.example!r}."
        )
    if _CHARSET_PATTERNS[rule.charset].fullmatch(value) is None:
        bad = next(c for c in value if _CHARSET_PATTERNS[rule.charset].fullmatch(c) is None)
        raise InvalidFormat(
            f"Invalid {label} {describe(value)}: expected only {rule.charset.value}, found "
            f"{bad!r}. Hint: remove spaces and other characters a GS1 symbol cannot carry."
        )
    if GS_ESCAPE in value:
        raise InvalidFormat(
            f"Invalid {label} {describe(value)}: expected no {GS_ESCAPE!r} inside a value. "
            f"Hint: {GS_ESCAPE!r} is read as the group separator escape, so such a value could "
            "not be told apart from two fields; choose another value."
        )
    return value


@dataclass(frozen=True, slots=True)
class Element:
    """One validated GS1 element: an AI and its data, exactly as the symbol carries it.

    >>> Element.parse(AI.GTIN, "9506000134352")
    Element(ai=<AI.GTIN: '01'>, value='09506000134352')
    """

    ai: AI
    value: str

    @classmethod
    def parse(cls, ai: AI | str, value: object, *, today: dt.date | None = None) -> Element:
        """Validate `value` for `ai`. GTIN-8/12/13 are padded to GTIN-14."""
        ai = _parse_ai(ai)
        if ai is AI.GTIN and isinstance(value, str) and len(value) in (8, 12, 13):
            value = value.rjust(14, "0")
        text = _checked_text(value, ai)
        rule = ai.rule
        if rule.check_digit:
            expected = gs1_check_digit(text[:-1])
            if int(text[-1]) != expected:
                raise InvalidChecksum(
                    f"Invalid ({ai.value}) {rule.title} check digit for {text!r}: expected "
                    f"{expected}, got {text[-1]}. Hint: re-type the {rule.title} from the "
                    "product master; a single wrong digit changes the check digit."
                )
        if rule.date:
            Gs1Date.parse(
                text, what=f"({ai.value}) {rule.title}", allow_day_zero=rule.day_zero, today=today
            )
        return cls(ai, text)

    @property
    def date(self) -> Gs1Date | None:
        """The date of a date AI (17, 91), else None."""
        rule = self.ai.rule
        if not rule.date:
            return None
        return Gs1Date.parse(self.value, what=rule.title, allow_day_zero=rule.day_zero)

    @property
    def hri(self) -> str:
        return f"({self.ai.value}){self.value}"


def _parse_ai(ai: object) -> AI:
    if isinstance(ai, AI):
        return ai
    if isinstance(ai, str) and ai in _AI_BY_CODE:
        return _AI_BY_CODE[ai]
    supported = ", ".join(a.value for a in AI)
    raise UnknownApplicationIdentifier(
        f"Unsupported GS1 Application Identifier {describe(ai)}: expected one of "
        f"{supported}. Hint: BPOM codes use (01) or (90), (10), (17), (21); "
        "identification codes (90), (91); logistic units (00)."
    )


class CodeKind(StrEnum):
    """What an element string is for, in BPOM's terms."""

    AUTHENTICATION = "authentication"  # serialized: (90)NIE or (01)GTIN, (10), (17), (21)
    IDENTIFICATION = "identification"  # not serialized: (90)NIE (91)validity
    LOGISTIC = "logistic"  # (00)SSCC on a case or pallet
    INCOMPLETE = "incomplete"  # valid elements that do not make a complete BPOM code


@dataclass(frozen=True, slots=True)
class ElementString:
    """A validated set of GS1 elements, each AI at most once, in canonical order."""

    elements: tuple[Element, ...]

    @classmethod
    def of(cls, elements: Iterable[Element]) -> ElementString:
        """Gather elements, refusing a repeated AI, and put them in canonical order."""
        seen: dict[AI, Element] = {}
        for element in elements:
            if element.ai in seen:
                raise InvalidCombination(
                    f"Repeated AI ({element.ai.value}) with {seen[element.ai].value!r} and "
                    f"{element.value!r}: expected each AI once. Hint: a code carries one "
                    f"{element.ai.rule.title}."
                )
            seen[element.ai] = element
        if not seen:
            raise IncompleteCode(
                "Empty element string: expected at least one GS1 element. "
                "Hint: a BPOM code starts with (01) or (90)."
            )
        return cls(tuple(seen[ai] for ai in _ORDER if ai in seen))

    @classmethod
    def authentication(
        cls, *, key: Element, batch: str, expiry: Gs1Date, serial: str
    ) -> ElementString:
        """A serialized BPOM code: (90)NIE or (01)GTIN, then (10), (17), (21)."""
        if key.ai not in (AI.GTIN, AI.NIE):
            raise InvalidCombination(
                f"Invalid key ({key.ai.value}) for an authentication code: expected (01) GTIN "
                "or (90) NIE. Hint: pass --gtin or --nie."
            )
        return cls.of(
            (
                key,
                Element.parse(AI.BATCH, batch),
                Element.parse(AI.EXPIRY, expiry.yymmdd),
                Element.parse(AI.SERIAL, serial),
            )
        )

    @classmethod
    def identification(cls, *, nie: str, validity: Gs1Date) -> ElementString:
        """A non-serialized BPOM code: (90)NIE (91)YYMMDD."""
        if validity.day == 0:
            raise InvalidDate(
                f"Invalid (91) NIE validity {validity.yymmdd!r}: expected a real day, not 00. "
                "Hint: use the validity date printed on the electronic NIE."
            )
        return cls.of((Element.parse(AI.NIE, nie), Element.parse(AI.NIE_VALIDITY, validity.yymmdd)))

    @classmethod
    def parse(cls, data: object, *, today: dt.date | None = None) -> ElementString:
        """Parse a raw (FNC1/GS) or HRI (``(01)…``) element string without a symbology prefix."""
        if not isinstance(data, str):
            raise InvalidFormat(
                f"Invalid element string {describe(data)}: expected text, got "
                f"{type(data).__name__}. Hint: pass the scanned data as a string."
            )
        if len(data) > _MAX_INPUT:
            raise InvalidLength(
                f"Invalid element string {describe(data)}: expected at most {_MAX_INPUT} "
                f"characters, got {len(data)}. Hint: pass one code at a time."
            )
        if data.startswith("("):
            return cls._parse_hri(data, today)
        if GS not in data:  # typed by a person: <GS> stands for the separator
            data = data.replace(GS_ESCAPE, GS)
        return cls._parse_raw(data, today)

    @classmethod
    def _parse_hri(cls, data: str, today: dt.date | None) -> ElementString:
        parts = re.findall(r"\(([0-9]{2,4})\)([^()]*)", data, re.ASCII)
        if "".join(f"({ai}){value}" for ai, value in parts) != data:
            raise InvalidFormat(
                f"Invalid HRI element string {describe(data)}: expected (AI)value pairs such "
                "as '(01)09506000134352(10)ABC123'. Hint: a value cannot contain '(' or ')' in "
                "the HRI form; pass the raw form instead."
            )
        return cls.of(Element.parse(ai, value, today=today) for ai, value in parts)

    @classmethod
    def _parse_raw(cls, data: str, today: dt.date | None) -> ElementString:
        # A reader may transmit the leading FNC1 as GS; it carries nothing.
        position = 1 if data.startswith(GS) else 0
        elements: list[Element] = []
        while position < len(data):
            ai = _parse_ai(data[position : position + 2])
            rule = ai.rule
            start = position + 2
            if rule.predefined_length:
                end = start + rule.max_length
                if end > len(data) or GS in data[start:end]:
                    raise InvalidLength(
                        f"Invalid ({ai.value}) {rule.title} {data[start:end]!r} in raw data "
                        f"{describe(data)}: expected exactly {rule.max_length} characters. "
                        "Hint: the data was cut short or misread; scan it again."
                    )
                following = end + 1 if data[end : end + 1] == GS else end
            else:
                separator = data.find(GS, start)
                end = len(data) if separator == -1 else separator
                following = end + 1  # Past the GS, or past the end: a trailing GS is harmless.
            elements.append(Element.parse(ai, data[start:end], today=today))
            position = following
        return cls.of(elements)

    def get(self, ai: AI) -> str | None:
        """The data of `ai`, or None when absent."""
        return next((e.value for e in self.elements if e.ai is ai), None)

    def __getitem__(self, ai: AI) -> str:
        value = self.get(ai)
        if value is None:
            raise KeyError(ai)
        return value

    def __contains__(self, ai: object) -> bool:
        return any(e.ai == ai for e in self.elements)

    @property
    def raw(self) -> str:
        """The data a GS1 symbol carries after FNC1: predefined-length AIs first, GS-separated."""
        fixed = [e for e in self.elements if e.ai.rule.predefined_length]
        variable = [e for e in self.elements if not e.ai.rule.predefined_length]
        head = "".join(e.ai.value + e.value for e in fixed)
        return head + GS.join(e.ai.value + e.value for e in variable)

    @property
    def hri(self) -> str:
        """The human-readable interpretation, ``(AI)value`` in canonical order."""
        return "".join(e.hri for e in self.elements)

    @property
    def kind(self) -> CodeKind:
        ais = {e.ai for e in self.elements}
        if ais >= {AI.BATCH, AI.EXPIRY, AI.SERIAL} and ais & {AI.GTIN, AI.NIE}:
            return CodeKind.AUTHENTICATION
        if ais == {AI.NIE, AI.NIE_VALIDITY}:
            return CodeKind.IDENTIFICATION
        if ais == {AI.SSCC}:
            return CodeKind.LOGISTIC
        return CodeKind.INCOMPLETE

    def missing(self) -> tuple[AI, ...]:
        """The AIs a complete BPOM code of the closest kind still needs."""
        if self.kind is not CodeKind.INCOMPLETE:
            return ()
        present = {e.ai for e in self.elements}
        wanted: tuple[AI, ...]
        if AI.NIE_VALIDITY in present or present == {AI.NIE}:
            wanted = (AI.NIE, AI.NIE_VALIDITY)
        else:
            key = () if present & {AI.GTIN, AI.NIE} else (AI.GTIN,)
            wanted = (*key, AI.BATCH, AI.EXPIRY, AI.SERIAL)
        return tuple(ai for ai in wanted if ai not in present)

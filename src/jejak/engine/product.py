"""The product master: what a site makes, as registered with BPOM.

A product is known by its NIE. Its coding method (authentication or identification) follows from
the NIE's class (Art. 3(2)-(3)); a product listed by BPOM under Art. 3(4) (certain OTC drugs, food
for special dietary use) is raised to authentication with a recorded reason.

>>> product = Product.parse(nie="DKL1234567890A1", name="Amoxicillin 500 mg",
...                         packaging="Dus, 10 strip @ 10 kapsul", gtin="8991234567891")
>>> product.nie.value, product.gtin, product.method.value
('DKL1234567890A1', '08991234567891', 'authentication')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jejak.engine.errors import InvalidFormat, InvalidLength
from jejak.engine.gs1 import AI, Element
from jejak.engine.nie import Method, Nie, required_method
from jejak.engine.text import describe

__all__ = ["Product", "parse_text_field"]

_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]+")


def parse_text_field(value: object, *, what: str, max_length: int, example: str) -> str:
    """A free-text master-data field: stripped, non-blank, printable, at most `max_length`."""
    if not isinstance(value, str):
        raise InvalidFormat(
            f"Invalid {what} {describe(value)}: expected text, got {type(value).__name__}. "
            f"Hint: e.g. {example!r}."
        )
    text = value.strip()
    if not text:
        raise InvalidLength(
            f"Invalid {what} {value!r}: expected some text, got nothing. Hint: e.g. {example!r}."
        )
    if len(text) > max_length:
        raise InvalidLength(
            f"Invalid {what} {describe(value)}: expected at most {max_length} characters, got "
            f"{len(text)}. Hint: shorten it; BPOM's registry holds the full text."
        )
    if _PRINTABLE.fullmatch(text) is None:
        raise InvalidFormat(
            f"Invalid {what} {describe(value)}: expected printable text without control "
            "characters. Hint: remove line breaks and tabs."
        )
    return text


@dataclass(frozen=True, slots=True)
class Product:
    """One product of the master. `gtin` is a GTIN-14 (or None); `method_reason` is set exactly
    when `method` was raised above what the NIE's class requires."""

    nie: Nie
    name: str
    packaging: str
    dosage_form: str | None
    gtin: str | None
    method: Method
    method_reason: str | None

    @classmethod
    def parse(
        cls,
        *,
        nie: object,
        name: object,
        packaging: object,
        gtin: object = None,
        dosage_form: object = None,
        method: object = None,
        reason: object = None,
    ) -> Product:
        """Validate master data as typed by a person or read from a file."""
        if nie is None or (isinstance(nie, str) and not nie.strip()):
            raise InvalidFormat(
                f"Invalid NIE {nie!r}: expected the product's BPOM registration number. Hint: a "
                "product without an NIE cannot get 2D-barcode codes (annex F.3.a); register it "
                "with BPOM first."
            )
        parsed_nie = Nie.parse(nie)
        reason_text = None if reason is None else _text(reason, "method reason", 500)
        effective = required_method(parsed_nie, _parse_method(method), reason_text)
        return cls(
            nie=parsed_nie,
            name=_text(name, "product name", 200),
            packaging=_text(packaging, "packaging", 200),
            dosage_form=None if dosage_form is None else _text(dosage_form, "dosage form", 100),
            gtin=None if gtin is None else Element.parse(AI.GTIN, gtin).value,
            method=effective,
            method_reason=reason_text if effective is not parsed_nie.method else None,
        )


_EXAMPLES = {
    "method reason": "Listed by BPOM decree as an OTC drug that needs authentication",
    "product name": "Amoxicillin 500 mg",
    "packaging": "Dus, 10 strip @ 10 kapsul",
    "dosage form": "Kapsul",
}


def _text(value: object, what: str, max_length: int) -> str:
    return parse_text_field(value, what=what, max_length=max_length, example=_EXAMPLES[what])


def _parse_method(value: object) -> Method | None:
    if value is None or isinstance(value, Method):
        return value
    if isinstance(value, str):
        for method in Method:
            if value.strip().lower() == method.value:
                return method
    choices = ", ".join(repr(m.value) for m in Method)
    raise InvalidFormat(
        f"Invalid method {describe(value)}: expected one of {choices}. Hint: leave it out to "
        "use the method the NIE's class requires (Art. 3)."
    )

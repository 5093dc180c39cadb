"""The product master: validated fields, the Art. 3 method and its Art. 3(4) override."""

from __future__ import annotations

import pytest

from jejak.engine.errors import (
    InvalidChecksum,
    InvalidCombination,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from jejak.engine.nie import Method, Nie
from jejak.engine.product import Product

BASE = {"nie": "DKL1234567890A1", "name": "Amoxicillin 500 mg", "packaging": "Dus, 10 strip"}


def test_parse_whole_object() -> None:
    product = Product.parse(
        **BASE, gtin="8991234567891", dosage_form=" Kapsul ", method=None, reason=None
    )
    assert product == Product(
        nie=Nie.parse("DKL1234567890A1"),
        name="Amoxicillin 500 mg",
        packaging="Dus, 10 strip",
        dosage_form="Kapsul",
        gtin="08991234567891",
        method=Method.AUTHENTICATION,
        method_reason=None,
    )


@pytest.mark.parametrize(
    ("nie", "method", "reason", "expected_method", "expected_reason"),
    [
        ("DBL1234567890A1", None, None, Method.IDENTIFICATION, None),
        ("DBL1234567890A1", "authentication", "Listed OTC", Method.AUTHENTICATION, "Listed OTC"),
        ("MD224510107100", "Authentication", "Special dietary food", Method.AUTHENTICATION,
         "Special dietary food"),
        ("DKL1234567890A1", "authentication", "redundant", Method.AUTHENTICATION, None),
    ],
)  # fmt: skip
def test_method_override(
    nie: str,
    method: str | None,
    reason: str | None,
    expected_method: Method,
    expected_reason: str | None,
) -> None:
    product = Product.parse(**{**BASE, "nie": nie}, method=method, reason=reason)
    assert (product.method, product.method_reason) == (expected_method, expected_reason)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"nie": None}, InvalidFormat, "Invalid NIE None: expected the product's BPOM"),
        ({"nie": "  "}, InvalidFormat, "cannot get 2D-barcode codes (annex F.3.a)"),
        ({"name": ""}, InvalidLength, "Invalid product name '': expected some text"),
        ({"name": "A\nB"}, InvalidFormat, "Invalid product name 'A\\nB': expected printable"),
        ({"packaging": "P" * 201}, InvalidLength, "expected at most 200 characters, got 201"),
        ({"name": 5}, InvalidFormat, "Invalid product name 5: expected text, got int."),
        ({"gtin": "08991234567892"}, InvalidChecksum, "expected 1, got 2"),
        ({"method": "serialized", "reason": "x"}, InvalidFormat, "Invalid method 'serialized'"),
        ({"method": "authentication", "nie": "DBL1234567890A1"}, InvalidCombination,
         "expected a non-blank reason"),
        ({"method": "identification", "reason": "cheaper"}, InvalidCombination,
         "needs authentication under Art. 3(2)"),
    ],
)  # fmt: skip
def test_bad_input(changes: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        Product.parse(**{**BASE, **changes})  # type: ignore[arg-type]
    assert message in str(caught.value)
    assert isinstance(caught.value, ValidationError)

"""GS1 mod-10 check digit of one code: official vectors, and no numpy for parsing a code."""

from __future__ import annotations

import subprocess
import sys

import pytest
from biip.checksums import gs1_standard_check_digit

from jejak.engine.check_digit import gs1_check_digit

# (payload, check digit): examples published by GS1 and by the UPC/EAN literature.
VECTORS = [
    ("0950600013435", 2),  # GTIN-14 09506000134352, GS1 General Specifications
    ("950600013435", 2),  # the same item as a GTIN-13
    ("10614141123456789", 7),  # SSCC 106141411234567897, GS1 General Specifications
    ("03600029145", 2),  # GTIN-12 (UPC-A) 036000291452
    ("9638507", 4),  # GTIN-8 96385074
    ("400638133393", 1),  # GTIN-13 4006381333931
    ("0000000000000", 0),
    ("9999999999999", 7),  # 9 * (7 * 3 + 6 * 1) = 243
]


@pytest.mark.parametrize(("payload", "expected"), VECTORS)
def test_scalar_check_digit_matches_published_vectors(payload: str, expected: int) -> None:
    assert gs1_check_digit(payload) == expected
    assert gs1_standard_check_digit(payload) == expected  # the vector itself, checked by biip


PARSE_A_CODE = """
import sys
from jejak.engine.gs1 import AI, Element
element = Element.parse(AI.GTIN, "09506000134352")
print(element.value, "numpy" in sys.modules)
"""


def test_parsing_a_code_imports_no_numpy() -> None:
    # Issue 9: every CLI command parses codes; numpy would add about 65 ms to each.
    done = subprocess.run(
        [sys.executable, "-c", PARSE_A_CODE], capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["09506000134352", "False"]

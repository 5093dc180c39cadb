"""GS1 mod-10 check digits (GTIN, SSCC), one code at a time.

The weights 3 and 1 alternate from the rightmost digit of the payload (the digits before the
check digit), so one rule serves GTIN-8/12/13/14 and SSCC-18. This module imports no numpy, so
that parsing a code stays cheap to import; `jejak.engine.check_digits` computes the same rule
over whole numpy arrays.

>>> gs1_check_digit("0950600013435")
2
>>> gs1_check_digit("10614141123456789")
7
"""

from __future__ import annotations

__all__ = ["gs1_check_digit"]

_ZERO = ord("0")


def gs1_check_digit(payload: str) -> int:
    """The check digit for `payload`, a string of ASCII digits (validated by the caller)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        total += (ord(char) - _ZERO) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10

"""Text input in error messages: every package that names a bad value quotes it this way."""

from __future__ import annotations

_SHOWN = 60


def describe(value: object) -> str:
    """`repr` of a value, cut short so that junk input cannot flood a message.

    >>> describe("A" * 100)
    "'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…AAAAAAAAAAA' (102 chars)"
    """
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:40]}…{text[-12:]} ({len(text)} chars)"

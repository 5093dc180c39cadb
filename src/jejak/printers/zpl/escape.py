"""``^BX`` data as Jejak writes it: an explicit escape character (``_``), so that ``_1`` is FNC1
and ``__`` an underscore, and its inverse with Zebra's other sequences. No I/O.

printers/README.md, "``^BX`` escape rules", lists the sequences; the label's stored format and
recalls (`jejak.printers.label.zpl`) write their ``^BX`` field with these.

>>> escape_datamatrix("01095060001343521726123110AB_1\\x1d21X7")
'_101095060001343521726123110AB__1_121X7'
>>> unescape_datamatrix("_101095060001343521726123110AB__1_121X7")
DataMatrixData(data=b'01095060001343521726123110AB_1\\x1d21X7', gs1=True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.engine.gs1 import GS
from jejak.engine.text import describe

__all__ = [
    "ESCAPE",
    "FIELD_CHARACTER",
    "DataMatrixData",
    "check_escape",
    "escape_datamatrix",
    "unescape_datamatrix",
]

ESCAPE = "_"  # the ^BX escape character: _1 is FNC1, __ is an underscore
FIELD_CHARACTER = r"[\x20-\x5d\x5f-\x7d]"
"""A character that may go into a ``^FD`` field as it is (a regular expression class): printable
ASCII without ``^`` and ``~``, which the printer would take for commands."""
_ESCAPES_ALLOWED = "!\"#$%&'()*+-./:;<=>?@[\\]_`{|}"  # printable, not ^ ~ , or alphanumeric
_UNSAFE = re.compile(r"[^\x1d\x20-\x5d\x5f-\x7d]")  # GS may go between GS1 fields too


def check_escape(escape: str) -> None:
    """`InvalidFormat` unless `escape` can be a ``^BX`` escape character."""
    if not (isinstance(escape, str) and len(escape) == 1 and escape in _ESCAPES_ALLOWED):
        raise InvalidFormat(
            f"Invalid ^BX escape character {describe(escape)}: expected one punctuation "
            "character other than '^', '~' and ','. Hint: Jejak uses '_'."
        )


def escape_datamatrix(data: str, *, gs1: bool = True, escape: str = ESCAPE) -> str:
    """``^FD`` data for a ``^BX`` field: FNC1 first (GS1), each GS as FNC1, the escape doubled.

    >>> escape_datamatrix("10A_B\\x1d21X")
    '_110A__B_121X'
    """
    bad = _UNSAFE.search(data)
    if bad is not None:
        raise InvalidFormat(
            f"Invalid DataMatrix data {describe(data)}: character {bad.group()!r} at "
            f"{bad.start()} cannot go into a ZPL field. Expected printable ASCII without '^' "
            "and '~' (GS only between GS1 fields). Hint: codes use GS1 CSET 82 characters."
        )
    text = data.replace(escape, escape + escape)
    if gs1:
        return escape + "1" + text.replace(GS, escape + "1")
    return text.replace(GS, escape + "]")  # _] is the control character 0x1D


@dataclass(frozen=True, slots=True)
class DataMatrixData:
    """What a ``^BX`` field encodes: the bytes (GS between GS1 fields), and FNC1 first or not."""

    data: bytes
    gs1: bool


def unescape_datamatrix(text: str, *, escape: str = ESCAPE) -> DataMatrixData:
    """The inverse of `escape_datamatrix`, with Zebra's ``_dNNN`` and ``_@``…``_^`` too."""
    gs1 = text.startswith(escape + "1")
    position = 2 if gs1 else 0
    out: list[str] = []
    while (found := text.find(escape, position)) >= 0:
        out.append(text[position:found])
        code = text[found + 1 : found + 2]
        position = found + 2
        digits = text[position : position + 3]
        if code == escape:
            out.append(escape)
        elif code == "1":
            out.append(GS)
        elif code == "d" and len(digits) == 3 and digits.isascii() and digits.isdigit():
            if int(digits) > 255:
                break
            out.append(chr(int(digits)))
            position += 3
        elif "@" <= code <= "^":
            out.append(chr(ord(code) - 64))
        else:
            break
    else:
        out.append(text[position:])
        return DataMatrixData("".join(out).encode("latin-1"), gs1)
    raise ProtocolError(
        f"Invalid escape {text[found : found + 5]!r} at {found} in ^BX data {describe(text)}: "
        f"expected {escape}{escape}, {escape}1 (FNC1), {escape}dNNN (NNN ≤ 255) or {escape}@ to "
        f"{escape}^. Hint: FNC2, FNC3, PAD and code pages are outside Jejak's ZPL subset."
    )

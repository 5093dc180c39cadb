"""The ZPL Jejak writes: ``^BX`` data with an explicit escape (so that ``_1`` is FNC1), the stored
label format (``^DF``) and its per-label recall (``^XF`` with ``^FN`` fields). No I/O.

A label format is stored once (``^DF``) and recalled per label (``^XF``) with its ``^FN`` fields:
the GS1 DataMatrix and the human-readable lines. printers/README.md, "Zebra ZPL", explains the
subset and the escape rules.

>>> print(recall_label("01095060001343521726123110AB_1\\x1d21X7").replace("^FS", "^FS\\n"))
^XA^XFR:JEJAK.ZPL^FS
^FN1^FD_101095060001343521726123110AB__1_121X7^FS
^FN2^FDGTIN: 09506000134352^FS
^FN3^FDBATCH: AB_1^FS
^FN4^FDEXP: 2026-12-31^FS
^FN5^FDSN: X7^FS
^PQ1^XZ
>>> unescape_datamatrix("_101095060001343521726123110AB__1_121X7")
DataMatrixData(data=b'01095060001343521726123110AB_1\\x1d21X7', gs1=True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

from jejak.engine._text import describe
from jejak.engine.errors import InvalidFormat, InvalidQuantity, ProtocolError
from jejak.engine.gs1 import GS, ElementString
from jejak.printers.size_rule import (
    MIN_SYMBOL_MM,
    X_MAX_MM,
    X_MIN_MM,
    smallest_module_dots,
    x_in_range,
)

__all__ = [
    "ESCAPE",
    "FORMAT_NAME",
    "DataMatrixData",
    "FieldNumber",
    "LabelWriter",
    "escape_datamatrix",
    "hri_date",
    "module_dots",
    "recall_label",
    "stored_format",
    "unescape_datamatrix",
]

FORMAT_NAME = "R:JEJAK.ZPL"
ESCAPE = "_"  # the ^BX escape character: _1 is FNC1, __ is an underscore
X_DIM_MM = (X_MIN_MM, X_MAX_MM)  # the DataMatrix module size Jejak allows
_ESCAPES_ALLOWED = "!\"#$%&'()*+-./:;<=>?@[\\]_`{|}"  # printable, not ^ ~ , or alphanumeric
# What may go into a ^FD field: printable ASCII without ^ and ~, and GS between GS1 fields.
_UNSAFE = re.compile(r"[^\x1d\x20-\x5d\x5f-\x7d]")
_SAFE = r"[\x20-\x5d\x5f-\x7d]+"
# The canonical raw form (jejak.engine.gs1): AIs 00 01 17, then 90 10 21 91 with GS between.
_CANONICAL = re.compile(
    "(?:00([0-9]{18}))?(?:01([0-9]{14}))?(?:17([0-9]{6}))?"
    rf"(?:90({_SAFE})(?:\x1d|$))?(?:10({_SAFE})(?:\x1d|$))?(?:21({_SAFE})(?:\x1d|$))?"
    rf"(?:91({_SAFE}))?"
)


class FieldNumber(IntEnum):
    """The ``^FN`` fields of Jejak's stored format."""

    SYMBOL = 1
    KEY = 2  # NIE, GTIN or SSCC
    BATCH = 3
    EXPIRY = 4  # or the NIE validity of an identification code
    SERIAL = 5


def module_dots(dpi: int, *, modules: int = 16) -> int:
    """The DataMatrix module size in dots: X within 0.254-0.495 mm, `modules` wide ≥ 6 mm.

    >>> module_dots(203), module_dots(300), module_dots(600)
    (3, 5, 9)
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 100 <= dpi <= 1200:
        raise InvalidQuantity(
            f"Invalid printer resolution {describe(dpi)}: expected 100 to 1200 dots per inch. "
            "Hint: Zebra printers have 203, 300 or 600 dpi."
        )
    if modules >= 1:
        dots = smallest_module_dots(dpi, modules)
        if x_in_range(dpi, dots):
            return dots
    raise InvalidQuantity(
        f"Invalid printer resolution {dpi!r} for a {modules}-module symbol: expected a module of "
        f"{X_DIM_MM[0]}-{X_DIM_MM[1]} mm making the symbol at least {MIN_SYMBOL_MM} mm. "
        "Hint: use a 203, 300 or 600 dpi printer."
    )


def _check_escape(escape: str) -> None:
    if not (isinstance(escape, str) and len(escape) == 1 and escape in _ESCAPES_ALLOWED):
        raise InvalidFormat(
            f"Invalid ^BX escape character {describe(escape)}: expected one punctuation "
            "character other than '^', '~' and ','. Hint: Jejak uses '_'."
        )


def stored_format(
    *, dpi: int, module: int | None = None, caption: bool = True, name: str = FORMAT_NAME,
    escape: str = ESCAPE,
) -> str:  # fmt: skip
    """The label format sent once per connection: a DataMatrix and four text lines.

    >>> stored_format(dpi=203, caption=False)  # doctest: +ELLIPSIS
    '^XA^DFR:JEJAK.ZPL^FS^LH0,0^FO8,8^BXN,3,200,,,,_^FN1^FS^FO120,8^A0N,20,20^FN2^FS...^XZ'
    """
    _check_escape(escape)
    if module is None:
        module = module_dots(dpi)
    elif isinstance(module, bool) or not isinstance(module, int) or module < 1:
        raise InvalidQuantity(
            f"Invalid module size {describe(module)}: expected a positive number of dots. "
            "Hint: leave it out to compute it from the resolution."
        )
    per_mm = dpi / 25.4
    margin, text_x = round(per_mm), round(per_mm) + 32 * module + round(2 * per_mm)
    height, step = round(2.5 * per_mm), round(3.2 * per_mm)
    parts = [f"^XA^DF{name}^FS^LH0,0^FO{margin},{margin}^BXN,{module},200,,,,{escape}^FN1^FS"]
    lines = ["^FDBPOM RI"] if caption else []
    lines += [f"^FN{number}" for number in FieldNumber if number is not FieldNumber.SYMBOL]
    for row, content in enumerate(lines):
        parts.append(f"^FO{text_x},{margin + row * step}^A0N,{height},{height}{content}^FS")
    return "".join(parts) + "^XZ"


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


def hri_date(yymmdd: str) -> str:
    """A GS1 date as the human-readable lines print it: ``YYYY-MM-DD``, ``YYYY-MM`` for day 00."""
    day = yymmdd[4:6]
    return f"20{yymmdd[:2]}-{yymmdd[2:4]}" + ("" if day == "00" else f"-{day}")


class LabelWriter:
    """Builds the ``^XF`` recall of one label from a raw element string; hot path, no I/O."""

    __slots__ = ("_escape", "_head")

    def __init__(self, *, name: str = FORMAT_NAME, escape: str = ESCAPE) -> None:
        _check_escape(escape)
        self._escape = escape
        self._head = f"^XA^XF{name}^FS^FN1^FD{escape}1"

    def __call__(self, raw: str) -> str:
        """The label for `raw`; `InvalidFormat` if it is not a GS1 element string ZPL can carry."""
        match = _CANONICAL.fullmatch(raw)
        if match is None or match.lastindex is None:
            escape_datamatrix(raw)  # raises for a character ZPL cannot carry
            raw = ElementString.parse(raw).raw  # raises with the reason; HRI becomes raw
            match = _CANONICAL.fullmatch(raw)
            assert match is not None  # noqa: S101 - the canonical raw form always matches
        sscc, gtin, expiry, nie, batch, serial, validity = match.groups()
        esc = self._escape
        parts = [self._head, raw.replace(esc, esc + esc).replace(GS, esc + "1"), "^FS"]
        if gtin or nie or sscc:
            key = f"GTIN: {gtin}" if gtin else f"NIE: {nie}" if nie else f"SSCC: {sscc}"
            parts.append(f"^FN2^FD{key}^FS")
        if batch:
            parts.append(f"^FN3^FDBATCH: {batch}^FS")
        if expiry or validity:
            when = f"EXP: {hri_date(expiry)}" if expiry else f"VALID: {hri_date(validity)}"
            parts.append(f"^FN4^FD{when}^FS")
        if serial:
            parts.append(f"^FN5^FDSN: {serial}^FS")
        parts.append("^PQ1^XZ")
        return "".join(parts)


recall_label = LabelWriter()

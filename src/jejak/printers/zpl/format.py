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

from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.engine.gs1 import GS, ElementString
from jejak.engine.text import describe
from jejak.printers.label.layout import hri_date
from jejak.printers.label.model import LabelSymbology
from jejak.printers.label.template import FieldNumber, Template

__all__ = [
    "ESCAPE",
    "FORMAT_NAME",
    "DataMatrixData",
    "LabelWriter",
    "escape_datamatrix",
    "recall_label",
    "stored_format",
    "unescape_datamatrix",
]

FORMAT_NAME = "R:JEJAK.ZPL"
ESCAPE = "_"  # the ^BX escape character: _1 is FNC1, __ is an underscore
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


def _check_escape(escape: str) -> None:
    if not (isinstance(escape, str) and len(escape) == 1 and escape in _ESCAPES_ALLOWED):
        raise InvalidFormat(
            f"Invalid ^BX escape character {describe(escape)}: expected one punctuation "
            "character other than '^', '~' and ','. Hint: Jejak uses '_'."
        )


def stored_format(template: Template, *, name: str = FORMAT_NAME, escape: str = ESCAPE) -> str:
    """The stored format (``^DF``) of a label template: the GS1 DataMatrix as ``^BX`` (the slot's
    module size, escape `escape`, the symbol size left to the data) filled from ``^FN1``, a
    ``^FN2``-``^FN5`` row per text field, and the caption fixed under the BPOM-issued symbol.
    QR symbols are not in the format: each recall draws its verified matrix as a graphic.

    >>> from jejak.printers.label import LabelSpec, template
    >>> stored_format(template(LabelSpec(dpi=203)))  # doctest: +ELLIPSIS
    '^XA^DFR:JEJAK.ZPL^FS^LH0,0^FO11,11^BXN,3,200,,,,_^FN1^FS^FT122,22^A0N,17,17^FN2^FS...^XZ'
    """
    _check_escape(escape)
    parts = [f"^XA^DF{name}^FS^LH0,0"]
    for slot in template.slots:
        if slot.symbology is LabelSymbology.DATAMATRIX:
            parts.append(
                f"^FO{slot.x},{slot.y}^BXN,{slot.dots},200,,,,{escape}^FN{FieldNumber.SYMBOL}^FS"
            )
    for field in template.fields:
        font = f"^A0N,{field.size},{field.size}"
        parts.append(f"^FT{field.x},{field.baseline}{font}^FN{field.number}^FS")
    caption, owner = template.caption, template.captioned
    if caption is not None and owner is not None:
        left, span = owner.x - owner.quiet, owner.side + 2 * owner.quiet
        top = caption.baseline - round(0.75 * caption.size)
        font = f"^A0N,{caption.size},{caption.size}"
        parts.append(f"^FO{left},{top}{font}^FB{span},1,0,C,0^FD{caption.text}^FS")
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

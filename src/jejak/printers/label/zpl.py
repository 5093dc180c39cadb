"""The ZPL writer: a laid-out label as a Zebra printer receives it, the stored format (``^DF``) of
its template and the recall (``^XF``) that fills it.

The stored format is the label's `jejak.printers.label.template`, written by `stored_format`:
the same for every code of the spec. `ZplLabelFormat` is that format with its per-code recall
(`RecallWriter`, the hot path), the `jejak.printers.zpl.StoredFormat` a
`jejak.printers.zpl.ZplPrinter` is built with, so the printer stores, byte for byte, what
``jejak label render --format zpl`` writes. QR symbols go into the recall as a ``^GFA`` graphic
of the verified module matrix, at their slot and its module size (ZPL's ``^BQ`` has FNC1 only in
recent firmware, and a graphic prints exactly the symbol that was verified). ZPL itself (the
``^BX`` escapes, the format's name) is `jejak.printers.zpl`'s.

>>> from jejak.printers.label.layout import layout
>>> from jejak.printers.label.model import LabelCode
>>> label = layout(LabelCode.parse("(90)DKL1234567890A1(91)301231"))
>>> print(render_zpl(label).replace("^FS", "^FS\\n"))  # doctest: +ELLIPSIS
^XA^DFR:JEJAK.ZPL^FS
^LH0,0^FO17,17^BXN,5,200,,,,_^FN1^FS
^FT...^FN2^FS
^FT...^FN3^FS
^FT...^FN4^FS
^FT...^FN5^FS
^XZ
^XA^XFR:JEJAK.ZPL^FS
^FN1^FD_190DKL1234567890A1_191301231^FS
^FN2^FDNIE: DKL1234567890A1^FS
^FN4^FDVALID: 2030-12-31^FS
^PQ1^XZ
<BLANKLINE>
>>> print(recall_label("01095060001343521726123110AB_1\\x1d21X7").replace("^FS", "^FS\\n"))
^XA^XFR:JEJAK.ZPL^FS
^FN1^FD_101095060001343521726123110AB__1_121X7^FS
^FN2^FDGTIN: 09506000134352^FS
^FN3^FDBATCH: AB_1^FS
^FN4^FDEXP: 2026-12-31^FS
^FN5^FDSN: X7^FS
^PQ1^XZ
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from jejak.engine.errors import InvalidCombination, InvalidFormat
from jejak.engine.gs1 import GS, ElementString
from jejak.engine.text import describe
from jejak.printers.label.layout import hri_date
from jejak.printers.label.model import Label, LabelSpec, LabelSymbology, PlacedSymbol, TextRole
from jejak.printers.label.size_rule import module_dots
from jejak.printers.label.template import FieldNumber, Slot, Template, field_of, template
from jejak.printers.symbols import SymbolKind
from jejak.printers.zpl.escape import ESCAPE, FIELD_CHARACTER, check_escape, escape_datamatrix
from jejak.printers.zpl.format import FORMAT_NAME

__all__ = [
    "RecallWriter",
    "ZplLabelFormat",
    "label_template",
    "recall_label",
    "render_zpl",
    "stored_format",
    "zpl_format",
    "zpl_recall",
]

_SAFE = f"{FIELD_CHARACTER}+"
# The canonical raw form (jejak.engine.gs1): AIs 00 01 17, then 90 10 21 91 with GS between.
_CANONICAL = re.compile(
    "(?:00([0-9]{18}))?(?:01([0-9]{14}))?(?:17([0-9]{6}))?"
    rf"(?:90({_SAFE})(?:\x1d|$))?(?:10({_SAFE})(?:\x1d|$))?(?:21({_SAFE})(?:\x1d|$))?"
    rf"(?:91({_SAFE}))?"
)
_END = "^PQ1^XZ"


def stored_format(template: Template, *, name: str = FORMAT_NAME, escape: str = ESCAPE) -> str:
    """The stored format (``^DF``) of a label template: the GS1 DataMatrix as ``^BX`` (the slot's
    module size, escape `escape`, the symbol size left to the data) filled from ``^FN1``, a
    ``^FN2``-``^FN5`` row per text field, and the caption fixed under the BPOM-issued symbol.
    QR symbols are not in the format: each recall draws its verified matrix as a graphic.

    >>> stored_format(template(LabelSpec(dpi=203)))  # doctest: +ELLIPSIS
    '^XA^DFR:JEJAK.ZPL^FS^LH0,0^FO11,11^BXN,3,200,,,,_^FN1^FS^FT122,22^A0N,17,17^FN2^FS...^XZ'
    """
    check_escape(escape)
    parts = [f"^XA^DF{name}^FS^LH0,0"]
    for slot in template.slots:
        if slot.symbology is LabelSymbology.DATAMATRIX:
            parts.append(
                f"^FO{slot.x},{slot.y}^BXN,{slot.dots},200,,,,{escape}^FN{FieldNumber.SYMBOL}^FS"
            )
    for row in template.fields:
        font = f"^A0N,{row.size},{row.size}"
        parts.append(f"^FT{row.x},{row.baseline}{font}^FN{row.number}^FS")
    caption, owner = template.caption, template.captioned
    if caption is not None and owner is not None:
        left, span = owner.x - owner.quiet, owner.side + 2 * owner.quiet
        top = caption.baseline - round(0.75 * caption.size)
        font = f"^A0N,{caption.size},{caption.size}"
        parts.append(f"^FO{left},{top}{font}^FB{span},1,0,C,0^FD{caption.text}^FS")
    return "".join(parts) + "^XZ"


class RecallWriter:
    """Builds the ``^XF`` recall of one label from a raw element string; hot path, no I/O."""

    __slots__ = ("_escape", "_head")

    def __init__(self, *, name: str = FORMAT_NAME, escape: str = ESCAPE) -> None:
        check_escape(escape)
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


recall_label = RecallWriter()
"""The recall of Jejak's format (`FORMAT_NAME`, escape ``_``), as `ZplLabelFormat` writes it."""


@dataclass(frozen=True, slots=True)
class ZplLabelFormat:
    """A label template as a Zebra printer stores it (`definition`, one ``^DF``) and the recall of
    a code (`recall`, one ``^XF``): the `jejak.printers.zpl.StoredFormat` of `ZplPrinter`.

    >>> form = ZplLabelFormat.for_printer(203)
    >>> form.definition == stored_format(template(LabelSpec(dpi=203)))
    True
    >>> form.recall("0109506000134352")
    '^XA^XFR:JEJAK.ZPL^FS^FN1^FD_10109506000134352^FS^FN2^FDGTIN: 09506000134352^FS^PQ1^XZ'
    """

    template: Template
    name: str = FORMAT_NAME
    escape: str = ESCAPE
    _writer: RecallWriter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.template, Template):
            raise InvalidFormat(
                f"Invalid template {describe(self.template)}: expected a label Template. "
                "Hint: ZplLabelFormat.for_printer(dpi), or template(LabelSpec(dpi=...))."
            )
        if self.template.slots[0].symbology is not LabelSymbology.DATAMATRIX:
            raise InvalidCombination(
                f"Invalid template {describe(self.template)} for a ZPL label format: expected "
                "a Template whose first symbol is a GS1 DataMatrix, which ^FN1 carries. "
                "Hint: a QR label is written whole by render_zpl(label), its symbol a graphic."
            )
        # Built once (it checks the escape): recall() is the client's hot path.
        object.__setattr__(self, "_writer", RecallWriter(name=self.name, escape=self.escape))

    @classmethod
    def for_printer(
        cls, dpi: int, *, module: int | None = None, name: str = FORMAT_NAME, escape: str = ESCAPE
    ) -> ZplLabelFormat:
        """The format of a printer of `dpi`: the DataMatrix template of ``LabelSpec(dpi=dpi)``,
        its module `module` dots (default: `module_dots`, which refuses a resolution with no
        module both in range and making a 16-module symbol 6 mm)."""
        spec = LabelSpec(dpi=dpi)
        dots = module_dots(dpi) if module is None else module
        return cls(template(spec, module=dots), name=name, escape=escape)

    @property
    def definition(self) -> str:
        """The stored format (``^XA^DF…^XZ``)."""
        return stored_format(self.template, name=self.name, escape=self.escape)

    def recall(self, raw: str) -> str:
        """The ``^XF`` label of the raw element string `raw` (`RecallWriter`)."""
        return self._writer(raw)


def label_template(label: Label) -> Template:
    """The template a label of this spec is printed with (two slots for two codes)."""
    return template(label.spec, bpom_code=len(label.symbols) > 1)


def _zpl_text(text: str) -> str:
    """``^FD`` text, with ``^FH`` hex escapes when it holds a character ZPL takes as a command."""
    if "^" not in text and "~" not in text:
        return f"^FD{text}"
    return "^FH_^FD" + "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)


def _zpl_graphic(placed: PlacedSymbol, slot: Slot) -> str:
    """``^GFA`` of the symbol's modules at the slot's module size: the matrix that was verified."""
    dots = slot.dots
    dark = np.repeat(np.repeat(placed.symbol.modules, dots, axis=0), dots, axis=1)
    packed = np.packbits(dark, axis=1)
    total, per_row = packed.size, packed.shape[1]
    data = packed.tobytes().hex().upper()
    return f"^FO{slot.x},{slot.y}^GFA,{total},{total},{per_row},{data}^FS"


def zpl_format(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The stored format (``^DF``) of this label's template."""
    return stored_format(label_template(label), name=name)


def zpl_recall(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The ``^XF`` recall of `zpl_format` with this label's data: for a GS1 DataMatrix exactly
    what `RecallWriter` writes for its raw data, QR symbols as graphics."""
    slots = label_template(label).slots
    main = label.symbols[0]
    dm = SymbolKind.GS1_DATAMATRIX
    graphics = "".join(
        _zpl_graphic(placed, slot)
        for placed, slot in zip(label.symbols, slots, strict=True)
        if placed.symbol.kind is not dm
    )
    if main.symbol.kind is dm:
        recall = RecallWriter(name=name)(main.symbol.data.decode("ascii"))
        return recall.removesuffix(_END) + graphics + _END
    fields = "".join(
        f"^FN{field_of(line.ai)}{_zpl_text(line.text)}^FS"
        for line in label.lines
        if line.role is TextRole.HRI
    )
    return f"^XA^XF{name}^FS{fields}{graphics}{_END}"


def render_zpl(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The ZPL a Zebra printer receives for this label: the stored format, then its recall,
    one per line. A driver sends `zpl_format` once and a recall per label."""
    return f"{zpl_format(label, name=name)}\n{zpl_recall(label, name=name)}\n"

"""The ZPL writer: a laid-out label as a Zebra printer receives it, the stored format (``^DF``) of
its template and the recall (``^XF``) that fills it.

The stored format is the label's `jejak.printers.label.template`: the same for every code of the
spec, byte for byte what `jejak.printers.zpl.client.ZplPrinter` stores on its printer. The recall
of a GS1 DataMatrix label is what the client sends per label (`jejak.printers.zpl.LabelWriter`);
QR symbols go into the recall as a ``^GFA`` graphic of the verified module matrix, at their slot
and its module size (ZPL's ``^BQ`` has FNC1 only in recent firmware, and a graphic prints
exactly the symbol that was verified).

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
"""

from __future__ import annotations

import numpy as np

from jejak.printers.label.model import Label, PlacedSymbol, TextRole
from jejak.printers.label.template import Slot, Template, field_of, template
from jejak.printers.symbols import SymbolKind
from jejak.printers.zpl.format import FORMAT_NAME, LabelWriter, stored_format

__all__ = ["label_template", "render_zpl", "zpl_format", "zpl_recall"]

_END = "^PQ1^XZ"


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
    what `jejak.printers.zpl.LabelWriter` writes for its raw data, QR symbols as graphics."""
    slots = label_template(label).slots
    main = label.symbols[0]
    dm = SymbolKind.GS1_DATAMATRIX
    graphics = "".join(
        _zpl_graphic(placed, slot)
        for placed, slot in zip(label.symbols, slots, strict=True)
        if placed.symbol.kind is not dm
    )
    if main.symbol.kind is dm:
        recall = LabelWriter(name=name)(main.symbol.data.decode("ascii"))
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

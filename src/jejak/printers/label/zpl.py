"""The ZPL writer: a laid-out label as the stored format (``^DF``) and the recall (``^XF``) a
Zebra printer receives.

>>> from jejak.printers.label.layout import layout
>>> from jejak.printers.label.model import LabelCode
>>> label = layout(LabelCode.parse("(90)DKL1234567890A1(91)301231"))
>>> print(render_zpl(label).replace("^FS", "^FS\\n"))  # doctest: +ELLIPSIS
^XA^DFR:JEJAK.ZPL^FS
^PW...^FO...^BXN,4,200,18,18,,_^FN1^FS
^FT...^FN2^FS
^FT...^FN4^FS
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

from jejak.engine.gs1 import AI
from jejak.printers.label.model import Label, PlacedSymbol, TextRole
from jejak.printers.symbols import SymbolKind
from jejak.printers.zpl.format import ESCAPE, FORMAT_NAME, FieldNumber, LabelWriter

__all__ = ["render_zpl", "zpl_format", "zpl_recall"]


# The ^FN field of each text line in the stored format, numbered as jejak.printers.zpl does.
_FIELDS = {AI.SSCC: FieldNumber.KEY, AI.GTIN: FieldNumber.KEY, AI.NIE: FieldNumber.KEY,
           AI.BATCH: FieldNumber.BATCH, AI.EXPIRY: FieldNumber.EXPIRY,
           AI.NIE_VALIDITY: FieldNumber.EXPIRY, AI.SERIAL: FieldNumber.SERIAL}  # fmt: skip


def _zpl_text(text: str) -> str:
    """``^FD`` text, with ``^FH`` hex escapes when it holds a character ZPL takes as a command."""
    if "^" not in text and "~" not in text:
        return f"^FD{text}"
    return "^FH_^FD" + "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)


def _zpl_graphic(placed: PlacedSymbol) -> str:
    """``^GFA`` of the symbol's modules at its module size: the exact matrix that was verified."""
    dots = placed.size.dots
    dark = np.repeat(np.repeat(placed.symbol.modules, dots, axis=0), dots, axis=1)
    packed = np.packbits(dark, axis=1)
    total, per_row = packed.size, packed.shape[1]
    data = packed.tobytes().hex().upper()
    return f"^FO{placed.x},{placed.y}^GFA,{total},{total},{per_row},{data}^FS"


def zpl_format(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The stored format (``^DF``) of this label's layout: the GS1 DataMatrix as ``^BX`` (module
    and symbol size of the layout, escape ``_``) filled from ``^FN1``, the text lines from
    ``^FN2``-``^FN5`` as `jejak.printers.zpl.FieldNumber` numbers them, the caption fixed."""
    parts = [f"^XA^DF{name}^FS^PW{label.width}^LL{label.height}^LH0,0"]
    for placed in label.symbols:
        symbol = placed.symbol
        if symbol.kind is SymbolKind.GS1_DATAMATRIX:
            parts.append(
                f"^FO{placed.x},{placed.y}^BXN,{placed.size.dots},200,{symbol.columns},"
                f"{symbol.rows},,{ESCAPE}^FN{FieldNumber.SYMBOL}^FS"
            )
    for line in label.lines:
        font = f"^A0N,{line.size},{line.size}"
        if line.role is TextRole.CAPTION:
            owner = next(p for p in label.symbols if p.bpom_issued)
            left, span = owner.x - owner.quiet, owner.width + 2 * owner.quiet
            top = line.baseline - round(0.75 * line.size)
            parts.append(f"^FO{left},{top}{font}^FB{span},1,0,C,0^FD{line.text}^FS")
        else:
            field = FieldNumber.KEY if line.ai is None else _FIELDS[line.ai]
            parts.append(f"^FT{line.x},{line.baseline}{font}^FN{field}^FS")
    return "".join(parts) + "^XZ"


def zpl_recall(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The ``^XF`` recall of `zpl_format` with this label's data: for a GS1 DataMatrix exactly
    what `jejak.printers.zpl.LabelWriter` writes for its raw data; QR symbols go inline as a
    ``^GFA`` graphic of the verified module matrix (ZPL's ``^BQ`` has FNC1 only in recent
    firmware, and a graphic prints exactly the symbol the PNG and SVG show)."""
    main = label.symbols[0]
    dm = SymbolKind.GS1_DATAMATRIX
    graphics = "".join(_zpl_graphic(p) for p in label.symbols if p.symbol.kind is not dm)
    if main.symbol.kind is dm:
        recall = LabelWriter(name=name)(main.symbol.data.decode("ascii"))
        return recall.removesuffix(_END) + graphics + _END
    fields = "".join(
        f"^FN{FieldNumber.KEY if line.ai is None else _FIELDS[line.ai]}{_zpl_text(line.text)}^FS"
        for line in label.lines
        if line.role is TextRole.HRI
    )
    return f"^XA^XF{name}^FS{fields}{graphics}{_END}"


_END = "^PQ1^XZ"


def render_zpl(label: Label, *, name: str = FORMAT_NAME) -> str:
    """The ZPL a Zebra printer receives for this label: the stored format, then its recall,
    one per line. A driver sends `zpl_format` once and `jejak.printers.zpl.recall_label` (or
    `zpl_recall`) per label of the same layout."""
    return f"{zpl_format(label, name=name)}\n{zpl_recall(label, name=name)}\n"

"""The renderings of a laid-out pack label: bitmap, PNG, SVG and ZPL, and their registry.

Every rendering draws the same layout (`jejak.printers.label.layout`), in printer dots: PNG at
the printer's resolution (written into its pHYs chunk), SVG in millimetres, ZPL in dots.

>>> from jejak.printers.label import LabelCode, layout
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

import io
from collections.abc import Callable
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from jejak.engine._text import describe
from jejak.engine.errors import InvalidFormat, SymbolError
from jejak.engine.gs1 import AI, ElementString
from jejak.printers.symbols import Symbol, SymbolKind
from jejak.printers.zpl import ESCAPE, FORMAT_NAME, FieldNumber, LabelWriter

if TYPE_CHECKING:
    from jejak.printers.label import Label, PlacedSymbol

__all__ = [
    "LabelFormat",
    "TextRole",
    "font",
    "render",
    "render_bitmap",
    "render_png",
    "render_svg",
    "render_zpl",
    "zpl_format",
    "zpl_recall",
]


class TextRole(StrEnum):
    """How a text line is drawn."""

    HRI = "hri"  # a human-readable line, left-aligned at its x
    CAPTION = "caption"  # "BPOM RI", centred at its x


class LabelFormat(StrEnum):
    """The renderings `render` writes."""

    PNG = "png"
    SVG = "svg"
    ZPL = "zpl"


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's built-in scalable font (Aileron) at `size` pixels per em: it measures the text
    in the layout and draws it in the bitmap."""
    face = ImageFont.load_default(size=size)
    if not isinstance(face, ImageFont.FreeTypeFont):
        raise SymbolError(
            "Pillow has no FreeType support: expected ImageFont.load_default(size=...) to give a "
            "scalable font. Hint: install a Pillow wheel built with FreeType."
        )
    return face


def render_bitmap(label: Label) -> NDArray[np.uint8]:
    """The label as 8-bit grey at the printer's resolution: 0 black, 255 white, nothing else
    (text is drawn without anti-aliasing, as a thermal head prints it)."""
    image = Image.new("L", (label.width, label.height), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    for line in label.lines:
        anchor = "ms" if line.role is TextRole.CAPTION else "ls"
        draw.text((line.x, line.baseline), line.text, fill=0, font=font(line.size), anchor=anchor)
    pixels = np.array(image, dtype=np.uint8)
    for placed in label.symbols:
        dots = placed.size.dots
        dark = np.repeat(np.repeat(placed.symbol.modules, dots, axis=0), dots, axis=1)
        area = pixels[placed.y : placed.y + placed.height, placed.x : placed.x + placed.width]
        area[...] = np.where(dark, 0, 255)
    return pixels


def render_png(label: Label) -> bytes:
    """A 1-bit PNG whose pHYs chunk carries the resolution, so that it prints to size."""
    image = Image.fromarray(render_bitmap(label)).convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(label.spec.dpi, label.spec.dpi), optimize=False)
    return out.getvalue()


def _runs(modules: NDArray[np.bool_]) -> str:
    """Path data in module units: one ``M x y h w v1 h-w z`` per horizontal run of dark modules."""
    parts = []
    for y, row in enumerate(modules):
        edges = np.flatnonzero(np.diff(np.concatenate(([False], row, [False])).view(np.int8)))
        parts += [
            f"M{a} {y}h{b - a}v1h-{b - a}z" for a, b in zip(edges[::2], edges[1::2], strict=True)
        ]
    return "".join(parts)


def render_svg(label: Label) -> str:
    """SVG in millimetres: each symbol one ``<path>`` (module runs, scaled), the text lines and
    the caption ``<text>`` elements (searchable, read by screen readers), with title and desc."""
    mm = label.mm

    def num(dots: float) -> str:
        return f"{mm(dots):.4f}".rstrip("0").rstrip(".")

    title = "Pack label: " + "; ".join(f"{p.title}: {_data_text(p.symbol)}" for p in label.symbols)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(label.width)}mm" '
            f'height="{num(label.height)}mm" viewBox="0 0 {num(label.width)} '
            f'{num(label.height)}" role="img" aria-labelledby="title desc">'
        ),
        f'<title id="title">{escape(title)}</title>',
        f'<desc id="desc">{escape(label.summary)}. Black on white (BPOM Art. 17).</desc>',
        f'<rect width="{num(label.width)}" height="{num(label.height)}" fill="#fff"/>',
    ]
    for placed in label.symbols:
        scale = num(placed.size.dots)
        out.append(
            f'<path transform="matrix({scale} 0 0 {scale} {num(placed.x)} {num(placed.y)})" '
            f'fill="#000" shape-rendering="crispEdges" d="{_runs(placed.symbol.modules)}">'
            f"<title>{escape(placed.title)}: {escape(_data_text(placed.symbol))}</title></path>"
        )
    for line in label.lines:
        anchor = "middle" if line.role is TextRole.CAPTION else "start"
        out.append(
            f'<text x="{num(line.x)}" y="{num(line.baseline)}" font-size="{num(line.size)}" '
            'font-family="Aileron, Helvetica, Arial, sans-serif" fill="#000" '
            f'text-anchor="{anchor}" class={quoteattr(line.role.value)}>{escape(line.text)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _data_text(symbol: Symbol) -> str:
    text = symbol.data.decode("ascii")
    return ElementString.parse(text).hri if symbol.kind.is_gs1 else text


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


_WRITERS: dict[LabelFormat, Callable[[Label], bytes]] = {
    LabelFormat.PNG: render_png,
    LabelFormat.SVG: lambda label: render_svg(label).encode("utf-8"),
    LabelFormat.ZPL: lambda label: render_zpl(label).encode("ascii"),
}


def render(label: Label, fmt: LabelFormat | str) -> bytes:
    """The label in `fmt` ('png', 'svg' or 'zpl'), as the bytes of a file."""
    if not (isinstance(fmt, str) and fmt in LabelFormat._value2member_map_):
        raise InvalidFormat(
            f"Invalid label format {describe(fmt)}: expected 'png', 'svg' or 'zpl'. "
            "Hint: png and svg to look at or print to size; zpl for a Zebra printer."
        )
    return _WRITERS[LabelFormat(fmt)](label)

"""The SVG writer: a laid-out label in millimetres, its text as ``<text>`` (searchable, read by
screen readers).

>>> from jejak.printers.label.layout import layout
>>> from jejak.printers.label.model import LabelCode
>>> svg = render_svg(layout(LabelCode.parse("(90)DKL1234567890A1(91)301231")))
>>> svg.count("<text "), '<title id="title">Pack label: GS1 DataMatrix' in svg
(2, True)
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np
from numpy.typing import NDArray

from jejak.engine.gs1 import ElementString
from jejak.printers.label.model import Label, TextRole
from jejak.printers.symbols import Symbol

__all__ = ["render_svg"]


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

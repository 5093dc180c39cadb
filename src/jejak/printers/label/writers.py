"""The registry of label writers: PNG, SVG and ZPL, each the bytes of a file.

>>> from jejak.printers.label.layout import layout
>>> from jejak.printers.label.model import LabelCode
>>> render(layout(LabelCode.parse("(90)DKL1234567890A1(91)301231")), "svg")[:5]
b'<?xml'
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from jejak.engine.errors import InvalidFormat
from jejak.engine.text import describe
from jejak.printers.label.model import Label
from jejak.printers.label.png import render_png
from jejak.printers.label.svg import render_svg
from jejak.printers.label.zpl import render_zpl

__all__ = ["LabelFormat", "render"]


class LabelFormat(StrEnum):
    """The renderings `render` writes."""

    PNG = "png"
    SVG = "svg"
    ZPL = "zpl"


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

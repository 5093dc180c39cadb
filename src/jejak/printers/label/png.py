"""The bitmap and PNG writers: a laid-out label at the printer's resolution.

>>> from jejak.printers.label.layout import layout
>>> from jejak.printers.label.model import LabelCode
>>> from jejak.printers.symbols import read
>>> label = layout(LabelCode.parse("(01)09506000134352(10)ABC123(17)261200(21)X7Y8Z9"))
>>> [(d.symbology.value, d.data) for d in read(render_bitmap(label))]
[(']d2', b'01095060001343521726120010ABC123\\x1d21X7Y8Z9')]
>>> render_png(label)[:8]
b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from jejak.printers.label.layout import font
from jejak.printers.label.model import Label, TextRole

__all__ = ["render_bitmap", "render_png"]


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

"""Pack labels: the size rule, the layout, and the writers for PNG, SVG and ZPL.

`model` holds the value objects, `size_rule` the module size in whole printer dots, `layout`
places the symbols and their text lines, `template` is the part of a layout that is the same for
every code (what a printer stores), and `writers` renders a label through `png`, `svg` or `zpl`.
`zpl` also writes the template as the one stored format a Zebra printer keeps (`ZplLabelFormat`,
which `jejak.printers.zpl.ZplPrinter` is given) and its per-code recall (`RecallWriter`).
A label is black on white (Art. 17), its symbols at least 6 mm (Art. 22), the code BPOM issued
captioned ``BPOM RI`` when the pack carries two codes (Art. 23).

>>> label = layout(LabelCode.parse("(90)DKL1234567890A1(91)301231"), LabelSpec(dpi=203))
>>> label.summary
'34.7 x 9.5 mm at 203 dpi; GS1 DataMatrix 18x18, module 3 dots = 0.375 mm, symbol 6.76 x 6.76 mm'
"""

from __future__ import annotations

from jejak.printers.label.layout import font, hri_date, hri_lines, layout
from jejak.printers.label.model import (
    CAPTION,
    Label,
    LabelCode,
    LabelSpec,
    LabelSymbology,
    PlacedSymbol,
    TextLine,
    TextRole,
)
from jejak.printers.label.png import render_bitmap, render_png
from jejak.printers.label.size_rule import ModuleSize, module_dots, module_size
from jejak.printers.label.svg import render_svg
from jejak.printers.label.template import (
    RESERVED,
    FieldNumber,
    Slot,
    Template,
    TemplateField,
    field_of,
    template,
)
from jejak.printers.label.writers import LabelFormat, render
from jejak.printers.label.zpl import (
    RecallWriter,
    ZplLabelFormat,
    label_template,
    recall_label,
    render_zpl,
    stored_format,
    zpl_format,
    zpl_recall,
)

__all__ = [
    "CAPTION",
    "RESERVED",
    "FieldNumber",
    "Label",
    "LabelCode",
    "LabelFormat",
    "LabelSpec",
    "LabelSymbology",
    "ModuleSize",
    "PlacedSymbol",
    "RecallWriter",
    "Slot",
    "Template",
    "TemplateField",
    "TextLine",
    "TextRole",
    "ZplLabelFormat",
    "field_of",
    "font",
    "hri_date",
    "hri_lines",
    "label_template",
    "layout",
    "module_dots",
    "module_size",
    "recall_label",
    "render",
    "render_bitmap",
    "render_png",
    "render_svg",
    "render_zpl",
    "stored_format",
    "template",
    "zpl_format",
    "zpl_recall",
]

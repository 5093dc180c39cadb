"""The label template: the part of a label's layout that is the same for every code of a line, as a
printer stores it once (ZPL ``^DF``) and fills per label (``^XF`` with ``^FN`` fields).

A template has a slot per symbol (where its first module goes, its module size, the side kept
free for it), a row per text field (`FieldNumber`: the code's key, batch, expiry or validity,
serial) and the ``BPOM RI`` caption when the pack carries two codes (Art. 23). Its geometry
follows the layout's rules (`jejak.printers.label.layout`: 1 mm margin, the quiet zone, a
1.5 mm gap before the text, 1.3 em between lines, the caption under the BPOM-issued symbol),
but nothing in it depends on one code: each slot keeps room for the largest symbol a Jejak code
needs (`RESERVED`), and the module is the size rule's for the smallest one (16 modules for a
DataMatrix, 21 for a QR), so every larger symbol is at least 6 mm too (Art. 22).

`jejak.printers.label.zpl.stored_format` writes a template as ZPL; the Zebra client is given it
(`ZplLabelFormat`) and sends it once per connection, and ``jejak label render --format zpl``
writes the same bytes.

>>> t = template(LabelSpec(dpi=203))
>>> [(s.x, s.y, s.dots, s.side) for s in t.slots]
[(11, 11, 3, 96)]
>>> [(f.number.name, f.x, f.baseline) for f in t.fields]
[('KEY', 122, 22), ('BATCH', 122, 44), ('EXPIRY', 122, 66), ('SERIAL', 122, 88)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

from jejak.engine.errors import InvalidCombination, InvalidFormat, InvalidQuantity
from jejak.engine.gs1 import AI
from jejak.engine.text import describe
from jejak.printers.label.layout import font, module_note
from jejak.printers.label.model import CAPTION, LabelSpec, LabelSymbology, TextLine, TextRole
from jejak.printers.label.size_rule import module_size

__all__ = ["RESERVED", "FieldNumber", "Slot", "Template", "TemplateField", "field_of", "template"]

# The side kept free for a symbol, in modules: a 32x32 DataMatrix holds 62 codewords (a GTIN
# code with a 20-character batch and serial needs 56), a version 5 QR (37x37) 84 bytes.
RESERVED = {LabelSymbology.DATAMATRIX: 32, LabelSymbology.QR: 37}
_SMALLEST = {LabelSymbology.DATAMATRIX: 16, LabelSymbology.QR: 21}  # the module's size rule
_QUIET = {LabelSymbology.DATAMATRIX: 1, LabelSymbology.QR: 4}
_MARGIN_MM, _GAP_MM, _PITCH_EM = 1.0, 1.5, 1.3
_WIDEST_TEXT = "BATCH: " + "0" * 20  # the text column's width, before a second symbol


class FieldNumber(IntEnum):
    """The ``^FN`` fields of Jejak's stored format."""

    SYMBOL = 1
    KEY = 2  # NIE, GTIN or SSCC (or a plain code's text)
    BATCH = 3
    EXPIRY = 4  # or the NIE validity of an identification code
    SERIAL = 5


_FIELDS = {AI.SSCC: FieldNumber.KEY, AI.GTIN: FieldNumber.KEY, AI.NIE: FieldNumber.KEY,
           AI.BATCH: FieldNumber.BATCH, AI.EXPIRY: FieldNumber.EXPIRY,
           AI.NIE_VALIDITY: FieldNumber.EXPIRY, AI.SERIAL: FieldNumber.SERIAL}  # fmt: skip


def field_of(ai: AI | None) -> FieldNumber:
    """The field a text line of this element fills (None: a plain code's text, the key)."""
    return FieldNumber.KEY if ai is None else _FIELDS[ai]


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a symbol goes: the top-left corner of its first module, its module size, the side
    kept free for it (`modules` x `dots` dots), and whether it is the BPOM-issued code."""

    symbology: LabelSymbology
    x: int
    y: int
    dots: int
    modules: int
    bpom_issued: bool = False

    @property
    def side(self) -> int:
        return self.modules * self.dots

    @property
    def quiet(self) -> int:
        """The quiet zone, in dots."""
        return _QUIET[self.symbology] * self.dots


@dataclass(frozen=True, slots=True)
class TemplateField:
    """A text row: the field that fills it, its left edge and baseline, the em height in dots."""

    number: FieldNumber
    x: int
    baseline: int
    size: int


@dataclass(frozen=True, slots=True)
class Template:
    """A label's code-independent layout: symbol slots, text rows, the caption (if any)."""

    spec: LabelSpec
    slots: tuple[Slot, ...]
    fields: tuple[TemplateField, ...]
    caption: TextLine | None
    notes: tuple[str, ...] = ()

    @property
    def captioned(self) -> Slot | None:
        """The slot of the BPOM-issued symbol, which the caption stands under."""
        return next((slot for slot in self.slots if slot.bpom_issued), None)


def _dots(spec: LabelSpec, symbology: LabelSymbology, module: object, notes: list[str]) -> int:
    if module is not None:
        if isinstance(module, bool) or not isinstance(module, int) or module < 1:
            raise InvalidQuantity(
                f"Invalid module size {describe(module)}: expected a positive number of dots. "
                "Hint: leave it out to compute it from the resolution."
            )
        return module
    size = module_size(spec.dpi, _SMALLEST[symbology])
    if not size.in_range:
        notes.append(module_note(size, f"{size.modules}-module"))
    return size.dots


def template(
    spec: LabelSpec | None = None, *, module: int | None = None, bpom_code: bool = False
) -> Template:
    """The template of the labels `spec` describes: one symbol, or with `bpom_code` (and
    `spec.two_codes`) the manufacturer's and the BPOM-issued QR. `module` sets the first
    symbol's module in dots (default: the size rule's)."""
    spec = LabelSpec() if spec is None else spec
    if not isinstance(spec, LabelSpec):
        raise InvalidFormat(
            f"Invalid label spec {describe(spec)}: expected a LabelSpec. Hint: LabelSpec(dpi=300)."
        )
    if bpom_code and not spec.two_codes:
        raise InvalidCombination(
            "Invalid template with a BPOM-issued code without two_codes: expected "
            "two_codes=True for a label with two codes. Hint: Art. 23 captions the BPOM-issued "
            "code only on a pack that carries two codes."
        )
    alone_bpom = spec.two_codes and not bpom_code
    if alone_bpom and spec.symbology is LabelSymbology.DATAMATRIX:
        raise InvalidCombination(
            "Invalid symbology 'datamatrix' for a BPOM-issued code alone: expected 'qr', since "
            "BPOM issues its codes as QR (Art. 5). Hint: use symbology qr, or a template with "
            "bpom_code=True for the manufacturer's code and BPOM's."
        )
    notes: list[str] = []
    per_mm = spec.dpi / 25.4
    margin, gap = round(_MARGIN_MM * per_mm), round(_GAP_MM * per_mm)
    em = max(8, round(spec.text_pt / 72 * spec.dpi))
    face = font(em)
    kinds = [(spec.symbology, _dots(spec, spec.symbology, module, notes), alone_bpom)]
    if bpom_code:
        kinds.append((LabelSymbology.QR, _dots(spec, LabelSymbology.QR, None, notes), True))
    top = margin + max(_QUIET[symbology] * dots for symbology, dots, _ in kinds)
    first, dots, bpom = kinds[0]
    slots = [Slot(first, margin + _QUIET[first] * dots, top, dots, RESERVED[first], bpom)]
    text_x = slots[0].x + slots[0].side + slots[0].quiet + gap
    pitch = _PITCH_EM * em
    baseline = top + round(-face.getbbox("H", anchor="ls")[1])
    numbers = [n for n in FieldNumber if n is not FieldNumber.SYMBOL]
    fields = [
        TemplateField(n, text_x, round(baseline + row * pitch), em) for row, n in enumerate(numbers)
    ]
    if bpom_code:
        second, dots, _ = kinds[1]
        x = text_x + math.ceil(face.getlength(_WIDEST_TEXT)) + gap + _QUIET[second] * dots
        slots.append(Slot(second, x, top, dots, RESERVED[second], True))
    caption = None
    owner = next((slot for slot in slots if slot.bpom_issued), None)
    if owner is not None:
        below = math.ceil(-face.getbbox(CAPTION, anchor="ls")[1]) + round(0.2 * per_mm)
        baseline = top + owner.side + owner.quiet + below
        caption = TextLine(CAPTION, owner.x + owner.side // 2, baseline, em, TextRole.CAPTION)
    return Template(spec, tuple(slots), tuple(fields), caption, tuple(notes))

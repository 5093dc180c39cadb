"""The label template (what a printer stores once): its geometry follows the layout's rules, it
holds every code of a spec, and the module it uses is the size rule's for the smallest symbol.
"""

from __future__ import annotations

import itertools

import pytest

from jejak.engine.errors import InvalidCombination, InvalidQuantity
from jejak.engine.gs1 import AI
from jejak.printers.label import (
    CAPTION,
    RESERVED,
    FieldNumber,
    LabelCode,
    LabelSpec,
    LabelSymbology,
    TextRole,
    field_of,
    layout,
    module_dots,
    module_size,
    template,
)

DM, QR = LabelSymbology.DATAMATRIX, LabelSymbology.QR


# --- Module size -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dpi", "modules", "dots"),
    [(152, 18, 2), (203, 16, 3), (300, 16, 5), (600, 16, 9), (203, 22, 3), (300, 24, 3),
     (600, 22, 7), (1200, 16, 18)],
)  # fmt: skip
def test_module_size_keeps_the_x_dimension_and_the_6_mm_minimum(
    dpi: int, modules: int, dots: int
) -> None:
    assert module_dots(dpi, modules=modules) == dots
    x_mm = dots * 25.4 / dpi
    assert 0.254 - 1e-9 <= x_mm <= 0.495
    assert modules * x_mm >= 6 - 1e-9
    assert dots == 1 or (dots - 1) * 25.4 / dpi < 0.254 or modules * (dots - 1) * 25.4 / dpi < 6


@pytest.mark.parametrize(
    ("dpi", "modules", "message"),
    [
        (50, 16, ("Invalid printer resolution 50: expected 100 to 1200 dots per inch. Hint: "
                  "Zebra printers have 203, 300 or 600 dpi.")),
        (True, 16, ("Invalid printer resolution True: expected 100 to 1200 dots per inch. Hint: "
                   "Zebra printers have 203, 300 or 600 dpi.")),
        (100, 16, ("Invalid printer resolution 100 for a 16-module symbol: expected a module of "
                  "0.254-0.495 mm making the symbol at least 6.0 mm. Hint: use a 203, 300 or "
                  "600 dpi printer.")),
    ],
)  # fmt: skip
def test_module_size_errors(dpi: int, modules: int, message: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        module_dots(dpi, modules=modules)
    assert str(caught.value) == message


# --- Geometry ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_one_symbol_then_its_text_rows(dpi: int) -> None:
    form = template(LabelSpec(dpi=dpi))
    (slot,) = form.slots
    margin = round(dpi / 25.4)
    assert (slot.symbology, slot.dots, slot.modules) == (DM, module_dots(dpi), RESERVED[DM])
    assert (slot.x, slot.y) == (margin + slot.dots, margin + slot.dots)  # 1 mm, quiet zone
    assert [f.number for f in form.fields] == [
        FieldNumber.KEY, FieldNumber.BATCH, FieldNumber.EXPIRY, FieldNumber.SERIAL
    ]  # fmt: skip
    gap = round(1.5 * dpi / 25.4)
    assert {f.x for f in form.fields} == {slot.x + slot.side + slot.quiet + gap}
    baselines = [f.baseline for f in form.fields]
    assert baselines == sorted(set(baselines))
    em = form.fields[0].size
    assert em == round(6 / 72 * dpi)  # 6 pt text
    assert all(round(1.3 * em) - 1 <= b - a <= round(1.3 * em) + 1
               for a, b in itertools.pairwise(baselines))  # fmt: skip
    assert (form.caption, form.captioned, form.notes) == (None, None, ())


def test_the_template_holds_the_codes_its_layouts_hold() -> None:
    form = template(LabelSpec(dpi=300))
    for code in ("(01)08991234567891(10)B2611001(17)281031(21)2TW7QRYF337A",
                 "(90)DKL1234567890A1(10)B2611001(17)281031(21)K7M2P9Q4X8ZD",
                 "(90)DKL1234567890A1(91)301231"):  # fmt: skip
        placed = layout(LabelCode.parse(code)).symbols[0]
        assert max(placed.symbol.rows, placed.symbol.columns) <= form.slots[0].modules
        assert form.slots[0].dots >= module_size(300, placed.symbol.rows).dots  # >= 6 mm too


def test_two_codes_put_the_bpom_qr_right_of_the_text_and_caption_it() -> None:
    form = template(LabelSpec(dpi=300, two_codes=True), bpom_code=True)
    first, bpom = form.slots
    assert (first.symbology, first.bpom_issued, bpom.symbology, bpom.bpom_issued) == (
        DM, False, QR, True
    )  # fmt: skip
    assert bpom.x - bpom.quiet > form.fields[0].x
    assert first.y == bpom.y  # one top, below the larger quiet zone
    caption = form.caption
    assert caption is not None
    assert (caption.text, caption.role, form.captioned) == (CAPTION, TextRole.CAPTION, bpom)
    assert caption.x == bpom.x + bpom.side // 2
    assert caption.baseline > bpom.y + bpom.side + bpom.quiet  # under its quiet zone


def test_a_bpom_issued_code_alone_is_a_captioned_qr() -> None:
    form = template(LabelSpec(dpi=300, symbology=QR, two_codes=True))
    (slot,) = form.slots
    assert (slot.symbology, slot.bpom_issued, form.captioned) == (QR, True, slot)
    assert slot.dots == module_size(300, 21).dots


def test_module_override_and_notes() -> None:
    assert template(LabelSpec(dpi=300), module=7).slots[0].dots == 7
    with pytest.raises(InvalidQuantity, match=r"^Invalid module size 0: expected a positive"):
        template(LabelSpec(dpi=300), module=0)
    (note,) = template(LabelSpec(dpi=150)).notes  # 3 dots: the 16-module symbol's 6 mm
    assert note.startswith("Module 0.508 mm (3 dots at 150 dpi) is above the GS1 healthcare")
    assert "the 16-module symbol needs it" in note


@pytest.mark.parametrize(
    ("spec", "bpom", "message"),
    [
        (LabelSpec(), True, "Invalid template with a BPOM-issued code without two_codes"),
        (LabelSpec(two_codes=True), False,
         "Invalid symbology 'datamatrix' for a BPOM-issued code alone: expected 'qr'"),
    ],
)  # fmt: skip
def test_bad_combinations(spec: LabelSpec, bpom: bool, message: str) -> None:
    with pytest.raises(InvalidCombination, match=f"^{message}"):
        template(spec, bpom_code=bpom)


def test_fields_by_element() -> None:
    assert [field_of(ai) for ai in (AI.GTIN, AI.NIE, AI.SSCC, None)] == [FieldNumber.KEY] * 4
    assert [field_of(ai) for ai in (AI.BATCH, AI.EXPIRY, AI.NIE_VALIDITY, AI.SERIAL)] == [
        FieldNumber.BATCH, FieldNumber.EXPIRY, FieldNumber.EXPIRY, FieldNumber.SERIAL
    ]  # fmt: skip

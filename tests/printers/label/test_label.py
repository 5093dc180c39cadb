"""Pack labels: the size rule, every rendering read back by zxing-cpp, SVG text, ZPL, errors.

zxing-cpp (through `jejak.printers.symbols.read`) reads the whole rendered label, text included,
and must report each symbol with its symbology identifier and exactly its raw bytes.
"""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET  # parses only SVG these tests rendered

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from jejak.engine.errors import (
    InvalidChecksum,
    InvalidCombination,
    InvalidFormat,
    InvalidQuantity,
    UnknownApplicationIdentifier,
    ValidationError,
)
from jejak.engine.gs1 import ElementString
from jejak.engine.symbology import Symbology
from jejak.printers import zpl as zpl_module
from jejak.printers.label import (
    CAPTION,
    Label,
    LabelCode,
    LabelFormat,
    LabelSpec,
    LabelSymbology,
    ModuleSize,
    hri_lines,
    layout,
    module_size,
    recall_label,
    render,
    render_bitmap,
    render_png,
    render_svg,
    render_zpl,
    stored_format,
    template,
    zpl_format,
)
from jejak.printers.symbols import Decoded, read

SVG = "{http://www.w3.org/2000/svg}"
GTIN = "(01)08991234567891(10)B2611001(17)281031(21)2TW7QRYF337A"
GTIN_RAW = b"01089912345678911728103110B2611001\x1d212TW7QRYF337A"
NIE = "(90)DKL1234567890A1(10)B2611001(17)281031(21)K7M2P9Q4X8ZD"
NIE_RAW = b"1728103190DKL1234567890A1\x1d10B2611001\x1d21K7M2P9Q4X8ZD"
IDENT = "(90)DKL1234567890A1(91)301231"
IDENT_RAW = b"90DKL1234567890A1\x1d91301231"
TINY = "(90)A(91)291231"  # a 14x14 DataMatrix: too few modules for 6 mm at X <= 0.495 mm
PLAIN = "BPOM-2611-ABCD-7788"
DPIS = (150, 200, 203, 300, 600)
DM, QR = LabelSymbology.DATAMATRIX, LabelSymbology.QR


# --- The size rule -----------------------------------------------------------------------------

SIZE_RULE = [  # dpi, modules (smaller side), dots per module, X within 0.254-0.495 mm
    (150, 14, 3, False), (150, 18, 2, True), (150, 24, 2, True), (150, 29, 2, True),
    (200, 14, 4, False), (200, 18, 3, True), (200, 24, 2, True), (200, 29, 2, True),
    (203, 14, 4, False), (203, 18, 3, True), (203, 24, 3, True), (203, 29, 3, True),
    (300, 14, 6, False), (300, 18, 4, True), (300, 22, 4, True), (300, 24, 3, True),
    (300, 29, 3, True), (600, 14, 11, True), (600, 18, 8, True), (600, 24, 6, True),
    (600, 29, 6, True),
]  # fmt: skip


@pytest.mark.parametrize(("dpi", "modules", "dots", "in_range"), SIZE_RULE)
def test_size_rule(dpi: int, modules: int, dots: int, in_range: bool) -> None:
    size = module_size(dpi, modules)
    assert size == ModuleSize(dpi, modules, dots)
    assert size.in_range is in_range
    assert size.symbol_mm >= 6.0  # Art. 22, always
    assert size.x_mm >= 0.254 - 1e-9
    assert (size.x_mm <= 0.495) is in_range
    # The smallest module that does both; and out of range only when no in-range one reaches 6 mm.
    smaller = (dots - 1) * 25.4 / dpi
    assert smaller < 0.254 - 1e-9 or modules * smaller < 6.0 - 1e-9
    if not in_range:
        largest = int(0.495 * dpi / 25.4)
        assert modules * largest * 25.4 / dpi < 6.0


def test_size_rule_holds_for_every_resolution() -> None:
    refused = []
    for dpi in range(50, 2401):
        if not any(0.254 <= dots * 25.4 / dpi <= 0.495 for dots in range(1, 30)):
            with pytest.raises(InvalidQuantity, match="whole number of dots makes a module"):
                module_size(dpi, 22)
            refused.append(dpi)
            continue
        for modules in (10, 12, 14, 16, 18, 20, 21, 22, 24, 25, 26, 29, 33, 44):
            size = module_size(dpi, modules)
            assert size.symbol_mm >= 6.0 - 1e-9
            assert size.x_mm >= 0.254 - 1e-9
            assert size.in_range is (size.x_mm <= 0.495 + 1e-9)
    assert refused == [50, 51, 101, 102]


@pytest.mark.parametrize(
    ("dpi", "message"),
    [
        (101, (
            "Invalid printer resolution 101: expected one where a whole number of dots makes a "
            "module of 0.254-0.495 mm, but 1 dot is 0.251 mm and 2 dots are 0.503 mm. Hint: use "
            "the printer's real resolution, e.g. 203 or 300.")),
        (102, (
            "Invalid printer resolution 102: expected one where a whole number of dots makes a "
            "module of 0.254-0.495 mm, but 1 dot is 0.249 mm and 2 dots are 0.498 mm.")),
        (49, (
            "Invalid printer resolution 49: expected a whole number of dots per inch from 50 to "
            "2400. Hint: thermal printers have 203, 300 or 600 dpi.")),
        (2401, "Invalid printer resolution 2401: expected a whole number"),
        ("300", "Invalid printer resolution '300': expected a whole number"),
        (300.0, "Invalid printer resolution 300.0: expected a whole number"),
        (True, "Invalid printer resolution True: expected a whole number"),
    ],
)  # fmt: skip
def test_bad_resolution(dpi: object, message: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        module_size(dpi, 22)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)
    with pytest.raises(InvalidQuantity):
        LabelSpec(dpi=dpi)  # type: ignore[arg-type]


@pytest.mark.parametrize("modules", [0, -1, 1001, 2.0, None])
def test_bad_symbol_size(modules: object) -> None:
    with pytest.raises(InvalidQuantity, match=r"^Invalid symbol size .*: expected 1 to 1000"):
        module_size(300, modules)  # type: ignore[arg-type]


# --- Codes and their text lines ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (GTIN, ("GTIN: 08991234567891", "BATCH: B2611001", "EXP: 2028-10-31",
                "SN: 2TW7QRYF337A")),
        (NIE, ("NIE: DKL1234567890A1", "BATCH: B2611001", "EXP: 2028-10-31",
               "SN: K7M2P9Q4X8ZD")),
        ("(01)08991234567891(10)B1(17)281000(21)S1", ("GTIN: 08991234567891", "BATCH: B1",
                                                     "EXP: 2028-10", "SN: S1")),
        (IDENT, ("NIE: DKL1234567890A1", "VALID: 2030-12-31")),
        ("(00)106141411234567897", ("SSCC: 106141411234567897",)),
    ],
)  # fmt: skip
def test_hri_lines(data: str, lines: tuple[str, ...]) -> None:
    assert hri_lines(LabelCode.parse(data)) == lines
    assert [line.text for line in layout(LabelCode.parse(data)).lines] == list(lines)


@pytest.mark.parametrize(
    "data",
    [
        GTIN,
        GTIN_RAW.decode(),
        "01089912345678911728103110B2611001<GS>212TW7QRYF337A",
        "]d201089912345678911728103110B2611001\x1d212TW7QRYF337A",
        "]Q3" + GTIN_RAW.decode(),
    ],
)
def test_code_forms(data: str) -> None:
    for plain in (False, True):
        assert LabelCode.parse(data, plain=plain) == LabelCode(ElementString.parse(GTIN))


@pytest.mark.parametrize(
    ("data", "content"),
    [
        (PLAIN, PLAIN),
        ("]Q1" + PLAIN, PLAIN),
        ("ABC 123 x", "ABC 123 x"),
        ("]Q1" + GTIN, ElementString.parse(GTIN)),  # GS1 read without FNC1: still GS1, warned
    ],
)
def test_plain_codes(data: str, content: object) -> None:
    assert LabelCode.parse(data, plain=True).content == content


def test_parse_warnings_become_notes() -> None:
    lost = LabelCode.parse("]Q1" + GTIN, plain=True)
    assert lost.warnings[0].startswith("FNC1 lost: read as ]Q1")
    label = layout(LabelCode.parse("(01)08991234567891(17)281031"))
    assert label.notes == ("Not a complete BPOM code: missing (10) batch, (21) serial number.",)


@pytest.mark.parametrize(
    ("data", "plain", "error", "message"),
    [
        (PLAIN, False, UnknownApplicationIdentifier, "Unsupported GS1 Application Identifier"),
        ("(01)08991234567892(10)B1(17)281031(21)S1", True, InvalidChecksum,
         "Invalid (01) GTIN check digit for '08991234567892': expected 1, got 2."),
        ("010899123456789210B1", True, InvalidChecksum, "Invalid (01) GTIN check digit"),
        ("10B1<GS>21S 1", True, InvalidFormat, "Invalid (21) serial number 'S 1'"),
        ("]d2" + PLAIN, True, UnknownApplicationIdentifier, "Unsupported GS1 Application"),
        ("BPOM\tCODE", True, InvalidFormat, (
            "Invalid plain code 'BPOM\\tCODE': expected 1 to 512 printable ASCII characters. "
            "Hint: a BPOM-issued code is printed exactly as TTAC issued it; check the imported "
            "file.")),
        (b"(01)", True, InvalidFormat, "Invalid code b'(01)': expected text, got bytes."),
    ],
)  # fmt: skip
def test_bad_codes(data: object, plain: bool, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        LabelCode.parse(data, plain=plain)
    assert str(caught.value).startswith(message)


# --- Renderings read back ----------------------------------------------------------------------

CASES = {  # name: (code, BPOM-issued code, spec arguments, expected reads)
    "gs1-datamatrix": (GTIN, None, {}, [(Symbology.GS1_DATAMATRIX, GTIN_RAW)]),
    "gs1-qr": (GTIN, None, {"symbology": QR}, [(Symbology.GS1_QR, GTIN_RAW)]),
    "identification": (IDENT, None, {}, [(Symbology.GS1_DATAMATRIX, IDENT_RAW)]),
    "plain-qr": (PLAIN, None, {"symbology": QR}, [(Symbology.QR, PLAIN.encode())]),
    "two-codes": (GTIN, NIE, {"two_codes": True},
                  [(Symbology.GS1_DATAMATRIX, GTIN_RAW), (Symbology.GS1_QR, NIE_RAW)]),
    "two-codes-plain": (GTIN, PLAIN, {"two_codes": True},
                        [(Symbology.GS1_DATAMATRIX, GTIN_RAW), (Symbology.QR, PLAIN.encode())]),
    "bpom-alone": (NIE, None, {"two_codes": True, "symbology": QR},
                   [(Symbology.GS1_QR, NIE_RAW)]),
}  # fmt: skip


def _label(name: str, dpi: int) -> Label:
    data, bpom, arguments, _ = CASES[name]
    spec = LabelSpec(dpi=dpi, **arguments)  # type: ignore[arg-type]
    plain = spec.symbology is QR
    other = None if bpom is None else LabelCode.parse(bpom, plain=True)
    return layout(LabelCode.parse(data, plain=plain), spec, bpom_code=other)


def _decoded(image: NDArray[np.uint8]) -> list[tuple[Symbology | None, bytes]]:
    return sorted((d.symbology, d.data) for d in read(image))


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("name", CASES)
def test_png_reads_back(name: str, dpi: int) -> None:
    label = _label(name, dpi)
    png = render_png(label)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "1"
    assert image.size == (label.width, label.height)
    pixels = np.asarray(image.convert("L"))
    assert _decoded(pixels) == sorted(CASES[name][3])
    assert np.array_equal(pixels, render_bitmap(label))
    assert _phys(png) == (round(dpi / 0.0254), round(dpi / 0.0254), 1)


def _phys(png: bytes) -> tuple[int, int, int]:
    """The pHYs chunk: pixels per unit in x and y, unit 1 = metre."""
    position = 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        if kind == b"pHYs":
            return struct.unpack(">IIB", png[position + 8 : position + 17])  # type: ignore[return-value]
        position += 12 + length
    raise AssertionError("no pHYs chunk")


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("name", ["gs1-datamatrix", "two-codes", "bpom-alone"])
def test_bitmap_geometry(name: str, dpi: int) -> None:
    label = _label(name, dpi)
    bitmap = render_bitmap(label)
    assert bitmap.dtype == np.uint8
    assert bitmap.shape == (label.height, label.width)
    assert set(np.unique(bitmap).tolist()) == {0, 255}  # black on white, no grey (Art. 17)
    for placed in label.symbols:
        dots, quiet = placed.size.dots, placed.quiet
        assert placed.width * 25.4 / dpi >= 6.0
        assert placed.height * 25.4 / dpi >= 6.0
        top, left = placed.y, placed.x
        area = bitmap[top : top + placed.height, left : left + placed.width]
        expected = np.repeat(np.repeat(placed.symbol.modules, dots, 0), dots, 1)
        assert np.array_equal(area == 0, expected)
        around = bitmap[top - quiet : top + placed.height + quiet,
                        left - quiet : left + placed.width + quiet].copy()  # fmt: skip
        around[quiet:-quiet, quiet:-quiet] = 255
        assert (around == 255).all(), "the quiet zone is white"


def test_two_codes_layout() -> None:
    label = _label("two-codes", 300)
    manufacturer, bpom = label.symbols
    assert (manufacturer.bpom_issued, bpom.bpom_issued) == (False, True)
    assert manufacturer.y == bpom.y  # tops aligned
    caption = [line for line in label.lines if line.text == CAPTION]
    assert len(caption) == 1
    assert caption[0].x == bpom.x + bpom.width // 2  # centred under the BPOM-issued symbol
    assert caption[0].baseline > bpom.y + bpom.height + bpom.quiet  # below its quiet zone
    hri = [line for line in label.lines if line.text != CAPTION]
    assert all(manufacturer.x + manufacturer.width < line.x < bpom.x - bpom.quiet for line in hri)
    assert caption[0].baseline == hri[-1].baseline  # lined up with the last text line
    assert label.summary == (
        "44.5 x 13.6 mm at 300 dpi; GS1 DataMatrix 24x24, module 3 dots = 0.254 mm, symbol "
        "6.10 x 6.10 mm; BPOM-issued GS1 QR 29x29, module 3 dots = 0.254 mm, symbol 7.37 x 7.37 mm"
    )


def test_module_above_range_is_noted() -> None:
    label = layout(LabelCode.parse(TINY), LabelSpec(dpi=300))
    assert label.symbols[0].size == ModuleSize(300, 14, 6)
    assert label.notes == (
        (
            "Module 0.508 mm (6 dots at 300 dpi) is above the GS1 healthcare range 0.254-0.495 mm: "
            "the 14x14 symbol needs it to reach 6.0 mm (Art. 22). Hint: a printer with a finer "
            "resolution keeps the module in range."
        ),
    )
    assert layout(LabelCode.parse(TINY), LabelSpec(dpi=600)).notes == ()


# --- SVG -----------------------------------------------------------------------------------------


def _svg_modules(path: ET.Element) -> tuple[NDArray[np.bool_], float, float, float]:
    """The module matrix a ``<path>`` draws, from its run data, and its scale and offset."""
    scale, _, _, _, x, y = (float(v) for v in re.findall(r"[-\d.]+", path.attrib["transform"]))
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.attrib["d"])
    assert "".join(f"M{a} {b}h{c}v1h-{d}z" for a, b, c, d in runs) == path.attrib["d"]
    size = max(int(b) for _, b, _, _ in runs) + 1
    modules = np.zeros((size, size), bool)
    for a, b, c, _ in runs:
        modules[int(b), int(a) : int(a) + int(c)] = True
    return modules, scale, x, y


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("name", CASES)
def test_svg(name: str, dpi: int) -> None:
    label = _label(name, dpi)
    root = ET.fromstring(render_svg(label))  # noqa: S314 - our own output
    width_mm, height_mm = label.width * 25.4 / dpi, label.height * 25.4 / dpi
    assert root.attrib["width"] == f"{round(width_mm, 4):g}mm"
    assert root.attrib["height"] == f"{round(height_mm, 4):g}mm"
    assert root.findtext(f"{SVG}title", "").startswith("Pack label: ")
    assert "Black on white" in root.findtext(f"{SVG}desc", "")
    texts = [(t.text, t.attrib["class"]) for t in root.iter(f"{SVG}text")]
    lines = hri_lines(LabelCode.parse(CASES[name][0], plain=label.spec.symbology is QR))
    captioned = label.spec.two_codes
    assert texts == [(line, "hri") for line in lines] + [(CAPTION, "caption")] * captioned
    paths = root.findall(f"{SVG}path")
    assert len(paths) == len(label.symbols)
    for path, placed in zip(paths, label.symbols, strict=True):
        modules, scale, x, y = _svg_modules(path)
        assert np.array_equal(modules, placed.symbol.modules)
        assert scale == pytest.approx(placed.size.x_mm, abs=1e-4)
        assert scale * placed.symbol.rows >= 6.0 - 1e-3
        assert (x, y) == pytest.approx((placed.x * 25.4 / dpi, placed.y * 25.4 / dpi), abs=1e-4)
        image = np.pad(np.where(modules, 0, 255).astype(np.uint8), 4, constant_values=255)
        image = np.repeat(np.repeat(image, 3, 0), 3, 1)
        expected = Decoded(placed.symbol.symbology, placed.symbol.data)
        assert read(image) == [expected]


def test_svg_escapes_text() -> None:
    code = LabelCode.parse("(01)08991234567891(10)A&<>\"'%(17)281031(21)X_7")
    svg = render_svg(layout(code))
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]  # noqa: S314
    assert texts == ["GTIN: 08991234567891", "BATCH: A&<>\"'%", "EXP: 2028-10-31", "SN: X_7"]


# --- ZPL -----------------------------------------------------------------------------------------


def _graphic(zpl: str, x: int, y: int) -> NDArray[np.bool_]:
    pattern = rf"\^FO{x},{y}\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS"
    total, _, per_row, data = re.search(pattern, zpl).groups()  # type: ignore[union-attr]
    assert len(data) == 2 * int(total)
    packed = np.frombuffer(bytes.fromhex(data), np.uint8).reshape(-1, int(per_row))
    return np.unpackbits(packed, axis=1).astype(bool)


def _printed(zpl: str) -> zpl_module.Label:
    """What a printer makes of the ZPL: jejak.printers.zpl's interpreter, the simulator's."""
    events = zpl_module.Interpreter().feed(zpl.encode("latin-1"))
    assert len(events) == 1
    assert isinstance(events[0], zpl_module.Label)
    return events[0]


@pytest.mark.parametrize("dpi", DPIS)
def test_zpl_datamatrix(dpi: int) -> None:
    raw = "01089912345678911728103110B_2611001\x1d212TW7QRYF337A"
    label = layout(LabelCode.parse(raw), LabelSpec(dpi=dpi))
    zpl = render_zpl(label)
    stored, recall, end = zpl.split("\n")
    assert (recall, end) == (recall_label(raw), "")  # the drivers' hot-path recall
    form = template(LabelSpec(dpi=dpi))  # the spec's template: the same for every code
    assert stored == stored_format(form) == zpl_format(label)
    assert stored.startswith("^XA^DFR:JEJAK.ZPL^FS^LH0,0")
    printed = _printed(zpl)
    assert printed.format.name == "R:JEJAK.ZPL"
    (symbol_field, data), *texts = printed.values()
    (slot,) = form.slots
    assert (symbol_field.x, symbol_field.y) == (slot.x, slot.y)
    assert (symbol_field.command, symbol_field.params) == ("BX", f"N,{slot.dots},200,,,,_")
    assert zpl_module.unescape_datamatrix(data) == zpl_module.DataMatrixData(raw.encode(), True)
    em = form.fields[0].size
    assert [(f.command, f.params, f.x, f.y, text) for f, text in texts] == [
        ("A", f"0N,{em},{em}", field.x, field.baseline, line.text)
        for field, line in zip(form.fields, label.lines, strict=True)
    ]
    assert "BATCH: B_2611001" in [text for _, text in texts]
    assert CAPTION not in zpl
    assert "^GFA" not in zpl


@pytest.mark.parametrize("name", ["two-codes", "two-codes-plain", "bpom-alone", "gs1-qr"])
def test_zpl_qr_graphic(name: str) -> None:
    label = _label(name, 300)
    zpl = render_zpl(label)
    stored, recall, _ = zpl.split("\n")
    form = template(label.spec, bpom_code=len(label.symbols) > 1)
    assert stored == stored_format(form)
    for qr, slot in zip(label.symbols, form.slots, strict=True):
        if qr.symbol.kind.value == "gs1-datamatrix":
            continue
        dots = slot.dots  # drawn at the template's module size, in the template's slot
        graphic = _graphic(recall, slot.x, slot.y)[:, : qr.symbol.columns * dots]
        assert np.array_equal(graphic, np.repeat(np.repeat(qr.symbol.modules, dots, 0), dots, 1))
    texts = [text for definition, text in _printed(zpl).values() if definition.command == "A"]
    lines = [line.text for line in label.lines]
    assert [text for text in texts if text] == lines
    assert (CAPTION in texts) is label.spec.two_codes
    assert ("^FDBPOM RI^FS" in stored) is label.spec.two_codes  # fixed in the stored format


def test_zpl_plain_text_and_format_name() -> None:
    label = layout(LabelCode.parse("A^B~C_D", plain=True), LabelSpec(symbology=QR))
    zpl = render_zpl(label, name="R:PLAIN.ZPL")
    assert "^XA^XFR:PLAIN.ZPL^FS^FN2^FH_^FDA_5EB_7EC_5FD^FS^FO" in zpl
    assert [text for _, text in _printed(zpl).values() if text] == ["A^B~C_D"]


def test_render_registry() -> None:
    label = _label("gs1-datamatrix", 300)
    assert render(label, "png") == render_png(label)
    assert render(label, LabelFormat.SVG) == render_svg(label).encode()
    assert render(label, "zpl") == render_zpl(label).encode()
    with pytest.raises(InvalidFormat, match=r"^Invalid label format 'pdf': expected 'png', 'svg'"):
        render(label, "pdf")


# --- Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"symbology": "pdf417"}, "Invalid symbology 'pdf417': expected 'datamatrix' or 'qr'."),
        ({"two_codes": 1}, "Invalid two_codes 1: expected True or False."),
        ({"text_pt": 3}, "Invalid text size 3: expected 4 to 24 points."),
        ({"text_pt": "6"}, "Invalid text size '6': expected 4 to 24 points."),
    ],
)
def test_bad_spec(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        LabelSpec(**arguments)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_spec_accepts_names() -> None:
    assert LabelSpec(symbology="qr") == LabelSpec(symbology=QR)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "spec", "bpom", "message"),
    [
        (PLAIN, LabelSpec(), None, (
            "Invalid symbology 'datamatrix' for 'BPOM-2611-ABCD-7788': expected 'qr', since it "
            "is not GS1. Hint: use symbology qr")),
        (NIE, LabelSpec(two_codes=True), None, (
            "Invalid symbology 'datamatrix' for '(90)DKL1234567890A1(10)B2611001(17)281031(21)"
            "K7M2P9Q4X8ZD': expected 'qr', since BPOM issues its codes as QR (Art. 5).")),
        (GTIN, LabelSpec(), NIE, (
            "Invalid BPOM-issued code '(90)DKL1234567890A1(10)B2611001(17)281031(21)K7M2P9Q4X8ZD'"
            " without two_codes: expected two_codes=True for a label with two codes. Hint: Art. "
            "23")),
    ],
)  # fmt: skip
def test_bad_combinations(code: str, spec: LabelSpec, bpom: str | None, message: str) -> None:
    other = None if bpom is None else LabelCode.parse(bpom, plain=True)
    with pytest.raises(InvalidCombination) as caught:
        layout(LabelCode.parse(code, plain=True), spec, bpom_code=other)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: layout(GTIN), "Invalid code '(01)08991234567891(10)B2611001(17)281031(21)2TW7"),  # type: ignore[arg-type]
        (lambda: layout(LabelCode.parse(GTIN), 300), "Invalid label spec 300: expected a "),  # type: ignore[arg-type]
        (lambda: LabelCode(b"X"), "Invalid label code b'X': expected an ElementString"),  # type: ignore[arg-type]
        (lambda: LabelCode(""), "Invalid plain code '': expected 1 to 512 printable ASCII"),
    ],
)  # fmt: skip
def test_bad_arguments(call: object, message: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value).startswith(message)


def test_layout_takes_an_element_string() -> None:
    code = ElementString.parse(GTIN)
    assert layout(code) == layout(LabelCode(code))

"""Pack labels: the size rule, the layout, and (from `_label_render`) PNG, SVG and ZPL.

A label is one or two symbols and their human-readable lines, black on white (Art. 17), all
positions in printer dots. The module size is the smallest whole number of dots that makes an
X-dimension of at least 0.254 mm, grown (up to 0.495 mm, the GS1 healthcare range) until the
symbol without its quiet zone is at least 6.0 mm on each side (Art. 22); where 0.495 mm is not
enough the module grows beyond it and the label carries a note. The text lines stand to the
right of the symbol: ``GTIN:`` or ``NIE:``, ``BATCH:``, ``EXP:``, ``SN:`` for an authentication
code, ``NIE:`` and ``VALID:`` for an identification code. Dates show as ``YYYY-MM-DD`` (ISO
8601, as BPOM reports write them), or ``YYYY-MM`` when the code's day is ``00`` (month end).

Two codes on a pack (Art. 23): BPOM issues its codes as QR codes (Art. 5), and the one BPOM
issued carries the caption ``BPOM RI`` centred directly under it, below its quiet zone. With
`LabelSpec.two_codes` and a `bpom_code`, the label draws the manufacturer's code (left, with
its text lines beside it) and the BPOM-issued QR (right, captioned); with `two_codes` and no
`bpom_code`, the label's one code is the BPOM-issued one (the manufacturer's code is printed
elsewhere on the pack) and it is a captioned QR. Without `two_codes` there is no caption.

Renderings: `render_bitmap` and `render_png` (1-bit, pHYs = the resolution, so it prints to
size), `render_svg` (millimetres; text as ``<text>``), `render_zpl` (a ``^DF`` stored format of
this layout and the ``^XF`` recall that `jejak.printers.zpl.LabelWriter` writes).

>>> label = layout(LabelCode.parse("(01)09506000134352(10)ABC123(17)261200(21)X7Y8Z9"))
>>> [line.text for line in label.lines]
['GTIN: 09506000134352', 'BATCH: ABC123', 'EXP: 2026-12', 'SN: X7Y8Z9']
>>> placed = label.symbols[0]
>>> placed.symbol.rows, placed.size.dots, placed.size.x_mm, placed.size.symbol_mm
(22, 4, 0.33866666666666667, 7.450666666666667)
>>> from jejak.printers.symbols import read
>>> [(d.symbology.value, d.data) for d in read(render_bitmap(label))]
[(']d2', b'01095060001343521726120010ABC123\\x1d21X7Y8Z9')]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

from jejak.engine._text import describe
from jejak.engine.errors import InvalidCombination, InvalidFormat, InvalidQuantity, ValidationError
from jejak.engine.gs1 import AI, GS, GS_ESCAPE, ElementString
from jejak.engine.symbology import parse_read
from jejak.printers._label_render import (
    LabelFormat,
    TextRole,
    font,
    render,
    render_bitmap,
    render_png,
    render_svg,
    render_zpl,
    zpl_format,
    zpl_recall,
)
from jejak.printers.size_rule import (
    MIN_SYMBOL_MM,
    X_MAX_MM,
    X_MIN_MM,
    min_dots,
    smallest_module_dots,
    x_in_range,
)
from jejak.printers.symbols import Symbol, SymbolKind, encode, encode_raw, verify
from jejak.printers.zpl import hri_date

__all__ = [
    "CAPTION",
    "Label",
    "LabelCode",
    "LabelFormat",
    "LabelSpec",
    "LabelSymbology",
    "ModuleSize",
    "PlacedSymbol",
    "TextLine",
    "TextRole",
    "hri_lines",
    "layout",
    "module_size",
    "render",
    "render_bitmap",
    "render_png",
    "render_svg",
    "render_zpl",
    "zpl_format",
    "zpl_recall",
]

CAPTION = "BPOM RI"
_DPI_RANGE = (50, 2400)
_TEXT_PT_RANGE = (4.0, 24.0)
_MARGIN_MM, _GAP_MM, _PITCH_EM = 1.0, 1.5, 1.3
_MAX_TEXT = 512
_TITLES = {AI.SSCC: "SSCC", AI.GTIN: "GTIN", AI.NIE: "NIE", AI.BATCH: "BATCH",
           AI.EXPIRY: "EXP", AI.SERIAL: "SN", AI.NIE_VALIDITY: "VALID"}  # fmt: skip
# Text that must be a GS1 element string: HRI, a GS1 symbology identifier, a GS, or raw data
# that starts with an SSCC or a GTIN. Anything else may be a plain BPOM-issued code.
_GS1_LOOKING = re.compile(r"\(|\]d|\]C|\]Q3|00[0-9]{18}|01[0-9]{14}", re.ASCII)
_PRINTABLE = re.compile(r"[\x20-\x7e]+", re.ASCII)


class LabelSymbology(StrEnum):
    """The symbology of the manufacturer's code: GS1 DataMatrix, or QR (GS1 QR for an element
    string, plain QR for a BPOM-issued text that is not one). BPOM's own codes are always QR."""

    DATAMATRIX = "datamatrix"
    QR = "qr"


@dataclass(frozen=True, slots=True)
class LabelCode:
    """What one symbol carries: a GS1 element string, or the plain text of a code BPOM issued
    (printed exactly as given, as a plain QR). `warnings` are what parsing the input noticed."""

    content: ElementString | str
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        content = self.content
        if isinstance(content, str):
            if not (0 < len(content) <= _MAX_TEXT and _PRINTABLE.fullmatch(content)):
                raise InvalidFormat(
                    f"Invalid plain code {describe(content)}: expected 1 to {_MAX_TEXT} "
                    "printable ASCII characters. Hint: a BPOM-issued code is printed exactly "
                    "as TTAC issued it; check the imported file."
                )
        elif not isinstance(content, ElementString):
            raise InvalidFormat(
                f"Invalid label code {describe(content)}: expected an ElementString or the text "
                f"of a BPOM-issued code, got {type(content).__name__}. Hint: use LabelCode.parse."
            )

    @classmethod
    def parse(cls, data: object, *, plain: bool = False) -> LabelCode:
        """Parse what `jejak codes parse` accepts (raw with GS or ``<GS>``, HRI, with or without
        a symbology identifier). With `plain`, a text that is not a GS1 element string (and does
        not look like one) is a plain BPOM-issued code; a ``]Q1`` prefix is dropped from it."""
        if not isinstance(data, str):
            raise InvalidFormat(
                f"Invalid code {describe(data)}: expected text, got {type(data).__name__}. "
                "Hint: pass the code as HRI, e.g. '(01)09506000134352(10)ABC123(17)261231(21)X7'."
            )
        body = data.removeprefix("]Q1")
        if not plain or GS in body or GS_ESCAPE in body or _GS1_LOOKING.match(body):
            read_ = parse_read(data)
            return cls(read_.code, read_.warnings)
        try:
            read_ = parse_read(data)
        except ValidationError:
            return cls(body)
        return cls(read_.code, read_.warnings)

    @property
    def is_gs1(self) -> bool:
        return isinstance(self.content, ElementString)

    @property
    def text(self) -> str:
        """The HRI form of an element string, or the plain text."""
        content = self.content
        return content.hri if isinstance(content, ElementString) else content


@dataclass(frozen=True, slots=True)
class ModuleSize:
    """A symbol's module size in printer dots at a resolution, and what it makes in mm."""

    dpi: int
    modules: int  # the symbol's smaller side, in modules
    dots: int

    @property
    def x_mm(self) -> float:
        return self.dots * 25.4 / self.dpi

    @property
    def symbol_mm(self) -> float:
        return self.modules * self.x_mm

    @property
    def in_range(self) -> bool:
        """X-dimension within 0.254-0.495 mm (the size rule never picks one below)."""
        return x_in_range(self.dpi, self.dots)


def _check_dpi(dpi: object) -> int:
    low, high = _DPI_RANGE
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not low <= dpi <= high:
        raise InvalidQuantity(
            f"Invalid printer resolution {describe(dpi)}: expected a whole number of dots per "
            f"inch from {low} to {high}. Hint: thermal printers have 203, 300 or 600 dpi."
        )
    if not x_in_range(dpi, min_dots(dpi)):  # the smallest module ≥ 0.254 mm is > 0.495 mm
        raise InvalidQuantity(
            f"Invalid printer resolution {dpi!r}: expected one where a whole number of dots makes "
            f"a module of {X_MIN_MM}-{X_MAX_MM} mm, but 1 dot is {25.4 / dpi:.3f} mm and 2 dots "
            f"are {50.8 / dpi:.3f} mm. Hint: use the printer's real resolution, e.g. 203 or 300."
        )
    return dpi


def module_size(dpi: int, modules: int) -> ModuleSize:
    """The size rule: the smallest number of dots with X ≥ 0.254 mm that makes `modules`
    modules ≥ 6.0 mm (Art. 22); X ≤ 0.495 mm when that is enough, else beyond (`in_range`).

    >>> [module_size(dpi, 22).dots for dpi in (150, 203, 300, 600)]
    [2, 3, 4, 7]
    >>> module_size(300, 14).in_range, module_size(600, 14).in_range
    (False, True)
    """
    dpi = _check_dpi(dpi)
    if isinstance(modules, bool) or not isinstance(modules, int) or not 1 <= modules <= 1000:
        raise InvalidQuantity(
            f"Invalid symbol size {describe(modules)}: expected 1 to 1000 modules. "
            "Hint: pass the symbol's smaller side, e.g. symbol.rows."
        )
    return ModuleSize(dpi, modules, smallest_module_dots(dpi, modules))


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """How a line prints its labels: resolution, the manufacturer's symbology, whether its packs
    carry two codes (Art. 23), and the text size in points."""

    dpi: int = 300
    symbology: LabelSymbology = LabelSymbology.DATAMATRIX
    two_codes: bool = False
    text_pt: float = 6.0

    def __post_init__(self) -> None:
        _check_dpi(self.dpi)
        symbology = self.symbology
        if not (isinstance(symbology, str) and symbology in LabelSymbology._value2member_map_):
            raise InvalidFormat(
                f"Invalid symbology {describe(symbology)}: expected 'datamatrix' or 'qr'. "
                "Hint: datamatrix is GS1 DataMatrix; qr is GS1 QR, or plain QR for a plain code."
            )
        object.__setattr__(self, "symbology", LabelSymbology(symbology))
        if not isinstance(self.two_codes, bool):
            raise InvalidFormat(
                f"Invalid two_codes {describe(self.two_codes)}: expected True or False. "
                "Hint: True when the pack carries the manufacturer's and BPOM's codes."
            )
        low, high = _TEXT_PT_RANGE
        pt = self.text_pt
        if isinstance(pt, bool) or not isinstance(pt, int | float) or not low <= pt <= high:
            raise InvalidQuantity(
                f"Invalid text size {describe(pt)}: expected {low:g} to {high:g} points. "
                "Hint: 6 pt is a common minimum for pack text."
            )


@dataclass(frozen=True, slots=True)
class PlacedSymbol:
    """A symbol on the label: top-left corner of its first module in dots, and module size."""

    symbol: Symbol
    x: int
    y: int
    size: ModuleSize
    bpom_issued: bool = False

    @property
    def width(self) -> int:
        return self.symbol.columns * self.size.dots

    @property
    def height(self) -> int:
        return self.symbol.rows * self.size.dots

    @property
    def quiet(self) -> int:
        """The quiet zone, in dots."""
        return self.symbol.quiet_zone * self.size.dots

    @property
    def title(self) -> str:
        names = {SymbolKind.GS1_DATAMATRIX: "GS1 DataMatrix", SymbolKind.GS1_QR: "GS1 QR",
                 SymbolKind.QR: "QR"}  # fmt: skip
        issuer = "BPOM-issued " if self.bpom_issued else ""
        return f"{issuer}{names[self.symbol.kind]} {self.symbol.rows}x{self.symbol.columns}"


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of text: `x` is its left edge (HRI) or centre (caption), `baseline` in dots,
    `size` the em height in dots."""

    text: str
    x: int
    baseline: int
    size: int
    role: TextRole = TextRole.HRI
    ai: AI | None = None  # the element an HRI line shows (None: plain text, caption)


@dataclass(frozen=True, slots=True)
class Label:
    """A laid-out label: its size in dots, symbols, text lines and notes (warnings)."""

    spec: LabelSpec
    width: int
    height: int
    symbols: tuple[PlacedSymbol, ...]
    lines: tuple[TextLine, ...]
    notes: tuple[str, ...]

    def mm(self, dots: float) -> float:
        return dots * 25.4 / self.spec.dpi

    @property
    def summary(self) -> str:
        """One line: label size, and per symbol its size, module and physical size."""
        parts = [
            f"{self.mm(self.width):.1f} x {self.mm(self.height):.1f} mm at {self.spec.dpi} dpi"
        ]
        for placed in self.symbols:
            size = placed.size
            parts.append(
                f"{placed.title}, module {size.dots} dots = {size.x_mm:.3f} mm, symbol "
                f"{placed.symbol.columns * size.x_mm:.2f} x {placed.symbol.rows * size.x_mm:.2f} mm"
            )
        return "; ".join(parts)


def _line_ais(code: LabelCode) -> tuple[AI | None, ...]:
    content = code.content
    return tuple(e.ai for e in content.elements) if isinstance(content, ElementString) else (None,)


def hri_lines(code: LabelCode) -> tuple[str, ...]:
    """The human-readable lines of a code: one per element, or the plain text as it is.

    >>> hri_lines(LabelCode.parse("(90)DKL1234567890A1(91)301231"))
    ('NIE: DKL1234567890A1', 'VALID: 2030-12-31')
    """
    content = code.content
    if not isinstance(content, ElementString):
        return (content,)
    return tuple(
        f"{_TITLES[e.ai]}: {hri_date(e.value) if e.ai.rule.date else e.value}"
        for e in content.elements
    )


def _symbol(code: LabelCode, kind: SymbolKind) -> Symbol:
    content = code.content
    if isinstance(content, ElementString):
        symbol = encode(content, kind)
    else:
        symbol = encode_raw(content.encode("ascii"), SymbolKind.QR)
    verify(symbol)
    return symbol


def _as_code(value: object, what: str) -> LabelCode:
    if isinstance(value, ElementString):
        return LabelCode(value)
    if not isinstance(value, LabelCode):
        raise InvalidFormat(
            f"Invalid {what} {describe(value)}: expected a LabelCode or an ElementString, got "
            f"{type(value).__name__}. Hint: LabelCode.parse(text) the code first."
        )
    return value


def _sized_symbols(
    main: LabelCode, spec: LabelSpec, bpom_code: object, notes: list[str]
) -> list[tuple[Symbol, ModuleSize, bool]]:
    """Check the combination, encode and verify each symbol, and size it by the rule."""
    if bpom_code is not None and not spec.two_codes:
        raise InvalidCombination(
            f"Invalid BPOM-issued code {_as_code(bpom_code, 'BPOM code').text!r} without "
            "two_codes: expected two_codes=True for a label with two codes. Hint: Art. 23 "
            "captions the BPOM-issued code only on a pack that carries two codes."
        )
    alone_bpom = spec.two_codes and bpom_code is None
    if spec.symbology is LabelSymbology.DATAMATRIX and (alone_bpom or not main.is_gs1):
        why = "BPOM issues its codes as QR (Art. 5)" if alone_bpom else "it is not GS1"
        raise InvalidCombination(
            f"Invalid symbology 'datamatrix' for {describe(main.text)}: expected 'qr', since "
            f"{why}. Hint: use symbology qr, or pass the manufacturer's GS1 code with the "
            "BPOM-issued code as bpom_code."
        )
    datamatrix = spec.symbology is LabelSymbology.DATAMATRIX
    codes = [(main, SymbolKind.GS1_DATAMATRIX if datamatrix else SymbolKind.GS1_QR, alone_bpom)]
    if bpom_code is not None:
        other = _as_code(bpom_code, "BPOM code")
        notes += other.warnings
        codes.append((other, SymbolKind.GS1_QR, True))
    sized = []
    for label_code, kind, bpom in codes:
        symbol = _symbol(label_code, kind if label_code.is_gs1 else SymbolKind.QR)
        size = module_size(spec.dpi, min(symbol.rows, symbol.columns))
        if not size.in_range:
            notes.append(
                f"Module {size.x_mm:.3f} mm ({size.dots} dots at {spec.dpi} dpi) is above the "
                f"GS1 healthcare range {X_MIN_MM}-{X_MAX_MM} mm: the {symbol.rows}x"
                f"{symbol.columns} symbol needs it to reach {MIN_SYMBOL_MM} mm (Art. 22). Hint: "
                "a printer with a finer resolution keeps the module in range."
            )
        sized.append((symbol, size, bpom))
    return sized


def layout(
    code: LabelCode | ElementString,
    spec: LabelSpec | None = None,
    *,
    bpom_code: LabelCode | ElementString | None = None,
) -> Label:
    """Lay out the label of `code` (and of the BPOM-issued `bpom_code`, see the module doc)."""
    spec = LabelSpec() if spec is None else spec
    if not isinstance(spec, LabelSpec):
        raise InvalidFormat(
            f"Invalid label spec {describe(spec)}: expected a LabelSpec. Hint: LabelSpec(dpi=300)."
        )
    main = _as_code(code, "code")
    notes = list(main.warnings)
    sizes = _sized_symbols(main, spec, bpom_code, notes)
    per_mm = spec.dpi / 25.4
    margin, gap = round(_MARGIN_MM * per_mm), round(_GAP_MM * per_mm)
    em = max(8, round(spec.text_pt / 72 * spec.dpi))
    face = font(em)
    cap = round(-face.getbbox("H", anchor="ls")[1])
    caption_top = math.ceil(-face.getbbox(CAPTION, anchor="ls")[1]) + round(0.2 * per_mm)
    descent = round(face.getmetrics()[1])
    texts = hri_lines(main)
    text_width = math.ceil(max(face.getlength(t) for t in texts))
    top = margin + max(s.quiet_zone * z.dots for s, z, _ in sizes)
    captioned = next(((s, z) for s, z, bpom in sizes if bpom), None)
    caption = None  # the caption's baseline: clear of the BPOM-issued symbol's quiet zone
    if captioned is not None:
        symbol, size = captioned
        caption = top + (symbol.rows + symbol.quiet_zone) * size.dots + caption_top
    baselines, caption = _baselines(top + cap, len(texts), em, caption)
    half_caption = math.ceil(face.getlength(CAPTION) / 2)
    placed: list[PlacedSymbol] = []
    lines: list[TextLine] = []
    bottom = max(baselines[-1], caption or 0) + descent
    x = margin
    for index, (symbol, size, bpom) in enumerate(sizes):
        quiet, width = symbol.quiet_zone * size.dots, symbol.columns * size.dots
        # The caption is centred under its symbol and may be wider than it with its quiet zone.
        side = max(quiet, half_caption - width // 2) if bpom else quiet
        item = PlacedSymbol(symbol, x + side, top, size, bpom)
        placed.append(item)
        x = item.x + width + side
        bottom = max(bottom, top + item.height + quiet)
        if index == 0:  # the text lines stand beside the first symbol
            x += gap
            lines += [
                TextLine(t, x, y, em, ai=ai)
                for t, y, ai in zip(texts, baselines, _line_ais(main), strict=True)
            ]
            x += text_width + (gap if len(sizes) > 1 else 0)
    if caption is not None:
        owner = next(p for p in placed if p.bpom_issued)
        lines.append(TextLine(CAPTION, owner.x + owner.width // 2, caption, em, TextRole.CAPTION))
    return Label(spec, x + margin, bottom + margin, tuple(placed), tuple(lines), tuple(notes))


def _baselines(
    first: int, count: int, em: int, caption: int | None
) -> tuple[list[int], int | None]:
    """Baselines of the text lines, and of the caption: the last line and the caption share one
    baseline when a line pitch of 1.15-1.5 em, or moving the caption down by a line, does it."""
    pitch = _PITCH_EM * em
    if caption is not None and count > 1:
        fitted = (caption - first) / (count - 1)
        if 1.15 * em <= fitted <= 1.5 * em:
            pitch = fitted
        elif 0 < first + (count - 1) * pitch - caption <= pitch:
            caption = round(first + (count - 1) * pitch)
    return [round(first + row * pitch) for row in range(count)], caption

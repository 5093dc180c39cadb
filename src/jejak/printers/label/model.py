"""The value objects of a pack label: what a symbol carries (`LabelCode`), how a line prints
(`LabelSpec`), and a laid-out label (`Label`, its `PlacedSymbol`s and `TextLine`s).

A label is one or two symbols and their human-readable lines, black on white (Art. 17), all
positions in printer dots. `jejak.printers.label.layout` builds them.

>>> LabelCode.parse("(90)DKL1234567890A1(91)301231").text
'(90)DKL1234567890A1(91)301231'
>>> LabelCode.parse("BPOM-2611-ABCD", plain=True).is_gs1
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from jejak.engine.errors import InvalidFormat, InvalidQuantity, ValidationError
from jejak.engine.gs1 import AI, GS, GS_ESCAPE, ElementString
from jejak.engine.symbology import parse_read
from jejak.engine.text import describe
from jejak.printers.label.size_rule import ModuleSize, check_dpi
from jejak.printers.symbols import Symbol, SymbolKind

__all__ = [
    "CAPTION",
    "Label",
    "LabelCode",
    "LabelSpec",
    "LabelSymbology",
    "PlacedSymbol",
    "TextLine",
    "TextRole",
]

CAPTION = "BPOM RI"
_TEXT_PT_RANGE = (4.0, 24.0)
_MAX_TEXT = 512
# Text that must be a GS1 element string: HRI, a GS1 symbology identifier, a GS, or raw data
# that starts with an SSCC or a GTIN. Anything else may be a plain BPOM-issued code.
_GS1_LOOKING = re.compile(r"\(|\]d|\]C|\]Q3|00[0-9]{18}|01[0-9]{14}", re.ASCII)
_PRINTABLE = re.compile(r"[\x20-\x7e]+", re.ASCII)


class TextRole(StrEnum):
    """How a text line is drawn."""

    HRI = "hri"  # a human-readable line, left-aligned at its x
    CAPTION = "caption"  # "BPOM RI", centred at its x


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
class LabelSpec:
    """How a line prints its labels: resolution, the manufacturer's symbology, whether its packs
    carry two codes (Art. 23), and the text size in points."""

    dpi: int = 300
    symbology: LabelSymbology = LabelSymbology.DATAMATRIX
    two_codes: bool = False
    text_pt: float = 6.0

    def __post_init__(self) -> None:
        check_dpi(self.dpi)
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

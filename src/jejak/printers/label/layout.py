"""Laying out a pack label: the symbols sized by the size rule, their text lines, the caption.

The module size is the smallest whole number of dots that makes an X-dimension of at least
0.254 mm, grown (up to 0.495 mm, the GS1 healthcare range) until the symbol without its quiet
zone is at least 6.0 mm on each side (Art. 22); where 0.495 mm is not enough the module grows
beyond it and the label carries a note. The text lines stand to the right of the symbol:
``GTIN:`` or ``NIE:``, ``BATCH:``, ``EXP:``, ``SN:`` for an authentication code, ``NIE:`` and
``VALID:`` for an identification code. Dates show as ``YYYY-MM-DD`` (ISO 8601, as BPOM reports
write them), or ``YYYY-MM`` when the code's day is ``00`` (month end).

Two codes on a pack (Art. 23): BPOM issues its codes as QR codes (Art. 5), and the one BPOM
issued carries the caption ``BPOM RI`` centred directly under it, below its quiet zone. With
`LabelSpec.two_codes` and a `bpom_code`, the label draws the manufacturer's code (left, with
its text lines beside it) and the BPOM-issued QR (right, captioned); with `two_codes` and no
`bpom_code`, the label's one code is the BPOM-issued one (the manufacturer's code is printed
elsewhere on the pack) and it is a captioned QR. Without `two_codes` there is no caption.

>>> label = layout(LabelCode.parse("(01)09506000134352(10)ABC123(17)261200(21)X7Y8Z9"))
>>> [line.text for line in label.lines]
['GTIN: 09506000134352', 'BATCH: ABC123', 'EXP: 2026-12', 'SN: X7Y8Z9']
>>> placed = label.symbols[0]
>>> placed.symbol.rows, placed.size.dots, placed.size.x_mm, placed.size.symbol_mm
(22, 4, 0.33866666666666667, 7.450666666666667)
"""

from __future__ import annotations

import math
from functools import cache

from PIL import ImageFont

from jejak.engine.errors import InvalidCombination, InvalidFormat, SymbolError
from jejak.engine.gs1 import AI, ElementString
from jejak.engine.text import describe
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
from jejak.printers.label.size_rule import (
    MIN_SYMBOL_MM,
    X_MAX_MM,
    X_MIN_MM,
    ModuleSize,
    module_size,
)
from jejak.printers.symbols import Symbol, SymbolKind, encode, encode_raw, verify

__all__ = ["font", "hri_date", "hri_lines", "layout", "module_note"]

_MARGIN_MM, _GAP_MM, _PITCH_EM = 1.0, 1.5, 1.3
_TITLES = {AI.SSCC: "SSCC", AI.GTIN: "GTIN", AI.NIE: "NIE", AI.BATCH: "BATCH",
           AI.EXPIRY: "EXP", AI.SERIAL: "SN", AI.NIE_VALIDITY: "VALID"}  # fmt: skip


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


def hri_date(yymmdd: str) -> str:
    """A GS1 date as the human-readable lines print it: ``YYYY-MM-DD``, ``YYYY-MM`` for day 00.

    >>> hri_date("261231"), hri_date("261200")
    ('2026-12-31', '2026-12')
    """
    day = yymmdd[4:6]
    return f"20{yymmdd[:2]}-{yymmdd[2:4]}" + ("" if day == "00" else f"-{day}")


def module_note(size: ModuleSize, symbol: str) -> str:
    """The note on a label whose module is above 0.495 mm, as the `symbol` needs it."""
    return (
        f"Module {size.x_mm:.3f} mm ({size.dots} dots at {size.dpi} dpi) is above the GS1 "
        f"healthcare range {X_MIN_MM}-{X_MAX_MM} mm: the {symbol} symbol needs it to reach "
        f"{MIN_SYMBOL_MM} mm (Art. 22). Hint: a printer with a finer resolution keeps the "
        "module in range."
    )


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
            notes.append(module_note(size, f"{symbol.rows}x{symbol.columns}"))
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

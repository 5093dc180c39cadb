"""Rendering a symbol to pixels and reading pixels back with zxing-cpp: the read-back check every
symbol passes before it is printed.

>>> from jejak.printers.symbols.encode import encode_raw
>>> symbol = encode_raw(b"0109506000134352", SymbolKind.GS1_DATAMATRIX)
>>> verify(symbol)  # rendered, read back by zxing-cpp as ]d2 with exactly these bytes
>>> read(to_image(symbol)) == [Decoded(Symbology.GS1_DATAMATRIX, symbol.data)]
True
"""

from __future__ import annotations

import numpy as np
import zxingcpp
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat, InvalidQuantity, SymbolError
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe
from jejak.printers.symbols.symbol import Decoded, Symbol, SymbolKind, _choice

__all__ = ["read", "to_image", "verify"]

_MAX_MODULE_PX = 64
_DM, _QR = zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode
_READ_FORMATS = {
    kind: zxingcpp.BarcodeFormats(_DM if kind is SymbolKind.GS1_DATAMATRIX else _QR)
    for kind in SymbolKind
}
_READ_ALL = zxingcpp.BarcodeFormats([_DM, _QR])
_KNOWN = {s.value: s for s in Symbology}


def to_image(symbol: Symbol, module_px: int = 4, *, quiet_zone: bool = True) -> NDArray[np.uint8]:
    """Render as 8-bit grey (0 dark, 255 light), `module_px` pixels per module, with the kind's
    quiet zone unless told otherwise."""
    if isinstance(module_px, bool) or not isinstance(module_px, int):
        raise InvalidFormat(
            f"Invalid module size {describe(module_px)}: expected an int number of pixels. "
            "Hint: e.g. 4."
        )
    if not 1 <= module_px <= _MAX_MODULE_PX:
        raise InvalidQuantity(
            f"Invalid module size {module_px!r}: expected 1 to {_MAX_MODULE_PX} pixels. "
            "Hint: at 600 dpi a 0.25 mm module is 6 px."
        )
    margin = symbol.quiet_zone * module_px if quiet_zone else 0
    rows, columns = symbol.modules.shape
    light = np.logical_not(symbol.modules).view(np.uint8) * np.uint8(255)
    inner = np.repeat(np.repeat(light, module_px, axis=0), module_px, axis=1)
    if not margin:
        return inner
    image = np.full(
        (rows * module_px + 2 * margin, columns * module_px + 2 * margin), 255, np.uint8
    )
    image[margin : margin + rows * module_px, margin : margin + columns * module_px] = inner
    return image


def read(
    image: NDArray[np.uint8], kind: SymbolKind | None = None, *, pure: bool = False
) -> list[Decoded]:
    """Read the DataMatrix and QR symbols in a grey image with zxing-cpp (only `kind`'s format
    if given). `pure` says the image is a clean rendering (as from `to_image`): faster."""
    formats = _READ_ALL if kind is None else _READ_FORMATS[_choice(SymbolKind, kind, "kind")]
    found = zxingcpp.read_barcodes(
        image,
        formats=formats,
        try_rotate=not pure,
        try_downscale=not pure,
        try_invert=not pure,
        is_pure=pure,
    )
    # In pure mode zxing-cpp 3.1 answers an empty image with one invalid result: drop it.
    return [Decoded(_KNOWN.get(b.symbology_identifier), b.bytes) for b in found if b.valid]


def verify(symbol: Symbol) -> None:
    """Render `symbol`, read it back with zxing-cpp, and require exactly one read with the
    kind's symbology identifier and exactly `symbol.data`. Raises `SymbolError` otherwise."""
    reads = read(to_image(symbol, 2), symbol.kind, pure=True)
    expected = Decoded(symbol.symbology, symbol.data)
    if reads != [expected]:
        got = ", ".join(f"{_name(d.symbology)} {d.data!r}" for d in reads) or "no read"
        raise SymbolError(
            f"Symbol {symbol.rows}x{symbol.columns} does not read back: expected "
            f"{symbol.symbology.value} {symbol.data!r}, got {got}. Hint: a lost FNC1 reads as "
            "]d1 or ]Q1; re-encode with another backend and report the failing data."
        )


def _name(symbology: Symbology | None) -> str:
    return "unknown symbology" if symbology is None else symbology.value

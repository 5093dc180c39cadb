"""Encoders: an element string or a printer's raw bytes to a `Symbol`, through libdmtx, zxing-cpp
or segno.

GS1 DataMatrix goes through libdmtx (pylibdmtx's ctypes wrapper, FNC1 set to GS; the default,
fastest) or zxing-cpp (smallest symbol: it mixes encodation schemes, where libdmtx's ASCII scheme
is sometimes one or two sizes larger); GS1 QR through zxing-cpp (segno has no FNC1 mode); plain QR
through segno or zxing-cpp. zxing-cpp validates nothing and ignores unknown options, so every
input is validated here first.

>>> code = ElementString.parse("(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9")
>>> encode(code).data == encode(code, backend=Backend.ZXING).data == code.raw.encode()
True
"""

from __future__ import annotations

import numpy as np
import segno
import zxingcpp
from numpy.typing import NDArray

from jejak.engine.errors import InvalidCombination, InvalidFormat, InvalidLength, SymbolError
from jejak.engine.gs1 import GS, ElementString
from jejak.engine.text import describe
from jejak.printers.symbols.libdmtx import datamatrix_libdmtx, too_long_for_rectangle
from jejak.printers.symbols.symbol import (
    Backend,
    ErrorCorrection,
    Matrix,
    Shape,
    Symbol,
    SymbolKind,
    _choice,
)

__all__ = ["encode", "encode_raw"]

_MAX_DATA = 512  # as jejak.engine.gs1: no symbol Jejak prints carries more
# The backends each kind can use; the first is the default.
_BACKENDS = {
    SymbolKind.GS1_DATAMATRIX: (Backend.LIBDMTX, Backend.ZXING),
    SymbolKind.GS1_QR: (Backend.ZXING,),
    SymbolKind.QR: (Backend.SEGNO, Backend.ZXING),
}
_DM, _QR = zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode


def _backend_for(kind: SymbolKind, backend: object, shape: Shape) -> Backend:
    allowed = _BACKENDS[kind]
    chosen = allowed[0] if backend is None else _choice(Backend, backend, "backend")
    if chosen not in allowed:
        names = ", ".join(str(b) for b in allowed)
        raise InvalidCombination(
            f"Invalid backend {str(chosen)!r} for {str(kind)!r}: expected one of {names}. "
            "Hint: libdmtx makes only DataMatrix; segno has no FNC1, so GS1 QR needs zxing."
        )
    if shape is Shape.RECTANGLE and kind is not SymbolKind.GS1_DATAMATRIX:
        raise InvalidCombination(
            f"Invalid shape 'rectangle' for {str(kind)!r}: expected 'square'. "
            "Hint: only DataMatrix has rectangular sizes."
        )
    return chosen


def encode(
    code: ElementString,
    kind: SymbolKind = SymbolKind.GS1_DATAMATRIX,
    *,
    shape: Shape = Shape.SQUARE,
    backend: Backend | None = None,
    ec_level: ErrorCorrection = ErrorCorrection.M,
) -> Symbol:
    """Encode a validated element string as a GS1 symbol (FNC1 first, then ``code.raw``).

    `backend` None picks the kind's default (libdmtx for DataMatrix, zxing-cpp for QR);
    `ec_level` applies to QR only.
    """
    kind = _choice(SymbolKind, kind, "symbol kind")
    if not isinstance(code, ElementString):
        raise InvalidFormat(
            f"Invalid code {describe(code)}: expected an ElementString, got "
            f"{type(code).__name__}. Hint: ElementString.parse() the text first."
        )
    if not kind.is_gs1:
        raise InvalidCombination(
            f"Invalid symbol kind 'qr' for the element string {code.hri!r}: expected "
            "'gs1-datamatrix' or 'gs1-qr'. Hint: a GS1 code needs FNC1; print a BPOM-issued "
            "plain code with encode_raw(text, SymbolKind.QR)."
        )
    return _encode(code, kind, shape, backend, ec_level)


def encode_raw(
    raw: bytes,
    kind: SymbolKind,
    *,
    shape: Shape = Shape.SQUARE,
    backend: Backend | None = None,
    ec_level: ErrorCorrection = ErrorCorrection.M,
) -> Symbol:
    """Encode the bytes a printer received: for GS1 kinds the raw element string (GS-separated,
    canonical order, an optional leading GS standing for the FNC1), validated first; for QR the
    plain text (printable ASCII), exactly as given.
    """
    kind = _choice(SymbolKind, kind, "symbol kind")
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise InvalidFormat(
            f"Invalid symbol data {describe(raw)}: expected bytes, got {type(raw).__name__}. "
            "Hint: pass the field data as received, e.g. code.raw.encode('ascii')."
        )
    data = bytes(raw)
    if not 1 <= len(data) <= _MAX_DATA:
        raise InvalidLength(
            f"Invalid symbol data {describe(data)}: expected 1 to {_MAX_DATA} bytes, got "
            f"{len(data)}. Hint: one code per symbol."
        )
    if kind.is_gs1:
        if not data.isascii():
            byte = next(b for b in data if b > 0x7F)
            raise InvalidFormat(
                f"Invalid raw element string {describe(data)}: expected ASCII only, found byte "
                f"{byte:#04x}. Hint: a GS1 symbol carries CSET 82 characters and GS only."
            )
        # A leading GS is the FNC1 in first position, as a reader sends it.
        text = data.decode("ascii").removeprefix(GS)
        code = ElementString.parse(text)
        if code.raw != text:
            raise InvalidFormat(
                f"Invalid raw element string {describe(text)}: expected the raw form "
                f"{code.raw!r}. Hint: send ElementString.raw (fixed-length AIs first, a GS after "
                "each variable-length field but the last), not HRI or '<GS>' escapes."
            )
        return _encode(code, kind, shape, backend, ec_level)
    bad = next((chr(b) for b in data if not 0x20 <= b <= 0x7E), None)
    if bad is not None:
        raise InvalidFormat(
            f"Invalid QR text {describe(data)}: expected printable ASCII only, found {bad!r}. "
            "Hint: a BPOM-issued code is printed exactly as issued; check the imported file."
        )
    chosen = _backend_for(kind, backend, shape)
    text = data.decode("ascii")
    level = _choice(ErrorCorrection, ec_level, "error correction level")
    if chosen is Backend.SEGNO:
        return Symbol(kind, _qr_segno(text, level), data)
    return Symbol(kind, _zxing(text, data, _QR, ecLevel=str(level)), data)


def _encode(
    code: ElementString, kind: SymbolKind, shape: object, backend: object, ec_level: object
) -> Symbol:
    shape = _choice(Shape, shape, "shape")
    chosen = _backend_for(kind, backend, shape)
    raw = code.raw.encode("ascii")
    if chosen is Backend.LIBDMTX:
        return Symbol(kind, datamatrix_libdmtx(raw, shape), raw)
    content = _bracketed(code)
    if kind is SymbolKind.GS1_QR:
        level = _choice(ErrorCorrection, ec_level, "error correction level")
        return Symbol(kind, _zxing(content, raw, _QR, gs1=True, ecLevel=str(level)), raw)
    if shape is Shape.SQUARE:
        return Symbol(kind, _zxing(content, raw, _DM, gs1=True, forceSquare=True), raw)
    # zxing-cpp numbers the sizes as zint does: versions 25-30 are the six ISO/IEC 16022
    # rectangles from 8x18 to 16x48 (31 and above are DMRE, which BPOM readers may lack).
    for version in range(25, 31):
        try:
            return Symbol(kind, _zxing(content, raw, _DM, gs1=True, version=version), raw)
        except SymbolError:
            continue
    raise too_long_for_rectangle(raw)


def _bracketed(code: ElementString) -> str:
    """zxing-cpp's GS1 input, in the raw form's order. Brackets, since CSET 82 has no ``[``
    or ``]`` but has ``(`` and ``)``."""
    fixed = [e for e in code.elements if e.ai.rule.predefined_length]
    variable = [e for e in code.elements if not e.ai.rule.predefined_length]
    return "".join(f"[{e.ai.value}]{e.value}" for e in (*fixed, *variable))


def _zxing(content: str, data: bytes, fmt: zxingcpp.BarcodeFormat, **options: object) -> Matrix:
    try:
        barcode = zxingcpp.create_barcode(content, fmt, **options)
    except ValueError as error:
        raise SymbolError(
            f"zxing-cpp could not encode {data!r} as {fmt.name}: {error}. "
            "Hint: the data is too long for the symbol; shorten batch or serial."
        ) from error
    if barcode.bytes != data:  # zxing-cpp changes nothing today; make sure it never does silently
        raise SymbolError(
            f"zxing-cpp encoded {barcode.bytes!r} for {data!r}: expected the same bytes. "
            "Hint: report this zxing-cpp version; use another backend meanwhile."
        )
    image: NDArray[np.uint8] = np.asarray(barcode.to_image(scale=1, add_quiet_zones=False))
    modules = image < 128
    modules.flags.writeable = False
    return modules


def _qr_segno(text: str, level: ErrorCorrection) -> Matrix:
    qr = segno.make_qr(text, error=level.lower(), boost_error=False)
    rows = len(qr.matrix)
    grey: NDArray[np.uint8] = np.frombuffer(b"".join(qr.matrix), np.uint8).reshape(rows, -1)
    modules: NDArray[np.bool_] = np.not_equal(grey, 0)
    modules.flags.writeable = False
    return modules

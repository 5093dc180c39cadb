"""Module matrices of the symbols Jejak prints: GS1 DataMatrix, GS1 QR and plain QR.

A `Symbol` is a numpy bool matrix (True = dark module, no quiet zone) and the bytes a reader must
report for it. GS1 symbols carry FNC1 in first position and the element string's raw form (GS
between variable-length fields); a reader reports them as ``]d2`` or ``]Q3``. A plain QR carries
a BPOM-issued code exactly as given and reads as ``]Q1``.

>>> code = ElementString.parse("(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9")
>>> symbol = encode(code)
>>> symbol.rows, symbol.columns, symbol.symbology
(22, 22, <Symbology.GS1_DATAMATRIX: ']d2'>)
>>> symbol.data
b'01095060001343521726123110ABC123\\x1d21X7Y8Z9'
>>> verify(symbol)  # rendered, read back by zxing-cpp as ]d2 with exactly these bytes
>>> read(to_image(symbol)) == [Decoded(Symbology.GS1_DATAMATRIX, symbol.data)]
True
>>> encode(code, SymbolKind.GS1_QR).symbology, encode_raw(b"BPOM-ID-123", SymbolKind.QR).symbology
(<Symbology.GS1_QR: ']Q3'>, <Symbology.QR: ']Q1'>)

Backends: GS1 DataMatrix through libdmtx (pylibdmtx's ctypes wrapper, FNC1 set to GS; the
default, fastest) or zxing-cpp (smallest symbol: it mixes encodation schemes, where libdmtx's
ASCII scheme is sometimes one or two sizes larger); GS1 QR through zxing-cpp (segno has no FNC1
mode); plain QR through segno or zxing-cpp. zxing-cpp validates nothing and ignores unknown
options, so every input is validated here first.
"""

from __future__ import annotations

import ctypes
import warnings
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeAlias, TypeVar

import numpy as np
import segno
import zxingcpp
from numpy.typing import NDArray

from jejak.engine._text import describe
from jejak.engine.errors import (
    InvalidCombination,
    InvalidFormat,
    InvalidLength,
    InvalidQuantity,
    SymbolError,
)
from jejak.engine.gs1 import GS, ElementString
from jejak.engine.symbology import Symbology

__all__ = [
    "Backend",
    "Decoded",
    "ErrorCorrection",
    "Shape",
    "Symbol",
    "SymbolKind",
    "encode",
    "encode_raw",
    "read",
    "to_image",
    "verify",
]

_MAX_DATA = 512  # as jejak.engine.gs1: no symbol Jejak prints carries more
_MAX_MODULE_PX = 64
_Matrix: TypeAlias = NDArray[np.bool_]  # True = dark module


class SymbolKind(StrEnum):
    """The symbols Jejak prints."""

    GS1_DATAMATRIX = "gs1-datamatrix"  # ECC 200, FNC1 in first position
    GS1_QR = "gs1-qr"  # QR model 2, FNC1 in first position
    QR = "qr"  # QR model 2 without FNC1: a BPOM-issued code printed as given

    @property
    def symbology(self) -> Symbology:
        """The symbology identifier a reader must report for this kind."""
        return _SYMBOLOGY[self]

    @property
    def quiet_zone(self) -> int:
        """The light margin, in modules, around the symbol: 1 for DataMatrix, 4 for QR."""
        return 1 if self is SymbolKind.GS1_DATAMATRIX else 4

    @property
    def is_gs1(self) -> bool:
        return self is not SymbolKind.QR


class Shape(StrEnum):
    """DataMatrix symbol shape: square sizes, or the six ISO/IEC 16022 rectangles (8x18-16x48)."""

    SQUARE = "square"
    RECTANGLE = "rectangle"


class Backend(StrEnum):
    """The library that computes the module matrix."""

    LIBDMTX = "libdmtx"
    ZXING = "zxing"
    SEGNO = "segno"


class ErrorCorrection(StrEnum):
    """QR error correction level (DataMatrix ECC 200 has a fixed one)."""

    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


_SYMBOLOGY = {
    SymbolKind.GS1_DATAMATRIX: Symbology.GS1_DATAMATRIX,
    SymbolKind.GS1_QR: Symbology.GS1_QR,
    SymbolKind.QR: Symbology.QR,
}
# The backends each kind can use; the first is the default.
_BACKENDS = {
    SymbolKind.GS1_DATAMATRIX: (Backend.LIBDMTX, Backend.ZXING),
    SymbolKind.GS1_QR: (Backend.ZXING,),
    SymbolKind.QR: (Backend.SEGNO, Backend.ZXING),
}
_DM, _QR = zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode
_READ_FORMATS = {
    kind: zxingcpp.BarcodeFormats(_DM if kind is SymbolKind.GS1_DATAMATRIX else _QR)
    for kind in SymbolKind
}
_READ_ALL = zxingcpp.BarcodeFormats([_DM, _QR])
_KNOWN = {s.value: s for s in Symbology}


@dataclass(frozen=True, slots=True, eq=False)
class Symbol:
    """A symbol's module matrix (read-only, True = dark, no quiet zone) and the data it carries:
    for GS1 kinds the raw element string after the FNC1 (GS-separated), else the plain text.
    """

    kind: SymbolKind
    modules: _Matrix
    data: bytes

    def __post_init__(self) -> None:
        modules = self.modules
        if not (
            isinstance(modules, np.ndarray) and modules.dtype == np.bool_ and modules.ndim == 2
        ):
            raise InvalidFormat(
                f"Invalid module matrix {describe(modules)}: expected a 2-D numpy bool array. "
                "Hint: build symbols with encode() or encode_raw()."
            )
        if modules.flags.writeable:
            modules = modules.copy()
            modules.flags.writeable = False
            object.__setattr__(self, "modules", modules)

    @property
    def rows(self) -> int:
        return int(self.modules.shape[0])

    @property
    def columns(self) -> int:
        return int(self.modules.shape[1])

    @property
    def quiet_zone(self) -> int:
        return self.kind.quiet_zone

    @property
    def symbology(self) -> Symbology:
        return self.kind.symbology

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Symbol):
            return NotImplemented
        return (
            self.kind is other.kind
            and self.data == other.data
            and bool(np.array_equal(self.modules, other.modules))
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.data, self.modules.shape))

    def __repr__(self) -> str:
        size = f"{self.rows}x{self.columns}"
        return f"Symbol(kind={self.kind!r}, size={size!r}, data={self.data!r})"


@dataclass(frozen=True, slots=True)
class Decoded:
    """One symbol read from an image: the reported identifier (None if Jejak does not know it)
    and the raw bytes (for GS1: GS-separated, no FNC1 marker)."""

    symbology: Symbology | None
    data: bytes


_E = TypeVar("_E", bound=StrEnum)


def _choice(enum: type[_E], value: object, what: str) -> _E:
    """`value` as a member of `enum` (members and their string values are accepted)."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str) and value in enum._value2member_map_:
        return enum(value)
    names = ", ".join(repr(str(member)) for member in enum)
    raise InvalidFormat(
        f"Invalid {what} {describe(value)}: expected one of {names}. "
        f"Hint: use jejak.printers.symbols.{enum.__name__}."
    )


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
        return Symbol(kind, _datamatrix_libdmtx(raw, shape), raw)
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
    raise _too_long_for_rectangle(raw)


def _bracketed(code: ElementString) -> str:
    """zxing-cpp's GS1 input, in the raw form's order. Brackets, since CSET 82 has no ``[``
    or ``]`` but has ``(`` and ``)``."""
    fixed = [e for e in code.elements if e.ai.rule.predefined_length]
    variable = [e for e in code.elements if not e.ai.rule.predefined_length]
    return "".join(f"[{e.ai.value}]{e.value}" for e in (*fixed, *variable))


def _zxing(content: str, data: bytes, fmt: zxingcpp.BarcodeFormat, **options: object) -> _Matrix:
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


def _too_long_for_rectangle(raw: bytes) -> SymbolError:
    return SymbolError(
        f"Data {raw!r} does not fit a rectangular DataMatrix: expected at most the 16x48 "
        "symbol's capacity. Hint: use Shape.SQUARE, or shorten batch or serial."
    )


# libdmtx properties and values (dmtx.h), as pylibdmtx's wrapper names them.
_SCHEME, _SIZE_REQUEST, _MARGIN, _MODULE, _FNC1, _PACKING = 100, 101, 102, 103, 104, 302
_SCHEME_ASCII, _SQUARE_AUTO, _RECT_AUTO, _PACK_8BPP_K = 0, -2, -3, 300


@cache
def _libdmtx() -> Any:
    """pylibdmtx's ctypes wrapper of libdmtx, loaded on first use."""
    try:
        with warnings.catch_warnings():  # pylibdmtx compares versions with distutils
            warnings.simplefilter("ignore", DeprecationWarning)
            from pylibdmtx import wrapper  # noqa: PLC0415 - loads the C library: only when used
    except (ImportError, OSError) as error:
        raise SymbolError(
            f"libdmtx is not available: {error}. Hint: install the system library (Debian: "
            "apt install libdmtx0b), or pass backend=Backend.ZXING."
        ) from error
    return wrapper


def _datamatrix_libdmtx(raw: bytes, shape: Shape) -> _Matrix:
    """libdmtx with GS as its FNC1 byte: the leading GS is the FNC1 in first position, each
    other GS an FNC1 separator. It renders at one pixel per module, no margin, 8-bit grey, top
    row first, and that image is the module matrix."""
    lib = _libdmtx()
    data = b"\x1d" + raw
    size = _SQUARE_AUTO if shape is Shape.SQUARE else _RECT_AUTO
    encoder = lib.dmtxEncodeCreate()
    if not encoder:
        raise SymbolError("libdmtx: dmtxEncodeCreate failed. Hint: the process is out of memory.")
    try:
        for prop, value in (
            (_SCHEME, _SCHEME_ASCII), (_SIZE_REQUEST, size), (_MARGIN, 0), (_MODULE, 1),
            (_FNC1, 0x1D), (_PACKING, _PACK_8BPP_K),
        ):  # fmt: skip
            lib.dmtxEncodeSetProp(encoder, prop, value)
        if not lib.dmtxEncodeDataMatrix(
            encoder, len(data), ctypes.cast(ctypes.c_char_p(data), lib.c_ubyte_p)
        ):
            if shape is Shape.RECTANGLE:
                raise _too_long_for_rectangle(raw)
            raise SymbolError(
                f"libdmtx could not encode {raw!r}: expected data that fits a 144x144 "
                "DataMatrix. Hint: shorten batch or serial."
            )
        image = encoder.contents.image.contents
        height, width, stride = image.height, image.width, image.rowSizeBytes
        pixels = ctypes.string_at(image.pxl, height * stride)
    finally:
        lib.dmtxEncodeDestroy(ctypes.byref(encoder))
    grey: NDArray[np.uint8] = np.frombuffer(pixels, np.uint8).reshape(height, stride)
    modules: NDArray[np.bool_] = grey[:, :width] == 0
    # The finder pattern: a solid left column and bottom row. Anything else means the wrapper's
    # view of libdmtx's structs does not match the loaded library.
    if not (modules[:, 0].all() and modules[-1].all()) or stride < width:
        raise SymbolError(
            f"libdmtx returned a {height}x{width} image without a finder pattern for {raw!r}: "
            "expected a solid left column and bottom row. Hint: the installed libdmtx does not "
            "match pylibdmtx's wrapper; pass backend=Backend.ZXING."
        )
    modules.flags.writeable = False
    return modules


def _qr_segno(text: str, level: ErrorCorrection) -> _Matrix:
    qr = segno.make_qr(text, error=level.lower(), boost_error=False)
    rows = len(qr.matrix)
    grey: NDArray[np.uint8] = np.frombuffer(b"".join(qr.matrix), np.uint8).reshape(rows, -1)
    modules: NDArray[np.bool_] = np.not_equal(grey, 0)
    modules.flags.writeable = False
    return modules


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

"""Symbol module matrices: every symbol read back by zxing-cpp, exact errors, generated codes.

zxing-cpp's reader is the oracle here: for GS1 symbols it reports the symbology identifier
(``]d2``/``]Q3``) and `.bytes` as the raw element string, GS between fields and no FNC1 marker.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import sys
from calendar import monthrange
from typing import Any

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import (
    InvalidChecksum,
    InvalidCombination,
    InvalidFormat,
    InvalidLength,
    InvalidQuantity,
    SymbolError,
    ValidationError,
)
from jejak.engine.gs1 import AI, GS, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.symbology import Symbology, parse_read
from jejak.printers.symbols import (
    Backend,
    Decoded,
    ErrorCorrection,
    Shape,
    Symbol,
    SymbolKind,
    encode,
    encode_raw,
    read,
    to_image,
    verify,
)
from jejak.printers.symbols import libdmtx as libdmtx_module

TODAY = dt.date(2026, 6, 15)
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GTIN_CODE = ElementString.parse("(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9")
GTIN_RAW = b"01095060001343521726123110ABC123\x1d21X7Y8Z9"
NIE_CODE = ElementString.parse("(90)DKL1234567890A1(10)ABC123(17)261231(21)X7Y8Z9")
ID_CODE = ElementString.parse("(90)DKL1234567890A1(91)291231")
SHORT_ID = ElementString.parse("(90)AB1(91)291231")  # zint alone would pick an 8x32 rectangle
# Lower case and punctuation defeat C40/Text packing: too long for any rectangle.
LONG_CODE = ElementString.parse(
    "(01)09506000134352(10)aB!cD%eF&gH*iJ+kL-mN(17)261231(21)oP.qR/sT:uV;wX<yZ=a>"
)
DATAMATRIX = [
    (Backend.LIBDMTX, Shape.SQUARE),
    (Backend.ZXING, Shape.SQUARE),
    (Backend.LIBDMTX, Shape.RECTANGLE),
    (Backend.ZXING, Shape.RECTANGLE),
]


def _reads(symbol: Symbol) -> list[Decoded]:
    """What a general reader (not told the image is pure) makes of the rendered symbol."""
    return read(to_image(symbol, 3))


@pytest.mark.parametrize(
    ("code", "backend", "shape"),
    [
        (code, backend, shape)
        for code in (GTIN_CODE, NIE_CODE, ID_CODE, SHORT_ID, LONG_CODE)
        for backend, shape in DATAMATRIX
        if not (code is LONG_CODE and shape is Shape.RECTANGLE)  # see test_too_long_...
    ],
)
def test_gs1_datamatrix_reads_back_as_d2_with_the_raw_bytes(
    code: ElementString, backend: Backend, shape: Shape
) -> None:
    symbol = encode(code, backend=backend, shape=shape)
    raw = code.raw.encode("ascii")
    assert symbol.data == raw
    assert symbol.symbology is Symbology.GS1_DATAMATRIX
    assert _reads(symbol) == [Decoded(Symbology.GS1_DATAMATRIX, raw)]
    verify(symbol)
    assert (symbol.rows == symbol.columns) is (shape is Shape.SQUARE)
    # Finder pattern: solid left column and bottom row, alternating top row and right column.
    modules = symbol.modules
    assert modules[:, 0].all()
    assert modules[-1].all()
    assert modules[0, ::2].all()
    assert not modules[0, 1::2].any()
    assert modules[::-2, -1].all()
    assert not modules[-2::-2, -1].any()


@pytest.mark.parametrize("code", [GTIN_CODE, NIE_CODE, ID_CODE, LONG_CODE])
@pytest.mark.parametrize("level", list(ErrorCorrection))
def test_gs1_qr_reads_back_as_q3_with_the_raw_bytes(
    code: ElementString, level: ErrorCorrection
) -> None:
    symbol = encode(code, SymbolKind.GS1_QR, ec_level=level)
    raw = code.raw.encode("ascii")
    assert _reads(symbol) == [Decoded(Symbology.GS1_QR, raw)]
    verify(symbol)
    _assert_qr_finders(symbol)


def _assert_qr_finders(symbol: Symbol) -> None:
    n = symbol.rows
    assert symbol.columns == n
    assert (n - 17) % 4 == 0
    for top, left in ((0, 0), (0, n - 7), (n - 7, 0)):
        finder = symbol.modules[top : top + 7, left : left + 7]
        ring = np.ones((7, 7), bool)
        ring[1:6, 1:6] = False
        ring[2:5, 2:5] = True
        assert (finder == ring).all(), (top, left)


@pytest.mark.parametrize(
    "text",
    [
        b"12345678901234",
        b"BPOM-ID 2026/0001",
        b"https://cekbpom.pom.go.id/produk/DKL1234567890A1?k=aZ_9",
        b"(90)DKL1234567890A1(91)291231",  # a plain QR carries even HRI text as given
        bytes(range(0x20, 0x7F)),
    ],
)
@pytest.mark.parametrize("backend", [Backend.SEGNO, Backend.ZXING])
def test_plain_qr_reads_back_as_q1_exactly_as_given(text: bytes, backend: Backend) -> None:
    symbol = encode_raw(text, SymbolKind.QR, backend=backend)
    assert symbol.data == text
    assert symbol.symbology is Symbology.QR
    assert _reads(symbol) == [Decoded(Symbology.QR, text)]
    verify(symbol)
    _assert_qr_finders(symbol)


DM, QR = SymbolKind.GS1_DATAMATRIX, SymbolKind.GS1_QR
LIBDMTX, ZXING = {"backend": Backend.LIBDMTX}, {"backend": Backend.ZXING}
RECTANGLE = {"shape": Shape.RECTANGLE}


@pytest.mark.parametrize(
    ("code", "kind", "options", "size"),
    [
        (GTIN_CODE, DM, LIBDMTX, (22, 22)),
        (GTIN_CODE, DM, ZXING, (22, 22)),
        (GTIN_CODE, DM, LIBDMTX | RECTANGLE, (16, 36)),
        (GTIN_CODE, DM, ZXING | RECTANGLE, (16, 36)),
        (ID_CODE, DM, LIBDMTX, (18, 18)),
        (ID_CODE, DM, ZXING | RECTANGLE, (12, 36)),
        (SHORT_ID, DM, ZXING, (16, 16)),
        (SHORT_ID, DM, LIBDMTX | RECTANGLE, (8, 32)),
        (GTIN_CODE, QR, {}, (25, 25)),
        (NIE_CODE, QR, {"ec_level": ErrorCorrection.L}, (25, 25)),
        (NIE_CODE, QR, {}, (29, 29)),  # M by default
        (NIE_CODE, QR, {"ec_level": ErrorCorrection.H}, (33, 33)),
    ],
)
def test_symbol_sizes(
    code: ElementString, kind: SymbolKind, options: dict[str, Any], size: tuple[int, int]
) -> None:
    symbol = encode(code, kind, **options)
    assert (symbol.rows, symbol.columns) == size
    assert symbol.modules.shape == size


def test_zxing_needs_force_square() -> None:
    # Why the ZXING backend passes forceSquare: left alone, zint picks a rectangle (and
    # zxing-cpp ignores option names it does not know, so a typo would go unnoticed).
    barcode = zxingcpp.create_barcode(
        "[90]AB1[91]291231", zxingcpp.BarcodeFormat.DataMatrix, gs1=True, forceSqare=True
    )
    assert np.asarray(barcode.to_image(add_quiet_zones=False)).shape == (8, 32)
    assert encode(SHORT_ID, backend=Backend.ZXING).modules.shape == (16, 16)


def test_both_backends_carry_the_same_data() -> None:
    ours = encode(NIE_CODE, backend=Backend.LIBDMTX)
    theirs = encode(NIE_CODE, backend=Backend.ZXING)
    assert ours.data == theirs.data == NIE_CODE.raw.encode("ascii")
    assert _reads(ours) == _reads(theirs)


@pytest.mark.parametrize(("backend", "shape"), DATAMATRIX[2:])
def test_too_long_for_a_rectangle(backend: Backend, shape: Shape) -> None:
    raw = LONG_CODE.raw.encode("ascii")
    message = (
        f"Data {raw!r} does not fit a rectangular DataMatrix: expected at most the 16x48 "
        "symbol's capacity. Hint: use Shape.SQUARE, or shorten batch or serial."
    )
    with pytest.raises(SymbolError, match=re.escape(message)):
        encode(LONG_CODE, backend=backend, shape=shape)


# Generated codes, as in tests/engine/test_gs1_properties.py.
@st.composite
def gs1_dates(draw: st.DrawFn, day_zero: bool = True) -> Gs1Date:
    year = draw(st.integers(TODAY.year - 49, TODAY.year + 50))
    month = draw(st.integers(1, 12))
    return Gs1Date(year, month, draw(st.integers(0 if day_zero else 1, monthrange(year, month)[1])))


def _gtin(payload: str) -> Element:
    return Element.parse(AI.GTIN, payload + str(_check_digit(payload)))


def _check_digit(payload: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return -total % 10


TEXT = st.text(CSET82, min_size=1, max_size=20)
KEYS = st.one_of(
    st.text(string.digits, min_size=13, max_size=13).map(_gtin),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=16).map(
        lambda nie: Element(AI.NIE, nie)
    ),
)
AUTHENTICATIONS = st.builds(
    lambda key, batch, expiry, serial: ElementString.authentication(
        key=key, batch=batch, expiry=expiry, serial=serial
    ),
    KEYS, TEXT, gs1_dates(), TEXT,
)  # fmt: skip
IDENTIFICATIONS = st.builds(
    lambda nie, validity: ElementString.identification(nie=nie, validity=validity),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=16),
    gs1_dates(day_zero=False),
)  # fmt: skip
SETUPS = st.sampled_from(
    [
        (SymbolKind.GS1_DATAMATRIX, Backend.LIBDMTX),
        (SymbolKind.GS1_DATAMATRIX, Backend.ZXING),
        (SymbolKind.GS1_QR, Backend.ZXING),
    ]
)


@settings(deadline=None, max_examples=100)
@given(st.one_of(AUTHENTICATIONS, IDENTIFICATIONS), SETUPS)
def test_generated_codes_round_trip(code: ElementString, setup: tuple[SymbolKind, Backend]) -> None:
    kind, backend = setup
    symbol = encode(code, kind, backend=backend)
    verify(symbol)
    [decoded] = read(to_image(symbol, 2), kind, pure=True)
    assert decoded == Decoded(kind.symbology, code.raw.encode("ascii"))
    assert decoded.symbology is not None
    got = parse_read(decoded.symbology.value + decoded.data.decode("ascii"), today=TODAY)
    assert (got.code, got.symbology, got.warnings) == (code, kind.symbology, ())
    assert encode_raw(decoded.data, kind, backend=backend) == symbol


@pytest.mark.parametrize("raw", [GTIN_RAW, GS.encode() + GTIN_RAW, bytearray(GTIN_RAW)])
@pytest.mark.parametrize("kind", [SymbolKind.GS1_DATAMATRIX, SymbolKind.GS1_QR])
def test_encode_raw_takes_the_raw_form(raw: bytes, kind: SymbolKind) -> None:
    symbol = encode_raw(raw, kind)
    assert symbol == encode(GTIN_CODE, kind)
    assert symbol.data == GTIN_RAW


def _raw_form(given: str) -> str:
    return (
        f"Invalid raw element string {given!r}: expected the raw form "
        f"{GTIN_CODE.raw!r}. Hint: send ElementString.raw (fixed-length AIs first, a GS after "
        "each variable-length field but the last), not HRI or '<GS>' escapes."
    )


@pytest.mark.parametrize(
    ("raw", "kind", "error", "message"),
    [
        (b"", SymbolKind.GS1_DATAMATRIX, InvalidLength,
         "Invalid symbol data b'': expected 1 to 512 bytes, got 0. Hint: one code per symbol."),
        (b"", SymbolKind.QR, InvalidLength, "expected 1 to 512 bytes, got 0."),
        (b"A" * 513, SymbolKind.QR, InvalidLength, "expected 1 to 512 bytes, got 513."),
        (GTIN_RAW.decode(), SymbolKind.GS1_DATAMATRIX, InvalidFormat,
         (f"Invalid symbol data {GTIN_RAW.decode()!r}: expected bytes, got str. Hint: pass the "
          "field data as received, e.g. code.raw.encode('ascii').")),
        (None, SymbolKind.QR, InvalidFormat, "Invalid symbol data None: expected bytes, got"),
        (GTIN_CODE.hri.encode(), SymbolKind.GS1_DATAMATRIX, InvalidFormat,
         _raw_form(GTIN_CODE.hri)),
        (GTIN_RAW.replace(b"\x1d", b"<GS>"), SymbolKind.GS1_QR, InvalidFormat,
         _raw_form(GTIN_CODE.raw.replace(GS, "<GS>"))),
        (b"10ABC123\x1d010950600013435217261231\x1d21X7Y8Z9", SymbolKind.GS1_DATAMATRIX,
         InvalidFormat, _raw_form("10ABC123\x1d010950600013435217261231\x1d21X7Y8Z9")),
        (GTIN_RAW + b"\x1d", SymbolKind.GS1_DATAMATRIX, InvalidFormat,
         _raw_form(GTIN_CODE.raw + GS)),
        (GTIN_RAW.replace(b"X7Y8", b"X7 Y8"), SymbolKind.GS1_DATAMATRIX, InvalidFormat,
         "Invalid (21) serial number 'X7 Y8Z9': expected only GS1 CSET 82 characters"),
        (GTIN_RAW.replace(b"ABC", b"AB\xc3\x89"), SymbolKind.GS1_QR, InvalidFormat,
         ("Invalid raw element string b'01095060001343521726123110AB\\xc3\\x89123\\x1d21X7Y8Z9': "
          "expected ASCII only, found byte 0xc3. Hint: a GS1 symbol carries CSET 82 characters "
          "and GS only.")),
        (GTIN_RAW.replace(b"352", b"353"), SymbolKind.GS1_DATAMATRIX, InvalidChecksum,
         "Invalid (01) GTIN check digit for '09506000134353': expected 2, got 3."),
        (b"\x00\xff junk", SymbolKind.GS1_DATAMATRIX, InvalidFormat, "found byte 0xff."),
        (b"\x00junk", SymbolKind.GS1_DATAMATRIX, ValidationError,
         "Unsupported GS1 Application Identifier '\\x00j': expected one of 00, 01,"),
        (b"BPOM\x1dID", SymbolKind.QR, InvalidFormat,
         ("Invalid QR text b'BPOM\\x1dID': expected printable ASCII only, found '\\x1d'. "
          "Hint: a BPOM-issued code is printed exactly as issued; check the imported file.")),
        ("café".encode(), SymbolKind.QR, InvalidFormat,
         "expected printable ASCII only, found 'Ã'."),
        (b"ID\n", SymbolKind.QR, InvalidFormat, "expected printable ASCII only, found '\\n'."),
        (GTIN_RAW, "datamatrix", InvalidFormat,
         ("Invalid symbol kind 'datamatrix': expected one of 'gs1-datamatrix', 'gs1-qr', 'qr'. "
          "Hint: use jejak.printers.symbols.SymbolKind.")),
    ],
)  # fmt: skip
def test_encode_raw_refuses_junk(
    raw: object, kind: SymbolKind, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        encode_raw(raw, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: encode(GTIN_CODE, SymbolKind.QR), InvalidCombination,
         (f"Invalid symbol kind 'qr' for the element string {GTIN_CODE.hri!r}: expected "
          "'gs1-datamatrix' or 'gs1-qr'. Hint: a GS1 code needs FNC1; print a BPOM-issued "
          "plain code with encode_raw(text, SymbolKind.QR).")),
        (lambda: encode(GTIN_CODE, SymbolKind.GS1_QR, backend=Backend.LIBDMTX),
         InvalidCombination,
         ("Invalid backend 'libdmtx' for 'gs1-qr': expected one of zxing. Hint: libdmtx makes "
          "only DataMatrix; segno has no FNC1, so GS1 QR needs zxing.")),
        (lambda: encode(GTIN_CODE, backend=Backend.SEGNO), InvalidCombination,
         "Invalid backend 'segno' for 'gs1-datamatrix': expected one of libdmtx, zxing."),
        (lambda: encode_raw(b"ID", SymbolKind.QR, backend=Backend.LIBDMTX), InvalidCombination,
         "Invalid backend 'libdmtx' for 'qr': expected one of segno, zxing."),
        (lambda: encode(GTIN_CODE, SymbolKind.GS1_QR, shape=Shape.RECTANGLE),
         InvalidCombination,
         ("Invalid shape 'rectangle' for 'gs1-qr': expected 'square'. Hint: only DataMatrix "
          "has rectangular sizes.")),
        (lambda: encode(GTIN_CODE, backend="zint"), InvalidFormat,  # type: ignore[arg-type]
         "Invalid backend 'zint': expected one of 'libdmtx', 'zxing', 'segno'."),
        (lambda: encode(GTIN_CODE, shape="round"), InvalidFormat,  # type: ignore[arg-type]
         "Invalid shape 'round': expected one of 'square', 'rectangle'."),
        (lambda: encode(GTIN_CODE, SymbolKind.GS1_QR, ec_level="X"),  # type: ignore[arg-type]
         InvalidFormat,
         "Invalid error correction level 'X': expected one of 'L', 'M', 'Q', 'H'."),
        (lambda: encode(GTIN_CODE.raw), InvalidFormat,  # type: ignore[arg-type]
         (f"Invalid code {GTIN_CODE.raw!r}: expected an ElementString, got str. "
          "Hint: ElementString.parse() the text first.")),
    ],
)  # fmt: skip
def test_wrong_arguments(call: object, error: type[Exception], message: str) -> None:
    assert callable(call)
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_kinds_backends_and_levels_may_be_given_as_text() -> None:
    expected = encode(GTIN_CODE, SymbolKind.GS1_QR, ec_level=ErrorCorrection.Q)
    assert encode(GTIN_CODE, "gs1-qr", backend="zxing", ec_level="Q") == expected  # type: ignore[arg-type]


def test_to_image() -> None:
    symbol = encode(GTIN_CODE)
    image = to_image(symbol, 3)
    assert image.dtype == np.uint8
    assert image.shape == ((22 + 2) * 3, (22 + 2) * 3)
    assert set(np.unique(image).tolist()) == {0, 255}
    expected = np.pad(np.where(symbol.modules, 0, 255), 1, constant_values=255)
    assert (image == np.kron(expected, np.ones((3, 3), int))).all()
    bare = to_image(symbol, 1, quiet_zone=False)
    assert (bare == np.where(symbol.modules, 0, 255)).all()
    qr = encode(GTIN_CODE, SymbolKind.GS1_QR)
    assert to_image(qr, 2).shape == ((25 + 8) * 2, (25 + 8) * 2)
    assert (symbol.quiet_zone, qr.quiet_zone) == (1, 4)


@pytest.mark.parametrize(
    ("module_px", "error", "message"),
    [
        (0, InvalidQuantity,
         ("Invalid module size 0: expected 1 to 64 pixels. Hint: at 600 dpi a 0.25 mm module "
          "is 6 px.")),
        (65, InvalidQuantity, "Invalid module size 65: expected 1 to 64 pixels."),
        (2.5, InvalidFormat,
         "Invalid module size 2.5: expected an int number of pixels. Hint: e.g. 4."),
        (True, InvalidFormat, "Invalid module size True: expected an int number of pixels."),
    ],
)  # fmt: skip
def test_to_image_refuses_bad_module_sizes(
    module_px: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        to_image(encode(GTIN_CODE), module_px)  # type: ignore[arg-type]


def test_verify_names_what_was_expected_and_what_was_read() -> None:
    good = encode(GTIN_CODE)
    wrong_data = Symbol(good.kind, good.modules, b"0109506000134352")
    with pytest.raises(SymbolError, match=re.escape(
        f"Symbol 22x22 does not read back: expected ]d2 b'0109506000134352', got ]d2 "
        f"{GTIN_RAW!r}. Hint: a lost FNC1 reads as ]d1 or ]Q1; re-encode with another backend "
        "and report the failing data."
    )):  # fmt: skip
        verify(wrong_data)
    # A DataMatrix without FNC1 (what pylibdmtx's own encode() makes) reads as ]d1.
    plain = zxingcpp.create_barcode(GTIN_CODE.raw, zxingcpp.BarcodeFormat.DataMatrix)
    modules = np.asarray(plain.to_image(add_quiet_zones=False)) < 128
    lost = Symbol(SymbolKind.GS1_DATAMATRIX, modules, GTIN_RAW)
    with pytest.raises(SymbolError, match=re.escape(f"expected ]d2 {GTIN_RAW!r}, got ]d1")):
        verify(lost)
    blank = Symbol(SymbolKind.GS1_QR, np.zeros((21, 21), bool), b"01")
    with pytest.raises(SymbolError, match=re.escape("expected ]Q3 b'01', got no read.")):
        verify(blank)


def test_read_finds_both_formats_in_one_image() -> None:
    datamatrix = to_image(encode(GTIN_CODE), 4)
    qr = to_image(encode_raw(b"BPOM-ID-1", SymbolKind.QR), 4)
    height = max(datamatrix.shape[0], qr.shape[0])
    image = np.full((height + 40, datamatrix.shape[1] + qr.shape[1] + 60), 255, np.uint8)
    image[20 : 20 + datamatrix.shape[0], 20 : 20 + datamatrix.shape[1]] = datamatrix
    image[
        20 : 20 + qr.shape[0], 40 + datamatrix.shape[1] : 40 + datamatrix.shape[1] + qr.shape[1]
    ] = qr
    found = sorted(read(image), key=lambda d: d.data)
    assert found == [
        Decoded(Symbology.GS1_DATAMATRIX, GTIN_RAW),
        Decoded(Symbology.QR, b"BPOM-ID-1"),
    ]
    assert read(image, SymbolKind.QR) == [Decoded(Symbology.QR, b"BPOM-ID-1")]
    assert read(np.full((100, 100), 255, np.uint8)) == []


def test_symbol_is_an_immutable_value() -> None:
    modules = np.eye(10, dtype=bool)
    symbol = Symbol(SymbolKind.GS1_DATAMATRIX, modules, b"01")
    modules[0, 0] = False  # the caller's array stays the caller's
    assert symbol.modules[0, 0]
    assert not symbol.modules.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        symbol.modules[0, 0] = False
    assert encode(GTIN_CODE) == encode(GTIN_CODE)
    assert hash(encode(GTIN_CODE)) == hash(encode(GTIN_CODE))
    assert encode(GTIN_CODE) != encode(GTIN_CODE, backend=Backend.ZXING, shape=Shape.RECTANGLE)
    assert encode(GTIN_CODE) != "symbol"
    assert (
        repr(symbol)
        == "Symbol(kind=<SymbolKind.GS1_DATAMATRIX: 'gs1-datamatrix'>, size='10x10', data=b'01')"
    )


@pytest.mark.parametrize("modules", [np.eye(3), np.zeros(9, bool), [[True]]])
def test_symbol_refuses_other_matrices(modules: object) -> None:
    with pytest.raises(InvalidFormat, match=re.escape(
        "expected a 2-D numpy bool array. Hint: build symbols with encode() or encode_raw()."
    )):  # fmt: skip
        Symbol(SymbolKind.QR, modules, b"x")  # type: ignore[arg-type]


def test_missing_libdmtx_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    libdmtx_module._libdmtx.cache_clear()
    monkeypatch.setitem(sys.modules, "pylibdmtx", None)
    try:
        with pytest.raises(SymbolError, match=re.escape(
            "Hint: install the system library (Debian: apt install libdmtx0b), or pass "
            "backend=Backend.ZXING."
        )):  # fmt: skip
            encode(GTIN_CODE)
        assert encode(GTIN_CODE, backend=Backend.ZXING).data == GTIN_RAW
    finally:
        libdmtx_module._libdmtx.cache_clear()

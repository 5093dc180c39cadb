"""GS1 DataMatrix through libdmtx: pylibdmtx's ctypes wrapper, with FNC1 set to GS.

pylibdmtx's own `encode()` cannot make GS1 (libdmtx's FNC1 property is not exposed), so the
wrapper's functions are called directly. The C library is loaded on first use, and a missing one
is a `SymbolError` that names the package to install.

>>> datamatrix_libdmtx(b"0109506000134352", Shape.SQUARE).shape
(16, 16)
"""

from __future__ import annotations

import ctypes
import warnings
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jejak.engine.errors import SymbolError
from jejak.printers.symbols.symbol import Matrix, Shape

__all__ = ["datamatrix_libdmtx", "too_long_for_rectangle"]


def too_long_for_rectangle(raw: bytes) -> SymbolError:
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


def datamatrix_libdmtx(raw: bytes, shape: Shape) -> Matrix:
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
                raise too_long_for_rectangle(raw)
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

"""Module matrices of the symbols Jejak prints: GS1 DataMatrix, GS1 QR and plain QR.

`symbol` holds the value objects, `encode` the encoders (with `libdmtx` for the fastest GS1
DataMatrix), `verify` the rendering and the read-back with zxing-cpp.

>>> from jejak.engine.gs1 import ElementString
>>> from jejak.engine.symbology import Symbology
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
"""

from __future__ import annotations

from jejak.printers.symbols.encode import encode, encode_raw
from jejak.printers.symbols.symbol import (
    Backend,
    Decoded,
    ErrorCorrection,
    Matrix,
    Shape,
    Symbol,
    SymbolKind,
)
from jejak.printers.symbols.verify import read, to_image, verify

__all__ = [
    "Backend",
    "Decoded",
    "ErrorCorrection",
    "Matrix",
    "Shape",
    "Symbol",
    "SymbolKind",
    "encode",
    "encode_raw",
    "read",
    "to_image",
    "verify",
]

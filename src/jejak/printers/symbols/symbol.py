"""The value objects of symbols: what Jejak prints (`SymbolKind`), how (`Shape`, `Backend`,
`ErrorCorrection`), a module matrix with its data (`Symbol`) and a read (`Decoded`).

A `Symbol` is a numpy bool matrix (True = dark module, no quiet zone) and the bytes a reader must
report for it. GS1 symbols carry FNC1 in first position and the element string's raw form (GS
between variable-length fields); a reader reports them as ``]d2`` or ``]Q3``. A plain QR carries
a BPOM-issued code exactly as given and reads as ``]Q1``.

>>> SymbolKind.GS1_QR.symbology, SymbolKind.QR.quiet_zone, SymbolKind.QR.is_gs1
(<Symbology.GS1_QR: ']Q3'>, 4, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias, TypeVar

import numpy as np
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe

__all__ = ["Backend", "Decoded", "ErrorCorrection", "Matrix", "Shape", "Symbol", "SymbolKind"]

Matrix: TypeAlias = NDArray[np.bool_]  # True = dark module


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


@dataclass(frozen=True, slots=True, eq=False)
class Symbol:
    """A symbol's module matrix (read-only, True = dark, no quiet zone) and the data it carries:
    for GS1 kinds the raw element string after the FNC1 (GS-separated), else the plain text.
    """

    kind: SymbolKind
    modules: Matrix
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

"""The software reader: zxing-cpp on grey frames from a plain camera (one that sends pixels, not
decoded results).

A plain camera on a pharma line sees one pack at a time: one symbol of a known kind, printed
upright within a few degrees, dark on light, at the module size the optics were set up for. So
the reader asks zxing-cpp for that kind's format only, and turns off the searches a general
scanner needs (90/270 degree rotation, downscaled copies, inverted images): each costs a full
extra detection on a frame that has no symbol to find (a no-read, a misprint), and a frame that
has one does not need them. zxing-cpp's defaults spend about 30 ms on a noisy 640x480 frame with
a 24x24 DataMatrix; this reader about 0.3 ms (`bench/test_bench_reader.py`). Without the
rotation search a DataMatrix turned by more than about 45 degrees is not read (the search would
cost 7 ms on every bare pack): mount the camera so that the symbol is upright.

Two binarizers, tried in order, the second only when the first reads nothing:

1. ``GlobalHistogram`` (one threshold per row from the histogram): fast (about 0.25 ms on such a
   frame) and the better one on a low-contrast symbol on a dark pack;
2. ``LocalAverage`` (zxing-cpp's default, a threshold per 8x8 block): twice as slow when it
   reads, and 2 ms when it does not, but it reads most of the blurred, small-module and
   low-contrast frames the first misses.

Their union is what counts; the order only decides the time. Measured on sets of 48 to 100
frames of a 24x24 DataMatrix and of version-3 QRs (clean, blurred, small modules, faded, faded on
a dark pack), the global one first was the faster order in every set, median and mean: 0.3-0.4
against 0.6-0.9 ms median where most frames read. On the benchmark's 48 degraded frames the
first pass reads 32, both 44, the local binarizer alone 35. Matching is on
the raw bytes (GS-separated for GS1) and the symbology identifier zxing-cpp reports (``]d2``,
``]d1``, ``]Q3``, ``]Q1``), never on the HRI text.

The Python binding of zxing-cpp 3.1 has no reusable reader-options object (``ReaderOptions`` is
C++ only): each call passes its keywords, which costs microseconds against a detection's
fraction of a millisecond. `read_one` asks for one symbol (zxing-cpp stops at the first), which
is about four times faster than asking for all of them with the local binarizer.

>>> from jejak.printers.symbols import encode_raw, to_image
>>> symbol = encode_raw(b"0109506000134352", SymbolKind.GS1_DATAMATRIX)
>>> reader = SoftwareReader(SymbolKind.GS1_DATAMATRIX)
>>> reader.read_one(to_image(symbol, 4))
Decoded(symbology=<Symbology.GS1_DATAMATRIX: ']d2'>, data=b'0109506000134352')
>>> reader.last_pass, reader.first_pass_reads, reader.second_pass_reads, reader.no_reads
(<ReadPass.FIRST: 1>, 1, 0, 0)
>>> reader.read_one(np.full((480, 640), 200, np.uint8)) is None, reader.no_reads
(True, 1)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeAlias

import numpy as np
import zxingcpp
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe
from jejak.printers.symbols import Decoded, SymbolKind

__all__ = ["Corners", "Detection", "ReadPass", "SoftwareReader"]

Corners: TypeAlias = tuple[
    tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]
]
"""A symbol's corners in frame pixels (x, y): top-left, top-right, bottom-right, bottom-left as
the symbol is printed (so rotated with it)."""

_BINARIZERS = (zxingcpp.Binarizer.GlobalHistogram, zxingcpp.Binarizer.LocalAverage)
_SYMBOLOGIES: dict[str, Symbology] = {s.value: s for s in Symbology}


class ReadPass(IntEnum):
    """Which pass read a frame: the first binarizer, or the second after the first read nothing."""

    FIRST = 1
    SECOND = 2


@dataclass(frozen=True, slots=True)
class Detection:
    """A read and where it was: what a grader needs besides the data.

    `modules` is the symbol's size in modules (rows, columns) as the decoder found it;
    `unused_ec` the fraction of the error correction capacity left unused (1.0: no codeword
    needed correcting), as zxing-cpp's decoder reports it, or None if it did not.
    """

    decoded: Decoded
    corners: Corners
    modules: tuple[int, int] | None
    unused_ec: float | None
    read_pass: ReadPass

    @property
    def center(self) -> tuple[float, float]:
        return (
            sum(x for x, _ in self.corners) / 4.0,
            sum(y for _, y in self.corners) / 4.0,
        )

    @property
    def module_px(self) -> float | None:
        """The mean module size in frame pixels (from the corners and `modules`)."""
        if self.modules is None:
            return None
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = self.corners
        rows, columns = self.modules
        top, bottom = math.hypot(bx - ax, by - ay), math.hypot(cx - dx, cy - dy)
        left, right = math.hypot(dx - ax, dy - ay), math.hypot(cx - bx, cy - by)
        return ((top + bottom) / columns + (left + right) / rows) / 4.0


class SoftwareReader:
    """Decode frames with zxing-cpp, restricted to one `kind`'s format, no rotation, downscale
    or inversion search, a second binarizer only when the first reads nothing
    (``second_pass=False``: the first only).

    The counters say which pass read: `first_pass_reads`, `second_pass_reads`, `no_reads`
    (frames), and `last_pass` (None after a no-read). A reader is cheap and keeps no other
    state; give each camera its own, as the counters are not locked.
    """

    __slots__ = (
        "_format",
        "first_pass_reads",
        "kind",
        "last_pass",
        "no_reads",
        "second_pass",
        "second_pass_reads",
    )

    def __init__(self, kind: SymbolKind, *, second_pass: bool = True) -> None:
        if not isinstance(kind, SymbolKind):
            names = ", ".join(repr(str(k)) for k in SymbolKind)
            raise InvalidFormat(
                f"Invalid symbol kind {describe(kind)}: expected one of {names}. "
                "Hint: use jejak.printers.symbols.SymbolKind."
            )
        self.kind = kind
        self.second_pass = bool(second_pass)
        self._format = (
            zxingcpp.BarcodeFormat.DataMatrix
            if kind is SymbolKind.GS1_DATAMATRIX
            else zxingcpp.BarcodeFormat.QRCode
        )
        self.first_pass_reads = 0
        self.second_pass_reads = 0
        self.no_reads = 0
        self.last_pass: ReadPass | None = None

    def __repr__(self) -> str:
        return f"SoftwareReader({self.kind!r}, second_pass={self.second_pass!r})"

    # --- the single expected symbol ------------------------------------------------------------

    def read_one(self, frame: NDArray[np.uint8]) -> Decoded | None:
        """The one symbol of the kind in `frame` (the first zxing-cpp finds), or None."""
        found = self.detect_one(frame)
        return None if found is None else found.decoded

    def detect_one(self, frame: NDArray[np.uint8], *, pure: bool = False) -> Detection | None:
        """As `read_one`, with where the symbol is and what its decoder saw. `pure` says the
        frame is a clean upright rendering with its quiet zone (as `to_image` draws): much
        faster, and nothing else reads."""
        image = _checked(frame)
        for read_pass in self._passes():
            barcode = zxingcpp.read_barcode(image, is_pure=pure, **self._options(read_pass))
            if barcode is not None and barcode.valid:
                self._count(read_pass)
                return _detection(barcode, read_pass)
        self._count(None)
        return None

    # --- every symbol of the kind --------------------------------------------------------------

    def read(self, frame: NDArray[np.uint8], *, expect: int = 1) -> list[Decoded]:
        """Every symbol of the kind in `frame` (a case-packer layer image has many). The second
        binarizer runs when the first found fewer than `expect`; what it adds is kept (a symbol
        both passes found counts once, by position: two packs with the same code stay two)."""
        return [found.decoded for found in self.detect(frame, expect=expect)]

    def detect(self, frame: NDArray[np.uint8], *, expect: int = 1) -> list[Detection]:
        """As `read`, with where each symbol is and what its decoder saw.

        A frame of many symbols that both passes left short of `expect` is read once more in
        windows (half its size, at quarter steps, so each symbol smaller than a quarter of
        the frame lies whole in one): zxing-cpp's detector, looking for many symbols in one
        frame, now and then misses one that it reads alone (about one label in a hundred in
        a case packer's layer of 30)."""
        image = _checked(frame)
        found: list[Detection] = []
        last: ReadPass | None = None
        for read_pass in self._passes():
            if read_pass is ReadPass.SECOND and len(found) >= expect:
                break
            barcodes = zxingcpp.read_barcodes(image, **self._options(read_pass))
            if self._merge(found, [_detection(b, read_pass) for b in barcodes if b.valid]):
                last = read_pass
        if expect > 1 and len(found) < expect and self._windowed(image, found):
            last = last or ReadPass.FIRST
        self._count(last)
        return found

    def _windowed(self, image: NDArray[np.uint8], found: list[Detection]) -> bool:
        """The third look (see `detect`): whether it added any."""
        height, width = image.shape
        added = False
        for y in range(0, 3 * height // 4, height // 4 or 1):
            for x in range(0, 3 * width // 4, width // 4 or 1):
                window = np.ascontiguousarray(image[y : y + height // 2, x : x + width // 2])
                barcodes = zxingcpp.read_barcodes(window, **self._options(ReadPass.FIRST))
                more = [_shifted(_detection(b, ReadPass.FIRST), x, y)
                        for b in barcodes if b.valid]  # fmt: skip
                added |= self._merge(found, more)
        return added

    @staticmethod
    def _merge(found: list[Detection], more: list[Detection]) -> bool:
        new = [d for d in more if not any(_same_place(d, old) for old in found)]
        found.extend(new)
        return bool(new)

    # --- plumbing ------------------------------------------------------------------------------

    def _passes(self) -> tuple[ReadPass, ...]:
        return (ReadPass.FIRST, ReadPass.SECOND) if self.second_pass else (ReadPass.FIRST,)

    def _options(self, read_pass: ReadPass) -> dict[str, Any]:
        return {
            "formats": self._format,
            "try_rotate": False,
            "try_downscale": False,
            "try_invert": False,
            "binarizer": _BINARIZERS[read_pass - 1],
        }

    def _count(self, read_pass: ReadPass | None) -> None:
        self.last_pass = read_pass
        if read_pass is ReadPass.FIRST:
            self.first_pass_reads += 1
        elif read_pass is ReadPass.SECOND:
            self.second_pass_reads += 1
        else:
            self.no_reads += 1


def _checked(frame: object) -> NDArray[np.uint8]:
    if not (isinstance(frame, np.ndarray) and frame.dtype == np.uint8 and frame.ndim == 2):
        shown = (
            f"array of {frame.dtype} with shape {frame.shape}"
            if isinstance(frame, np.ndarray)
            else describe(frame)
        )
        raise InvalidFormat(
            f"Invalid frame {shown}: expected a 2-D numpy uint8 array (grey, 0 dark). "
            "Hint: convert colour frames to grey first, e.g. PIL's convert('L')."
        )
    if frame.shape[0] < 1 or frame.shape[1] < 1:
        raise InvalidFormat(
            f"Invalid frame shape {frame.shape!r}: expected at least 1x1 pixels. "
            "Hint: check the camera's image size."
        )
    return frame


def _detection(barcode: Any, read_pass: ReadPass) -> Detection:
    position = barcode.position
    corners: Corners = (
        (float(position.top_left.x), float(position.top_left.y)),
        (float(position.top_right.x), float(position.top_right.y)),
        (float(position.bottom_right.x), float(position.bottom_right.y)),
        (float(position.bottom_left.x), float(position.bottom_left.y)),
    )
    extra: dict[str, object] = barcode.extra or {}
    unused = extra.get("UEC")
    decoded = Decoded(_SYMBOLOGIES.get(barcode.symbology_identifier), bytes(barcode.bytes))
    return Detection(
        decoded,
        corners,
        _modules(extra.get("Version"), barcode.format),
        float(unused) if isinstance(unused, int | float) else None,
        read_pass,
    )


def _shifted(found: Detection, x: int, y: int) -> Detection:
    """A detection in a window, placed in the whole frame."""
    a, b, c, d = ((px + x, py + y) for px, py in found.corners)
    return dataclasses.replace(found, corners=(a, b, c, d))


def _modules(version: object, barcode_format: object) -> tuple[int, int] | None:
    """The size in modules from zxing-cpp's "Version": ``'24x24'`` for DataMatrix (rows x
    columns), the QR version number ``'3'`` (17 + 4 v modules a side)."""
    if not isinstance(version, str):
        return None
    if barcode_format == zxingcpp.BarcodeFormat.DataMatrix:
        rows, _, columns = version.partition("x")
        if rows.isascii() and rows.isdecimal() and columns.isascii() and columns.isdecimal():
            return int(rows), int(columns)
        return None
    if version.isascii() and version.isdecimal():
        side = 17 + 4 * int(version)
        return side, side
    return None


def _same_place(one: Detection, other: Detection) -> bool:
    """Two reads of one symbol: their centres closer than a quarter of the smaller side."""
    (ax, ay), (bx, by) = one.center, other.center

    def side(d: Detection) -> float:
        (x0, y0), (x1, y1) = d.corners[0], d.corners[1]
        return math.hypot(x1 - x0, y1 - y0)

    return math.hypot(ax - bx, ay - by) < min(side(one), side(other)) / 4.0

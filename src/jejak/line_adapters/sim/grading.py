"""ISO/IEC 15415 grading of a decoded symbol in a frame, as a smart camera with grading appends
it: two of the standard's parameters, measured honestly, and the overall grade.

Each parameter is graded A (4.0), B (3.0), C (2.0), D (1.0) or F (0.0); the overall symbol
grade is the lowest parameter grade (a symbol that does not decode is F). Measured here:

- **Symbol contrast (SC)**: Rmax - Rmin, the highest and lowest reflectance in the inspection
  area (the symbol and its quiet zone), as a percentage of the 0-255 grey range, on the image
  seen through the measuring aperture (ISO/IEC 15415 uses a circular aperture of 0.8 X for
  this kind of symbol; here the square of odd side nearest to the circle's area, centred on
  each pixel).
  A >= 70 %, B >= 55 %, C >= 40 %, D >= 20 %, F below.
- **Unused error correction (UEC)**: the fraction of the error correction capacity the
  reference decode did not need. As ISO/IEC 15415's reference decode does, the grid's module
  centres (from the corners and the size in modules) are sampled through the aperture and
  binarized at the global threshold halfway between Rmax and Rmin; the module matrix is drawn
  clean and decoded by zxing-cpp, which reports the fraction. A >= 0.62, B >= 0.50,
  C >= 0.37, D >= 0.25, F below. A DataMatrix's finder L and clock track are drawn as printed
  (their damage is the fixed pattern damage parameter, and the decode needs them to find the
  grid). A symbol the reference decode does not read, or reads differently, is F overall,
  though the camera's reader read it.

The reader's own UEC is no grade: its first pass thresholds each row against a histogram the
pack around the label dominates, and about one clean frame in 400 read there has its error
correction spent where the reference decode finds nothing to correct (measured: 0 of 2000
default frames below C this way, 5 from the reader's own UEC).

Not measured: modulation and reflectance margin (graded codeword by codeword, which needs each
symbology's codeword placement), axial and grid non-uniformity, fixed pattern damage and print
growth. The overall grade is therefore the lower of SC and UEC (F if the reference decode
fails): a real verifier's can only be lower.

The inspection area comes from the reader (`Detection`: the corners zxing-cpp found and the size
in modules), expanded by the kind's quiet zone and clipped to the frame, as a camera does it.

>>> Grading(symbol_contrast=62.5, unused_ec=1.0).overall
Grade(value=3.0, letter_form=False)
>>> contrast_grade(19.9).letter, contrast_grade(70.0).letter, unused_ec_grade(0.3).letter
('F', 'A', 'D')
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.camera.reader import Corners, Detection, SoftwareReader
from jejak.line_adapters.camera.result import Grade
from jejak.printers.symbols import SymbolKind

__all__ = ["Grading", "contrast_grade", "grade", "symbol_contrast", "unused_ec_grade"]

# Lower bounds of A, B, C and D (ISO/IEC 15415); below the last is F.
_SC_BANDS = (70.0, 55.0, 40.0, 20.0)
_UEC_BANDS = (0.62, 0.50, 0.37, 0.25)
_APERTURE = 0.8  # diameter in X (module widths)
_GRADES = tuple(Grade.parse(v) for v in (4.0, 3.0, 2.0, 1.0, 0.0))


@dataclass(frozen=True, slots=True)
class Grading:
    """The measured parameters of one symbol (SC in percent; UEC as a fraction, None when the
    decoder did not report it; whether the reference decode read it) and their grades."""

    symbol_contrast: float
    unused_ec: float | None
    decodes: bool = True

    @property
    def contrast_grade(self) -> Grade:
        return contrast_grade(self.symbol_contrast)

    @property
    def unused_ec_grade(self) -> Grade | None:
        return None if self.unused_ec is None else unused_ec_grade(self.unused_ec)

    @property
    def overall(self) -> Grade:
        """The lowest parameter grade; F if the reference decode fails."""
        if not self.decodes:
            return _GRADES[-1]
        uec = self.unused_ec_grade
        sc = self.contrast_grade
        return sc if uec is None else min(sc, uec)


def contrast_grade(percent: float) -> Grade:
    """The ISO/IEC 15415 grade of a symbol contrast in percent."""
    return _banded(percent, _SC_BANDS)


def unused_ec_grade(fraction: float) -> Grade:
    """The ISO/IEC 15415 grade of the unused error correction (0.0 to 1.0)."""
    return _banded(fraction, _UEC_BANDS)


def grade(frame: NDArray[np.uint8], detection: Detection, kind: SymbolKind) -> Grading:
    """Measure the symbol the reader found in `frame`: SC, then the reference decode."""
    if detection.modules is None:
        raise InvalidFormat(
            f"Invalid detection {detection!r}: expected the symbol's size in modules. "
            "Hint: the reader reports it for DataMatrix and QR; grade only their reads."
        )
    seen = _Seen.of(frame, detection.corners, detection.modules, kind.quiet_zone)
    dark = seen.sampled(detection.corners, detection.modules)
    if kind is SymbolKind.GS1_DATAMATRIX:
        _restore_border(dark)
    rendered = _rendered(dark, kind)
    reader = SoftwareReader(kind, second_pass=False)
    reference = reader.detect_one(rendered, pure=True) or reader.detect_one(rendered)
    if reference is None or reference.decoded != detection.decoded:
        return Grading(seen.contrast, None, decodes=False)
    return Grading(seen.contrast, reference.unused_ec)


def symbol_contrast(
    frame: NDArray[np.uint8],
    corners: Corners,
    modules: tuple[int, int],
    *,
    quiet_zone: int,
) -> float:
    """SC in percent: Rmax - Rmin through the aperture, over the symbol whose `corners` (top
    left, top right, bottom right, bottom left) span `modules` (rows, columns), and its quiet
    zone of `quiet_zone` modules."""
    return _Seen.of(frame, corners, modules, quiet_zone).contrast


class _Seen:
    """The inspection area through the aperture: the sums over the aperture around each pixel
    of the area's bounding box (`sums`), which of them are in the area (`inside`), and the
    highest and lowest sums there."""

    __slots__ = ("high", "inside", "low", "origin", "side", "sums")

    def __init__(
        self,
        sums: NDArray[np.uint16],
        inside: NDArray[np.bool_],
        side: int,
        origin: tuple[int, int],
    ) -> None:
        values = sums[inside]
        if values.size == 0:
            raise InvalidQuantity(
                "Invalid symbol corners: expected an area of at least one pixel. "
                "Hint: grade the corners the reader reported."
            )
        self.sums, self.inside, self.side, self.origin = sums, inside, side, origin
        self.high, self.low = int(values.max()), int(values.min())

    @classmethod
    def of(
        cls, frame: NDArray[np.uint8], corners: Corners, modules: tuple[int, int], quiet: int
    ) -> _Seen:
        rows, columns = modules
        x_px = _module_px(corners, rows, columns)
        radius = max(0, round((_APERTURE * x_px * math.sqrt(math.pi) / 2.0 - 1.0) / 2.0))
        # The aperture stays inside the quiet zone: its edge, blurred into the pack, is not
        # part of the symbol's reflectance.
        area = _expanded(corners, rows, columns, max(0.0, quiet - (radius + 1.0) / x_px))
        height, width = frame.shape
        xs, ys = [x for x, _ in area], [y for _, y in area]
        left = max(radius, math.floor(min(xs)))
        right = min(width - radius, math.ceil(max(xs)) + 1)
        top = max(radius, math.floor(min(ys)))
        bottom = min(height - radius, math.ceil(max(ys)) + 1)
        if right - left < 1 or bottom - top < 1:
            raise InvalidQuantity(
                f"Invalid symbol corners {corners!r}: expected the symbol inside the "
                f"{height}x{width} frame. Hint: grade the corners the reader reported."
            )
        box = (top, bottom, left, right)
        sums = _through_aperture(frame, box, radius)
        return cls(sums, _inside(area, box), 2 * radius + 1, (top, left))

    @property
    def contrast(self) -> float:
        return (self.high - self.low) * 100.0 / (255.0 * self.side * self.side)

    def sampled(self, corners: Corners, modules: tuple[int, int]) -> NDArray[np.bool_]:
        """The module grid's centres through the aperture, dark where at or below the global
        threshold halfway between Rmax and Rmin (True = dark), rows top to bottom as printed."""
        rows, columns = modules
        u = (np.arange(columns) + 0.5) / columns
        v = (np.arange(rows) + 0.5) / rows
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = corners
        top, left = self.origin
        height, width = self.sums.shape
        # Bilinear in (u, v): a + u (b - a) + v (d - a) + u v (a - b + c - d), in box pixels.
        x = np.add.outer(v * (dx - ax), u * (bx - ax)) + np.outer(v, u * (ax - bx + cx - dx))
        y = np.add.outer(v * (dy - ay), u * (by - ay)) + np.outer(v, u * (ay - by + cy - dy))
        ix = np.clip(np.floor(x + (ax - left)).astype(np.intp), 0, width - 1)
        iy = np.clip(np.floor(y + (ay - top)).astype(np.intp), 0, height - 1)
        dark: NDArray[np.bool_] = 2 * self.sums[iy, ix].astype(np.int32) <= self.high + self.low
        return dark


def _restore_border(dark: NDArray[np.bool_]) -> None:
    """Set a DataMatrix's finder L (left column, bottom row) and clock track (top row dark on
    even columns, right column dark on odd rows) as they are printed: their damage is the
    fixed pattern damage parameter, not unused error correction, and the reference decode
    needs them to find the grid. (Larger symbols' inner alignment patterns stay as sampled.)"""
    rows, columns = dark.shape
    dark[0, :] = np.arange(columns) % 2 == 0
    dark[:, -1] = np.arange(rows) % 2 == 1
    dark[:, 0] = True
    dark[-1, :] = True


def _rendered(dark: NDArray[np.bool_], kind: SymbolKind) -> NDArray[np.uint8]:
    """A module matrix drawn for the reference decode: 3 px per module, the kind's quiet zone
    (at least 2 modules)."""
    quiet = max(2, kind.quiet_zone)
    rows, columns = dark.shape
    image = np.full((rows + 2 * quiet, columns + 2 * quiet), 255, np.uint8)
    image[quiet : quiet + rows, quiet : quiet + columns][dark] = 0
    return np.repeat(np.repeat(image, 3, axis=0), 3, axis=1)


# --- plumbing ----------------------------------------------------------------------------------


def _banded(value: float, bands: tuple[float, ...]) -> Grade:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InvalidFormat(
            f"Invalid measurement {describe(value)}: expected a number. "
            "Hint: measure with symbol_contrast() or take the reader's unused_ec."
        )
    for low, grade_ in zip(bands, _GRADES, strict=False):
        if value >= low:
            return grade_
    return _GRADES[-1]


def _point(corners: Corners, u: float, v: float) -> tuple[float, float]:
    """The point at (u, v) of the quadrilateral (0..1 along the top, 0..1 down the left)."""
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = corners
    return (
        (1 - u) * (1 - v) * ax + u * (1 - v) * bx + u * v * cx + (1 - u) * v * dx,
        (1 - u) * (1 - v) * ay + u * (1 - v) * by + u * v * cy + (1 - u) * v * dy,
    )


def _expanded(corners: Corners, rows: int, columns: int, quiet_zone: float) -> Corners:
    du, dv = quiet_zone / columns, quiet_zone / rows
    return (
        _point(corners, -du, -dv),
        _point(corners, 1 + du, -dv),
        _point(corners, 1 + du, 1 + dv),
        _point(corners, -du, 1 + dv),
    )


def _module_px(corners: Corners, rows: int, columns: int) -> float:
    (ax, ay), (bx, by), (cx, cy), (dx, dy) = corners
    across = (math.hypot(bx - ax, by - ay) + math.hypot(cx - dx, cy - dy)) / (2 * columns)
    down = (math.hypot(dx - ax, dy - ay) + math.hypot(cx - bx, cy - by)) / (2 * rows)
    return (across + down) / 2.0


def _through_aperture(
    frame: NDArray[np.uint8], box: tuple[int, int, int, int], radius: int
) -> NDArray[np.uint16]:
    """The sum over a (2 radius + 1)² square around each pixel of the `box` (top, bottom, left,
    right; inside the frame with the square), summed along the rows, then down the columns."""
    top, bottom, left, right = box
    window = frame[top - radius : bottom + radius, left - radius : right + radius]
    wide = window.astype(np.uint16)
    columns, rows = right - left, bottom - top
    across = wide[:, :columns].copy()
    for k in range(1, 2 * radius + 1):
        across += wide[:, k : k + columns]
    total = across[:rows].copy()
    for k in range(1, 2 * radius + 1):
        total += across[k : k + rows]
    return total


def _inside(area: Corners, box: tuple[int, int, int, int]) -> NDArray[np.bool_]:
    """Which pixels of the `box` (top, bottom, left, right) the quadrilateral `area` covers."""
    top, bottom, left, right = box
    mask = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).polygon([(x - left, y - top) for x, y in area], fill=1)
    inside: NDArray[np.bool_] = np.asarray(mask)
    return inside

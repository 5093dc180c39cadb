"""The smart-camera simulator's photograph of a printed label on a pack: a grey frame.

A `Photographer` takes the label as a printer renders it (8-bit grey, white 255 background,
black 0 modules, any whole number of pixels per module: `jejak.printers.symbols.to_image`, the
ZPL simulator's ``render``) and makes what a camera over the conveyor would see:

- the label scaled to a module size in frame pixels drawn from `module_px` (4 to 6 by default:
  a 24x24 DataMatrix about 120 px wide in a 640x480 frame), rotated by an angle drawn from
  `rotation_deg`, at a random place on a pack of a grey drawn from `background`;
- the print's reflectance: ink `dark` and substrate `light` grey levels, the dark level faded
  towards the light one by a fraction drawn from `contrast_loss`;
- optics: a Gaussian blur of a sigma drawn from `blur` (applied as passes of the binomial
  kernel [1 2 1]/4, each adding a variance of 0.5 px², so sigma is rounded to the nearest
  achievable 0.71, 1.0, 1.22 ... px);
- sensor noise: Gaussian with sigma `noise` grey levels, clipped at 3 sigma;
- with probability `smear`, a thin streak of ink across the symbol (a readable blemish).

A fault injector asks for a `Damage`: a heavy smear or a wiped half (a misprint no reader can
decode) or faded ink (reads, but the symbol contrast grades D, under the default minimum C).

Fast, because the line runs it for every pack: the label is resampled (nearest neighbour, PIL)
and blurred only in its own patch, and the frame is a constant background plus a window, at a
random offset, into a bank of noise drawn once. Grey levels are kept 3 sigma inside 0-255 so
that the noise adds in uint8 without overflow (a camera's black and white are not 0 and 255
either). About 0.3 ms per 640x480 frame on a 2-vCPU EPYC (`bench/test_bench_reader.py`).

A photographer draws everything from one seeded `numpy.random.Generator`: the same seed and the
same labels give the same frames. It is not locked: give each camera its own.

>>> from jejak.printers.symbols import SymbolKind, encode_raw, to_image
>>> label = to_image(encode_raw(b"0109506000134352", SymbolKind.GS1_DATAMATRIX), 1)
>>> frame = Photographer(seed=7).shoot(label)
>>> frame.shape, frame.dtype.name
((480, 640), 'uint8')
>>> bool(np.array_equal(frame, Photographer(seed=7).shoot(label)))
True
"""

from __future__ import annotations

import math
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.text import describe

__all__ = ["Damage", "Photographer"]

_NOISE_PAD = 64  # the noise bank is this much larger than a frame each way: 65² windows
_MARGIN = 3  # background pixels around the label in its patch, for the blur to spread into
_FADED_CONTRAST = (0.22, 0.32)  # symbol contrast of faded ink, as a fraction of 0-255: grade D
_SMEAR_WIDTH = (0.35, 0.5)  # a heavy smear's width, as a fraction of the symbol's side
_STREAK_WIDTH = (0.3, 0.6)  # a thin streak's width, in modules
_STREAK_LENGTH = 0.6  # a thin streak's length, as a fraction of the symbol's side
_STREAK_INK = (0.5, 0.8)  # how far a thin streak's grey lies from the ink towards the substrate
_RAMP = np.arange(256, dtype=np.float64) / 255.0

Span = tuple[float, float]


class Damage(StrEnum):
    """A misprint or a fault the photograph shows, as a fault injector asks for it."""

    SMEAR = "smear"  # a band of ink across the middle of the symbol: unreadable
    WIPED = "wiped"  # half the symbol wiped off (a side drawn at random): unreadable
    FADED = "faded"  # faded ink: reads, symbol contrast 22-32 % (ISO/IEC 15415 grade D)


class Photographer:
    """Photographs labels into grey frames of `size` (rows, columns); see the module doc for
    what each setting does. Spans are ``(low, high)``, or one number for a fixed value."""

    __slots__ = (
        "_bank",
        "_headroom",
        "_rng",
        "background",
        "blur",
        "contrast_loss",
        "dark",
        "light",
        "module_px",
        "noise",
        "rotation_deg",
        "size",
        "smear",
    )

    def __init__(
        self,
        *,
        size: tuple[int, int] = (480, 640),
        seed: int | None = None,
        rotation_deg: float | Span = (-15.0, 15.0),
        module_px: float | Span = (4.0, 6.0),
        blur: float | Span = (0.5, 1.0),
        noise: float = 6.0,
        contrast_loss: float | Span = (0.0, 0.2),
        smear: float = 0.0,
        background: float | Span = (110.0, 190.0),
        ink: tuple[int, int] = (16, 240),
    ) -> None:
        self.size = _size(size)
        self.rotation_deg = _span("rotation_deg", rotation_deg, -180.0, 180.0, "degrees")
        self.module_px = _span("module_px", module_px, 1.0, 32.0, "pixels per module")
        self.blur = _span("blur", blur, 0.0, 4.0, "pixels (Gaussian sigma)")
        self.noise = _number("noise", noise, 0.0, 40.0, "grey levels (Gaussian sigma)")
        self.contrast_loss = _span("contrast_loss", contrast_loss, 0.0, 1.0, "of the contrast")
        self.smear = _number("smear", smear, 0.0, 1.0, "probability per shot")
        self.background = _span("background", background, 0.0, 255.0, "grey levels")
        self._headroom = math.ceil(3.0 * self.noise)
        self.dark, self.light = _ink(ink, self._headroom)
        self._rng = np.random.default_rng(seed)
        self._bank = self._noise_bank()

    def shoot(
        self,
        label: NDArray[np.uint8],
        *,
        damage: Damage | None = None,
        label_module_px: int | None = None,
    ) -> NDArray[np.uint8]:
        """A frame of `label` on a pack. `label_module_px` is the label's own pixels per
        module (None: measured from the label, the narrowest run of dark pixels)."""
        image = _label(label)
        if damage is not None and not isinstance(damage, Damage):
            names = ", ".join(repr(str(d)) for d in Damage)
            raise InvalidFormat(
                f"Invalid damage {describe(damage)}: expected one of {names} or None. "
                "Hint: use jejak.line_adapters.sim.photograph.Damage."
            )
        own = _module_of(image) if label_module_px is None else _label_px(label_module_px)
        rng, headroom = self._rng, self._headroom
        # One draw for the whole shot: angle, scale, blur, fading, background, faded contrast,
        # place in the frame (2), window of the noise bank (2).
        u = rng.random(10).tolist()
        angle = math.radians(_at(self.rotation_deg, u[0]))
        scale = _at(self.module_px, u[1]) / own
        passes = round(2.0 * _at(self.blur, u[2]) ** 2)
        floor = self._floor(u[4])
        light = self.light
        if damage is Damage.FADED:
            dark = max(light - _at(_FADED_CONTRAST, u[5]) * 255.0, self.dark)
        else:
            dark = self.dark + _at(self.contrast_loss, u[3]) * (light - self.dark)
        if damage is Damage.WIPED:
            image = _wiped(image, rng)
        if max(image.shape) * scale + 2 * (_MARGIN + passes) > min(self.size):
            image = _cropped(image, own)  # the camera frames the symbol, not the whole label
        lut = np.rint(dark - headroom + (light - dark) * _RAMP).astype(np.uint8)
        toned = lut[image]
        placing = _Placing(image.shape, angle, scale, _MARGIN + passes)
        source = Image.frombuffer("L", (toned.shape[1], toned.shape[0]), toned, "raw", "L", 0, 1)
        patch = placing.place(source, floor, self.size)
        heavy = damage is Damage.SMEAR
        if heavy or (self.smear and rng.random() < self.smear):
            levels = (dark - headroom, light - headroom)
            _streak(patch, rng, placing, image, own=own, heavy=heavy, levels=levels)
        return self._framed(_blurred(np.asarray(patch), passes), floor, u[6:])

    def blank(self) -> NDArray[np.uint8]:
        """A frame of a pack without a label: the background and the noise."""
        u = self._rng.random(5).tolist()
        return self._framed(np.empty((0, 0), np.uint8), self._floor(u[0]), u[1:])

    # --- plumbing ------------------------------------------------------------------------------

    def _floor(self, u: float) -> int:
        """The pack's grey, less the noise headroom (the frame before the noise is added)."""
        grey = round(_at(self.background, u)) - self._headroom
        return min(max(grey, 0), 255 - 2 * self._headroom)

    def _noise_bank(self) -> NDArray[np.uint8] | None:
        if self._headroom == 0:
            return None
        rows, columns = self.size
        noise = self._rng.standard_normal((rows + _NOISE_PAD, columns + _NOISE_PAD), np.float32)
        noise *= np.float32(self.noise)
        np.clip(np.rint(noise, out=noise), -self._headroom, self._headroom, out=noise)
        noise += np.float32(self._headroom)
        return noise.astype(np.uint8)

    def _framed(self, patch: NDArray[np.uint8], floor: int, u: list[float]) -> NDArray[np.uint8]:
        rows, columns = self.size
        frame = np.full((rows, columns), floor, np.uint8)
        ph, pw = patch.shape
        top, left = int(u[0] * (rows - ph + 1)), int(u[1] * (columns - pw + 1))
        frame[top : top + ph, left : left + pw] = patch
        if self._bank is not None:
            y, x = int(u[2] * (_NOISE_PAD + 1)), int(u[3] * (_NOISE_PAD + 1))
            np.add(frame, self._bank[y : y + rows, x : x + columns], out=frame)
        return frame


class _Placing:
    """The label scaled by `scale` and rotated by `angle` (radians) about its centre, in a
    patch just large enough with `margin` pixels of background around it."""

    __slots__ = ("angle", "cos", "height", "label_shape", "margin", "scale", "sin", "width")

    def __init__(
        self, label_shape: tuple[int, ...], angle: float, scale: float, margin: int
    ) -> None:
        rows, columns = label_shape
        self.label_shape = (rows, columns)
        self.angle, self.scale, self.margin = angle, scale, margin
        self.cos, self.sin = math.cos(angle), math.sin(angle)
        c, s = abs(self.cos), abs(self.sin)
        self.width = math.ceil(scale * (c * columns + s * rows)) + 2 * margin
        self.height = math.ceil(scale * (s * columns + c * rows)) + 2 * margin

    def to_patch(self, x: float, y: float) -> tuple[float, float]:
        """A point of the label (pixels, x right, y down) in the patch."""
        rows, columns = self.label_shape
        u, v = x - columns / 2.0, y - rows / 2.0
        return (
            self.width / 2.0 + self.scale * (self.cos * u - self.sin * v),
            self.height / 2.0 + self.scale * (self.sin * u + self.cos * v),
        )

    def place(self, label: Image.Image, fill: int, size: tuple[int, int]) -> Image.Image:
        rows, columns = size
        if self.height > rows or self.width > columns:
            raise InvalidQuantity(
                f"Invalid label size {self.label_shape!r} at {self.scale:.2f}x: expected it to "
                f"fit a {rows}x{columns} frame, but it needs {self.height}x{self.width}. "
                "Hint: lower module_px or enlarge the frame."
            )
        # PIL maps each patch pixel back into the label: p = R^T (p' - q) / s + c.
        lr, lc = self.label_shape
        a, b = self.cos / self.scale, self.sin / self.scale
        qx, qy = self.width / 2.0, self.height / 2.0
        coefficients = (a, b, lc / 2.0 - a * qx - b * qy, -b, a, lr / 2.0 + b * qx - a * qy)
        return label.transform(
            (self.width, self.height),
            Image.Transform.AFFINE,
            coefficients,
            resample=Image.Resampling.NEAREST,
            fillcolor=fill,
        )


# --- validation --------------------------------------------------------------------------------


def _size(size: object) -> tuple[int, int]:
    if (
        isinstance(size, tuple)
        and len(size) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in size)
        and all(32 <= v <= 4096 for v in size)
    ):
        return size[0], size[1]
    raise InvalidQuantity(
        f"Invalid frame size {describe(size)}: expected (rows, columns), each 32 to 4096 "
        "pixels. Hint: (480, 640) is VGA."
    )


def _number(name: str, value: object, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidFormat(
            f"Invalid {name} {describe(value)}: expected a number of {unit}. Hint: e.g. {high / 4}."
        )
    if not low <= value <= high:
        raise InvalidQuantity(
            f"Invalid {name} {value!r}: expected {low} to {high} {unit}. Hint: e.g. {high / 4}."
        )
    return float(value)


def _span(name: str, value: object, low: float, high: float, unit: str) -> Span:
    if isinstance(value, tuple) and len(value) == 2:
        first = _number(name, value[0], low, high, unit)
        last = _number(name, value[1], low, high, unit)
        if first <= last:
            return first, last
        raise InvalidQuantity(
            f"Invalid {name} {value!r}: expected (low, high) with low <= high. "
            f"Hint: e.g. ({first}, {first})."
        )
    one = _number(name, value, low, high, unit)
    return one, one


def _ink(ink: object, headroom: int) -> tuple[float, float]:
    """The ink and substrate grey levels, kept `headroom` inside 0-255 for the noise."""
    if (
        isinstance(ink, tuple)
        and len(ink) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in ink)
    ):
        dark, light = max(ink[0], headroom), min(ink[1], 255 - headroom)
        if dark < light:
            return float(dark), float(light)
    raise InvalidQuantity(
        f"Invalid ink {describe(ink)}: expected (dark, light) grey levels 0-255 with dark "
        f"below light, also after keeping {headroom} levels from 0 and 255 for the noise. "
        "Hint: (16, 240) is black ink on white; lower the noise for less headroom."
    )


def _label(label: object) -> NDArray[np.uint8]:
    if not (isinstance(label, np.ndarray) and label.dtype == np.uint8 and label.ndim == 2):
        shown = (
            f"array of {label.dtype} with shape {label.shape}"
            if isinstance(label, np.ndarray)
            else describe(label)
        )
        raise InvalidFormat(
            f"Invalid label {shown}: expected a 2-D numpy uint8 array (white 255, black 0). "
            "Hint: render with jejak.printers.symbols.to_image."
        )
    return label


def _label_px(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise InvalidQuantity(
            f"Invalid label module size {describe(value)}: expected 1 to 64 pixels. "
            "Hint: to_image(symbol, 1) renders one pixel per module."
        )
    return value


# --- the label ---------------------------------------------------------------------------------


def _dark_runs(image: NDArray[np.uint8]) -> NDArray[np.intp]:
    """The lengths of the runs of dark pixels along the rows."""
    rows, columns = image.shape
    padded = np.zeros((rows, columns + 2), np.int8)
    np.less(image, 128, out=padded[:, 1:-1], casting="unsafe")
    edges = np.flatnonzero(np.diff(padded.ravel()))
    runs: NDArray[np.intp] = edges[1::2] - edges[::2]
    return runs


def _module_of(image: NDArray[np.uint8]) -> int:
    """The label's pixels per module: its narrowest dark run (every DataMatrix and QR has
    one-module dark runs, in its timing patterns)."""
    runs = _dark_runs(image)
    if runs.size == 0:
        raise InvalidFormat(
            f"Invalid label of shape {image.shape!r}: expected dark modules, found no pixel "
            "below 128. Hint: a label is white 255 with black 0 modules."
        )
    return int(runs.min())


def _dark_box(image: NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Top, bottom, left, right (exclusive) of the dark pixels."""
    dark = image < 128
    rows, columns = np.flatnonzero(dark.any(axis=1)), np.flatnonzero(dark.any(axis=0))
    if rows.size == 0:
        return 0, image.shape[0], 0, image.shape[1]
    return int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1


def _cropped(image: NDArray[np.uint8], own: int) -> NDArray[np.uint8]:
    """The symbol with a 4-module light margin (QR's quiet zone; DataMatrix needs 1)."""
    top, bottom, left, right = _dark_box(image)
    pad = 4 * own
    out = np.full((bottom - top + 2 * pad, right - left + 2 * pad), 255, np.uint8)
    out[pad:-pad, pad:-pad] = image[top:bottom, left:right]
    return out


def _wiped(image: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """A copy with the symbol's left, right, top or bottom half turned light."""
    top, bottom, left, right = _dark_box(image)
    out = image.copy()
    side = int(rng.integers(0, 4))
    middle_row, middle_column = (top + bottom) // 2, (left + right) // 2
    if side == 0:
        out[top:bottom, left:middle_column] = 255
    elif side == 1:
        out[top:bottom, middle_column:right] = 255
    elif side == 2:
        out[top:middle_row, left:right] = 255
    else:
        out[middle_row:bottom, left:right] = 255
    return out


def _streak(
    patch: Image.Image,
    rng: np.random.Generator,
    placing: _Placing,
    image: NDArray[np.uint8],
    *,
    own: int,
    heavy: bool,
    levels: tuple[float, float],
) -> None:
    """Draw a streak of ink across the symbol: a band of full ink over the middle, as long as
    the symbol (heavy), or a short thin line of part ink (a blemish a reader gets past)."""
    top, bottom, left, right = _dark_box(image)
    side = max(bottom - top, right - left) * placing.scale
    u = rng.random(5).tolist()
    reach = 0.1 if heavy else 0.3
    x = (left + right) / 2.0 + (2.0 * u[0] - 1.0) * reach * (right - left)
    y = (top + bottom) / 2.0 + (2.0 * u[1] - 1.0) * reach * (bottom - top)
    cx, cy = placing.to_patch(x, y)
    direction, half = math.pi * u[2], side / 2.0 if heavy else side * _STREAK_LENGTH / 2.0
    dx, dy = math.cos(direction) * half, math.sin(direction) * half
    dark, light = levels
    if heavy:
        width, ink = _at(_SMEAR_WIDTH, u[3]) * side, dark
    else:
        width = _at(_STREAK_WIDTH, u[3]) * own * placing.scale
        ink = dark + _at(_STREAK_INK, u[4]) * (light - dark)
    ImageDraw.Draw(patch).line(
        [(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=round(ink), width=max(1, round(width))
    )


# --- optics ------------------------------------------------------------------------------------


def _at(span: Span, u: float) -> float:
    """The point a fraction `u` (0 <= u < 1) along `span`."""
    low, high = span
    return low + u * (high - low)


def _blurred(pixels: NDArray[np.uint8], passes: int) -> NDArray[np.uint8]:
    """`passes` rounds of the binomial kernel [1 2 1]/4 along both axes (Gaussian sigma
    sqrt(passes / 2) px); the outermost pixels, background, stay as they are."""
    if passes == 0:
        return pixels
    work = pixels.astype(np.uint16)
    for _ in range(passes):
        pairs = work[:, :-1] + work[:, 1:]
        work[:, 1:-1] = (pairs[:, :-1] + pairs[:, 1:] + 2) >> 2
        pairs = work[:-1] + work[1:]
        work[1:-1] = (pairs[:-1] + pairs[1:] + 2) >> 2
    return work.astype(np.uint8)

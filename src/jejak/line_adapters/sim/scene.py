"""Scenes for the camera simulator: what the camera sees and decodes at trigger n, from real
pixels.

A scene is a ``Callable[[int], Shot]``: the camera simulator calls it with the trigger number
(1-based) and answers in its wire format with the `Shot`. `PixelScene` is the real thing: for
trigger n it takes the label pixels of the pack under the camera, photographs them
(`Photographer`: rotation, blur, noise, fading, smear), decodes the frame with the software
reader (zxing-cpp) and, if asked, grades the symbol (ISO/IEC 15415 symbol contrast and unused
error correction). A pack without a label is photographed too, bare, and reads as nothing: a
real camera spends the most time on exactly those frames.

It counts the CPU time of each stage (`Stage`: render, photograph, decode, grade) in
nanoseconds of the calling thread (`time.thread_time_ns`), so the line can report CPU per pack
by stage; `times()` gives a snapshot. A scene is locked: one shot at a time.

>>> scene = code_scene([b"0109506000134352"], SymbolKind.GS1_DATAMATRIX, seed=1)
>>> scene(1)
Shot(data=b'0109506000134352', symbology=<Symbology.GS1_DATAMATRIX: ']d2'>, grade=None)
>>> scene(2)  # no code 2: a pack without a label
Shot(data=None, symbology=None, grade=None)
>>> times = scene.times()
>>> times.shots, times.render_ns > 0, times.decode_ns > 0
(2, True, True)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat
from jejak.engine.text import describe
from jejak.line_adapters.camera.reader import SoftwareReader
from jejak.line_adapters.sim.camera import Shot
from jejak.line_adapters.sim.grading import grade as grade_symbol
from jejak.line_adapters.sim.photograph import Damage, Photographer
from jejak.printers.symbols import Backend, SymbolKind, encode_raw, to_image

__all__ = ["PixelScene", "Stage", "StageTimes", "code_scene", "label_pixels"]

# The fastest encoder of each kind (measured: libdmtx 0.16 ms against zxing-cpp 0.19 ms for a
# 24x24 GS1 DataMatrix; zxing-cpp 0.23 ms against segno 7 ms for a plain version-3 QR).
_FASTEST = {
    SymbolKind.GS1_DATAMATRIX: Backend.LIBDMTX,
    SymbolKind.GS1_QR: Backend.ZXING,
    SymbolKind.QR: Backend.ZXING,
}

Labels = Callable[[int], NDArray[np.uint8] | None]


class Stage(StrEnum):
    """The stages of a shot whose CPU time a scene counts."""

    RENDER = "render"  # the label's pixels (the labels callable)
    PHOTOGRAPH = "photograph"
    DECODE = "decode"
    GRADE = "grade"


@dataclass(frozen=True, slots=True)
class StageTimes:
    """CPU nanoseconds spent per stage over `shots` shots."""

    shots: int
    render_ns: int
    photograph_ns: int
    decode_ns: int
    grade_ns: int

    def of(self, stage: Stage) -> int:
        return {
            Stage.RENDER: self.render_ns,
            Stage.PHOTOGRAPH: self.photograph_ns,
            Stage.DECODE: self.decode_ns,
            Stage.GRADE: self.grade_ns,
        }[stage]

    @property
    def total_ns(self) -> int:
        return self.render_ns + self.photograph_ns + self.decode_ns + self.grade_ns


def label_pixels(raw: bytes, kind: SymbolKind) -> NDArray[np.uint8]:
    """The label a printer prints for `raw` (the bytes it received: a GS1 raw element string
    or a plain QR text), one pixel per module with the kind's quiet zone (white 255, black 0),
    through the fastest encoder of the kind."""
    symbol = encode_raw(raw, kind, backend=_FASTEST[kind])
    return to_image(symbol, 1)


class PixelScene:
    """For trigger n: `labels(n)` (None: no label on the pack), photographed, decoded by
    `reader` (default: a `SoftwareReader` of `kind`), graded if `grade`. `damage(n)`, if
    given, names the misprint the photograph shows on pack n; `label_module_px` is the labels'
    pixels per module if known (else the photographer measures it on each label)."""

    __slots__ = (
        "_lock",
        "_ns",
        "_shots",
        "damage",
        "grade",
        "kind",
        "label_module_px",
        "labels",
        "photographer",
        "reader",
    )

    def __init__(
        self,
        labels: Labels,
        kind: SymbolKind,
        photographer: Photographer,
        *,
        reader: SoftwareReader | None = None,
        grade: bool = False,
        damage: Callable[[int], Damage | None] | None = None,
        label_module_px: int | None = None,
    ) -> None:
        if not isinstance(kind, SymbolKind):
            names = ", ".join(repr(str(k)) for k in SymbolKind)
            raise InvalidFormat(
                f"Invalid symbol kind {describe(kind)}: expected one of {names}. "
                "Hint: use jejak.printers.symbols.SymbolKind."
            )
        if reader is not None and reader.kind is not kind:
            raise InvalidFormat(
                f"Invalid reader {reader!r} for {str(kind)!r}: expected a reader of the same "
                "kind. Hint: SoftwareReader(kind)."
            )
        self.labels, self.kind, self.photographer = labels, kind, photographer
        self.reader = SoftwareReader(kind) if reader is None else reader
        self.grade, self.damage = bool(grade), damage
        self.label_module_px = label_module_px
        self._lock = threading.Lock()
        self._shots = 0
        self._ns = dict.fromkeys(Stage, 0)

    def __call__(self, n: int) -> Shot:
        clock = time.thread_time_ns
        with self._lock:
            ns = self._ns
            start = clock()
            label = self.labels(n)
            taken = clock()
            ns[Stage.RENDER] += taken - start
            if label is None:
                frame = self.photographer.blank()
            else:
                damage = None if self.damage is None else self.damage(n)
                frame = self.photographer.shoot(
                    label, damage=damage, label_module_px=self.label_module_px
                )
            shot = clock()
            ns[Stage.PHOTOGRAPH] += shot - taken
            found = self.reader.detect_one(frame)
            read = clock()
            ns[Stage.DECODE] += read - shot
            self._shots += 1
            if found is None:
                return Shot(None, None)
            if not self.grade:
                return Shot(found.decoded.data, found.decoded.symbology)
            overall = grade_symbol(frame, found, self.kind).overall
            ns[Stage.GRADE] += clock() - read
            return Shot(found.decoded.data, found.decoded.symbology, overall)

    def times(self) -> StageTimes:
        """The CPU time per stage so far."""
        with self._lock:
            ns = self._ns
            return StageTimes(
                self._shots,
                ns[Stage.RENDER],
                ns[Stage.PHOTOGRAPH],
                ns[Stage.DECODE],
                ns[Stage.GRADE],
            )


def code_scene(
    codes: Sequence[bytes],
    kind: SymbolKind,
    *,
    seed: int | None = None,
    grade: bool = False,
) -> PixelScene:
    """The scene of `jejak camera sim --codes FILE`: trigger n shows code n (1-based; the raw
    bytes a printer received) printed as `kind`, photographed by a default `Photographer`
    seeded with `seed`; past the end, packs without a label."""
    items = list(codes)
    for index, code in enumerate(items, 1):
        if not isinstance(code, bytes):
            raise InvalidFormat(
                f"Invalid code {describe(code)} at {index}: expected bytes. "
                "Hint: pass the raw element strings, e.g. code.raw.encode('ascii')."
            )

    def labels(n: int) -> NDArray[np.uint8] | None:
        return label_pixels(items[n - 1], kind) if 1 <= n <= len(items) else None

    return PixelScene(labels, kind, Photographer(seed=seed), grade=grade, label_module_px=1)

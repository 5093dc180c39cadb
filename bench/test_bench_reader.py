"""The software reader and the camera simulator's pixels (`make bench`).

Target (issue 10): the software reader, median <= 2 ms per 640x480 frame (goal 1 ms), with
pylibdmtx in the same run as the baseline. Frames are generated here from fixed seeds, nothing
binary is stored: a 24x24 GS1 DataMatrix photographed by the camera simulator's `Photographer`
(rotated up to 15 degrees either way, 4-6 px per module, blur, Gaussian noise sigma 8).

- timings: our reader (`read_one`, the line's call; `read`, every symbol), zxing-cpp with its
  defaults, pylibdmtx ``decode(frame, max_count=1, timeout=1000)`` (a few rounds: it takes
  up to a second a frame);
- read rates on 48 degraded frames (faded, blurred, small modules, streaks, dark packs): the
  first pass only, both passes, the local binarizer alone (the other order's first pass),
  zxing-cpp's defaults and pylibdmtx. Counts are printed and kept in the benchmark's
  extra_info; the only assertion is that the second pass never loses a read;
- the simulator's own cost per pack: rendering the label, photographing it, grading, and a
  whole `PixelScene` shot.

Each timed call takes the next of the frames (or codes), as a line does.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pytest
import zxingcpp
from numpy.typing import NDArray
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.reader import SoftwareReader
from jejak.line_adapters.sim.grading import grade
from jejak.line_adapters.sim.photograph import Photographer
from jejak.line_adapters.sim.scene import code_scene, label_pixels
from jejak.printers.symbols import Decoded, SymbolKind

with warnings.catch_warnings():  # pylibdmtx compares versions with distutils
    warnings.simplefilter("ignore", DeprecationWarning)
    from pylibdmtx import pylibdmtx

T = TypeVar("T")
KIND = SymbolKind.GS1_DATAMATRIX
RAW = b"01095060001343521728103110B2611001\x1d21ABCDEFGHJK"  # 24x24 with libdmtx
EXPECTED = Decoded(Symbology.GS1_DATAMATRIX, RAW)
N_FRAMES = 48
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODES = [
    b"01095060001343521728103110B2611001\x1d21"
    + "".join(ALPHABET[(n * 7919 + 13 * i * i) % 32] for i in range(10)).encode()
    for n in range(1000)
]
DEGRADED = {
    "noise": 10.0,
    "blur": (0.7, 1.4),
    "module_px": (3.5, 5.0),
    "contrast_loss": (0.2, 0.6),
    "smear": 0.5,
    "background": (40.0, 220.0),
}


def _feed(items: list[T]) -> Callable[[], T]:
    return itertools.cycle(items).__next__


@pytest.fixture(scope="module")
def label() -> NDArray[np.uint8]:
    return label_pixels(RAW, KIND)


@pytest.fixture(scope="module")
def frames(label: NDArray[np.uint8]) -> list[NDArray[np.uint8]]:
    photographer = Photographer(seed=2026, noise=8.0)
    return [photographer.shoot(label) for _ in range(N_FRAMES)]


@pytest.fixture(scope="module")
def degraded(label: NDArray[np.uint8]) -> list[NDArray[np.uint8]]:
    photographer = Photographer(seed=2026, **DEGRADED)  # type: ignore[arg-type]
    return [photographer.shoot(label) for _ in range(N_FRAMES)]


# --- the reader on noisy rotated frames --------------------------------------------------------


def test_reader_read_one(benchmark: BenchmarkFixture, frames: list[NDArray[np.uint8]]) -> None:
    """The line's call: the one expected symbol (zxing-cpp stops at the first)."""
    reader = SoftwareReader(KIND)
    following = _feed(frames)
    read = benchmark(lambda: reader.read_one(following()))
    assert read == EXPECTED
    benchmark.extra_info["passes"] = {
        "first": reader.first_pass_reads,
        "second": reader.second_pass_reads,
        "none": reader.no_reads,
    }


def test_reader_read_all(benchmark: BenchmarkFixture, frames: list[NDArray[np.uint8]]) -> None:
    """Every symbol of the kind (a layer image's call), on the same one-symbol frames."""
    reader = SoftwareReader(KIND)
    following = _feed(frames)
    reads = benchmark(lambda: reader.read(following()))
    assert reads == [EXPECTED]


def test_reader_no_read(benchmark: BenchmarkFixture) -> None:
    """A bare pack: both passes run and find nothing (the worst case per frame)."""
    photographer = Photographer(seed=7, noise=8.0)
    blanks = [photographer.blank() for _ in range(8)]
    reader = SoftwareReader(KIND)
    following = _feed(blanks)
    assert benchmark(lambda: reader.read_one(following())) is None


def test_baseline_zxing_defaults(
    benchmark: BenchmarkFixture, frames: list[NDArray[np.uint8]]
) -> None:
    """Baseline: zxing-cpp's read_barcodes with its defaults (every format, rotation,
    downscale and inversion search, the local binarizer)."""
    following = _feed(frames)
    found = benchmark(lambda: zxingcpp.read_barcodes(following()))
    assert [(b.symbology_identifier, b.bytes) for b in found] == [("]d2", RAW)]


def test_baseline_pylibdmtx_decode(
    benchmark: BenchmarkFixture, frames: list[NDArray[np.uint8]]
) -> None:
    """Baseline: pylibdmtx's decode with one symbol wanted and a 1 s timeout. It reports the
    data without the GS separators, so it cannot be matched on raw bytes."""
    following = _feed(frames)
    benchmark.pedantic(
        lambda: pylibdmtx.decode(following(), max_count=1, timeout=1000), rounds=3, iterations=1
    )


# --- read rates on degraded frames ------------------------------------------------------------


def _zxing_reads(frames: list[NDArray[np.uint8]], **options: object) -> int:
    return sum(
        any(b.bytes == RAW and b.symbology_identifier == "]d2" for b in found)
        for found in (zxingcpp.read_barcodes(frame, **options) for frame in frames)
    )


def test_read_rate_on_degraded_frames(
    benchmark: BenchmarkFixture, degraded: list[NDArray[np.uint8]]
) -> None:
    """Reads out of 48 degraded frames, first pass only against both passes, with the local
    binarizer alone (what the other order's first pass reads) and the defaults as a check."""

    def rates() -> dict[str, int]:
        first = SoftwareReader(KIND, second_pass=False)
        both = SoftwareReader(KIND)
        return {
            "first_pass": sum(first.read_one(frame) == EXPECTED for frame in degraded),
            "two_passes": sum(both.read_one(frame) == EXPECTED for frame in degraded),
            "second_pass_reads": both.second_pass_reads,
            "local_average_alone": _zxing_reads(
                degraded,
                formats=zxingcpp.BarcodeFormat.DataMatrix,
                try_rotate=False,
                try_downscale=False,
                try_invert=False,
            ),
            "zxing_defaults": _zxing_reads(degraded),
            "frames": len(degraded),
        }

    counts = benchmark.pedantic(rates, rounds=1, iterations=1)
    benchmark.extra_info.update(counts)
    print(f"\nreads on {N_FRAMES} degraded frames: {counts}")
    assert counts["two_passes"] >= counts["first_pass"]


def test_read_rate_pylibdmtx_on_degraded_frames(
    benchmark: BenchmarkFixture, degraded: list[NDArray[np.uint8]]
) -> None:
    """pylibdmtx on the same 48 frames, 1 s each at most: a read is its data equal to ours
    without the GS separators (which it drops)."""
    plain = RAW.replace(b"\x1d", b"")

    def rate() -> int:
        return sum(
            any(d.data == plain for d in pylibdmtx.decode(frame, max_count=1, timeout=1000))
            for frame in degraded
        )

    reads = benchmark.pedantic(rate, rounds=1, iterations=1)
    benchmark.extra_info["pylibdmtx_reads"] = reads
    print(f"\npylibdmtx reads on {N_FRAMES} degraded frames: {reads}")


# --- the camera simulator's cost per pack -------------------------------------------------------


def test_label_pixels(benchmark: BenchmarkFixture) -> None:
    """Render a printed code: encode (libdmtx) and one pixel per module."""
    following = _feed(CODES)
    image = benchmark(lambda: label_pixels(following(), KIND))
    assert image.shape in {(24, 24), (26, 26)}  # 22x22 or 24x24 modules and the quiet zone


def test_photograph_shoot(benchmark: BenchmarkFixture, label: NDArray[np.uint8]) -> None:
    photographer = Photographer(seed=1, noise=8.0)
    frame = benchmark(photographer.shoot, label)
    assert frame.shape == (480, 640)


def test_photograph_shoot_module_given(
    benchmark: BenchmarkFixture, label: NDArray[np.uint8]
) -> None:
    """As above, told the label's module size instead of measuring it."""
    photographer = Photographer(seed=1, noise=8.0)
    frame = benchmark(lambda: photographer.shoot(label, label_module_px=1))
    assert frame.shape == (480, 640)


def test_grade(benchmark: BenchmarkFixture, frames: list[NDArray[np.uint8]]) -> None:
    """ISO/IEC 15415 symbol contrast through the aperture, and unused EC, of one read."""
    found = SoftwareReader(KIND).detect_one(frames[0])
    assert found is not None
    graded = benchmark(grade, frames[0], found, KIND)
    assert graded.overall.letter in "AB"


@pytest.mark.parametrize("graded", [False, True], ids=["ungraded", "graded"])
def test_scene_shot(benchmark: BenchmarkFixture, graded: bool) -> None:
    """A whole camera-simulator shot: render, photograph, decode (and grade)."""
    scene = code_scene(CODES, KIND, seed=1, grade=graded)
    triggers = itertools.cycle(range(1, len(CODES) + 1)).__next__
    shot = benchmark(lambda: scene(triggers()))
    assert shot.data in CODES
    times = scene.times()
    per_shot = {
        "render_us": times.render_ns / times.shots / 1e3,
        "photograph_us": times.photograph_ns / times.shots / 1e3,
        "decode_us": times.decode_ns / times.shots / 1e3,
        "grade_us": times.grade_ns / times.shots / 1e3,
    }
    benchmark.extra_info.update(per_shot)
    print(f"\nCPU per shot by stage ({times.shots} shots): {per_shot}")

"""ISO/IEC 15415 grading on real frames: symbol contrast measured through the aperture on
photographs of known contrast, unused error correction as the decoder reports it."""

from __future__ import annotations

import numpy as np
import pytest

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.line_adapters.camera.reader import Detection, ReadPass, SoftwareReader
from jejak.line_adapters.camera.result import Grade
from jejak.line_adapters.sim.grading import (
    Grading,
    contrast_grade,
    grade,
    symbol_contrast,
    unused_ec_grade,
)
from jejak.line_adapters.sim.photograph import Photographer
from jejak.line_adapters.sim.scene import label_pixels
from jejak.printers.symbols import Decoded, SymbolKind, encode_raw, to_image

GS1_RAW = b"01095060001343521728103110B2611001\x1d21ABCDEFGHJK"
QR_TEXT = b"https://cekbpom.pom.go.id/id/ABCDEFGHJK"


def _detected(frame: np.ndarray, kind: SymbolKind) -> Detection:
    found = SoftwareReader(kind).detect_one(frame)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("ink", "contrast", "letter"),
    [
        ((0, 255), 100.0, "A"),
        ((40, 230), 74.5, "A"),
        ((50, 230), 70.6, "A"),
        ((60, 220), 62.7, "B"),
        ((80, 200), 47.1, "C"),
        ((100, 180), 31.4, "D"),
        ((110, 150), 15.7, "F"),
    ],
)
@pytest.mark.parametrize(
    ("kind", "raw"), [(SymbolKind.GS1_DATAMATRIX, GS1_RAW), (SymbolKind.QR, QR_TEXT)]
)
def test_symbol_contrast_of_frames_of_known_contrast(
    ink: tuple[int, int], contrast: float, letter: str, kind: SymbolKind, raw: bytes
) -> None:
    """Without noise the aperture sees the ink and the substrate exactly, blur or not (the
    symbol has dark and light areas wider than the aperture); the pack around the label, as
    dark as the darkest ink here or darker, is outside the inspection area."""
    for blur in (0.0, 1.0):
        photographer = Photographer(
            seed=2, noise=0.0, blur=blur, contrast_loss=0.0, ink=ink, background=60.0
        )
        frame = photographer.shoot(label_pixels(raw, kind))
        graded = grade(frame, _detected(frame, kind), kind)
        assert graded.symbol_contrast == pytest.approx(contrast, abs=0.1)
        assert graded.contrast_grade.letter == letter
        assert graded.unused_ec == 1.0
        assert graded.overall == Grade.parse(letter)


def test_noise_raises_the_measured_contrast_only_a_little() -> None:
    """The aperture averages the sensor noise: SC stays within a few percent of the print's."""
    label = label_pixels(GS1_RAW, SymbolKind.GS1_DATAMATRIX)
    photographer = Photographer(seed=8, noise=6.0, contrast_loss=0.0, ink=(60, 220))
    for _ in range(10):
        frame = photographer.shoot(label)
        measured = grade(
            frame, _detected(frame, SymbolKind.GS1_DATAMATRIX), SymbolKind.GS1_DATAMATRIX
        )
        assert 62.7 <= measured.symbol_contrast <= 70.0


def test_symbol_contrast_on_a_drawn_frame() -> None:
    """A symbol drawn at known corners: the inspection area ends at the quiet zone, so a
    black border one module outside it does not count."""
    symbol = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 5, quiet_zone=False)
    frame = np.zeros((200, 200), np.uint8)  # black pack
    frame[45:175, 45:175] = 230  # the label: substrate 230, one module (5 px) of quiet zone
    frame[50:170, 50:170] = np.where(symbol < 128, 70, 230)
    corners = ((50.0, 50.0), (170.0, 50.0), (170.0, 170.0), (50.0, 170.0))
    sc = symbol_contrast(frame, corners, (24, 24), quiet_zone=1)
    assert sc == pytest.approx(160 * 100 / 255)


@pytest.mark.parametrize(
    ("percent", "letter"),
    [
        (100.0, "A"),
        (70.0, "A"),
        (69.99, "B"),
        (55.0, "B"),
        (54.9, "C"),
        (40.0, "C"),
        (39.9, "D"),
        (20.0, "D"),
        (19.99, "F"),
        (0.0, "F"),
    ],
)
def test_contrast_grade_bands(percent: float, letter: str) -> None:
    assert contrast_grade(percent) == Grade.parse(letter)


@pytest.mark.parametrize(
    ("fraction", "letter"),
    [
        (1.0, "A"),
        (0.62, "A"),
        (0.61, "B"),
        (0.5, "B"),
        (0.49, "C"),
        (0.37, "C"),
        (0.36, "D"),
        (0.25, "D"),
        (0.24, "F"),
        (0.0, "F"),
    ],
)
def test_unused_error_correction_bands(fraction: float, letter: str) -> None:
    assert unused_ec_grade(fraction) == Grade.parse(letter)


@pytest.mark.parametrize(
    ("contrast", "unused", "overall"),
    [
        (80.0, 1.0, "A"),
        (80.0, 0.4, "C"),
        (45.0, 0.9, "C"),
        (30.0, 0.55, "D"),
        (90.0, 0.1, "F"),
        (60.0, None, "B"),
    ],
)
def test_the_overall_grade_is_the_lowest(
    contrast: float, unused: float | None, overall: str
) -> None:
    assert Grading(contrast, unused).overall == Grade.parse(overall)


def test_unused_error_correction_comes_from_the_decoder() -> None:
    """A symbol with a few modules flipped: still read, with less error correction to spare."""
    image = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 5)
    clean = np.full((240, 320), 255, np.uint8)
    clean[40 : 40 + image.shape[0], 60 : 60 + image.shape[1]] = image
    damaged = clean.copy()
    for row, column in [(6, 6), (9, 14), (15, 8), (18, 19), (12, 11)]:  # modules, 1-based
        y, x = 40 + row * 5, 60 + column * 5
        damaged[y : y + 5, x : x + 5] = 255 - damaged[y : y + 5, x : x + 5]
    kind = SymbolKind.GS1_DATAMATRIX
    intact, flipped = _detected(clean, kind), _detected(damaged, kind)
    assert flipped.decoded == intact.decoded == Decoded(kind.symbology, GS1_RAW)
    assert intact.unused_ec == 1.0
    assert flipped.unused_ec is not None
    assert flipped.unused_ec < 1.0
    assert grade(damaged, flipped, kind).unused_ec == flipped.unused_ec


def test_refuses_a_detection_without_its_size() -> None:
    found = Detection(
        Decoded(None, b"x"),
        ((0.0, 0.0), (9.0, 0.0), (9.0, 9.0), (0.0, 9.0)),
        None,
        None,
        ReadPass.FIRST,
    )
    with pytest.raises(InvalidFormat) as error:
        grade(np.zeros((10, 10), np.uint8), found, SymbolKind.QR)
    assert str(error.value).endswith(
        "expected the symbol's size in modules. Hint: the reader reports it for DataMatrix and "
        "QR; grade only their reads."
    )


def test_refuses_corners_outside_the_frame() -> None:
    corners = ((500.0, 500.0), (600.0, 500.0), (600.0, 600.0), (500.0, 600.0))
    with pytest.raises(InvalidQuantity) as error:
        symbol_contrast(np.zeros((100, 100), np.uint8), corners, (24, 24), quiet_zone=1)
    assert str(error.value) == (
        f"Invalid symbol corners {corners!r}: expected the symbol inside the 100x100 frame. "
        "Hint: grade the corners the reader reported."
    )


@pytest.mark.parametrize("value", [float("nan"), "70", True])
def test_refuses_what_is_not_a_measurement(value: object) -> None:
    with pytest.raises(InvalidFormat) as error:
        contrast_grade(value)  # type: ignore[arg-type]
    assert str(error.value).startswith(f"Invalid measurement {value!r}: expected a number.")


def test_a_damaged_clock_track_is_not_unused_error_correction() -> None:
    """Modules of the finder L and clock track turned: the reference decode draws them as
    printed (their damage is fixed pattern damage, not measured), so UEC stays 1.0."""
    image = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 5)
    frame = np.full((240, 320), 255, np.uint8)
    frame[40 : 40 + image.shape[0], 60 : 60 + image.shape[1]] = image
    kind = SymbolKind.GS1_DATAMATRIX
    found = _detected(frame, kind)
    for row, column in [(1, 4), (1, 24), (2, 24), (24, 1)]:  # 1-based: the symbol starts at 1
        y, x = 40 + row * 5, 60 + column * 5
        frame[y : y + 5, x : x + 5] = 255 - frame[y : y + 5, x : x + 5]
    graded = grade(frame, found, kind)
    assert (graded.unused_ec, graded.decodes) == (1.0, True)


def test_a_symbol_the_reference_decode_cannot_read_grades_f() -> None:
    """The reader's corners moved by half the symbol: the grid sampled there is no symbol."""
    image = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 5)
    frame = np.full((300, 400), 255, np.uint8)
    frame[40 : 40 + image.shape[0], 60 : 60 + image.shape[1]] = image
    kind = SymbolKind.GS1_DATAMATRIX
    found = _detected(frame, kind)
    shifted = tuple((x + 60.0, y + 60.0) for x, y in found.corners)
    moved = Detection(found.decoded, shifted, found.modules, found.unused_ec, found.read_pass)  # type: ignore[arg-type]
    graded = grade(frame, moved, kind)
    assert graded.decodes is False
    assert graded.unused_ec is None
    assert graded.overall == Grade.parse("F")
    assert graded.contrast_grade == Grade.parse("A")  # SC alone would pass

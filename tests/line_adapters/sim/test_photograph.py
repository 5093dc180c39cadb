"""The camera simulator's photograph: frames of real rendered labels, decoded by zxing-cpp."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.reader import SoftwareReader
from jejak.line_adapters.sim.grading import grade
from jejak.line_adapters.sim.photograph import Damage, Photographer
from jejak.line_adapters.sim.scene import label_pixels
from jejak.printers.symbols import Decoded, SymbolKind, encode_raw, to_image

GS1_RAW = b"01095060001343521728103110B2611001\x1d21ABCDEFGHJK"
QR_TEXT = b"https://cekbpom.pom.go.id/id/ABCDEFGHJK"
KINDS = [
    (SymbolKind.GS1_DATAMATRIX, GS1_RAW),
    (SymbolKind.GS1_QR, GS1_RAW),
    (SymbolKind.QR, QR_TEXT),
]
SEEDS = range(24)


@pytest.fixture(scope="module")
def label() -> NDArray[np.uint8]:
    return label_pixels(GS1_RAW, SymbolKind.GS1_DATAMATRIX)


def test_a_frame_is_grey_and_of_the_size_asked(label: NDArray[np.uint8]) -> None:
    frame = Photographer(seed=1, size=(240, 320), module_px=3.0).shoot(label)
    assert frame.shape == (240, 320)
    assert frame.dtype == np.uint8
    assert frame.flags.c_contiguous


def test_the_same_seed_gives_the_same_frames(label: NDArray[np.uint8]) -> None:
    one, other = Photographer(seed=42, smear=0.5), Photographer(seed=42, smear=0.5)
    for damage in (None, Damage.SMEAR, None, Damage.WIPED, Damage.FADED, None):
        assert np.array_equal(one.shoot(label, damage=damage), other.shoot(label, damage=damage))
    assert np.array_equal(one.blank(), other.blank())


def test_other_seeds_and_other_shots_differ(label: NDArray[np.uint8]) -> None:
    photographer = Photographer(seed=1)
    first, second = photographer.shoot(label), photographer.shoot(label)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, Photographer(seed=2).shoot(label))


@pytest.mark.parametrize(("kind", "raw"), KINDS)
def test_a_good_print_reads_back(kind: SymbolKind, raw: bytes) -> None:
    photographer = Photographer(seed=7, noise=8.0, smear=0.3)
    reader = SoftwareReader(kind)
    label = label_pixels(raw, kind)
    reads = [reader.read_one(photographer.shoot(label)) for _ in SEEDS]
    assert reads == [Decoded(kind.symbology, raw)] * len(SEEDS)


@pytest.mark.parametrize(("kind", "raw"), KINDS)
@pytest.mark.parametrize("damage", [Damage.SMEAR, Damage.WIPED])
def test_a_misprint_never_reads(kind: SymbolKind, raw: bytes, damage: Damage) -> None:
    reader = SoftwareReader(kind)
    label = label_pixels(raw, kind)
    for seed in SEEDS:
        assert reader.read_one(Photographer(seed=seed).shoot(label, damage=damage)) is None
    assert reader.no_reads == len(SEEDS)


@pytest.mark.parametrize(("kind", "raw"), KINDS)
def test_faded_ink_reads_but_grades_d_on_contrast(kind: SymbolKind, raw: bytes) -> None:
    reader = SoftwareReader(kind)
    label = label_pixels(raw, kind)
    letters = []
    for seed in SEEDS:
        frame = Photographer(seed=seed).shoot(label, damage=Damage.FADED)
        found = reader.detect_one(frame)
        if found is not None:
            assert found.decoded == Decoded(kind.symbology, raw)
            letters.append(grade(frame, found, kind).contrast_grade.letter)
    assert len(letters) >= 0.9 * len(SEEDS)  # faded, not destroyed: nearly every one reads
    assert set(letters) == {"D"}


def test_the_label_module_size_is_measured(label: NDArray[np.uint8]) -> None:
    """A label at 3 px per module photographs as the same label told its module size."""
    big = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 3)
    measured = Photographer(seed=5).shoot(big)
    told = Photographer(seed=5).shoot(big, label_module_px=3)
    assert np.array_equal(measured, told)
    wrong = Photographer(seed=5).shoot(big, label_module_px=1)  # 3x too large: cropped, blurred
    assert not np.array_equal(measured, wrong)


def test_a_printer_rendering_with_wide_margins_is_framed_on_the_symbol() -> None:
    """A ZPL label at printer resolution: the symbol at 6 dots per module, far from the
    label's edges; the camera frames the symbol."""
    symbol = to_image(encode_raw(GS1_RAW, SymbolKind.GS1_DATAMATRIX), 6, quiet_zone=False)
    canvas = np.full((900, 1200), 255, np.uint8)
    canvas[400 : 400 + symbol.shape[0], 700 : 700 + symbol.shape[1]] = symbol
    frame = Photographer(seed=3).shoot(canvas)
    read = SoftwareReader(SymbolKind.GS1_DATAMATRIX).read_one(frame)
    assert read == Decoded(Symbology.GS1_DATAMATRIX, GS1_RAW)


def test_a_blank_pack_is_background_and_noise() -> None:
    frame = Photographer(seed=9, background=150.0, noise=5.0).blank()
    assert frame.mean() == pytest.approx(150.0, abs=0.5)
    assert frame.std() == pytest.approx(5.0, abs=0.3)
    quiet = Photographer(seed=9, background=150.0, noise=0.0).blank()
    assert set(np.unique(quiet).tolist()) == {150}


@pytest.mark.parametrize(
    ("ink", "loss", "levels"),
    [
        ((0, 255), 0.0, {0, 255, 100}),
        ((0, 255), 0.5, {128, 255, 100}),  # faded half way: the ink is mid grey
        ((40, 200), 0.0, {40, 200, 100}),
        ((40, 200), 1.0, {200, 100}),  # no ink left
    ],
)
def test_grey_levels_without_noise_or_blur(
    label: NDArray[np.uint8], ink: tuple[int, int], loss: float, levels: set[int]
) -> None:
    photographer = Photographer(
        seed=1, noise=0.0, blur=0.0, contrast_loss=loss, ink=ink, background=100.0
    )
    assert set(np.unique(photographer.shoot(label)).tolist()) == levels


def test_noise_keeps_the_ink_inside_the_range(label: NDArray[np.uint8]) -> None:
    """Grey levels stay 3 sigma from 0 and 255, so the noise never wraps around."""
    photographer = Photographer(seed=4, noise=10.0, ink=(0, 255), blur=0.0)
    assert (photographer.dark, photographer.light) == (30.0, 225.0)
    frame = photographer.shoot(label)
    assert int(frame.min()) >= 0
    assert int(frame.max()) <= 255
    assert photographer.light - photographer.dark == 195.0


def test_blur_softens_edges(label: NDArray[np.uint8]) -> None:
    sharp = Photographer(seed=2, noise=0.0, blur=0.0).shoot(label)
    soft = Photographer(seed=2, noise=0.0, blur=1.0).shoot(label)
    assert len(np.unique(sharp)) == 3
    assert len(np.unique(soft)) > 20


def test_a_label_too_large_for_the_frame_is_refused() -> None:
    label = label_pixels(GS1_RAW, SymbolKind.GS1_DATAMATRIX)
    with pytest.raises(InvalidQuantity) as error:
        Photographer(seed=1, size=(64, 64), module_px=4.0, rotation_deg=0.0).shoot(label)
    assert str(error.value) == (
        "Invalid label size (32, 32) at 4.00x: expected it to fit a 64x64 frame, but it needs "
        "136x136. Hint: lower module_px or enlarge the frame."
    )


@pytest.mark.parametrize(
    ("options", "kind", "message"),
    [
        (
            {"size": (10, 640)},
            InvalidQuantity,
            (
                "Invalid frame size (10, 640): expected (rows, columns), each 32 to 4096 pixels. "
                "Hint: (480, 640) is VGA."
            ),
        ),
        (
            {"noise": "8"},
            InvalidFormat,
            (
                "Invalid noise '8': expected a number of grey levels (Gaussian sigma). Hint: e.g. "
                "10.0."
            ),
        ),
        (
            {"noise": 50.0},
            InvalidQuantity,
            (
                "Invalid noise 50.0: expected 0.0 to 40.0 grey levels (Gaussian sigma). Hint: e.g. "
                "10.0."
            ),
        ),
        (
            {"rotation_deg": (10.0, -10.0)},
            InvalidQuantity,
            (
                "Invalid rotation_deg (10.0, -10.0): expected (low, high) with low <= high. Hint: "
                "e.g. (10.0, 10.0)."
            ),
        ),
        (
            {"smear": 2.0},
            InvalidQuantity,
            "Invalid smear 2.0: expected 0.0 to 1.0 probability per shot. Hint: e.g. 0.25.",
        ),
        (
            {"ink": (200, 100)},
            InvalidQuantity,
            (
                "Invalid ink (200, 100): expected (dark, light) grey levels 0-255 with dark below "
                "light, also after keeping 18 levels from 0 and 255 for the noise. Hint: (16, 240) "
                "is black ink on white; lower the noise for less headroom."
            ),
        ),
    ],
)
def test_refuses_bad_settings(
    options: dict[str, object], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as error:
        Photographer(**options)  # type: ignore[arg-type]
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("label", "options", "kind", "message"),
    [
        (
            np.zeros((8, 8), np.int16),
            {},
            InvalidFormat,
            (
                "Invalid label array of int16 with shape (8, 8): expected a 2-D numpy uint8 array "
                "(white 255, black 0). Hint: render with jejak.printers.symbols.to_image."
            ),
        ),
        (
            np.full((8, 8), 255, np.uint8),
            {},
            InvalidFormat,
            (
                "Invalid label of shape (8, 8): expected dark modules, found no pixel below 128. "
                "Hint: a label is white 255 with black 0 modules."
            ),
        ),
        (
            np.zeros((8, 8), np.uint8),
            {"label_module_px": 0},
            InvalidQuantity,
            (
                "Invalid label module size 0: expected 1 to 64 pixels. "
                "Hint: to_image(symbol, 1) renders one pixel per module."
            ),
        ),
        (
            np.zeros((8, 8), np.uint8),
            {"damage": "smear"},
            InvalidFormat,
            (
                "Invalid damage 'smear': expected one of 'smear', 'wiped', 'faded' or None. "
                "Hint: use jejak.line_adapters.sim.photograph.Damage."
            ),
        ),
    ],
)
def test_refuses_bad_labels(
    label: object, options: dict[str, object], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as error:
        Photographer(seed=1).shoot(label, **options)  # type: ignore[arg-type]
    assert str(error.value) == message

"""Scenes end to end: codes rendered by the printers' encoders, photographed, decoded by zxing-cpp,
graded, and answered by a camera simulator over loopback TCP."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from numpy.typing import NDArray

from jejak.engine.errors import InvalidFormat
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.reader import ReadPass, SoftwareReader
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.line_adapters.sim.camera import Shot
from jejak.line_adapters.sim.photograph import Damage, Photographer
from jejak.line_adapters.sim.scene import PixelScene, Stage, code_scene, label_pixels
from jejak.printers.symbols import Decoded, SymbolKind, read
from jejak.testing import StartCamera

CODES = [b"01089912345678911728103110B2611001\x1d21SN%06d" % n for n in range(1, 6)]
NIE_CODE = b"90NA18201234567\x1d91281231"
QR_TEXT = b"https://cekbpom.pom.go.id/id/ABCDEFGHJK"


@pytest.mark.parametrize(
    ("kind", "codes", "symbology"),
    [
        (SymbolKind.GS1_DATAMATRIX, CODES, Symbology.GS1_DATAMATRIX),
        (SymbolKind.GS1_QR, [*CODES[:2], NIE_CODE], Symbology.GS1_QR),
        (SymbolKind.QR, [QR_TEXT, b"BPOM-ID-123"], Symbology.QR),
    ],
)
def test_code_scene_shows_code_n_at_trigger_n_then_bare_packs(
    kind: SymbolKind, codes: list[bytes], symbology: Symbology
) -> None:
    scene = code_scene(codes, kind, seed=11)
    shots = [scene(n) for n in range(1, len(codes) + 3)]
    assert shots == [Shot(code, symbology) for code in codes] + [Shot(None, None)] * 2
    assert scene.reader.no_reads == 2
    assert scene(0) == Shot(None, None)  # trigger numbers start at 1


def test_the_same_seed_gives_the_same_shots_and_passes() -> None:
    """Noisy frames, some read only by the second pass: two scenes seeded alike agree."""

    def labels(n: int) -> NDArray[np.uint8]:
        return label_pixels(CODES[(n - 1) % len(CODES)], SymbolKind.GS1_DATAMATRIX)

    history: list[list[tuple[Shot, ReadPass | None]]] = [[], []]
    for runs in history:
        scene = PixelScene(labels, SymbolKind.GS1_DATAMATRIX, Photographer(seed=5, noise=10.0))
        runs.extend((scene(n), scene.reader.last_pass) for n in range(1, 25))
    assert history[0] == history[1]
    assert {shot.data for shot, _ in history[0]} == set(CODES)
    assert {read_pass for _, read_pass in history[0]} == {ReadPass.FIRST, ReadPass.SECOND}


def test_a_graded_scene_appends_the_overall_grade() -> None:
    scene = code_scene(CODES, SymbolKind.GS1_DATAMATRIX, seed=3, grade=True)
    shots = [scene(n) for n in range(1, len(CODES) + 1)]
    assert [shot.data for shot in shots] == CODES
    assert all(isinstance(shot.grade, Grade) for shot in shots)
    assert all(shot.grade is not None and shot.grade.meets(Grade.parse("C")) for shot in shots)
    assert scene(len(CODES) + 1) == Shot(None, None, None)  # nothing read, nothing graded


def test_faded_packs_grade_d_and_misprints_do_not_read() -> None:
    damages = {1: Damage.FADED, 2: Damage.SMEAR, 3: Damage.WIPED, 4: None}

    def labels(n: int) -> NDArray[np.uint8]:
        return label_pixels(CODES[n - 1], SymbolKind.GS1_DATAMATRIX)

    scene = PixelScene(
        labels,
        SymbolKind.GS1_DATAMATRIX,
        Photographer(seed=21),
        grade=True,
        damage=damages.get,
    )
    faded, smeared, wiped, good = (scene(n) for n in range(1, 5))
    assert (faded.data, faded.grade) == (CODES[0], Grade.parse("D"))
    assert smeared == wiped == Shot(None, None, None)
    assert good.data == CODES[3]
    assert good.grade is not None
    assert good.grade.meets(Grade.parse("C"))


def test_a_scene_counts_cpu_time_per_stage() -> None:
    scene = code_scene(CODES[:2], SymbolKind.GS1_DATAMATRIX, seed=1, grade=True)
    assert scene.times().total_ns == 0
    for n in (1, 2, 3):
        scene(n)
    times = scene.times()
    assert times.shots == 3
    assert all(times.of(stage) > 0 for stage in Stage)
    assert times.total_ns == sum(times.of(stage) for stage in Stage)
    ungraded = code_scene(CODES[:1], SymbolKind.GS1_DATAMATRIX, seed=1)
    ungraded(1)
    assert ungraded.times().grade_ns == 0


def test_a_scene_uses_the_reader_it_is_given() -> None:
    reader = SoftwareReader(SymbolKind.GS1_DATAMATRIX, second_pass=False)
    scene = PixelScene(
        lambda n: label_pixels(CODES[0], SymbolKind.GS1_DATAMATRIX),
        SymbolKind.GS1_DATAMATRIX,
        Photographer(seed=14, noise=8.0),  # its first frame reads only in the second pass
        reader=reader,
    )
    assert scene(1) == Shot(None, None)
    assert scene.reader is reader
    assert reader.no_reads == 1


@pytest.mark.parametrize(
    ("kind", "raw", "side"),
    [
        (SymbolKind.GS1_DATAMATRIX, CODES[0], 22 + 2),
        (SymbolKind.GS1_QR, NIE_CODE, 25 + 8),
        (SymbolKind.QR, QR_TEXT, 29 + 8),
    ],
)
def test_label_pixels_are_one_pixel_per_module_with_the_quiet_zone(
    kind: SymbolKind, raw: bytes, side: int
) -> None:
    image = label_pixels(raw, kind)
    assert image.shape == (side, side)
    assert set(np.unique(image).tolist()) == {0, 255}
    enlarged = np.repeat(np.repeat(image, 3, axis=0), 3, axis=1)
    assert read(enlarged, kind, pure=True) == [Decoded(kind.symbology, raw)]


def test_refuses_a_reader_of_another_kind_and_codes_that_are_not_bytes() -> None:
    with pytest.raises(InvalidFormat) as error:
        PixelScene(
            lambda n: None,
            SymbolKind.QR,
            Photographer(seed=1),
            reader=SoftwareReader(SymbolKind.GS1_QR),
        )
    assert str(error.value) == (
        "Invalid reader SoftwareReader(<SymbolKind.GS1_QR: 'gs1-qr'>, second_pass=True) for "
        "'qr': expected a reader of the same kind. Hint: SoftwareReader(kind)."
    )
    with pytest.raises(InvalidFormat) as error:
        code_scene([CODES[0], "0109506000134352"], SymbolKind.GS1_DATAMATRIX)  # type: ignore[list-item]
    assert str(error.value) == (
        "Invalid code '0109506000134352' at 2: expected bytes. "
        "Hint: pass the raw element strings, e.g. code.raw.encode('ascii')."
    )
    with pytest.raises(InvalidFormat) as error:
        PixelScene(lambda n: None, "qr", Photographer(seed=1))  # type: ignore[arg-type]
    assert str(error.value).startswith("Invalid symbol kind 'qr': expected one of")


def test_a_keyence_simulator_answers_the_decoded_pixels(camera_simulator: StartCamera) -> None:
    """Over TCP: LON → OK,LON then ]d2 and the raw bytes (GS kept); a bare pack → ERROR."""
    scene = code_scene(CODES[:2], SymbolKind.GS1_DATAMATRIX, seed=2)
    simulator = camera_simulator(CameraKind.KEYENCE, scene)
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=10) as sock:
        sock.sendall(b"LON\r" * 3)
        assert simulator.wait_until(lambda sim: len(sim.answered) == 6, timeout=30)
    assert simulator.answered == [
        b"OK,LON\r",
        b"]d2" + CODES[0] + b"\r",
        b"OK,LON\r",
        b"]d2" + CODES[1] + b"\r",
        b"OK,LON\r",
        b"ERROR\r",
    ]
    assert simulator.scene_errors == []
    assert scene.reader.last_pass is None  # the bare pack, the last shot
    assert scene.reader.first_pass_reads + scene.reader.second_pass_reads == 2

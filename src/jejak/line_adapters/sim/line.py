"""A simulated packaging line: real device simulators on loopback, wired as a line is.

- the printer simulator (coder or Zebra) in triggered mode: it prints on product detect;
- the conveyor simulator: packs at `ppm` (times `time_factor`), the product-detect sensor (wired
  to the printer's print-go, as on a real line), the encoder, the camera position and the
  reject actuator, serving the Jejak line I/O protocol;
- the smart-camera simulator (Cognex or Keyence wire format), its trigger input wired to a
  photo-eye at the camera (as on most lines): for each pack there it photographs the pack —
  the printer's label, rotated, blurred, noisy, smeared where misprinted — decodes the frame
  with the software reader and answers as that camera does. With ``trigger="software"`` no
  photo-eye is wired: the line triggers the camera by command, and each trigger photographs
  the pack in front of the camera then.

`config` is the `LineConfig` that points a `LineController` at them, exactly as a `line.toml`
points it at real devices. Faults at `fault_rate`: camera no-reads, misprints (a smeared or
wiped label), faded labels (a low grade), a label printed twice, and for identification packs
labels from an old roll (an expired NIE validity); with `disconnects` the camera drops its
connection at half way through the run, and with `printer_disconnects` the printer drops its
connection a third of the way through (its buffer is lost: those jobs are unknown; the line
suspends itself until the printer is back). `record` names the printer's print-record file
(one code a line, every label it printed), which crash tests read to prove nothing was
printed twice.
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.line_adapters.config import (
    Address,
    CameraConfig,
    IoConfig,
    LineConfig,
    PrinterConfig,
    TriggerMode,
)
from jejak.line_adapters.sim.camera import CameraSimulator
from jejak.line_adapters.sim.conveyor import ConveyorSimulator, Pack
from jejak.line_adapters.sim.photograph import Damage, Photographer
from jejak.line_adapters.sim.scene import PixelScene, label_pixels
from jejak.printers.device import DeviceKind
from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.sim.imprint import Imprint
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.symbols import SymbolKind

__all__ = ["SimSettings", "SimulatedLine"]

_PITCH = 1000  # encoder counts a pack
_CAMERA_AT = 3 * _PITCH
_REJECT_AT = 12 * _PITCH


@dataclass(frozen=True, slots=True)
class SimSettings:
    ppm: float = 600.0
    time_factor: float = 10.0
    printer: DeviceKind = DeviceKind.CODER
    camera: CameraKind = CameraKind.COGNEX
    symbol: SymbolKind = SymbolKind.GS1_DATAMATRIX
    fault_rate: float = 0.0
    disconnects: bool = False
    printer_disconnects: bool = False
    seed: int | None = None
    record: Path | None = None
    old_label: str | None = None  # identification: a label from an old roll (expired NIE)
    trigger: TriggerMode = TriggerMode.HARDWARE  # the camera's photo-eye, or the line's command

    def __post_init__(self) -> None:
        rate = self.fault_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 0.5:
            raise InvalidQuantity(
                f"Invalid fault rate {describe(rate)}: expected a fraction from 0 to 0.5. "
                "Hint: 0.02 makes about one pack in fifty meet a fault."
            )


class SimulatedLine:
    """The devices of one simulated line, started and stopped together. `units` packs."""

    def __init__(self, name: str, units: int, settings: SimSettings | None = None) -> None:
        self.name, self.units = name, units
        self.settings = settings or SimSettings()
        s = self.settings
        self._random = random.Random(s.seed)  # noqa: S311 (simulated faults, not secrets)
        printer: CoderSimulator | ZplSimulator
        if s.printer is DeviceKind.ZPL:
            printer = ZplSimulator(triggered=True, record=s.record)
        else:
            printer = CoderSimulator(capacity=400, triggered=True, record=s.record)
        self.printer = printer
        self.conveyor = ConveyorSimulator(
            ppm=s.ppm, time_factor=s.time_factor, pitch=_PITCH, camera_at=_CAMERA_AT,
            reject_at=_REJECT_AT, print_go=self._print_go, packs=units, seed=s.seed,
            camera_eye=self._eye if s.trigger is TriggerMode.HARDWARE else None,
        )  # fmt: skip
        self._at_eye: dict[int, Pack | None] = {}  # trigger number -> the pack at the eye
        self._eyed = 0  # triggers the photo-eye fired
        self._damage: dict[int, Damage] = {}  # pack number -> what the photograph shows
        self._lock = threading.Lock()
        self._current: int | None = None  # the pack number under the camera at this shot
        self._smeared = False  # and whether the printer misprinted it
        photographer = Photographer(seed=s.seed)
        self.scene = PixelScene(self._label, s.symbol, photographer, grade=True,
                                damage=self._damaged)  # fmt: skip
        self.camera = CameraSimulator(s.camera, self.scene, no_read_rate=s.fault_rate / 3,
                                      seed=s.seed, grade_output=True)  # fmt: skip
        self._stack = contextlib.ExitStack()

    # Wiring --------------------------------------------------------------------------------

    def _print_go(self) -> Imprint | None:
        """The product-detect sensor fired: the printer prints on the pack (faults first)."""
        if self.settings.printer_disconnects and self.conveyor.entered + 1 == max(
            1, self.units // 3
        ):
            # The printer's link drops (a cable, a reboot): the driver reconnects.
            threading.Thread(target=self.printer.drop_connection, daemon=True).start()
        rate = self.settings.fault_rate
        if rate and self._random.random() < rate / 20:
            self.printer.double_print_next()
        imprint = self.printer.print_go()
        old = self.settings.old_label
        if imprint is not None and old is not None and rate and self._random.random() < rate / 5:
            imprint = Imprint(old.encode("ascii"))  # a pack with a label from an old roll
        elif imprint is not None and rate and self._random.random() < rate / 3:
            damage = self._random.choice([Damage.SMEAR, Damage.WIPED, Damage.FADED])
            with self._lock:
                self._damage[self.conveyor.entered + 1] = damage
        return imprint

    def _eye(self, pack: Pack | None) -> None:
        """The conveyor's thread: a pack at the camera's photo-eye, which fires the reader's
        trigger input; the camera's thread takes the picture."""
        with self._lock:
            self._eyed += 1
            self._at_eye[self._eyed] = pack
        self.camera.trigger_input()
        if self.settings.disconnects and pack is not None and pack.number == self.units // 2:
            # Mid-run the camera drops its connection (a cable, a reboot): the line reconnects.
            threading.Thread(target=self.camera.drop_connection, daemon=True).start()

    def _label(self, trigger: int) -> NDArray[np.uint8] | None:
        with self._lock:  # the pack that was at the eye when trigger n fired; older ones left
            if trigger in self._at_eye:
                pack = self._at_eye.pop(trigger)
                for stale in [n for n in self._at_eye if n < trigger]:
                    del self._at_eye[stale]
            else:  # a trigger by command: the pack in front of the camera now
                pack = self.conveyor.pack_at_camera()
        self._current = None if pack is None else pack.number
        self._smeared = pack is not None and pack.imprint is not None and pack.imprint.damaged
        if pack is None or pack.imprint is None:
            return None
        imprint = pack.imprint
        if imprint.render is not None:
            return imprint.render()
        return label_pixels(imprint.data, self.settings.symbol)

    def _damaged(self, _trigger: int) -> Damage | None:
        """What the photograph shows: the printer's misprint (smeared ink) or the fault
        injected on this pack."""
        with self._lock:
            injected = None if self._current is None else self._damage.pop(self._current, None)
        return Damage.SMEAR if self._smeared else injected

    # Life ----------------------------------------------------------------------------------

    def start(self) -> SimulatedLine:
        self._warm_up()
        for device in (self.printer, self.conveyor, self.camera):
            self._stack.enter_context(device)
        return self

    def stop(self) -> None:
        self._stack.close()

    def _warm_up(self) -> None:
        """Take a few pictures before the belt runs: the reader's, the renderer's and the
        grader's first calls are slow, and the first packs must not pay for them."""
        sample = b"0108991234567891172812311" + b"0B1\x1d21WARMUP00"
        if self.settings.symbol is SymbolKind.QR:
            sample = b"WARMUP"  # a plain QR carries printable text only
        pixels = label_pixels(sample, self.settings.symbol)
        scene = PixelScene(lambda n: pixels if n % 2 else None, self.settings.symbol,
                           Photographer(seed=0), grade=True)  # fmt: skip
        for n in range(1, 5):
            scene(n)

    def __enter__(self) -> SimulatedLine:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.stop()

    def config(self, *, control: str = "tcp://127.0.0.1:0") -> LineConfig:
        """The configuration that points a line controller at these simulators."""
        local = "127.0.0.1"
        s = self.settings
        return LineConfig(
            name=self.name, ppm=s.ppm, control=control, publish=None,
            printer=PrinterConfig(s.printer, Address(local, self.printer.port), dpi=300,
                                  low=50, high=150),
            camera=CameraConfig(s.camera, Address(local, self.camera.port),
                                no_read=s.camera.default_no_read, grade_separator=",",
                                min_grade=Grade.parse("C"), trigger=s.trigger),
            io=IoConfig(Address(local, self.conveyor.port), _PITCH, _CAMERA_AT, _REJECT_AT,
                        _PITCH // 4),
        )  # fmt: skip

    def inject(self, fault: Callable[[SimulatedLine], None]) -> None:
        """Run a fault against the devices now (a test's or the demo's fault injector)."""
        fault(self)

"""The line controller on simulated lines: the printer, conveyor and camera simulators on
loopback, real pixels decoded by zxing-cpp, a real store. Every run is checked three ways: the
store's counts (`count_batch`) against the controller's own, the reconciliation, and the
conveyor's bins — every pack whose verdict is a reject is physically in the reject bin, every
good one in the good bin, none left on the belt.

Pack n on the belt (1, 2, ...) carries code n - 1 of the batch: the printer prints the codes in
index order, one on each pack that passes the product-detect sensor. Most runs use
`SimulatedLine`; `WiredLine` wires the same public simulators by hand where a test needs what
`SimulatedLine` does not do (a misprint the photograph shows, a camera that photographs the
pack at its eye after a silence).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from jejak.engine.batch_record import BatchStatus
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import LineError
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import PRINTS, VERDICTS, EventKind, Store
from jejak.engine.verification import REASONS, Verdict
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.line_adapters.config import (
    Address,
    CameraConfig,
    IoConfig,
    LineConfig,
    PrinterConfig,
    TriggerMode,
)
from jejak.line_adapters.line import LineController, LineOptions
from jejak.line_adapters.packml import Command, State
from jejak.line_adapters.sim.camera import CameraSimulator
from jejak.line_adapters.sim.conveyor import ConveyorSimulator, Pack
from jejak.line_adapters.sim.line import SimSettings, SimulatedLine
from jejak.line_adapters.sim.photograph import Damage, Photographer
from jejak.line_adapters.sim.scene import PixelScene, label_pixels
from jejak.line_adapters.summary import LineSummary
from jejak.printers.device import DeviceKind
from jejak.printers.sim import CoderSimulator, ZplSimulator
from jejak.printers.symbols import SymbolKind
from jejak.testing import FORMAT, make_request

BATCH = "B1"
SETTINGS = SimSettings(ppm=240, time_factor=5, seed=7)  # 20 packs a second: headroom on a loaded CI
GUARD = 30.0  # seconds: a failure guard, never a bound the test measures


def open_batch(store: Store, units: int) -> None:
    store.open_batch(make_request(BATCH, quantity=units), serial_format=FORMAT,
                     overage_pct=0, actor="qa")  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"waited {GUARD:g} s for {what}"
        time.sleep(0.001)


def raw_codes(store: Store, count: int) -> list[bytes]:
    record = store.batch(BATCH)
    with store.view() as view:
        return [view.code(record, Level.PRIMARY, i).raw.encode("ascii") for i in range(count)]


def columns(store: Store) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """The batch's primary prints, verdicts and states."""
    record = store.batch(BATCH)
    with store.view() as view:
        return (view.column(PRINTS, record, Level.PRIMARY),
                view.column(VERDICTS, record, Level.PRIMARY),
                view.states(record, Level.PRIMARY))  # fmt: skip


# The line's devices -------------------------------------------------------------------------


class WiredLine:
    """A printer, a conveyor and a camera simulator wired as `SimulatedLine` wires them, by
    hand: the product detect fires the printer's print-go, the photo-eye at the camera fires
    the reader's trigger input, and trigger n photographs the n-th pack the eye saw — smeared
    if the printer misprinted it."""

    def __init__(self, units: int, *, ppm: float = 240, time_factor: float = 5,
                 seed: int = 7, trigger: TriggerMode = TriggerMode.HARDWARE,
                 missed: float = 0.0, double: float = 0.0) -> None:  # fmt: skip
        self.printer = CoderSimulator(capacity=400, triggered=True)
        self.eyed: list[Pack | None] = []
        self.trigger = trigger
        eye = self._eye if trigger is TriggerMode.HARDWARE else None
        self.conveyor = ConveyorSimulator(
            ppm=ppm, time_factor=time_factor, pitch=1000, camera_at=3000, reject_at=12000,
            print_go=self.printer.print_go, camera_eye=eye, packs=units, seed=seed,
            missed_trigger_rate=missed, double_trigger_rate=double,
        )  # fmt: skip
        self.scene = PixelScene(self._label, SymbolKind.GS1_DATAMATRIX, Photographer(seed=seed),
                                grade=True, damage=self._damage)  # fmt: skip
        self.camera = CameraSimulator(CameraKind.COGNEX, self.scene, grade_output=True)

    def _eye(self, pack: Pack | None) -> None:
        self.eyed.append(pack)  # before the trigger: the camera's thread reads it
        self.camera.trigger_input()

    def _imprint_at(self, n: int) -> Any:
        if self.trigger is TriggerMode.SOFTWARE:  # TRIGGER ON: the pack under the camera now
            pack = self.conveyor.pack_at_camera()
        else:
            pack = self.eyed[n - 1] if 0 < n <= len(self.eyed) else None
        return None if pack is None else pack.imprint

    def _label(self, n: int) -> NDArray[np.uint8] | None:
        imprint = self._imprint_at(n)
        return None if imprint is None else label_pixels(imprint.data, SymbolKind.GS1_DATAMATRIX)

    def _damage(self, n: int) -> Damage | None:
        imprint = self._imprint_at(n)
        return Damage.SMEAR if imprint is not None and imprint.damaged else None

    def __enter__(self) -> WiredLine:
        warm = label_pixels(b"010899123456789121WARMUP", SymbolKind.GS1_DATAMATRIX)
        scene = PixelScene(lambda n: warm, SymbolKind.GS1_DATAMATRIX, Photographer(seed=0),
                           grade=True)  # fmt: skip
        for n in range(3):  # the reader's and the grader's first calls are slow
            scene(n)
        for device in (self.printer, self.conveyor, self.camera):
            device.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for device in (self.camera, self.conveyor, self.printer):
            device.stop()

    def config(self) -> LineConfig:
        local = "127.0.0.1"
        return LineConfig(
            name="line-1", ppm=240, control="tcp://127.0.0.1:0", publish=None,
            printer=PrinterConfig(DeviceKind.CODER, Address(local, self.printer.port)),
            camera=CameraConfig(CameraKind.COGNEX, Address(local, self.camera.port),
                                no_read="NoRead", grade_separator=",",
                                min_grade=Grade.parse("C"), trigger=self.trigger),
            io=IoConfig(Address(local, self.conveyor.port), 1000, 3000, 12000, 250),
        )  # fmt: skip


Devices = SimulatedLine | WiredLine
During = Callable[[Any, LineController], None]


@dataclass
class Ran:
    """A run, and what the devices saw of it (taken before they stopped)."""

    summary: LineSummary
    status: dict[str, Any]
    good_bin: list[int]
    reject_bin: list[int]
    on_belt: list[int]
    wasted_fires: list[int]
    printed: list[bytes]
    unprinted: list[bytes] = field(default_factory=list)


def run_on(devices: Devices, store: Store, options: LineOptions | None = None,
           during: During | None = None, config: LineConfig | None = None) -> Ran:  # fmt: skip
    """Run the batch on `devices` (started; `config` points at them); `during(devices,
    controller)` on its own thread while the line runs (its failure fails the test)."""
    controller = LineController(store, BATCH, config or devices.config(), options)
    failures: list[BaseException] = []

    def act() -> None:
        try:
            assert during is not None
            during(devices, controller)
        except BaseException as error:  # raised again on the test's thread
            failures.append(error)

    helper = threading.Thread(target=act, name="during") if during else None
    if helper is not None:
        helper.start()
    summary = run_guarded(controller)
    if helper is not None:
        helper.join(GUARD)
    if failures:
        raise failures[0]
    belt, printer = devices.conveyor, devices.printer
    printed = printer.codes() if isinstance(printer, ZplSimulator) else printer.printed
    return Ran(summary, controller.status(), [p.number for p in belt.good],
               [p.number for p in belt.rejected], [p.number for p in belt.in_transit],
               belt.wasted_fires, printed, printer.unprinted)  # fmt: skip


def run_guarded(controller: LineController) -> LineSummary:
    """`controller.run()`; a run that does not end within the guard is stopped, and fails."""
    done: list[LineSummary] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            done.append(controller.run())
        except BaseException as error:  # raised again on the test's thread
            errors.append(error)

    line = threading.Thread(target=run, name="line")
    line.start()
    line.join(3 * GUARD)
    if line.is_alive():
        controller.request(Command.STOP)
        line.join(GUARD)
        pytest.fail(f"the line's run did not end within {3 * GUARD:g} s")
    if errors:
        raise errors[0]
    return done[0]


def run_sim(store: Store, units: int, settings: SimSettings = SETTINGS,
            options: LineOptions | None = None, during: During | None = None) -> Ran:  # fmt: skip
    with SimulatedLine("line-1", units, settings) as sim:
        return run_on(sim, store, options, during)


def by_pack(store: Store, units: int) -> dict[int, Verdict]:
    """Each pack's verdict: pack n carries (or was meant to carry) code n - 1."""
    _, verdicts, _ = columns(store)
    return {n: Verdict(int(verdicts[n - 1])) for n in range(1, units + 1)}


def assert_accounted(store: Store, ran: Ran, units: int) -> dict[int, Verdict]:
    """Balanced, the controller's counts are the store's, and the bins hold what the verdicts
    say: the check every run ends with. Each pack's verdict."""
    summary, status = ran.summary, ran.status
    assert (summary.reconciled, summary.audit_ok, summary.balanced) == (True, True, True)
    assert summary.printed == units
    assert store.batch(BATCH).status is BatchStatus.CLOSED
    counted = {r.label: n for r, n in ((r, summary.rejected[r.label]) for r in REASONS) if n}
    seen = {k: v for k, v in status["verdicts"].items() if k != "good" and v}
    assert seen == counted
    assert status["verdicts"].get("good", 0) == summary.commissioned + summary.sampled
    assert status["packs"] == units
    assert status["packtags"]["Admin.ProdProcessedCount"] == units
    assert status["packtags"]["Admin.ProdDefectiveCount"] == sum(counted.values())
    assert status["state"] == "Complete"
    verdicts = by_pack(store, units)
    rejected = [n for n, verdict in verdicts.items() if verdict.rejected]
    assert (ran.reject_bin, ran.on_belt, ran.wasted_fires) == (rejected, [], [])
    assert ran.good_bin == [n for n, verdict in verdicts.items() if verdict is Verdict.GOOD]
    assert status["fired"] == len(rejected)
    return verdicts


def line_states(store: Store) -> list[tuple[str, str, str | None]]:
    return [(e.data["from"], e.data["to"], e.data["command"]) for e in store.events()
            if e.what is EventKind.LINE_STATE]  # fmt: skip


START = [("Stopped", "Resetting", "reset"), ("Resetting", "Idle", None),
         ("Idle", "Starting", "start"), ("Starting", "Execute", None)]  # fmt: skip
COMPLETE = [("Execute", "Completing", "complete"), ("Completing", "Complete", None)]


# Runs without faults ------------------------------------------------------------------------


def test_a_clean_run_commissions_every_pack(store: Store) -> None:
    open_batch(store, 150)
    ran = run_sim(store, 150)
    verdicts = assert_accounted(store, ran, 150)
    assert set(verdicts.values()) == {Verdict.GOOD}
    assert ran.summary.commissioned == 150
    assert ran.printed == raw_codes(store, 150)  # in index order, each once
    assert ran.status["verdicts"] == {"good": 150}
    _, _, states = columns(store)
    assert np.all(states == CodeState.COMMISSIONED)
    assert line_states(store) == START + COMPLETE


def test_retained_samples_are_sampled_and_still_balance(store: Store) -> None:
    open_batch(store, 120)
    ran = run_sim(store, 120, options=LineOptions(sample_every=20))
    assert_accounted(store, ran, 120)
    _, verdicts, states = columns(store)
    assert (ran.summary.sampled, ran.summary.commissioned) == (6, 114)
    sampled = np.flatnonzero(states == CodeState.SAMPLED)
    assert sampled.tolist() == [19, 39, 59, 79, 99, 119]  # every 20th good pack
    assert np.all(verdicts[sampled] == Verdict.GOOD)  # sampled packs were good


@pytest.mark.parametrize(
    "settings",
    [SimSettings(ppm=240, time_factor=5, seed=3, printer=DeviceKind.ZPL),
     SimSettings(ppm=240, time_factor=5, seed=3, camera=CameraKind.KEYENCE)],
    ids=["zpl-printer", "keyence-camera"],
)  # fmt: skip
def test_other_devices_run_a_batch(store: Store, settings: SimSettings) -> None:
    open_batch(store, 60)
    ran = run_sim(store, 60, settings)
    verdicts = assert_accounted(store, ran, 60)
    assert set(verdicts.values()) == {Verdict.GOOD}


# The camera ---------------------------------------------------------------------------------


def test_a_camera_triggered_by_the_line(store: Store) -> None:
    """camera.trigger = "software": the line sends TRIGGER ON when a pack reaches the camera,
    and the result names its trigger."""
    open_batch(store, 80)
    # The simulator photographs the pack under the camera when it handles TRIGGER ON: at
    # five times real time (50 ms a pack) a suite loading both cores could make it handle
    # one a pitch late, and photograph the next pack; this test is about the triggers.
    with WiredLine(80, trigger=TriggerMode.SOFTWARE, time_factor=2) as line:
        ran = run_on(line, store)
        triggers = line.camera.triggers
    verdicts = assert_accounted(store, ran, 80)
    assert set(verdicts.values()) == {Verdict.GOOD}
    assert triggers == ran.status["packs"] == 80  # one trigger a pack


def test_a_silent_camera_rejects_every_pack_late(store: Store) -> None:
    open_batch(store, 80)
    with SimulatedLine("line-1", 80, SETTINGS) as sim:
        sim.camera.set_silent()
        ran = run_on(sim, store)
    verdicts = assert_accounted(store, ran, 80)
    assert set(verdicts.values()) == {Verdict.LATE}
    assert ran.summary.commissioned == 0


def test_a_camera_that_falls_silent_rejects_the_rest_late(store: Store) -> None:
    open_batch(store, 100)

    def silence(sim: SimulatedLine, _: LineController) -> None:
        wait_for(lambda: sim.conveyor.entered >= 50, "pack 50")
        sim.camera.set_silent()

    ran = run_sim(store, 100, during=silence)
    verdicts = assert_accounted(store, ran, 100)
    order = [verdicts[n] for n in sorted(verdicts)]
    first_late = order.index(Verdict.LATE)
    assert 40 <= first_late <= 60  # about where the camera fell silent
    assert set(order[:first_late]) == {Verdict.GOOD}
    assert set(order[first_late:]) == {Verdict.LATE}  # never commissioned after


@pytest.mark.parametrize("reboot", [False, True], ids=["hung", "rebooted"])
def test_a_camera_lost_for_a_moment_costs_only_the_packs_it_missed(
    store: Store, reboot: bool
) -> None:
    """Results come in pack order with no pack number: after a camera missed some packs (hung
    for a moment, or rebooted: its connection dropped too), the next result is the next
    pack's, not the oldest's."""
    open_batch(store, 120)

    def interrupt(line: WiredLine, _: LineController) -> None:
        wait_for(lambda: line.camera.triggers >= 60, "trigger 60")
        line.camera.set_silent()
        if reboot:
            line.camera.drop_connection()
        wait_for(lambda: line.camera.triggers >= 63, "trigger 63")
        line.camera.set_silent(False)

    with WiredLine(120) as line:
        ran = run_on(line, store, during=interrupt)
        answered = len([a for a in line.camera.answered if not a.startswith(b"||")])
    verdicts = assert_accounted(store, ran, 120)
    late = [n for n, verdict in verdicts.items() if verdict is Verdict.LATE]
    assert late, "the camera missed no pack"
    assert len(late) == 120 - answered  # one late pack for each pack the camera did not answer
    assert len(late) <= 10
    assert late == list(range(late[0], late[0] + len(late)))  # the packs while it was away
    assert {v for n, v in verdicts.items() if n not in late} == {Verdict.GOOD}


# The product detect -------------------------------------------------------------------------


def test_a_missed_product_detect_costs_that_pack_alone(store: Store) -> None:
    """A dirty photo-eye: 5 packs printed but never detected, and 10 detects that bounced. The
    line never sees the missed packs (they go on unverified, into the good bin: what the
    reject FIFO cannot see), but their codes are rejected as late; each next pack's read
    shows the miss, and every other pack is judged on its own code."""
    open_batch(store, 120)
    with WiredLine(120, missed=0.05, double=0.05) as line:
        ran = run_on(line, store)
        packs = line.conveyor.good + line.conveyor.rejected
    missed = sorted(p.number for p in packs if p.detections == 0)
    bounced = [p.number for p in packs if p.detections == 2]
    assert (missed, len(bounced)) == ([9, 22, 57, 79, 107], 10)  # seed 7
    summary = ran.summary
    assert (summary.reconciled, summary.audit_ok, summary.balanced) == (True, True, True)
    verdicts = by_pack(store, 120)
    assert [n for n, v in verdicts.items() if v is not Verdict.GOOD] == missed
    assert {verdicts[n] for n in missed} == {Verdict.LATE}
    assert (summary.commissioned, summary.rejected["late"]) == (115, 5)
    assert ran.status["packs"] == 115  # the bounces filtered out, the misses never seen
    assert (ran.good_bin, ran.reject_bin, ran.on_belt) == (list(range(1, 121)), [], [])


# The printer --------------------------------------------------------------------------------


def test_a_double_print_is_rejected_as_a_duplicate(store: Store) -> None:
    open_batch(store, 100)

    def double(sim: SimulatedLine, _: LineController) -> None:
        wait_for(lambda: sim.conveyor.entered >= 50, "pack 50")
        sim.printer.double_print_next()

    ran = run_sim(store, 100, during=double)
    verdicts = assert_accounted(store, ran, 100)
    (pack,) = [n for n, verdict in verdicts.items() if verdict.rejected]
    assert verdicts[pack] is Verdict.DUPLICATE
    codes = raw_codes(store, 100)
    assert ran.unprinted == [codes[pack - 1]]  # confirmed, never on a pack: its code rejected
    assert ran.printed.count(codes[pack - 2]) == 2  # the pack before's label, twice
    assert ran.reject_bin == [pack]
    assert ran.summary.rejected["duplicate"] == 1
    assert ran.summary.commissioned == 99


def test_misprints_are_rejected(store: Store) -> None:
    open_batch(store, 100)

    def misprint(line: WiredLine, _: LineController) -> None:
        wait_for(lambda: line.conveyor.entered >= 50, "pack 50")
        line.printer.misprint_next(3)

    with WiredLine(100) as line:
        ran = run_on(line, store, during=misprint)
        smeared = [p.number for p in line.conveyor.good + line.conveyor.rejected
                   if p.imprint is not None and p.imprint.damaged]  # fmt: skip
    verdicts = assert_accounted(store, ran, 100)
    assert len(smeared) == 3
    assert sorted(smeared) == ran.reject_bin
    assert {verdicts[n] for n in smeared} <= {Verdict.NO_READ, Verdict.GRADE}
    assert ran.summary.commissioned == 97


# PackML -------------------------------------------------------------------------------------


def test_hold_and_suspend_stop_the_belt_and_the_line_goes_on(store: Store) -> None:
    open_batch(store, 120)
    seen: list[tuple[object, bool, str]] = []

    def pause(sim: SimulatedLine, controller: LineController, at: int, stop: Command,
              go: Command) -> None:  # fmt: skip
        wait_for(lambda: sim.conveyor.entered >= at, f"pack {at}")
        controller.request(stop)
        wait_for(lambda: not sim.conveyor.running, "the belt to stop")
        status = controller.status()
        seen.append((status["state"], sim.conveyor.running,
                     status["packtags"]["Admin.StopReason"]))  # fmt: skip
        assert controller.request(go) is State.EXECUTE
        wait_for(lambda: sim.conveyor.running, "the belt to run")

    def pauses(sim: SimulatedLine, controller: LineController) -> None:
        pause(sim, controller, 30, Command.HOLD, Command.UNHOLD)
        pause(sim, controller, 60, Command.SUSPEND, Command.UNSUSPEND)

    ran = run_sim(store, 120, during=pauses)
    verdicts = assert_accounted(store, ran, 120)
    assert set(verdicts.values()) == {Verdict.GOOD}  # nothing lost to a pause
    assert seen == [("Held", False, "operator command"), ("Suspended", False, "operator command")]
    assert line_states(store) == [
        *START,
        ("Execute", "Holding", "hold"), ("Holding", "Held", None),
        ("Held", "Unholding", "unhold"), ("Unholding", "Execute", None),
        ("Execute", "Suspending", "suspend"), ("Suspending", "Suspended", None),
        ("Suspended", "Unsuspending", "unsuspend"), ("Unsuspending", "Execute", None),
        *COMPLETE,
    ]  # fmt: skip


def test_an_illegal_command_changes_nothing(store: Store) -> None:
    open_batch(store, 40)
    answers: list[object] = []

    def unhold(sim: SimulatedLine, controller: LineController) -> None:
        wait_for(lambda: sim.conveyor.entered >= 10, "pack 10")
        answers.append(controller.request(Command.UNHOLD))

    ran = run_sim(store, 40, during=unhold)
    assert_accounted(store, ran, 40)
    (answer,) = answers
    assert str(answer) == (
        "Illegal PackML command Unhold in state Execute: expected one of Stop, Hold, Suspend, "
        "Abort, Complete. Hint: the path to production is Stopped -Reset-> Resetting -> Idle "
        "-Start-> Starting -> Execute; `jejak line status` shows the state."
    )
    assert line_states(store) == START + COMPLETE


def test_a_command_after_the_run_ended_is_refused_at_once(store: Store) -> None:
    open_batch(store, 30)
    with SimulatedLine("line-1", 30, SETTINGS) as sim:
        controller = LineController(store, BATCH, sim.config())
        controller.run()
    answer = controller.request(Command.HOLD, timeout=120)  # without the refusal: a 120 s wait
    assert isinstance(answer, LineError)
    assert str(answer) == (
        "The line is not running: its run of batch 'B1' ended in state Complete. Hint: "
        "`jejak line status` shows how it ended."
    )


@dataclass
class Stopped:
    """A line of 150 packs stopped by the operator at about pack 50, its devices still up."""

    sim: SimulatedLine
    config: LineConfig
    ran: Ran


@pytest.fixture
def stopped(store: Store) -> Iterator[Stopped]:
    open_batch(store, 150)

    def stop(sim: SimulatedLine, controller: LineController) -> None:
        wait_for(lambda: sim.conveyor.entered >= 50, "pack 50")
        assert controller.request(Command.STOP) is State.STOPPED

    with SimulatedLine("line-1", 150, SETTINGS) as sim:
        # A small printer buffer: the codes in it when the line stops are scrapped.
        config = dataclasses.replace(sim.config(), printer=dataclasses.replace(
            sim.config().printer, low=10, high=30))  # fmt: skip
        yield Stopped(sim, config, run_on(sim, store, during=stop, config=config))


def pack_verdicts(store: Store, printed: list[bytes]) -> dict[int, Verdict]:
    """Pack n carries printed[n - 1] (the printer's record, in print order): each pack's
    verdict, by the code on it."""
    index = {code: i for i, code in enumerate(raw_codes(store, 150))}
    _, verdicts, _ = columns(store)
    return {n: Verdict(int(verdicts[index[code]])) for n, code in enumerate(printed, 1)}


def test_stop_leaves_the_batch_open_with_every_code_accounted_for(
    store: Store, stopped: Stopped
) -> None:
    ran = stopped.ran
    assert ran.summary.reconciled is False
    assert store.batch(BATCH).status is BatchStatus.OPEN
    assert ran.status["state"] == "Stopped"
    assert ran.status["packtags"]["Admin.StopReason"] == "operator command"
    prints, verdicts, states = columns(store)
    assert np.all(verdicts[prints != PrintOutcome.PRINTED] == Verdict.NONE)
    assert np.all(states[verdicts == Verdict.GOOD] == CodeState.COMMISSIONED)
    # Every pack off the belt is in the bin its verdict says; a printed code without a verdict
    # is on a pack still on the belt (its printer answer came after the stop).
    by_code = pack_verdicts(store, ran.printed)
    assert ran.reject_bin == [n for n in ran.reject_bin if by_code[n].rejected]
    assert ran.good_bin == [n for n in ran.good_bin if by_code[n] is Verdict.GOOD]
    unjudged = [n for n, verdict in by_code.items() if verdict is Verdict.NONE]
    assert set(unjudged) <= set(ran.on_belt)
    assert line_states(store)[-2:] == [("Execute", "Stopping", "stop"),
                                       ("Stopping", "Stopped", None)]  # fmt: skip


def test_the_line_started_again_after_a_stop_finishes_the_batch(
    store: Store, stopped: Stopped
) -> None:
    """A new controller on the same devices: the packs the stop left on the belt move on, the
    ones not judged good into the reject bin; the rest of the batch runs and reconciles."""
    sim, first = stopped.sim, stopped.ran
    assert first.on_belt, "the stop left no pack on the belt"
    second = run_on(sim, store, config=stopped.config)
    summary = second.summary
    assert (summary.reconciled, summary.audit_ok, summary.balanced) == (True, True, True)
    assert store.batch(BATCH).status is BatchStatus.CLOSED
    assert summary.printed + summary.scrapped + summary.print_failed == 150  # nothing lost
    assert 0 < summary.scrapped <= 30  # the printer's buffer when the line stopped
    assert len(second.printed) == len(set(second.printed)) == summary.printed  # once each
    by_code = pack_verdicts(store, second.printed)
    labelled = set(by_code)
    assert not labelled & set(second.on_belt)  # every labelled pack is off the belt
    assert [n for n in second.reject_bin if n in labelled] == sorted(
        n for n, verdict in by_code.items() if verdict.rejected)  # fmt: skip
    assert [n for n in second.good_bin if n in labelled] == sorted(
        n for n, verdict in by_code.items() if verdict is Verdict.GOOD)  # fmt: skip
    late = [n for n, verdict in by_code.items() if verdict is Verdict.LATE]
    assert set(late) <= set(first.on_belt)  # only packs the stop caught between the stations
    assert set(by_code.values()) <= {Verdict.GOOD, Verdict.LATE}
    assert line_states(store)[-6:] == START + COMPLETE


# The line I/O -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "state", "reason"),
    [("e_stop", State.STOPPED, "conveyor fault: e-stop"),
     ("drop_connection", State.ABORTED, "line I/O lost: connection closed by the line I/O")],
)  # fmt: skip
def test_a_conveyor_fault_ends_the_run_with_the_batch_open(
    store: Store, fault: str, state: State, reason: str
) -> None:
    open_batch(store, 120)

    def fail(sim: SimulatedLine, _: LineController) -> None:
        wait_for(lambda: sim.conveyor.entered >= 40, "pack 40")
        getattr(sim.conveyor, fault)()

    ran = run_sim(store, 120, during=fail)
    assert ran.status["state"] == state.label
    assert ran.status["packtags"]["Admin.StopReason"] == reason
    assert store.batch(BATCH).status is BatchStatus.OPEN
    assert ran.summary.reconciled is False

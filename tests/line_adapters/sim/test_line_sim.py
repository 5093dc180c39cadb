"""The simulated line: its devices started together and pointed at by `config()`, its injected
faults seen by a real line controller (real pixels, a real store), and its recorded runs
(`run_line`, `interrupted`, resume).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jejak.engine.batch_record import BatchStatus
from jejak.engine.codes import Level
from jejak.engine.errors import InvalidQuantity
from jejak.engine.store import VERDICTS, EventKind, Store
from jejak.engine.verification import Verdict
from jejak.line_adapters.camera.result import CameraKind
from jejak.line_adapters.config import TriggerMode
from jejak.line_adapters.line import LineController, LineOptions
from jejak.line_adapters.sim.line import SimSettings, SimulatedLine
from jejak.line_adapters.sim.runs import Run, interrupted, run_line
from jejak.line_adapters.summary import LineSummary
from jejak.printers.device import DeviceKind
from jejak.printers.symbols import SymbolKind
from jejak.testing import FORMAT, make_request

GUARD = 30.0  # seconds: a failure guard only


def open_batch(store: Store, units: int, batch: str = "B1") -> None:
    store.open_batch(make_request(batch, quantity=units), serial_format=FORMAT,
                     overage_pct=0, actor="qa")  # fmt: skip


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"waited {GUARD:g} s for {what}"
        time.sleep(0.001)


def verdicts_by_pack(store: Store, units: int, batch: str = "B1") -> dict[int, Verdict]:
    """Pack n on the belt was to carry code n - 1 (the printer's records in index order)."""
    record = store.batch(batch)
    with store.view() as view:
        column = view.column(VERDICTS, record, Level.PRIMARY)
    return {n: Verdict(int(column[n - 1])) for n in range(1, units + 1)}


# The devices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printer", "camera"),
    [(DeviceKind.CODER, CameraKind.COGNEX), (DeviceKind.ZPL, CameraKind.KEYENCE)],
)
def test_config_points_at_the_running_devices(printer: DeviceKind, camera: CameraKind) -> None:
    settings = SimSettings(printer=printer, camera=camera, ppm=300)
    with SimulatedLine("line-3", 5, settings) as sim:
        config = sim.config(control="tcp://127.0.0.1:7470")
        assert (config.name, config.ppm, config.control) == ("line-3", 300, "tcp://127.0.0.1:7470")
        assert (config.printer.kind, config.printer.address.port) == (printer, sim.printer.port)
        assert (config.camera.kind, config.camera.address.port) == (camera, sim.camera.port)
        assert config.camera.trigger is TriggerMode.HARDWARE
        assert config.io.address.port == sim.conveyor.port
        assert (config.io.pitch, config.io.camera_at, config.io.reject_at) == (
            sim.conveyor.pitch, sim.conveyor.camera_at, sim.conveyor.reject_at)  # fmt: skip
        assert {config.printer.address.host, config.camera.address.host,
                config.io.address.host} == {"127.0.0.1"}  # fmt: skip


@pytest.mark.parametrize("rate", [-0.1, 0.6, True, "0.1", float("nan")])
def test_a_bad_fault_rate_is_refused(rate: Any) -> None:
    with pytest.raises(InvalidQuantity) as refused:
        SimSettings(fault_rate=rate)
    assert str(refused.value) == (
        f"Invalid fault rate {rate!r}: expected a fraction from 0 to 0.5. Hint: 0.02 makes "
        "about one pack in fifty meet a fault."
    )


# Faults, as the line controller sees them ----------------------------------------------------


def run_controller(store: Store, units: int, settings: SimSettings,
                   during: Callable[[SimulatedLine], None] | None = None,
                   ) -> tuple[LineSummary, list[int], list[int]]:  # fmt: skip
    """The batch on a simulated line; the summary and the pack numbers in each bin."""
    with SimulatedLine("line-1", units, settings) as sim:
        controller = LineController(store, "B1", sim.config(), LineOptions())
        helper = threading.Thread(target=during, args=(sim,)) if during else None
        if helper is not None:
            helper.start()
        summary = controller.run()
        if helper is not None:
            helper.join(GUARD)
        belt = sim.conveyor
        assert belt.in_transit == []
        return summary, [p.number for p in belt.good], [p.number for p in belt.rejected]


def test_the_injected_faults_are_rejected_and_binned(store: Store) -> None:
    """At a fault rate of 0.15 (seeded): no-reads, smeared and wiped labels, faded ones and a
    double print; every one rejected, into the reject bin, and the batch balances."""
    open_batch(store, 150)
    settings = SimSettings(ppm=240, time_factor=5, seed=4, fault_rate=0.15)
    summary, good, rejected = run_controller(store, 150, settings)
    assert summary.balanced is True
    verdicts = verdicts_by_pack(store, 150)
    assert rejected == [n for n, v in verdicts.items() if v.rejected]
    assert good == [n for n, v in verdicts.items() if v is Verdict.GOOD]
    reasons = {label for label, count in summary.rejected.items() if count}
    assert {"no_read", "grade"} <= reasons <= {"no_read", "grade", "duplicate", "mismatch"}
    assert 5 <= len(rejected) <= 40


def test_a_printer_misprint_shows_in_the_photograph(store: Store) -> None:
    open_batch(store, 80)

    def misprint(sim: SimulatedLine) -> None:
        wait_for(lambda: sim.conveyor.entered >= 30, "pack 30")
        sim.printer.misprint_next(3)

    settings = SimSettings(ppm=240, time_factor=5, seed=2)
    summary, _, rejected = run_controller(store, 80, settings, misprint)
    assert summary.balanced is True
    assert len(rejected) == 3


def test_after_a_camera_silence_the_camera_photographs_the_pack_at_its_eye(
    store: Store,
) -> None:
    open_batch(store, 80)

    def silence(sim: SimulatedLine) -> None:
        wait_for(lambda: sim.camera.triggers >= 30, "trigger 30")
        sim.camera.set_silent()
        wait_for(lambda: sim.camera.triggers >= 33, "trigger 33")
        sim.camera.set_silent(False)

    settings = SimSettings(ppm=240, time_factor=5, seed=2)
    summary, _, rejected = run_controller(store, 80, settings, silence)
    assert summary.balanced is True
    assert min(rejected) >= 30  # the packs it missed, not the last ones
    assert max(rejected) <= 40


@pytest.mark.parametrize(("disconnects", "printer_disconnects"), [(True, False), (False, True)])
def test_a_device_that_drops_off_costs_only_the_packs_in_its_outage(
    store: Store, disconnects: bool, printer_disconnects: bool
) -> None:
    """The camera drops its link at half way, or the printer at a third (its buffer is lost:
    the line suspends itself, clears the packs in transit and goes on when it is back). Only
    packs near the outage are rejected; nothing is mismatched afterwards. (400 packs: more
    than the printer's buffer holds, so jobs are still to come when it is back.)"""
    units = 400
    open_batch(store, units)
    settings = SimSettings(ppm=240, time_factor=5, seed=3, disconnects=disconnects,
                           printer_disconnects=printer_disconnects)  # fmt: skip
    summary, _, _ = run_controller(store, units, settings)
    assert summary.balanced is True
    assert summary.rejected["mismatch"] == 0
    assert summary.commissioned >= units // 2  # a loaded machine may add late rejects, no more
    states = [(e.data["to"], e.data["reason"]) for e in store.events()
              if e.what is EventKind.LINE_STATE]  # fmt: skip
    if printer_disconnects:
        assert summary.scrapped > 0  # the jobs its lost buffer held
        assert ("Suspending", "the printer is not ready") in states
        assert ("Unsuspending", "the printer is back") in states
    else:
        assert summary.scrapped == 0


# Recorded runs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "run",
    [Run("line-1", "B1", 10, SimSettings()),
     Run("line-2", "B2", 7, SimSettings(ppm=120, time_factor=2.5, printer=DeviceKind.ZPL,
                                        camera=CameraKind.KEYENCE, symbol=SymbolKind.GS1_QR,
                                        fault_rate=0.25, disconnects=True, seed=9,
                                        record=Path("records/line-2.txt"),
                                        trigger=TriggerMode.SOFTWARE),
         sample_every=50)],
)  # fmt: skip
def test_a_run_survives_its_json(run: Run) -> None:
    data = run.to_json()
    assert data["phase"] == "start"
    assert Run.from_json(run.batch, data) == run


def test_a_run_interrupted_is_found_and_resumed(store: Store, tmp_path: Path) -> None:
    """A run stopped at pack 30 has a start and no end: `interrupted` finds it, and the resume
    runs the packs still due on a fresh line (the codes in the printer's buffer at the stop are
    scrapped) and closes the batch; nothing printed twice."""
    open_batch(store, 250)
    record = tmp_path / "line-1.txt"
    run = Run("line-1", "B1", 250, SimSettings(ppm=240, time_factor=5, seed=3, record=record))
    stop = threading.Event()
    helpers: list[threading.Thread] = []

    def stop_at_30(controller: LineController) -> None:
        wait_for(lambda: controller.status()["packs"] >= 30, "pack 30")
        stop.set()

    def started(controller: LineController) -> None:
        helpers.append(threading.Thread(target=stop_at_30, args=(controller,)))
        helpers[-1].start()

    summary = run_line(store, run, actor="qa", stop=stop, started=started)
    helpers[0].join(GUARD)
    assert summary.reconciled is False
    assert store.batch("B1").status is BatchStatus.OPEN
    (found,) = interrupted(store)
    assert found == run
    resumed = run_line(store, found, actor="qa", resuming=True)
    assert (resumed.reconciled, resumed.audit_ok, resumed.balanced) == (True, True, True)
    assert resumed.printed + resumed.scrapped + resumed.print_failed == 250
    assert resumed.printed > summary.printed  # the resume printed packs too
    assert store.batch("B1").status is BatchStatus.CLOSED
    assert interrupted(store) == []
    printed = record.read_text(encoding="ascii").splitlines()
    assert len(printed) == len(set(printed)) == resumed.printed  # each code printed once
    phases = [e.data["phase"] for e in store.events() if e.what is EventKind.LINE_RUN]
    assert phases == ["start", "end"]

"""Reject timing on the simulated line: a pack that was not verified in time is pushed off,
whatever keeps the controller's loop or the store busy, and never a pack it was not meant for.

Each run is checked against the conveyor's bins by the code on each pack (not by its place on
the belt): every pack in the good bin carries a code that is Commissioned (or Sampled), every
pack in the reject bin one that is not (a label printed twice aside: its first copy is
Commissioned on the pack before), no pack is left on the belt and no fire is wasted.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.store import VERDICTS, Store
from jejak.engine.verification import Verdict
from jejak.line_adapters.config import TriggerMode
from jejak.line_adapters.line import LineController, LineOptions
from jejak.line_adapters.packml import Command
from jejak.line_adapters.sim.conveyor import Pack
from jejak.line_adapters.sim.line import SimSettings, SimulatedLine
from jejak.line_adapters.summary import LineSummary
from jejak.testing import FORMAT, make_request

BATCH = "B1"
SETTINGS = SimSettings(ppm=240, time_factor=5, seed=7)  # 20 packs a second
GUARD = 30.0  # seconds: a failure guard, never a bound the test measures


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD
    while not condition():
        assert time.monotonic() < deadline, f"waited {GUARD:g} s for {what}"
        time.sleep(0.001)


@dataclass
class Binned:
    """A run and where each code ended: by pack number, the code's state and verdict."""

    summary: LineSummary
    status: dict[str, Any]
    good: dict[int, tuple[CodeState, Verdict]]
    rejected: dict[int, tuple[CodeState, Verdict]]
    duplicates: set[int]  # packs carrying a label printed a second time
    on_belt: list[int]
    wasted_fires: list[int]


def run_binned(store: Store, units: int, during: Callable[[SimulatedLine], None],
               settings: SimSettings = SETTINGS,
               setup: Callable[[LineController], None] | None = None) -> Binned:  # fmt: skip
    """Run `units` packs with `during(sim)` on a thread (and `setup` given the controller
    first); where each pack's code ended."""
    store.open_batch(make_request(BATCH, quantity=units), serial_format=FORMAT,
                     overage_pct=0, actor="qa")  # fmt: skip
    with SimulatedLine("line-1", units, settings) as sim:
        controller = LineController(store, BATCH, sim.config(), LineOptions())
        if setup is not None:
            setup(controller)
        helper = threading.Thread(target=during, args=(sim,), name="during")
        helper.start()
        summary = run_guarded(controller)
        helper.join(GUARD)
        belt = sim.conveyor
        good, rejected, on_belt = belt.good, belt.rejected, belt.in_transit
        wasted = belt.wasted_fires
    record = store.batch(BATCH)
    with store.view() as view:
        states = view.states(record, Level.PRIMARY)
        verdicts = view.column(VERDICTS, record, Level.PRIMARY)
        index = {view.code(record, Level.PRIMARY, i).raw.encode("ascii"): i
                 for i in range(units)}  # fmt: skip

    def fate(packs: list[Pack]) -> dict[int, tuple[CodeState, Verdict]]:
        codes = {pack.number: index[labelled(pack)] for pack in packs}
        return {n: (CodeState(states[i]), Verdict(int(verdicts[i]))) for n, i in codes.items()}

    seen: set[bytes] = set()
    twice = set()
    for pack in sorted(good + rejected, key=lambda p: p.number):
        if labelled(pack) in seen:
            twice.add(pack.number)
        seen.add(labelled(pack))
    return Binned(summary, controller.status(), fate(good), fate(rejected), twice,
                  [p.number for p in on_belt], wasted)  # fmt: skip


def labelled(pack: Pack) -> bytes:
    assert pack.imprint is not None, f"pack {pack.number} left the printer unlabelled"
    return pack.imprint.data


def run_guarded(controller: LineController) -> LineSummary:
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


def assert_binned(ran: Binned) -> None:
    summary = ran.summary
    assert (summary.reconciled, summary.audit_ok, summary.balanced) == (True, True, True)
    escaped = {n: v for n, (s, v) in ran.good.items()
               if s not in (CodeState.COMMISSIONED, CodeState.SAMPLED)}  # fmt: skip
    assert escaped == {}, "packs in the good bin whose code is not commissioned"
    wrongly = {n: v for n, (s, v) in ran.rejected.items()
               if s is CodeState.COMMISSIONED and n not in ran.duplicates}  # fmt: skip
    assert wrongly == {}, "commissioned packs in the reject bin"
    assert (ran.on_belt, ran.wasted_fires) == ([], [])
    assert ran.status["fired"] == len(ran.rejected)


# The store's writer busy ----------------------------------------------------------------------


def test_a_busy_store_never_lets_an_unverified_pack_into_the_good_bin(store: Store) -> None:
    """Another writer holds the store (a case packer's unit of work, a slow disk) for a second
    while packs pass the camera: their verdicts and printer answers wait for it. The line must
    keep its rejector ahead of the belt all the while: no loop that waits for the disk while
    packs without a verdict reach the reject point, pushed off too late (the pack behind
    instead, or nothing)."""

    def busy(sim: SimulatedLine) -> None:
        wait_for(lambda: sim.camera.triggers >= 30, "trigger 30")
        with store.unit_of_work("packer"):  # the store's one writer, for a second
            sim.camera.set_silent()  # meanwhile the camera misses a few packs
            wait_for(lambda: sim.camera.triggers >= 35, "trigger 35")
            sim.camera.set_silent(False)
            time.sleep(1.0)

    ran = run_binned(store, 100, busy)
    assert_binned(ran)


def test_good_verdicts_the_store_did_not_take_reject_their_packs(store: Store) -> None:
    """One group commit of verdicts fails (a disk error): those packs were judged good, but
    their codes have no verdict (the batch's close rejects them as late), so they must not
    pass as good: they are pushed off."""
    calls = 0

    def failing(controller: LineController) -> None:
        ledger = controller.verifier.ledger
        commit = ledger.commit

        def commit_or_fail(verdicts: Any, *, actor: str) -> Any:
            nonlocal calls
            calls += 1
            if calls == 5:
                raise StoreError("Could not write the store: an I/O error (a test's).")
            return commit(verdicts, actor=actor)

        ledger.commit = commit_or_fail  # type: ignore[method-assign]

    ran = run_binned(store, 60, lambda _: None, setup=failing)
    assert_binned(ran)
    late = [n for n, (_, v) in ran.rejected.items() if v is Verdict.LATE]
    assert late, "no commit failed"
    assert {v for n, (_, v) in ran.rejected.items() if n not in late} <= {Verdict.DUPLICATE}
    assert ran.status["verdicts"]["late"] == len(late)


# The camera gone -------------------------------------------------------------------------------


def test_a_camera_gone_for_good_while_the_line_triggers_it_rejects_the_rest_late(
    store: Store,
) -> None:
    """camera.trigger = "software": mid-run the camera goes away and refuses the reconnect.
    A trigger with no camera is no read: every pack from there on is rejected as late (not a
    line that dies with its packs on the belt), and the batch reconciles."""

    def gone(sim: SimulatedLine) -> None:
        wait_for(lambda: sim.camera.triggers >= 30, "trigger 30")
        sim.camera.stop()

    settings = dataclasses.replace(SETTINGS, trigger=TriggerMode.SOFTWARE)
    ran = run_binned(store, 80, gone, settings)
    assert_binned(ran)
    assert {v for _, v in ran.rejected.values()} == {Verdict.LATE}
    first = min(ran.rejected)
    assert 28 <= first <= 34  # about where the camera went
    assert sorted(ran.rejected) == list(range(first, 81))

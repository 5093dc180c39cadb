"""PackTags of a running machine: times on a clock the test moves, counts and AccCounts, speed,
the stop reason, the JSON form; and a Hypothesis state machine that keeps them consistent."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from jejak.engine.errors import IllegalCommand, InvalidQuantity
from jejak.line_adapters.packml import (
    COMPLETES,
    MODE_CHANGE_STATES,
    TRANSITIONS,
    Change,
    Command,
    Machine,
    State,
    UnitMode,
)

C = Command


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_times_in_the_current_state_and_per_state() -> None:
    clock = Clock()
    machine = Machine(clock=clock)
    clock.now += 5
    machine.command(Command.RESET)
    clock.now += 2
    machine.complete()  # Idle
    clock.now += 3
    tags = machine.tags()
    assert tags.state_current is State.IDLE
    assert tags.state_current_time == 3.0
    assert dict(tags.state_cumulative_time) == {
        **dict.fromkeys([s for s in State if s is not State.UNDEFINED], 0.0),
        State.STOPPED: 5.0,
        State.RESETTING: 2.0,
        State.IDLE: 3.0,
    }
    clock.now += 4  # the current state's running time keeps counting
    assert machine.tags().state_cumulative_time[State.IDLE] == 7.0
    assert tags.state_cumulative_time[State.IDLE] == 3.0  # a snapshot does not change


def test_times_add_up_over_a_revisited_state() -> None:
    clock = Clock()
    machine = Machine(clock=clock)
    for _ in range(3):
        machine.command(Command.ABORT)
        clock.now += 1
        machine.complete()
        clock.now += 10
        machine.command(Command.CLEAR)
        clock.now += 2
        machine.complete()
        clock.now += 4
    cumulative = machine.tags().state_cumulative_time
    assert (cumulative[State.ABORTING], cumulative[State.ABORTED]) == (3.0, 30.0)
    assert (cumulative[State.CLEARING], cumulative[State.STOPPED]) == (6.0, 12.0)


def test_counts_restart_at_reset_and_acc_counts_never() -> None:
    machine = Machine()
    machine.count(processed=100, defective=3)
    machine.count(processed=20)
    machine.count(defective=1)
    tags = machine.tags()
    assert (tags.prod_processed_count, tags.prod_defective_count) == (120, 4)
    machine.command(Command.RESET)
    machine.count(processed=5, defective=1)
    tags = machine.tags()
    assert (tags.prod_processed_count, tags.prod_defective_count) == (5, 1)
    assert (tags.prod_processed_acc, tags.prod_defective_acc) == (125, 5)


@pytest.mark.parametrize(
    ("processed", "defective", "message"),
    [
        (-1, 0, "Invalid processed count -1"),
        (0, -2, "Invalid defective count -2"),
        (True, 0, "Invalid processed count True"),
        (1.0, 0, "Invalid processed count 1.0"),
        ("3", 0, "Invalid processed count '3'"),
    ],
)
def test_counts_refuse_what_is_no_pack_count(
    processed: object, defective: object, message: str
) -> None:
    machine = Machine()
    with pytest.raises(InvalidQuantity) as caught:
        machine.count(processed, defective)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"{message}: expected a whole number of packs, 0 or more. Hint: counts only grow; "
        "Reset restarts them."
    )
    assert machine.tags().prod_processed_count == 0


def test_speed() -> None:
    machine = Machine(design_speed=400)
    machine.set_speed(398.5)
    tags = machine.tags()
    assert (tags.cur_mach_speed, tags.mach_design_speed) == (398.5, 400.0)
    machine.set_speed(0)
    assert machine.tags().cur_mach_speed == 0.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [(-1, "-1"), (float("nan"), "nan"), (float("inf"), "inf"), (True, "True"), ("600", "'600'")],
)
def test_speed_refuses_what_is_no_speed(value: object, shown: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        Machine().set_speed(value)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"Invalid machine speed {shown}: expected packs per minute, 0 or more. Hint: 600 is a "
        "typical pharma carton line."
    )


def test_design_speed_must_be_positive() -> None:
    with pytest.raises(InvalidQuantity) as caught:
        Machine(design_speed=0)
    assert str(caught.value) == (
        "Invalid design speed 0.0: expected packs per minute above 0. Hint: the machine's rated "
        "speed, e.g. 600."
    )


def test_stop_reason_from_the_stopping_command_until_the_machine_runs_again() -> None:
    machine = Machine()
    for step in (C.RESET, None, C.START, None):
        machine.complete() if step is None else machine.command(step)
    machine.command(Command.HOLD, reason="starved: no cartons")
    assert machine.tags().stop_reason == "starved: no cartons"
    machine.complete()
    machine.command(Command.UNHOLD)
    assert machine.tags().stop_reason is None
    machine.complete()
    machine.command(Command.ABORT, reason="camera 1 disconnected")
    machine.complete()
    machine.command(Command.CLEAR)  # Clear does not clear the reason: the machine has not run
    machine.complete()
    assert machine.tags().stop_reason == "camera 1 disconnected"
    machine.command(Command.ABORT)  # a stop without a reason leaves no stale reason behind
    assert machine.tags().stop_reason is None


def test_as_dict_is_json_with_the_packtags_names() -> None:
    clock = Clock()
    machine = Machine(clock=clock, design_speed=600)
    machine.command(Command.RESET)
    clock.now += 1.5
    machine.complete()
    machine.command(Command.START)
    machine.complete()
    machine.set_speed(597.0)
    machine.count(processed=10, defective=2)
    clock.now += 2
    machine.command(Command.STOP, reason="operator")
    clock.now += 0.25
    data = machine.tags().as_dict()
    assert data == {
        "StateCurrent": 7,
        "StateCurrentName": "Stopping",
        "UnitModeCurrent": 1,
        "UnitModeCurrentName": "Production",
        "CurMachSpeed": 597.0,
        "MachDesignSpeed": 600.0,
        "Admin.ProdProcessedCount": 10,
        "Admin.ProdDefectiveCount": 2,
        "Admin.ProdProcessedAccCount": 10,
        "Admin.ProdDefectiveAccCount": 2,
        "Admin.StopReason": "operator",
        "Admin.StateCurrentTime": 0.25,
        "Admin.StateCumulativeTime": {
            "Clearing": 0.0,
            "Stopped": 0.0,
            "Starting": 0.0,
            "Idle": 0.0,
            "Suspended": 0.0,
            "Execute": 2.0,
            "Stopping": 0.25,
            "Aborting": 0.0,
            "Aborted": 0.0,
            "Holding": 0.0,
            "Held": 0.0,
            "Unholding": 0.0,
            "Suspending": 0.0,
            "Unsuspending": 0.0,
            "Resetting": 1.5,
            "Completing": 0.0,
            "Complete": 0.0,
        },
    }
    assert json.loads(json.dumps(data)) == data


class MachineRun(RuleBasedStateMachine):
    """Random commands, state completes, mode changes, counts and clock steps; whatever happens,
    the machine stays consistent with the table and with what it reported."""

    @initialize(hold=st.booleans())
    def make(self, hold: bool) -> None:
        self.clock = Clock(50.0)
        self.start = self.clock.now
        self.changes: list[Change] = []
        self.accepted = 0
        self.hold = hold
        self.machine = Machine(
            clock=self.clock, on_change=self.changes.append, hold_from_suspended=hold
        )
        self.last = self.machine.tags()

    @rule(command=st.sampled_from(Command), reason=st.none() | st.text(max_size=5))
    def command(self, command: Command, reason: str | None) -> None:
        state = self.machine.state
        expected = TRANSITIONS.get((state, command))
        if self.hold and command is Command.HOLD and state in _SUSPENDED:
            expected = State.HOLDING
        if expected is None:
            with pytest.raises(IllegalCommand):
                self.machine.command(command, reason=reason)
        else:
            assert self.machine.command(command, reason=reason) is expected
            self.accepted += 1

    @rule()
    def complete(self) -> None:
        state = self.machine.state
        if state in COMPLETES:
            assert self.machine.complete() is COMPLETES[state]
            self.accepted += 1
        else:
            with pytest.raises(IllegalCommand):
                self.machine.complete()

    @rule(mode=st.sampled_from(UnitMode))
    def set_mode(self, mode: UnitMode) -> None:
        before = self.machine.mode
        if mode is before:
            self.machine.set_mode(mode)
        elif self.machine.state in MODE_CHANGE_STATES:
            self.machine.set_mode(mode)
            self.accepted += 1
        else:
            with pytest.raises(IllegalCommand):
                self.machine.set_mode(mode)
        assert self.machine.mode is (mode if self.machine.state in MODE_CHANGE_STATES else before)

    @rule(processed=st.integers(0, 1000), defective=st.integers(0, 10))
    def count(self, processed: int, defective: int) -> None:
        self.machine.count(processed, defective)

    @rule(seconds=st.integers(0, 3600))
    def tick(self, seconds: int) -> None:
        self.clock.now += seconds  # whole seconds: sums are exact in floating point

    @invariant()
    def consistent(self) -> None:
        tags = self.machine.tags()
        assert isinstance(tags.state_current, State)
        assert tags.state_current is not State.UNDEFINED
        assert sum(tags.state_cumulative_time.values()) == self.clock.now - self.start
        assert all(seconds >= 0 for seconds in tags.state_cumulative_time.values())
        assert tags.prod_processed_acc >= self.last.prod_processed_acc
        assert tags.prod_defective_acc >= self.last.prod_defective_acc
        assert tags.prod_processed_acc >= tags.prod_processed_count
        assert len(self.changes) == self.accepted  # every change reported, once
        if self.changes:
            assert self.changes[-1].after is tags.state_current
            assert self.changes[-1].mode is tags.unit_mode_current
        entered = [c.at for c in self.changes if not c.is_mode_change] or [self.start]
        assert entered[-1] + tags.state_current_time == self.clock.now
        assert all(a.after is b.before for a, b in itertools.pairwise(self.changes))
        self.last = tags


_SUSPENDED = {State.SUSPENDED, State.SUSPENDING, State.UNSUSPENDING}
TestMachineRun = MachineRun.TestCase

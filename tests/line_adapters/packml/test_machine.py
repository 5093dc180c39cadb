"""The PackML machine: the whole command table, state complete, unit modes, the reported changes
(once each, rolled back when the report fails) and a control thread sharing the machine."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence

import pytest

from jejak.engine.errors import IllegalCommand
from jejak.line_adapters.packml import TRANSITIONS, Change, Command, Machine, State, UnitMode

S, C = State, Command
SC = None  # a step that is a state complete, not a command

# The command table, written out state by state from ISA-TR88.00.02 as the reference reads it;
# every pair not listed is an illegal command.
STOP_ABORT = {C.STOP: S.STOPPING, C.ABORT: S.ABORTING}
EXPECTED: dict[State, dict[Command, State]] = {
    S.UNDEFINED: {},
    S.CLEARING: {C.ABORT: S.ABORTING},
    S.STOPPED: {C.RESET: S.RESETTING, C.ABORT: S.ABORTING},
    S.STARTING: STOP_ABORT,
    S.IDLE: {C.START: S.STARTING, **STOP_ABORT},
    S.SUSPENDED: {C.UNSUSPEND: S.UNSUSPENDING, **STOP_ABORT},
    S.EXECUTE: {
        C.HOLD: S.HOLDING,
        C.SUSPEND: S.SUSPENDING,
        C.COMPLETE: S.COMPLETING,
        **STOP_ABORT,
    },
    S.STOPPING: {C.ABORT: S.ABORTING},
    S.ABORTING: {},
    S.ABORTED: {C.CLEAR: S.CLEARING},
    S.HOLDING: STOP_ABORT,
    S.HELD: {C.UNHOLD: S.UNHOLDING, **STOP_ABORT},
    S.UNHOLDING: STOP_ABORT,
    S.SUSPENDING: STOP_ABORT,
    S.UNSUSPENDING: STOP_ABORT,
    S.RESETTING: STOP_ABORT,
    S.COMPLETING: STOP_ABORT,
    S.COMPLETE: {C.RESET: S.RESETTING, **STOP_ABORT},
}

# How a machine that powers up in Stopped gets to each state.
EXECUTE = [C.RESET, SC, C.START, SC]
PATHS: dict[State, list[Command | None]] = {
    S.STOPPED: [],
    S.RESETTING: [C.RESET],
    S.IDLE: [C.RESET, SC],
    S.STARTING: [C.RESET, SC, C.START],
    S.EXECUTE: EXECUTE,
    S.HOLDING: [*EXECUTE, C.HOLD],
    S.HELD: [*EXECUTE, C.HOLD, SC],
    S.UNHOLDING: [*EXECUTE, C.HOLD, SC, C.UNHOLD],
    S.SUSPENDING: [*EXECUTE, C.SUSPEND],
    S.SUSPENDED: [*EXECUTE, C.SUSPEND, SC],
    S.UNSUSPENDING: [*EXECUTE, C.SUSPEND, SC, C.UNSUSPEND],
    S.COMPLETING: [*EXECUTE, C.COMPLETE],
    S.COMPLETE: [*EXECUTE, C.COMPLETE, SC],
    S.STOPPING: [C.RESET, SC, C.STOP],
    S.ABORTING: [C.ABORT],
    S.ABORTED: [C.ABORT, SC],
    S.CLEARING: [C.ABORT, SC, C.CLEAR],
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def machine_in(
    state: State,
    *,
    on_change: Callable[[Change], None] | None = None,
    hold_from_suspended: bool = False,
) -> Machine:
    machine = Machine(clock=Clock(), on_change=on_change, hold_from_suspended=hold_from_suspended)
    walk(machine, PATHS[state])
    assert machine.state is state
    return machine


def walk(machine: Machine, steps: Sequence[Command | None]) -> None:
    for step in steps:
        if step is SC:
            machine.complete()
        else:
            machine.command(step)


def test_the_table_is_the_transitions_constant() -> None:
    flat = {(s, c): t for s, row in EXPECTED.items() for c, t in row.items()}
    assert dict(TRANSITIONS) == flat


def test_a_machine_powers_up_stopped_in_production() -> None:
    machine = Machine()
    assert (machine.state, machine.mode) == (State.STOPPED, UnitMode.PRODUCTION)
    assert machine.legal() == {Command.RESET, Command.ABORT}


@pytest.mark.parametrize(
    ("state", "command"),
    [(s, c) for s in State for c in Command],
    ids=lambda v: v.label,
)
def test_the_whole_command_table(state: State, command: Command) -> None:
    expected = EXPECTED[state].get(command)
    if state is State.UNDEFINED:  # no machine is ever in it: the table has no row for it
        assert (state, command) not in TRANSITIONS
        return
    changes: list[Change] = []
    machine = machine_in(state, on_change=changes.append)
    before = machine.tags()
    changes.clear()
    if expected is None:
        with pytest.raises(IllegalCommand):
            machine.command(command)
        assert machine.state is state
        assert machine.tags() == before
        assert changes == []
    else:
        assert machine.command(command) is expected
        assert machine.state is expected
        assert [(c.before, c.after, c.command) for c in changes] == [(state, expected, command)]
    assert machine.legal() == frozenset(EXPECTED[machine.state])


def test_an_illegal_command_names_it_the_state_and_the_legal_ones() -> None:
    with pytest.raises(IllegalCommand) as caught:
        Machine().command(Command.START)
    assert str(caught.value) == (
        "Illegal PackML command Start in state Stopped: expected one of Reset, Abort. Hint: the "
        "path to production is Stopped -Reset-> Resetting -> Idle -Start-> Starting -> Execute; "
        "`jejak line status` shows the state."
    )


def test_an_illegal_command_in_an_acting_state_says_it_completes_by_itself() -> None:
    with pytest.raises(IllegalCommand) as caught:
        machine_in(State.RESETTING).command(Command.START)
    assert str(caught.value) == (
        "Illegal PackML command Start in state Resetting: expected one of Stop, Abort. Hint: "
        "Resetting is an acting state; it completes into Idle."
    )


@pytest.mark.parametrize("state", [S.HOLDING, S.HELD], ids=lambda s: s.label)
def test_hold_when_holding_or_held_is_an_error(state: State) -> None:
    with pytest.raises(IllegalCommand):
        machine_in(state).command(Command.HOLD)


@pytest.mark.parametrize(
    "state", [S.SUSPENDED, S.SUSPENDING, S.UNSUSPENDING], ids=lambda s: s.label
)
def test_hold_from_suspended_only_when_the_machine_opts_in(state: State) -> None:
    with pytest.raises(IllegalCommand):
        machine_in(state).command(Command.HOLD)
    machine = machine_in(state, hold_from_suspended=True)
    assert Command.HOLD in machine.legal()
    assert machine.command(Command.HOLD) is State.HOLDING
    assert machine.complete() is State.HELD


SC_EXPECTED = {
    S.CLEARING: S.STOPPED,
    S.STARTING: S.EXECUTE,
    S.STOPPING: S.STOPPED,
    S.ABORTING: S.ABORTED,
    S.HOLDING: S.HELD,
    S.UNHOLDING: S.EXECUTE,
    S.SUSPENDING: S.SUSPENDED,
    S.UNSUSPENDING: S.EXECUTE,
    S.RESETTING: S.IDLE,
    S.COMPLETING: S.COMPLETE,
    S.EXECUTE: S.COMPLETING,  # the end of the run, as the Complete command
}


@pytest.mark.parametrize("state", list(SC_EXPECTED), ids=lambda s: s.label)
def test_state_complete(state: State) -> None:
    changes: list[Change] = []
    machine = machine_in(state, on_change=changes.append)
    changes.clear()
    assert machine.complete() is SC_EXPECTED[state]
    assert [(c.before, c.after, c.command) for c in changes] == [(state, SC_EXPECTED[state], None)]


@pytest.mark.parametrize("state", [s for s in State if s.is_wait], ids=lambda s: s.label)
def test_a_wait_state_refuses_state_complete(state: State) -> None:
    machine = machine_in(state)
    with pytest.raises(IllegalCommand):
        machine.complete()
    assert machine.state is state


def test_state_complete_refused_message() -> None:
    with pytest.raises(IllegalCommand) as caught:
        machine_in(State.IDLE).complete()
    assert str(caught.value) == (
        "Illegal state complete in state Idle: only an acting state or Execute completes; Idle "
        "waits for one of Start, Stop, Abort. Hint: send a command instead."
    )


# Unit modes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.STOPPED, S.IDLE, S.ABORTED], ids=lambda s: s.label)
def test_the_mode_changes_at_rest(state: State) -> None:
    changes: list[Change] = []
    machine = machine_in(state, on_change=changes.append)
    changes.clear()
    machine.set_mode(UnitMode.MAINTENANCE, reason="change parts")
    assert machine.mode is UnitMode.MAINTENANCE
    assert machine.tags().unit_mode_current is UnitMode.MAINTENANCE
    assert changes == [Change(state, state, None, UnitMode.MAINTENANCE, 100.0, "change parts")]
    assert changes[0].is_mode_change
    machine.set_mode(UnitMode.MAINTENANCE)  # the same mode: nothing happens, nothing is reported
    assert len(changes) == 1


@pytest.mark.parametrize(
    "state",
    [s for s in PATHS if s not in {S.STOPPED, S.IDLE, S.ABORTED}],
    ids=lambda s: s.label,
)
def test_the_mode_does_not_change_elsewhere(state: State) -> None:
    machine = machine_in(state)
    with pytest.raises(IllegalCommand) as caught:
        machine.set_mode(UnitMode.MANUAL)
    assert str(caught.value) == (
        f"Illegal unit-mode change to Manual in state {state.label}: expected state Stopped, "
        "Idle or Aborted. Hint: stop the machine first; a batch runs in one mode."
    )
    assert machine.mode is UnitMode.PRODUCTION


def test_changes_carry_the_mode_the_machine_is_in() -> None:
    changes: list[Change] = []
    machine = Machine(mode=UnitMode.MANUAL, clock=Clock(), on_change=changes.append)
    machine.command(Command.RESET, reason="jog")
    assert changes == [Change(S.STOPPED, S.RESETTING, C.RESET, UnitMode.MANUAL, 100.0, "jog")]
    assert not changes[0].is_mode_change


# Reporting ------------------------------------------------------------------------------------


def test_on_change_sees_the_machine_already_changed() -> None:
    seen: list[tuple[State, State]] = []
    machine: Machine

    def record(change: Change) -> None:
        seen.append((change.after, machine.state))
        assert machine.tags().state_current is change.after

    machine = Machine(on_change=record)
    walk(machine, EXECUTE)
    assert seen == [(s, s) for s in (S.RESETTING, S.IDLE, S.STARTING, S.EXECUTE)]


class AuditDown(Exception):
    pass


def test_a_change_that_cannot_be_reported_does_not_happen() -> None:
    clock = Clock()
    fail = [False]
    changes: list[Change] = []

    def record(change: Change) -> None:
        if fail[0]:
            raise AuditDown(change)
        changes.append(change)

    machine = Machine(clock=clock, on_change=record)
    walk(machine, [C.RESET, SC])
    clock.now += 5
    machine.command(Command.STOP, reason="shift end")
    machine.count(processed=7, defective=2)
    clock.now += 3
    before = machine.tags()
    fail[0] = True
    with pytest.raises(AuditDown):
        machine.complete()  # Stopping -> Stopped
    with pytest.raises(AuditDown):
        machine.command(Command.ABORT, reason="e-stop")
    assert machine.tags() == before  # state, counts, times and stop reason as they were
    assert machine.legal() == {Command.ABORT}
    # A Reset whose report fails keeps the counts it would have restarted.
    fail[0] = False
    machine.complete()
    fail[0] = True
    with pytest.raises(AuditDown):
        machine.command(Command.RESET)
    assert machine.tags().prod_processed_count == 7
    assert machine.state is State.STOPPED
    fail[0] = False
    clock.now += 1
    machine.command(Command.RESET)
    tags = machine.tags()
    assert (tags.prod_processed_count, tags.prod_processed_acc) == (0, 7)
    assert tags.state_cumulative_time[State.STOPPING] == 3.0
    assert tags.state_cumulative_time[State.STOPPED] == 1.0
    assert [(c.before.label, c.after.label) for c in changes] == [
        ("Stopped", "Resetting"),
        ("Resetting", "Idle"),
        ("Idle", "Stopping"),
        ("Stopping", "Stopped"),
        ("Stopped", "Resetting"),
    ]


def test_a_failed_mode_change_report_keeps_the_mode() -> None:
    def refuse(change: Change) -> None:
        raise AuditDown(change)

    machine = Machine(on_change=refuse)
    with pytest.raises(AuditDown):
        machine.set_mode(UnitMode.MANUAL)
    assert machine.mode is UnitMode.PRODUCTION


def test_on_change_may_not_change_the_machine() -> None:
    machine: Machine

    def chain(change: Change) -> None:
        if change.after is State.RESETTING:
            machine.complete()

    machine = Machine(on_change=chain)
    with pytest.raises(IllegalCommand) as caught:
        machine.command(Command.RESET)
    assert str(caught.value) == (
        "Illegal PackML command state complete in state Resetting: the machine is reporting a "
        "change (called from on_change). Hint: queue it and send it after on_change returns."
    )
    assert machine.state is State.STOPPED  # the Reset's report failed, so the Reset undone


def test_a_control_thread_and_the_line_loop_share_a_machine() -> None:
    """Two threads command one machine at once; the reported changes form one unbroken chain
    (each change starts where the one before ended), as they would not if two changes raced."""
    changes: list[Change] = []
    machine = Machine(on_change=changes.append)
    accepted = [0, 0]

    def drive(index: int, steps: Sequence[Command | None]) -> None:
        for _ in range(3000):
            for step in steps:
                try:
                    machine.complete() if step is SC else machine.command(step)
                    accepted[index] += 1
                except IllegalCommand:
                    pass

    threads = [
        threading.Thread(target=drive, args=(0, [C.RESET, SC, C.START, SC, C.HOLD, SC])),
        threading.Thread(target=drive, args=(1, [C.UNHOLD, SC, C.STOP, SC, C.ABORT, SC, C.CLEAR])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert len(changes) == sum(accepted) > 0
    assert changes[0].before is State.STOPPED
    assert all(a.after is b.before for a, b in itertools.pairwise(changes))
    assert changes[-1].after is machine.state

"""The PackML vocabulary: numbers, labels, kinds of state, parsing, and the optional table."""

from __future__ import annotations

import pytest

from jejak.engine.errors import InvalidFormat
from jejak.line_adapters.packml import (
    COMPLETES,
    HOLD_FROM_SUSPENDED,
    MODE_CHANGE_STATES,
    TRANSITIONS,
    Command,
    State,
    UnitMode,
    legal_commands,
    transitions,
)

STATE_NUMBERS = {
    0: "Undefined",
    1: "Clearing",
    2: "Stopped",
    3: "Starting",
    4: "Idle",
    5: "Suspended",
    6: "Execute",
    7: "Stopping",
    8: "Aborting",
    9: "Aborted",
    10: "Holding",
    11: "Held",
    12: "Unholding",
    13: "Suspending",
    14: "Unsuspending",
    15: "Resetting",
    16: "Completing",
    17: "Complete",
}
COMMAND_NUMBERS = {
    0: "Undefined",
    1: "Reset",
    2: "Start",
    3: "Stop",
    4: "Hold",
    5: "Unhold",
    6: "Suspend",
    7: "Unsuspend",
    8: "Abort",
    9: "Clear",
    10: "Complete",
}
ACTING = {
    "Clearing",
    "Starting",
    "Stopping",
    "Aborting",
    "Holding",
    "Unholding",
    "Suspending",
    "Unsuspending",
    "Resetting",
    "Completing",
}
WAIT = {"Stopped", "Idle", "Suspended", "Held", "Aborted", "Complete"}


def test_states_are_numbered_as_packml_numbers_them() -> None:
    assert {int(s): s.label for s in State} == STATE_NUMBERS


def test_commands_are_numbered_as_packml_numbers_them() -> None:
    assert {int(c): c.label for c in Command} == COMMAND_NUMBERS


def test_unit_modes() -> None:
    assert {int(m): m.label for m in UnitMode} == {1: "Production", 2: "Maintenance", 3: "Manual"}


@pytest.mark.parametrize("state", list(State), ids=lambda s: s.label)
def test_every_state_is_acting_wait_or_neither(state: State) -> None:
    assert state.is_acting == (state.label in ACTING)
    assert state.is_wait == (state.label in WAIT)
    # Execute (dual) and Undefined (no state) are neither.
    assert (state.is_acting or state.is_wait) == (state.label not in {"Execute", "Undefined"})


def test_state_complete_leads_every_acting_state_and_execute_on() -> None:
    assert {s.label: t.label for s, t in COMPLETES.items()} == {
        "Clearing": "Stopped",
        "Starting": "Execute",
        "Stopping": "Stopped",
        "Aborting": "Aborted",
        "Holding": "Held",
        "Unholding": "Execute",
        "Suspending": "Suspended",
        "Unsuspending": "Execute",
        "Resetting": "Idle",
        "Completing": "Complete",
        "Execute": "Completing",
    }


def test_the_optional_hold_transitions_are_off_unless_asked() -> None:
    assert transitions() is TRANSITIONS
    table = transitions(hold_from_suspended=True)
    assert dict(table) == {**TRANSITIONS, **HOLD_FROM_SUSPENDED}
    assert {(s.label, c.label, t.label) for (s, c), t in HOLD_FROM_SUSPENDED.items()} == {
        ("Suspended", "Hold", "Holding"),
        ("Suspending", "Hold", "Holding"),
        ("Unsuspending", "Hold", "Holding"),
    }
    assert not set(HOLD_FROM_SUSPENDED) & set(TRANSITIONS)
    assert Command.HOLD not in legal_commands(State.SUSPENDED)
    assert Command.HOLD in legal_commands(State.SUSPENDED, table)


def test_modes_change_only_where_no_product_is_in_process() -> None:
    assert {s.label for s in MODE_CHANGE_STATES} == {"Stopped", "Idle", "Aborted"}


def test_legal_commands_in_undefined_none() -> None:
    assert legal_commands(State.UNDEFINED) == frozenset()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("start", Command.START),
        ("Start", Command.START),
        (" START ", Command.START),
        ("2", Command.START),
        (2, Command.START),
        (Command.UNSUSPEND, Command.UNSUSPEND),
        ("unsuspend", Command.UNSUSPEND),
        ("10", Command.COMPLETE),
        ("complete", Command.COMPLETE),
        ("1", Command.RESET),
    ],
)
def test_command_parse(value: object, expected: Command) -> None:
    assert Command.parse(value) is expected


COMMAND_EXPECTED = (
    "expected one of reset, start, stop, hold, unhold, suspend, unsuspend, abort, clear, "
    "complete (or 1 to 10). Hint: use a command name as `jejak line command` takes it, "
    "e.g. 'start'."
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "'0'"),
        (0, "0"),
        ("undefined", "'undefined'"),
        (Command.UNDEFINED, "<Command.UNDEFINED: 0>"),
        (11, "11"),
        ("", "''"),
        ("st art", "'st art'"),
        (True, "True"),
        (2.0, "2.0"),
        (UnitMode.MANUAL, "<UnitMode.MANUAL: 3>"),  # == 3 == Command.STOP in Python
        ("\u0662", "'\u0662'"),  # ARABIC-INDIC DIGIT TWO is no digit here
        (None, "None"),
        ("x" * 100, f"'{'x' * 39}…{'x' * 11}' (102 chars)"),
    ],
)
def test_command_parse_refuses(value: object, shown: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        Command.parse(value)
    assert str(caught.value) == f"Invalid PackML command {shown}: {COMMAND_EXPECTED}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("production", UnitMode.PRODUCTION),
        ("Maintenance", UnitMode.MAINTENANCE),
        ("3", UnitMode.MANUAL),
        (1, UnitMode.PRODUCTION),
        (UnitMode.MANUAL, UnitMode.MANUAL),
    ],
)
def test_unit_mode_parse(value: object, expected: UnitMode) -> None:
    assert UnitMode.parse(value) is expected


@pytest.mark.parametrize(("value", "shown"), [("4", "'4'"), ("auto", "'auto'"), (0, "0")])
def test_unit_mode_parse_refuses(value: object, shown: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        UnitMode.parse(value)
    assert str(caught.value) == (
        f"Invalid PackML unit mode {shown}: expected one of production, maintenance, manual "
        "(or 1 to 3). Hint: use 'production' to run a batch."
    )

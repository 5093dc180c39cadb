"""The PackML state model (ISA-TR88.00.02): states, commands, unit modes and the command table.

Numbers are those of the PackML tags (`Status.StateCurrent`, `Command.CntrlCmd`), as Beckhoff's
Tc3_PackML_V3, Siemens' LPMLV2022 and OPC 30050 (PackML) number them; OPC 30060's
CommandEnumeration numbers differ and are not used here.

States are *acting* (the machine is doing something: Resetting, Starting, Holding, ...) or
*wait* states (Stopped, Idle, Held, Suspended, Complete, Aborted: nothing happens until a
command). An acting state ends by itself: its work done, it takes its *state complete* (SC)
transition into the next state (`COMPLETES`). Execute is neither: TR88 calls it a dual state —
it acts (produces) until its SC, the end of the run, leads to Completing. Undefined (0) is the
tag value of a machine that has no state yet; it is no state of the model: no command is legal
there and the `Machine` is never in it.

The command table (`TRANSITIONS`), as the reference reads TR88.00.02 and OPC 30050:

- Stopped -Reset-> Resetting -SC-> Idle -Start-> Starting -SC-> Execute;
- Execute -Hold-> Holding -SC-> Held -Unhold-> Unholding -SC-> Execute;
- Execute -Suspend-> Suspending -SC-> Suspended -Unsuspend-> Unsuspending -SC-> Execute;
- Execute -Complete (or SC)-> Completing -SC-> Complete -Reset-> Resetting;
- Stop from every state but Stopping, Stopped, Aborting, Aborted and Clearing -> Stopping -SC->
  Stopped;
- Abort from every state but Aborting and Aborted (so also from Clearing) -> Aborting -SC->
  Aborted -Clear-> Clearing -SC-> Stopped.

Decisions: Unhold is legal in Held only, Unsuspend in Suspended only, Clear in Aborted only,
Reset in Stopped and Complete only. Hold in Holding or Held is an error, not a no-op: a second
Hold is a second operator or a controller bug, and saying so is safer than ignoring it. The
2015 model's optional Hold from Suspended, Suspending and Unsuspending (dashed in OPC 30050
Fig. 15) is `HOLD_FROM_SUSPENDED`, used only when a machine opts in.

>>> TRANSITIONS[State.IDLE, Command.START].label
'Starting'
>>> COMPLETES[State.STARTING].label
'Execute'
>>> sorted(c.label for c in legal_commands(State.STOPPED))
['Abort', 'Reset']
>>> Command.parse("start"), UnitMode.parse("2")
(<Command.START: 2>, <UnitMode.MAINTENANCE: 2>)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType
from typing import TypeVar

from jejak.engine.errors import InvalidFormat
from jejak.engine.text import describe

__all__ = [
    "COMPLETES",
    "HOLD_FROM_SUSPENDED",
    "MODE_CHANGE_STATES",
    "TRANSITIONS",
    "Command",
    "State",
    "UnitMode",
    "legal_commands",
    "transitions",
]


class State(IntEnum):
    """The PackML states, numbered as `Status.StateCurrent` numbers them."""

    UNDEFINED = 0
    CLEARING = 1
    STOPPED = 2
    STARTING = 3
    IDLE = 4
    SUSPENDED = 5
    EXECUTE = 6
    STOPPING = 7
    ABORTING = 8
    ABORTED = 9
    HOLDING = 10
    HELD = 11
    UNHOLDING = 12
    SUSPENDING = 13
    UNSUSPENDING = 14
    RESETTING = 15
    COMPLETING = 16
    COMPLETE = 17

    @property
    def label(self) -> str:
        """The PackML name, e.g. ``Execute``."""
        return self.name.capitalize()

    @property
    def is_acting(self) -> bool:
        """An acting state: it ends by itself (SC) into the state `COMPLETES` names."""
        return self in _ACTING

    @property
    def is_wait(self) -> bool:
        """A wait state: nothing changes until a command."""
        return self in _WAIT


_ACTING = frozenset(
    {
        State.CLEARING,
        State.STARTING,
        State.STOPPING,
        State.ABORTING,
        State.HOLDING,
        State.UNHOLDING,
        State.SUSPENDING,
        State.UNSUSPENDING,
        State.RESETTING,
        State.COMPLETING,
    }
)
_WAIT = frozenset(
    {State.STOPPED, State.IDLE, State.SUSPENDED, State.HELD, State.ABORTED, State.COMPLETE}
)


_E = TypeVar("_E", bound=IntEnum)
_DIGITS = re.compile("[0-9]{1,3}")


def _parse(enum: type[_E], value: object, what: str, first: int, hint: str) -> _E:
    """A member of `enum` (numbered from `first`) from itself, its name, label or number."""
    key: object = value
    if isinstance(value, str):
        text = value.strip()
        key = int(text) if _DIGITS.fullmatch(text) else text.upper()
    elif isinstance(value, bool | float) or (
        isinstance(value, IntEnum) and not isinstance(value, enum)
    ):
        key = None  # True == 1.0 == 1 and UnitMode.MANUAL == Command.STOP: none of them is ours
    for member in enum:
        if member.value >= first and key in (member.value, member.name):
            return member
    names = ", ".join(m.name.lower() for m in enum if m.value >= first)
    last = max(m.value for m in enum)
    raise InvalidFormat(
        f"Invalid PackML {what} {describe(value)}: expected one of {names} "
        f"(or {first} to {last}). Hint: {hint}"
    )


class Command(IntEnum):
    """The PackML commands, numbered as `Command.CntrlCmd` numbers them. 0 is "no command"."""

    UNDEFINED = 0
    RESET = 1
    START = 2
    STOP = 3
    HOLD = 4
    UNHOLD = 5
    SUSPEND = 6
    UNSUSPEND = 7
    ABORT = 8
    CLEAR = 9
    COMPLETE = 10

    @property
    def label(self) -> str:
        """The PackML name, e.g. ``Unsuspend``."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: object) -> Command:
        """A command from its name in any case (``start``, ``Start``), its number (2, ``"2"``) or
        itself; `InvalidFormat` otherwise. Undefined (0, "no command") is refused: it is the
        tag's idle value, never something to send."""
        return _parse(
            cls,
            value,
            "command",
            1,
            "use a command name as `jejak line command` takes it, e.g. 'start'.",
        )


class UnitMode(IntEnum):
    """The PackML unit modes TR88 defines (numbers above 3 are user-defined; none here)."""

    PRODUCTION = 1
    MAINTENANCE = 2
    MANUAL = 3

    @property
    def label(self) -> str:
        """The PackML name, e.g. ``Production``."""
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: object) -> UnitMode:
        """A unit mode from its name in any case, its number or itself; `InvalidFormat`
        otherwise."""
        return _parse(cls, value, "unit mode", 1, "use 'production' to run a batch.")


def _table() -> dict[tuple[State, Command], State]:
    s, c = State, Command
    table = {
        (s.STOPPED, c.RESET): s.RESETTING,
        (s.COMPLETE, c.RESET): s.RESETTING,
        (s.IDLE, c.START): s.STARTING,
        (s.EXECUTE, c.HOLD): s.HOLDING,
        (s.HELD, c.UNHOLD): s.UNHOLDING,
        (s.EXECUTE, c.SUSPEND): s.SUSPENDING,
        (s.SUSPENDED, c.UNSUSPEND): s.UNSUSPENDING,
        (s.EXECUTE, c.COMPLETE): s.COMPLETING,
        (s.ABORTED, c.CLEAR): s.CLEARING,
    }
    for state in s:
        if state is s.UNDEFINED:
            continue
        if state not in {s.STOPPING, s.STOPPED, s.ABORTING, s.ABORTED, s.CLEARING}:
            table[state, c.STOP] = s.STOPPING
        if state not in {s.ABORTING, s.ABORTED}:
            table[state, c.ABORT] = s.ABORTING
    return dict(sorted(table.items()))


TRANSITIONS: Mapping[tuple[State, Command], State] = MappingProxyType(_table())
"""(state, command) -> the state the command leads to: the one command table. A pair that is
not here is an illegal command."""

HOLD_FROM_SUSPENDED: Mapping[tuple[State, Command], State] = MappingProxyType(
    {
        (State.SUSPENDED, Command.HOLD): State.HOLDING,
        (State.SUSPENDING, Command.HOLD): State.HOLDING,
        (State.UNSUSPENDING, Command.HOLD): State.HOLDING,
    }
)
"""The 2015 model's optional Hold transitions (dashed in OPC 30050 Fig. 15), off by default: a
machine that starves while suspended can be held for an operator without stopping it."""

COMPLETES: Mapping[State, State] = MappingProxyType(
    {
        State.CLEARING: State.STOPPED,
        State.STARTING: State.EXECUTE,
        State.STOPPING: State.STOPPED,
        State.ABORTING: State.ABORTED,
        State.HOLDING: State.HELD,
        State.UNHOLDING: State.EXECUTE,
        State.SUSPENDING: State.SUSPENDED,
        State.UNSUSPENDING: State.EXECUTE,
        State.RESETTING: State.IDLE,
        State.COMPLETING: State.COMPLETE,
        State.EXECUTE: State.COMPLETING,
    }
)
"""State -> the state its state complete (SC) leads to: every acting state, and Execute (its
SC is the end of the run, as the Complete command is)."""

MODE_CHANGE_STATES = frozenset({State.STOPPED, State.IDLE, State.ABORTED})
"""Where a unit-mode change is accepted. TR88 leaves the states in which a mode may change to
the machine's configuration (per mode); Jejak takes the wait states in which no product is in
process, so that a batch never runs partly in Production and partly in Maintenance or Manual:
Held, Suspended and Complete hold a running batch, and acting states are mid-change."""


def transitions(*, hold_from_suspended: bool = False) -> Mapping[tuple[State, Command], State]:
    """The command table of a machine: `TRANSITIONS`, plus `HOLD_FROM_SUSPENDED` if asked."""
    if not hold_from_suspended:
        return TRANSITIONS
    return MappingProxyType({**TRANSITIONS, **HOLD_FROM_SUSPENDED})


def legal_commands(
    state: State, table: Mapping[tuple[State, Command], State] = TRANSITIONS
) -> frozenset[Command]:
    """The commands `table` allows in `state`."""
    return frozenset(command for command in Command if (state, command) in table)

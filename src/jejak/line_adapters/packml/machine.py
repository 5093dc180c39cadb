"""One PackML machine: its state, unit mode, counts, speed and times, changed by commands.

A `Machine` powers up in Stopped, in Production mode: TR88's Stopped is "powered and
stationary", the state from which Reset starts the path to production, and a line controller
that (re)starts — after a crash too — has nothing in process. Undefined stays the tag value of
"no machine yet".

Every state change — a command, a state complete (SC), a unit-mode change — builds one `Change`
and hands it to ``on_change`` exactly once, after the machine has changed and before any other
caller can see or change it (the machine's lock is held, so a control thread and the line loop
may share a machine). If ``on_change`` raises, the machine goes back to what it was (state, mode,
counts, times, stop reason) and the exception propagates: a change that could not be recorded
as an audit event did not happen. ``on_change`` may read the machine but must not change it
(that is an `IllegalCommand`); a controller queues the follow-up command instead.

A unit-mode change is a `Change` with ``before == after`` and the new ``mode``.

>>> now = [0.0]
>>> changes = []
>>> machine = Machine(clock=lambda: now[0], on_change=changes.append)
>>> machine.command(Command.RESET).label
'Resetting'
>>> now[0] = 2.0
>>> machine.complete().label
'Idle'
>>> [(c.before.label, c.after.label, c.command) for c in changes]
[('Stopped', 'Resetting', <Command.RESET: 1>), ('Resetting', 'Idle', None)]
>>> machine.command(Command.UNHOLD)
Traceback (most recent call last):
...
jejak.engine.errors.IllegalCommand: Illegal PackML command Unhold in state Idle: expected one \
of Start, Stop, Abort. Hint: the path to production is Stopped -Reset-> Resetting -> Idle \
-Start-> Starting -> Execute; `jejak line status` shows the state.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from jejak.engine.errors import IllegalCommand, InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.packml.model import (
    COMPLETES,
    MODE_CHANGE_STATES,
    Command,
    State,
    UnitMode,
    legal_commands,
    transitions,
)
from jejak.line_adapters.packml.tags import PackTags

__all__ = ["Change", "Machine"]

_STOPS = frozenset({Command.STOP, Command.ABORT, Command.HOLD, Command.SUSPEND})
_RUNS = frozenset({Command.START, Command.UNHOLD, Command.UNSUSPEND})
_STATES = tuple(s for s in State if s is not State.UNDEFINED)


@dataclass(frozen=True, slots=True)
class Change:
    """One change of a machine, for the audit trail: ``command`` is None for a state complete
    (SC) and for a unit-mode change (``before == after``); ``at`` is the machine's clock."""

    before: State
    after: State
    command: Command | None
    mode: UnitMode
    at: float
    reason: str | None

    @property
    def is_mode_change(self) -> bool:
        """A unit-mode change (the state stayed; ``mode`` is the new mode)."""
        return self.before is self.after


@dataclass(slots=True)
class _Run:
    """Everything of a machine that changes; copied before a change, restored if it fails."""

    state: State
    mode: UnitMode
    entered: float  # clock when the current state was entered
    cumulative: dict[State, float] = field(default_factory=lambda: dict.fromkeys(_STATES, 0.0))
    processed: int = 0
    defective: int = 0
    processed_acc: int = 0
    defective_acc: int = 0
    stop_reason: str | None = None
    speed: float = 0.0

    def copy(self) -> _Run:
        return replace(self, cumulative=dict(self.cumulative))


class Machine:
    """A PackML state machine with its PackTags (see the module docstring)."""

    __slots__ = ("_clock", "_design", "_lock", "_notifying", "_on_change", "_run", "_table")

    def __init__(
        self,
        *,
        mode: UnitMode = UnitMode.PRODUCTION,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[Change], None] | None = None,
        hold_from_suspended: bool = False,
        design_speed: float = 600.0,
    ) -> None:
        self._design = _speed(design_speed, "design speed")
        if self._design == 0:
            raise InvalidQuantity(
                "Invalid design speed 0.0: expected packs per minute above 0. "
                "Hint: the machine's rated speed, e.g. 600."
            )
        self._clock, self._on_change = clock, on_change
        self._table = transitions(hold_from_suspended=hold_from_suspended)
        self._lock = threading.RLock()
        self._notifying = False
        self._run = _Run(State.STOPPED, UnitMode.parse(mode), clock())

    @property
    def state(self) -> State:
        """`Status.StateCurrent`."""
        return self._run.state

    @property
    def mode(self) -> UnitMode:
        """`Status.UnitModeCurrent`."""
        return self._run.mode

    def legal(self) -> frozenset[Command]:
        """The commands the current state accepts."""
        with self._lock:
            return legal_commands(self._run.state, self._table)

    def command(self, command: Command, *, reason: str | None = None) -> State:
        """Apply `command` and return the new state; `IllegalCommand` (nothing changes) if the
        current state does not accept it. Reset restarts the counts (not the AccCounts); Stop,
        Abort, Hold and Suspend set `Admin.StopReason` to `reason`; Start, Unhold and Unsuspend
        clear it."""
        with self._lock:
            state = self._run.state
            self._refuse_reentry(command.label)
            after = self._table.get((state, command))
            if after is None:
                raise IllegalCommand(self._illegal(command, state))
            return self._change(after, command, reason)

    def complete(self) -> State:
        """The current state's work is done (SC): take its transition (`COMPLETES`) and return
        the new state; `IllegalCommand` in a wait state (it waits for a command)."""
        with self._lock:
            state = self._run.state
            self._refuse_reentry("state complete")
            after = COMPLETES.get(state)
            if after is None:
                names = ", ".join(c.label for c in sorted(legal_commands(state, self._table)))
                raise IllegalCommand(
                    f"Illegal state complete in state {state.label}: only an acting state or "
                    f"Execute completes; {state.label} waits for one of {names or 'no command'}. "
                    "Hint: send a command instead."
                )
            return self._change(after, None, None)

    def set_mode(self, mode: UnitMode, *, reason: str | None = None) -> None:
        """Change `Status.UnitModeCurrent`, in Stopped, Idle or Aborted only
        (`MODE_CHANGE_STATES`); the same mode again changes nothing and reports nothing."""
        with self._lock:
            mode, state = UnitMode.parse(mode), self._run.state
            self._refuse_reentry(f"unit mode {mode.label}")
            if mode is self._run.mode:
                return
            if state not in MODE_CHANGE_STATES:
                raise IllegalCommand(
                    f"Illegal unit-mode change to {mode.label} in state {state.label}: expected "
                    "state Stopped, Idle or Aborted. Hint: stop the machine first; a batch runs "
                    "in one mode."
                )
            saved, now = self._run.copy(), self._clock()
            self._run.mode = mode
            self._notify(Change(state, state, None, mode, now, reason), saved)

    def count(self, processed: int = 0, defective: int = 0) -> None:
        """Add to `Admin.ProdProcessedCount` and `Admin.ProdDefectiveCount` (and their
        AccCounts)."""
        processed, defective = _count(processed, "processed"), _count(defective, "defective")
        with self._lock:
            run = self._run
            run.processed += processed
            run.processed_acc += processed
            run.defective += defective
            run.defective_acc += defective

    def set_speed(self, packs_per_minute: float) -> None:
        """Set `Status.CurMachSpeed`, the speed the line controller measures."""
        speed = _speed(packs_per_minute, "machine speed")
        with self._lock:
            self._run.speed = speed

    def tags(self) -> PackTags:
        """The PackTags now."""
        with self._lock:
            run, now = self._run, self._clock()
            current = now - run.entered
            cumulative = dict(run.cumulative)
            cumulative[run.state] += current
            return PackTags(
                state_current=run.state,
                unit_mode_current=run.mode,
                cur_mach_speed=run.speed,
                mach_design_speed=self._design,
                prod_processed_count=run.processed,
                prod_defective_count=run.defective,
                prod_processed_acc=run.processed_acc,
                prod_defective_acc=run.defective_acc,
                stop_reason=run.stop_reason,
                state_current_time=current,
                state_cumulative_time=MappingProxyType(cumulative),
            )

    # Plumbing --------------------------------------------------------------------------------

    def _change(self, after: State, command: Command | None, reason: str | None) -> State:
        saved, now = self._run.copy(), self._clock()
        run = self._run
        before = run.state
        run.cumulative[before] += now - run.entered
        run.state, run.entered = after, now
        if command is Command.RESET:
            run.processed = run.defective = 0
        if command in _STOPS:
            run.stop_reason = reason
        elif command in _RUNS:
            run.stop_reason = None
        self._notify(Change(before, after, command, run.mode, now, reason), saved)
        return after

    def _notify(self, change: Change, saved: _Run) -> None:
        if self._on_change is None:
            return
        self._notifying = True
        try:
            self._on_change(change)
        except BaseException:
            self._run = saved
            raise
        finally:
            self._notifying = False

    def _refuse_reentry(self, what: str) -> None:
        if self._notifying:
            raise IllegalCommand(
                f"Illegal PackML command {what} in state {self._run.state.label}: the machine is "
                "reporting a change (called from on_change). Hint: queue it and send it after "
                "on_change returns."
            )

    def _illegal(self, command: Command, state: State) -> str:
        names = ", ".join(c.label for c in sorted(legal_commands(state, self._table)))
        if state.is_acting:
            hint = f"{state.label} is an acting state; it completes into {COMPLETES[state].label}."
        else:
            hint = (
                "the path to production is Stopped -Reset-> Resetting -> Idle -Start-> "
                "Starting -> Execute; `jejak line status` shows the state."
            )
        return (
            f"Illegal PackML command {command.label} in state {state.label}: expected one of "
            f"{names or 'no command'}. Hint: {hint}"
        )


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidQuantity(
            f"Invalid {what} count {describe(value)}: expected a whole number of packs, 0 or "
            "more. Hint: counts only grow; Reset restarts them."
        )
    return value


def _speed(value: object, what: str) -> float:
    number = math.nan  # stays NaN for a bool, a non-number or a negative number
    if not isinstance(value, bool) and isinstance(value, int | float) and value >= 0:
        number = float(value)
    if not math.isfinite(number):
        raise InvalidQuantity(
            f"Invalid {what} {describe(value)}: expected packs per minute, 0 or more. "
            "Hint: 600 is a typical pharma carton line."
        )
    return number

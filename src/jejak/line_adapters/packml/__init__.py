"""PackML (ISA-TR88.00.02): the state model of a packaging machine, and its PackTags.

- `model`: `State` (0 Undefined … 17 Complete), `Command` (0 Undefined, 1 Reset … 10
  Complete), `UnitMode`, and the command table `TRANSITIONS` with `COMPLETES` (state complete);
- `machine`: `Machine`, one line's state machine (commands, SC, unit mode, counts, speed,
  times), reporting every `Change` for the audit trail;
- `tags`: `PackTags`, the snapshot a SCADA reads.
"""

from jejak.line_adapters.packml.machine import Change, Machine
from jejak.line_adapters.packml.model import (
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
from jejak.line_adapters.packml.tags import PackTags

__all__ = [
    "COMPLETES",
    "HOLD_FROM_SUSPENDED",
    "MODE_CHANGE_STATES",
    "TRANSITIONS",
    "Change",
    "Command",
    "Machine",
    "PackTags",
    "State",
    "UnitMode",
    "legal_commands",
    "transitions",
]

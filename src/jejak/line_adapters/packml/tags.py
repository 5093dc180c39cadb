"""PackTags: the snapshot of a PackML machine that a SCADA reads.

The tags are those PackML names `Status.*` and `Admin.*` (ISA-TR88.00.02, OPC 30050):

- `Status.StateCurrent`, `Status.UnitModeCurrent` (numbers; the JSON adds their names);
- `Status.CurMachSpeed` (packs per minute, as the line controller measures it) and
  `Admin.MachDesignSpeed`;
- `Admin.ProdProcessedCount` and `Admin.ProdDefectiveCount`: OPC 30050's count type has a
  `Count` and an `AccCount` that is never reset; here `Count` restarts at each Reset command and
  `AccCount` counts since the machine was made;
- `Admin.StopReason`: why the machine last stopped, aborted, held or suspended (the reason given
  with that command), until it runs again;
- `Admin.StateCurrentTime` (seconds in the current state) and `Admin.StateCumulativeTime`
  (seconds per state since the machine was made, the current state's running time included).

`as_dict` is JSON-ready, keyed as the line's status output names the tags:

>>> from types import MappingProxyType
>>> tags = PackTags(
...     state_current=State.EXECUTE, unit_mode_current=UnitMode.PRODUCTION,
...     cur_mach_speed=598.5, mach_design_speed=600.0, prod_processed_count=10,
...     prod_defective_count=1, prod_processed_acc=30, prod_defective_acc=2, stop_reason=None,
...     state_current_time=2.5,
...     state_cumulative_time=MappingProxyType({State.STOPPED: 1.0, State.EXECUTE: 2.5}))
>>> tags.as_dict()["StateCurrent"], tags.as_dict()["StateCurrentName"]
(6, 'Execute')
>>> tags.as_dict()["Admin.StateCumulativeTime"]
{'Stopped': 1.0, 'Execute': 2.5}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from jejak.line_adapters.packml.model import State, UnitMode

__all__ = ["PackTags"]


@dataclass(frozen=True, slots=True)
class PackTags:
    """The PackTags of one machine at one instant (`Machine.tags`)."""

    state_current: State
    unit_mode_current: UnitMode
    cur_mach_speed: float
    mach_design_speed: float
    prod_processed_count: int
    prod_defective_count: int
    prod_processed_acc: int
    prod_defective_acc: int
    stop_reason: str | None
    state_current_time: float
    state_cumulative_time: Mapping[State, float]

    def as_dict(self) -> dict[str, object]:
        """The tags by PackTags name; enums as their numbers, plus ``StateCurrentName`` and
        ``UnitModeCurrentName`` labels; ``Admin.StateCumulativeTime`` keyed by state label."""
        return {
            "StateCurrent": int(self.state_current),
            "StateCurrentName": self.state_current.label,
            "UnitModeCurrent": int(self.unit_mode_current),
            "UnitModeCurrentName": self.unit_mode_current.label,
            "CurMachSpeed": self.cur_mach_speed,
            "MachDesignSpeed": self.mach_design_speed,
            "Admin.ProdProcessedCount": self.prod_processed_count,
            "Admin.ProdDefectiveCount": self.prod_defective_count,
            "Admin.ProdProcessedAccCount": self.prod_processed_acc,
            "Admin.ProdDefectiveAccCount": self.prod_defective_acc,
            "Admin.StopReason": self.stop_reason,
            "Admin.StateCurrentTime": self.state_current_time,
            "Admin.StateCumulativeTime": {
                state.label: seconds for state, seconds in self.state_cumulative_time.items()
            },
        }

"""The reject actuator as the line controller drives it: the reject FIFO, and every fire armed
once, as early as the pack's fate is known.

The I/O fires the actuator at an encoder count (``FIRE <encoder>``), so a fire armed ahead of
the pack does not depend on the controller's loop; one sent after the pack reached the
actuator hits whatever is in front of it then (protocol: `jejak.line_adapters.io.codec`). So:

- a pack judged a reject in time is armed at once (`reject`), not when it reaches the
  decision point: its fire is then ahead of the belt by most of the camera-to-reject distance,
  whatever the loop meets later;
- a pack with no verdict at its decision point (`advance`: the FIFO passes it, ``late``) is
  armed then, ``lead`` counts ahead of the actuator;
- each pack is armed once: a pack armed early, or cleared from the line with its fire armed,
  is not fired again when the FIFO passes it (a second fire at the same count finds the pack
  gone, or the next one there);
- a fire for a pack the belt has already carried out of the actuator's reach (the last encoder
  count is half a pitch past its reject point: the loop was held up longer than the lead) is
  not sent, since it would push off the pack behind: the pack is in the good bin unverified,
  counted in `missed` and logged as an error, for the operator to take it out.

`run_out` runs the belt until the last packs are past the actuator, at the end of a run.
"""

from __future__ import annotations

import logging
import time
from typing import Protocol

from jejak.engine.errors import DeviceFault
from jejak.line_adapters.io.client import Disconnected, LineIo
from jejak.line_adapters.io.codec import ConveyorState, Encoder
from jejak.line_adapters.io.codec import State as IoState
from jejak.line_adapters.reject import Passed, RejectFifo

__all__ = ["Actuator", "Rejector", "run_out"]

_log = logging.getLogger(__name__)


class Actuator(Protocol):
    """What arms the reject actuator: the line I/O (`LineIo`), or a test's double."""

    def fire(self, encoder: int) -> None:
        """Fire when the encoder reaches `encoder`; `DeviceFault` if not armed."""
        ...


class Rejector:
    """The reject FIFO of a line with pack `pitch` and the actuator `offset` counts after the
    product detect, and the fires armed on its I/O (see the module)."""

    __slots__ = ("_armed", "_half", "fifo", "fired", "io", "missed")

    def __init__(self, io: Actuator, *, offset: int, pitch: int) -> None:
        self.io = io
        self.fifo = RejectFifo(offset=offset, min_pitch=pitch // 2)
        self._half = pitch // 2
        self._armed: set[int] = set()  # packs armed before the FIFO passed them
        self.fired = 0  # fires armed on the I/O
        self.missed: list[int] = []  # packs out of the actuator's reach before their fire

    def reject(self, pack: int, reject_at: int, position: int) -> None:
        """Push `pack` off at encoder `reject_at` (the belt is at `position` or beyond), once."""
        if pack in self._armed:
            return
        self._armed.add(pack)
        if position >= reject_at + self._half:
            self.missed.append(pack)
            _log.error("reject missed: pack %d left the reject actuator's reach (encoder %d) "
                       "before its fire; it is in the good bin unverified: take it out",
                       pack, reject_at)  # fmt: skip
            return
        try:
            self.io.fire(reject_at)
        except DeviceFault as error:
            _log.warning("reject at encoder %d not armed: %s", reject_at, error)
            return
        self.fired += 1

    def advance(self, ahead: int, position: int) -> list[Passed]:
        """The packs at their decision point when the belt is at `position` (`ahead` is that
        plus the lead), in order; each one to push off is armed, unless it is already."""
        passed = self.fifo.advance(ahead)
        for pack in passed:
            if pack.fire:
                self.reject(pack.pack, pack.reject_at, position)
            self._armed.discard(pack.pack)
        return passed


def run_out(io: LineIo, position: int, end: int, counts_per_second: float) -> int:
    """Run the belt until it is at `end` (past the last pack's reject point), then stop it;
    the encoder count it reached. The last packs' rejects are armed at their encoder counts,
    and carried out only if the belt takes them there."""
    deadline = time.monotonic() + 2.0 + 5 * max(0, end - position) / counts_per_second
    try:
        if position < end:
            io.run()
        while position < end and time.monotonic() < deadline:
            for frame in io.poll(0.01):
                if isinstance(frame, Encoder):
                    position = frame.encoder
                elif isinstance(frame, Disconnected) or (
                    isinstance(frame, IoState) and frame.state is ConveyorState.FAULT
                ):
                    _log.warning("the belt stopped before the last packs passed the reject "
                                 "point: %s", frame)  # fmt: skip
                    return position
    except DeviceFault as error:
        _log.warning("the belt cannot run the last packs past the reject point: %s", error)
    return position

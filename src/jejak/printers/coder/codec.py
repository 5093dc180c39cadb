"""The coder dialect's record numbers and the answers the host reads: `is_after`, `next_seq`,
`StatusReport` (``QST``) and `parse_count` (``QFR``, ``QLP``). No I/O.

>>> next_seq(MAX_SEQ), StatusReport.from_ack(Ack("READY")).state
(1, <DeviceState.READY: 'ready'>)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from jejak.engine.errors import ProtocolError
from jejak.printers.coder._frames import HINT, MAX_SEQ, Ack, Condition
from jejak.printers.device import DeviceState

__all__ = ["StatusReport", "is_after", "next_seq", "parse_count"]


def is_after(seq: int, last: int) -> bool:
    """Tell whether record `seq` comes after record `last` (0 = none yet), across the wrap.

    >>> is_after(5, 4), is_after(4, 4), is_after(1, MAX_SEQ), is_after(3, 0)
    (True, False, True, True)
    """
    return 0 < (seq - last) % (MAX_SEQ + 1) < 1 << 31


def next_seq(seq: int) -> int:
    """The record number after `seq`: 1 after `MAX_SEQ` (0 is never used)."""
    return seq + 1 if seq < MAX_SEQ else 1


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The answer to ``QST``: ``READY``, or a state with its most severe condition.

    >>> report = StatusReport.from_ack(Ack("FAULT 20 out of ink"))
    >>> report.state, report.condition, report.text
    (<DeviceState.FAULT: 'fault'>, <Condition.INK_OUT: 20>, 'out of ink')
    >>> report.to_ack().encode()
    b'ACK FAULT 20 out of ink\\r'
    """

    state: DeviceState
    condition: Condition | None = None
    text: str = ""

    _STATES: ClassVar[dict[str, DeviceState]] = {
        "READY": DeviceState.READY,
        "WARNING": DeviceState.WARNING,
        "PAUSED": DeviceState.PAUSED,
        "FAULT": DeviceState.FAULT,
    }

    def to_ack(self) -> Ack:
        if self.condition is None:
            return Ack(self.state.value.upper())
        return Ack(f"{self.state.value.upper()} {self.condition.value} {self.text}".rstrip())

    @classmethod
    def from_ack(cls, ack: Ack) -> StatusReport:
        word, _, rest = ack.data.partition(" ")
        state = cls._STATES.get(word)
        if state is not None and not rest:
            return cls(state)
        code, _, text = rest.partition(" ")
        if state is not None and re.fullmatch("[0-9]{2}", code, re.ASCII):
            try:
                return cls(state, Condition(int(code)), text)
            except ValueError:
                pass
        raise ProtocolError(
            f"Invalid status reply {ack.data!r}: expected 'READY', 'WARNING <condition> <text>', "
            f"'PAUSED ...' or 'FAULT <condition> <text>' with a known condition. {HINT}"
        )


def parse_count(ack: Ack) -> int:
    """The number an ``ACK`` to ``QFR`` or ``QLP`` carries; ProtocolError if it carries none.

    >>> parse_count(Ack("250"))
    250
    """
    data = ack.data
    if 0 < len(data) <= 10 and data.isascii() and data.isdigit():
        return int(data)
    raise ProtocolError(
        f"Invalid count reply {data!r}: expected 'ACK <count>' with 1 to 10 digits. {HINT}"
    )

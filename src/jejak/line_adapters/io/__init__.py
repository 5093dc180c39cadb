"""The line I/O: product detect, encoder, reject actuator and conveyor motor over TCP.

`codec` is the "Jejak line I/O" protocol without I/O (its grammar is in that module's
docstring); `client.LineIo` is the controller's connection to a PLC gateway that speaks it, or to
the conveyor simulator (`jejak.line_adapters.sim.conveyor`).
"""

from __future__ import annotations

from jejak.line_adapters.io.client import Disconnected, LineIo
from jejak.line_adapters.io.codec import (
    MAX_COUNT,
    MAX_LINE,
    Ack,
    BadLine,
    Command,
    CommandFrame,
    ConveyorState,
    Detect,
    Encoder,
    Err,
    ErrorCode,
    Fire,
    Frame,
    FrameKind,
    Ping,
    Pong,
    Run,
    State,
    Stop,
    decode,
    decode_commands,
)

__all__ = [
    "MAX_COUNT", "MAX_LINE", "Ack", "BadLine", "Command", "CommandFrame", "ConveyorState",
    "Detect", "Disconnected", "Encoder", "Err", "ErrorCode", "Fire", "Frame", "FrameKind",
    "LineIo", "Ping", "Pong", "Run", "State", "Stop", "decode", "decode_commands",
]  # fmt: skip

"""The frames of the Jejak line I/O protocol: one value object a line, both directions.

The grammar, and what each line means, is in `codec`, which decodes them; each frame here
validates its fields (`parse`) and writes its own line (`encode`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import ClassVar

from jejak.engine.errors import InvalidFormat, InvalidQuantity, ProtocolError
from jejak.engine.text import describe

__all__ = [
    "HINT", "MAX_COUNT", "MAX_LINE", "Ack", "BadLine", "Command", "CommandFrame",
    "ConveyorState", "Detect", "Encoder", "Err", "ErrorCode", "Fire", "Frame", "FrameKind",
    "Ping", "Pong", "Run", "State", "Stop", "with_text",
]  # fmt: skip

MAX_LINE = 256
"""No line is longer (without its LF); a longer one is junk."""

MAX_COUNT = (1 << 63) - 1
"""The largest encoder count or detect number."""

HINT = "Hint: check that the peer speaks the Jejak line I/O protocol (line_adapters.io.codec)."

_TEXT = re.compile(r"[\x20-\x7e]{1,200}")


class FrameKind(StrEnum):
    """Every kind of line, by its verb."""

    DET = "DET"
    ENC = "ENC"
    STATE = "STATE"
    ACK = "ACK"
    ERR = "ERR"
    PONG = "PONG"
    FIRE = "FIRE"
    RUN = "RUN"
    STOP = "STOP"
    PING = "PING"


class Command(StrEnum):
    """What the controller asks of the I/O: the `<cmd>` of ``ACK`` and ``ERR``."""

    FIRE = "FIRE"
    RUN = "RUN"
    STOP = "STOP"
    PING = "PING"


class ConveyorState(StrEnum):
    """What ``STATE`` reports: the motor runs, is stopped, or is in a fault (an e-stop)."""

    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    FAULT = "FAULT"


class ErrorCode(IntEnum):
    """Why the I/O refused a command: the `<code>` of an ``ERR``."""

    UNKNOWN_COMMAND = 1
    BAD_ARGUMENT = 2  # a malformed count, a missing or extra argument, junk bytes
    FAULT = 3  # RUN while the conveyor is in a fault (e-stop): reset it at the machine first
    FIRE_QUEUE_FULL = 4  # more fires armed than the I/O holds


_STATE_NAMES = frozenset(state.value for state in ConveyorState)
_ACKED_NAMES = frozenset({Command.FIRE.value, Command.RUN.value, Command.STOP.value})
_COMMAND_NAMES = frozenset(command.value for command in Command)
_CODE_VALUES = frozenset(int(code) for code in ErrorCode)


class BadLine(ProtocolError):
    """A line that breaks the protocol: `line` (without its end), the `code` an I/O answers to
    it, the `command` it names (None if none) and `used`, the bytes to skip past it."""

    def __init__(
        self, message: str, line: bytes, code: ErrorCode, command: Command | None, used: int
    ) -> None:
        super().__init__(message)
        self.line, self.code, self.command, self.used = line, code, command, used


def _count(value: object, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_COUNT:
        raise InvalidQuantity(
            f"Invalid {what} {describe(value)}: expected an integer from {low} to 2**63-1. "
            "Hint: encoder counts and detect numbers only grow, from the I/O's own counter."
        )
    return value


def _valid_text(value: object, what: str) -> str:
    if not isinstance(value, str) or not (value == "" or _TEXT.fullmatch(value)):
        raise InvalidFormat(
            f"Invalid {what} text {describe(value)}: expected up to 200 printable ASCII "
            "characters. Hint: e.g. 'e-stop'."
        )
    return value


# The I/O to the controller -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Detect:
    """``DET <n> <encoder>``: detect edge `n` (1-based, counted by the I/O) at `encoder`."""

    kind: ClassVar[FrameKind] = FrameKind.DET
    n: int
    encoder: int

    @classmethod
    def parse(cls, n: object, encoder: object) -> Detect:
        return cls(_count(n, "detect number", 1), _count(encoder, "encoder count"))

    def encode(self) -> bytes:
        return b"DET %d %d\n" % (self.n, self.encoder)


@dataclass(frozen=True, slots=True)
class Encoder:
    """``ENC <encoder>``: where the conveyor is now."""

    kind: ClassVar[FrameKind] = FrameKind.ENC
    encoder: int

    @classmethod
    def parse(cls, encoder: object) -> Encoder:
        return cls(_count(encoder, "encoder count"))

    def encode(self) -> bytes:
        return b"ENC %d\n" % self.encoder


@dataclass(frozen=True, slots=True)
class State:
    """``STATE <state> [<text>]``: the conveyor changed state (`text` says why, if known)."""

    kind: ClassVar[FrameKind] = FrameKind.STATE
    state: ConveyorState
    text: str = ""

    @classmethod
    def parse(cls, state: object, text: object = "") -> State:
        if not isinstance(state, str) or state not in _STATE_NAMES:
            raise InvalidFormat(
                f"Invalid conveyor state {describe(state)}: expected 'RUNNING', 'STOPPED' or "
                "'FAULT'. Hint: use ConveyorState."
            )
        return cls(ConveyorState(state), _valid_text(text, "state"))

    def encode(self) -> bytes:
        return with_text(b"STATE " + self.state.value.encode("ascii"), self.text)


@dataclass(frozen=True, slots=True)
class Ack:
    """``ACK <cmd>``: the command was carried out (``FIRE``: armed)."""

    kind: ClassVar[FrameKind] = FrameKind.ACK
    command: Command

    @classmethod
    def parse(cls, command: object) -> Ack:
        if not isinstance(command, str) or command not in _ACKED_NAMES:
            raise InvalidFormat(
                f"Invalid acknowledged command {describe(command)}: expected Command.FIRE, "
                "Command.RUN or Command.STOP. Hint: PING is answered PONG."
            )
        return cls(Command(command))

    def encode(self) -> bytes:
        return b"ACK %s\n" % self.command.value.encode("ascii")


@dataclass(frozen=True, slots=True)
class Err:
    """``ERR <cmd> <code> [<text>]``: the command was refused and changed nothing; `command`
    is None (``-`` on the wire) for a line that names no known command."""

    kind: ClassVar[FrameKind] = FrameKind.ERR
    command: Command | None
    code: ErrorCode
    text: str = ""

    @classmethod
    def parse(cls, command: object, code: object, text: object = "") -> Err:
        if command is not None and (not isinstance(command, str) or command not in _COMMAND_NAMES):
            raise InvalidFormat(
                f"Invalid refused command {describe(command)}: expected a Command or None. "
                "Hint: None stands for a line that names no command."
            )
        if isinstance(code, bool) or not isinstance(code, int) or code not in _CODE_VALUES:
            raise InvalidFormat(
                f"Invalid line I/O error code {describe(code)}: expected one of "
                f"{sorted(int(c) for c in ErrorCode)}. Hint: use ErrorCode."
            )
        return cls(
            None if command is None else Command(command),
            ErrorCode(code),
            _valid_text(text, "error"),
        )

    def encode(self) -> bytes:
        name = b"-" if self.command is None else self.command.value.encode("ascii")
        return with_text(b"ERR %s %d" % (name, self.code), self.text)


@dataclass(frozen=True, slots=True)
class Pong:
    """``PONG``: the I/O is alive."""

    kind: ClassVar[FrameKind] = FrameKind.PONG

    def encode(self) -> bytes:
        return b"PONG\n"


Frame = Detect | Encoder | State | Ack | Err | Pong
"""What the I/O sends: `decode` returns these."""


# The controller to the I/O -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fire:
    """``FIRE <encoder>``: fire the reject actuator when the encoder reaches `encoder`."""

    kind: ClassVar[FrameKind] = FrameKind.FIRE
    encoder: int

    @classmethod
    def parse(cls, encoder: object) -> Fire:
        return cls(_count(encoder, "fire position"))

    def encode(self) -> bytes:
        return b"FIRE %d\n" % self.encoder


@dataclass(frozen=True, slots=True)
class Run:
    """``RUN``: start the conveyor motor."""

    kind: ClassVar[FrameKind] = FrameKind.RUN

    def encode(self) -> bytes:
        return b"RUN\n"


@dataclass(frozen=True, slots=True)
class Stop:
    """``STOP``: stop the conveyor motor."""

    kind: ClassVar[FrameKind] = FrameKind.STOP

    def encode(self) -> bytes:
        return b"STOP\n"


@dataclass(frozen=True, slots=True)
class Ping:
    """``PING``: answered ``PONG``."""

    kind: ClassVar[FrameKind] = FrameKind.PING

    def encode(self) -> bytes:
        return b"PING\n"


CommandFrame = Fire | Run | Stop | Ping
"""What the controller sends: `decode_commands` returns these."""


def with_text(head: bytes, text: str) -> bytes:
    return head + b" " + text.encode("ascii") + b"\n" if text else head + b"\n"

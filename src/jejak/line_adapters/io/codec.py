"""The "Jejak line I/O" protocol without I/O: frames in, bytes out, and bytes in, frames out.

On a real line the product-detect sensor, the conveyor encoder, the reject actuator and the
conveyor motor are wired to a PLC or a remote I/O module, not to the line computer. Jejak reaches
them over TCP through a small text protocol of its own, documented here. It is modelled on the
common pattern of PLC gateway text protocols (one ASCII command or event a line, an ``ACK`` or
``ERR`` to every command, unsolicited events in between); it is *not* a vendor standard, so a
site puts a small PLC gateway in front of its I/O that speaks it (a Modbus/TCP or OPC UA adapter
can replace the gateway later, behind the same client). `jejak.line_adapters.sim.conveyor`
serves it for tests and the demo.

Grammar (ABNF, RFC 5234; ``SP`` is one space, every line at most `MAX_LINE` bytes before its end)::

    line      = ( event / command ) eol
    eol       = LF / CR LF                    ; senders send LF; readers accept both
    count     = "0" / %x31-39 *18DIGIT        ; 0 to 2^63-1, decimal, no sign, no leading zero
    number    = %x31-39 *18DIGIT              ; 1 to 2^63-1
    text      = 1*%x20-7E                     ; printable ASCII, not empty
    ; the I/O to the controller
    event     = "DET" SP number SP count      ; product detect <n> latched at encoder <count>
              / "ENC" SP count                ; the encoder position now
              / "STATE" SP state [SP text]    ; the conveyor started, stopped or faulted
              / "ACK" SP ack-cmd              ; a command was carried out (or accepted)
              / "ERR" SP err-cmd SP code [SP text]  ; a command was refused, nothing changed
              / "PONG"                        ; the answer to PING
    state     = "RUNNING" / "STOPPED" / "FAULT"
    ack-cmd   = "FIRE" / "RUN" / "STOP"
    err-cmd   = "FIRE" / "RUN" / "STOP" / "PING" / "-"  ; "-": a line that names no command
    code      = 1*2DIGIT                      ; an `ErrorCode`
    ; the controller to the I/O
    command   = "FIRE" SP count               ; fire the reject actuator at encoder <count>
              / "RUN" / "STOP"                ; start / stop the conveyor motor
              / "PING"                        ; health check: PONG

Meaning:

- ``DET <n> <encoder>``: the product-detect sensor saw the front of a pack. The I/O numbers the
  detect edges it counts (1, 2, ...: a bouncing sensor makes two) and latches the encoder count
  at the edge, so `<encoder>` is exact however late the line arrives. The numbering goes on
  across connections: a gap shows a detect that happened while no controller was connected.
- ``ENC <encoder>``: sent on connection and then at least every quarter pack pitch and every
  20 ms of line time while the conveyor runs, so a reject FIFO can advance without waiting for
  the next pack. Encoder counts only grow: the gateway extends a wrapping hardware counter to
  63 bits (at a million counts a second that lasts 292,000 years).
- ``FIRE <encoder>``: energise the reject actuator when the encoder reaches `<encoder>`, at once
  if it already has. A PLC does this with a high-speed counter compare output, so the firing
  point does not depend on network latency: send it as soon as the verdict is known
  (detect position + reject offset). ``ACK FIRE`` means the fire is armed. A late ``FIRE``
  hits whatever is in front of the actuator when it arrives, which need not be the pack meant.
- ``RUN`` / ``STOP``: the conveyor motor (PackML Execute runs it; Hold, Suspend, Stop, Abort stop
  it). Each is answered ``ACK``, then ``STATE`` if the state changed. ``RUN`` in a fault (an
  e-stop) is refused with ``ERR RUN 3`` until the fault is reset at the machine. The I/O stops
  the conveyor when the controller's connection is lost (a watchdog: no pack passes unseen).
- On every new connection the I/O sends its ``STATE`` and ``ENC`` first.

>>> Detect(7, 7000).encode(), Fire.parse(9500).encode()
(b'DET 7 7000\\n', b'FIRE 9500\\n')
>>> decode(b"STATE RUNNING\\nDET 1 1000\\r\\nENC 12")
(26, [State(state=<ConveyorState.RUNNING: 'RUNNING'>, text=''), Detect(n=1, encoder=1000)])
>>> decode_commands(b"FIRE 9500\\nPING\\n")
(15, [Fire(encoder=9500), Ping()])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from jejak.engine.text import describe
from jejak.line_adapters.io.frames import (
    HINT,
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
)

__all__ = [
    "HINT", "MAX_COUNT", "MAX_LINE", "Ack", "BadLine", "Command", "CommandFrame",
    "ConveyorState", "Detect", "Encoder", "Err", "ErrorCode", "Fire", "Frame", "FrameKind",
    "Ping", "Pong", "Run", "State", "Stop", "decode", "decode_commands",
]  # fmt: skip

_COUNT = re.compile(rb"0|[1-9][0-9]{0,18}")
_PRINTABLE = bytes(range(0x20, 0x7F))


# Decoding ----------------------------------------------------------------------------------

F = TypeVar("F", Frame, CommandFrame)
_Parser = Callable[[list[bytes], bytes], F]


class _Refusal(Exception):
    """A parser's refusal, made into a `BadLine` by `_decode` (which knows `used`)."""

    def __init__(self, expected: str, code: ErrorCode = ErrorCode.BAD_ARGUMENT) -> None:
        self.expected, self.code = expected, code


def _number(word: bytes, expected: str, low: int = 0) -> int:
    if _COUNT.fullmatch(word) and (value := int(word)) >= low and value <= MAX_COUNT:
        return value
    raise _Refusal(expected)


def _words(words: list[bytes], count: int, expected: str) -> list[bytes]:
    if len(words) != count:
        raise _Refusal(expected)
    return words


def _text_of(line: bytes, words: list[bytes], start: int) -> str:
    """The text after the first `start` words (the line holds printable ASCII only)."""
    head = sum(len(word) + 1 for word in words[:start])
    return line[head:].decode("ascii")


_DET = "'DET <n> <encoder>' with n 1 to 2**63-1 and encoder 0 to 2**63-1, in plain decimal"
_ENC = "'ENC <encoder>' with encoder 0 to 2**63-1, in plain decimal"
_STATE = "'STATE RUNNING|STOPPED|FAULT [<text>]'"
_ACK = "'ACK FIRE', 'ACK RUN' or 'ACK STOP'"
_ERR = "'ERR FIRE|RUN|STOP|PING|- <code> [<text>]' with a known error code"
_FIRE = "'FIRE <encoder>' with encoder 0 to 2**63-1, in plain decimal"
_ACKED = {b"FIRE": Command.FIRE, b"RUN": Command.RUN, b"STOP": Command.STOP}
_ERRED: dict[bytes, Command | None] = {**_ACKED, b"PING": Command.PING, b"-": None}
_STATES = {state.value.encode("ascii"): state for state in ConveyorState}
_CODES = {b"%d" % code: code for code in ErrorCode}


def _parse_det(words: list[bytes], _line: bytes) -> Detect:
    _, n, encoder = _words(words, 3, _DET)
    return Detect(_number(n, _DET, 1), _number(encoder, _DET))


def _parse_enc(words: list[bytes], _line: bytes) -> Encoder:
    return Encoder(_number(_words(words, 2, _ENC)[1], _ENC))


def _parse_state(words: list[bytes], line: bytes) -> State:
    state = _STATES.get(words[1]) if len(words) > 1 else None
    if state is None or (len(words) > 2 and len(line) == len(words[0]) + len(words[1]) + 2):
        raise _Refusal(_STATE)  # an unknown state, or a space with no text after it
    return State(state, _text_of(line, words, 2))


def _parse_ack(words: list[bytes], _line: bytes) -> Ack:
    command = _ACKED.get(_words(words, 2, _ACK)[1])
    if command is None:
        raise _Refusal(_ACK)
    return Ack(command)


def _parse_err(words: list[bytes], line: bytes) -> Err:
    if len(words) < 3 or words[1] not in _ERRED or words[2] not in _CODES:
        raise _Refusal(_ERR)
    if len(words) > 3 and len(line) == sum(len(word) + 1 for word in words[:3]):
        raise _Refusal(_ERR)  # a space with no text after it
    return Err(_ERRED[words[1]], _CODES[words[2]], _text_of(line, words, 3))


def _parse_fire(words: list[bytes], _line: bytes) -> Fire:
    return Fire(_number(_words(words, 2, _FIRE)[1], _FIRE))


def _bare(frame: F, expected: str) -> _Parser[F]:
    def parse(words: list[bytes], _line: bytes) -> F:
        _words(words, 1, expected)
        return frame

    return parse


_EVENTS: dict[bytes, _Parser[Frame]] = {
    b"DET": _parse_det, b"ENC": _parse_enc, b"STATE": _parse_state, b"ACK": _parse_ack,
    b"ERR": _parse_err, b"PONG": _bare(Pong(), "'PONG' alone"),
}  # fmt: skip
_COMMANDS: dict[bytes, _Parser[CommandFrame]] = {
    b"FIRE": _parse_fire, b"RUN": _bare(Run(), "'RUN' alone"),
    b"STOP": _bare(Stop(), "'STOP' alone"), b"PING": _bare(Ping(), "'PING' alone"),
}  # fmt: skip
_EVENTS_EXPECTED = "an I/O event: DET, ENC, STATE, ACK, ERR or PONG"
_COMMANDS_EXPECTED = "a command: FIRE, RUN, STOP or PING"


def _decode(
    buffer: bytes | bytearray | memoryview, parsers: dict[bytes, _Parser[F]], expected: str
) -> tuple[int, list[F]]:
    data = bytes(buffer)
    frames: list[F] = []
    start = 0
    while True:
        end = data.find(b"\n", start)
        if end < 0:
            if len(data) - start > MAX_LINE + 1 and not frames:
                raise BadLine(
                    f"Invalid line I/O line {describe(data[start:])}: expected an LF within "
                    f"{MAX_LINE} bytes. {HINT}",
                    data[start : start + 64],
                    ErrorCode.BAD_ARGUMENT,
                    None,
                    len(data),
                )
            return start, frames
        line = data[start : end - 1 if end > start and data[end - 1] == 0x0D else end]
        try:
            frames.append(_parse_line(line, parsers, expected))
        except _Refusal as refusal:
            if frames:  # the good frames first; the bad line raises on the next call
                return start, frames
            command = _command_of(line) if parsers is _COMMANDS else None
            raise BadLine(
                f"Invalid line I/O line {describe(line)}: expected {refusal.expected}. {HINT}",
                line,
                refusal.code,
                command,
                end + 1,
            ) from None
        start = end + 1


def _parse_line(line: bytes, parsers: dict[bytes, _Parser[F]], expected: str) -> F:
    if len(line) > MAX_LINE or line.translate(None, _PRINTABLE):
        raise _Refusal(f"printable ASCII (0x20 to 0x7E), at most {MAX_LINE} bytes, ending in LF")
    words = line.split(b" ")
    parser = parsers.get(words[0])
    if parser is None:
        raise _Refusal(expected, ErrorCode.UNKNOWN_COMMAND)
    return parser(words, line)


def _command_of(line: bytes) -> Command | None:
    verb = line.split(b" ", 1)[0]
    return Command(verb.decode("ascii")) if verb in _ERRED and verb != b"-" else None


def decode(buffer: bytes | bytearray | memoryview) -> tuple[int, list[Frame]]:
    """What the I/O sent: `(used, frames)` for the complete lines at the start of `buffer`.

    Drop the first `used` bytes and call again when more arrive; an incomplete last line is not
    used. A bad line raises `BadLine` (its `used` skips past it) when it comes first; after good
    lines, decoding stops before it, so no frame is lost.

    >>> decode(b"ENC 5\\nENC 05\\n")
    (6, [Encoder(encoder=5)])
    >>> decode(b"ENC 05\\n")
    Traceback (most recent call last):
    ...
    jejak.line_adapters.io.frames.BadLine: Invalid line I/O line b'ENC 05': expected 'ENC \
<encoder>' with encoder 0 to 2**63-1, in plain decimal. Hint: check that the peer speaks the \
Jejak line I/O protocol (line_adapters.io.codec).
    """
    return _decode(buffer, _EVENTS, _EVENTS_EXPECTED)


def decode_commands(
    buffer: bytes | bytearray | memoryview,
) -> tuple[int, list[CommandFrame]]:
    """What the controller sent: as `decode`, for commands (the I/O's side)."""
    return _decode(buffer, _COMMANDS, _COMMANDS_EXPECTED)

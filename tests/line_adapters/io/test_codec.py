"""The line I/O protocol without I/O: every line both ways, exact refusals, split streams."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, InvalidQuantity, ProtocolError
from jejak.line_adapters.io import (
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

HINT = "Hint: check that the peer speaks the Jejak line I/O protocol (line_adapters.io.codec)."
EVENTS = "an I/O event: DET, ENC, STATE, ACK, ERR or PONG"
COMMANDS = "a command: FIRE, RUN, STOP or PING"
DET = "'DET <n> <encoder>' with n 1 to 2**63-1 and encoder 0 to 2**63-1, in plain decimal"
ENC = "'ENC <encoder>' with encoder 0 to 2**63-1, in plain decimal"
FIRE = "'FIRE <encoder>' with encoder 0 to 2**63-1, in plain decimal"
STATE = "'STATE RUNNING|STOPPED|FAULT [<text>]'"
ACK = "'ACK FIRE', 'ACK RUN' or 'ACK STOP'"
ERR = "'ERR FIRE|RUN|STOP|PING|- <code> [<text>]' with a known error code"
ASCII = f"printable ASCII (0x20 to 0x7E), at most {MAX_LINE} bytes, ending in LF"

EVENT_LINES: list[tuple[Frame, bytes]] = [
    (Detect(1, 0), b"DET 1 0\n"),
    (Detect(42, 41_000), b"DET 42 41000\n"),
    (Detect(MAX_COUNT, MAX_COUNT), b"DET 9223372036854775807 9223372036854775807\n"),
    (Encoder(0), b"ENC 0\n"),
    (Encoder(123_456_789), b"ENC 123456789\n"),
    (State(ConveyorState.RUNNING), b"STATE RUNNING\n"),
    (State(ConveyorState.STOPPED, "controller link lost"), b"STATE STOPPED controller link lost\n"),
    (State(ConveyorState.FAULT, "e-stop"), b"STATE FAULT e-stop\n"),
    (State(ConveyorState.FAULT, " two  spaces "), b"STATE FAULT  two  spaces \n"),
    (Ack(Command.FIRE), b"ACK FIRE\n"),
    (Ack(Command.RUN), b"ACK RUN\n"),
    (Ack(Command.STOP), b"ACK STOP\n"),
    (Err(Command.RUN, ErrorCode.FAULT, "conveyor in fault: e-stop"),
     b"ERR RUN 3 conveyor in fault: e-stop\n"),
    (Err(Command.FIRE, ErrorCode.FIRE_QUEUE_FULL), b"ERR FIRE 4\n"),
    (Err(Command.PING, ErrorCode.BAD_ARGUMENT, "bad argument"), b"ERR PING 2 bad argument\n"),
    (Err(None, ErrorCode.UNKNOWN_COMMAND, "unknown command"), b"ERR - 1 unknown command\n"),
    (Pong(), b"PONG\n"),
]  # fmt: skip
COMMAND_LINES: list[tuple[CommandFrame, bytes]] = [
    (Fire(0), b"FIRE 0\n"),
    (Fire(9_500), b"FIRE 9500\n"),
    (Fire(MAX_COUNT), b"FIRE 9223372036854775807\n"),
    (Run(), b"RUN\n"),
    (Stop(), b"STOP\n"),
    (Ping(), b"PING\n"),
]


@pytest.mark.parametrize(("frame", "line"), EVENT_LINES)
def test_event_lines(frame: Frame, line: bytes) -> None:
    assert frame.encode() == line
    assert decode(line) == (len(line), [frame])
    assert decode(line[:-1] + b"\r\n") == (len(line) + 1, [frame])
    assert frame.kind is FrameKind(line.split()[0].decode())


@pytest.mark.parametrize(("frame", "line"), COMMAND_LINES)
def test_command_lines(frame: CommandFrame, line: bytes) -> None:
    assert frame.encode() == line
    assert decode_commands(line) == (len(line), [frame])
    assert decode_commands(line[:-1] + b"\r\n") == (len(line) + 1, [frame])
    assert frame.kind is FrameKind(line.split()[0].decode())


def test_incomplete_lines_are_not_used() -> None:
    assert decode(b"") == (0, [])
    assert decode(b"ENC 1") == (0, [])
    assert decode(b"ENC 1\r") == (0, [])
    assert decode(bytearray(b"ENC 1\nENC 2\nDET 3")) == (12, [Encoder(1), Encoder(2)])
    assert decode_commands(memoryview(b"PING\nFI")) == (5, [Ping()])


@pytest.mark.parametrize(
    ("line", "expected", "code"),
    [
        (b"DET 0 5", DET, ErrorCode.BAD_ARGUMENT),
        (b"DET 1", DET, ErrorCode.BAD_ARGUMENT),
        (b"DET 1 2 3", DET, ErrorCode.BAD_ARGUMENT),
        (b"DET  1 2", DET, ErrorCode.BAD_ARGUMENT),
        (b"ENC 05", ENC, ErrorCode.BAD_ARGUMENT),
        (b"ENC -1", ENC, ErrorCode.BAD_ARGUMENT),
        (b"ENC +1", ENC, ErrorCode.BAD_ARGUMENT),
        (b"ENC 9223372036854775808", ENC, ErrorCode.BAD_ARGUMENT),
        (b"ENC 1 ", ENC, ErrorCode.BAD_ARGUMENT),
        (b"ENC", ENC, ErrorCode.BAD_ARGUMENT),
        (b"STATE", STATE, ErrorCode.BAD_ARGUMENT),
        (b"STATE PAUSED", STATE, ErrorCode.BAD_ARGUMENT),
        (b"STATE running", STATE, ErrorCode.BAD_ARGUMENT),
        (b"STATE FAULT ", STATE, ErrorCode.BAD_ARGUMENT),
        (b"ACK PING", ACK, ErrorCode.BAD_ARGUMENT),
        (b"ACK", ACK, ErrorCode.BAD_ARGUMENT),
        (b"ACK RUN now", ACK, ErrorCode.BAD_ARGUMENT),
        (b"ERR RUN", ERR, ErrorCode.BAD_ARGUMENT),
        (b"ERR RUN 9", ERR, ErrorCode.BAD_ARGUMENT),
        (b"ERR RUN 03", ERR, ErrorCode.BAD_ARGUMENT),
        (b"ERR RUN 3 ", ERR, ErrorCode.BAD_ARGUMENT),
        (b"ERR FOO 1 x", ERR, ErrorCode.BAD_ARGUMENT),
        (b"PONG x", "'PONG' alone", ErrorCode.BAD_ARGUMENT),
        (b"RUN", EVENTS, ErrorCode.UNKNOWN_COMMAND),
        (b"det 1 2", EVENTS, ErrorCode.UNKNOWN_COMMAND),
        (b"", EVENTS, ErrorCode.UNKNOWN_COMMAND),
        (b" ENC 1", EVENTS, ErrorCode.UNKNOWN_COMMAND),
        (b"ENC 1\tx", ASCII, ErrorCode.BAD_ARGUMENT),
        (b"STATE FAULT caf\xc3\xa9", ASCII, ErrorCode.BAD_ARGUMENT),
        (b"ENC\r1", ASCII, ErrorCode.BAD_ARGUMENT),
        (b"STATE FAULT " + b"x" * MAX_LINE, ASCII, ErrorCode.BAD_ARGUMENT),
    ],
)
def test_event_refusals(line: bytes, expected: str, code: ErrorCode) -> None:
    with pytest.raises(BadLine) as refused:
        decode(line + b"\nENC 1\n")
    shown = repr(line) if len(repr(line)) <= 60 else f"{repr(line)[:40]}…{repr(line)[-12:]}"
    if len(repr(line)) > 60:
        shown += f" ({len(repr(line))} chars)"
    assert str(refused.value) == f"Invalid line I/O line {shown}: expected {expected}. {HINT}"
    assert isinstance(refused.value, ProtocolError)
    assert (refused.value.line, refused.value.code, refused.value.command) == (line, code, None)
    assert refused.value.used == len(line) + 1  # skip the bad line: the next one decodes
    assert decode(b"ENC 1\n") == (6, [Encoder(1)])


@pytest.mark.parametrize(
    ("line", "expected", "code", "command"),
    [
        (b"FIRE", FIRE, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"FIRE x", FIRE, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"FIRE 01", FIRE, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"FIRE 1 2", FIRE, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"FIRE 9223372036854775808", FIRE, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"RUN now", "'RUN' alone", ErrorCode.BAD_ARGUMENT, Command.RUN),
        (b"STOP ", "'STOP' alone", ErrorCode.BAD_ARGUMENT, Command.STOP),
        (b"PING 1", "'PING' alone", ErrorCode.BAD_ARGUMENT, Command.PING),
        (b"FIRE \x00", ASCII, ErrorCode.BAD_ARGUMENT, Command.FIRE),
        (b"FOO", COMMANDS, ErrorCode.UNKNOWN_COMMAND, None),
        (b"run", COMMANDS, ErrorCode.UNKNOWN_COMMAND, None),
        (b"ENC 5", COMMANDS, ErrorCode.UNKNOWN_COMMAND, None),
        (b"-", COMMANDS, ErrorCode.UNKNOWN_COMMAND, None),
    ],
)
def test_command_refusals(
    line: bytes, expected: str, code: ErrorCode, command: Command | None
) -> None:
    with pytest.raises(BadLine) as refused:
        decode_commands(line + b"\r\n")
    assert str(refused.value) == f"Invalid line I/O line {line!r}: expected {expected}. {HINT}"
    assert (refused.value.line, refused.value.code, refused.value.command) == (line, code, command)
    assert refused.value.used == len(line) + 2


def test_good_lines_come_before_a_bad_one() -> None:
    data = b"ENC 1\nDET 1 1000\nENC x\nENC 2\n"
    used, frames = decode(data)
    assert (used, frames) == (17, [Encoder(1), Detect(1, 1000)])
    with pytest.raises(BadLine) as refused:
        decode(data[used:])
    assert refused.value.used == 6
    assert decode(data[used + refused.value.used :]) == (6, [Encoder(2)])


def test_a_line_too_long_is_junk() -> None:
    assert decode(b"x" * (MAX_LINE + 1)) == (0, [])  # might still end in CR LF
    used, frames = decode(b"ENC 1\n" + b"x" * (MAX_LINE + 2))
    assert (used, frames) == (6, [Encoder(1)])  # the good line first
    with pytest.raises(BadLine) as refused:
        decode(b"x" * (MAX_LINE + 2))
    assert str(refused.value) == (
        f"Invalid line I/O line b'{'x' * 38}…{'x' * 11}' (261 chars): expected an LF within "
        f"{MAX_LINE} bytes. {HINT}"
    )
    assert (refused.value.used, refused.value.code) == (MAX_LINE + 2, ErrorCode.BAD_ARGUMENT)


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: Detect.parse(0, 5), InvalidQuantity,
         ("Invalid detect number 0: expected an integer from 1 to 2**63-1. Hint: encoder counts "
         "and detect numbers only grow, from the I/O's own counter.")),
        (lambda: Detect.parse(1, -1), InvalidQuantity,
         ("Invalid encoder count -1: expected an integer from 0 to 2**63-1. Hint: encoder counts "
         "and detect numbers only grow, from the I/O's own counter.")),
        (lambda: Encoder.parse(True), InvalidQuantity,
         ("Invalid encoder count True: expected an integer from 0 to 2**63-1. Hint: encoder "
         "counts and detect numbers only grow, from the I/O's own counter.")),
        (lambda: Fire.parse(1 << 63), InvalidQuantity,
         ("Invalid fire position 9223372036854775808: expected an integer from 0 to 2**63-1. "
         "Hint: encoder counts and detect numbers only grow, from the I/O's own counter.")),
        (lambda: Fire.parse("9500"), InvalidQuantity,
         ("Invalid fire position '9500': expected an integer from 0 to 2**63-1. Hint: encoder "
         "counts and detect numbers only grow, from the I/O's own counter.")),
        (lambda: State.parse("PAUSED"), InvalidFormat,
         ("Invalid conveyor state 'PAUSED': expected 'RUNNING', 'STOPPED' or 'FAULT'. Hint: use "
         "ConveyorState.")),
        (lambda: State.parse("FAULT", "e\nstop"), InvalidFormat,
         ("Invalid state text 'e\\nstop': expected up to 200 printable ASCII characters. Hint: "
         "e.g. 'e-stop'.")),
        (lambda: Ack.parse("PING"), InvalidFormat,
         ("Invalid acknowledged command 'PING': expected Command.FIRE, Command.RUN or "
         "Command.STOP. Hint: PING is answered PONG.")),
        (lambda: Err.parse("JUMP", 1), InvalidFormat,
         ("Invalid refused command 'JUMP': expected a Command or None. Hint: None stands for a "
         "line that names no command.")),
        (lambda: Err.parse(None, 9), InvalidFormat,
         "Invalid line I/O error code 9: expected one of [1, 2, 3, 4]. Hint: use ErrorCode."),
        (lambda: Err.parse(None, True), InvalidFormat,
         "Invalid line I/O error code True: expected one of [1, 2, 3, 4]. Hint: use ErrorCode."),
        (lambda: Err.parse(None, 1, "x" * 201), InvalidFormat,
         (f"Invalid error text '{'x' * 39}…{'x' * 11}' (203 chars): expected up to 200 printable "
         "ASCII characters. Hint: e.g. 'e-stop'.")),
    ],
)  # fmt: skip
def test_value_refusals(build: Callable[[], object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as refused:
        build()
    assert str(refused.value) == message


def test_value_parses() -> None:
    assert Detect.parse(3, 3000) == Detect(3, 3000)
    assert Encoder.parse(0) == Encoder(0)
    assert Fire.parse(9500) == Fire(9500)
    assert State.parse("FAULT", "e-stop") == State(ConveyorState.FAULT, "e-stop")
    assert Ack.parse(Command.RUN) == Ack(Command.RUN)
    assert Err.parse("RUN", 3, "x") == Err(Command.RUN, ErrorCode.FAULT, "x")
    assert Err.parse(None, ErrorCode.UNKNOWN_COMMAND) == Err(None, ErrorCode.UNKNOWN_COMMAND)


# Round trips of whole streams, cut anywhere --------------------------------------------------

COUNTS = st.integers(0, MAX_COUNT)
TEXTS = st.one_of(
    st.just(""), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)
).filter(lambda text: len(text) <= 200)
EVENT_FRAMES: st.SearchStrategy[Frame] = st.one_of(
    st.builds(Detect, st.integers(1, MAX_COUNT), COUNTS),
    st.builds(Encoder, COUNTS),
    st.builds(State, st.sampled_from(ConveyorState), TEXTS),
    st.builds(Ack, st.sampled_from([Command.FIRE, Command.RUN, Command.STOP])),
    st.builds(Err, st.sampled_from([*Command, None]), st.sampled_from(ErrorCode), TEXTS),
    st.just(Pong()),
)
COMMAND_FRAMES: st.SearchStrategy[CommandFrame] = st.one_of(
    st.builds(Fire, COUNTS), st.just(Run()), st.just(Stop()), st.just(Ping())
)


def wire(frames: list[Frame] | list[CommandFrame], crlf: list[bool]) -> bytes:
    lines = [f.encode() for f in frames]
    return b"".join(
        line[:-1] + b"\r\n" if cr else line
        for line, cr in zip(lines, crlf + [False] * len(lines), strict=False)
    )


def cut(data: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@given(st.lists(EVENT_FRAMES, max_size=30), st.lists(st.booleans()), st.lists(st.integers(0)))
def test_events_round_trip_however_split(
    frames: list[Frame], crlf: list[bool], points: list[int]
) -> None:
    buffer = bytearray()
    got: list[Frame] = []
    for chunk in cut(wire(frames, crlf), points):
        buffer += chunk
        used, decoded = decode(buffer)
        del buffer[:used]
        got += decoded
    assert got == frames
    assert buffer == b""


@given(st.lists(COMMAND_FRAMES, max_size=30), st.lists(st.booleans()), st.lists(st.integers(0)))
def test_commands_round_trip_however_split(
    frames: list[CommandFrame], crlf: list[bool], points: list[int]
) -> None:
    buffer = bytearray()
    got: list[CommandFrame] = []
    for chunk in cut(wire(frames, crlf), points):
        buffer += chunk
        used, decoded = decode_commands(buffer)
        del buffer[:used]
        got += decoded
    assert got == frames
    assert buffer == b""


@given(st.binary(max_size=300))
def test_junk_is_refused_or_decoded_never_crashes(junk: bytes) -> None:
    buffer = bytearray(junk + b"\n")
    refusals: list[BadLine] = []
    while buffer:
        try:
            used, frames = decode(buffer)
        except BadLine as bad:
            refusals.append(bad)
            used, frames = bad.used, []
        assert 0 < used <= len(buffer)
        for frame in frames:
            assert decode(frame.encode()) == (len(frame.encode()), [frame])
        del buffer[:used]
    assert all(str(bad).startswith("Invalid line I/O line ") for bad in refusals)

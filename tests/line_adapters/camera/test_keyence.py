"""The Keyence SR wire format without I/O: LON/LOFF, command responses, read data, bad lines,
and responses and reads interleaved in any chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import ProtocolError
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.keyence import (
    LOFF,
    LON,
    KeyenceCommand,
    KeyenceError,
    KeyenceFrame,
    KeyenceReply,
    decode,
    decode_commands,
    encode_result,
    refusal,
)
from jejak.line_adapters.camera.result import Grade, Malformed, ReadString, ResultFormat

GS = b"\x1d"
CODE = b"0108991234567891172810311020251" + GS + b"21X7Y8Z9"
DM = Symbology.GS1_DATAMATRIX
FMT = ResultFormat.parse(no_read="ERROR")
BAD = (
    "expected 'OK,<command>' or 'ER,<command>,<two-digit code>'. Hint: check the reader's "
    "command response settings."
)


def test_timing_commands() -> None:
    assert (LON, LOFF) == (b"LON\r", b"LOFF\r")
    assert KeyenceCommand(LON[:-1].decode()) is KeyenceCommand.LON


@pytest.mark.parametrize(
    ("line", "frame"),
    [
        (b"OK,LON", KeyenceReply("LON")),
        (b"OK,LOFF", KeyenceReply("LOFF")),
        (b"OK,KEYENCE,SR-1000", KeyenceReply("KEYENCE", None, b"SR-1000")),
        (b"ER,LON,20", KeyenceReply("LON", 20)),
        (b"ER,LON,00", KeyenceReply("LON", 0)),
        (b"ER,LON,13", KeyenceReply("LON", 13)),  # a number the table does not list
        (b"]d2" + CODE, ReadString(CODE, DM, None)),
        (b"ERROR", ReadString(None, None, None)),
        (b"\nOK,LON", KeyenceReply("LON")),  # CR LF delimiter: the LF starts the next line
        *[(line, Malformed(line, f"Invalid Keyence command response {line!r}: {BAD}", False))
          for line in (b"ER,LON", b"ER,LON,2", b"ER,LON,200", b"OK,", b"OK,L N", b"ER,,20")],
    ],
)  # fmt: skip
def test_decode_one_line(line: bytes, frame: KeyenceFrame) -> None:
    assert decode(line + b"\r", FMT) == (len(line) + 1, [frame])


def test_error_codes() -> None:
    assert KeyenceReply("LON", 20).code is KeyenceError.NOT_EXECUTABLE
    assert KeyenceReply("LON", 13).code is None
    assert KeyenceReply("LON").code is None
    assert KeyenceReply("LON").ok
    assert not KeyenceReply("LON", 0).ok


def test_decode_takes_complete_lines_only() -> None:
    assert decode(b"OK,LON\r\r\nERROR\r\n]d2AB", FMT) == (
        15,
        [KeyenceReply("LON"), ReadString(None, None, None)],
    )


def test_endless_output_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="Invalid Keyence output"):
        decode(b"]d2" + b"A" * 9000, FMT)


def test_decode_commands() -> None:
    assert decode_commands(b"LON\rLOFF\r\n\r\nLON\rFOO,1\r\rLO") == (
        23,
        [b"LON", b"LOFF", b"LON", b"FOO,1"],
    )


def test_encodings() -> None:
    assert KeyenceReply("LON").encode() == b"OK,LON\r"
    assert KeyenceReply("LON", KeyenceError.NOT_EXECUTABLE).encode() == b"ER,LON,20\r"
    assert KeyenceReply("KEYENCE", None, b"SR-1000").encode() == b"OK,KEYENCE,SR-1000\r"
    assert refusal(b"FOO,1", KeyenceError.UNDEFINED_COMMAND) == b"ER,FOO,00\r"
    assert refusal(b"", KeyenceError.UNDEFINED_COMMAND) == b"ER,?,00\r"
    graded = ResultFormat.parse(no_read="ERROR", grade_separator=";")
    assert encode_result(ReadString(CODE, DM, Grade.parse("B")), graded) == (
        b"]d2" + CODE + b";B\r"
    )


replies = st.builds(
    KeyenceReply,
    st.sampled_from(["LON", "LOFF", "BLOAD", "%Tmm-LON"]),
    st.none() | st.sampled_from(KeyenceError),
)
reads = st.builds(
    ReadString,
    st.lists(st.sampled_from(b"0123456789ABCZ,;-" + GS), min_size=1, max_size=30).map(bytes),
    st.sampled_from(Symbology),
    st.none(),
) | st.just(ReadString(None, None, None))


@given(frames=st.lists(replies | reads, max_size=30), cuts=st.lists(st.integers(0, 5000)))
def test_responses_and_reads_round_trip_in_any_chunks(
    frames: list[KeyenceReply | ReadString], cuts: list[int]
) -> None:
    stream = b"".join(
        f.encode() if isinstance(f, KeyenceReply) else encode_result(f, FMT) for f in frames
    )
    buffer, decoded = bytearray(), []
    start = 0
    for point in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        buffer += stream[start:point]
        start = point
        used, out = decode(buffer, FMT)
        del buffer[:used]
        decoded += out
    expected = [
        KeyenceReply(f.command, None if f.error is None else int(f.error))
        if isinstance(f, KeyenceReply)
        else f
        for f in frames
    ]
    assert decoded == expected
    assert not buffer

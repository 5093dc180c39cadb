"""The Cognex DMCC wire format without I/O: commands, extended responses, read strings, bad
lines, and responses and reads interleaved in any chunks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import ProtocolError
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.cognex import (
    TRIGGER_OFF,
    TRIGGER_ON,
    CognexCommand,
    CognexFrame,
    DmccCommand,
    DmccReply,
    DmccStatus,
    decode,
    decode_commands,
    encode_result,
)
from jejak.line_adapters.camera.result import Grade, Malformed, ReadString, ResultFormat

GS = b"\x1d"
CODE = b"0108991234567891172810311020251" + GS + b"21X7Y8Z9"
DM = Symbology.GS1_DATAMATRIX
FMT = ResultFormat.parse(no_read="NoRead")
GRADED = ResultFormat.parse(no_read="NoRead", grade_separator=",")
BAD_REPLY = (
    "expected '||[status]' or '||checksum:id[status]' with a status of 0, 1 or 100 to 105. "
    "Hint: check the reader's DMCC settings (COM.DMCC-RESPONSE) and firmware."
)
BAD_COMMAND = (
    "expected '||>COMMAND' or '||checksum:id>COMMAND' in printable ASCII, ending in CR LF. "
    "Hint: e.g. '||>TRIGGER ON'."
)


def test_trigger_commands() -> None:
    assert (TRIGGER_ON, TRIGGER_OFF) == (b"||>TRIGGER ON\r\n", b"||>TRIGGER OFF\r\n")


def test_status_codes_are_the_dmcc_table() -> None:
    assert {s.name: s.value for s in DmccStatus} == {
        "NO_ERROR": 0, "READ_STRING": 1, "UNIDENTIFIED_ERROR": 100, "COMMAND_INVALID": 101,
        "PARAMETER_INVALID": 102, "CHECKSUM_INCORRECT": 103, "PARAMETER_REJECTED": 104,
        "READER_UNAVAILABLE": 105,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("line", "frame"),
    [
        (b"||[0]", DmccReply(DmccStatus.NO_ERROR)),
        (b"||0:42[105]", DmccReply(DmccStatus.READER_UNAVAILABLE, 0, 42)),
        (b"||1:7[0]xyz", DmccReply(DmccStatus.NO_ERROR, 1, 7, b"xyz")),
        (b"||[101]", DmccReply(DmccStatus.COMMAND_INVALID)),
        (b"||[1]]d2" + CODE, ReadString(CODE, DM, None)),  # a reader-initiated read string
        (b"||0:3[1]NoRead", ReadString(None, None, None)),
        (b"]d2" + CODE, ReadString(CODE, DM, None)),
        (b"]Q3" + CODE, ReadString(CODE, Symbology.GS1_QR, None)),
        (b"NoRead", ReadString(None, None, None)),
        (b"||[7]", Malformed(b"||[7]", f"Invalid DMCC response b'||[7]': {BAD_REPLY}", False)),
        (b"||[x]", Malformed(b"||[x]", f"Invalid DMCC response b'||[x]': {BAD_REPLY}", False)),
        (b"||0[0]", Malformed(b"||0[0]", f"Invalid DMCC response b'||0[0]': {BAD_REPLY}", False)),
        (b"||>X", Malformed(b"||>X", f"Invalid DMCC response b'||>X': {BAD_REPLY}", False)),
    ],
)
def test_decode_one_line(line: bytes, frame: CognexFrame) -> None:
    assert decode(line + b"\r\n", FMT) == (len(line) + 2, [frame])


def test_decode_takes_complete_lines_only_and_skips_empty_ones() -> None:
    assert decode(b"||[0]\r\n\r\n\nNoRead\n]d2AB", FMT) == (
        17,
        [DmccReply(DmccStatus.NO_ERROR), ReadString(None, None, None)],
    )
    assert decode(b"]d2AB\r", FMT) == (0, [])


def test_a_bad_read_line_does_not_stop_the_lines_after_it() -> None:
    used, frames = decode(b"]d2A\r\n]d2B,B\r\n", GRADED)
    assert used == 14
    assert isinstance(frames[0], Malformed)
    assert frames[0].read
    assert frames[1] == ReadString(b"B", DM, Grade.parse("B"))


def test_endless_output_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="Invalid Cognex output"):
        decode(b"]d2" + b"A" * 9000, FMT)


@pytest.mark.parametrize(
    ("line", "command"),
    [
        (b"||>TRIGGER ON", DmccCommand("TRIGGER ON")),
        (b"||0:12>TRIGGER OFF", DmccCommand("TRIGGER OFF", 0, 12)),
        (b"||>GET DEVICE.NAME", DmccCommand("GET DEVICE.NAME")),
        (b"||>", DmccCommand("")),
        (b">TRIGGER ON", Malformed(b">TRIGGER ON", f"Invalid DMCC command b'>TRIGGER ON': "
                                   f"{BAD_COMMAND}", False)),
        (b"||>TRIGGER\x00ON", Malformed(b"||>TRIGGER\x00ON", "Invalid DMCC command "
                                        f"b'||>TRIGGER\\x00ON': {BAD_COMMAND}", False)),
    ],
)  # fmt: skip
def test_decode_commands(line: bytes, command: DmccCommand | Malformed) -> None:
    assert decode_commands(line + b"\r\n") == (len(line) + 2, [command])


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("TRIGGER ON", CognexCommand.TRIGGER_ON),
        ("trigger  on", CognexCommand.TRIGGER_ON),
        (" Trigger Off ", CognexCommand.TRIGGER_OFF),
        ("TRIGGERON", None),
        ("GET DEVICE.NAME", None),
    ],
)
def test_command_names(text: str, command: CognexCommand | None) -> None:
    assert CognexCommand.of(text) is command


def test_encodings() -> None:
    assert DmccCommand("TRIGGER ON", 0, 12).encode() == b"||0:12>TRIGGER ON\r\n"
    assert DmccReply(DmccStatus.READER_UNAVAILABLE, 0, 12).encode() == b"||0:12[105]\r\n"
    assert DmccReply(DmccStatus.NO_ERROR).encode() == b"||[0]\r\n"
    graded = encode_result(ReadString(CODE, DM, Grade.parse("2.5")), GRADED)
    assert graded == b"]d2" + CODE + b",2.5\r\n"
    assert encode_result(ReadString(None, None, None), FMT) == b"NoRead\r\n"


replies = st.builds(
    DmccReply,
    st.sampled_from([s for s in DmccStatus if s is not DmccStatus.READ_STRING]),
    st.none() | st.integers(0, 9),
    st.none() | st.integers(0, 10**6),
)
reads = st.builds(
    ReadString,
    st.lists(st.sampled_from(b"0123456789ABCZ,;-" + GS), min_size=1, max_size=30).map(bytes),
    st.sampled_from(Symbology),
    st.none(),
) | st.just(ReadString(None, None, None))


def _normal(frame: DmccReply | ReadString) -> DmccReply | ReadString:
    """A reply with only a command id or checksum goes out with both (the other 0)."""
    if isinstance(frame, DmccReply) and (frame.checksum is None) != (frame.command_id is None):
        return DmccReply(frame.status, frame.checksum or 0, frame.command_id or 0)
    return frame


@given(frames=st.lists(replies | reads, max_size=30), cuts=st.lists(st.integers(0, 5000)))
def test_responses_and_reads_round_trip_in_any_chunks(
    frames: list[DmccReply | ReadString], cuts: list[int]
) -> None:
    stream = b"".join(
        f.encode() if isinstance(f, DmccReply) else encode_result(f, FMT) for f in frames
    )
    buffer, decoded = bytearray(), []
    start = 0
    for point in [*sorted(c % (len(stream) + 1) for c in cuts), len(stream)]:
        buffer += stream[start:point]
        start = point
        used, out = decode(buffer, FMT)
        del buffer[:used]
        decoded += out
    assert decoded == [_normal(f) for f in frames]
    assert not buffer

"""The coder dialect without I/O: wire examples, round trips, split streams, exact errors, junk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.printers.coder import (
    MAX_LINE,
    MAX_SEQ,
    Ack,
    BadLine,
    Change,
    ClearBuffer,
    CommandDecoder,
    Condition,
    ConditionReport,
    DefineHeader,
    DeviceFrame,
    Err,
    ErrorCode,
    HostFrame,
    PrintComplete,
    PushRecord,
    QueryFree,
    QueryLastPrinted,
    QueryStatus,
    ReplyDecoder,
    SelectJob,
    Skipped,
    StatusReport,
    escape,
    is_after,
    next_seq,
    parse_count,
    unescape,
)
from jejak.printers.device import DeviceState

GS = b"\x1d"
HINT = "Hint: check that the peer speaks the Jejak coder dialect (printers/README.md)."
DEVICE_EXPECTED = "a reply (ACK, ERR) or a notification (#PRN, #SKP, #FLT, #WRN, #OK)"
HOST_EXPECTED = "a command: SEL, HDR, PSH, QFR, QLP, CLR or QST"

HOST_LINES: list[tuple[HostFrame, bytes]] = [
    (SelectJob("BPOM_DM-12.v2"), b"SEL BPOM_DM-12.v2\r"),
    (DefineHeader(("GS1",)), b"HDR GS1\r"),
    (DefineHeader(("GS1", "HRI_1", "HRI_2")), b"HDR GS1|HRI_1|HRI_2\r"),
    (PushRecord(1, (b"0108991234567891" + GS + b"21X",)), b"PSH 1|0108991234567891~1D21X\r"),
    (PushRecord(MAX_SEQ, (b"A|B~C", b"", b"(01)0")), b"PSH 4294967295|A~7CB~7EC||(01)0\r"),
    (PushRecord(7, (b"\r\n\x00\xff",)), b"PSH 7|~0D~0A~00~FF\r"),
    (QueryFree(), b"QFR\r"),
    (QueryLastPrinted(), b"QLP\r"),
    (ClearBuffer(), b"CLR\r"),
    (QueryStatus(), b"QST\r"),
]
DEVICE_LINES: list[tuple[DeviceFrame, bytes]] = [
    (Ack(), b"ACK\r"),
    (Ack("250"), b"ACK 250\r"),
    (Ack("FAULT 20 out of ink"), b"ACK FAULT 20 out of ink\r"),
    (Err(ErrorCode.BUFFER_FULL, "buffer full"), b"ERR 3 buffer full\r"),
    (Err(ErrorCode.UNKNOWN_COMMAND), b"ERR 1\r"),
    (PrintComplete(17, 17), b"#PRN 17\r"),
    (PrintComplete(1, 150), b"#PRN 1-150\r"),
    (Skipped(151, "no product at the print head"), b"#SKP 151 no product at the print head\r"),
    (Skipped(9), b"#SKP 9\r"),
    (ConditionReport(Change.FAULT, Condition.INK_OUT, "out of ink"), b"#FLT 20 out of ink\r"),
    (ConditionReport(Change.WARNING, Condition.INK_LOW, "ink low"), b"#WRN 10 ink low\r"),
    (ConditionReport(Change.CLEARED, Condition.INK_OUT, "ink refilled"), b"#OK 20 ink refilled\r"),
]


@pytest.mark.parametrize(("frame", "line"), HOST_LINES)
def test_host_lines(frame: HostFrame, line: bytes) -> None:
    assert frame.encode() == line
    assert CommandDecoder().feed(line) == [frame]


@pytest.mark.parametrize(("frame", "line"), DEVICE_LINES)
def test_device_lines(frame: DeviceFrame, line: bytes) -> None:
    assert frame.encode() == line
    assert ReplyDecoder().feed(line) == [frame]


@pytest.mark.parametrize(
    ("raw", "wire"),
    [
        (b"", b""),
        (b"01089912345678911726123110ABC123", b"01089912345678911726123110ABC123"),
        (b"10ABC" + GS + b"21X", b"10ABC~1D21X"),
        (b"|~" + GS, b"~7C~7E~1D"),
        (b"~1D", b"~7E1D"),
        (b"caf\xc3\xa9 \t", b"caf~C3~A9 ~09"),
    ],
)
def test_escape(raw: bytes, wire: bytes) -> None:
    assert escape(raw) == wire
    assert unescape(wire) == raw


def test_cset82_is_never_escaped() -> None:
    cset82 = b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
    assert escape(cset82) is cset82


@given(st.binary(max_size=300))
def test_escape_round_trip(raw: bytes) -> None:
    wire = escape(raw)
    assert unescape(wire) == raw
    assert not wire.translate(None, bytes(range(0x20, 0x7F)))
    assert b"|" not in wire


@pytest.mark.parametrize(
    ("seq", "last", "after"),
    [(1, 0, True), (5, 4, True), (4, 4, False), (3, 4, False), (1, MAX_SEQ, True),
     (2, MAX_SEQ, True), (MAX_SEQ, 1, False), (1 << 30, 1, True), (MAX_SEQ, 0, False)],
)  # fmt: skip
def test_is_after(seq: int, last: int, after: bool) -> None:
    assert is_after(seq, last) is after


def test_next_seq_wraps_past_zero() -> None:
    assert [next_seq(1), next_seq(MAX_SEQ - 1), next_seq(MAX_SEQ)] == [2, MAX_SEQ, 1]


# Round trips and split streams ---------------------------------------------------------------

_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
_seq = st.integers(1, MAX_SEQ)
_host_frames = st.one_of(
    st.from_regex(r"[A-Za-z0-9_.\-]{1,32}", fullmatch=True).map(SelectJob),
    st.lists(st.from_regex(r"[A-Za-z0-9_]{1,16}", fullmatch=True), min_size=1, max_size=8,
             unique=True).map(lambda names: DefineHeader(tuple(names))),
    st.builds(PushRecord, _seq,
              st.lists(st.binary(max_size=60), min_size=1, max_size=8).map(tuple)),
    st.sampled_from([QueryFree(), QueryLastPrinted(), ClearBuffer(), QueryStatus()]),
)  # fmt: skip
_device_frames = st.one_of(
    st.builds(Ack, _text),
    st.builds(Err, st.sampled_from(ErrorCode), _text),
    st.tuples(_seq, _seq).map(lambda pair: PrintComplete(min(pair), max(pair))),
    st.builds(Skipped, _seq, _text),
    st.builds(ConditionReport, st.sampled_from(Change), st.sampled_from(Condition), _text),
)


@given(_host_frames)
def test_host_frame_round_trip(frame: HostFrame) -> None:
    assert CommandDecoder().feed(frame.encode()) == [frame]


@given(_device_frames)
def test_device_frame_round_trip(frame: DeviceFrame) -> None:
    assert ReplyDecoder().feed(frame.encode()) == [frame]


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(st.lists(_host_frames, max_size=20), st.lists(st.integers(0, 4000), max_size=12))
def test_host_stream_split_anywhere(frames: list[HostFrame], cuts: list[int]) -> None:
    decoder = CommandDecoder()
    out: list[HostFrame] = []
    for piece in _split(b"".join(f.encode() for f in frames), cuts):
        decoder.feed(piece, out)
    assert out == frames
    assert decoder.pending == 0


@given(st.lists(_device_frames, max_size=30), st.lists(st.integers(0, 1500), max_size=12))
def test_device_stream_split_anywhere(frames: list[DeviceFrame], cuts: list[int]) -> None:
    decoder = ReplyDecoder()
    out: list[DeviceFrame] = []
    for piece in _split(b"".join(f.encode() for f in frames), cuts):
        out += decoder.feed(piece)
    assert out == frames


def test_incomplete_line_waits_for_its_cr() -> None:
    decoder = ReplyDecoder()
    assert decoder.feed(b"#PRN 12") == []
    assert decoder.pending == 7
    assert decoder.feed(b"3-130\rAC") == [PrintComplete(123, 130)]
    decoder.reset()
    with pytest.raises(BadLine, match="Invalid coder line b'K'"):
        decoder.feed(b"K\r")  # the "AC" was forgotten
    assert decoder.pending == 0


# Junk ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code", "expected"),
    [
        (b"HELLO", ErrorCode.UNKNOWN_COMMAND, DEVICE_EXPECTED),
        (b"ack", ErrorCode.UNKNOWN_COMMAND, DEVICE_EXPECTED),
        (b"#OK", ErrorCode.UNKNOWN_COMMAND, DEVICE_EXPECTED),
        (b"ACK\x00", ErrorCode.BAD_ARGUMENT, "printable ASCII (0x20 to 0x7E) ending in CR"),
        (b"#PRN\xe2\x80\x8b1", ErrorCode.BAD_ARGUMENT,
         "printable ASCII (0x20 to 0x7E) ending in CR"),
        (b"#PRN", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRN 0", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRN 5-3", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRN 4294967296", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRN +5", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRN 1_0", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"#PRNX 1", ErrorCode.BAD_ARGUMENT,
         f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"),
        (b"ERR 99 what", ErrorCode.BAD_ARGUMENT, "'ERR <code> <text>' with a known error code"),
        (b"ERR x", ErrorCode.BAD_ARGUMENT, "'ERR <code> <text>' with a known error code"),
        (b"#FLT 99 melted", ErrorCode.BAD_ARGUMENT,
         "'#FLT <condition> <text>' with a known condition code"),
        (b"#WRN", ErrorCode.BAD_ARGUMENT, "'#WRN <condition> <text>' with a known condition code"),
        (b"#SKP x", ErrorCode.BAD_ARGUMENT, f"'#SKP <seq> <reason>' with seq 1 to {MAX_SEQ}"),
    ],
)  # fmt: skip
def test_device_junk_is_a_clear_protocol_error(line: bytes, code: ErrorCode, expected: str) -> None:
    with pytest.raises(BadLine) as caught:
        ReplyDecoder().feed(line + b"\r")
    assert str(caught.value) == f"Invalid coder line {line!r}: expected {expected}. {HINT}"
    assert isinstance(caught.value, ProtocolError)
    assert (caught.value.line, caught.value.code) == (line, code)


@pytest.mark.parametrize(
    ("line", "code", "expected"),
    [
        (b"PRINT 1", ErrorCode.UNKNOWN_COMMAND, HOST_EXPECTED),
        (b"QFR 1", ErrorCode.UNKNOWN_COMMAND, HOST_EXPECTED),
        (b"PSH 1", ErrorCode.BAD_ARGUMENT, "'PSH <seq>|<value>' with 1 to 8 values"),
        (b"PSH 1|a|b|c|d|e|f|g|h|i", ErrorCode.BAD_ARGUMENT,
         "'PSH <seq>|<value>' with 1 to 8 values"),
        (b"PSH 0|A", ErrorCode.BAD_ARGUMENT, f"'PSH <seq>|<value>...' with seq 1 to {MAX_SEQ}"),
        (b"PSH x|A", ErrorCode.BAD_ARGUMENT, f"'PSH <seq>|<value>...' with seq 1 to {MAX_SEQ}"),
        (b"PSH 1|A~1", ErrorCode.BAD_ARGUMENT,
         "'~' followed by two upper-case hex digits in a value"),
        (b"PSH 1|A~1d", ErrorCode.BAD_ARGUMENT,
         "'~' followed by two upper-case hex digits in a value"),
        (b"SEL", ErrorCode.UNKNOWN_COMMAND, HOST_EXPECTED),
        (b"SEL two words", ErrorCode.BAD_ARGUMENT,
         "'SEL <job>' with 1 to 32 letters, digits, '_', '.' or '-'"),
        (b"HDR A|A", ErrorCode.BAD_ARGUMENT, "'HDR <name>|<name>...' with 1 to 8 distinct names"),
        (b"HDR ", ErrorCode.BAD_ARGUMENT, "'HDR <name>|<name>...' with 1 to 8 distinct names"),
    ],
)  # fmt: skip
def test_host_junk_is_a_clear_protocol_error(line: bytes, code: ErrorCode, expected: str) -> None:
    with pytest.raises(BadLine) as caught:
        CommandDecoder().feed(line + b"\r")
    assert str(caught.value) == f"Invalid coder line {line!r}: expected {expected}. {HINT}"
    assert caught.value.code is code


def test_long_junk_is_cut_short_in_the_message() -> None:
    line = b"X" * 500
    with pytest.raises(BadLine) as caught:
        ReplyDecoder().feed(line + b"\r")
    assert str(caught.value).startswith(
        "Invalid coder line b'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX…"
    )
    assert "(503 chars): expected" in str(caught.value)


def test_a_line_without_cr_cannot_grow_forever() -> None:
    decoder = CommandDecoder()
    assert decoder.feed(b"PSH 1|" + b"A" * (MAX_LINE - 6)) == []
    with pytest.raises(BadLine, match=f"expected a CR within {MAX_LINE} bytes"):
        decoder.feed(b"A")
    assert decoder.pending == 0
    assert decoder.feed(b"QFR\r") == [QueryFree()]


def test_decoding_goes_on_after_a_bad_line() -> None:
    decoder = ReplyDecoder()
    out: list[DeviceFrame] = []
    with pytest.raises(BadLine):
        decoder.feed(b"ACK\r#PRN 1\rGARBAGE\r#PRN 2\rERR 3 buffer full\r#SK", out)
    assert out == [Ack(), PrintComplete(1, 1)]
    assert decoder.feed(b"P 4\r") == [
        PrintComplete(2, 2),
        Err(ErrorCode.BUFFER_FULL, "buffer full"),
        Skipped(4),
    ]


@given(st.binary(max_size=200), st.sampled_from([CommandDecoder, ReplyDecoder]))
def test_junk_raises_only_protocol_errors(junk: bytes, kind: type[CommandDecoder]) -> None:
    decoder = kind()
    data = junk + b"\r"
    for _ in range(len(data) + 1):  # each round consumes a line at least
        try:
            decoder.feed(data)
            break
        except ProtocolError:
            data = b""
    assert decoder.pending == 0


# Query answers and value checks -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "report"),
    [
        ("READY", StatusReport(DeviceState.READY)),
        ("WARNING 10 ink low", StatusReport(DeviceState.WARNING, Condition.INK_LOW, "ink low")),
        (
            "FAULT 22 cover open",
            StatusReport(DeviceState.FAULT, Condition.COVER_OPEN, "cover open"),
        ),
        ("PAUSED 21", StatusReport(DeviceState.PAUSED, Condition.HEAD_FAULT)),
        ("FAULT", StatusReport(DeviceState.FAULT)),
    ],
)
def test_status_report(data: str, report: StatusReport) -> None:
    assert StatusReport.from_ack(Ack(data)) == report
    assert report.to_ack() == Ack(data)


@pytest.mark.parametrize("data", ["", "ready", "FAULT 99 x", "FAULT x1 y", "DISCONNECTED"])
def test_status_report_junk(data: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        StatusReport.from_ack(Ack(data))
    assert str(caught.value) == (
        f"Invalid status reply {data!r}: expected 'READY', 'WARNING <condition> <text>', "
        f"'PAUSED ...' or 'FAULT <condition> <text>' with a known condition. {HINT}"
    )


@pytest.mark.parametrize(("data", "count"), [("0", 0), ("250", 250), ("4294967295", MAX_SEQ)])
def test_parse_count(data: str, count: int) -> None:
    assert parse_count(Ack(data)) == count


@pytest.mark.parametrize("data", ["", "-1", "12a", "١٢", "12345678901", "1 2"])
def test_parse_count_junk(data: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_count(Ack(data))
    assert str(caught.value) == (
        f"Invalid count reply {data!r}: expected 'ACK <count>' with 1 to 10 digits. {HINT}"
    )


@pytest.mark.parametrize("name", ["", "A" * 33, "two words", "JOB|1", "Ünicode", None, 7])
def test_select_job_parse(name: object) -> None:
    with pytest.raises(InvalidFormat, match=r"Invalid coder job name .*: expected 1 to 32 ASCII"):
        SelectJob.parse(name)
    assert SelectJob.parse("LINE_1.dm-12") == SelectJob("LINE_1.dm-12")


@pytest.mark.parametrize(
    "fields", [(), ("A", "A"), ("A|B",), ("",), tuple("ABCDEFGHI"), "GS1", [1], ("X" * 17,)]
)
def test_define_header_parse(fields: object) -> None:
    with pytest.raises(InvalidFormat) as caught:
        DefineHeader.parse(fields)
    assert str(caught.value).endswith(
        "expected 1 to 8 distinct field names of 1 to 16 ASCII letters, digits or '_'. "
        "Hint: e.g. ('GS1', 'HRI')."
    )
    assert DefineHeader.parse(["GS1", "HRI"]) == DefineHeader(("GS1", "HRI"))

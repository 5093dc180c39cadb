"""Read strings, shared by both codecs: the grade after the last separator (GS1 data may hold
a comma), the identifier, the no-read string, refusals, and round trips through both framings
in arbitrary chunks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidCombination, InvalidFormat, ProtocolError
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera import cognex, keyence
from jejak.line_adapters.camera._lines import MAX_LINE, encode_read, parse_read, split
from jejak.line_adapters.camera.result import Grade, Malformed, ReadString, ResultFormat

GS = b"\x1d"
CODE = b"010899123456789110LOT,1" + GS + b"21SN,42"  # CSET 82 has ',': in a batch and a serial
DM = Symbology.GS1_DATAMATRIX
GRADED = ResultFormat.parse(no_read="NoRead", grade_separator=",")
PLAIN = ResultFormat.parse(no_read="NoRead")

Encode = Callable[[ReadString, ResultFormat], bytes]
Decode = Callable[[bytes | bytearray, ResultFormat], tuple[int, list[object]]]
CODECS: list[tuple[Encode, Decode]] = [
    (cognex.encode_result, cognex.decode),  # type: ignore[list-item]
    (keyence.encode_result, keyence.decode),  # type: ignore[list-item]
]


@pytest.mark.parametrize(
    ("line", "fmt", "read"),
    [
        (b"]d2" + CODE, PLAIN, ReadString(CODE, DM, None)),
        (b"]d2" + CODE + b",B", GRADED, ReadString(CODE, DM, Grade.parse("B"))),
        (b"]d2" + CODE + b",2.5", GRADED, ReadString(CODE, DM, Grade.parse("2.5"))),
        (b"]d2" + CODE + b",C,B", GRADED, ReadString(CODE + b",C", DM, Grade.parse("B"))),
        (b"]Q3" + CODE, PLAIN, ReadString(CODE, Symbology.GS1_QR, None)),
        (b"]d1" + CODE, PLAIN, ReadString(CODE, Symbology.DATAMATRIX, None)),
        (b"]Q1BPOM-ID", PLAIN, ReadString(b"BPOM-ID", Symbology.QR, None)),
        (CODE, PLAIN, ReadString(CODE, None, None)),  # no identifier sent
        (b"]e0123", PLAIN, ReadString(b"]e0123", None, None)),  # an identifier Jejak has not
        (b"]d2", PLAIN, ReadString(b"", DM, None)),
        (b"NoRead", PLAIN, ReadString(None, None, None)),
        (b"NoRead", GRADED, ReadString(None, None, None)),
        (b"NoRead,F", GRADED, ReadString(None, None, Grade.parse("F"))),
        (b"NoRead,C", PLAIN, ReadString(b"NoRead,C", None, None)),  # grades off: all data
        (b"]d2" + CODE + b",b", GRADED, ReadString(CODE, DM, Grade.parse("B"))),
    ],
)
def test_parse_read(line: bytes, fmt: ResultFormat, read: ReadString) -> None:
    assert parse_read(line, fmt) == read


NO_GRADE = (
    "expected the data, b',' and an ISO/IEC 15415 grade. Hint: turn grade output on in the "
    "reader, or off in Jejak."
)
BAD_GRADE = (
    "is not an ISO/IEC 15415 grade, expected A, B, C, D, F or 0.0 to 4.0 after the last "
    "separator. Hint: check the reader's grade output format and separator."
)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"]d2" + CODE[:16], f"Invalid read string b']d20108991234567891': {NO_GRADE}"),
        (b"]d2" + CODE, f"Invalid read string {b']d2' + CODE!r}: its grade b'42' {BAD_GRADE}"),
        (b"]d2X,E", f"Invalid read string b']d2X,E': its grade b'E' {BAD_GRADE}"),
        (b"]d2X,", f"Invalid read string b']d2X,': its grade b'' {BAD_GRADE}"),
        (b"NoRead,", f"Invalid read string b'NoRead,': its grade b'' {BAD_GRADE}"),
    ],
)
def test_parse_read_refusals(line: bytes, reason: str) -> None:
    assert parse_read(line, GRADED) == Malformed(line, reason, read=True)


LINE_END = (
    "a CR or LF would end the line early; expected data without line ends. Hint: GS1 element "
    "strings never hold them."
)
AMBIGUOUS = (
    "without a symbology identifier: it would read back as the no-read string, a command "
    "response or an identifier. Hint: configure the reader to send the symbology identifier."
)


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (ReadString(b"AB\rC", DM, None), f"Invalid read data b'AB\\rC': {LINE_END}"),
        (ReadString(b"AB\n", DM, None), f"Invalid read data b'AB\\n': {LINE_END}"),
        *[
            (ReadString(data, None, None), f"Invalid read data {data!r} {AMBIGUOUS}")
            for data in (b"NoRead", b"||[0]", b"OK,LON", b"ER,LON,20", b"]d2X", b"")
        ],
    ],
)
def test_encode_refusals(read: ReadString, message: str) -> None:
    with pytest.raises(InvalidFormat) as error:
        encode_read(read, PLAIN)
    assert str(error.value) == message


def test_a_grade_is_needed_when_grade_output_is_on() -> None:
    with pytest.raises(InvalidCombination) as error:
        encode_read(ReadString(b"X", DM, None), GRADED)
    assert str(error.value) == (
        "Invalid read string b']d2X' without a grade: grade output is on, expected a grade after "
        "every read. Hint: grade the read, or turn grade output off."
    )


def test_a_grade_is_dropped_when_grade_output_is_off() -> None:
    assert encode_read(ReadString(b"X", DM, Grade.parse("A")), PLAIN) == b"]d2X"


def test_split_refuses_an_endless_line() -> None:
    assert split(b"x" * MAX_LINE, b"\r", "Keyence") == (0, [])
    with pytest.raises(ProtocolError) as error:
        split(b"x" * (MAX_LINE + 1), b"\r", "Keyence")
    assert str(error.value) == (
        f"Invalid Keyence output {b'x' * 40!r}: no line end within {MAX_LINE} bytes, expected "
        "lines ending in b'\\r'. Hint: check the reader's output delimiter setting."
    )


# Round trips: encode reads, split the stream anywhere, decode piece by piece -----------------

line_safe = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
gs1_like = st.lists(st.sampled_from([*b"0123456789ABCXYZabc,;-/%()", GS[0]]), max_size=40).map(
    bytes
)
grades = st.integers(0, 40).map(lambda t: Grade.parse(t / 10)) | st.sampled_from("ABCDF").map(
    Grade.parse
)
separators = st.sampled_from([",", ";", " ", ",;", "|", "//", "<>"])
no_reads = st.sampled_from(["NoRead", "ERROR", "NOREAD", "No Read, sorry", "]?"])


@st.composite
def reads_and_format(draw: st.DrawFn) -> tuple[list[ReadString], ResultFormat]:
    graded = draw(st.booleans())
    fmt = ResultFormat.parse(
        no_read=draw(no_reads), grade_separator=draw(separators) if graded else None
    )
    reads = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 5)) == 0:
            reads.append(ReadString(None, None, None))
            continue
        data = draw(gs1_like | line_safe)
        symbology = draw(st.none() | st.sampled_from(Symbology))
        reads.append(ReadString(data, symbology, draw(grades) if graded else None))
    return reads, fmt


def decode_in_pieces(
    decode: Decode, stream: bytes, cuts: list[int], fmt: ResultFormat
) -> list[object]:
    buffer, frames = bytearray(), []
    points = [*sorted({cut % (len(stream) + 1) for cut in cuts}), len(stream)]
    start = 0
    for point in points:
        buffer += stream[start:point]
        start = point
        used, decoded = decode(buffer, fmt)
        del buffer[:used]
        frames += decoded
    assert not buffer
    return frames


@pytest.mark.parametrize(("encode", "decode"), CODECS, ids=["cognex", "keyence"])
@given(case=reads_and_format(), cuts=st.lists(st.integers(0, 1 << 16), max_size=30))
def test_round_trip_in_any_chunks(
    encode: Encode, decode: Decode, case: tuple[list[ReadString], ResultFormat], cuts: list[int]
) -> None:
    reads, fmt = case
    try:
        stream = b"".join(encode(read, fmt) for read in reads)
    except InvalidFormat:  # data without identifier that would read back otherwise: refused
        assume(False)
        return
    assert decode_in_pieces(decode, stream, cuts, fmt) == reads


def test_data_that_its_grade_would_make_a_command_response_is_refused() -> None:
    """'|' with the grade separator '|' is '||0.0' on the wire: a DMCC response to the
    decoder (found by the round-trip property)."""
    fmt = ResultFormat.parse(no_read="NoRead", grade_separator="|")
    with pytest.raises(InvalidFormat) as error:
        encode_read(ReadString(b"|", None, Grade.parse("0.0")), fmt)
    assert str(error.value) == (
        "Invalid read data b'|' without a symbology identifier: with its grade it would read "
        "back as a command response (b'||0.0'). Hint: configure the reader to send the "
        "symbology identifier."
    )
    assert encode_read(ReadString(b"|", DM, Grade.parse("0.0")), fmt) == b"]d2||0.0"

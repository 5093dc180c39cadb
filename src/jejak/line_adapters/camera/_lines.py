"""Plumbing of the camera codecs: lines out of a byte buffer, read strings in and out of a line.

`split` cuts every complete line out of a buffer at once (``bytes.split``, no loop over bytes);
`parse_read` and `encode_read` turn one line into a `ReadString` and back, as `result` describes
(no-read string, symbology identifier, raw data, optional separator and grade). Both codecs
(`cognex`, `keyence`) use them with their own terminator.
"""

from __future__ import annotations

from jejak.engine.errors import InvalidCombination, InvalidFormat, ProtocolError
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe
from jejak.line_adapters.camera.result import Grade, Malformed, ReadString, ResultFormat

__all__ = ["MAX_LINE", "NO_READ", "encode_read", "parse_read", "split"]

MAX_LINE = 8192  # bytes: no code Jejak prints comes near; a longer unterminated line is junk
NO_READ = ReadString(None, None, None)

_SYMBOLOGIES = {s.value.encode("ascii"): s for s in Symbology}
_GRADES = {str(g).encode("ascii"): g for g in (Grade.parse(t / 10) for t in range(41))}
_GRADES.update({letter.encode("ascii"): Grade.parse(letter) for letter in "ABCDF"})
_REPLY_LIKE = (b"||", b"OK,", b"ER,")


def split(buffer: bytes | bytearray, terminator: bytes, camera: str) -> tuple[int, list[bytes]]:
    """The complete lines in `buffer` (without their terminators), and the bytes they used.

    >>> split(b"ab\\rcd\\rxy", b"\\r", "Keyence")
    (6, [b'ab', b'cd'])
    """
    end = buffer.rfind(terminator)
    if end < 0:
        if len(buffer) > MAX_LINE:
            raise ProtocolError(
                f"Invalid {camera} output {describe(bytes(buffer[:40]))}: no line end within "
                f"{MAX_LINE} bytes, expected lines ending in {terminator!r}. Hint: check the "
                "reader's output delimiter setting."
            )
        return 0, []
    return end + len(terminator), bytes(buffer[:end]).split(terminator)


def parse_read(line: bytes, fmt: ResultFormat) -> ReadString | Malformed:
    """The read string a line holds, as `fmt` says the reader writes it.

    >>> fmt = ResultFormat.parse(no_read="NoRead", grade_separator=",")
    >>> parse_read(b"]d2010950600013435221A,B,C", fmt)
    ReadString(data=b'010950600013435221A,B', symbology=<Symbology.GS1_DATAMATRIX: ']d2'>, \
grade=Grade(value=2.0, letter_form=True))
    """
    if line == fmt.no_read:
        return NO_READ
    grade = None
    separator = fmt.grade_separator
    if separator is not None:
        data, found, text = line.rpartition(separator)
        grade = _GRADES.get(text) if found else None
        if grade is None:
            if not found:
                return Malformed(line, _no_grade(line, separator), read=True)
            try:
                grade = Grade.parse(text.decode("ascii", "replace"))
            except InvalidFormat:
                return Malformed(line, _bad_grade(line, text), read=True)
        if data == fmt.no_read:
            return ReadString(None, None, grade)
        line = data
    if line[:1] == b"]":
        symbology = _SYMBOLOGIES.get(line[:3])
        if symbology is not None:
            return ReadString(line[3:], symbology, grade)
    return ReadString(line, None, grade)


def _bad_grade(line: bytes, text: bytes) -> str:
    return (
        f"Invalid read string {describe(line)}: its grade {describe(text)} is not an ISO/IEC "
        "15415 grade, expected A, B, C, D, F or 0.0 to 4.0 after the last separator. Hint: "
        "check the reader's grade output format and separator."
    )


def _no_grade(line: bytes, separator: bytes) -> str:
    return (
        f"Invalid read string {describe(line)}: expected the data, {separator!r} and an "
        "ISO/IEC 15415 grade. Hint: turn grade output on in the reader, or off in Jejak."
    )


def encode_read(read: ReadString, fmt: ResultFormat) -> bytes:
    """The line (without terminator) a reader configured as `fmt` writes for `read`.

    Refused: data holding a CR or LF (the line ends), and data without an identifier that
    would read back as something else (nothing at all, the no-read string, a command response,
    a symbology identifier). A grade is needed when grade output is on.

    >>> encode_read(ReadString(b"0108991234567891", Symbology.GS1_QR, Grade.parse("B")),
    ...             ResultFormat.parse(no_read="ERROR", grade_separator=";"))
    b']Q30108991234567891;B'
    """
    data = read.data
    if data is None:
        return fmt.no_read
    if b"\r" in data or b"\n" in data:
        raise InvalidFormat(
            f"Invalid read data {describe(data)}: a CR or LF would end the line early; expected "
            "data without line ends. Hint: GS1 element strings never hold them."
        )
    if read.symbology is None:
        if (
            not data
            or data == fmt.no_read
            or data.startswith(_REPLY_LIKE)
            or data[:3] in _SYMBOLOGIES
        ):
            raise InvalidFormat(
                f"Invalid read data {describe(data)} without a symbology identifier: it would "
                "read back as the no-read string, a command response or an identifier. Hint: "
                "configure the reader to send the symbology identifier."
            )
        line = data
    else:
        line = read.symbology.value.encode("ascii") + data
    if fmt.grade_separator is None:
        return line
    if read.grade is None:
        raise InvalidCombination(
            f"Invalid read string {describe(line)} without a grade: grade output is on, "
            "expected a grade after every read. Hint: grade the read, or turn grade output off."
        )
    graded = line + fmt.grade_separator + str(read.grade).encode("ascii")
    if read.symbology is None and graded.startswith(_REPLY_LIKE):  # e.g. "|" + "|" + "0.0"
        raise InvalidFormat(
            f"Invalid read data {describe(data)} without a symbology identifier: with its grade "
            f"it would read back as a command response ({describe(graded)}). Hint: configure "
            "the reader to send the symbology identifier."
        )
    return graded

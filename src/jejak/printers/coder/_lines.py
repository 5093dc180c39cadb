"""Reading the coder dialect: bytes in, frames out, however the stream is split.

Plumbing for `coder`, which re-exports `Decoder`, `CommandDecoder` and `ReplyDecoder`: one parser
per verb, and the line splitting they share. A line that breaks the dialect raises `BadLine`
with the `ErrorCode` a coder answers to it (printers/README.md, "Coder dialect").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from jejak.engine.text import describe
from jejak.printers.coder._frames import (
    FIELD_NAME,
    HINT,
    JOB_NAME,
    MAX_FIELDS,
    MAX_LINE,
    MAX_SEQ,
    PRINTABLE,
    Ack,
    BadLine,
    Change,
    ClearBuffer,
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
    SelectJob,
    Skipped,
    unescape,
)

__all__ = ["CommandDecoder", "Decoder", "ReplyDecoder"]

_LINE_BYTES = PRINTABLE + b"\r"

F = TypeVar("F", HostFrame, DeviceFrame)
_Parser = Callable[[bytes], F]
_ACK = Ack()


def _bad(line: bytes, expected: str, code: ErrorCode = ErrorCode.BAD_ARGUMENT) -> BadLine:
    return BadLine(f"Invalid coder line {describe(line)}: expected {expected}. {HINT}", line, code)


def _number(text: bytes, line: bytes, expected: str, low: int = 1, high: int = MAX_SEQ) -> int:
    if 0 < len(text) <= 10 and text.isdigit():
        value = int(text)
        if low <= value <= high:
            return value
    raise _bad(line, expected)


def _text(raw: bytes) -> str:
    return raw.decode("ascii")  # the line's bytes were checked to be printable ASCII


_PSH_FIELDS = f"'PSH <seq>|<value>' with 1 to {MAX_FIELDS} values"
_PSH_SEQ = f"'PSH <seq>|<value>...' with seq 1 to {MAX_SEQ}"
_PSH_ESCAPE = "'~' followed by two upper-case hex digits in a value"
_PRN = f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"
_SKP = f"'#SKP <seq> <reason>' with seq 1 to {MAX_SEQ}"
_ERR = "'ERR <code> <text>' with a known error code"


def _parse_push(line: bytes) -> PushRecord:  # the simulator's hot path: kept flat
    parts = line[4:].split(b"|")
    count = len(parts)
    if count < 2 or count > MAX_FIELDS + 1 or len(line) > MAX_LINE:
        raise _bad(line, _PSH_FIELDS)
    number = parts[0]
    if not (number.isdigit() and len(number) <= 10 and 0 < int(number) <= MAX_SEQ):
        raise _bad(line, _PSH_SEQ)
    try:
        if count == 2:
            value = parts[1]
            return PushRecord(int(number), (unescape(value) if b"~" in value else value,))
        return PushRecord(int(number), tuple([unescape(p) for p in parts[1:]]))
    except ValueError:
        raise _bad(line, _PSH_ESCAPE) from None


def _parse_select(line: bytes) -> SelectJob:
    if not JOB_NAME.fullmatch(line, 4):
        raise _bad(line, "'SEL <job>' with 1 to 32 letters, digits, '_', '.' or '-'")
    return SelectJob(_text(line[4:]))


def _parse_header(line: bytes) -> DefineHeader:
    names = line[4:].split(b"|")
    if not (
        len(names) <= MAX_FIELDS
        and all(FIELD_NAME.fullmatch(n) for n in names)
        and len(set(names)) == len(names)
    ):
        raise _bad(line, f"'HDR <name>|<name>...' with 1 to {MAX_FIELDS} distinct names")
    return DefineHeader(tuple(_text(n) for n in names))


def _bare(frame: F) -> Callable[[bytes], F]:
    return lambda _line: frame  # the key is the whole line: arguments make an unknown command


def _parse_ack(line: bytes) -> Ack:
    return _ACK if len(line) == 3 else Ack(_text(line[4:]))


def _parse_prn(line: bytes) -> PrintComplete:
    first, dash, last = line[5:].partition(b"-")
    if line[4:5] != b" ":
        raise _bad(line, _PRN)
    low = _number(first, line, _PRN)
    high = _number(last, line, _PRN, low) if dash else low
    return PrintComplete(low, high)


def _split_coded(line: bytes, start: int, expected: str) -> tuple[bytes, str]:
    number, _, text = line[start:].partition(b" ")
    if not number or line[start - 1 : start] != b" ":
        raise _bad(line, expected)
    return number, _text(text)


def _parse_err(line: bytes) -> Err:
    number, text = _split_coded(line, 4, _ERR)
    try:
        return Err(ErrorCode(_number(number, line, _ERR, 1, 99)), text)
    except ValueError:
        raise _bad(line, _ERR) from None


def _parse_skip(line: bytes) -> Skipped:
    number, text = _split_coded(line, 5, _SKP)
    return Skipped(_number(number, line, _SKP), text)


def _condition(change: Change) -> Callable[[bytes], DeviceFrame]:
    expected = f"'{change.value} <condition> <text>' with a known condition code"

    def parse(line: bytes) -> DeviceFrame:
        number, text = _split_coded(line, len(change.value) + 1, expected)
        try:
            return ConditionReport(change, Condition(_number(number, line, expected, 1, 99)), text)
        except ValueError:
            raise _bad(line, expected) from None

    return parse


class Decoder(Generic[F]):
    """Turns a byte stream into frames, however it is split; keeps the incomplete last line."""

    __slots__ = ("_expected", "_parsers", "_rest")

    def __init__(self, parsers: dict[bytes, _Parser[F]], expected: str) -> None:
        self._parsers: dict[bytes, _Parser[F]] = parsers
        self._expected = expected
        self._rest = b""

    @property
    def pending(self) -> int:
        """Bytes of an incomplete line held until its CR arrives."""
        return len(self._rest)

    def reset(self) -> None:
        """Forget any incomplete line (a new connection starts clean)."""
        self._rest = b""

    def feed(self, data: bytes, into: list[F] | None = None) -> list[F]:
        """Append the frames of every complete line to `into` (a new list if None) and return it.

        A bad line raises `BadLine`; the frames before it are already in `into`, the bad line
        is dropped, and the lines after it wait for the next call (``feed(b"")`` goes on).
        """
        out: list[F] = [] if into is None else into
        if self._rest:
            data = self._rest + data
        end = data.rfind(b"\r")
        if end < 0:
            if len(data) > MAX_LINE:
                self._rest = b""
                raise _bad(data[:64], f"a CR within {MAX_LINE} bytes", ErrorCode.BAD_ARGUMENT)
            self._rest = data
            return out
        self._rest = data[end + 1 :]
        lines: list[bytes] = data[:end].split(b"\r")
        checked = not data.translate(None, _LINE_BYTES)
        parsers = self._parsers
        done: int = 0
        try:
            for line in lines:
                if not checked and line.translate(None, PRINTABLE):
                    raise _bad(line, "printable ASCII (0x20 to 0x7E) ending in CR")
                parser = parsers.get(line[:4])
                if parser is None:
                    raise _bad(line, self._expected, ErrorCode.UNKNOWN_COMMAND)
                out.append(parser(line))
                done += 1
        except BadLine:
            if done + 1 < len(lines):
                self._rest = b"\r".join([*lines[done + 1 :], self._rest])
            raise
        return out


_COMMANDS: dict[bytes, _Parser[HostFrame]] = {
    b"PSH ": _parse_push, b"SEL ": _parse_select, b"HDR ": _parse_header,
    b"QFR": _bare(QueryFree()), b"QLP": _bare(QueryLastPrinted()),
    b"CLR": _bare(ClearBuffer()), b"QST": _bare(QueryStatus()),
}  # fmt: skip
_REPLIES: dict[bytes, _Parser[DeviceFrame]] = {
    b"ACK": _parse_ack, b"ACK ": _parse_ack, b"#PRN": _parse_prn, b"ERR ": _parse_err,
    b"#SKP": _parse_skip, b"#FLT": _condition(Change.FAULT),
    b"#WRN": _condition(Change.WARNING), b"#OK ": _condition(Change.CLEARED),
}  # fmt: skip


class CommandDecoder(Decoder[HostFrame]):
    """Decodes what a host sends (the simulator's side)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_COMMANDS, "a command: SEL, HDR, PSH, QFR, QLP, CLR or QST")


class ReplyDecoder(Decoder[DeviceFrame]):
    """Decodes what a coder sends: replies and notifications (the client's side)."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(
            _REPLIES, "a reply (ACK, ERR) or a notification (#PRN, #SKP, #FLT, #WRN, #OK)"
        )

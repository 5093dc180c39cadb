"""The coder dialect: CR-terminated ASCII lines between a host and a serialization coder.

This module is the protocol layer only: frames in, bytes out, and bytes in, frames out. It does
no I/O, so the client (`coder_client`) and the simulator (`coder_sim`) share it. The dialect is
documented line by line in ``README_coder.md``.

A record field travels escaped: ``~`` followed by two upper-case hex digits stands for one byte.
The GS (``\\x1d``) of a raw GS1 element string, the field separator ``|``, ``~`` itself and any
byte outside printable ASCII are escaped; GS1 CSET 82 characters never are.

>>> record = PushRecord(7, (b"0108991234567891\\x1d21ABC",))
>>> record.encode()
b'PSH 7|0108991234567891~1D21ABC\\r'
>>> CommandDecoder().feed(record.encode() + b"QFR\\rPSH 8|X")
[PushRecord(seq=7, fields=(b'0108991234567891\\x1d21ABC',)), QueryFree()]
>>> ReplyDecoder().feed(b"ACK\\r#PRN 7-9\\r")
[Ack(data=''), PrintComplete(first=7, last=9)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import ClassVar, Generic, TypeVar

from jejak.engine._text import describe
from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.printers.device import DeviceState

__all__ = [
    "MAX_LINE", "MAX_SEQ", "Ack", "BadLine", "Change", "ClearBuffer", "CommandDecoder",
    "Condition", "ConditionReport", "Decoder", "DefineHeader", "DeviceFrame", "Err", "ErrorCode",
    "HostFrame", "PrintComplete", "PushRecord", "QueryFree", "QueryLastPrinted", "QueryStatus",
    "ReplyDecoder", "SelectJob", "Skipped", "StatusReport", "encode_push", "escape", "is_after",
    "next_seq", "parse_count", "unescape",
]  # fmt: skip

MAX_SEQ = 0xFFFF_FFFF
"""Record sequence numbers run from 1 to this, then wrap to 1; 0 means "none"."""

MAX_LINE = 16384
"""No line of the dialect is longer (without its CR); a longer one is junk."""

_MAX_FIELDS = 8
_JOB_NAME = re.compile(rb"[A-Za-z0-9_.\-]{1,32}")
_FIELD_NAME = re.compile(rb"[A-Za-z0-9_]{1,16}")
_PRINTABLE = bytes(range(0x20, 0x7F))
_LINE_BYTES = _PRINTABLE + b"\r"
_PLAIN = _PRINTABLE.replace(b"|", b"").replace(b"~", b"")  # field bytes sent as they are
_COMMON = _PLAIN + b"|~\x1d"
_ESCAPES = tuple(bytes((b,)) if b in _PLAIN else b"~%02X" % b for b in range(256))
_UNHEX = {b"%02X" % b: bytes((b,)) for b in range(256)}
_HINT = "Hint: check that the peer speaks the Jejak coder dialect (README_coder.md)."


class ErrorCode(IntEnum):
    """Why a coder refused a command: the code of an ``ERR`` reply."""

    UNKNOWN_COMMAND = 1
    BAD_ARGUMENT = 2  # malformed arguments, or a record whose field count differs from the header
    BUFFER_FULL = 3  # a push beyond the free records: buffer overflow
    SEQUENCE = 4  # a record number not after the previous push: a duplicate or a replay
    NO_JOB = 5  # a header or a record before any job is selected
    UNKNOWN_JOB = 6
    NO_HEADER = 7  # a record before the record header is defined
    BUSY = 8  # job or header changed while records are still buffered


class Condition(IntEnum):
    """A device condition named by ``#FLT``, ``#WRN`` and ``#OK``: 1x warnings, 2x faults."""

    INK_LOW = 10
    MAKEUP_LOW = 11
    INK_OUT = 20
    HEAD_FAULT = 21
    COVER_OPEN = 22


class BadLine(ProtocolError):
    """A line that breaks the dialect; `code` is what a coder answers to it."""

    def __init__(self, message: str, line: bytes, code: ErrorCode) -> None:
        super().__init__(message)
        self.line, self.code = line, code


def is_after(seq: int, last: int) -> bool:
    """Tell whether record `seq` comes after record `last` (0 = none yet), across the wrap.

    >>> is_after(5, 4), is_after(4, 4), is_after(1, MAX_SEQ), is_after(3, 0)
    (True, False, True, True)
    """
    return 0 < (seq - last) % (MAX_SEQ + 1) < 1 << 31


def next_seq(seq: int) -> int:
    """The record number after `seq`: 1 after `MAX_SEQ` (0 is never used)."""
    return seq + 1 if seq < MAX_SEQ else 1


def escape(value: bytes) -> bytes:
    r"""A record field as sent: ``~XX`` for GS, ``|``, ``~`` and non-printable bytes.

    >>> escape(b"10ABC\x1d21X|~"), escape(b"(01)0950")
    (b'10ABC~1D21X~7C~7E', b'(01)0950')
    """
    special = value.translate(None, _PLAIN)
    if not special:
        return value
    if special.count(b"\x1d") == len(special):  # a raw GS1 element string
        return value.replace(b"\x1d", b"~1D")
    if not special.translate(None, _COMMON):
        return value.replace(b"~", b"~7E").replace(b"|", b"~7C").replace(b"\x1d", b"~1D")
    return b"".join([_ESCAPES[b] for b in value])


def unescape(value: bytes) -> bytes:
    """The bytes a field stands for; ValueError if a ``~`` lacks two upper-case hex digits.

    >>> unescape(b"10ABC~1D21X")
    b'10ABC\\x1d21X'
    """
    if b"~" not in value:
        return value
    value = value.replace(b"~1D", b"\x1d")  # every '~' starts an escape: this one is exact
    if b"~" not in value:
        return value
    pieces = value.split(b"~")
    out = [pieces[0]]
    for piece in pieces[1:]:
        byte = _UNHEX.get(piece[:2])
        if byte is None:
            raise ValueError(f"Invalid escape {piece[:2]!r} after '~'.")
        out += (byte, piece[2:])
    return b"".join(out)


def encode_push(seq: int, fields: Iterable[bytes]) -> bytes:
    """One ``PSH`` line, without building a `PushRecord` (the client's hot path)."""
    return b"PSH %d|%s\r" % (seq, b"|".join([escape(f) for f in fields]))


# Host to device ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelectJob:
    """``SEL <name>``: load the job (the print layout) that records fill in."""

    name: str

    @classmethod
    def parse(cls, name: object) -> SelectJob:
        if not isinstance(name, str) or not _JOB_NAME.fullmatch(name.encode("utf-8")):
            raise InvalidFormat(
                f"Invalid coder job name {describe(name)}: expected 1 to 32 ASCII letters, "
                "digits, '_', '.' or '-'. Hint: use the job name as stored on the coder."
            )
        return cls(name)

    def encode(self) -> bytes:
        return b"SEL %s\r" % self.name.encode("ascii")


@dataclass(frozen=True, slots=True)
class DefineHeader:
    """``HDR <field>|<field>...``: the variable fields, in the order every record gives them."""

    fields: tuple[str, ...]

    @classmethod
    def parse(cls, fields: object) -> DefineHeader:
        names = tuple(fields) if isinstance(fields, list | tuple) else ()
        if not (
            0 < len(names) <= _MAX_FIELDS
            and all(isinstance(n, str) and _FIELD_NAME.fullmatch(n.encode()) for n in names)
            and len(set(names)) == len(names)
        ):
            raise InvalidFormat(
                f"Invalid record header {describe(fields)}: expected 1 to {_MAX_FIELDS} distinct "
                "field names of 1 to 16 ASCII letters, digits or '_'. Hint: e.g. ('GS1', 'HRI')."
            )
        return cls(names)

    def encode(self) -> bytes:
        return b"HDR %s\r" % "|".join(self.fields).encode("ascii")


@dataclass(frozen=True, slots=True)
class PushRecord:
    """``PSH <seq>|<value>|<value>...``: append one record to the device buffer."""

    seq: int
    fields: tuple[bytes, ...]

    def encode(self) -> bytes:
        return encode_push(self.seq, self.fields)


@dataclass(frozen=True, slots=True)
class QueryFree:
    """``QFR``: how many more records the buffer takes (``ACK <count>``)."""

    def encode(self) -> bytes:
        return b"QFR\r"


@dataclass(frozen=True, slots=True)
class QueryLastPrinted:
    """``QLP``: the number of the last record printed (``ACK <seq>``, 0 if none)."""

    def encode(self) -> bytes:
        return b"QLP\r"


@dataclass(frozen=True, slots=True)
class ClearBuffer:
    """``CLR``: drop every buffered record unprinted (end of batch, or a fresh start)."""

    def encode(self) -> bytes:
        return b"CLR\r"


@dataclass(frozen=True, slots=True)
class QueryStatus:
    """``QST``: the device state (``ACK READY``, ``ACK FAULT 20 out of ink``, ...)."""

    def encode(self) -> bytes:
        return b"QST\r"


HostFrame = (
    SelectJob | DefineHeader | PushRecord | QueryFree | QueryLastPrinted | ClearBuffer | QueryStatus
)


# Device to host ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack:
    """``ACK`` or ``ACK <data>``: the command was carried out; queries carry their answer."""

    data: str = ""

    def encode(self) -> bytes:
        return b"ACK %s\r" % self.data.encode("ascii") if self.data else b"ACK\r"


@dataclass(frozen=True, slots=True)
class Err:
    """``ERR <code> <text>``: the command was refused and changed nothing."""

    code: ErrorCode
    text: str = ""

    def encode(self) -> bytes:
        return _coded(b"ERR", self.code, self.text)


@dataclass(frozen=True, slots=True)
class PrintComplete:
    """``#PRN <seq>`` or ``#PRN <first>-<last>``: these records were printed, in order."""

    first: int
    last: int

    def encode(self) -> bytes:
        if self.first == self.last:
            return b"#PRN %d\r" % self.first
        return b"#PRN %d-%d\r" % (self.first, self.last)


@dataclass(frozen=True, slots=True)
class Skipped:
    """``#SKP <seq> <reason>``: the record left the buffer and was not printed."""

    seq: int
    reason: str = ""

    def encode(self) -> bytes:
        return _coded(b"#SKP", self.seq, self.reason)


class Change(StrEnum):
    """What a condition notification says: a fault or a warning raised, or a condition over."""

    FAULT = "#FLT"  # printing stops; buffered records wait
    WARNING = "#WRN"  # printing goes on, but the device needs attention
    CLEARED = "#OK"  # printing resumes when no fault is left


@dataclass(frozen=True, slots=True)
class ConditionReport:
    """``#FLT``, ``#WRN`` or ``#OK``, then ``<condition> <text>``."""

    change: Change
    code: Condition
    text: str = ""

    def encode(self) -> bytes:
        return _coded(self.change.value.encode("ascii"), self.code, self.text)


DeviceFrame = Ack | Err | PrintComplete | Skipped | ConditionReport


def _coded(tag: bytes, number: int, text: str) -> bytes:
    if text:
        return b"%s %d %s\r" % (tag, number, text.encode("ascii"))
    return b"%s %d\r" % (tag, number)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """The answer to ``QST``: ``READY``, or a state with its most severe condition.

    >>> report = StatusReport.from_ack(Ack("FAULT 20 out of ink"))
    >>> report.state, report.condition, report.text
    (<DeviceState.FAULT: 'fault'>, <Condition.INK_OUT: 20>, 'out of ink')
    >>> report.to_ack().encode()
    b'ACK FAULT 20 out of ink\\r'
    """

    state: DeviceState
    condition: Condition | None = None
    text: str = ""

    _STATES: ClassVar[dict[str, DeviceState]] = {
        "READY": DeviceState.READY,
        "WARNING": DeviceState.WARNING,
        "PAUSED": DeviceState.PAUSED,
        "FAULT": DeviceState.FAULT,
    }

    def to_ack(self) -> Ack:
        if self.condition is None:
            return Ack(self.state.value.upper())
        return Ack(f"{self.state.value.upper()} {self.condition.value} {self.text}".rstrip())

    @classmethod
    def from_ack(cls, ack: Ack) -> StatusReport:
        word, _, rest = ack.data.partition(" ")
        state = cls._STATES.get(word)
        if state is not None and not rest:
            return cls(state)
        code, _, text = rest.partition(" ")
        if state is not None and re.fullmatch("[0-9]{2}", code, re.ASCII):
            try:
                return cls(state, Condition(int(code)), text)
            except ValueError:
                pass
        raise ProtocolError(
            f"Invalid status reply {ack.data!r}: expected 'READY', 'WARNING <condition> <text>', "
            f"'PAUSED ...' or 'FAULT <condition> <text>' with a known condition. {_HINT}"
        )


def parse_count(ack: Ack) -> int:
    """The number an ``ACK`` to ``QFR`` or ``QLP`` carries; ProtocolError if it carries none.

    >>> parse_count(Ack("250"))
    250
    """
    data = ack.data
    if 0 < len(data) <= 10 and data.isascii() and data.isdigit():
        return int(data)
    raise ProtocolError(
        f"Invalid count reply {data!r}: expected 'ACK <count>' with 1 to 10 digits. {_HINT}"
    )


# Decoding ------------------------------------------------------------------------------------

F = TypeVar("F", HostFrame, DeviceFrame)
_Parser = Callable[[bytes], F]
_ACK = Ack()


def _bad(line: bytes, expected: str, code: ErrorCode = ErrorCode.BAD_ARGUMENT) -> BadLine:
    return BadLine(f"Invalid coder line {describe(line)}: expected {expected}. {_HINT}", line, code)


def _number(text: bytes, line: bytes, expected: str, low: int = 1, high: int = MAX_SEQ) -> int:
    if 0 < len(text) <= 10 and text.isdigit():
        value = int(text)
        if low <= value <= high:
            return value
    raise _bad(line, expected)


def _text(raw: bytes) -> str:
    return raw.decode("ascii")  # the line's bytes were checked to be printable ASCII


_PSH_FIELDS = f"'PSH <seq>|<value>' with 1 to {_MAX_FIELDS} values"
_PSH_SEQ = f"'PSH <seq>|<value>...' with seq 1 to {MAX_SEQ}"
_PSH_ESCAPE = "'~' followed by two upper-case hex digits in a value"
_PRN = f"'#PRN <seq>' or '#PRN <first>-<last>' with 1 <= first <= last <= {MAX_SEQ}"
_SKP = f"'#SKP <seq> <reason>' with seq 1 to {MAX_SEQ}"
_ERR = "'ERR <code> <text>' with a known error code"


def _parse_push(line: bytes) -> PushRecord:  # the simulator's hot path: kept flat
    parts = line[4:].split(b"|")
    count = len(parts)
    if count < 2 or count > _MAX_FIELDS + 1 or len(line) > MAX_LINE:
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
    if not _JOB_NAME.fullmatch(line, 4):
        raise _bad(line, "'SEL <job>' with 1 to 32 letters, digits, '_', '.' or '-'")
    return SelectJob(_text(line[4:]))


def _parse_header(line: bytes) -> DefineHeader:
    names = line[4:].split(b"|")
    if not (
        len(names) <= _MAX_FIELDS
        and all(_FIELD_NAME.fullmatch(n) for n in names)
        and len(set(names)) == len(names)
    ):
        raise _bad(line, f"'HDR <name>|<name>...' with 1 to {_MAX_FIELDS} distinct names")
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
                if not checked and line.translate(None, _PRINTABLE):
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

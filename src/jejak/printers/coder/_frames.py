"""The frames of the coder dialect and their bytes: what `jejak.printers.coder` re-exports.

Plumbing for `coder`: the constants, error codes and conditions, the field escaping and one
dataclass per line of the dialect, each with its `encode()`. Import these names from
`jejak.printers.coder`; the dialect is documented in printers/README.md, "Coder dialect".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.engine.text import describe

__all__ = [
    "FIELD_NAME", "HINT", "JOB_NAME", "MAX_FIELDS", "MAX_LINE", "MAX_SEQ", "PRINTABLE", "Ack",
    "BadLine", "Change", "ClearBuffer", "Condition", "ConditionReport", "DefineHeader",
    "DeviceFrame", "Err", "ErrorCode", "HostFrame", "PrintComplete", "PushRecord", "QueryFree",
    "QueryLastPrinted", "QueryStatus", "SelectJob", "Skipped", "encode_push", "escape", "unescape",
]  # fmt: skip

MAX_SEQ = 0xFFFF_FFFF
"""Record sequence numbers run from 1 to this, then wrap to 1; 0 means "none"."""

MAX_LINE = 16384
"""No line of the dialect is longer (without its CR); a longer one is junk."""

MAX_FIELDS = 8
JOB_NAME = re.compile(rb"[A-Za-z0-9_.\-]{1,32}")
FIELD_NAME = re.compile(rb"[A-Za-z0-9_]{1,16}")
PRINTABLE = bytes(range(0x20, 0x7F))
_PLAIN = PRINTABLE.replace(b"|", b"").replace(b"~", b"")  # field bytes sent as they are
_COMMON = _PLAIN + b"|~\x1d"
_ESCAPES = tuple(bytes((b,)) if b in _PLAIN else b"~%02X" % b for b in range(256))
_UNHEX = {b"%02X" % b: bytes((b,)) for b in range(256)}
HINT = "Hint: check that the peer speaks the Jejak coder dialect (printers/README.md)."


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
        if not isinstance(name, str) or not JOB_NAME.fullmatch(name.encode("utf-8")):
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
            0 < len(names) <= MAX_FIELDS
            and all(isinstance(n, str) and FIELD_NAME.fullmatch(n.encode()) for n in names)
            and len(set(names)) == len(names)
        ):
            raise InvalidFormat(
                f"Invalid record header {describe(fields)}: expected 1 to {MAX_FIELDS} distinct "
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

"""The Keyence SR wire format (Ethernet command port 9004, terminator CR), with no I/O.

Host to reader, the timing commands, no header, terminator CR::

    LON\\r      timing on: start a read (the reader reads until a code or LOFF)
    LOFF\\r     timing off: end the read

Reader to host, lines ending in CR (a LF after the CR, as a CR LF delimiter gives, is dropped):

- the *command response*, first, to every operation command: ``OK,<command>`` (``OK,LON``), or
  ``ER,<command>,<nn>`` with a two-digit error code (`KeyenceError`), e.g. ``ER,LON,20``.
  A reader in "SR-600 compatible" mode sends no command response at all;
- then, for ``LON``, the *read data*: the read string of `result` (our configuration: the
  symbology identifier, the raw bytes with GS 0x1D as they are, an optional ``,`` and grade),
  or the read-error string ``ERROR`` when nothing could be read. Without identifiers, read
  data must not begin with ``OK,`` or ``ER,`` (GS1 data begins with the digits of an AI).

Sending ``LON`` while a ``LON`` read is still running is answered with an error response; the
read running goes on and sends its data. ``LOFF`` when no read runs is answered ``OK,LOFF``.

>>> fmt = ResultFormat.parse(no_read="ERROR")
>>> LON, LOFF
(b'LON\\r', b'LOFF\\r')
>>> used, frames = decode(b"OK,LON\\r]d20108991234567891\\rER,LON,20\\rERR", fmt)
>>> used, frames[0], frames[2].code
(37, KeyenceReply(command='LON', error=None, data=b''), <KeyenceError.NOT_EXECUTABLE: 20>)
>>> frames[1]
ReadString(data=b'0108991234567891', symbology=<Symbology.GS1_DATAMATRIX: ']d2'>, grade=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from jejak.engine.text import describe
from jejak.line_adapters.camera._lines import encode_read, parse_read, split
from jejak.line_adapters.camera.result import Malformed, ReadString, ResultFormat

__all__ = [
    "LOFF",
    "LON",
    "KeyenceCommand",
    "KeyenceError",
    "KeyenceFrame",
    "KeyenceReply",
    "decode",
    "decode_commands",
    "encode_result",
    "refusal",
]

_CR = b"\r"
_VERB = re.compile(rb"[\x21-\x2b\x2d-\x7e]{1,16}")  # printable ASCII but space and ','
_CODE = re.compile(rb"[0-9]{2}")


class KeyenceCommand(StrEnum):
    """The SR timing commands the line uses."""

    LON = "LON"
    LOFF = "LOFF"


class KeyenceError(IntEnum):
    """Error codes of an ``ER,<command>,<nn>`` response, as the SR manuals list them.

    LINE-DEVICES.md records only the ``ER,LON,ee`` form; these numbers are the SR-700/SR-1000
    manuals' table as remembered here: check them against the reader's manual before relying on
    one. An unlisted number still makes a response (`KeyenceReply.code` None, the number kept).
    """

    UNDEFINED_COMMAND = 0
    COMMAND_FORMAT = 1  # wrong number of parameters
    PARAMETER_1 = 2  # parameter 1 out of range
    PARAMETER_2 = 3  # parameter 2 out of range
    NOT_EXECUTABLE = 20  # not executable in the reader's current state (a read running)
    BUFFER_OVERFLOW = 21
    PARAMETER_SAVE = 22  # parameters could not be loaded or saved
    READER_FAULT = 99


_ERRORS = {error.value: error for error in KeyenceError}


@dataclass(frozen=True, slots=True)
class KeyenceReply:
    """A command response: ``OK,<command>[,<data>]`` (`error` None) or ``ER,<command>,<nn>``."""

    command: str
    error: int | None = None
    data: bytes = b""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def code(self) -> KeyenceError | None:
        """The error as a `KeyenceError` (None: OK, or a number the table does not list)."""
        return None if self.error is None else _ERRORS.get(self.error)

    def encode(self) -> bytes:
        """
        >>> KeyenceReply("LON", KeyenceError.NOT_EXECUTABLE).encode(), KeyenceReply("LOFF").encode()
        (b'ER,LON,20\\r', b'OK,LOFF\\r')
        """
        head = self.command.encode("ascii")
        if self.error is not None:
            return b"ER,%s,%02d\r" % (head, self.error)
        return b"OK,%s%s\r" % (head, b"," + self.data if self.data else b"")


LON = KeyenceCommand.LON.encode("ascii") + _CR
LOFF = KeyenceCommand.LOFF.encode("ascii") + _CR

KeyenceFrame = KeyenceReply | ReadString | Malformed
"""What the host decodes from a reader: a command response, read data, or a bad line."""


def decode(buffer: bytes | bytearray, fmt: ResultFormat) -> tuple[int, list[KeyenceFrame]]:
    """The frames of every complete line in `buffer` (the host's side), and the bytes used.

    Empty lines are skipped. A line without an end after `MAX_LINE` bytes raises
    `ProtocolError`; a line that breaks the format is a `Malformed` frame.
    """
    used, lines = split(buffer, _CR, "Keyence")
    frames: list[KeyenceFrame] = []
    append = frames.append
    for line in lines:
        if line[:1] == b"\n":
            line = line[1:]  # noqa: PLW2901 (the LF of a CR LF delimiter)
        head = line[:3]
        if head in (b"OK,", b"ER,"):
            append(_reply(line))
        elif line:
            append(parse_read(line, fmt))
    return used, frames


def _reply(line: bytes) -> KeyenceReply | Malformed:
    verb, _, rest = line[3:].partition(b",")
    if _VERB.fullmatch(verb):
        if line[:1] == b"O":
            return KeyenceReply(verb.decode("ascii"), None, rest)
        if _CODE.fullmatch(rest):
            return KeyenceReply(verb.decode("ascii"), int(rest))
    return Malformed(
        line,
        f"Invalid Keyence command response {describe(line)}: expected 'OK,<command>' or "
        "'ER,<command>,<two-digit code>'. Hint: check the reader's command response settings.",
        read=False,
    )


def decode_commands(buffer: bytes | bytearray) -> tuple[int, list[bytes]]:
    """The command lines (without CR) of every complete line in `buffer` (the reader's side);
    `KeyenceCommand(line)` names the ones the line uses."""
    used, lines = split(buffer, _CR, "Keyence host")
    return used, [line.removeprefix(b"\n") for line in lines if line not in (b"", b"\n")]


def encode_result(read: ReadString, fmt: ResultFormat) -> bytes:
    """The read data of one read: the read string and CR (the reader's side).

    >>> encode_result(ReadString(None, None, None), ResultFormat.parse(no_read="ERROR"))
    b'ERROR\\r'
    """
    return encode_read(read, fmt) + _CR


def refusal(line: bytes, error: KeyenceError) -> bytes:
    """The error response a reader sends to the command `line` (the reader's side): the
    command's name echoed when it has one that can be (else ``?``).

    >>> refusal(b"FOO,1", KeyenceError.UNDEFINED_COMMAND), refusal(b"\\x00", KeyenceError(1))
    (b'ER,FOO,00\\r', b'ER,?,01\\r')
    """
    verb = line.partition(b",")[0]
    name = verb.decode("ascii") if _VERB.fullmatch(verb) else "?"
    return KeyenceReply(name, error).encode()

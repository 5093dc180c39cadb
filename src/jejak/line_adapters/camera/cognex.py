"""The Cognex DataMan wire format (DMCC over TCP, telnet port 23), with no I/O.

Host to reader, a DMCC command: the header ``||``, an optional ``checksum:command-id``, ``>``,
the command, CR LF. The line triggers with::

    ||>TRIGGER ON\\r\\n         start a read cycle (the reader reads until a code or TRIGGER OFF)
    ||>TRIGGER OFF\\r\\n        end the read cycle

Reader to host, lines ending in CR LF (a bare LF is taken too), of two kinds told apart by their
first bytes:

- a *command response*, only when the reader is set to ``SET COM.DMCC-RESPONSE 1`` (extended;
  ``0``, the reader's default, answers nothing): ``||``, the command's ``checksum:command-id``
  if it sent one, ``[status]`` (`DmccStatus`: 0 no error, 100-105 errors), and the response data
  if any, e.g. ``||[0]`` or ``||0:17[105]``. One response per command, in command order. Status
  1 (reader-initiated read string) carries a read string as its data: ``||[1]]d2…``;
- a *read string* — any other line: the result output of one read cycle as `result` describes
  it (our configuration: the symbology identifier, then the raw bytes, GS 0x1D as they are; or
  the no-read string, ``NoRead`` in our configuration; an optional ``,`` and a grade), e.g.
  ``]d20108991234567891172810311020251\\x1d21X7Y8Z9`` CR LF. Without identifiers, a read string
  must not begin with ``||`` (GS1 data cannot: ``|`` is not in CSET 82).

The reader answers ``TRIGGER ON`` with its response (extended mode) and then, once the cycle
ends, with one read string. Checksums are carried, never computed or checked: Jejak sends none.

>>> fmt = ResultFormat.parse(no_read="NoRead")
>>> TRIGGER_ON
b'||>TRIGGER ON\\r\\n'
>>> used, frames = decode(b"||[0]\\r\\n]d20108991234567891\\r\\nNoRead\\r\\n||0:7[105]\\r\\n|", fmt)
>>> used, frames[1]
(48, ReadString(data=b'0108991234567891', symbology=<Symbology.GS1_DATAMATRIX: ']d2'>, grade=None))
>>> frames[0].status, frames[2].data, frames[3].status, frames[3].command_id
(<DmccStatus.NO_ERROR: 0>, None, <DmccStatus.READER_UNAVAILABLE: 105>, 7)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from jejak.engine.text import describe
from jejak.line_adapters.camera._lines import encode_read, parse_read, split
from jejak.line_adapters.camera.result import Malformed, ReadString, ResultFormat

__all__ = [
    "TRIGGER_OFF",
    "TRIGGER_ON",
    "CognexCommand",
    "CognexFrame",
    "DmccCommand",
    "DmccReply",
    "DmccStatus",
    "decode",
    "decode_commands",
    "encode_result",
]

_CRLF = b"\r\n"
_REPLY = re.compile(rb"\|\|(?:([0-9]{1,10}):([0-9]{1,10}))?\[([0-9]{1,3})\](.*)", re.DOTALL)
_COMMAND = re.compile(rb"\|\|(?:([0-9]{1,10}):([0-9]{1,10}))?>([\x20-\x7e]*)")
_HINT = "Hint: check the reader's DMCC settings (COM.DMCC-RESPONSE) and firmware."


class DmccStatus(IntEnum):
    """The status of an extended DMCC response (``COM.DMCC-RESPONSE 1``)."""

    NO_ERROR = 0
    READ_STRING = 1  # a reader-initiated read string, not an answer to a command
    UNIDENTIFIED_ERROR = 100
    COMMAND_INVALID = 101
    PARAMETER_INVALID = 102
    CHECKSUM_INCORRECT = 103
    PARAMETER_REJECTED = 104  # rejected or altered by the reader's state
    READER_UNAVAILABLE = 105


class CognexCommand(StrEnum):
    """The DMCC commands the line uses."""

    TRIGGER_ON = "TRIGGER ON"
    TRIGGER_OFF = "TRIGGER OFF"

    @classmethod
    def of(cls, text: str) -> CognexCommand | None:
        """The command `text` names (case and spacing as DMCC allows), or None."""
        try:
            return cls(" ".join(text.split()).upper())
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class DmccCommand:
    """One DMCC command line: the command text and the optional checksum and command id."""

    text: str
    checksum: int | None = None
    command_id: int | None = None

    def encode(self) -> bytes:
        """
        >>> DmccCommand("TRIGGER ON", 0, 12).encode()
        b'||0:12>TRIGGER ON\\r\\n'
        """
        return b"||%s>%s\r\n" % (_prefix(self.checksum, self.command_id), self.text.encode())


@dataclass(frozen=True, slots=True)
class DmccReply:
    """An extended command response: status, the command's checksum and id, response data."""

    status: DmccStatus
    checksum: int | None = None
    command_id: int | None = None
    data: bytes = b""

    def encode(self) -> bytes:
        """
        >>> DmccReply(DmccStatus.COMMAND_INVALID).encode()
        b'||[101]\\r\\n'
        """
        prefix = _prefix(self.checksum, self.command_id)
        return b"||%s[%d]%s\r\n" % (prefix, self.status, self.data)


def _prefix(checksum: int | None, command_id: int | None) -> bytes:
    if checksum is None and command_id is None:
        return b""
    return b"%d:%d" % (checksum or 0, command_id or 0)


def _number(text: bytes | None) -> int | None:
    return None if text is None else int(text)


CognexFrame = DmccReply | ReadString | Malformed
"""What the host decodes from a reader: a command response, a read string, or a bad line."""

TRIGGER_ON = DmccCommand(CognexCommand.TRIGGER_ON).encode()
TRIGGER_OFF = DmccCommand(CognexCommand.TRIGGER_OFF).encode()


def decode(buffer: bytes | bytearray, fmt: ResultFormat) -> tuple[int, list[CognexFrame]]:
    """The frames of every complete line in `buffer` (the host's side), and the bytes used.

    Empty lines are skipped. A line without an end after `MAX_LINE` bytes raises
    `ProtocolError`; a line that breaks the format is a `Malformed` frame.
    """
    used, lines = split(buffer, b"\n", "Cognex")
    frames: list[CognexFrame] = []
    append = frames.append
    for line in lines:
        if line[-1:] == b"\r":
            line = line[:-1]  # noqa: PLW2901 (the CR of CR LF)
        if line[:2] != b"||":
            if line:
                append(parse_read(line, fmt))
            continue
        append(_reply(line, fmt))
    return used, frames


def _reply(line: bytes, fmt: ResultFormat) -> DmccReply | ReadString | Malformed:
    matched = _REPLY.fullmatch(line)
    try:
        status = DmccStatus(int(matched[3])) if matched else None
    except ValueError:
        status = None
    if matched is None or status is None:
        return Malformed(
            line,
            f"Invalid DMCC response {describe(line)}: expected '||[status]' or "
            f"'||checksum:id[status]' with a status of 0, 1 or 100 to 105. {_HINT}",
            read=False,
        )
    if status is DmccStatus.READ_STRING:
        return parse_read(matched[4], fmt)
    return DmccReply(status, _number(matched[1]), _number(matched[2]), matched[4])


def decode_commands(buffer: bytes | bytearray) -> tuple[int, list[DmccCommand | Malformed]]:
    """The DMCC commands of every complete line in `buffer` (the reader's side)."""
    used, lines = split(buffer, b"\n", "DMCC host")
    commands: list[DmccCommand | Malformed] = []
    for line in lines:
        if line[-1:] == b"\r":
            line = line[:-1]  # noqa: PLW2901 (the CR of CR LF)
        if not line:
            continue
        matched = _COMMAND.fullmatch(line)
        if matched is None:
            commands.append(
                Malformed(
                    line,
                    f"Invalid DMCC command {describe(line)}: expected '||>COMMAND' or "
                    "'||checksum:id>COMMAND' in printable ASCII, ending in CR LF. Hint: e.g. "
                    "'||>TRIGGER ON'.",
                    read=False,
                )
            )
            continue
        text = matched[3].decode("ascii")
        commands.append(DmccCommand(text, _number(matched[1]), _number(matched[2])))
    return used, commands


def encode_result(read: ReadString, fmt: ResultFormat) -> bytes:
    """The result output of one read cycle: the read string and CR LF (the reader's side).

    >>> from jejak.engine.symbology import Symbology
    >>> encode_result(ReadString(b"01089912345678912\\x1d21A", Symbology.GS1_DATAMATRIX, None),
    ...               ResultFormat.parse(no_read="NoRead"))
    b']d201089912345678912\\x1d21A\\r\\n'
    """
    return encode_read(read, fmt) + _CRLF

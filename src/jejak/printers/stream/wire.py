"""Frames of the print-job stream (printers/README.md, "The print-job stream").

Every message is two ZeroMQ frames: the message type in ASCII (``b"JOB"``) and a msgpack map.
This module packs and checks them; it does no I/O. A frame that breaks the protocol raises
`Refusal`, a `ProtocolError` naming the message and what was wrong, with the `RefusalReason`
the engine answers it with (the ``code`` of its REFUSED body, beside the ``reason`` text).

>>> kind, body = unpack([b"CREDIT", pack_body({"n": 100})])
>>> kind, body
(<Message.CREDIT: 'CREDIT'>, {'n': 100})
>>> try:
...     unpack([b"STATUS", pack_body({"state": "asleep", "detail": ""})])
... except Refusal as refusal:
...     refusal.code
<RefusalReason.BAD_STATE: 8>
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum, IntEnum, StrEnum
from typing import Any

import msgpack

from jejak.engine.errors import ProtocolError
from jejak.engine.text import describe
from jejak.printers.device import DeviceState

__all__ = [
    "PROTOCOL_VERSION",
    "Message",
    "Refusal",
    "RefusalReason",
    "failures",
    "job_ids",
    "jobs_of",
    "pack",
    "pack_body",
    "unpack",
]

PROTOCOL_VERSION = 1
_MAX_BODY = 16 << 20


class Message(StrEnum):
    """Message types. Driver to engine: HELLO CREDIT PRINTED FAILED STATUS BYE.
    Engine to driver: WELCOME JOB REFUSED DONE."""

    HELLO = "HELLO"
    CREDIT = "CREDIT"
    PRINTED = "PRINTED"
    FAILED = "FAILED"
    STATUS = "STATUS"
    BYE = "BYE"
    WELCOME = "WELCOME"
    JOB = "JOB"
    REFUSED = "REFUSED"
    DONE = "DONE"


class RefusalReason(IntEnum):
    """Why the engine refused a message: the ``code`` of a REFUSED body. A driver decides on
    the code, never on the ``reason`` text (which is for people)."""

    MALFORMED = 1  # not two frames, an unknown type, a body that is not a map, a wrong field
    NO_SESSION = 2  # a message other than HELLO without a session: say HELLO (again)
    PROTOCOL_VERSION = 3  # HELLO with a protocol version this engine does not speak
    BAD_LEVEL = 4  # HELLO with a packaging level other than primary, secondary, tertiary
    NOT_A_DRIVER_MESSAGE = 5  # WELCOME, JOB, REFUSED or DONE sent by a driver
    BAD_CREDIT = 6  # CREDIT with n < 0
    BAD_JOB = 7  # a PRINTED job id, or a FAILED entry, that is not what a JOB gave
    BAD_STATE = 8  # STATUS with a state that is not a device state


class Refusal(ProtocolError):
    """A message that breaks the protocol, and the code the engine refuses it with."""

    def __init__(self, message: str, code: RefusalReason) -> None:
        super().__init__(message)
        self.code = code


# The keys each body must carry, with their types (bool is checked apart from int).
_SCHEMA: dict[Message, dict[str, type | tuple[type, ...]]] = {
    Message.HELLO: {"protocol": int, "printer": str, "kind": str, "buffer": int, "level": str},
    Message.CREDIT: {"n": int},
    Message.PRINTED: {"jobs": list},
    Message.FAILED: {"jobs": list},
    Message.STATUS: {"state": str, "detail": str},
    Message.BYE: {},
    Message.WELCOME: {"protocol": int, "session": str, "batch": str, "level": str},
    Message.JOB: {"jobs": list},
    Message.REFUSED: {"code": int, "reason": str},
    Message.DONE: {},
}


# Fields whose value must be one of a closed set, and the refusal for one that is not.
_CHOICES: dict[tuple[Message, str], tuple[type[Enum], RefusalReason]] = {
    (Message.STATUS, "state"): (DeviceState, RefusalReason.BAD_STATE),
    (Message.REFUSED, "code"): (RefusalReason, RefusalReason.MALFORMED),
}


def _malformed(message: str) -> Refusal:
    return Refusal(message, RefusalReason.MALFORMED)


def pack_body(body: dict[str, Any]) -> bytes:
    return msgpack.packb(body, use_bin_type=True)  # type: ignore[no-any-return]


def pack(kind: Message, body: dict[str, Any] | None = None) -> list[bytes]:
    """The two frames of a message."""
    return [kind.value.encode("ascii"), pack_body(body or {})]


def unpack(frames: Sequence[bytes]) -> tuple[Message, dict[str, Any]]:
    """Check and decode the two frames of a message."""
    if len(frames) != 2:
        raise _malformed(
            f"Invalid message of {len(frames)} frames: expected 2 (type, msgpack body). "
            "Hint: send the type and the body as one multipart message."
        )
    head, raw = frames
    try:
        kind = Message(bytes(head).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        known = ", ".join(m.value for m in Message)
        raise _malformed(
            f"Unknown message type {describe(bytes(head)[:40])}: expected one of {known}. "
            "Hint: check the driver speaks protocol version 1."
        ) from None
    if len(raw) > _MAX_BODY:
        raise _malformed(f"{kind} body of {len(raw)} bytes: expected at most {_MAX_BODY}.")
    try:
        body = msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except (ValueError, msgpack.UnpackException) as error:
        why = str(error) or type(error).__name__
        raise _malformed(
            f"{kind} body is not msgpack ({why}): got {describe(bytes(raw)[:40])}. "
            "Hint: the second frame is one msgpack map."
        ) from None
    if not isinstance(body, dict):
        raise _malformed(f"{kind} body {describe(body)}: expected a msgpack map.")
    for key, wanted in _SCHEMA[kind].items():
        value = body.get(key)
        if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is int):
            raise _malformed(
                f"{kind} field {key!r} is {describe(value)}: expected "
                f"{getattr(wanted, '__name__', wanted)}. Hint: see printers/README.md."
            )
    for (message, key), (choices, code) in _CHOICES.items():
        if kind is message and body[key] not in choices._value2member_map_:
            names = ", ".join(repr(choice.value) for choice in choices)
            raise Refusal(
                f"{kind} field {key!r} is {describe(body[key])}: expected one of {names}. "
                "Hint: see printers/README.md.",
                code,
            )
    return kind, body


def job_ids(kind: Message, jobs: list[Any]) -> list[int]:
    """The job ids of a PRINTED body."""
    for job in jobs:
        if isinstance(job, bool) or not isinstance(job, int) or job < 0:
            raise Refusal(
                f"{kind} job id {describe(job)}: expected a non-negative integer from a JOB.",
                RefusalReason.BAD_JOB,
            )
    return jobs


def failures(jobs: list[Any]) -> list[tuple[int, str, bool]]:
    """The (job, reason, known) entries of a FAILED body."""
    out: list[tuple[int, str, bool]] = []
    for entry in jobs:
        if (
            not isinstance(entry, list)
            or len(entry) != 3
            or isinstance(entry[0], bool)
            or not isinstance(entry[0], int)
            or entry[0] < 0
            or not isinstance(entry[1], str)
            or not isinstance(entry[2], bool)
        ):
            raise Refusal(
                f"FAILED entry {describe(entry)}: expected [job id, reason, known]. "
                "Hint: known is true when the device said it did not print the job.",
                RefusalReason.BAD_JOB,
            )
        out.append((entry[0], entry[1], entry[2]))
    return out


def jobs_of(jobs: list[Any]) -> list[tuple[int, bytes]]:
    """The (job, payload) entries of a JOB body."""
    for entry in jobs:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], int)
            or not isinstance(entry[1], bytes)
        ):
            raise ProtocolError(f"JOB entry {describe(entry)}: expected [job id, payload bytes].")
    return [(entry[0], entry[1]) for entry in jobs]

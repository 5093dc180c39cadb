"""Frames of the print-job stream (printers/README.md, "The print-job stream").

Every message is two ZeroMQ frames: the message type in ASCII (``b"JOB"``) and a msgpack map.
This module packs and checks them; it does no I/O. A frame that breaks the protocol raises
`ProtocolError` naming the message and what was wrong.

>>> kind, body = unpack([b"CREDIT", pack_body({"n": 100})])
>>> kind, body
(<Message.CREDIT: 'CREDIT'>, {'n': 100})
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgpack

from jejak.engine._text import describe
from jejak.engine.errors import ProtocolError

__all__ = [
    "PROTOCOL_VERSION",
    "Message",
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
    Message.REFUSED: {"reason": str},
    Message.DONE: {},
}


def pack_body(body: dict[str, Any]) -> bytes:
    return msgpack.packb(body, use_bin_type=True)  # type: ignore[no-any-return]


def pack(kind: Message, body: dict[str, Any] | None = None) -> list[bytes]:
    """The two frames of a message."""
    return [kind.value.encode("ascii"), pack_body(body or {})]


def unpack(frames: Sequence[bytes]) -> tuple[Message, dict[str, Any]]:
    """Check and decode the two frames of a message."""
    if len(frames) != 2:
        raise ProtocolError(
            f"Invalid message of {len(frames)} frames: expected 2 (type, msgpack body). "
            "Hint: send the type and the body as one multipart message."
        )
    head, raw = frames
    try:
        kind = Message(bytes(head).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        known = ", ".join(m.value for m in Message)
        raise ProtocolError(
            f"Unknown message type {describe(bytes(head)[:40])}: expected one of {known}. "
            "Hint: check the driver speaks protocol version 1."
        ) from None
    if len(raw) > _MAX_BODY:
        raise ProtocolError(f"{kind} body of {len(raw)} bytes: expected at most {_MAX_BODY}.")
    try:
        body = msgpack.unpackb(raw, raw=False, strict_map_key=True)
    except (ValueError, msgpack.UnpackException) as error:
        why = str(error) or type(error).__name__
        raise ProtocolError(
            f"{kind} body is not msgpack ({why}): got {describe(bytes(raw)[:40])}. "
            "Hint: the second frame is one msgpack map."
        ) from None
    if not isinstance(body, dict):
        raise ProtocolError(f"{kind} body {describe(body)}: expected a msgpack map.")
    for key, wanted in _SCHEMA[kind].items():
        value = body.get(key)
        if not isinstance(value, wanted) or (isinstance(value, bool) and wanted is int):
            raise ProtocolError(
                f"{kind} field {key!r} is {describe(value)}: expected "
                f"{getattr(wanted, '__name__', wanted)}. Hint: see printers/README.md."
            )
    return kind, body


def job_ids(kind: Message, jobs: list[Any]) -> list[int]:
    """The job ids of a PRINTED body."""
    for job in jobs:
        if isinstance(job, bool) or not isinstance(job, int) or job < 0:
            raise ProtocolError(
                f"{kind} job id {describe(job)}: expected a non-negative integer from a JOB."
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
            raise ProtocolError(
                f"FAILED entry {describe(entry)}: expected [job id, reason, known]. "
                "Hint: known is true when the device said it did not print the job."
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

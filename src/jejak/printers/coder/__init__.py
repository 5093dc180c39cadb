"""The coder dialect: CR-terminated ASCII lines between a host and a serialization coder.

The protocol layer does no I/O: frames in, bytes out, and bytes in, frames out, so the client
(`client.CoderClient`) and the simulator (`jejak.printers.sim.coder`) share it. The frames and
their encoding live in `_frames`, the decoders in `_lines`, record numbers and replies in
`codec`: import them from this package. The dialect is documented line by line in
printers/README.md, "Coder dialect".

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

from jejak.printers.coder._frames import (
    MAX_LINE,
    MAX_SEQ,
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
    encode_push,
    escape,
    unescape,
)
from jejak.printers.coder._lines import CommandDecoder, Decoder, ReplyDecoder
from jejak.printers.coder.client import CoderClient
from jejak.printers.coder.codec import StatusReport, is_after, next_seq, parse_count

__all__ = [
    "MAX_LINE", "MAX_SEQ", "Ack", "BadLine", "Change", "ClearBuffer", "CoderClient",
    "CommandDecoder", "Condition", "ConditionReport", "Decoder", "DefineHeader", "DeviceFrame",
    "Err", "ErrorCode", "HostFrame", "PrintComplete", "PushRecord", "QueryFree",
    "QueryLastPrinted", "QueryStatus", "ReplyDecoder", "SelectJob", "Skipped", "StatusReport",
    "encode_push", "escape", "is_after", "next_seq", "parse_count", "unescape",
]  # fmt: skip

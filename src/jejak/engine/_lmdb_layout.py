"""The store's on-disk layout: named LMDB databases and their fixed-width key packings.

All integers in keys are big-endian so that LMDB's byte order is numeric order (cursor range
scans and `putmulti(append=True)` rely on it).

==============  ====================================  =========================================
database        key                                   value
==============  ====================================  =========================================
meta            name                                  UTF-8 text (schema version, key epochs)
products        NIE                                   JSON product record
batches         batch number                          JSON batch record
batch_ids       batch id (u32)                        batch number
scopes          scope (``01:<gtin>`` or ``90:<nie>``)  JSON: serial format, source
counters        scope ``|`` epoch (u8)                next counter (u64)
ranges          scope ``|`` epoch, start (u64)        batch id (u32), level (u8), offset, count
states          batch id, level, chunk (u32)          one byte per code: its `CodeState`
prints          batch id, level, chunk (u32)          one byte per code: its `PrintOutcome`
symbols         batch id, level, chunk (u32)          pre-generated module matrices (pregen.py)
issued          scope NUL serial                      batch id, level, index (u64)
issued_list     batch id, level, index (u64)          serial (ASCII)
events          sequence (u64)                        JSON event, hash-chained
event_data      sequence (u64)                        bytes an event refers to (index arrays)
==============  ====================================  =========================================
"""

from __future__ import annotations

import struct

__all__ = [
    "CHUNK",
    "DATABASES",
    "SCHEMA_VERSION",
    "batch_id_key",
    "chunk_key",
    "counter_key",
    "issued_key",
    "issued_list_key",
    "range_key",
    "range_value",
    "seq_key",
    "unpack_range_value",
]

SCHEMA_VERSION = "1"
CHUNK = 1 << 16  # codes per state page: 64 KiB, so a state change rewrites little
DATABASES = (
    "meta", "products", "batches", "batch_ids", "scopes", "counters", "ranges", "states",
    "prints", "symbols", "issued", "issued_list", "events", "event_data",
)  # fmt: skip

_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_CHUNK = struct.Struct(">IBI")
_INDEX = struct.Struct(">IBQ")
_RANGE_VALUE = struct.Struct(">IBQQ")


def batch_id_key(batch_id: int) -> bytes:
    return _U32.pack(batch_id)


def seq_key(seq: int) -> bytes:
    return _U64.pack(seq)


def counter_key(scope: bytes, epoch: int) -> bytes:
    return scope + b"|" + bytes([epoch])


def range_key(scope: bytes, epoch: int, start: int) -> bytes:
    return counter_key(scope, epoch) + _U64.pack(start)


def range_value(batch_id: int, level: int, offset: int, count: int) -> bytes:
    return _RANGE_VALUE.pack(batch_id, level, offset, count)


def unpack_range_value(value: bytes) -> tuple[int, int, int, int]:
    batch_id, level, offset, count = _RANGE_VALUE.unpack(value)
    return batch_id, level, offset, count


def range_start(key: bytes) -> int:
    start: int = _U64.unpack(key[-8:])[0]
    return start


def chunk_key(batch_id: int, level: int, chunk: int) -> bytes:
    return _CHUNK.pack(batch_id, level, chunk)


def unpack_chunk_key(key: bytes) -> tuple[int, int, int]:
    batch_id, level, chunk = _CHUNK.unpack(key)
    return batch_id, level, chunk


def issued_key(scope: bytes, serial: bytes) -> bytes:
    return scope + b"\x00" + serial


def issued_list_key(batch_id: int, level: int, index: int) -> bytes:
    return _INDEX.pack(batch_id, level, index)


def unpack_index_value(value: bytes) -> tuple[int, int, int]:
    batch_id, level, index = _INDEX.unpack(value)
    return batch_id, level, index

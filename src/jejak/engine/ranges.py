"""Counter ranges: the one seam through which every self-issued serial is allocated.

A batch draws its serials from counter ranges of its scope. Today the local store grants
itself those ranges (`LocalRangeSource`, the ``counters`` database, inside the caller's write
transaction so that a range and its batch commit together). Later a central authority can
grant ranges to many lines ahead of need (as OPEN-SCS pool requests do) behind the same
`RangeSource` protocol. A counter only grows: a granted range is never granted again.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Protocol

from jejak.engine._lmdb_layout import counter_key

__all__ = ["CounterRange", "LocalRangeSource", "RangeSource"]

_U64 = struct.Struct(">Q")


@dataclass(frozen=True, slots=True)
class CounterRange:
    scope: bytes
    epoch: int
    start: int
    count: int

    @property
    def stop(self) -> int:
        return self.start + self.count


class RangeSource(Protocol):
    def issued(self, txn: Any, scope: bytes, epoch: int) -> int:
        """How many counters of (scope, epoch) have been granted so far."""

    def grant(self, txn: Any, scope: bytes, epoch: int, count: int) -> CounterRange:
        """Grant the next `count` counters of (scope, epoch), durably with `txn`."""


class LocalRangeSource:
    """Ranges granted from the local store's ``counters`` database."""

    __slots__ = ("_db",)

    def __init__(self, counters_db: Any) -> None:
        self._db = counters_db

    def issued(self, txn: Any, scope: bytes, epoch: int) -> int:
        value = txn.get(counter_key(scope, epoch), db=self._db)
        return 0 if value is None else int(_U64.unpack(bytes(value))[0])

    def grant(self, txn: Any, scope: bytes, epoch: int, count: int) -> CounterRange:
        start = self.issued(txn, scope, epoch)
        txn.put(counter_key(scope, epoch), _U64.pack(start + count), db=self._db)
        return CounterRange(scope, epoch, start, count)

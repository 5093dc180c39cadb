"""Counter ranges: the one seam through which every self-issued serial and SSCC is allocated.

A batch draws its serials from counter ranges of its scope, granted by a `RangeSource` that the
store is given. The default, `LocalRangeSource`, grants them from the store's own ``counters``
database; a central authority (one grant row per range in a database shared by many lines) can
sit behind the same protocol. A source is asked *before* the batch's write transaction and
grants durably (reserve first, record in): no I/O ever happens inside an LMDB write
transaction, and a crash between the two leaves only a gap of counters nobody uses. A granted
range is never granted again, and never handed back: its serials may have been listed or
printed, so a batch's unused codes are voided at close instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from jejak.engine.errors import StoreError
from jejak.engine.store.unit_of_work import UnitOfWork
from jejak.engine.store.view import StoreView

__all__ = ["CounterRange", "LocalRangeSource", "RangeSource"]


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
    """Grants counter ranges of (scope, epoch)."""

    def issued(self, scope: bytes, epoch: int) -> int:
        """How many counters of (scope, epoch) have been granted so far, to anyone."""

    def reserve(
        self, scope: bytes, epoch: int, count: int, *, actor: str
    ) -> Sequence[CounterRange]:
        """Grant `count` counters of (scope, epoch) durably, in one range or several.

        Called outside any store write transaction; the caller records the ranges after."""


class LocalRangeSource:
    """Ranges granted from the store's own ``counters`` database, each grant a durable unit of
    work with its audit event. Built from the store's `view` and `unit_of_work`."""

    __slots__ = ("_unit_of_work", "_view")

    def __init__(
        self, view: Callable[[], AbstractContextManager[StoreView]],
        unit_of_work: Callable[[str], AbstractContextManager[UnitOfWork]],
    ) -> None:  # fmt: skip
        self._view, self._unit_of_work = view, unit_of_work

    def issued(self, scope: bytes, epoch: int) -> int:
        with self._view() as view:
            return view.issued(scope, epoch)

    def reserve(
        self, scope: bytes, epoch: int, count: int, *, actor: str
    ) -> Sequence[CounterRange]:
        if count < 0:
            raise StoreError(f"Invalid range of {count} counters: expected 0 or more.")
        with self._unit_of_work(actor) as uow:
            start = uow.advance_counter(scope, epoch, count)
        return [CounterRange(scope, epoch, start, count)]

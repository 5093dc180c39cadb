"""What the store keeps between views: batch records by id, scope formats and key epochs.

Serial scope formats never change once written, so they are kept for good. Batch records, the
list of key epochs and the SSCC scopes change (a close, an import, a key rotation, a new
scope); every such change moves the store's generation counter in the same transaction, and
the cache drops them when it sees the counter move, in this process or another. Only read
views fill the cache: a unit of work may still abort.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jejak.engine.batch_record import BatchRecord
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat

if TYPE_CHECKING:
    from jejak.engine.store.view import StoreView

__all__ = ["StoreCache"]


class StoreCache:
    __slots__ = ("_batches", "_epochs", "_formats", "_generation", "_ssccs")

    def __init__(self) -> None:
        self._generation = -1
        self._batches: dict[int, BatchRecord] = {}
        self._epochs: list[int] | None = None
        self._formats: dict[bytes, SerialFormat] = {}
        self._ssccs: list[tuple[bytes, SsccFormat]] | None = None

    def _fresh(self, view: StoreView) -> None:
        generation = view.generation()
        if generation != self._generation:
            self._generation = generation
            self._batches.clear()
            self._epochs = None
            self._ssccs = None

    def batch(self, view: StoreView, batch_id: int) -> BatchRecord | None:
        self._fresh(view)
        return self._batches.get(batch_id)

    def keep_batch(self, view: StoreView, record: BatchRecord) -> None:
        self._fresh(view)
        self._batches[record.batch_id] = record

    def epochs(self, view: StoreView) -> list[int]:
        self._fresh(view)
        if self._epochs is None:
            self._epochs = view.epochs()
        return self._epochs

    def sscc_scopes(self, view: StoreView) -> list[tuple[bytes, SsccFormat]]:
        self._fresh(view)
        if self._ssccs is None:
            self._ssccs = view.sscc_scopes()
        return self._ssccs

    def serial_format(self, view: StoreView, scope: bytes) -> SerialFormat | None:
        found = self._formats.get(scope)
        if found is None:
            found = view.serial_format(scope)
            if found is not None:
                self._formats[scope] = found
        return found

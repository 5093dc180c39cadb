"""What the store keeps between views: batch records by id, scope formats and key epochs.

Serial scope formats never change once written, so they are kept for good. Batch records, the
list of key epochs and the SSCC scopes change (a close, an import, a key rotation, a new
scope); every such change moves the store's generation counter in the same transaction, and a
view `sync`s the cache with the generation it reads, in this process or another, before using
it. Only read views use the cache: a unit of work may still abort.
"""

from __future__ import annotations

from jejak.engine.batch_record import BatchRecord
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat

__all__ = ["StoreCache"]


class StoreCache:
    __slots__ = ("batches", "epochs", "formats", "generation", "ssccs")

    def __init__(self) -> None:
        self.generation = -1
        self.batches: dict[int, BatchRecord] = {}
        self.epochs: list[int] | None = None
        self.formats: dict[bytes, SerialFormat] = {}  # serial scopes: kept for good
        self.ssccs: list[tuple[bytes, SsccFormat]] | None = None

    def sync(self, generation: int) -> StoreCache:
        """Drop what may have changed since the cache last saw the store at `generation`."""
        if generation != self.generation:
            self.generation = generation
            self.batches.clear()
            self.epochs = None
            self.ssccs = None
        return self

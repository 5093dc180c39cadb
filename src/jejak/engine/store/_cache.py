"""What the store keeps between views: batch records, scope formats, key epochs, counter
ranges and recently decoded events.

Serial scope formats never change once written, so they are kept for good; nor do committed
events, of which the last few thousand decoded are kept. Batch records, the list of key
epochs, the SSCC scopes and the recorded counter ranges change (a batch opened or closed, an
import, a key rotation); every such change moves the store's generation counter in the same
transaction, and a view `sync`s the cache with the generation it reads, in this process or
another, before using it. Only read views use the cache: a unit of work may still abort.
"""

from __future__ import annotations

from jejak.engine.batch_record import BatchRecord
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat
from jejak.engine.store.events import Event

__all__ = ["EVENTS", "StoreCache"]

EVENTS = 4096


class StoreCache:
    __slots__ = ("batches", "epochs", "events", "formats", "generation", "ranges", "ssccs")

    def __init__(self) -> None:
        self.generation = -1
        self.batches: dict[int, BatchRecord] = {}
        self.epochs: list[int] | None = None
        self.formats: dict[bytes, SerialFormat] = {}  # serial scopes: kept for good
        self.ssccs: list[tuple[bytes, SsccFormat]] | None = None
        # (scope, epoch) -> the starts of its recorded ranges, sorted, and their records
        self.ranges: dict[tuple[bytes, int], tuple[list[int], list[tuple[int, int, int, int]]]]
        self.ranges = {}
        # Decoded events by seq, the most recent EVENTS of them: a committed event never
        # changes, and the codes of one batch share most of theirs (opened, drawn, printed).
        self.events: dict[int, Event] = {}

    def sync(self, generation: int) -> StoreCache:
        """Drop what may have changed since the cache last saw the store at `generation`."""
        if generation != self.generation:
            self.generation = generation
            self.batches.clear()
            self.epochs = None
            self.ssccs = None
            self.ranges.clear()
        return self

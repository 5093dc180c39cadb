"""A consistent view of the store: everything one LMDB transaction sees, with typed reads.

`Store.view()` opens one over a read transaction (readers never block the writer, and see the
store as of their start); a `UnitOfWork` is a view over its own write transaction, so what it
reads includes what it has written so far. Values read through a view are plain objects: no
LMDB buffer outlives the transaction.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreCorrupted, StoreError, UnknownNie
from jejak.engine.gs1 import ElementString
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat, SerialPermutation
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import _event_index, _layout, events, links
from jejak.engine.store._cache import EVENTS, StoreCache
from jejak.engine.store._core import StoreCore
from jejak.engine.store._records import Attempt, AttemptOutcome, OutboxRecord, product_from_json
from jejak.engine.store.columns import PAGE, STATES, PagedColumn, PageSet
from jejak.engine.store.events import AuditReport, Event

__all__ = ["Attempt", "AttemptOutcome", "CodeRef", "OutboxRecord", "StoreView"]


class CodeRef:
    """One code of the store: (batch id, level, index within the level)."""

    __slots__ = ("batch_id", "index", "level")

    def __init__(self, batch_id: int, level: Level, index: int) -> None:
        self.batch_id, self.level, self.index = batch_id, level, index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CodeRef) and (self.batch_id, self.level, self.index) == (
            other.batch_id, other.level, other.index)  # fmt: skip

    def __hash__(self) -> int:
        return hash((self.batch_id, self.level, self.index))

    def __repr__(self) -> str:
        return f"CodeRef({self.batch_id}, {self.level.name}, {self.index})"


class StoreView:
    """Typed reads over one transaction. Do not keep it beyond its `with` block."""

    __slots__ = ("_cached", "_core", "_dbs", "_generation", "_txn")

    def __init__(self, core: StoreCore, txn: Any, *, cached: bool = True) -> None:
        self._core, self._txn, self._dbs = core, txn, core.dbs
        # Only committed data may be cached: a unit of work reads around the cache.
        self._cached = cached
        self._generation: int | None = None  # a read snapshot's generation never changes

    def _cache(self) -> StoreCache | None:
        """The store's cache, in step with this view's generation (None: do not cache)."""
        if not self._cached:
            return None
        if self._generation is None:
            self._generation = self.generation()
        return self._core.cache.sync(self._generation)

    # Products ------------------------------------------------------------------------------

    def product(self, nie: str) -> Product:
        value = self._txn.get(nie.encode(), db=self._dbs["products"])
        if value is None:
            raise UnknownNie(
                f"Unknown NIE {nie!r}: expected a product of the master. Hint: add it first "
                "with `jejak product add --nie ...`."
            )
        return product_from_json(value)

    def products(self) -> list[Product]:
        return [product_from_json(v) for _, v in self._txn.cursor(self._dbs["products"])]

    # Batches -------------------------------------------------------------------------------

    def batch(self, batch: str) -> BatchRecord:
        value = self._txn.get(batch.encode(), db=self._dbs["batches"]) if batch else None
        if value is None:
            raise StoreError(
                f"Unknown batch {batch!r}. Hint: open it with `jejak batch open`, or list codes "
                "of an existing batch."
            )
        return BatchRecord.from_json(value)

    def batch_exists(self, batch: str) -> bool:
        return bool(batch) and self._txn.get(batch.encode(), db=self._dbs["batches"]) is not None

    def batch_by_id(self, batch_id: int) -> BatchRecord:
        cache = self._cache()
        if cache is not None and batch_id in cache.batches:
            return cache.batches[batch_id]
        name = self._txn.get(_layout.batch_id_key(batch_id), db=self._dbs["batch_ids"])
        if name is None:
            raise StoreCorrupted(
                f"Batch id {batch_id} is referenced but not recorded. Hint: run `jejak audit "
                "verify` and restore the store from backup."
            )
        record = self.batch(bytes(name).decode())
        if cache is not None:
            cache.batches[batch_id] = record
        return record

    def batches(self) -> list[BatchRecord]:
        return [BatchRecord.from_json(v) for _, v in self._txn.cursor(self._dbs["batches"])]

    def generation(self) -> int:
        """Changes whenever a batch record or a key epoch changes (for caches)."""
        value = self._txn.get(b"generation", db=self._dbs["meta"])
        return 0 if value is None else int(bytes(value))

    # Per-code columns ----------------------------------------------------------------------

    def _level_pages(self, column: PagedColumn, record: BatchRecord, level: Level) -> PageSet:
        return PageSet(self._txn, self._dbs[column.name], column, batch_id=record.batch_id,
                       level=level, count=record.level(level).count)  # fmt: skip

    def column(self, column: PagedColumn, record: BatchRecord, level: Level) -> Any:
        """Every code's value of a level in a fixed-width column, in index order."""
        return self._level_pages(column, record, level).whole()

    def values(
        self, column: PagedColumn, record: BatchRecord, level: Level,
        indices: npt.NDArray[np.int64],
    ) -> Any:  # fmt: skip
        """The values of codes `indices` of a level in a fixed-width column."""
        return self._level_pages(column, record, level).read(indices)

    def states(self, record: BatchRecord, level: Level) -> npt.NDArray[np.uint8]:
        states: npt.NDArray[np.uint8] = self.column(STATES, record, level)
        return states

    def state_of(self, record: BatchRecord, level: Level, index: int) -> CodeState:
        """The state of one code: one page read."""
        page, offset = divmod(index, PAGE)
        raw = self._txn.get(_layout.page_key(record.batch_id, level, page), db=self._dbs["states"])
        return CodeState(raw[offset] if raw is not None and offset < len(raw) else 0)

    def page(
        self, column: PagedColumn, record: BatchRecord, level: Level, page: int
    ) -> bytes | None:
        """One stored page of a column (opaque columns are read this way), or None."""
        return self._level_pages(column, record, level).raw_page(page)

    def counts(self, record: BatchRecord) -> dict[Level, dict[CodeState, int]]:
        """How many codes of each level are in each state."""
        result = {}
        for allocation in record.levels:
            tally = np.bincount(self.states(record, allocation.level), minlength=256)
            result[allocation.level] = {s: int(tally[s]) for s in CodeState if tally[s]}
        return result

    # Aggregation links ---------------------------------------------------------------------

    def parent_of(self, ref: CodeRef) -> CodeRef | None:
        """The container a code is in (one page read), or None."""
        page, offset = divmod(ref.index, PAGE)
        raw = self._txn.get(_layout.page_key(ref.batch_id, ref.level, page),
                            db=self._dbs["parents"])  # fmt: skip
        if raw is None or (offset + 1) * 8 > len(raw):
            return None
        packed = int.from_bytes(bytes(raw[offset * 8 : offset * 8 + 8]), "little")
        if packed == links.NO_PARENT:
            return None
        batch_id, level, index = links.unpack_ref(packed)
        return CodeRef(batch_id, Level(level), index)

    def children(self, ref: CodeRef) -> links.Refs:
        """A container's children as packed references (ascending; see `links`)."""
        packed = links.pack_ref(ref.batch_id, ref.level, ref.index)
        return links.children(self._txn, self._dbs["children"], packed)

    def containers(self, record: BatchRecord, level: Level) -> dict[int, int]:
        """Index -> number of children, for every container of a level that holds any."""
        return dict(links.containers(self._txn, self._dbs["children"], record.batch_id, level))

    # Codes ---------------------------------------------------------------------------------

    def imported_serials(self, record: BatchRecord, level: Level) -> list[bytes]:
        prefix = _layout.issued_list_key(record.batch_id, level, 0)[:5]
        cursor = self._txn.cursor(self._dbs["issued_list"])
        found = []
        if cursor.set_range(prefix):
            for key, value in cursor:
                if bytes(key)[:5] != prefix:
                    break
                found.append(bytes(value))
        return found

    def imported_serial(self, record: BatchRecord, level: Level, index: int) -> bytes:
        key = _layout.issued_list_key(record.batch_id, level, index)
        value = self._txn.get(key, db=self._dbs["issued_list"])
        if value is None:
            raise StoreCorrupted(
                f"Code {index} of the {level.name.lower()} codes of batch {record.batch!r} is "
                "not in the issued list. Hint: run `jejak audit verify`."
            )
        return bytes(value)

    def serial(self, record: BatchRecord, level: Level, index: int) -> str:
        """The serial (or SSCC digits) of one code."""
        allocation = record.level(level)
        if allocation.source is CodeSource.IDENTIFICATION:
            return ""  # every pack carries the batch's one code
        if allocation.source is CodeSource.BPOM:
            return self.imported_serial(record, level, index).decode("ascii")
        if allocation.source is CodeSource.SSCC:
            return record.sscc_digits(level, index)
        return self.permutation(record).serial(allocation.counter(index))

    def code(self, record: BatchRecord, level: Level, index: int) -> ElementString:
        return record.level_code(level, self.serial(record, level, index))

    # Scopes, counters, ranges --------------------------------------------------------------

    def serial_format(self, scope: bytes) -> SerialFormat | None:
        value = self._txn.get(scope, db=self._dbs["scopes"])
        if value is None or scope.startswith(b"00:"):
            return None
        alphabet, length, prefix, epoch_width = json.loads(bytes(value))
        return SerialFormat.parse(alphabet=alphabet, length=length, prefix=prefix,
                                  epoch_width=epoch_width)  # fmt: skip

    def scopes(self, *, sscc: bool) -> list[tuple[bytes, SerialFormat | SsccFormat]]:
        """Every serial scope (or every SSCC scope) with its format."""
        found: list[tuple[bytes, SerialFormat | SsccFormat]] = []
        for key, value in self._txn.cursor(self._dbs["scopes"]):
            scope = bytes(key)
            if scope.startswith(b"00:") != sscc:
                continue
            if sscc:
                fmt = SsccFormat.from_json(bytes(value))
                if fmt is not None:
                    found.append((scope, fmt))
            else:
                serial_format = self.serial_format(scope)
                if serial_format is not None:
                    found.append((scope, serial_format))
        return found

    def cached_serial_format(self, scope: bytes) -> SerialFormat | None:
        formats = self._core.cache.formats  # never change once written: no generation check
        found = formats.get(scope) if self._cached else None
        if found is None:
            found = self.serial_format(scope)
            if found is not None and self._cached:
                formats[scope] = found
        return found

    def cached_sscc_scopes(self) -> list[tuple[bytes, SsccFormat]]:
        cache = self._cache()
        if cache is None:
            return self.sscc_scopes()
        if cache.ssccs is None:
            cache.ssccs = self.sscc_scopes()
        return cache.ssccs

    def sscc_scopes(self) -> list[tuple[bytes, SsccFormat]]:
        return [(scope, fmt) for scope, fmt in self.scopes(sscc=True)
                if isinstance(fmt, SsccFormat)]  # fmt: skip

    def cached_epochs(self) -> list[int]:
        cache = self._cache()
        if cache is None:
            return self.epochs()
        if cache.epochs is None:
            cache.epochs = self.epochs()
        return cache.epochs

    def permutation(self, record: BatchRecord) -> SerialPermutation:
        """The permutation that formats a batch's self-issued serials."""
        if record.serial_format is None or record.epoch is None:
            raise StoreError(f"Batch {record.batch!r} has no self-issued serials.")
        return self._core.permutation_of(record.serial_format, record.scope, record.epoch,
                                         record.key_id)  # fmt: skip

    def permutation_of(self, fmt: SerialFormat, scope: bytes, epoch: int) -> SerialPermutation:
        """The keyed permutation of (format, scope, epoch), cached by the store."""
        found = self._core.permutations.get((fmt, scope, epoch))
        if found is not None:
            return found
        return self._core.permutation_of(fmt, scope, epoch, self.key_id(epoch))

    def key_id(self, epoch: int) -> str | None:
        value = self._txn.get(f"key:{epoch}".encode(), db=self._dbs["meta"])
        return None if value is None else bytes(value).decode()

    def epochs(self) -> list[int]:
        """The key epochs this store has used."""
        prefix = b"key:"
        cursor = self._txn.cursor(self._dbs["meta"])
        found = []
        if cursor.set_range(prefix):
            for key in cursor.iternext(values=False):
                if not bytes(key).startswith(prefix):
                    break
                found.append(int(bytes(key)[len(prefix) :]))
        return sorted(found)

    def issued(self, scope: bytes, epoch: int) -> int:
        """How many counters of (scope, epoch) the local counters have granted."""
        value = self._txn.get(_layout.counter_key(scope, epoch), db=self._dbs["counters"])
        return 0 if value is None else _layout.unpack_u64(bytes(value))

    def range_owner(self, scope: bytes, epoch: int, counter: int) -> CodeRef | None:
        """The code whose counter this is: a bisection of the scope's recorded ranges."""
        cache = self._cache()
        table = None if cache is None else cache.ranges.get((scope, epoch))
        if table is None:
            table = self._ranges_of(scope, epoch)
            if cache is not None:
                cache.ranges[(scope, epoch)] = table
        starts, records = table
        position = bisect.bisect_right(starts, counter) - 1
        if position < 0:
            return None
        batch_id, level, first, count = records[position]
        if counter < starts[position] + count:
            return CodeRef(batch_id, Level(level), first + counter - starts[position])
        return None

    def _ranges_of(
        self, scope: bytes, epoch: int
    ) -> tuple[list[int], list[tuple[int, int, int, int]]]:
        base = _layout.counter_key(scope, epoch)
        starts: list[int] = []
        records: list[tuple[int, int, int, int]] = []
        cursor = self._txn.cursor(self._dbs["ranges"])
        if cursor.set_range(base):
            for key, value in cursor:
                if not bytes(key).startswith(base) or len(key) != len(base) + 8:
                    break
                starts.append(_layout.range_start(bytes(key)))
                records.append(_layout.unpack_range_value(bytes(value)))
        return starts, records

    def range_record(
        self, scope: bytes, epoch: int, start: int
    ) -> tuple[int, int, int, int] | None:
        """(batch id, level, first index, count) of the range recorded at `start`."""
        value = self._txn.get(_layout.range_key(scope, epoch, start), db=self._dbs["ranges"])
        return None if value is None else _layout.unpack_range_value(bytes(value))

    def issued_ref(self, scope: bytes, serial: bytes) -> CodeRef | None:
        """The BPOM-issued code with this serial in `scope`."""
        hit = self._txn.get(_layout.issued_key(scope, serial), db=self._dbs["issued"])
        if hit is None:
            return None
        batch_id, level, index = _layout.unpack_index_value(bytes(hit))
        return CodeRef(batch_id, Level(level), index)

    # Events --------------------------------------------------------------------------------

    def events(self, *, start: int = 1) -> Iterator[Event]:
        return events.events(self._txn, self._dbs["events"], start=start)

    def payload(self, seq: int) -> bytes | None:
        """The bulk payload event `seq` refers to (its index list, imported serials ...)."""
        return events.payload(self._txn, self._dbs["event_data"], seq)

    def event_indices(self, event: Event) -> npt.NDArray[np.int64]:
        """The indices of the codes an event about codes of one batch level names (its own
        codes, not those only entered in its history), ascending: its ``first`` to ``last``,
        or the index list of its payload (`events.index_payload`)."""
        data = event.data
        if data.get("contiguous", True):
            return np.arange(int(data["first"]), int(data["last"]) + 1, dtype=np.int64)
        raw = self.payload(event.seq) or b""
        return np.frombuffer(raw, dtype=">u8").astype(np.int64)

    def history(self, ref: CodeRef) -> tuple[Event, ...]:
        """Every event about one code, in log order, found through the event index."""
        seqs = _event_index.seqs_of(self._txn, self._dbs["event_index"],
                                    self._dbs["event_data"], batch_id=ref.batch_id,
                                    level=ref.level, index=ref.index)  # fmt: skip
        if not self._cached:
            return tuple(events.event_at(self._txn, self._dbs["events"], seq) for seq in seqs)
        kept = self._core.cache.events
        found = []
        for seq in seqs:
            event = kept.get(seq)
            if event is None:
                event = events.event_at(self._txn, self._dbs["events"], seq)
                if len(kept) >= EVENTS:
                    del kept[next(iter(kept))]  # the oldest kept
                kept[seq] = event
            found.append(event)
        return tuple(found)

    def batch_events(self, records: Sequence[BatchRecord]) -> Iterator[Event]:
        """Every event about these batches or any of their codes, in log order, found
        through the event index (a report of a few batches reads only their events)."""
        seqs: set[int] = set()
        for record in records:
            seqs.update(_event_index.batch_seqs(self._txn, self._dbs["event_index"],
                                                record.batch_id))  # fmt: skip
        for seq in sorted(seqs):
            yield events.event_at(self._txn, self._dbs["events"], seq)

    def verify_audit(self) -> AuditReport:
        return events.verify(self._txn, self._dbs["events"], self._dbs["event_data"])

    def outbox(self) -> list[OutboxRecord]:
        """Every record ever queued for delivery (sent or not), oldest first."""
        return [OutboxRecord.from_json(_layout.unpack_u64(bytes(k)), v)
                for k, v in self._txn.cursor(self._dbs["outbox"])]  # fmt: skip

    def outbox_records(self, *, start: int = 1) -> Iterator[OutboxRecord]:
        """The records queued from number `start` on (sent or not), oldest first."""
        cursor = self._txn.cursor(self._dbs["outbox"])
        if cursor.set_range(_layout.u64(start)):
            for key, value in cursor:
                yield OutboxRecord.from_json(_layout.unpack_u64(bytes(key)), value)

    def outbox_last(self) -> int:
        """The number of the last record queued (0: none)."""
        cursor = self._txn.cursor(self._dbs["outbox"])
        return _layout.unpack_u64(bytes(cursor.key())) if cursor.last() else 0

    def outbox_record(self, seq: int) -> OutboxRecord:
        value = self._txn.get(_layout.u64(seq), db=self._dbs["outbox"])
        if value is None:
            raise StoreCorrupted(
                f"Outbox record {seq} is queued but missing. Hint: run `jejak audit verify` "
                "and restore the store from backup."
            )
        return OutboxRecord.from_json(seq, value)

    def queued(self, *, limit: int | None = None) -> list[OutboxRecord]:
        """The records not sent yet (no confirmed attempt), oldest first: the delivery queue."""
        found: list[OutboxRecord] = []
        for key in self._txn.cursor(self._dbs["outbox_queue"]).iternext(values=False):
            if limit is not None and len(found) >= limit:
                break
            found.append(self.outbox_record(_layout.unpack_u64(bytes(key))))
        return found

    def queued_count(self) -> int:
        count: int = self._txn.stat(self._dbs["outbox_queue"])["entries"]
        return count

    def is_queued(self, seq: int) -> bool:
        """Whether outbox record `seq` is not sent yet."""
        return self._txn.get(_layout.u64(seq), db=self._dbs["outbox_queue"]) is not None

    def attempts(self, seq: int) -> list[Attempt]:
        """Every attempt to deliver outbox record `seq`, in order."""
        cursor = self._txn.cursor(self._dbs["outbox_attempts"])
        found = []
        if cursor.set_range(_layout.attempt_key(seq, 0)):
            for key, value in cursor:
                if _layout.unpack_attempt_key(bytes(key))[0] != seq:
                    break
                found.append(Attempt.from_json(seq, value))
        return found

    def last_attempt(self, seq: int) -> Attempt | None:
        """The latest attempt to deliver outbox record `seq` (None: never tried)."""
        cursor = self._txn.cursor(self._dbs["outbox_attempts"])
        if cursor.set_range(_layout.attempt_key(seq + 1, 0)):
            moved = cursor.prev()
        else:
            moved = cursor.last()
        if not moved or _layout.unpack_attempt_key(bytes(cursor.key()))[0] != seq:
            return None
        return Attempt.from_json(seq, cursor.value())

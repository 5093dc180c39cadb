"""The unit of work: the one way anything changes in the store.

`Store.unit_of_work(actor)` opens one LMDB write transaction and yields a `UnitOfWork` over it.
Within it:

- every state change (`allocate`, `move`) is checked against the lifecycle table, whoever
  makes it (the store's own commands, the print ledger, the camera, aggregation ...); an illegal
  change raises `IllegalTransition` naming the code, and nothing of the unit is written;
- every event is typed (`EventKind`), appended to the SHA-256 hash chain and entered in the
  event index, so a code's history is found without walking the log; a unit that changed the
  state of codes without an event about them refuses to commit;
- the store's hooks see each event as it is appended, and may queue outbox records (`enqueue`):
  deliveries that commit with the change they report, or not at all. A hook that needs the
  whole unit (the final states, every code an event was entered under: `codes_of`) defers its
  work to the end of the block (`at_finish`);
- each attempt to deliver an outbox record is recorded before the request leaves
  (`begin_attempt`) and with its answer (`record_answer`), each with its audit event; a
  confirmed answer takes the record out of the delivery queue.

The unit commits when its ``with`` block ends (durably: LMDB syncs on commit), and aborts,
writing nothing, if the block raises.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, BatchStatus
from jejak.engine.codes import TRANSITIONS, CodeState, Level
from jejak.engine.errors import (
    Duplicate,
    IllegalTransition,
    InvalidQuantity,
    StoreCorrupted,
    StoreError,
)
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import _event_index, _layout, links, scopes
from jejak.engine.store._core import StoreCore
from jejak.engine.store._records import Attempt, AttemptOutcome, OutboxRecord, product_to_json
from jejak.engine.store.columns import STATES, PagedColumn, PageSet, group_by_page
from jejak.engine.store.events import Chain, Event, EventKind, index_payload
from jejak.engine.store.view import CodeRef, StoreView

__all__ = ["Hook", "UnitOfWork", "allowed_mask", "duplicate_code"]

Hook = Callable[["UnitOfWork", Event], None]
"""Called with every event a unit of work appends, inside its transaction."""

_Indices = npt.NDArray[np.int64]
Codes = list[tuple[BatchRecord, Level, _Indices]]


@functools.cache
def allowed_mask(target: CodeState) -> npt.NDArray[np.bool_]:
    """A 256-entry table: which current state bytes may move to `target` (for numpy checks)."""
    mask = np.zeros(256, dtype=np.bool_)
    for state, targets in TRANSITIONS.items():
        mask[state] = target in targets
    mask.flags.writeable = False
    return mask


def duplicate_code(serial: bytes, scope: bytes) -> Duplicate:
    return Duplicate(
        f"Duplicate code {serial.decode()!r}: already issued in scope {scope.decode()!r}. "
        "Hint: BPOM issues each code once; check the file."
    )


class UnitOfWork(StoreView):
    """The writes of one transaction. Reads through it see what it has written so far."""

    __slots__ = ("_bumped", "_chain", "_covered", "_deferred", "_hooks", "_moved", "_open",
                 "_pages", "_touched", "actor")  # fmt: skip

    def __init__(self, core: StoreCore, txn: Any, actor: str, hooks: Sequence[Hook]) -> None:
        super().__init__(core, txn, cached=False)
        self.actor = actor
        self._hooks = hooks
        self._chain: Chain | None = None
        self._pages: dict[tuple[str, int, int], PageSet] = {}
        self._moved: set[tuple[int, int]] = set()
        self._covered: set[tuple[int, int]] = set()
        self._open: set[int] = set()
        self._bumped = False
        self._deferred: list[Callable[[UnitOfWork], object]] = []
        self._touched: dict[int, Codes] = {}

    # Reads see this unit's own changes ---------------------------------------------------

    def column(self, column: PagedColumn, record: BatchRecord, level: Level) -> Any:
        self._flush_pages()
        return super().column(column, record, level)

    def values(
        self, column: PagedColumn, record: BatchRecord, level: Level, indices: _Indices
    ) -> Any:
        self._flush_pages()
        return super().values(column, record, level, indices)

    def state_of(self, record: BatchRecord, level: Level, index: int) -> CodeState:
        self._flush_pages()
        return super().state_of(record, level, index)

    def _flush_pages(self) -> None:
        for pages in self._pages.values():
            pages.flush()

    # Records -------------------------------------------------------------------------------

    def put_product(self, product: Product) -> None:
        key = product.nie.value.encode()
        if self._txn.get(key, db=self._dbs["products"]) is not None:
            raise Duplicate(
                f"Product with NIE {product.nie.value!r} already exists. Hint: list products "
                "with `jejak product list`; an NIE is registered once."
            )
        self._txn.put(key, product_to_json(product), db=self._dbs["products"])

    def put_batch(self, record: BatchRecord, *, new: bool = False) -> None:
        """Write a batch record (a new one when `new`: its number must be free)."""
        key = record.batch.encode()
        if new and self._txn.get(key, db=self._dbs["batches"]) is not None:
            raise Duplicate(
                f"Batch {record.batch!r} already exists. Hint: batch numbers are unique in a "
                "store; see it with `jejak batch show`."
            )
        self._txn.put(key, record.to_json(), db=self._dbs["batches"])
        self._txn.put(_layout.batch_id_key(record.batch_id), key, db=self._dbs["batch_ids"])
        self._bump()

    def next_batch_id(self) -> int:
        cursor = self._txn.cursor(self._dbs["batch_ids"])
        return int.from_bytes(cursor.key(), "big") + 1 if cursor.last() else 1

    def put_meta(self, key: bytes, value: bytes) -> None:
        self._txn.put(key, value, db=self._dbs["meta"])
        self._bump()

    def meta(self, key: bytes) -> bytes | None:
        value = self._txn.get(key, db=self._dbs["meta"])
        return None if value is None else bytes(value)

    def _bump(self) -> None:
        if not self._bumped:
            self._txn.put(b"generation", str(self.generation() + 1).encode(), db=self._dbs["meta"])
            self._bumped = True

    # Scopes, counters, ranges, imported codes ----------------------------------------------

    def register_serial_scope(self, scope: bytes, fmt: SerialFormat) -> None:
        scopes.register_serial_scope(self._txn, self._dbs["scopes"], scope, fmt)

    def register_sscc_scope(self, sscc: SsccFormat) -> None:
        scopes.register_sscc_scope(self._txn, self._dbs["scopes"], sscc)

    def advance_counter(self, scope: bytes, epoch: int, count: int) -> int:
        """Move the local counter of (scope, epoch) on by `count`; the first counter granted."""
        start = self.issued(scope, epoch)
        self._txn.put(_layout.counter_key(scope, epoch), _layout.u64(start + count),
                      db=self._dbs["counters"])  # fmt: skip
        self.event(EventKind.RANGE_RESERVE, {"scope": scope.decode("ascii"), "epoch": epoch,
                                             "start": start, "count": count})  # fmt: skip
        return start

    def record_range(
        self, scope: bytes, epoch: int, start: int, owner: tuple[int, Level, int], count: int
    ) -> None:
        """Record that counters start.. of (scope, epoch) belong to `owner` (batch id, level,
        index of the first code); a range recorded before is never taken over."""
        key = _layout.range_key(scope, epoch, start)
        if self._txn.get(key, db=self._dbs["ranges"]) is not None:
            raise StoreCorrupted(
                f"Counter range at {start} of scope {scope.decode()!r} is already recorded. "
                "Hint: the range source granted it twice; check its configuration."
            )
        batch_id, level, first = owner
        self._txn.put(key, _layout.range_value(batch_id, level, first, count),
                      db=self._dbs["ranges"])  # fmt: skip

    def put_imported(
        self, scope: bytes, record: BatchRecord, level: Level, serials: Sequence[bytes],
        first: int,
    ) -> None:  # fmt: skip
        """Index BPOM-issued serials as codes first.. of a level; refuse one issued before."""
        issued_db, list_db = self._dbs["issued"], self._dbs["issued_list"]
        for index, serial in enumerate(serials, start=first):
            value = _layout.issued_list_key(record.batch_id, level, index)
            if not self._txn.put(_layout.issued_key(scope, serial), value, db=issued_db,
                                 overwrite=False):  # fmt: skip
                raise duplicate_code(serial, scope)
            self._txn.put(value, serial, db=list_db)

    # Per-code state ------------------------------------------------------------------------

    def allocate(self, record: BatchRecord, level: Level, first: int, count: int) -> None:
        """Codes first..first+count-1 of a level become Allocated (from Unassigned)."""
        if count:
            self.move(record, level, np.arange(first, first + count, dtype=np.int64),
                      CodeState.ALLOCATED, check_open=False)  # fmt: skip

    def move(
        self, record: BatchRecord, level: Level, indices: _Indices, target: CodeState, *,
        check_open: bool = True,
    ) -> None:  # fmt: skip
        """Move codes `indices` of a level to `target`, each change checked by the table."""
        if check_open:
            self._check_open(record)
        count = record.level(level).count
        if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= count):
            wrong = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
            raise InvalidQuantity(
                f"Invalid code index {wrong} for {level.name.lower()} codes of batch "
                f"{record.batch!r}: expected 0 to {count - 1}. Hint: indices count codes "
                "within their level from 0."
            )
        states = self._page_set(STATES, record, level)
        mask = allowed_mask(target)
        for page, _, offsets in group_by_page(indices):
            values = states.page(page)
            bad = offsets[~mask[values[offsets]]]
            if bad.size:
                current = CodeState(int(values[bad[0]]))
                index = page * _layout.PAGE + int(bad[0])
                raise IllegalTransition(self.code(record, level, index).hri, current, target,
                                        TRANSITIONS[current])  # fmt: skip
            values[offsets] = target
            states.mark(page)
        self._moved.add((record.batch_id, level))

    def pages(self, column: PagedColumn, record: BatchRecord, level: Level) -> PageSet:
        """Read-modify-write access to a fixed-width column other than the states (those
        change only through `move`)."""
        if column is STATES or not column.fixed:
            raise StoreError(f"Column {column.name!r} is not written through pages().")
        return self._page_set(column, record, level)

    def put_children(self, parent: CodeRef, children: links.Refs) -> None:
        """Write a container's children (packed references; none: it holds nothing). The
        children's ``parents`` entries are written through `pages` in the same unit."""
        packed = links.pack_ref(parent.batch_id, parent.level, parent.index)
        links.put_children(self._txn, self._dbs["children"], packed, children)

    def children_of(self, parents: links.Refs) -> dict[int, links.Refs]:
        """{container: its children} for each of `parents` (packed references) that holds
        any."""
        return links.children_of(self._txn, self._dbs["children"], parents)

    def put_children_runs(self, parents: links.Refs, children: links.Refs,
                          starts: links.Refs) -> None:  # fmt: skip
        """Write the children of many containers in one go: `parents` (ascending, distinct)
        hold the runs of `children` that begin at `starts`, each run ascending."""
        links.put_children_runs(self._txn, self._dbs["children"], parents, children, starts)

    def put_page(
        self, column: PagedColumn, record: BatchRecord, level: Level, page: int, data: bytes
    ) -> None:
        """Write one opaque page (pre-generated symbols)."""
        if column.fixed:
            raise StoreError(f"Column {column.name!r} is fixed-width: use pages().")
        self._level_pages(column, record, level).put_raw_page(page, data)

    def _page_set(self, column: PagedColumn, record: BatchRecord, level: Level) -> PageSet:
        key = (column.name, record.batch_id, int(level))
        found = self._pages.get(key)
        if found is None or found.count != record.level(level).count:
            if found is not None:
                found.flush()
            found = self._level_pages(column, record, level)
            self._pages[key] = found
        return found

    def _check_open(self, record: BatchRecord) -> None:
        if record.batch_id in self._open:
            return
        if self.batch(record.batch).status is not BatchStatus.OPEN:
            raise StoreError(
                f"Batch {record.batch!r} is closed. Hint: a closed batch never changes."
            )
        self._open.add(record.batch_id)

    # Events and the outbox -----------------------------------------------------------------

    def event(
        self, kind: EventKind, data: Mapping[str, Any] | None = None, *,
        batch: BatchRecord | None = None, level: Level | None = None,
        indices: _Indices | None = None, payload: bytes | None = None,
    ) -> Event:  # fmt: skip
        """Append an event. With `batch` it is indexed as the batch's; with `level` and
        `indices` too (sorted, distinct) as an event about those codes, whose payload is
        their list unless they are one run (then `payload` may carry something else)."""
        body = dict(data or {})
        if batch is None:
            return self._append(kind, body, payload)
        body = {"batch": batch.batch, **body}
        if level is None or indices is None or not indices.size:
            event = self._append(kind, body, payload)
            _event_index.add_batch_wide(self._txn, self._dbs["event_index"], batch.batch_id,
                                        event.seq)  # fmt: skip
            self._covered.update((batch.batch_id, lv) for lv in Level)
            return event
        count = batch.level(level).count
        if int(indices[0]) < 0 or int(indices[-1]) >= count:
            wrong = int(indices[0]) if int(indices[0]) < 0 else int(indices[-1])
            raise InvalidQuantity(
                f"Invalid code index {wrong} in an event about the "
                f"{level.name.lower()} codes of batch {batch.batch!r}: expected 0 to "
                f"{count - 1}. Hint: events name codes of the batch's levels."
            )
        scattered = index_payload(indices)
        listed = None if scattered is None else indices
        if scattered is not None:
            if payload is not None:
                raise StoreError("An event about scattered codes carries their index list.")
            payload = scattered
        first, last = int(indices[0]), int(indices[-1])
        body.update({"level": level.name.lower(), "count": int(indices.size), "first": first,
                     "last": last, "contiguous": listed is None})  # fmt: skip
        event = self._append(kind, body, payload)
        _event_index.add(self._txn, self._dbs["event_index"], batch.batch_id, level, event.seq,
                         first=first, last=last, listed=listed)  # fmt: skip
        self._covered.add((batch.batch_id, level))
        self._touched.setdefault(event.seq, []).append((batch, level, indices))
        return event

    def index(self, event: Event, record: BatchRecord, level: Level, indices: _Indices) -> None:
        """Enter an event (appended by this unit) in the history of more codes, of any batch:
        one index entry for each run of consecutive indices (sorted, distinct)."""
        if not indices.size:
            return
        cuts = np.flatnonzero(np.diff(indices) != 1) + 1
        starts = np.concatenate(([0], cuts))
        ends = np.concatenate((cuts, [indices.size])) - 1
        db = self._dbs["event_index"]
        for first, last in zip(indices[starts].tolist(), indices[ends].tolist(), strict=True):
            _event_index.add(self._txn, db, record.batch_id, level, event.seq, first=first,
                             last=last)  # fmt: skip
        self._covered.add((record.batch_id, level))
        self._touched.setdefault(event.seq, []).append((record, level, indices))

    def codes_of(self, event: Event) -> Codes:
        """Every code this unit entered `event` (one it appended) under so far: (batch, level,
        sorted indices) for each `event(..., indices=...)` and `index` call about it."""
        return list(self._touched.get(event.seq, ()))

    def at_finish(self, work: Callable[[UnitOfWork], object]) -> None:
        """Run `work` with this unit when its block ends, before it commits (an error aborts
        the unit): for a hook that needs the whole unit, every change and index entry made."""
        self._deferred.append(work)

    def _append(self, kind: EventKind, body: dict[str, Any], payload: bytes | None) -> Event:
        if self._chain is None:
            self._chain = Chain(self._txn, self._dbs["events"], self._dbs["event_data"])
        event = self._chain.append(self._txn, actor=self.actor, what=kind, data=body,
                                   payload=payload)  # fmt: skip
        for hook in self._hooks:
            hook(self, event)
        return event

    def enqueue(self, topic: str, key: str, due: str, body: Mapping[str, Any],
                event: Event) -> OutboxRecord:  # fmt: skip
        """Queue a record for delivery, committed with this unit or not at all."""
        cursor = self._txn.cursor(self._dbs["outbox"])
        seq = _layout.unpack_u64(bytes(cursor.key())) + 1 if cursor.last() else 1
        record = OutboxRecord(seq, topic, key, due, event.seq, body)
        self._txn.put(_layout.u64(seq), record.to_json(), db=self._dbs["outbox"], append=True)
        self._txn.put(_layout.u64(seq), b"", db=self._dbs["outbox_queue"], append=True)
        return record

    def begin_attempt(self, record: OutboxRecord, *, started: str | None = None) -> Attempt:
        """Record that an attempt to deliver `record` begins: commit it before the request
        leaves, so that even an attempt its process never saw end is on record."""
        last = self.last_attempt(record.seq)
        when = started or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
        attempt = Attempt(record.seq, 1 if last is None else last.number + 1, when)
        self._txn.put(_layout.attempt_key(record.seq, attempt.number), attempt.to_json(),
                      db=self._dbs["outbox_attempts"])  # fmt: skip
        self.event(EventKind.OUTBOX_ATTEMPT, {"outbox": record.seq, "key": record.key,
                                              "topic": record.topic,
                                              "attempt": attempt.number})  # fmt: skip
        return attempt

    def record_answer(self, attempt: Attempt) -> bool:
        """Record how a begun attempt ended. A confirmed one marks its record sent (out of the
        delivery queue). Whether the record is sent now."""
        key = _layout.attempt_key(attempt.seq, attempt.number)
        found = self._txn.get(key, db=self._dbs["outbox_attempts"])
        begun = None if found is None else Attempt.from_json(attempt.seq, found)
        if (begun is None or begun.outcome is not AttemptOutcome.STARTED
                or attempt.outcome is AttemptOutcome.STARTED):  # fmt: skip
            raise StoreError(
                f"Attempt {attempt.number} to deliver outbox record {attempt.seq} is not one "
                "begun and unanswered; expected the answer of a begun attempt. Hint: begin "
                "each attempt with begin_attempt and answer it once."
            )
        self._txn.put(key, attempt.to_json(), db=self._dbs["outbox_attempts"])
        if attempt.outcome.confirmed:
            self._txn.delete(_layout.u64(attempt.seq), db=self._dbs["outbox_queue"])
        self.event(EventKind.OUTBOX_ANSWER, {"outbox": attempt.seq, "attempt": attempt.number,
                                             "outcome": attempt.outcome.value,
                                             "status": attempt.status,
                                             "receipt": attempt.receipt})  # fmt: skip
        return attempt.outcome.confirmed or not self.is_queued(attempt.seq)

    def finish(self) -> None:
        """Run the deferred work, write back changed pages; refuse state changes that no
        event records."""
        done = 0
        while done < len(self._deferred):  # deferred work may defer more
            self._deferred[done](self)
            done += 1
        self._flush_pages()
        unrecorded = self._moved - self._covered
        if unrecorded:
            batch_id, level = min(unrecorded)
            raise StoreError(
                f"Codes of batch id {batch_id}, level {Level(level).name.lower()} changed state "
                "with no event about them; nothing was written. Hint: a writer must record "
                "every change with UnitOfWork.event."
            )

"""The LMDB code store: products, batches, counter ranges, per-code columns and the audit trail.

One environment per site (default ``./.jejak``). Per-code data live in paged columns (one byte
of state a code, in 64 Ki-code pages), so opening a 10 M-code batch writes 10 MB in one
transaction and a state change rewrites only the pages it touches. Every change goes through a
`UnitOfWork`: checked against the lifecycle table, its typed audit event appended to the hash
chain and indexed in the same transaction; LMDB's copy-on-write commit makes each one
all-or-nothing, and readers never block the writer. Layout: `jejak.engine.store._layout`.
"""

from __future__ import annotations

import datetime as dt
import errno
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import numpy.typing as npt

from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource, LevelAllocation
from jejak.engine.codes import CLOSE_RESOLUTION, CodeState, Level
from jejak.engine.errors import InvalidQuantity, StoreError
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.serial_keys import SerialKey
from jejak.engine.serials import SerialFormat, SerialPermutation
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import _errors, _layout
from jejak.engine.store._core import StoreCore
from jejak.engine.store._opening import open_batch, open_identification
from jejak.engine.store.events import AuditReport, Event, EventKind
from jejak.engine.store.migrations import open_databases
from jejak.engine.store.ranges import LocalRangeSource, RangeSource
from jejak.engine.store.reconcile import reconcile
from jejak.engine.store.resolve import Resolution, resolve
from jejak.engine.store.unit_of_work import Hook, UnitOfWork
from jejak.engine.store.view import CodeRef, StoreView

__all__ = ["CHUNKS_PER_TXN", "DEFAULT_MAP_SIZE", "Store"]

DEFAULT_MAP_SIZE = 1 << 36  # 64 GiB of address space; the file grows only as data is written
CHUNKS_PER_TXN = 256  # 16 Mi codes per write transaction in bulk state changes


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """A site's store. Use as a context manager; one process may hold many readers.

    `ranges` grants counter ranges (default: the store's own counters); `hooks` see every event
    a unit of work appends, inside its transaction (the reporting outbox is filled by one).
    """

    def __init__(
        self, path: str | Path, *, map_size: int = DEFAULT_MAP_SIZE,
        ranges: RangeSource | None = None, hooks: Sequence[Hook] = (),
    ) -> None:  # fmt: skip
        self.path = Path(path)
        self.map_size = map_size
        with _errors.opening(self.path):
            env = _open_environment(self.path, map_size)
            try:
                dbs = open_databases(env, str(self.path))
            except BaseException:
                env.close()
                raise
        self._core = StoreCore(self.path, env, dbs)
        self.keyring = self._core.keyring
        self.ranges: RangeSource = ranges if ranges is not None else \
            LocalRangeSource(self.view, self.unit_of_work)  # fmt: skip
        self.hooks: list[Hook] = list(hooks)

    def close(self) -> None:
        self._core.env.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def view(self) -> Iterator[StoreView]:
        """A consistent read-only view (one read transaction)."""
        with self._core.env.begin() as txn:
            yield StoreView(self._core, txn)

    @contextmanager
    def unit_of_work(self, actor: str) -> Iterator[UnitOfWork]:
        """One write transaction: commits when the block ends, writes nothing if it raises."""
        with _errors.writing(self.path, self.map_size), \
                self._core.env.begin(write=True) as txn:  # fmt: skip
            uow = UnitOfWork(self._core, txn, actor, tuple(self.hooks))
            yield uow
            uow.finish()

    # Products ------------------------------------------------------------------------------

    def add_product(self, product: Product, *, actor: str) -> None:
        with self.unit_of_work(actor) as uow:
            uow.put_product(product)
            uow.event(EventKind.PRODUCT_ADD, {"nie": product.nie.value,
                                              "method": product.method.value})  # fmt: skip

    def product(self, nie: str) -> Product:
        with self.view() as view:
            return view.product(nie)

    def products(self) -> list[Product]:
        with self.view() as view:
            return view.products()

    # Serial keys ---------------------------------------------------------------------------

    def key_for(self, epoch: int, view: StoreView | None = None) -> SerialKey:
        if view is None:
            with self.view() as own:
                return self.key_for(epoch, own)
        return self._core.key(epoch, view.key_id(epoch))

    def current_key(self, *, actor: str) -> SerialKey:
        """The key of the current epoch, generating and recording epoch 0 on first use."""
        with self.view() as view:
            epoch = _current_epoch(view)
            if epoch is not None:
                return self.key_for(epoch, view)
        key = self._key_file(0)  # the file first: no I/O inside the write transaction
        with self.unit_of_work(actor) as uow:
            if _current_epoch(uow) is None:
                _record_epoch(uow, key, EventKind.KEY_CREATE)
                return key
            return self.key_for(_current_epoch(uow) or 0, uow)

    def rotate_key(self, *, actor: str) -> SerialKey:
        """Start a new key epoch: later serials carry its tag and can never collide with earlier."""
        with self.view() as view:
            current = _current_epoch(view)
        epoch = 0 if current is None else current + 1
        key = self._key_file(epoch)
        with self.unit_of_work(actor) as uow:
            if _current_epoch(uow) != current:
                raise StoreError("The serial key was rotated meanwhile. Hint: check `jejak "
                                 "audit verify` and rotate again if still needed.")  # fmt: skip
            _record_epoch(uow, key, EventKind.KEY_ROTATE)
        return key

    def _key_file(self, epoch: int) -> SerialKey:
        # A key file left by a unit of work that never committed is adopted, never overwritten.
        return self.keyring.load(epoch) if epoch in self.keyring.epochs() else \
            self.keyring.create(epoch)  # fmt: skip

    def permutation(self, record: BatchRecord) -> SerialPermutation:
        """The permutation that formats a batch's self-issued serials (cached)."""
        with self.view() as view:
            return view.permutation(record)

    # Batches -------------------------------------------------------------------------------

    def open_batch(
        self, request: CodeRequest, *, serial_format: SerialFormat, overage_pct: float = 0.0,
        imported: Sequence[bytes] | None = None, sscc: SsccFormat | None = None, actor: str,
    ) -> BatchRecord:  # fmt: skip
        """Open a batch and allocate its codes: all levels in one unit of work, all or nothing.

        With `imported` (BPOM-issued serials, validated by `issued_codes`), the primary level
        draws from that list; secondary and tertiary codes are self-issued, or SSCCs of the
        site's company prefix when `sscc` is given. Counter ranges are reserved from the range
        source first, then recorded with the batch.
        """
        return open_batch(self, request, serial_format=serial_format, overage_pct=overage_pct,
                          imported=imported, sscc=sscc, actor=actor, opened_at=now())  # fmt: skip

    def open_identification(
        self, *, nie: str, batch: str, packs: int, validity: Gs1Date, expiry: Gs1Date,
        actor: str,
    ) -> BatchRecord:  # fmt: skip
        """Open an identification batch: `packs` packs that all carry (90)NIE (91)validity."""
        return open_identification(self, nie=nie, batch=batch, packs=packs, validity=validity,
                                   expiry=expiry, actor=actor, opened_at=now())  # fmt: skip

    def import_codes(
        self, batch: str, level: Level, serials: Sequence[bytes], *, actor: str
    ) -> BatchRecord:
        """Append BPOM-issued codes to an open batch's level (a level that holds imported codes,
        or an empty one); all or nothing."""
        with self.unit_of_work(actor) as uow:
            record = uow.batch(batch)
            allocation = record.level(level)
            if record.status is not BatchStatus.OPEN:
                raise StoreError(f"Batch {batch!r} is closed. Hint: a closed batch never changes.")
            if allocation.source is not CodeSource.BPOM and allocation.count:
                raise StoreError(
                    f"Batch {batch!r} has self-issued {level.name.lower()} codes: expected a "
                    "level that holds BPOM-issued codes. Hint: open the batch with --codes-from "
                    "to use BPOM's codes; one level never mixes both."
                )
            first = allocation.count
            grown = LevelAllocation(level, first + len(serials), CodeSource.BPOM)
            record = replace(record, levels=tuple(grown if a.level is level else a
                                                  for a in record.levels))  # fmt: skip
            uow.put_imported(record.scope, record, level, serials, first)
            uow.allocate(record, level, first, len(serials))
            uow.put_batch(record)
            uow.event(EventKind.CODES_IMPORT, batch=record, level=level,
                      indices=np.arange(first, first + len(serials), dtype=np.int64),
                      payload=b"\n".join(serials))  # fmt: skip
        return record

    def batch(self, batch: str) -> BatchRecord:
        with self.view() as view:
            return view.batch(batch)

    def batches(self) -> list[BatchRecord]:
        with self.view() as view:
            return view.batches()

    def counts(self, batch: str) -> dict[Level, dict[CodeState, int]]:
        """How many codes of each level are in each state."""
        with self.view() as view:
            return view.counts(view.batch(batch))

    def transition(
        self, batch: str, level: Level, indices: npt.NDArray[np.int64] | None,
        target: CodeState, *, actor: str,
    ) -> int:  # fmt: skip
        """Move codes (all of the level when `indices` is None) to `target`.

        Up to 16 Mi codes change in one unit of work: either all or, on an illegal transition,
        none. Larger changes go in chunks of that size, each with its own audit event.
        """
        record = self.batch(batch)
        if record.status is not BatchStatus.OPEN:
            raise StoreError(f"Batch {batch!r} is closed. Hint: a closed batch never changes.")
        count = record.level(level).count
        if indices is None:
            indices = np.arange(count, dtype=np.int64)
        indices = sorted_unique(np.asarray(indices, dtype=np.int64))
        if indices.size and (indices[0] < 0 or indices[-1] >= count):
            raise InvalidQuantity(
                f"Invalid code index {int(indices[0] if indices[0] < 0 else indices[-1])} for "
                f"{level.name.lower()} codes of batch {batch!r}: expected 0 to {count - 1}. "
                "Hint: indices count codes within their level from 0."
            )
        step = CHUNKS_PER_TXN * _layout.PAGE
        for lo in range(0, indices.size, step):
            part = indices[lo : lo + step]
            with self.unit_of_work(actor) as uow:
                uow.move(record, level, part, target)
                uow.event(EventKind.CODES_TRANSITION, {"to": target.label}, batch=record,
                          level=level, indices=part)  # fmt: skip
        return int(indices.size)

    def mark(self, refs: Sequence[CodeRef], target: CodeState, *, actor: str) -> int:
        """Move single codes (any batches and levels) to `target` in one unit of work: all of
        them, or none when one transition is illegal or a batch is closed."""
        groups: dict[tuple[int, Level], list[int]] = {}
        for ref in refs:
            groups.setdefault((ref.batch_id, ref.level), []).append(ref.index)
        with self.unit_of_work(actor) as uow:
            for (batch_id, level), indices in sorted(groups.items()):
                record = uow.batch_by_id(batch_id)
                part = sorted_unique(np.array(indices, dtype=np.int64))
                uow.move(record, level, part, target)
                uow.event(EventKind.CODES_TRANSITION, {"to": target.label}, batch=record,
                          level=level, indices=part)  # fmt: skip
        return sum(len(set(indices)) for indices in groups.values())

    def close_batch(self, batch: str, *, actor: str) -> dict[str, Any]:
        """Reconcile and close: void unused codes, scrap unconfirmed prints, record the counts."""
        record = self.batch(batch)
        issued = {scope_epoch: self.ranges.issued(*scope_epoch)
                  for scope_epoch in _counter_scopes(record)}  # fmt: skip
        with self.unit_of_work(actor) as uow:
            record = uow.batch(batch)
            report = reconcile(uow, record, issued)
            scrapped = []
            for allocation in record.levels:
                states = uow.states(record, allocation.level)
                for source, target in CLOSE_RESOLUTION.items():
                    moved = np.flatnonzero(states == source).astype(np.int64)
                    uow.move(record, allocation.level, moved, target)
                    if target is CodeState.LABEL_SCRAPPED and moved.size:
                        scrapped.append((allocation.level, moved))
            # Prints never confirmed are rejects to report (the outbox queues them from this
            # event, as from any transition); unused codes voided were never printed.
            for level, moved in scrapped:
                uow.event(EventKind.CODES_TRANSITION, {"to": CodeState.LABEL_SCRAPPED.label,
                                                       "reason": "batch close"},
                          batch=record, level=level, indices=np.sort(moved))  # fmt: skip
            closed = replace(record, status=BatchStatus.CLOSED, closed_at=now())
            uow.put_batch(closed)
            uow.event(EventKind.BATCH_CLOSE, {"report": report}, batch=closed)
        return report

    # Codes, events, audit ------------------------------------------------------------------

    def resolve(self, data: str) -> Resolution:
        """The code a read names (raw, ``]d2``/``]Q3``, HRI, bare serial or SSCC)."""
        with self.view() as view:
            return resolve(view, data)

    def history(self, ref: CodeRef) -> tuple[Event, ...]:
        with self.view() as view:
            return view.history(ref)

    def events(self) -> list[Event]:
        with self.view() as view:
            return list(view.events())

    def verify_audit(self) -> AuditReport:
        with self.view() as view:
            return view.verify_audit()


def _open_environment(path: Path, map_size: int) -> Any:
    """The LMDB environment in `path`: the directory 0700 and its files 0600, whatever the
    umask, so that nobody else on the line PC reads codes or the audit trail (a store made
    before this was private is made so now)."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "it is not a directory", str(path))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    env = lmdb.open(str(path), map_size=map_size, max_dbs=_layout.MAX_DATABASES,
                    max_readers=256, readahead=False, mode=0o600)  # fmt: skip
    for name in ("data.mdb", "lock.mdb"):
        file = path / name
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)
    return env


def _current_epoch(view: StoreView) -> int | None:
    epochs = view.epochs()
    return epochs[-1] if epochs else None


def _record_epoch(uow: UnitOfWork, key: SerialKey, kind: EventKind) -> None:
    uow.put_meta(f"key:{key.epoch}".encode(), key.key_id.encode())
    uow.event(kind, {"epoch": key.epoch, "key_id": key.key_id})


def _counter_scopes(record: BatchRecord) -> set[tuple[bytes, int]]:
    """The (scope, epoch) of every level of `record` that owns counter ranges."""
    found = set()
    for allocation in record.levels:
        if allocation.source is CodeSource.SSCC and record.sscc is not None:
            found.add((record.sscc.scope, 0))
        elif allocation.source is CodeSource.SELF and record.epoch is not None:
            found.add((record.scope, record.epoch))
    return found


def sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values. Sorting and comparing neighbours: numpy 2.3+'s `np.unique` is
    hash-based and about 30 times slower on millions of integers."""
    if values.size > 1 and not bool(np.all(values[1:] > values[:-1])):
        values = np.sort(values)
        values = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return values

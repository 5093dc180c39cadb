"""The LMDB code store: products, batches, counter ranges, per-code states and the audit trail.

One environment per site (default ``./.jejak``). Per-code state is one byte per code in dense
64 Ki-code pages, so opening a 10 M-code batch writes 10 MB in one transaction, and a state
change rewrites only the pages it touches. Every change and its audit event share one write
transaction; LMDB's copy-on-write commit makes each one all-or-nothing, and readers never block
the writer. Layout: `jejak.engine._lmdb_layout`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import lmdb
import numpy as np
import numpy.typing as npt

from jejak.engine import _lmdb_layout as layout
from jejak.engine import audit, scopes
from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import (
    BatchRecord,
    BatchStatus,
    CodeSource,
    LevelAllocation,
    scope_of,
)
from jejak.engine.codes import CLOSE_RESOLUTION, TRANSITIONS, CodeState, Level, allowed_mask
from jejak.engine.errors import (
    Duplicate,
    IllegalTransition,
    InvalidQuantity,
    StoreError,
    UnknownNie,
)
from jejak.engine.gs1 import AI, Element
from jejak.engine.product import Product
from jejak.engine.ranges import LocalRangeSource, RangeSource
from jejak.engine.serial_keys import SerialKey, SerialKeyring
from jejak.engine.serials import SerialFormat, SerialPermutation
from jejak.engine.sscc import SsccFormat

__all__ = ["DEFAULT_MAP_SIZE", "Store"]

DEFAULT_MAP_SIZE = 1 << 36  # 64 GiB of address space; the file grows only as data is written
CHUNKS_PER_TXN = 256  # 16 Mi codes per write transaction in bulk state changes


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ProductRecord:
    product: Product

    def to_json(self) -> bytes:
        p = self.product
        return json.dumps(
            {"nie": p.nie.value, "name": p.name, "packaging": p.packaging, "gtin": p.gtin,
             "dosage_form": p.dosage_form, "method": p.method.value, "reason": p.method_reason}
        ).encode()  # fmt: skip

    @staticmethod
    def from_json(data: bytes | memoryview) -> Product:
        raw = json.loads(bytes(data))
        method = raw["method"] if raw["reason"] else None
        return Product.parse(nie=raw["nie"], name=raw["name"], packaging=raw["packaging"],
                             gtin=raw["gtin"], dosage_form=raw["dosage_form"], method=method,
                             reason=raw["reason"])  # fmt: skip


class Store:
    """A site's store. Use as a context manager; one process may hold many readers."""

    def __init__(self, path: str | Path, *, map_size: int = DEFAULT_MAP_SIZE) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.env = lmdb.open(str(self.path), map_size=map_size, max_dbs=len(layout.DATABASES),
                             max_readers=256, readahead=False)  # fmt: skip
        self.db = {name: self.env.open_db(name.encode()) for name in layout.DATABASES}
        self.keyring = SerialKeyring(self.path)
        self._permutations: dict[tuple[SerialFormat, bytes, int], SerialPermutation] = {}
        self.ranges: RangeSource = LocalRangeSource(self.db["counters"])
        with self.env.begin(write=True) as txn:
            version = txn.get(b"schema", db=self.db["meta"])
            if version is None:
                txn.put(b"schema", layout.SCHEMA_VERSION.encode(), db=self.db["meta"])
            elif bytes(version).decode() != layout.SCHEMA_VERSION:
                raise StoreError(
                    f"Store {str(self.path)!r} has schema {bytes(version).decode()!r}: expected "
                    f"{layout.SCHEMA_VERSION!r}. Hint: use the Jejak version that wrote it."
                )

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[Any]:
        with self.env.begin(write=True) as txn:
            yield txn

    @contextmanager
    def read(self) -> Iterator[Any]:
        with self.env.begin() as txn:
            yield txn

    def _event(self, txn: Any, actor: str, what: str, data: dict[str, Any],
               payload: bytes | None = None) -> audit.Event:  # fmt: skip
        return audit.append(txn, self.db["events"], self.db["event_data"], actor=actor,
                            what=what, data=data, payload=payload)  # fmt: skip

    # Products ------------------------------------------------------------------------------

    def add_product(self, product: Product, *, actor: str) -> None:
        key = product.nie.value.encode()
        with self.write() as txn:
            if txn.get(key, db=self.db["products"]) is not None:
                raise Duplicate(
                    f"Product with NIE {product.nie.value!r} already exists. Hint: list products "
                    "with `jejak product list`; an NIE is registered once."
                )
            txn.put(key, ProductRecord(product).to_json(), db=self.db["products"])
            self._event(txn, actor, "product.add", {"nie": product.nie.value,
                                                    "method": product.method.value})  # fmt: skip

    def product(self, nie: str) -> Product:
        with self.read() as txn:
            value = txn.get(nie.encode(), db=self.db["products"])
        if value is None:
            raise UnknownNie(
                f"Unknown NIE {nie!r}: expected a product of the master. Hint: add it first "
                "with `jejak product add --nie ...`."
            )
        return ProductRecord.from_json(value)

    def products(self) -> list[Product]:
        with self.read() as txn:
            return [ProductRecord.from_json(v) for _, v in txn.cursor(self.db["products"])]

    # Serial keys ---------------------------------------------------------------------------

    def current_key(self, txn: Any, *, create: bool) -> SerialKey | None:
        """The key of the current epoch, generating epoch 0 on first use."""
        value = txn.get(b"key_epoch", db=self.db["meta"])
        if value is not None:
            epoch = int(bytes(value))
            key_id = bytes(txn.get(f"key:{epoch}".encode(), db=self.db["meta"])).decode()
            return self.keyring.load(epoch, key_id=key_id)
        if not create:
            return None
        return self._adopt_epoch(txn, 0)

    def _adopt_epoch(self, txn: Any, epoch: int) -> SerialKey:
        # A key file left by a transaction that never committed is adopted, never overwritten.
        key = self.keyring.load(epoch) if epoch in self.keyring.epochs() else None
        key = key or self.keyring.create(epoch)
        txn.put(b"key_epoch", str(epoch).encode(), db=self.db["meta"])
        txn.put(f"key:{epoch}".encode(), key.key_id.encode(), db=self.db["meta"])
        return key

    def key_for(self, epoch: int) -> SerialKey:
        with self.read() as txn:
            key_id = txn.get(f"key:{epoch}".encode(), db=self.db["meta"])
        return self.keyring.load(epoch, key_id=None if key_id is None else bytes(key_id).decode())

    def rotate_key(self, *, actor: str) -> SerialKey:
        """Start a new key epoch: later serials carry its tag and can never collide with earlier."""
        with self.write() as txn:
            current = self.current_key(txn, create=False)
            key = self._adopt_epoch(txn, 0 if current is None else current.epoch + 1)
            self._event(txn, actor, "key.rotate", {"epoch": key.epoch, "key_id": key.key_id})
        return key

    def permutation(self, record: BatchRecord) -> SerialPermutation:
        if record.serial_format is None or record.epoch is None:
            raise StoreError(f"Batch {record.batch!r} has no self-issued serials.")
        return self.permutation_of(record.serial_format, record.scope, record.epoch)

    def permutation_of(self, fmt: SerialFormat, scope: bytes, epoch: int) -> SerialPermutation:
        """The permutation of (format, scope, epoch), cached: keys never change once written."""
        cache_key = (fmt, scope, epoch)
        found = self._permutations.get(cache_key)
        if found is None:
            key = self.key_for(epoch)
            found = SerialPermutation(fmt, key=key.secret, scope=scope, epoch=epoch)
            self._permutations[cache_key] = found
        return found

    # Batches -------------------------------------------------------------------------------

    def open_batch(
        self,
        request: CodeRequest,
        *,
        serial_format: SerialFormat,
        overage_pct: float = 0.0,
        imported: Sequence[bytes] | None = None,
        sscc: SsccFormat | None = None,
        actor: str,
    ) -> BatchRecord:
        """Open a batch and allocate its codes: all levels, one transaction, all or nothing.

        With `imported` (BPOM-issued serials, validated by `issued_codes`), the primary level
        draws from that list; secondary and tertiary codes are self-issued, or SSCCs of the
        site's company prefix when `sscc` is given.
        """
        product = self.product(request.nie.value)
        request.check_gtin(product.gtin)
        gtin = request.gtin or product.gtin
        key = Element.parse(AI.GTIN, gtin) if gtin else Element.parse(AI.NIE, request.nie.value)
        scope = scope_of(key)
        factor = 1 + Fraction(str(overage_pct)) / 100  # exact: 100 at 10 % is 110, not 111
        counts = {
            Level.PRIMARY: math.ceil(request.primary_count * factor),
            Level.SECONDARY: math.ceil(request.secondary_count * factor),
            Level.TERTIARY: math.ceil(request.tertiary_count * factor),
        }
        if imported is not None:
            counts[Level.PRIMARY] = len(imported)
        with self.write() as txn:
            if txn.get(request.batch.encode(), db=self.db["batches"]) is not None:
                raise Duplicate(
                    f"Batch {request.batch!r} already exists. Hint: batch numbers are unique in "
                    "a store; see it with `jejak batch show`."
                )
            scopes.register_serial_scope(txn, self.db["scopes"], scope, serial_format)
            serial_key = self.current_key(txn, create=True)
            assert serial_key is not None  # noqa: S101 - create=True always returns a key
            epoch = serial_key.epoch
            logistic = {lv: n for lv, n in counts.items()
                        if sscc is not None and lv is not Level.PRIMARY}  # fmt: skip
            self_issued = {lv: n for lv, n in counts.items() if lv not in logistic
                           and not (imported is not None and lv is Level.PRIMARY)}  # fmt: skip
            issued = self.ranges.issued(txn, scope, epoch)
            probability = serial_format.check_capacity(issued, sum(self_issued.values()))
            batch_id = self._next_batch_id(txn)
            levels = []
            if sscc is not None:
                scopes.register_sscc_scope(txn, self.db["scopes"], sscc)
                sscc.check_capacity(self.ranges.issued(txn, sscc.scope, 0), sum(logistic.values()))
            for level, count in counts.items():
                if level in logistic:
                    assert sscc is not None  # noqa: S101 - logistic levels exist only with sscc
                    granted = self.ranges.grant(txn, sscc.scope, 0, count)
                    txn.put(layout.range_key(sscc.scope, 0, granted.start),
                            layout.range_value(batch_id, level, 0, count),
                            db=self.db["ranges"])  # fmt: skip
                    levels.append(LevelAllocation(level, count, CodeSource.SSCC, granted.start))
                elif level in self_issued:
                    granted = self.ranges.grant(txn, scope, epoch, count)
                    txn.put(layout.range_key(scope, epoch, granted.start),
                            layout.range_value(batch_id, level, 0, count),
                            db=self.db["ranges"])  # fmt: skip
                    levels.append(LevelAllocation(level, count, CodeSource.SELF, granted.start))
                else:
                    levels.append(LevelAllocation(level, count, CodeSource.BPOM))
                self._write_states(txn, batch_id, level, np.full(count, CodeState.ALLOCATED,
                                                                  np.uint8))  # fmt: skip
            if imported is not None:
                self.store_imported(txn, scope, batch_id, Level.PRIMARY, imported)
            record = BatchRecord(
                batch=request.batch, batch_id=batch_id, nie=request.nie.value, key=key,
                expiry=request.expiry, status=BatchStatus.OPEN, levels=tuple(levels),
                request={"quantity": request.primary_count,
                         "per_secondary": request.max_per_secondary,
                         "per_tertiary": request.max_per_tertiary, "overage_pct": overage_pct,
                         "production_start": None if request.production_start is None
                         else request.production_start.isoformat()},
                opened_at=_now(), serial_format=serial_format, epoch=epoch,
                key_id=serial_key.key_id, sscc=sscc,
            )  # fmt: skip
            txn.put(request.batch.encode(), record.to_json(), db=self.db["batches"])
            txn.put(layout.batch_id_key(batch_id), request.batch.encode(), db=self.db["batch_ids"])
            self._event(txn, actor, "batch.open", {
                "batch": request.batch, "scope": scope.decode(), "epoch": epoch,
                "key_id": serial_key.key_id, "guess_probability": probability,
                "levels": {a.level.name.lower(): [a.source.value, a.start, a.count]
                           for a in levels},
            })  # fmt: skip
        return record

    def _next_batch_id(self, txn: Any) -> int:
        cursor = txn.cursor(self.db["batch_ids"])
        return int.from_bytes(cursor.key(), "big") + 1 if cursor.last() else 1

    def _write_states(self, txn: Any, batch_id: int, level: int,
                      states: npt.NDArray[np.uint8], first_chunk: int = 0) -> None:  # fmt: skip
        items = [
            (layout.chunk_key(batch_id, level, first_chunk + i // layout.CHUNK),
             states[i : i + layout.CHUNK].tobytes())
            for i in range(0, states.shape[0], layout.CHUNK)
        ]  # fmt: skip
        cursor = txn.cursor(self.db["states"])
        cursor.putmulti(items, overwrite=True)

    def store_imported(
        self, txn: Any, scope: bytes, batch_id: int, level: Level, serials: Sequence[bytes],
        *, first: int = 0,
    ) -> None:  # fmt: skip
        """Index BPOM-issued serials of a level, refusing any already issued in the scope."""
        for offset, serial in enumerate(serials):
            index = first + offset
            if not txn.put(layout.issued_key(scope, serial),
                           layout.issued_list_key(batch_id, level, index),
                           db=self.db["issued"], overwrite=False):  # fmt: skip
                raise Duplicate(
                    f"Duplicate code {serial.decode()!r}: already issued in scope "
                    f"{scope.decode()!r}. Hint: BPOM issues each code once; check the file."
                )
            txn.put(layout.issued_list_key(batch_id, level, index), serial,
                    db=self.db["issued_list"])  # fmt: skip

    def import_codes(
        self, batch: str, level: Level, serials: Sequence[bytes], *, actor: str
    ) -> BatchRecord:
        """Append BPOM-issued codes to an open batch's level (a level that holds imported codes,
        or an empty one); all or nothing."""
        with self.write() as txn:
            record = self.batch(batch, txn)
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
            self.store_imported(txn, record.scope, record.batch_id, level, serials, first=first)
            states = self.states(txn, record, level)
            grown = np.concatenate([states, np.full(len(serials), CodeState.ALLOCATED, np.uint8)])
            self._write_states(txn, record.batch_id, level, grown)
            levels = tuple(
                LevelAllocation(a.level, a.count + len(serials), CodeSource.BPOM)
                if a.level is level else a
                for a in record.levels
            )  # fmt: skip
            record = replace(record, levels=levels)
            txn.put(batch.encode(), record.to_json(), db=self.db["batches"])
            self._event(txn, actor, "codes.import", {
                "batch": batch, "level": level.name.lower(), "first": first,
                "count": len(serials),
            }, payload=b"\n".join(serials))  # fmt: skip
        return record

    def batch(self, batch: str, txn: Any = None) -> BatchRecord:
        if txn is None:
            with self.read() as own:
                return self.batch(batch, own)
        value = txn.get(batch.encode(), db=self.db["batches"])
        if value is None:
            raise StoreError(
                f"Unknown batch {batch!r}. Hint: open it with `jejak batch open`, or list codes "
                "of an existing batch."
            )
        return BatchRecord.from_json(value)

    def batch_by_id(self, txn: Any, batch_id: int) -> BatchRecord:
        name = txn.get(layout.batch_id_key(batch_id), db=self.db["batch_ids"])
        return self.batch(bytes(name).decode(), txn)

    def batches(self) -> list[BatchRecord]:
        with self.read() as txn:
            return [BatchRecord.from_json(v) for _, v in txn.cursor(self.db["batches"])]

    def states(self, txn: Any, record: BatchRecord, level: Level) -> npt.NDArray[np.uint8]:
        """The state byte of every code of a level, in index order (a fresh array)."""
        return self.code_bytes(txn, "states", record, level)

    def code_bytes(
        self, txn: Any, name: str, record: BatchRecord, level: Level
    ) -> npt.NDArray[np.uint8]:
        """The byte of every code of a level in the per-code pages of database `name` (``states``
        or ``prints``), in index order; 0 where no page was written."""
        count = record.level(level).count
        out = np.zeros(count, dtype=np.uint8)
        first = layout.chunk_key(record.batch_id, level, 0)
        cursor = txn.cursor(self.db[name])
        if count and cursor.set_key(first):
            for key, value in cursor:
                batch_id, lv, chunk = layout.unpack_chunk_key(key)
                if batch_id != record.batch_id or lv != level:
                    break
                page = np.frombuffer(value, dtype=np.uint8)
                out[chunk * layout.CHUNK : chunk * layout.CHUNK + page.shape[0]] = page
        return out

    def state_of(self, txn: Any, record: BatchRecord, level: Level, index: int) -> CodeState:
        """The state of one code: one page read."""
        chunk, offset = divmod(index, layout.CHUNK)
        page = txn.get(layout.chunk_key(record.batch_id, level, chunk), db=self.db["states"])
        return CodeState(bytes(page)[offset] if page is not None else CodeState.UNASSIGNED)

    def counts(self, batch: str) -> dict[Level, dict[CodeState, int]]:
        """How many codes of each level are in each state."""
        with self.read() as txn:
            record = self.batch(batch, txn)
            result = {}
            for allocation in record.levels:
                tally = np.bincount(self.states(txn, record, allocation.level), minlength=256)
                result[allocation.level] = {s: int(tally[s]) for s in CodeState if tally[s]}
        return result

    def imported_serials(self, txn: Any, record: BatchRecord, level: Level) -> list[bytes]:
        prefix = layout.issued_list_key(record.batch_id, level, 0)[:5]
        cursor = txn.cursor(self.db["issued_list"])
        found = []
        if cursor.set_range(prefix):
            for key, value in cursor:
                if key[:5] != prefix:
                    break
                found.append(bytes(value))
        return found

    # State changes -------------------------------------------------------------------------

    def transition(
        self, batch: str, level: Level, indices: npt.NDArray[np.int64] | None,
        target: CodeState, *, actor: str,
    ) -> int:  # fmt: skip
        """Move codes (all of the level when `indices` is None) to `target`.

        Up to 16 Mi codes change in one transaction: either all or, on an illegal transition,
        none. Larger changes go in chunks of that size, each with its own audit event.
        """
        with self.read() as txn:
            record = self.batch(batch, txn)
        if record.status is not BatchStatus.OPEN:
            raise StoreError(f"Batch {batch!r} is closed. Hint: a closed batch never changes.")
        count = record.level(level).count
        if indices is None:
            indices = np.arange(count, dtype=np.int64)
        indices = _sorted_unique(np.asarray(indices, dtype=np.int64))
        if indices.size and (indices[0] < 0 or indices[-1] >= count):
            raise InvalidQuantity(
                f"Invalid code index {int(indices[0] if indices[0] < 0 else indices[-1])} for "
                f"{level.name.lower()} codes of batch {batch!r}: expected 0 to {count - 1}. "
                "Hint: indices count codes within their level from 0."
            )
        mask = allowed_mask(target)
        step = CHUNKS_PER_TXN * layout.CHUNK
        changed = 0
        for lo in range(0, indices.size, step):
            part = indices[lo : lo + step]
            pages = part // layout.CHUNK
            with self.write() as txn:
                # Checked again inside each write: a close committed meanwhile must win.
                if self.batch(batch, txn).status is not BatchStatus.OPEN:
                    raise StoreError(
                        f"Batch {batch!r} is closed. Hint: a closed batch never changes."
                    )
                for group in np.split(part, np.flatnonzero(np.diff(pages)) + 1):
                    chunk = int(group[0]) // layout.CHUNK
                    key = layout.chunk_key(record.batch_id, level, chunk)
                    page = np.frombuffer(txn.get(key, db=self.db["states"]), np.uint8).copy()
                    sel = group - chunk * layout.CHUNK
                    bad = sel[~mask[page[sel]]]
                    if bad.size:
                        current = CodeState(page[bad[0]])
                        code = self.describe_code(
                            txn, record, level, chunk * layout.CHUNK + int(bad[0])
                        )
                        raise IllegalTransition(code, current, target, TRANSITIONS[current])
                    page[sel] = target
                    txn.put(key, page.tobytes(), db=self.db["states"])
                payload = audit.index_payload(part)
                self._event(txn, actor, "codes.transition", {
                    "batch": batch, "level": level.name.lower(), "to": target.label,
                    "count": int(part.size), "first": int(part[0]), "last": int(part[-1]),
                    "contiguous": payload is None,
                }, payload=payload)  # fmt: skip
            changed += int(part.size)
        return changed

    def describe_code(self, txn: Any, record: BatchRecord, level: Level, index: int) -> str:
        """The HRI of code `index` of a level, for messages."""
        allocation = record.level(level)
        if allocation.source is CodeSource.BPOM:
            key = layout.issued_list_key(record.batch_id, level, index)
            serial = bytes(txn.get(key, db=self.db["issued_list"])).decode()
        elif allocation.source is CodeSource.SSCC:
            serial = record.sscc_digits(level, index)
        else:
            assert allocation.start is not None  # noqa: S101 - self-issued levels have a start
            serial = self.permutation(record).serial(allocation.start + index)
        return record.level_code(level, serial).hri

    def close_batch(self, batch: str, *, actor: str) -> dict[str, Any]:
        """Reconcile and close: void unused codes, scrap unconfirmed prints, record the counts."""
        from jejak.engine.reconcile import reconcile  # noqa: PLC0415 - reconcile imports store

        with self.write() as txn:
            record = self.batch(batch, txn)
            report = reconcile(self, txn, record)
            for allocation in record.levels:
                states = self.states(txn, record, allocation.level)
                for source, target in CLOSE_RESOLUTION.items():
                    states[states == source] = target
                self._write_states(txn, record.batch_id, allocation.level, states)
            closed = record.closed()
            txn.put(batch.encode(), closed.to_json(), db=self.db["batches"])
            self._event(txn, actor, "batch.close", {"batch": batch, "report": report})
        return report

    # Audit ---------------------------------------------------------------------------------

    def events(self) -> list[audit.Event]:
        with self.read() as txn:
            return list(audit.events(txn, self.db["events"]))

    def verify_audit(self) -> audit.AuditReport:
        with self.read() as txn:
            return audit.verify(txn, self.db["events"], self.db["event_data"])


def _sorted_unique(values: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values. Sorting and comparing neighbours: numpy 2.3+'s `np.unique` is
    hash-based and about 30 times slower on millions of integers."""
    if values.size > 1 and not bool(np.all(values[1:] > values[:-1])):
        values = np.sort(values)
        values = values[np.concatenate(([True], values[1:] != values[:-1]))]
    return values

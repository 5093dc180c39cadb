"""Opening a batch: counts per level, ranges reserved from the range source, then one unit of
work that records the batch, its ranges and its codes' states, and the batch.open event."""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from fractions import Fraction
from typing import Protocol

from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource, LevelAllocation
from jejak.engine.batch_record import scope_of as scope_of_key
from jejak.engine.codes import Level
from jejak.engine.errors import Duplicate, InvalidCombination, InvalidQuantity, StoreError
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.nie import Method
from jejak.engine.product import Product
from jejak.engine.serial_keys import SerialKey
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import scopes
from jejak.engine.store.events import EventKind
from jejak.engine.store.ranges import CounterRange, RangeSource
from jejak.engine.store.unit_of_work import UnitOfWork, duplicate_code
from jejak.engine.store.view import StoreView

__all__ = ["Opener", "open_batch", "open_identification"]


class Opener(Protocol):
    """What opening a batch needs of the store."""

    @property
    def ranges(self) -> RangeSource: ...

    def product(self, nie: str) -> Product: ...

    def current_key(self, *, actor: str) -> SerialKey: ...

    def view(self) -> AbstractContextManager[StoreView]: ...

    def unit_of_work(self, actor: str) -> AbstractContextManager[UnitOfWork]: ...


def _counts(request: CodeRequest, overage_pct: float, imported: Sequence[bytes] | None) -> dict[
    Level, int
]:  # fmt: skip
    factor = 1 + Fraction(str(overage_pct)) / 100  # exact: 100 at 10 % is 110, not 111
    counts = {
        Level.PRIMARY: math.ceil(request.primary_count * factor),
        Level.SECONDARY: math.ceil(request.secondary_count * factor),
        Level.TERTIARY: math.ceil(request.tertiary_count * factor),
    }
    if imported is not None:
        counts[Level.PRIMARY] = len(imported)
    return counts


def _sources(
    counts: dict[Level, int], imported: Sequence[bytes] | None, sscc: SsccFormat | None
) -> dict[Level, CodeSource]:
    sources: dict[Level, CodeSource] = {}
    for level in counts:
        if imported is not None and level is Level.PRIMARY:
            sources[level] = CodeSource.BPOM
        elif sscc is not None and level is not Level.PRIMARY:
            sources[level] = CodeSource.SSCC
        else:
            sources[level] = CodeSource.SELF
    return sources


def open_batch(
    store: Opener, request: CodeRequest, *, serial_format: SerialFormat, overage_pct: float,
    imported: Sequence[bytes] | None, sscc: SsccFormat | None, actor: str, opened_at: str,
) -> BatchRecord:  # fmt: skip
    product = store.product(request.nie.value)
    request.check_gtin(product.gtin)
    gtin = request.gtin or product.gtin
    key = Element.parse(AI.GTIN, gtin) if gtin else Element.parse(AI.NIE, request.nie.value)
    scope = scope_of_key(key)
    counts = _counts(request, overage_pct, imported)
    sources = _sources(counts, imported, sscc)
    epoch = _precheck(store, request.batch, scope, serial_format=serial_format, sscc=sscc,
                      imported=imported)  # fmt: skip
    self_issued = sum(n for lv, n in counts.items() if sources[lv] is CodeSource.SELF)
    probability = serial_format.check_capacity(store.ranges.issued(scope, epoch), self_issued)
    if sscc is not None:
        logistic = sum(n for lv, n in counts.items() if sources[lv] is CodeSource.SSCC)
        sscc.check_capacity(store.ranges.issued(sscc.scope, 0), logistic)
    granted: dict[Level, list[CounterRange]] = {}
    for source, (range_scope, range_epoch) in _counter_scopes(scope, epoch, sscc).items():
        wanted = {lv: n for lv, n in counts.items() if sources[lv] is source and n}
        if wanted:
            total = sum(wanted.values())
            ranges = _reserve(store, range_scope, range_epoch, total, actor)
            fmt = sscc if sscc is not None and source is CodeSource.SSCC else serial_format
            fmt.check_capacity(max(r.stop for r in ranges) - total, total)
            granted.update(_split(ranges, wanted))
    serial_key = store.current_key(actor=actor)
    levels = tuple(
        LevelAllocation(level, count, sources[level],
                        tuple((r.start, r.count) for r in granted.get(level, ())))
        for level, count in counts.items()
    )  # fmt: skip
    with store.unit_of_work(actor) as uow:
        if serial_key.epoch != epoch or _current(uow.epochs()) != epoch:
            raise StoreError("The serial key was rotated while the batch opened. Hint: open "
                             "the batch again; its reserved serials are never used.")  # fmt: skip
        uow.register_serial_scope(scope, serial_format)
        if sscc is not None:
            uow.register_sscc_scope(sscc)
        record = _record(request, batch_id=uow.next_batch_id(), key=key, levels=levels,
                         serial_format=serial_format, serial_key=serial_key, sscc=sscc,
                         overage_pct=overage_pct, opened_at=opened_at)  # fmt: skip
        uow.put_batch(record, new=True)
        for level, ranges in granted.items():
            first = 0
            for part in ranges:
                uow.record_range(part.scope, part.epoch, part.start,
                                 (record.batch_id, level, first), part.count)  # fmt: skip
                first += part.count
        for allocation in levels:
            uow.allocate(record, allocation.level, 0, allocation.count)
        if imported is not None:
            uow.put_imported(scope, record, Level.PRIMARY, imported, 0)
        uow.event(EventKind.BATCH_OPEN, {
            "scope": scope.decode(), "epoch": epoch, "key_id": serial_key.key_id,
            "guess_probability": probability,
            "levels": {a.level.name.lower(): [a.source.value, a.start, a.count] for a in levels},
            "ranges": {a.level.name.lower(): [list(r) for r in a.ranges] for a in levels
                       if len(a.ranges) > 1},
        }, batch=record)  # fmt: skip
    return record


def open_identification(
    store: Opener, *, nie: str, batch: str, packs: int, validity: Gs1Date, expiry: Gs1Date,
    actor: str, opened_at: str,
) -> BatchRecord:  # fmt: skip
    """Open an identification batch (Art. 14-16): `packs` pack slots that all carry the one
    code (90)NIE (91)validity. No serials, no request to BPOM, no aggregation; each slot has a
    state, a print outcome and a verdict, so the line's counts reconcile as a batch's do."""
    product = store.product(nie)
    if product.method is not Method.IDENTIFICATION:
        raise InvalidCombination(
            f"Invalid identification batch for NIE {nie!r}: its product needs "
            f"{product.method.value} (serialized codes). Hint: open the batch with "
            "`jejak batch open`."
        )
    if isinstance(packs, bool) or not isinstance(packs, int) or not 0 < packs <= 10**9:
        raise InvalidQuantity(f"Invalid pack count {packs!r}: expected 1 to 1,000,000,000. "
                              "Hint: the packs the line will run.")  # fmt: skip
    Element.parse(AI.BATCH, batch)
    code = ElementString.identification(nie=nie, validity=validity)
    with store.view() as view:
        if view.batch_exists(batch):
            raise Duplicate(f"Batch {batch!r} already exists. Hint: batch numbers are unique "
                            "in a store; see it with `jejak batch show`.")  # fmt: skip
    levels = tuple(LevelAllocation(level, packs if level is Level.PRIMARY else 0,
                                   CodeSource.IDENTIFICATION) for level in Level)  # fmt: skip
    with store.unit_of_work(actor) as uow:
        record = BatchRecord(
            batch=batch, batch_id=uow.next_batch_id(), nie=nie, key=Element.parse(AI.NIE, nie),
            expiry=expiry, status=BatchStatus.OPEN, levels=levels,
            request={"kind": "identification", "packs": packs}, opened_at=opened_at,
            validity=validity,
        )  # fmt: skip
        uow.put_batch(record, new=True)
        uow.allocate(record, Level.PRIMARY, 0, packs)
        uow.event(EventKind.BATCH_OPEN, {"code": code.hri, "packs": packs,
                                         "levels": {"primary": ["identification", None, packs]}},
                  batch=record)  # fmt: skip
    return record


def _precheck(
    store: Opener, batch: str, scope: bytes, *, serial_format: SerialFormat,
    sscc: SsccFormat | None, imported: Sequence[bytes] | None,
) -> int:  # fmt: skip
    """Refuse what the unit of work would refuse, before any range is reserved; the key epoch
    the batch will use (0 before the first key exists: it is made after these checks)."""
    with store.view() as view:
        if view.batch_exists(batch):
            raise Duplicate(
                f"Batch {batch!r} already exists. Hint: batch numbers are unique in a store; see "
                "it with `jejak batch show`."
            )
        scopes.check_serial_scope(view.serial_format(scope), scope, serial_format)
        if sscc is not None:
            scopes.check_sscc_scope([s for s, _ in view.sscc_scopes()], sscc)
        for serial in imported or ():
            if view.issued_ref(scope, serial) is not None:
                raise duplicate_code(serial, scope)
        return _current(view.epochs()) or 0


def _record(
    request: CodeRequest, *, batch_id: int, key: Element, levels: tuple[LevelAllocation, ...],
    serial_format: SerialFormat, serial_key: SerialKey, sscc: SsccFormat | None,
    overage_pct: float, opened_at: str,
) -> BatchRecord:  # fmt: skip
    start = request.production_start
    return BatchRecord(
        batch=request.batch, batch_id=batch_id, nie=request.nie.value, key=key,
        expiry=request.expiry, status=BatchStatus.OPEN, levels=levels,
        request={"quantity": request.primary_count, "per_secondary": request.max_per_secondary,
                 "per_tertiary": request.max_per_tertiary, "overage_pct": overage_pct,
                 "production_start": None if start is None else start.isoformat()},
        opened_at=opened_at, serial_format=serial_format, epoch=serial_key.epoch,
        key_id=serial_key.key_id, sscc=sscc,
    )  # fmt: skip


def _counter_scopes(
    scope: bytes, epoch: int, sscc: SsccFormat | None
) -> dict[CodeSource, tuple[bytes, int]]:
    found = {CodeSource.SELF: (scope, epoch)}
    if sscc is not None:
        found[CodeSource.SSCC] = (sscc.scope, 0)
    return found


def _split(ranges: list[CounterRange], wanted: dict[Level, int]) -> dict[Level, list[CounterRange]]:
    """Share granted ranges out to the levels in order: each level its count of counters.

    >>> r = [CounterRange(b"s", 0, 0, 5), CounterRange(b"s", 0, 100, 5)]
    >>> {lv.name: [(x.start, x.count) for x in parts]
    ...  for lv, parts in _split(r, {Level.PRIMARY: 7, Level.SECONDARY: 3}).items()}
    {'PRIMARY': [(0, 5), (100, 2)], 'SECONDARY': [(102, 3)]}
    """
    out: dict[Level, list[CounterRange]] = {}
    queue = list(ranges)
    for level, count in wanted.items():
        parts: list[CounterRange] = []
        left = count
        while left:
            head = queue.pop(0)
            take = min(left, head.count)
            parts.append(CounterRange(head.scope, head.epoch, head.start, take))
            if take < head.count:
                queue.insert(0, CounterRange(head.scope, head.epoch, head.start + take,
                                             head.count - take))  # fmt: skip
            left -= take
        out[level] = parts
    return out


def _reserve(store: Opener, scope: bytes, epoch: int, count: int, actor: str) -> list[CounterRange]:
    ranges = list(store.ranges.reserve(scope, epoch, count, actor=actor))
    if sum(r.count for r in ranges) != count or any(
        r.scope != scope or r.epoch != epoch or r.count <= 0 for r in ranges
    ):
        raise StoreError(
            f"The range source granted {[(r.start, r.count) for r in ranges]} for {count} "
            f"counters of scope {scope.decode()!r}: expected ranges of that scope adding up to "
            f"{count}. Hint: check the range source."
        )
    return ranges


def _current(epochs: list[int]) -> int | None:
    return epochs[-1] if epochs else None

"""Batch reconciliation: every allocated code accounted for in exactly one state.

Before a batch closes, each level must balance: every code has a state page entry with a known
state, the per-state counts add up to the level's allocation, self-issued levels own exactly the
counter range their record names (and the scope's counter has moved past it), and imported
levels hold exactly as many codes as allocated. The report shows the counts before and after the
close rules: unused (Allocated) codes are voided as SNInvalid, never reissued; codes sent to a
printer whose outcome was never confirmed (Encoded, LabelSampled) are scrapped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from jejak.engine import _lmdb_layout as layout
from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource, LevelAllocation
from jejak.engine.codes import CLOSE_RESOLUTION, CodeState
from jejak.engine.errors import StoreCorrupted, StoreError

if TYPE_CHECKING:
    from jejak.engine.store import Store

__all__ = ["reconcile"]


def reconcile(store: Store, txn: Any, record: BatchRecord) -> dict[str, Any]:
    """Check that `record` balances and report the close; raise `StoreCorrupted` if it does not."""
    if record.status is BatchStatus.CLOSED:
        raise StoreError(
            f"Batch {record.batch!r} is already closed (at {record.closed_at}). Hint: a closed "
            "batch is final; its codes are never reissued."
        )
    problems: list[str] = []
    levels: dict[str, Any] = {}
    for allocation in record.levels:
        name = allocation.level.name.lower()
        states = store.states(txn, record, allocation.level)
        tally = np.bincount(states, minlength=256)
        known = sum(int(tally[s]) for s in CodeState)
        missing = int(tally[CodeState.UNASSIGNED] + tally[CodeState.UNALLOCATED])
        if missing:
            problems.append(f"{name}: {missing} of {allocation.count} codes have no state")
        if known != allocation.count:
            problems.append(f"{name}: {allocation.count - known} codes hold an unknown state")
        problems += _check_source(store, txn, record, allocation)
        before = {s.label: int(tally[s]) for s in CodeState if tally[s]}
        after: dict[str, int] = {}
        for state in CodeState:
            target = CLOSE_RESOLUTION.get(state, state)
            if tally[state]:
                after[target.label] = after.get(target.label, 0) + int(tally[state])
        levels[name] = {
            "allocated": allocation.count,
            "before": before,
            "after": after,
            "voided": int(tally[CodeState.ALLOCATED]),
            "scrapped": int(tally[CodeState.ENCODED] + tally[CodeState.LABEL_SAMPLED]),
        }
    if problems:
        raise StoreCorrupted(
            f"Batch {record.batch!r} does not reconcile: {'; '.join(problems)}. Nothing was "
            "changed. Hint: run `jejak audit verify` and restore the store from backup if the "
            "audit chain is broken."
        )
    return {"batch": record.batch, "levels": levels}


def _check_source(
    store: Store, txn: Any, record: BatchRecord, allocation: LevelAllocation
) -> list[str]:
    name, count = allocation.level.name.lower(), allocation.count
    if allocation.source is CodeSource.BPOM:
        found = len(store.imported_serials(txn, record, allocation.level))
        return [] if found == count else [f"{name}: {found} imported codes for {count} allocated"]
    if allocation.source is CodeSource.SSCC:
        if record.sscc is None or allocation.start is None:
            return [f"{name}: SSCC codes without an SSCC format or range"]
        scope, epoch = record.sscc.scope, 0
    elif allocation.start is None or record.epoch is None:
        return [f"{name}: self-issued codes without a counter range"]
    else:
        scope, epoch = record.scope, record.epoch
    key = layout.range_key(scope, epoch, allocation.start)
    value = txn.get(key, db=store.db["ranges"])
    expected = (record.batch_id, allocation.level, 0, count)
    if value is None or layout.unpack_range_value(bytes(value)) != expected:
        return [f"{name}: counter range at {allocation.start} is not recorded for this batch"]
    if store.ranges.issued(txn, scope, epoch) < allocation.start + count:
        return [f"{name}: the scope counter is behind the batch's range (serials could repeat)"]
    return []

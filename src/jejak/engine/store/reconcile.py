"""Batch reconciliation: every allocated code accounted for in exactly one state.

Before a batch closes, each level must balance: every code has a state page entry with a known
state, the per-state counts add up to the level's allocation, self-issued levels own exactly the
counter range their record names (and the scope's counter has moved past it), and imported
levels hold exactly as many codes as allocated. The report shows the counts before and after the
close rules: unused (Allocated) codes are voided as SNInvalid, never reissued; codes sent to a
printer whose outcome was never confirmed (Encoded, LabelSampled) are scrapped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource, LevelAllocation
from jejak.engine.codes import CLOSE_RESOLUTION, CodeState
from jejak.engine.errors import StoreCorrupted, StoreError
from jejak.engine.store.view import StoreView

__all__ = ["reconcile"]


def reconcile(
    view: StoreView, record: BatchRecord, issued: Mapping[tuple[bytes, int], int]
) -> dict[str, Any]:
    """Check that `record` balances and report the close; raise `StoreCorrupted` if it does not.

    `issued` is how far the range source has granted each (scope, epoch) the batch draws from
    (asked before the close's transaction: no I/O inside it)."""
    if record.status is BatchStatus.CLOSED:
        raise StoreError(
            f"Batch {record.batch!r} is already closed (at {record.closed_at}). Hint: a closed "
            "batch is final; its codes are never reissued."
        )
    problems: list[str] = []
    levels: dict[str, Any] = {}
    for allocation in record.levels:
        name = allocation.level.name.lower()
        states = view.states(record, allocation.level)
        tally = np.bincount(states, minlength=256)
        known = sum(int(tally[s]) for s in CodeState)
        missing = int(tally[CodeState.UNASSIGNED] + tally[CodeState.UNALLOCATED])
        if missing:
            problems.append(f"{name}: {missing} of {allocation.count} codes have no state")
        if known != allocation.count:
            problems.append(f"{name}: {allocation.count - known} codes hold an unknown state")
        problems += _check_source(view, record, allocation, issued)
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
    view: StoreView, record: BatchRecord, allocation: LevelAllocation,
    issued: Mapping[tuple[bytes, int], int],
) -> list[str]:  # fmt: skip
    name, count = allocation.level.name.lower(), allocation.count
    if allocation.source is CodeSource.IDENTIFICATION:
        return []  # pack slots: no serials, no ranges to own
    if allocation.source is CodeSource.BPOM:
        found = len(view.imported_serials(record, allocation.level))
        return [] if found == count else [f"{name}: {found} imported codes for {count} allocated"]
    if allocation.source is CodeSource.SSCC:
        if record.sscc is None or (count and not allocation.ranges):
            return [f"{name}: SSCC codes without an SSCC format or range"]
        scope, epoch = record.sscc.scope, 0
    elif (count and not allocation.ranges) or record.epoch is None:
        return [f"{name}: self-issued codes without a counter range"]
    else:
        scope, epoch = record.scope, record.epoch
    problems = []
    first = 0
    for start, size in allocation.ranges:
        expected = (record.batch_id, allocation.level, first, size)
        if view.range_record(scope, epoch, start) != expected:
            problems.append(f"{name}: counter range at {start} is not recorded for this batch")
        if issued.get((scope, epoch), 0) < start + size:
            problems.append(f"{name}: the scope counter is behind the batch's range (serials "
                            "could repeat)")  # fmt: skip
        first += size
    if first != count:
        problems.append(f"{name}: its ranges hold {first} codes for {count} allocated")
    return problems

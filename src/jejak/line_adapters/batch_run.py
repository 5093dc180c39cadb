"""A line's run of a batch: how many packs it may run, and how the batch's run ends.

A run prints the packs asked for, or every code the batch has left; a batch the line cannot
run (closed, used up, asked for more than it has) is refused before any device is touched.
The end (`finish_batch`) is the same whether the line completes or a crash is resumed: jobs
still in flight become unknown, every code the printer confirmed that has no verdict is
rejected as late, and the batch closes with its reconciliation.
"""

from __future__ import annotations

import numpy as np

from jejak.engine.batch_record import BatchRecord, BatchStatus
from jejak.engine.codes import Level
from jejak.engine.errors import InvalidQuantity, LineError
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import PRINTS, VERDICTS, Store
from jejak.engine.verification import Verdict, VerificationLedger
from jejak.line_adapters.summary import LineSummary, count_batch

__all__ = ["finish_batch", "run_units"]


def run_units(store: Store, record: BatchRecord, asked: int | None) -> int:
    """The packs a run of `record` prints: `asked`, or every code the batch has left."""
    batch = record.batch
    if isinstance(asked, bool) or (asked is not None and asked < 1):
        raise InvalidQuantity(f"Invalid pack count {asked!r}: expected 1 or more. Hint: "
                              "None runs every code the batch has left.")  # fmt: skip
    if record.status is not BatchStatus.OPEN:
        raise LineError(f"Batch {batch!r} is closed: expected an open batch. Hint: a "
                        "closed batch is reconciled for good; open a new batch for more "
                        "packs.")  # fmt: skip
    with store.view() as view:
        prints = view.column(PRINTS, record, Level.PRIMARY)
    left = int(np.count_nonzero(prints == PrintOutcome.NONE))
    if not left:
        raise LineError(f"Batch {batch!r} has no codes left to print. Hint: close it "
                        f"with `jejak batch close {batch}` to reconcile it.")  # fmt: skip
    if asked is not None and asked > left:
        raise LineError(f"Invalid pack count {asked!r} for batch {batch!r}: it has "
                        f"{left} codes left to print. Hint: run at most {left}, or leave "
                        "the count out to run them all.")  # fmt: skip
    return left if asked is None else asked


def finish_batch(store: Store, batch: str, *, actor: str, summary: LineSummary) -> LineSummary:
    """End a batch's run: jobs still in flight become unknown, every code the printer
    confirmed that has no verdict is rejected as late, the batch closes with its
    reconciliation, and the audit chain is checked."""
    record = store.batch(batch)
    for allocation in record.levels:
        PrintLedger(store, batch, allocation.level).recover(actor=actor)
    with store.view() as view:
        prints = view.column(PRINTS, record, Level.PRIMARY)
        verdicts = view.column(VERDICTS, record, Level.PRIMARY)
    rest = np.flatnonzero((prints == PrintOutcome.PRINTED) & (verdicts == Verdict.NONE))
    if rest.size:
        ledger = VerificationLedger(store, batch, Level.PRIMARY, line=summary.line)
        ledger.commit({Verdict.LATE: rest.astype(np.int64)}, actor=actor)
    store.close_batch(batch, actor=actor)
    summary.reconciled = True
    summary.audit_ok = store.verify_audit().ok
    return count_batch(store, batch, summary)

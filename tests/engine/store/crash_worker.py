"""A store writer for the crash tests to kill: run as a script, never collected as a test.

    python crash_worker.py STORE allocate [--seed N] [--stall reserve|reserved|event --stall-on K]
    python crash_worker.py STORE transition --mode slices|whole [--stall event --stall-on K]

``allocate`` opens batches of 2-5 M primary codes, one after another. ``transition`` opens a
batch of 20 M primary codes and moves them to Encoded, in slices (one transaction each, some
contiguous, some a strided set whose event carries an index payload) or in one call over the
whole level (two transactions of at most 16 Mi codes); then the next such batch, and so on.
After each commit the worker writes a line to stdout and flushes it, so a line the test has
read names a change that is durable.

``--stall`` makes the kill land at a known point: the worker writes ``stalled`` and sleeps. With
``reserve`` it stalls inside the unit of work that reserves its K-th counter range (the counter
moved, not yet committed); with ``reserved`` right after the K-th range reservation committed,
before the batch's own unit of work (the range is granted and will never be recorded); with
``event`` inside the unit of work right after its K-th batch.open / codes.transition event (the
whole change written, not yet committed). The stalls inside a transaction are store hooks, the
seam the outbox uses. Without ``--stall`` the test kills the worker after a delay, at whatever
moment that is.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

NIE = "DKL1234567890A1"
GTIN = "8991234567891"
EXPIRY = "2040-12-31"
ACTOR = "crash-worker"
PER_SECONDARY = 20
PER_TERTIARY = 50
BIG_COUNT = 20_000_000
SLICE = 1_000_000  # codes moved per transition call in slices mode
MAX_BATCHES = 200  # far more than a test waits for: the worker is always busy when killed
MAX_ROUNDS = 10
STALL_SECONDS = 600


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stall() -> None:
    emit("stalled")
    time.sleep(STALL_SECONDS)  # inside the open write transaction, until the test kills us


class StallingRanges:
    """The store's range source, stalling after its `stall_on`-th reservation committed."""

    def __init__(self, inner: Any, stall_on: int) -> None:
        self.inner = inner
        self.stall_on = stall_on
        self.reserved = 0

    def issued(self, scope: bytes, epoch: int) -> int:
        return int(self.inner.issued(scope, epoch))

    def reserve(self, scope: bytes, epoch: int, count: int, *, actor: str) -> Any:
        granted = self.inner.reserve(scope, epoch, count, actor=actor)
        self.reserved += 1
        if self.reserved == self.stall_on:
            stall()
        return granted


def stall_after_event(store: Any, what: str, stall_on: int) -> None:
    """Stall inside the unit of work right after its `stall_on`-th `what` event."""
    seen = 0

    def hook(uow: Any, event: Any) -> None:
        nonlocal seen
        if event.what == what:
            seen += 1
            if seen == stall_on:
                stall()

    store.hooks.append(hook)


def request(batch: str, count: int) -> Any:
    from jejak.engine.batch import CodeRequest

    return CodeRequest.parse(
        nie=NIE, batch=batch, expiry=EXPIRY, primary_count=count,
        max_per_secondary=PER_SECONDARY, max_per_tertiary=PER_TERTIARY,
    )  # fmt: skip


def serial_format() -> Any:
    from jejak.engine.serials import SerialFormat

    return SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)


def allocate(store: Any, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)  # noqa: S311 - batch sizes, not secrets
    if args.stall == "reserve":
        stall_after_event(store, "range.reserve", args.stall_on)
    elif args.stall == "reserved":
        store.ranges = StallingRanges(store.ranges, args.stall_on)
    elif args.stall == "event":
        stall_after_event(store, "batch.open", args.stall_on)
    fmt = serial_format()
    for number in range(1, MAX_BATCHES + 1):
        batch = f"B{number:04d}"
        store.open_batch(request(batch, rng.randint(2_000_000, 5_000_000)),
                         serial_format=fmt, actor=ACTOR)  # fmt: skip
        emit(f"committed {batch}")


def transition_slices() -> list[Any]:
    """Disjoint index sets covering the primary level: contiguous runs and strided sets."""
    import numpy as np

    slices = []
    start, contiguous = 0, True
    while start < BIG_COUNT:
        if contiguous:
            stop = min(start + SLICE, BIG_COUNT)
            slices.append(np.arange(start, stop, dtype=np.int64))
        else:  # every other code of a window: a non-contiguous set, recorded as a payload
            stop = min(start + 2 * SLICE, BIG_COUNT)
            slices.append(np.arange(start, stop, 2, dtype=np.int64))
        start, contiguous = stop, not contiguous
    return slices


def transition(store: Any, args: argparse.Namespace) -> None:
    from jejak.engine.codes import CodeState, Level

    if args.stall == "event":
        stall_after_event(store, "codes.transition", args.stall_on)
    fmt = serial_format()
    for number in range(1, MAX_ROUNDS + 1):  # more rounds than a test waits for
        batch = f"BIG{number}"
        store.open_batch(request(batch, BIG_COUNT), serial_format=fmt, actor=ACTOR)
        emit(f"committed {batch}")
        if args.mode == "whole":
            moved = store.transition(batch, Level.PRIMARY, None, CodeState.ENCODED, actor=ACTOR)
            emit(f"moved {batch} {moved}")
        else:
            for indices in transition_slices():
                moved = store.transition(batch, Level.PRIMARY, indices, CodeState.ENCODED,
                                         actor=ACTOR)  # fmt: skip
                emit(f"moved {batch} {moved}")
        emit(f"done {batch}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("store", type=Path)
    parser.add_argument("job", choices=["allocate", "transition"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mode", choices=["slices", "whole"], default="slices")
    parser.add_argument("--stall", choices=["reserve", "reserved", "event"])
    parser.add_argument("--stall-on", type=int, default=1)
    args = parser.parse_args()

    from jejak.engine.product import Product
    from jejak.engine.store import Store

    store = Store(args.store)
    store.add_product(Product.parse(nie=NIE, name="Crash test", packaging="Box",
                                    gtin=GTIN), actor=ACTOR)  # fmt: skip
    emit("ready")
    if args.job == "allocate":
        allocate(store, args)
    else:
        transition(store, args)
    emit("finished")
    time.sleep(STALL_SECONDS)  # a test that kills a finished worker sees "finished" and fails


if __name__ == "__main__":
    main()

"""The print ledger: which codes went to a printer, and what came back.

Codes go to printers in index order, drawn from the codes of a batch level that are still
`Allocated`. Taking codes for printing is one durable transaction that moves them to `Encoded`
(OPEN-SCS: the code may now be on a label) and records them as `SENT` in the ``prints`` pages —
before any of them leaves for a printer. So a crash or a power loss can only leave codes marked
as used that were never printed, never the reverse: a code that may have been printed is never
drawn again.

Printer answers settle the jobs: `PRINTED` (confirmed by the device), `FAILED` (the device says
it did not print it: the code becomes `LabelScrapped` at once) or `UNKNOWN` (the connection
dropped, or the engine restarted, with the job in a device's hands). Unknown and unconfirmed
codes stay `Encoded` and are scrapped when the batch closes; they are never sent again.

Several printers' takes and answers go in one transaction (a group commit), so one fsync
covers thousands of jobs.

>>> PrintOutcome.UNKNOWN.label
'unknown'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.store import PAGE, PRINTS, STATES, EventKind, PageSet, Store, UnitOfWork

__all__ = ["PrintLedger", "PrintOutcome", "Settled"]

_Indices = npt.NDArray[np.int64]

_EVENTS = {
    "printed": EventKind.PRINT_PRINTED,
    "failed": EventKind.PRINT_FAILED,
    "unknown": EventKind.PRINT_UNKNOWN,
}


class PrintOutcome(IntEnum):
    """One byte per code in the ``prints`` column."""

    NONE = 0  # never sent to a printer
    SENT = 1  # handed to a printer, no answer yet
    PRINTED = 2  # the device confirmed the print
    FAILED = 3  # the device said it did not print it
    UNKNOWN = 4  # sent, and nobody can tell whether it was printed

    @property
    def label(self) -> str:
        return self.name.lower()


class Settled:
    """What one `settle` call changed: the indices per outcome, and answers that were ignored."""

    __slots__ = ("ignored", "outcomes")

    def __init__(self) -> None:
        self.outcomes: dict[PrintOutcome, _Indices] = {}
        self.ignored: list[tuple[int, str]] = []  # (index, why): a late, repeated or stray answer


class PrintLedger:
    """The print state of one batch level, for the engine that streams it to printers."""

    def __init__(self, store: Store, batch: str, level: Level) -> None:
        self.store, self.level = store, level
        self.record: BatchRecord = store.batch(batch)
        self.allocation = self.record.level(level)
        self.count = self.allocation.count
        self._cursor = 0  # every code below it has been taken or was not Allocated

    # Reading --------------------------------------------------------------------------------

    def remaining(self) -> int:
        """How many codes are still `Allocated` (may still be drawn)."""
        with self.store.view() as view:
            states = view.states(self.record, self.level)
        return int(np.count_nonzero(states == CodeState.ALLOCATED))

    def outcomes(self) -> npt.NDArray[np.uint8]:
        """The `PrintOutcome` byte of every code of the level."""
        with self.store.view() as view:
            outcomes: npt.NDArray[np.uint8] = view.column(PRINTS, self.record, self.level)
        return outcomes

    def counts(self) -> dict[PrintOutcome, int]:
        tally = np.bincount(self.outcomes(), minlength=len(PrintOutcome))
        return {outcome: int(tally[outcome]) for outcome in PrintOutcome}

    # Writing --------------------------------------------------------------------------------

    def recover(self, *, actor: str) -> int:
        """After a restart: every job still `SENT` becomes `UNKNOWN` (never sent again)."""
        with self.store.unit_of_work(actor) as uow:
            self._check_open(uow)
            outcomes = uow.column(PRINTS, self.record, self.level)
            sent = np.flatnonzero(outcomes == PrintOutcome.SENT).astype(np.int64)
            if sent.size:
                uow.pages(PRINTS, self.record, self.level).set(sent, PrintOutcome.UNKNOWN)
                uow.event(EventKind.PRINT_RECOVER, {"unknown": int(sent.size)},
                          batch=self.record, level=self.level, indices=sent)  # fmt: skip
        return int(sent.size)

    def take(self, wanted: Sequence[tuple[str, int]], *, actor: str) -> list[_Indices]:
        """Draw up to `n` codes for each (printer, n), in one durable unit of work.

        Returns the indices drawn for each request, in order; fewer (or none) when the level
        runs out of `Allocated` codes. The codes become `Encoded` (checked by the lifecycle
        table) and `SENT` before any of them leaves for a printer.
        """
        if any(n < 0 for _, n in wanted):
            raise ValueError(f"Negative job counts in {wanted!r}: expected counts >= 0.")
        total = sum(n for _, n in wanted)
        drawn: list[_Indices] = []
        with self.store.unit_of_work(actor) as uow:
            self._check_open(uow)
            free = self._next_allocated(uow, total)
            if free.size:
                uow.move(self.record, self.level, free, CodeState.ENCODED)
                uow.pages(PRINTS, self.record, self.level).set(free, PrintOutcome.SENT)
            offset = 0
            for printer, n in wanted:
                part = free[offset : offset + n]
                offset += part.size
                drawn.append(part)
                if part.size:
                    uow.event(EventKind.PRINT_SENT, {"printer": printer}, batch=self.record,
                              level=self.level, indices=part)  # fmt: skip
        return drawn

    def settle(
        self, answers: Iterable[tuple[str, PrintOutcome, _Indices]], *, actor: str
    ) -> Settled:
        """Record printer answers (printer, PRINTED / FAILED / UNKNOWN, indices) in one unit.

        Only a `SENT` job can be settled: an answer for a job that was never sent, or was
        settled already, is ignored and reported in `Settled.ignored`. `FAILED` codes become
        `LabelScrapped`.
        """
        result = Settled()
        with self.store.unit_of_work(actor) as uow:
            self._check_open(uow)
            prints = uow.pages(PRINTS, self.record, self.level)
            for printer, outcome, indices in answers:
                self._settle(uow, prints, (printer, outcome, indices), result)
        return result

    def _settle(
        self, uow: UnitOfWork, prints: PageSet, answer: tuple[str, PrintOutcome, _Indices],
        result: Settled,
    ) -> None:  # fmt: skip
        printer, outcome, given = answer
        if outcome not in (PrintOutcome.PRINTED, PrintOutcome.FAILED, PrintOutcome.UNKNOWN):
            raise ValueError(f"Not a printer answer: {outcome!r}")
        indices = np.sort(np.asarray(given, dtype=np.int64))
        repeated = np.zeros(indices.shape[0], dtype=bool)
        repeated[1:] = indices[1:] == indices[:-1]
        result.ignored += [(int(i), "repeated in one answer") for i in indices[repeated]]
        inside = ~repeated & (indices >= 0) & (indices < self.count)
        result.ignored += [(int(i), "no such code") for i in indices[~repeated & ~inside]]
        indices = indices[inside]
        current = prints.get(indices)
        sent = current == PrintOutcome.SENT
        result.ignored += [
            (
                int(i),
                "never sent" if was == PrintOutcome.NONE else f"already {PrintOutcome(was).label}",
            )
            for i, was in zip(indices[~sent], current[~sent], strict=True)
        ]
        indices = indices[sent]
        if not indices.size:
            return
        prints.set(indices, outcome)
        if outcome is PrintOutcome.FAILED:
            states = uow.values(STATES, self.record, self.level, indices)
            uow.move(self.record, self.level, indices[states == CodeState.ENCODED],
                     CodeState.LABEL_SCRAPPED)  # fmt: skip
        previous = result.outcomes.get(outcome)
        result.outcomes[outcome] = (
            indices if previous is None else np.concatenate([previous, indices])
        )
        uow.event(_EVENTS[outcome.label], {"printer": printer}, batch=self.record,
                  level=self.level, indices=indices)  # fmt: skip

    # Plumbing -------------------------------------------------------------------------------

    def _check_open(self, uow: UnitOfWork) -> None:
        if uow.batch(self.record.batch).status is not BatchStatus.OPEN:
            raise StoreError(
                f"Batch {self.record.batch!r} is closed. Hint: a closed batch prints nothing; "
                "open a new batch."
            )

    def _next_allocated(self, uow: UnitOfWork, n: int) -> _Indices:
        """Up to `n` `Allocated` indices from the cursor on, page by page."""
        found: list[_Indices] = []
        have = 0
        while have < n and self._cursor < self.count:
            page = self._cursor // PAGE
            start = self._cursor - page * PAGE
            stop = min(self.count, (page + 1) * PAGE)
            states = uow.values(STATES, self.record, self.level,
                                np.arange(self._cursor, stop, dtype=np.int64))  # fmt: skip
            hits = np.flatnonzero(states == CodeState.ALLOCATED)[: n - have]
            if hits.size < n - have:
                self._cursor = stop
            else:
                self._cursor = page * PAGE + start + int(hits[-1]) + 1
            found.append((hits + page * PAGE + start).astype(np.int64))
            have += hits.size
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    @property
    def exhausted(self) -> bool:
        """Whether every code of the level has been scanned by `take` (none left to draw)."""
        return self._cursor >= self.count

    @property
    def self_issued(self) -> bool:
        return self.allocation.source is CodeSource.SELF

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
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine import _lmdb_layout as layout
from jejak.engine import audit
from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.store import Store

__all__ = ["PrintLedger", "PrintOutcome", "Settled"]

_Indices = npt.NDArray[np.int64]


class PrintOutcome(IntEnum):
    """One byte per code in the ``prints`` pages."""

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
        with store.read() as txn:
            self.record: BatchRecord = store.batch(batch, txn)
        self.allocation = self.record.level(level)
        self.count = self.allocation.count
        self._cursor = 0  # every code below it has been taken or was not Allocated
        self._states_db = store.db["states"]
        self._prints_db = store.db["prints"]

    # Reading --------------------------------------------------------------------------------

    def remaining(self) -> int:
        """How many codes are still `Allocated` (may still be drawn)."""
        with self.store.read() as txn:
            states = self.store.states(txn, self.record, self.level)
        return int(np.count_nonzero(states == CodeState.ALLOCATED))

    def outcomes(self) -> npt.NDArray[np.uint8]:
        """The `PrintOutcome` byte of every code of the level."""
        with self.store.read() as txn:
            return self.store.code_bytes(txn, "prints", self.record, self.level)

    def counts(self) -> dict[PrintOutcome, int]:
        tally = np.bincount(self.outcomes(), minlength=len(PrintOutcome))
        return {outcome: int(tally[outcome]) for outcome in PrintOutcome}

    # Writing --------------------------------------------------------------------------------

    def recover(self, *, actor: str) -> int:
        """After a restart: every job still `SENT` becomes `UNKNOWN` (never sent again)."""
        with self.store.write() as txn:
            self._check_open(txn)
            outcomes = self.store.code_bytes(txn, "prints", self.record, self.level)
            sent = np.flatnonzero(outcomes == PrintOutcome.SENT).astype(np.int64)
            if sent.size:
                pages = _Pages(txn, self._prints_db, self.record.batch_id, self.level, self.count)
                pages.set(sent, PrintOutcome.UNKNOWN)
                pages.flush()
                self.store._event(txn, actor, "print.recover", {
                    "batch": self.record.batch, "level": self.level.name.lower(),
                    "unknown": int(sent.size),
                }, payload=sent.astype(">u8").tobytes())  # fmt: skip
        return int(sent.size)

    def take(self, wanted: Sequence[tuple[str, int]], *, actor: str) -> list[_Indices]:
        """Draw up to `n` codes for each (printer, n), in one durable transaction.

        Returns the indices drawn for each request, in order; fewer (or none) when the level
        runs out of `Allocated` codes.
        """
        if any(n < 0 for _, n in wanted):
            raise ValueError(f"Negative job counts in {wanted!r}: expected counts >= 0.")
        total = sum(n for _, n in wanted)
        drawn: list[_Indices] = []
        with self.store.write() as txn:
            self._check_open(txn)
            states = _Pages(txn, self._states_db, self.record.batch_id, self.level, self.count)
            free = self._next_allocated(states, total)
            if free.size:
                states.set(free, CodeState.ENCODED)
                states.flush()
                prints = _Pages(txn, self._prints_db, self.record.batch_id, self.level, self.count)
                prints.set(free, PrintOutcome.SENT)
                prints.flush()
            offset = 0
            for printer, n in wanted:
                part = free[offset : offset + n]
                offset += part.size
                drawn.append(part)
                if part.size:
                    payload = audit.index_payload(part)
                    self.store._event(txn, actor, "print.sent", {
                        "batch": self.record.batch, "level": self.level.name.lower(),
                        "printer": printer, "count": int(part.size), "first": int(part[0]),
                        "last": int(part[-1]), "contiguous": payload is None,
                    }, payload=payload)  # fmt: skip
        return drawn

    def settle(
        self, answers: Iterable[tuple[str, PrintOutcome, _Indices]], *, actor: str
    ) -> Settled:
        """Record printer answers (printer, PRINTED / FAILED / UNKNOWN, indices) in one txn.

        Only a `SENT` job can be settled: an answer for a job that was never sent, or was
        settled already, is ignored and reported in `Settled.ignored`. `FAILED` codes become
        `LabelScrapped`.
        """
        result = Settled()
        with self.store.write() as txn:
            self._check_open(txn)
            prints = _Pages(txn, self._prints_db, self.record.batch_id, self.level, self.count)
            states = _Pages(txn, self._states_db, self.record.batch_id, self.level, self.count)
            for printer, outcome, indices in answers:
                self._settle(prints, states, (printer, outcome, indices), result, actor=actor)
            prints.flush()
            states.flush()
        return result

    def _settle(
        self, prints: _Pages, states: _Pages, answer: tuple[str, PrintOutcome, _Indices],
        result: Settled, *, actor: str,
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
            encoded = states.get(indices) == CodeState.ENCODED
            states.set(indices[encoded], CodeState.LABEL_SCRAPPED)
        previous = result.outcomes.get(outcome)
        result.outcomes[outcome] = (
            indices if previous is None else np.concatenate([previous, indices])
        )
        self.store._event(prints.txn, actor, f"print.{outcome.label}", {
            "batch": self.record.batch, "level": self.level.name.lower(), "printer": printer,
            "count": int(indices.size), "first": int(indices[0]), "last": int(indices[-1]),
        }, payload=audit.index_payload(indices))  # fmt: skip

    # Plumbing -------------------------------------------------------------------------------

    def _check_open(self, txn: Any) -> None:
        if self.store.batch(self.record.batch, txn).status is not BatchStatus.OPEN:
            raise StoreError(
                f"Batch {self.record.batch!r} is closed. Hint: a closed batch prints nothing; "
                "open a new batch."
            )

    def _next_allocated(self, states: _Pages, n: int) -> _Indices:
        """Up to `n` `Allocated` indices from the cursor on, page by page."""
        found: list[_Indices] = []
        have = 0
        while have < n and self._cursor < self.count:
            chunk = self._cursor // layout.CHUNK
            page = states.page(chunk)
            start = self._cursor - chunk * layout.CHUNK
            hits = np.flatnonzero(page[start:] == CodeState.ALLOCATED)[: n - have]
            if hits.size < n - have:
                self._cursor = (chunk + 1) * layout.CHUNK
            else:
                self._cursor = chunk * layout.CHUNK + start + int(hits[-1]) + 1
            found.append((hits + start + chunk * layout.CHUNK).astype(np.int64))
            have += hits.size
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)

    @property
    def exhausted(self) -> bool:
        """Whether every code of the level has been scanned by `take` (none left to draw)."""
        return self._cursor >= self.count

    @property
    def self_issued(self) -> bool:
        return self.allocation.source is CodeSource.SELF


class _Pages:
    """Read-modify-write of the byte pages of one batch level, inside one write transaction."""

    __slots__ = ("batch_id", "count", "db", "dirty", "level", "pages", "txn")

    def __init__(self, txn: Any, db: Any, batch_id: int, level: Level, count: int) -> None:
        self.txn, self.db, self.batch_id, self.level, self.count = txn, db, batch_id, level, count
        self.pages: dict[int, npt.NDArray[np.uint8]] = {}
        self.dirty: set[int] = set()

    def page(self, chunk: int) -> npt.NDArray[np.uint8]:
        found = self.pages.get(chunk)
        if found is None:
            size = min(layout.CHUNK, self.count - chunk * layout.CHUNK)
            raw = self.txn.get(layout.chunk_key(self.batch_id, self.level, chunk), db=self.db)
            found = (np.zeros(size, np.uint8) if raw is None
                     else np.frombuffer(raw, np.uint8).copy())  # fmt: skip
            self.pages[chunk] = found
        return found

    def get(self, indices: _Indices) -> npt.NDArray[np.uint8]:
        out = np.empty(indices.shape[0], np.uint8)
        chunks = indices // layout.CHUNK
        for chunk in np.unique(chunks):
            sel = chunks == chunk
            out[sel] = self.page(int(chunk))[indices[sel] - int(chunk) * layout.CHUNK]
        return out

    def set(self, indices: _Indices, value: int) -> None:
        chunks = indices // layout.CHUNK
        for chunk in np.unique(chunks):
            sel = chunks == chunk
            self.page(int(chunk))[indices[sel] - int(chunk) * layout.CHUNK] = value
            self.dirty.add(int(chunk))

    def flush(self) -> None:
        for chunk in sorted(self.dirty):
            self.txn.put(layout.chunk_key(self.batch_id, self.level, chunk),
                         self.pages[chunk].tobytes(), db=self.db)  # fmt: skip
        self.dirty.clear()

"""Inline verification: a camera's read of a pack against the code expected on that pack.

The line knows which code the printer put on each pack (its print confirmations, in order).
The camera's result carries the raw bytes it decoded, GS bytes included, and the symbology
identifier; the verifier compares those — never the HRI text — and gives the pack a `Verdict`:

- `NO_READ`: the camera read nothing (the camera's no-read string);
- the bytes are the expected code's: `FNC1_LOST` when the symbology says the symbol is not GS1
  (``]d1`` / ``]Q1`` on a GS1 code), `GRADE` when the camera's ISO/IEC 15415 grade is below the
  product's minimum, else `GOOD`;
- other bytes: the store says what they are — `DUPLICATE` (a code of this batch that is
  commissioned already, or judged good a moment ago: a label printed twice), `MISMATCH`
  (another code of this batch), `OTHER_BATCH`, or `UNKNOWN` (no batch of this store issued it:
  a counterfeit alarm, raised as a warning with the bytes that were read);
- `LATE` is the controller's: the pack passed the reject point before its verdict.

Verdicts are group-committed through the `VerificationLedger` (one unit of work per group,
as the print ledger commits its sends): `submit` queues a verdict, `flush` writes the queue
when it is `group` long or when the controller's clock says it is time, and always before a
pack whose verdict is GOOD leaves the line's control (the controller flushes at the reject
point's distance). A crash loses at most the verdicts of one group; their codes stay
`Encoded` and the resume rejects them as `LATE`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import JejakError
from jejak.engine.store import Store
from jejak.engine.symbology import Symbology
from jejak.engine.verification import Verdict, VerdictsCommitted, VerificationLedger
from jejak.line_adapters.camera.result import CameraResult, Grade

__all__ = ["NON_GS1", "Expected", "Verifier"]

_log = logging.getLogger(__name__)

NON_GS1 = {Symbology.GS1_DATAMATRIX: Symbology.DATAMATRIX, Symbology.GS1_QR: Symbology.QR}
DEFAULT_MIN_GRADE = Grade.parse("C")


@dataclass(frozen=True, slots=True)
class Expected:
    """The code the printer put on a pack: its index in the batch level and its raw bytes."""

    index: int
    data: bytes


class Verifier:
    """Judges reads for one batch level and group-commits the verdicts.

    `symbology` is what the product's symbols must read as (``]d2`` for GS1 DataMatrix);
    `min_grade` the product's minimum ISO/IEC 15415 grade (a result without a grade passes:
    the camera was not set to grade); `alarm` hears every `UNKNOWN` read (a counterfeit
    suspect), with the bytes the camera read."""

    def __init__(
        self, store: Store, batch: str, *, line: str, symbology: Symbology,
        level: Level = Level.PRIMARY, min_grade: Grade | None = DEFAULT_MIN_GRADE,
        group: int = 2000, actor: str | None = None,
        alarm: Callable[[bytes, Symbology | None], None] | None = None,
    ) -> None:  # fmt: skip
        self.store, self.batch, self.level = store, batch, level
        self.ledger = VerificationLedger(store, batch, level, line=line)
        self.record = self.ledger.record
        self.symbology, self.min_grade, self.group = symbology, min_grade, group
        self.actor = actor or line
        self.alarm = alarm
        self._lost = NON_GS1.get(symbology)
        self._queue: dict[Verdict, list[int]] = {}
        self._queued = 0
        self._good_pending: set[int] = set()
        self.judged = dict.fromkeys(Verdict, 0)  # this verifier's verdicts, committed or not

    # Judging -------------------------------------------------------------------------------

    def judge(self, expected: Expected, result: CameraResult) -> Verdict:
        """The verdict on the pack that should carry `expected`, from the camera's `result`."""
        data = result.data
        if data is None:
            return Verdict.NO_READ
        if data == expected.data:
            if result.symbology is not self.symbology:
                return Verdict.FNC1_LOST if result.symbology is self._lost else Verdict.MISMATCH
            if (self.min_grade is not None and result.grade is not None
                    and result.grade < self.min_grade):  # fmt: skip
                return Verdict.GRADE
            return Verdict.GOOD
        return self._identify(data, result.symbology)

    def _identify(self, data: bytes, symbology: Symbology | None) -> Verdict:
        """What bytes other than the expected ones are, by the store."""
        try:
            text = data.decode("ascii")
            found = self.store.resolve((symbology.value if symbology else "") + text)
        except (JejakError, ValueError, UnicodeDecodeError):
            found = None
        if found is None:
            if self.alarm is not None:
                self.alarm(data, symbology)
            _log.warning("counterfeit suspect: unknown code %r read on batch %s", data,
                         self.batch)  # fmt: skip
            return Verdict.UNKNOWN
        if found.ref.batch_id != self.record.batch_id or found.ref.level is not self.level:
            return Verdict.OTHER_BATCH
        index = found.ref.index
        if index in self._good_pending:
            return Verdict.DUPLICATE
        with self.store.view() as view:
            state = view.state_of(self.record, self.level, index)
        return Verdict.DUPLICATE if state is CodeState.COMMISSIONED else Verdict.MISMATCH

    # Committing ----------------------------------------------------------------------------

    def submit(self, index: int, verdict: Verdict) -> bool:
        """Queue a verdict for code `index`; True when the queue is a full group (flush it)."""
        self._queue.setdefault(verdict, []).append(index)
        self._queued += 1
        self.judged[verdict] += 1
        if verdict is Verdict.GOOD:
            self._good_pending.add(index)
        return self._queued >= self.group

    @property
    def queued(self) -> int:
        return self._queued

    def flush(self) -> VerdictsCommitted:
        """Commit the queued verdicts in one unit of work."""
        if not self._queued:
            return VerdictsCommitted()
        queue, self._queue, self._queued = self._queue, {}, 0
        arrays = {v: np.fromiter(i, dtype=np.int64, count=len(i)) for v, i in queue.items()}
        try:
            done = self.ledger.commit(arrays, actor=self.actor)
        finally:
            self._good_pending.clear()
        for index, why in done.refused:
            _log.warning("verdict refused for code %d of batch %s: %s", index, self.batch, why)
        return done

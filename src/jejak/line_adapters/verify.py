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
as the print ledger commits its sends): `submit` queues a verdict and numbers it; `flush`
commits the queue on the caller's thread, `flush_soon` hands it to a background committer so
that the line's loop never waits for the disk; `durable` is the number of the last verdict
committed (or refused, or lost with a failed commit), and `wait` waits for one; `written`
says whether a durable good verdict was written. The line lets a good pack pass the reject
point only once its verdict is durable and written, and rejects it otherwise. A crash loses
at most the verdicts not yet committed; their codes stay `Encoded` and the resume rejects
them as `LATE`.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import JejakError
from jejak.engine.gs1 import AI, CodeKind, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.store import Store
from jejak.engine.symbology import Symbology
from jejak.engine.verification import Verdict, VerdictsCommitted, VerificationLedger
from jejak.line_adapters.camera.result import CameraResult, Grade

__all__ = ["NON_GS1", "Expected", "Verifier"]

_log = logging.getLogger(__name__)

NON_GS1 = {Symbology.GS1_DATAMATRIX: Symbology.DATAMATRIX, Symbology.GS1_QR: Symbology.QR}
DEFAULT_MIN_GRADE = Grade.parse("C")
_GOOD = Verdict.GOOD


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
        committed: Callable[[VerdictsCommitted], None] | None = None,
        today: dt.date | None = None,
    ) -> None:  # fmt: skip
        self.store, self.batch, self.level = store, batch, level
        self.ledger = VerificationLedger(store, batch, level, line=line)
        self.record = self.ledger.record
        self.symbology, self.min_grade, self.group = symbology, min_grade, group
        self.actor = actor or line
        self.alarm = alarm
        validity = self.record.validity
        # An identification batch: is its NIE validity past, today? (Then every pack is.)
        self._expired = validity is not None and validity.as_date() < (today or dt.date.today())
        self._today = today
        self._lost = NON_GS1.get(symbology)
        self._queue: list[list[int]] = [[] for _ in Verdict]  # by verdict number
        self._queued = self._submitted = self._durable = 0
        self._good_pending: set[int] = set()  # judged good, not committed yet
        self._unwritten: set[int] = set()  # judged good, refused or lost by their commit
        self._groups: queue.SimpleQueue[tuple[Any, int, set[int]] | None] = queue.SimpleQueue()
        self._committer: threading.Thread | None = None
        self._settled = threading.Condition()
        self.committed = committed
        self._judged = [0] * len(Verdict)

    # Judging -------------------------------------------------------------------------------

    def judge(self, expected: Expected, result: CameraResult) -> Verdict:
        """The verdict on the pack that should carry `expected`, from the camera's `result`."""
        data = result.data
        if data is None:
            return Verdict.NO_READ
        if data == expected.data:
            if result.symbology is not self.symbology:
                return Verdict.FNC1_LOST if result.symbology is self._lost else Verdict.MISMATCH
            if self._expired:
                return Verdict.EXPIRED_NIE
            if (self.min_grade is not None and result.grade is not None
                    and not result.grade.meets(self.min_grade)):  # fmt: skip
                return Verdict.GRADE
            return Verdict.GOOD
        if self.record.validity is not None:
            return self._identification(data)
        return self._identify(data, result.symbology)

    def _identification(self, data: bytes) -> Verdict:
        """What bytes other than the batch's identification code are: the same NIE with a
        validity that has passed (`EXPIRED_NIE`: an alarm), another code (`MISMATCH`: the
        wrong labels on the line), or nothing BPOM issues (`UNKNOWN`)."""
        try:
            code = ElementString.parse(data.decode("ascii"), today=self._today)
        except (JejakError, ValueError, UnicodeDecodeError):
            code = None
        if code is None or code.kind is not CodeKind.IDENTIFICATION:
            _log.warning("unknown code %r read on identification batch %s", data, self.batch)
            return Verdict.UNKNOWN
        nie, validity = code.get(AI.NIE), code.get(AI.NIE_VALIDITY)
        if nie == self.record.nie and validity is not None:
            past = Gs1Date.parse(validity).as_date() < (self._today or dt.date.today())
            if past:
                _log.warning("expired NIE validity %s read on batch %s", validity, self.batch)
                return Verdict.EXPIRED_NIE
        return Verdict.MISMATCH

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

    def submit(self, index: int, verdict: Verdict) -> int:
        """Queue a verdict for code `index`; its sequence number (`durable` reaches it once
        the verdict is committed)."""
        self._queue[verdict].append(index)  # the hot path: lists by number, no hashing
        self._queued += 1
        self._submitted += 1
        self._judged[verdict] += 1
        if verdict is _GOOD:
            self._good_pending.add(index)
        return self._submitted

    @property
    def judged(self) -> dict[Verdict, int]:
        """This verifier's verdicts so far, committed or not."""
        return {verdict: self._judged[verdict] for verdict in Verdict}

    @property
    def queued(self) -> int:
        return self._queued

    @property
    def full(self) -> bool:
        return self._queued >= self.group

    @property
    def durable(self) -> int:
        """The sequence number of the last verdict committed (or refused) for good."""
        return self._durable

    def written(self, index: int) -> bool:
        """Whether the good verdict for code `index`, once durable, was written: False if
        its commit refused it or failed (the code stays without a verdict: the batch's close
        rejects it as late, so its pack must not pass as good)."""
        return index not in self._unwritten

    def flush(self) -> VerdictsCommitted:
        """Commit the queued verdicts in one unit of work, now, on this thread (after any
        group the background committer still holds)."""
        self.wait(self._submitted - self._queued)
        group = self._take()
        return VerdictsCommitted() if group is None else self._commit(*group)

    def flush_soon(self) -> None:
        """Hand the queued verdicts to the background committer (started on first use), so
        that the caller's loop never waits for a disk."""
        group = self._take()
        if group is None:
            return
        if self._committer is None:
            name = f"{self.ledger.line}-verdicts"
            self._committer = threading.Thread(target=self._commit_in_background, name=name,
                                               daemon=True)  # fmt: skip
            self._committer.start()
        self._groups.put(group)

    def wait(self, sequence: int, timeout: float = 10.0) -> bool:
        """Wait until verdict `sequence` is committed; False if `timeout` passed first."""
        with self._settled:
            return self._settled.wait_for(lambda: self._durable >= sequence, timeout)

    def close(self) -> None:
        """Commit what is queued and stop the background committer."""
        self.flush()
        if self._committer is not None:
            self._groups.put(None)
            self._committer.join(timeout=30)
            self._committer = None

    def _take(self) -> tuple[dict[Verdict, npt.NDArray[np.int64]], int, set[int]] | None:
        if not self._queued:
            return None
        queue, self._queue, self._queued = self._queue, [[] for _ in Verdict], 0
        arrays = {Verdict(v): np.array(i, dtype=np.int64) for v, i in enumerate(queue) if i}
        good = set(queue[Verdict.GOOD])
        return arrays, self._submitted, good

    def _commit(self, arrays: dict[Verdict, npt.NDArray[np.int64]], through: int,
                good: set[int]) -> VerdictsCommitted:  # fmt: skip
        done = None
        try:
            done = self.ledger.commit(arrays, actor=self.actor)
        finally:  # what became of the good ones is known before `durable` says they are done
            lost = good if done is None else good.intersection(i for i, _ in done.refused)
            self._unwritten.update(lost)
            self._good_pending.difference_update(good)
            with self._settled:
                self._durable = max(self._durable, through)
                self._settled.notify_all()
        for index, why in done.refused:
            _log.warning("verdict refused for code %d of batch %s: %s", index, self.batch, why)
        if self.committed is not None:
            self.committed(done)
        return done

    def _commit_in_background(self) -> None:
        while (group := self._groups.get()) is not None:
            try:
                self._commit(*group)
            except JejakError:
                _log.exception("verdicts not committed; their codes are rejected as late when "
                               "the line resumes")  # fmt: skip

"""The verification ledger: what the line's camera said about each printed code.

Every pack the printer labelled passes a camera; the line's verifier compares the read with
the code expected on that pack and gives it a `Verdict`. `GOOD` commissions the code (it is
active: it may be shipped); every other verdict is a reject, and its name is the reject reason
used everywhere — JSON, reports, events. A rejected printed code becomes `LabelScrapped`, never
commissioned, never issued again.

Verdicts are written in group commits: one unit of work moves the codes, sets their byte in the
``verdicts`` column and records one ``line.verify`` event per verdict, so a camera at 600
packs a minute costs one transaction every few hundred packs, and a crash loses only verdicts
that were not yet committed — whose codes stay `Encoded` and are rejected as `LATE` when the
line resumes (a pack that was not verified in time is rejected, never commissioned).

>>> Verdict.parse("no_read"), Verdict.FNC1_LOST.label, Verdict.GOOD.rejected
(<Verdict.NO_READ: 2>, 'fnc1_lost', False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, BatchStatus
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import InvalidFormat, StoreError
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import PRINTS, STATES, VERDICTS, EventKind, Store, UnitOfWork

__all__ = ["REASONS", "Verdict", "VerdictsCommitted", "VerificationLedger"]

_Indices = npt.NDArray[np.int64]


class Verdict(IntEnum):
    """One byte per code in the ``verdicts`` column: what verification decided."""

    NONE = 0  # not verified (yet)
    GOOD = 1  # read, matched, graded: commissioned
    NO_READ = 2  # the camera read nothing
    MISMATCH = 3  # another code of this batch where this one was expected
    FNC1_LOST = 4  # the right bytes under ]d1 / ]Q1: the symbol is not GS1
    GRADE = 5  # read and matched, but its print-quality grade is below the product's minimum
    DUPLICATE = 6  # the read code was commissioned already (a label printed twice)
    UNKNOWN = 7  # a code no batch of this store issued: a counterfeit alarm
    OTHER_BATCH = 8  # a code of another batch on this line
    LATE = 9  # no verdict before the pack passed the reject point
    EXPIRED_NIE = 10  # an identification code whose NIE validity has passed

    @property
    def label(self) -> str:
        """The reject reason's name, as JSON keys, reports and events spell it."""
        return self.name.lower()

    @property
    def rejected(self) -> bool:
        return self not in (Verdict.NONE, Verdict.GOOD)

    @classmethod
    def parse(cls, value: object) -> Verdict:
        for verdict in cls:
            if value in (verdict.label, verdict.name, verdict.value) and not isinstance(
                value, bool
            ):
                return verdict
        raise InvalidFormat(
            f"Invalid verdict {value!r}: expected one of "
            f"{', '.join(v.label for v in cls if v is not Verdict.NONE)}. Hint: the reject "
            "reasons are named as `jejak demo --json` reports them."
        )


REASONS = tuple(v for v in Verdict if v.rejected)  # every reject reason, in number order


@dataclass(slots=True)
class VerdictsCommitted:
    """What one `commit` wrote: indices per verdict, and verdicts it refused (index, why)."""

    written: dict[Verdict, _Indices] = field(default_factory=dict)
    refused: list[tuple[int, str]] = field(default_factory=list)

    def count(self, verdict: Verdict) -> int:
        found = self.written.get(verdict)
        return 0 if found is None else int(found.size)


class VerificationLedger:
    """The verdicts of one batch level, written by the one line that runs the batch."""

    def __init__(self, store: Store, batch: str, level: Level = Level.PRIMARY, *,
                 line: str = "line-1") -> None:  # fmt: skip
        self.store, self.level, self.line = store, level, line
        self.record: BatchRecord = store.batch(batch)
        self.count = self.record.level(level).count

    def verdicts(self) -> npt.NDArray[np.uint8]:
        """The `Verdict` byte of every code of the level."""
        with self.store.view() as view:
            found: npt.NDArray[np.uint8] = view.column(VERDICTS, self.record, self.level)
        return found

    def counts(self) -> dict[Verdict, int]:
        tally = np.bincount(self.verdicts(), minlength=len(Verdict))
        return {verdict: int(tally[verdict]) for verdict in Verdict}

    def commit(self, verdicts: Mapping[Verdict, _Indices], *, actor: str) -> VerdictsCommitted:
        """Write verdicts in one unit of work: `GOOD` codes become `Commissioned`, rejected
        ones `LabelScrapped`, each verdict one ``line.verify`` event.

        Only a code the printer confirmed (`Encoded`, print outcome `PRINTED`) with no verdict
        yet takes one; anything else — an index out of range, a code given twice, one with a
        verdict already, one that is not `Encoded`, one whose print outcome is not confirmed —
        is refused and reported in `VerdictsCommitted.refused`, never applied. So every code
        the printer confirmed ends in exactly one verdict, and a code whose print outcome is
        unknown is scrapped at the batch close, whatever a camera saw."""
        result = VerdictsCommitted()
        if Verdict.NONE in verdicts:
            raise ValueError("Verdict.NONE is no verdict")
        chosen = self._distinct(verdicts, result)
        if not chosen:
            return result
        with self.store.unit_of_work(actor) as uow:
            self._check_open(uow)
            pages = uow.pages(VERDICTS, self.record, self.level)
            for verdict, given in chosen.items():
                indices = self._acceptable(uow, given, result)
                if not indices.size:
                    continue
                target = CodeState.COMMISSIONED if verdict is Verdict.GOOD else (
                    CodeState.LABEL_SCRAPPED)  # fmt: skip
                uow.move(self.record, self.level, indices, target)
                pages.set(indices, verdict)
                uow.event(EventKind.LINE_VERIFY, {"verdict": verdict.label, "line": self.line},
                          batch=self.record, level=self.level, indices=indices)  # fmt: skip
                result.written[verdict] = indices
        return result

    def _distinct(
        self, verdicts: Mapping[Verdict, _Indices], result: VerdictsCommitted
    ) -> dict[Verdict, _Indices]:
        """The given indices per verdict, sorted, without those out of range or given more
        than once (in one verdict or several: refused, all of their copies)."""
        parts = [(v, np.asarray(i, dtype=np.int64)) for v, i in sorted(verdicts.items())]
        parts = [(v, i) for v, i in parts if i.size]
        if not parts:
            return {}
        every = np.concatenate([i for _, i in parts])
        order = np.sort(every)
        twice = order[1:][order[1:] == order[:-1]]
        outside = every[(every < 0) | (every >= self.count)]
        result.refused += [(int(i), "no such code") for i in np.unique(outside)]
        result.refused += [(int(i), "given twice") for i in np.unique(twice)]
        chosen = {}
        for verdict, indices in parts:
            keep = (indices >= 0) & (indices < self.count)
            if twice.size:  # rare: a controller bug, never the hot path
                keep &= ~np.isin(indices, twice)
            if keep.any():
                chosen[verdict] = np.sort(indices[keep])
        return chosen

    def _acceptable(
        self, uow: UnitOfWork, indices: _Indices, result: VerdictsCommitted
    ) -> _Indices:
        states = uow.values(STATES, self.record, self.level, indices)
        had = uow.values(VERDICTS, self.record, self.level, indices)
        prints = uow.values(PRINTS, self.record, self.level, indices)
        ok = (
            (states == CodeState.ENCODED) & (had == Verdict.NONE) & (prints == PrintOutcome.PRINTED)
        )
        for index, state, before, printed in zip(
            indices[~ok].tolist(), states[~ok].tolist(), had[~ok].tolist(),
            prints[~ok].tolist(), strict=True,
        ):  # fmt: skip
            why = (f"already {Verdict(before).label}" if before != Verdict.NONE
                   else f"{CodeState(state).label}, not Encoded" if state != CodeState.ENCODED
                   else f"print outcome {PrintOutcome(printed).label}, not printed")  # fmt: skip
            result.refused.append((index, why))
        accepted: _Indices = indices[ok]
        return accepted

    def sample(self, indices: _Indices, *, actor: str) -> int:
        """Take commissioned packs as retained samples (`Sampled`), in one unit of work."""
        chosen = np.unique(np.asarray(indices, dtype=np.int64))
        if not chosen.size:
            return 0
        with self.store.unit_of_work(actor) as uow:
            self._check_open(uow)
            uow.move(self.record, self.level, chosen, CodeState.SAMPLED)
            uow.event(EventKind.LINE_SAMPLE, {"line": self.line}, batch=self.record,
                      level=self.level, indices=chosen)  # fmt: skip
        return int(chosen.size)

    def _check_open(self, uow: UnitOfWork) -> None:
        if uow.batch(self.record.batch).status is not BatchStatus.OPEN:
            raise StoreError(
                f"Batch {self.record.batch!r} is closed. Hint: a closed batch is verified no "
                "more; open a new batch."
            )

"""Retained samples by plan: every n-th good pack, once its verdict is durable, is Sampled."""

from __future__ import annotations

import numpy as np

from jejak.engine.verification import Verdict, VerdictsCommitted, VerificationLedger

__all__ = ["SamplePlan"]


class SamplePlan:
    """Takes every `every`-th good code of a line's run as a retained sample (none if
    `every` is None). `committed` is the verifier's hook: it runs on the committer's thread
    after each group of verdicts is durable."""

    __slots__ = ("_since", "actor", "every", "ledger")

    def __init__(self, ledger: VerificationLedger, every: int | None, *, actor: str) -> None:
        self.ledger, self.every, self.actor = ledger, every, actor
        self._since = 0  # good codes since the last sample

    def committed(self, done: VerdictsCommitted) -> None:
        good = done.written.get(Verdict.GOOD)
        if good is None or not self.every:
            return
        chosen = []
        for index in good.tolist():
            self._since += 1
            if self._since >= self.every:
                self._since = 0
                chosen.append(index)
        if chosen:
            self.ledger.sample(np.array(chosen, dtype=np.int64), actor=self.actor)

"""What a line run of a batch came to, counted from the store (never from the line's memory).

"printed" counts the codes the printer confirmed; each ends in exactly one of commissioned,
sampled or a reject reason, so ``printed == commissioned + sampled + sum(rejected)`` — the
balance. Codes whose print outcome is unknown (a connection lost with the job in the printer,
a crash) are "scrapped"; codes the printer said it did not print are "print_failed" (the pack
left the printer unlabelled and was rejected on the line, but no code was printed on it).

The JSON keys are an interface (`jejak demo --json`, `jejak line resume --json`): never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jejak.engine.codes import CodeState, Level
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import PRINTS, VERDICTS, Store
from jejak.engine.verification import REASONS, Verdict

__all__ = ["REPORTS", "LineSummary", "count_batch", "totals"]

REPORTS = ("csv", "json", "epcis")  # the reports a run writes: usage CSV and JSON, EPCIS


@dataclass(slots=True)
class LineSummary:
    line: str
    batch: str
    store: str
    units: int  # packs planned
    printed: int = 0
    commissioned: int = 0
    sampled: int = 0
    scrapped: int = 0
    print_failed: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: {r.label: 0 for r in REASONS})
    cases: int = 0
    pallets: int = 0
    reconciled: bool = False  # the batch closed with its reconciliation
    audit_ok: bool = False
    elapsed_s: float = 0.0
    reports: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(REPORTS))

    @property
    def balanced(self) -> bool:
        accounted = self.commissioned + self.sampled + sum(self.rejected.values())
        return self.reconciled and self.audit_ok and self.printed == accounted

    @property
    def packs_per_min(self) -> float:
        packs = self.printed + self.print_failed
        return round(packs * 60.0 / self.elapsed_s, 1) if self.elapsed_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line, "batch": self.batch, "store": self.store, "units": self.units,
            "printed": self.printed, "commissioned": self.commissioned, "sampled": self.sampled,
            "scrapped": self.scrapped, "print_failed": self.print_failed,
            "rejected": dict(self.rejected), "cases": self.cases, "pallets": self.pallets,
            "balanced": self.balanced, "reports": dict(self.reports),
            "elapsed_s": round(self.elapsed_s, 3), "packs_per_min": self.packs_per_min,
        }  # fmt: skip


def count_batch(store: Store, batch: str, summary: LineSummary) -> LineSummary:
    """Fill `summary`'s counts from the batch's primary codes in the store."""
    record = store.batch(batch)
    with store.view() as view:
        states = view.states(record, Level.PRIMARY)
        prints = view.column(PRINTS, record, Level.PRIMARY)
        verdicts = view.column(VERDICTS, record, Level.PRIMARY)
        if record.identification is None:  # cases and pallets that hold anything
            summary.cases = len(view.containers(record, Level.SECONDARY))
            summary.pallets = len(view.containers(record, Level.TERTIARY))
    outcome = np.bincount(prints, minlength=len(PrintOutcome))
    verdict = np.bincount(verdicts, minlength=len(Verdict))
    printed = prints == PrintOutcome.PRINTED
    summary.printed = int(outcome[PrintOutcome.PRINTED])
    summary.scrapped = int(outcome[PrintOutcome.UNKNOWN] + outcome[PrintOutcome.SENT])
    summary.print_failed = int(outcome[PrintOutcome.FAILED])
    summary.commissioned = int(np.count_nonzero(printed & (verdicts == Verdict.GOOD)
                                                & (states != CodeState.SAMPLED)))  # fmt: skip
    summary.sampled = int(np.count_nonzero(printed & (states == CodeState.SAMPLED)))
    summary.rejected = {reason.label: int(verdict[reason]) for reason in REASONS}
    return summary


def totals(summaries: list[LineSummary], store: str,
           reports: dict[str, str | None] | None = None) -> dict[str, Any]:  # fmt: skip
    """The figures of several lines' runs: the totals, "batch" the first line's, "reports"
    the paths of the reports written of all of them, and "lines" one object a line (the JSON
    of `jejak demo --json` and `jejak line resume --json`)."""
    lines = [dict(s.as_dict(), line=s.line) for s in summaries]
    keys = ("units", "printed", "commissioned", "sampled", "scrapped", "print_failed", "cases",
            "pallets")  # fmt: skip
    total: dict[str, Any] = {"batch": summaries[0].batch if summaries else None, "store": store}
    total.update({key: sum(line[key] for line in lines) for key in keys})
    rejected = {reason.label: 0 for reason in REASONS}
    for line in lines:
        for reason, count in line["rejected"].items():
            rejected[reason] += count
    elapsed = max((s.elapsed_s for s in summaries), default=0.0)
    packs = total["printed"] + total["print_failed"]
    rate = round(packs * 60 / elapsed, 1) if elapsed else 0.0
    total.update(rejected=rejected, balanced=all(s.balanced for s in summaries),
                 reports={kind: (reports or {}).get(kind) for kind in REPORTS},
                 elapsed_s=round(elapsed, 3),
                 packs_per_min=rate, lines=lines)  # fmt: skip
    return total

"""What one `PrintEngine.serve` did (`StreamReport`: counts of jobs, sampled latencies) and why
it returned (`Ending`). Re-exported by `engine`, the names to import.

>>> StreamReport(sent=3, printed=2).counts()["printed"], Ending.DONE.value
(2, 'done')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

__all__ = ["Ending", "StreamReport"]


class Ending(StrEnum):
    """Why `serve` returned."""

    DONE = "done"  # every code of the levels in use settled, or drained: DONE sent
    STOPPED = "stopped"  # `stop` was set (SIGTERM, Ctrl-C)
    TIMEOUT = "timeout"  # `timeout` seconds passed


@dataclass(slots=True)
class StreamReport:
    """What one `serve` did, as counts of jobs, and why it ended."""

    sent: int = 0
    printed: int = 0
    failed: int = 0
    unknown: int = 0
    ignored: int = 0
    recovered: int = 0
    sessions: int = 0
    refused: int = 0
    latencies: list[float] = field(default_factory=list)  # seconds, send to answer, sampled
    ended: Ending | None = None  # None while serving

    def counts(self) -> dict[str, int]:
        return {
            "sent": self.sent, "printed": self.printed, "failed": self.failed,
            "unknown": self.unknown, "ignored": self.ignored, "recovered": self.recovered,
            "sessions": self.sessions, "refused": self.refused,
        }  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        lat = np.asarray(self.latencies) * 1000
        return {
            **self.counts(),
            "ended": None if self.ended is None else self.ended.value,
            "latency_ms": {} if not lat.size else {
                "p50": float(np.percentile(lat, 50)), "p99": float(np.percentile(lat, 99)),
                "max": float(lat.max()),
            },
        }  # fmt: skip

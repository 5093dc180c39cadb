"""Device simulators as real TCP servers on loopback, for tests, demos and benchmarks: a Zebra
printer (`zpl.ZplSimulator`) and a serialization coder (`coder.CoderSimulator`).
"""

from __future__ import annotations

from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.sim.zpl import ZplSimulator

__all__ = ["CoderSimulator", "ZplSimulator"]

"""How many simulated lines at 600 packs a minute, in real time, one machine sustains.

Each line is the whole simulated line of `jejak demo` (printer simulator printing on product
detect, conveyor, smart-camera simulator photographing and decoding real pixels, the line
controller verifying every read and committing through the one store), each line in its own
process as `jejak demo --lines K` runs them, at `--time-factor 1`. A line is sustained when
no pack is rejected `late` (its verdict did not come before the pack reached the reject
point). Reports CPU per pack by stage: render,
photograph, decode, grade (the camera simulator's own counters) and the rest (verify, store,
print stream, devices: the line processes' CPU minus those; a process's start-up included).

    python bench/lines_realtime.py --lines 10 20 --seconds 30
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from jejak.engine.store import Store
from jejak.line_adapters.sim.line import SimSettings
from jejak.line_adapters.sim.parallel import run_lines
from jejak.line_adapters.sim.runs import Run, demo_batch

MAP = 1 << 34


def run(lines: int, seconds: float, ppm: float) -> dict[str, Any]:
    units = int(ppm / 60 * seconds)
    folder = Path(tempfile.mkdtemp(prefix="jejak-realtime-"))
    stages: list[dict[str, int]] = []
    with Store(folder / "store", map_size=MAP) as store:
        runs = []
        for k in range(1, lines + 1):
            demo_batch(store, f"R{k}", units, today=dt.date(2026, 12, 2), actor="bench")
            runs.append(Run(f"line-{k}", f"R{k}", units,
                            SimSettings(ppm=ppm, time_factor=1.0, seed=k)))  # fmt: skip
    cpu, wall = _children_cpu(), time.monotonic()
    summaries = run_lines(folder / "store", runs, actor="bench", map_size=MAP, stages=stages)
    cpu, wall = _children_cpu() - cpu, time.monotonic() - wall
    packs = sum(s.printed + s.print_failed for s in summaries)
    late = sum(s.rejected["late"] for s in summaries)
    by_stage = {name: sum(t[f"{name}_ns"] for t in stages) / 1e6 / max(packs, 1)
                for name in ("render", "photograph", "decode", "grade")}  # fmt: skip
    rest = cpu * 1000 / max(packs, 1) - sum(by_stage.values())
    by_stage["verify, store, stream, devices"] = rest
    return {"lines": lines, "ppm": ppm, "packs": packs, "late": late,
            "balanced": all(s.balanced for s in summaries), "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "cpu_ms_per_pack": round(cpu * 1000 / max(packs, 1), 2),
            "cpu_ms_per_pack_by_stage": {k: round(v, 3) for k, v in by_stage.items()},
            "sustained": late == 0 and packs == lines * units}  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, nargs="+", default=[10])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--ppm", type=float, default=600.0)
    args = parser.parse_args()
    for lines in args.lines:
        print(json.dumps(run(lines, args.seconds, args.ppm)), flush=True)


if __name__ == "__main__":
    main()

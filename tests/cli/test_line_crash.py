"""Power loss on a running line: `jejak demo` SIGKILLed at random moments, then
`jejak line resume` finishes the batch. Nothing printed twice (the printer simulator's record of
every label it printed), nothing lost (every code accounted for), the batch reconciled, the
audit chain intact. Real processes, real sockets, real pixels."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

JEJAK = str(Path(sys.executable).with_name("jejak"))
UNITS = 600


def printed_lines(record: Path) -> list[str]:
    return record.read_text(encoding="ascii").splitlines() if record.exists() else []


def kill_after(store: Path, labels: int) -> int | None:
    """Start a demo line (no injected faults: a double print is one of them) and SIGKILL it
    once its printer printed `labels` labels; its exit code if it ended first."""
    demo = subprocess.Popen(
        [JEJAK, "demo", "--store", str(store), "--units", str(UNITS), "--seed", "5",
         "--fault-rate", "0", "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    record = store / "records" / "line-1.txt"
    deadline = time.monotonic() + 120
    try:
        while demo.poll() is None and len(printed_lines(record)) < labels:
            assert time.monotonic() < deadline, "the demo printed too little"
            time.sleep(0.005)
        if demo.poll() is not None:
            return demo.returncode
        demo.send_signal(signal.SIGKILL)
        demo.wait(timeout=30)
        return None
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_killed_line_resumes_without_printing_twice_or_losing_a_code(
    tmp_path: Path, seed: int
) -> None:
    store = tmp_path / "store"
    labels = random.Random(seed).randint(1, UNITS - 50)  # noqa: S311 (a moment of the run)
    kill_after(store, labels)
    resumed = subprocess.run(
        [JEJAK, "line", "resume", "--store", str(store), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    if summary["lines"]:  # the kill may come after the run ended (then nothing to resume)
        (line,) = summary["lines"]
        assert line["balanced"] is True
        assert line["printed"] + line["scrapped"] + line["print_failed"] == UNITS
    record = printed_lines(store / "records" / "line-1.txt")
    assert record
    assert len(record) == len(set(record))  # no label printed twice
    again = subprocess.run(
        [JEJAK, "line", "resume", "--store", str(store), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert json.loads(again.stdout)["lines"] == []  # nothing left to resume
    audit = subprocess.run([JEJAK, "audit", "verify", "--store", str(store)],
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr
    shown = subprocess.run([JEJAK, "batch", "show", "B" + time.strftime("%y%m%d") + "L1",
                            "--store", str(store), "--json"],
                           capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert json.loads(shown.stdout)["status"] == "closed"

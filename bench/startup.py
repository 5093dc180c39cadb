"""Start-up of `jejak` commands as whole processes, as ratios to `python -c pass` (issue 9).

Each command runs in turn with the baseline (A B A B ...) so that the ratio of a pair holds
when the machine's speed drifts; the median of the pairs' ratios is reported with the medians
of the times. Targets: `jejak --help` and `jejak nie` <= 6x, `jejak codes parse` / `build`
<= 10x, store commands that compute no serials (`batch show`, `codes lookup`) <= 15x.

    python bench/startup.py [--runs 15]

It compiles the sources first (`compileall`), as an installed Jejak is: an interpreter that may
not write bytecode (PYTHONDONTWRITEBYTECODE) would otherwise compile every module at every
start.
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
NIE = "DKL1234567890A1"
COMMANDS = [
    ("--help", ["--help"], 6),
    ("nie", ["nie", NIE], 6),
    ("codes parse", ["codes", "parse", "(01)09506000134352(17)281031(10)B1(21)X7Y8Z9"], 10),
    (
        "codes build",
        [
            "codes",
            "build",
            "--gtin",
            "9506000134352",
            "--batch",
            "B1",
            "--expiry",
            "2028-10-31",
            "--serial",
            "X7Y8Z9",
        ],
        10,
    ),
    ("batch show", ["batch", "show", "B1", "--store", "{store}"], 15),
    ("codes lookup", ["codes", "lookup", "{code}", "--store", "{store}"], 15),
]


def _jejak() -> list[str]:
    found = shutil.which("jejak", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "jejak.cli.main"]


def _seconds(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def _store(folder: Path) -> str:
    """A store with a batch of 10,000 codes; the HRI of one of them."""
    jejak = _jejak()
    store = ["--store", str(folder / "store")]
    subprocess.run([*jejak, "product", "add", "--nie", NIE, "--name", "Bench", "--packaging",
                    "Dus", "--gtin", "8991234567891", *store], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([*jejak, "batch", "open", "--nie", NIE, "--batch", "B1", "--expiry",
                    "2028-10-31", "--quantity", "10000", "--per-secondary", "100",
                    "--per-tertiary", "50", *store], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    listed = subprocess.run([*jejak, "codes", "list", "--batch", "B1", *store], check=True,
                            capture_output=True, text=True)  # fmt: skip
    return listed.stdout.splitlines()[4242]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="pairs per command")
    args = parser.parse_args()
    compileall.compile_dir(str(SRC), quiet=1)
    baseline = [sys.executable, "-c", "pass"]
    with tempfile.TemporaryDirectory() as folder:
        code = _store(Path(folder))
        print(f"{'command':<14}{'median':>10}{'baseline':>10}{'ratio':>8}{'target':>8}")
        for name, argv, target in COMMANDS:
            words = [w.format(store=Path(folder) / "store", code=code) for w in argv]
            command = [*_jejak(), *words]
            _seconds(command)  # warm the file cache
            pairs = [(_seconds(command), _seconds(baseline)) for _ in range(args.runs)]
            ratio = statistics.median(a / b for a, b in pairs)
            print(f"{name:<14}{statistics.median(a for a, _ in pairs) * 1000:>8.0f}ms"
                  f"{statistics.median(b for _, b in pairs) * 1000:>8.0f}ms{ratio:>7.1f}x"
                  f"{target:>7}x{'' if ratio <= target else '  MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()

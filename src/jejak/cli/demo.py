"""`jejak demo`: a whole packaging line, simulated on loopback, on embedded defaults.

It creates the demo product and one batch a line in a fresh local store, then runs each line:
the printer simulator prints on product detect, the conveyor carries the packs past a smart
camera simulator that photographs the printer's label (rotated, blurred, noisy, now and then
misprinted) and decodes the pixels with the software reader, the line controller verifies
every read against the code printed on that pack, the reject FIFO fires the rejector, and at
the end the batch closes with its reconciliation. The usage report (BPOM's CSV template and
JSON) and the EPCIS 2.0 document of the batches are then written to the store's ``reports``
folder. Progress and live counters go to stderr; the reconciliation table and the reports'
paths (or, with --json, one JSON object, the paths under "reports") to stdout. Exit 0 only if
every batch reconciles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jejak.cli._output import print_json
from jejak.engine.errors import InvalidQuantity

if TYPE_CHECKING:
    from jejak.cli._output import Commands
    from jejak.line_adapters.line import LineController
    from jejak.line_adapters.sim.runs import Run
    from jejak.line_adapters.summary import LineSummary

_ACTOR = "demo"
_REPORT_TITLES = {"csv": "usage report (BPOM CSV)", "json": "usage report (JSON)",
                  "epcis": "EPCIS 2.0 document"}  # fmt: skip


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "demo", help="run a simulated packaging line on embedded defaults", description=__doc__
    )
    parser.add_argument(
        "--units",
        type=int,
        default=2400,
        metavar="N",
        help="packs in all, split across the lines (default 2400)",
    )
    parser.add_argument(
        "--ppm", type=float, default=600, metavar="N", help="packs a minute a line (default 600)"
    )
    parser.add_argument(
        "--time-factor",
        type=float,
        default=10,
        metavar="F",
        help="the conveyor runs F times faster than real time (default 10; 1 = real time)",
    )
    parser.add_argument(
        "--lines",
        type=int,
        default=1,
        metavar="K",
        help="K lines in parallel, each with its own batch (default 1)",
    )
    parser.add_argument("--symbology", choices=["datamatrix", "qr"], default="datamatrix")
    parser.add_argument(
        "--method",
        choices=["authentication", "identification"],
        default="authentication",
        help="authentication: serialized codes (default); identification: an OTC product's "
        "one BPOM QR, (90)NIE (91)validity, on every pack",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.02,
        metavar="R",
        help="fraction of packs that meet a fault: no-reads, misprints, faded "
        "labels, double prints (default 0.02)",
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        help="the demo's store (default: a fresh folder under the temp dir)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, metavar="N", help="seed of the simulated faults"
    )
    parser.add_argument("--today", metavar="YYYY-MM-DD", help="pretend today is this date")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(handler=_demo)  # fmt: skip


def _check(args: argparse.Namespace) -> None:
    if not 1 <= args.lines <= 64:
        raise InvalidQuantity(f"Invalid --lines {args.lines!r}: expected 1 to 64. Hint: this "
                              "machine sustains about ten lines at real time.")  # fmt: skip
    if not args.lines <= args.units <= 10_000_000:
        raise InvalidQuantity(f"Invalid --units {args.units!r}: expected {args.lines} (one a "
                              "line) to 10,000,000. Hint: the default is 2400.")  # fmt: skip
    if not 1 <= args.ppm <= 6000:
        raise InvalidQuantity(f"Invalid --ppm {args.ppm!r}: expected 1 to 6000 packs a minute."
                              " Hint: 600 is a fast pharmaceutical line.")  # fmt: skip
    if not 0.1 <= args.time_factor <= 100:
        raise InvalidQuantity(f"Invalid --time-factor {args.time_factor!r}: expected 0.1 to 100."
                              " Hint: 1 is real time, 10 the default.")  # fmt: skip
    if not 0 <= args.fault_rate <= 0.5:
        raise InvalidQuantity(f"Invalid fault rate {args.fault_rate!r}: expected a fraction "
                              "from 0 to 0.5. Hint: 0.02 makes about one pack in fifty meet a "
                              "fault.")  # fmt: skip


def _demo(args: argparse.Namespace) -> int:
    from jejak.engine.gs1_date import Gs1Date

    _check(args)
    today = (Gs1Date.parse_iso(args.today, what="date (--today)").as_date() if args.today
             else dt.date.today())  # fmt: skip
    root = Path(args.store) if args.store else Path(tempfile.mkdtemp(prefix="jejak-demo-"))
    summaries = _run_lines(args, root, today)
    from jejak.cli._demo_reports import write_reports
    from jejak.cli._store import open_store_at
    from jejak.line_adapters.summary import totals

    with open_store_at(root) as store:
        reports = write_reports(store, root, [s.batch for s in summaries])
    for summary in summaries:
        summary.reports = dict(reports)
    total = totals(summaries, str(root), reports)
    if args.json:
        print_json(total)
    else:
        _table(summaries, total)
        for kind, path in reports.items():
            if path is not None:
                print(f"{_REPORT_TITLES[kind]}: {path}")
    return 0 if total["balanced"] else 1


def _run_lines(args: argparse.Namespace, root: Path, today: dt.date) -> list[LineSummary]:
    from jejak.cli._store import open_store_at
    from jejak.line_adapters.sim.line import SimSettings
    from jejak.line_adapters.sim.runs import DEMO_OTC, Run, demo_batch
    from jejak.printers.symbols import SymbolKind

    identification = args.method == "identification"
    kind = SymbolKind.GS1_QR if args.symbology == "qr" else SymbolKind.GS1_DATAMATRIX
    old_label = None
    if identification:  # the (90)NIE (91)validity code of the electronic NIE, as a GS1 QR
        kind = SymbolKind.GS1_QR
        old_label = f"90{DEMO_OTC['nie']}\x1d91{today.year % 100 - 2:02d}0101"
    records = root / "records"
    records.mkdir(mode=0o700, parents=True, exist_ok=True)  # the codes printed: private
    store = open_store_at(root)
    shares = [args.units // args.lines + (k < args.units % args.lines) for k in range(args.lines)]
    runs = []
    for k, units in enumerate(shares, start=1):
        batch = f"B{today:%y%m%d}L{k}"
        demo_batch(store, batch, units, today=today, actor=_ACTOR, identification=identification)
        seed = None if args.seed is None else args.seed + k
        settings = SimSettings(ppm=args.ppm, time_factor=args.time_factor, symbol=kind,
                               fault_rate=args.fault_rate, seed=seed,
                               disconnects=args.fault_rate > 0, old_label=old_label,
                               record=records / f"line-{k}.txt")  # fmt: skip
        runs.append(Run(f"line-{k}", batch, units, settings, sample_every=500,
                        aggregate=not identification))  # fmt: skip
    store.close()
    with _Board(runs) as board:
        if len(runs) == 1:  # one line: in this process (a kill of it is a power loss)
            return [_run_here(root, runs[0], board)]
        from jejak.cli._store import map_size
        from jejak.line_adapters.sim.parallel import run_lines

        return run_lines(root, runs, actor=_ACTOR, map_size=map_size(), progress=board.show)


def _run_here(root: Path, run: Run, board: _Board) -> LineSummary:
    from jejak.cli._store import open_store_at
    from jejak.line_adapters.sim.runs import run_line

    seen: list[LineController] = []
    done: list[LineSummary] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with open_store_at(root) as store:
                done.append(run_line(store, run, actor=_ACTOR, started=seen.append))
        except BaseException as error:  # raised again on the main thread
            errors.append(error)

    thread = threading.Thread(target=work, name=run.line)
    thread.start()
    while thread.is_alive():
        if seen:
            board.show({run.line: seen[0].status()})
        thread.join(timeout=0.25)
    if errors:
        raise errors[0]
    return done[0]


class _Board:
    """Progress bars and live counters for the lines, on stderr."""

    def __init__(self, runs: list[Run]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        count = TextColumn("{task.completed:>6.0f}/{task.total:.0f}")
        columns = (TextColumn("{task.description}"), BarColumn(), count, TimeElapsedColumn(),
                   TextColumn("{task.fields[counts]}"))  # fmt: skip
        self.progress = Progress(*columns, console=Console(file=sys.stderr))
        self.tasks = {run.line: self.progress.add_task(run.line, total=run.units,
                                                       counts="starting")
                      for run in runs}  # fmt: skip

    def __enter__(self) -> _Board:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def show(self, statuses: dict[str, dict[str, Any]]) -> None:
        for line, status in statuses.items():
            verdicts = status["verdicts"]
            good = verdicts.get("good", 0)
            rejected = {k: v for k, v in verdicts.items() if k != "good" and v}
            shown = ", ".join(f"{k} {v}" for k, v in sorted(rejected.items()))
            counts = f"verified {good}  rejected {sum(rejected.values())}"
            self.progress.update(self.tasks[line], completed=status["packs"],
                                 counts=counts + (f" ({shown})" if shown else ""))  # fmt: skip


def _table(summaries: list[LineSummary], total: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Reconciliation", title_justify="left")
    table.add_column("")
    for summary in summaries:
        table.add_column(f"{summary.line} ({summary.batch})", justify="right")
    rows: list[tuple[str, str]] = [("printed", "printed"), ("commissioned", "commissioned"),
                                   ("sampled", "sampled")]  # fmt: skip
    rows += [(f"rejected: {reason}", reason) for reason in total["rejected"]]
    rows += [("scrapped (print unknown)", "scrapped"), ("print failed", "print_failed"),
             ("cases", "cases"), ("pallets", "pallets")]  # fmt: skip
    lines = total["lines"]
    for title, key in rows:
        values = [line["rejected"][key] if title.startswith("rejected") else line[key]
                  for line in lines]  # fmt: skip
        if any(values) or not title.startswith("rejected"):
            table.add_row(title, *(f"{v:,}" for v in values))
    table.add_row("balanced", *("yes" if line["balanced"] else "NO" for line in lines))
    console = Console()
    console.print(table)
    console.print(f"{total['packs_per_min']:,.0f} packs a minute in all, {total['elapsed_s']} s; "
                  f"store {total['store']} (jejak batch show {total['batch']} --store "
                  f"{total['store']})")  # fmt: skip

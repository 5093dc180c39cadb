"""`jejak line`: run a batch on a real line, watch it and command it, resume after a crash.

- ``line run --config line.toml --batch B`` runs the batch on the devices the file names
  (printer, camera, line I/O), until the batch is complete or SIGTERM / Ctrl-C stops it (the
  batch stays open: run it again to go on); it serves the line's control socket meanwhile;
- ``line status [--json]`` and ``line command reset|start|hold|unhold|suspend|unsuspend|stop|
  abort|clear|complete`` talk to a running line over that socket (``--control``, default the
  configuration's default ``tcp://127.0.0.1:7460``);
- ``line resume --store DIR [--json]`` finishes every run a crash interrupted in that store:
  jobs in flight become unknown (never printed again), printed codes without a verdict are
  rejected as late, the packs still due run on a fresh simulated line, the batch closes; the
  same summary as `jejak demo`.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jejak.cli._output import print_json
from jejak.cli._signals import stop_on_signals
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.engine.errors import InvalidQuantity

if TYPE_CHECKING:
    from jejak.cli._output import Commands

_CONTROL = "tcp://127.0.0.1:7460"
_COMMANDS = ("reset", "start", "hold", "unhold", "suspend", "unsuspend", "stop", "abort",
             "clear", "complete")  # fmt: skip


def register(commands: Commands) -> None:
    group = commands.add_parser("line", help="run, watch and command a packaging line",
                                description=__doc__)  # fmt: skip
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    run = actions.add_parser("run", help="run a batch on the line a line.toml describes")
    run.add_argument("--config", required=True, metavar="FILE", help="the line's line.toml")
    run.add_argument("--batch", required=True, metavar="BATCH")
    run.add_argument("--units", type=int, metavar="N",
                     help="packs to run (default: every code the batch has left)")  # fmt: skip
    run.add_argument("--sample-every", type=int, metavar="N",
                     help="take a retained sample every N good packs")  # fmt: skip
    run.add_argument("--json", action="store_true")
    add_store_arguments(run)
    run.set_defaults(handler=_run)

    status = actions.add_parser("status", help="a running line's PackML state and counts")
    status.add_argument("--control", default=_CONTROL, metavar="ENDPOINT")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)

    command = actions.add_parser("command", help="give a running line a PackML command")
    command.add_argument("command", choices=_COMMANDS)
    command.add_argument("--control", default=_CONTROL, metavar="ENDPOINT")
    command.set_defaults(handler=_command)

    resume = actions.add_parser("resume", help="finish the runs a crash interrupted")
    resume.add_argument("--json", action="store_true")
    add_store_arguments(resume)
    resume.set_defaults(handler=_resume)


def _run(args: argparse.Namespace) -> int:
    from jejak.line_adapters.config import LineConfig
    from jejak.line_adapters.control import ControlServer
    from jejak.line_adapters.line import LineController, LineOptions

    if args.units is not None and args.units < 1:
        raise InvalidQuantity(f"Invalid --units {args.units!r}: expected a number of packs, 1 "
                              "or more. Hint: leave it out to run every code the batch has "
                              "left.")  # fmt: skip
    if args.sample_every is not None and args.sample_every < 1:
        raise InvalidQuantity(f"Invalid --sample-every {args.sample_every!r}: expected a "
                              "number of good packs, 1 or more. Hint: leave it out to take no "
                              "retained samples.")  # fmt: skip
    config = LineConfig.load(Path(args.config))
    options = LineOptions(units=args.units, sample_every=args.sample_every, actor=actor(args))
    with open_store(args) as store, stop_on_signals() as stop:
        controller = LineController(store, args.batch, config, options)
        with ControlServer(config.control, status=controller.status,
                           command=controller.request):  # fmt: skip
            summary = controller.run(stop)
    figures = summary.as_dict()
    if args.json:
        print_json(figures)
    else:
        _print_figures(figures)
    return 0 if summary.balanced or not summary.reconciled else 1


def _status(args: argparse.Namespace) -> int:
    from jejak.line_adapters.control import ControlClient

    reply = ControlClient(args.control).ask({"op": "status"})
    if not reply.get("ok"):
        return _refused(reply)
    status: dict[str, Any] = reply["status"]
    if args.json:
        print_json(status)
        return 0
    tags = status["packtags"]
    mode, speed = tags.get("UnitModeCurrentName", ""), tags.get("CurMachSpeed", 0)
    print(f"{status['line']} batch {status['batch']}: {status['state']} ({mode}), "
          f"{speed:g} packs/min")  # fmt: skip
    print(f"packs {status['packs']:,}, in transit {status['in_transit']:,}, "
          f"unlabelled {status['unlabelled']:,}, fired {status['fired']:,}")  # fmt: skip
    for verdict, count in sorted(status["verdicts"].items()):
        print(f"  {verdict:12} {count:,}")
    return 0


def _command(args: argparse.Namespace) -> int:
    from jejak.line_adapters.control import ControlClient

    reply = ControlClient(args.control).ask({"op": "command", "command": args.command})
    if not reply.get("ok"):
        return _refused(reply)
    print(reply["state"])
    return 0


def _refused(reply: dict[str, Any]) -> int:
    from jejak.engine.errors import IllegalCommand, JejakError

    kind = IllegalCommand if reply.get("kind") == "IllegalCommand" else JejakError
    raise kind(str(reply.get("error", "the line refused the request")))


def _resume(args: argparse.Namespace) -> int:
    from jejak.line_adapters.sim.runs import interrupted, run_line
    from jejak.line_adapters.summary import totals

    who = actor(args)
    with open_store(args) as store, stop_on_signals() as stop:
        runs = interrupted(store)
        threads = []
        results: dict[str, Any] = {}
        failures: list[BaseException] = []

        def finish(run: Any) -> None:
            try:
                results[run.batch] = run_line(store, run, actor=who, stop=stop, resuming=True)
            except BaseException as error:  # raised again on the main thread, as one line
                failures.append(error)

        for run in runs:
            threads.append(threading.Thread(target=finish, args=(run,), name=run.line))
            threads[-1].start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
        summaries = [results[run.batch] for run in runs if run.batch in results]
        total = totals(summaries, str(store.path))
    if args.json:
        print_json(total)
    else:
        if not runs:
            print("nothing to resume: every run in this store ended")
        for line in total["lines"]:
            _print_figures(line)
    return 0 if total["balanced"] and len(summaries) == len(runs) else 1


def _print_figures(figures: dict[str, Any]) -> None:
    rejected = ", ".join(f"{k} {v:,}" for k, v in figures["rejected"].items() if v) or "none"
    print(f"{figures['line']} batch {figures['batch']}: printed {figures['printed']:,}, "
          f"commissioned {figures['commissioned']:,}, sampled {figures['sampled']:,}, "
          f"rejected {sum(figures['rejected'].values()):,} ({rejected}), scrapped "
          f"{figures['scrapped']:,}, print failed {figures['print_failed']:,}; "
          f"{'balanced' if figures['balanced'] else 'NOT balanced'}")  # fmt: skip

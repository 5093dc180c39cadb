"""Several simulated lines at once, each in its own process, as a plant runs one controller per
line: one store (LMDB serialises the writers of several processes), one batch a line.

Python threads share one interpreter lock; at 600 packs a minute a line's controller, print
stream, devices and camera pixels need about a fifth of a core, so lines in threads of one
process stop keeping up at a handful. Each line here is a fresh interpreter (``spawn``) that
opens the store, runs its batch on its own simulated line and serves its control socket on a
free loopback port; the parent watches every line over those sockets, exactly as
`jejak line status` does, and collects the summaries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jejak.engine.errors import JejakError, LineError
from jejak.engine.outbox import Outbox, OutboxSettings
from jejak.engine.serials import load_kernels
from jejak.engine.store import Store
from jejak.line_adapters.control import ControlClient, ControlServer
from jejak.line_adapters.line import LineController
from jejak.line_adapters.sim.line import SimulatedLine
from jejak.line_adapters.sim.runs import Run, run_line
from jejak.line_adapters.summary import LineSummary

__all__ = ["run_lines"]

_POLL = 0.25  # seconds between status reads


def run_lines(
    store: Path, runs: list[Run], *, actor: str, map_size: int,
    progress: Callable[[dict[str, dict[str, Any]]], None] | None = None,
    stages: list[dict[str, int]] | None = None,
) -> list[LineSummary]:  # fmt: skip
    """Run each `Run` in its own process; their summaries
    in order. `progress` hears every line's status (by line name) while they run; `stages`
    (if given) receives each line's camera CPU counters."""
    context = multiprocessing.get_context("spawn")
    inbox: Any = context.Queue()
    go = context.Event()  # every line ready: the belts start together
    children = [context.Process(target=_child, name=run.line, daemon=True,
                                args=((str(store), run.batch, run.to_json(), actor, map_size),
                                      inbox, go))
                for run in runs]  # fmt: skip
    for child in children:
        child.start()
    controls: dict[str, ControlClient] = {}
    results: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    try:
        while len(results) + len(failures) < len(runs):
            _receive(inbox, controls, results, failures, stages)
            if len(controls) + len(results) + len(failures) >= len(runs):
                go.set()
            if not any(child.is_alive() for child in children) and inbox.empty():
                break
            if progress is not None:
                progress(_statuses(controls))
    finally:
        go.set()
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.terminate()
    if failures:
        raise LineError(failures[0])
    missing = [run.line for run in runs if run.line not in results]
    if missing:
        raise LineError(f"Line {missing[0]!r} ended without a summary. Hint: run "
                        "`jejak line resume` on the store to finish its batch.")  # fmt: skip
    return [LineSummary(**results[run.line]) for run in runs]


def _receive(
    inbox: Any, controls: dict[str, Any], results: dict[str, dict[str, Any]],
    failures: list[str], stages: list[dict[str, int]] | None,
) -> None:  # fmt: skip
    try:
        kind, line, body = inbox.get(timeout=_POLL)
    except queue.Empty:
        return
    if kind == "control":
        controls[line] = ControlClient(body, timeout=2.0)
    elif kind == "summary":
        results[line] = body["summary"]
        controls.pop(line, None)
        if stages is not None:
            stages.append(body["stages"])
    else:
        failures.append(body)


def _statuses(controls: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for line, control in list(controls.items()):
        with contextlib.suppress(JejakError, OSError, ValueError):
            reply = control.ask({"op": "status"})
            if reply.get("ok"):
                found[line] = reply["status"]
    return found


def _orphaned(parent: int) -> None:
    """A line whose parent died (SIGKILL, a power loss) dies with it, at once, as the whole
    line PC would: its store is left as a power loss leaves it, for `jejak line resume`."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(137)


def _child(job: tuple[str, str, dict[str, Any], str, int], outbox: Any, go: Any) -> None:
    """One line's process: open the store, get ready, wait for the others, run the batch,
    report the summary."""
    store_path, batch, run_json, actor, map_size = job
    load_kernels()  # before the belts start: the slowest part of getting ready
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
    run = Run.from_json(batch, run_json)
    servers: list[ControlServer] = []
    times: dict[str, int] = {}

    def started(controller: LineController) -> None:
        server = ControlServer("tcp://127.0.0.1:*", status=controller.status,
                               command=controller.request)  # fmt: skip
        servers.append(server)
        outbox.put(("control", run.line, server.endpoint))
        go.wait(timeout=120)

    def simulated(sim: SimulatedLine) -> None:
        taken = sim.scene.times()
        times.update(shots=taken.shots, render_ns=taken.render_ns,
                     photograph_ns=taken.photograph_ns, decode_ns=taken.decode_ns,
                     grade_ns=taken.grade_ns)  # fmt: skip

    try:
        site = Outbox(OutboxSettings.from_env())  # as every store a command opens (cli._store)
        with Store(Path(store_path), map_size=map_size, hooks=[site]) as store:
            summary = run_line(store, run, actor=actor, stop=stop, started=started,
                               simulated=simulated)  # fmt: skip
        outbox.put(("summary", run.line,
                    {"summary": dataclasses.asdict(summary), "stages": times}))  # fmt: skip
    except JejakError as error:
        outbox.put(("failed", run.line, f"{run.line}: {error}"))
    finally:
        for server in servers:
            server.close()
        outbox.close()
        outbox.join_thread()  # the last message is handed over
    # The store is closed and the summary sent: skip the interpreter's teardown, whose
    # clean-up of the C extensions' objects only costs time (and zxing-cpp's binding reports
    # the objects a daemon thread still held).
    os._exit(0)

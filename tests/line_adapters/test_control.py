"""The line's control socket: a real `ControlServer` (ZeroMQ REP on loopback) asked by
`ControlClient` and by raw REQ sockets — every PackML command, status, the refusals, and junk.

The protocol tests put a real PackML `Machine` behind the server (the commands run on the
server's thread there); the last test puts a real `LineController` on a simulated line behind
it, as `jejak line run` does.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from jejak.engine.batch_record import BatchStatus
from jejak.engine.errors import DeviceFault, IllegalCommand, InvalidCombination
from jejak.engine.store import Store
from jejak.line_adapters.control import ControlClient, ControlServer
from jejak.line_adapters.line import LineController, LineOptions
from jejak.line_adapters.packml import Command, Machine, State
from jejak.line_adapters.sim.line import SimSettings, SimulatedLine
from jejak.line_adapters.summary import LineSummary
from jejak.testing import FORMAT, make_request, recv_within

ANY_PORT = "tcp://127.0.0.1:*"


class Served:
    """A PackML machine behind a control server: a command runs its acting state through."""

    def __init__(self) -> None:
        self.machine = Machine()

    def status(self) -> dict[str, Any]:
        return {"state": self.machine.state.label}

    def command(self, command: Command) -> object:
        try:
            self.machine.command(command, reason="operator command")
            while self.machine.state.is_acting:
                self.machine.complete()
        except IllegalCommand as error:
            return error
        return self.machine.state


@pytest.fixture
def served() -> Iterator[tuple[Served, ControlClient]]:
    line = Served()
    with ControlServer(ANY_PORT, status=line.status, command=line.command) as server:
        yield line, ControlClient(server.endpoint)


def test_status(served: tuple[Served, ControlClient]) -> None:
    _, client = served
    assert client.ask({"op": "status"}) == {"ok": True, "status": {"state": "Stopped"}}


# Every command once, each where it is legal; the acting states complete on the way.
PATH = [("reset", "Idle"), ("start", "Execute"), ("hold", "Held"), ("unhold", "Execute"),
        ("suspend", "Suspended"), ("unsuspend", "Execute"), ("complete", "Complete"),
        ("reset", "Idle"), ("start", "Execute"), ("stop", "Stopped"), ("reset", "Idle"),
        ("abort", "Aborted"), ("clear", "Stopped")]  # fmt: skip


def test_every_command(served: tuple[Served, ControlClient]) -> None:
    line, client = served
    for command, state in PATH:
        assert client.ask({"op": "command", "command": command}) == {"ok": True, "state": state}
        assert line.machine.state.label == state
    assert {Command.parse(command) for command, _ in PATH} == set(Command) - {Command.UNDEFINED}


@pytest.mark.parametrize("command", ["Start", "START", " start ", 2, "2"])
def test_a_command_by_any_of_its_names(
    served: tuple[Served, ControlClient], command: object
) -> None:
    _, client = served
    client.ask({"op": "command", "command": "reset"})
    assert client.ask({"op": "command", "command": command}) == {"ok": True, "state": "Execute"}


def test_an_illegal_command_is_refused_and_changes_nothing(
    served: tuple[Served, ControlClient],
) -> None:
    line, client = served
    for command in ("reset", "start"):
        client.ask({"op": "command", "command": command})
    assert client.ask({"op": "command", "command": "unhold"}) == {
        "ok": False,
        "kind": "IllegalCommand",
        "error": "Illegal PackML command Unhold in state Execute: expected one of Stop, Hold, "
        "Suspend, Abort, Complete. Hint: the path to production is Stopped -Reset-> Resetting "
        "-> Idle -Start-> Starting -> Execute; `jejak line status` shows the state.",
    }
    assert line.machine.state is State.EXECUTE


@pytest.mark.parametrize(
    "endpoint",
    ["tcp://192.168.10.5:7460", "tcp://*:7460", "tcp://0.0.0.0:7460", "tcp://line-pc:7460",
     "tcp://[::]:7460"],
)  # fmt: skip
def test_a_control_socket_beyond_loopback_is_refused(endpoint: str) -> None:
    line = Served()
    with pytest.raises(InvalidCombination) as refused:
        ControlServer(endpoint, status=line.status, command=line.command)
    assert str(refused.value) == (
        f"Invalid control endpoint {endpoint!r}: expected a loopback address (e.g. "
        "'tcp://127.0.0.1:7460'). Hint: the control socket commands the line without keys: "
        "keep it on the line PC."
    )


def test_a_control_socket_in_use_is_refused(served: tuple[Served, ControlClient]) -> None:
    line, client = served
    with pytest.raises(DeviceFault) as refused:
        ControlServer(client.endpoint, status=line.status, command=line.command)
    assert str(refused.value) == (
        f"Cannot bind the line's control socket {client.endpoint!r}: Address already in use "
        f"(addr={client.endpoint!r}). Hint: is another line running with this control "
        "endpoint? Give each line its own."
    )
    assert client.ask({"op": "status"})["ok"] is True  # the first one still serves


def test_no_line_on_the_endpoint() -> None:
    with zmq.Context() as context, context.socket(zmq.REP) as taken:
        port = taken.bind_to_random_port("tcp://127.0.0.1")  # nobody answers on it
        client = ControlClient(f"tcp://127.0.0.1:{port}", timeout=0.2)
        with pytest.raises(DeviceFault) as silent:
            client.ask({"op": "status"})
    assert str(silent.value) == (
        f"No line answered on 'tcp://127.0.0.1:{port}' within 0.2 s. Hint: is `jejak line run` "
        "running with this control endpoint (--control)?"
    )


UNKNOWN_REQUEST = ("Invalid control request {!r}: expected a JSON object with \"op\": "
                   "\"status\" or \"command\". Hint: `jejak line status` and `jejak line "
                   "command` send them.")  # fmt: skip
COMMANDS = ("reset, start, stop, hold, unhold, suspend, unsuspend, abort, clear, complete "
            "(or 1 to 10). Hint: use a command name as `jejak line command` takes it, e.g. "
            "'start'.")  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "kind", "error"),
    [
        (b"not json", "InvalidFormat", UNKNOWN_REQUEST.format(b"not json")),
        (b"", "InvalidFormat", UNKNOWN_REQUEST.format(b"")),
        (b"\xff\xfe{", "InvalidFormat", UNKNOWN_REQUEST.format(b"\xff\xfe{")),
        (b"[1, 2]", "InvalidFormat", UNKNOWN_REQUEST.format(b"[1, 2]")),
        (b'"status"', "InvalidFormat", UNKNOWN_REQUEST.format(b'"status"')),
        (b'{"op": "dance"}', "InvalidFormat", UNKNOWN_REQUEST.format(b'{"op": "dance"}')),
        (b"[" * 100_000, "InvalidFormat",
         "Invalid control request b'" + "[" * 38 + "…" + "[" * 11 + "' (100003 chars): "
         'expected a JSON object with "op": "status" or "command". Hint: `jejak line status` '
         "and `jejak line command` send them."),
        (b'{"op": "command"}', "InvalidFormat",
         f"Invalid PackML command None: expected one of {COMMANDS}"),
        (b'{"op": "command", "command": "jump"}', "InvalidFormat",
         f"Invalid PackML command 'jump': expected one of {COMMANDS}"),
        (b'{"op": "command", "command": 0}', "InvalidFormat",
         f"Invalid PackML command 0: expected one of {COMMANDS}"),
        (b'{"op": "command", "command": true}', "InvalidFormat",
         f"Invalid PackML command True: expected one of {COMMANDS}"),
    ],
    ids=["text", "empty", "not-utf8", "array", "string", "unknown-op", "deep", "no-command",
         "unknown-command", "undefined", "bool"],
)  # fmt: skip
def test_junk_is_answered_with_an_error_and_the_socket_serves_on(
    served: tuple[Served, ControlClient], zmq_context: zmq.Context[Any], request_: bytes,
    kind: str, error: str,
) -> None:  # fmt: skip
    line, client = served
    with zmq_context.socket(zmq.REQ) as socket:
        socket.connect(client.endpoint)
        socket.send(request_)
        (reply,) = recv_within(socket)
    assert zmq.utils.jsonapi.loads(reply) == {"ok": False, "kind": kind, "error": error}
    assert client.ask({"op": "status"}) == {"ok": True, "status": {"state": "Stopped"}}
    assert line.machine.state is State.STOPPED


def test_a_line_that_fails_to_answer_gets_an_error_back_and_the_socket_serves_on() -> None:
    calls: list[int] = []

    def status() -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the status broke")
        return {"state": "Stopped"}

    with ControlServer(ANY_PORT, status=status, command=Served().command) as server:
        client = ControlClient(server.endpoint)
        assert client.ask({"op": "status"}) == {
            "ok": False,
            "kind": "LineError",
            "error": "The line failed to answer 'status': RuntimeError: the status broke. "
            "Hint: this is a bug in Jejak; the line's log has the traceback.",
        }
        assert client.ask({"op": "status"}) == {"ok": True, "status": {"state": "Stopped"}}


# A running line behind the socket --------------------------------------------------------------


def test_a_running_line_is_watched_and_commanded_over_its_socket(store: Store) -> None:
    """A line that waits in Idle for its Start; paused, refused, and completed early from the
    socket: the packs still on the belt are rejected (late) and pushed off, the batch closes."""
    store.open_batch(make_request("B1", quantity=120), serial_format=FORMAT, overage_pct=0,
                     actor="qa")  # fmt: skip
    settings = SimSettings(ppm=240, time_factor=5, seed=11)
    options = LineOptions(auto_start=False)
    with SimulatedLine("line-1", 120, settings) as sim:
        controller = LineController(store, "B1", sim.config(), options)
        done: list[LineSummary] = []
        runner = threading.Thread(target=lambda: done.append(controller.run()), name="line")
        with ControlServer(ANY_PORT, status=controller.status,
                           command=controller.request) as server:  # fmt: skip
            client = ControlClient(server.endpoint)
            runner.start()
            try:
                replies = drive(client, sim)
            finally:
                runner.join(30)
        assert not runner.is_alive()
        rejected = {p.number for p in sim.conveyor.rejected}
        labelled_on_belt = [p.number for p in sim.conveyor.in_transit if p.imprint is not None]
    assert replies == [("start", "Execute"), ("CurMachSpeed", True), ("hold", "Held"),
                       ("Held", False), ("CurMachSpeed", 0.0), ("unhold", "Execute"),
                       ("unhold", "IllegalCommand"), ("suspend", "Suspended"),
                       ("unsuspend", "Execute"), ("complete", "Complete")]  # fmt: skip
    (summary,) = done
    assert (summary.reconciled, summary.audit_ok, summary.balanced) == (True, True, True)
    assert store.batch("B1").status is BatchStatus.CLOSED
    assert 0 < summary.printed < 120  # completed early
    assert summary.commissioned + summary.rejected["late"] == summary.printed
    assert labelled_on_belt == []
    assert len(rejected) == summary.rejected["late"]  # the late ones, pushed off


def drive(client: ControlClient, sim: SimulatedLine) -> list[tuple[str, object]]:
    """The operator: start, pause, a refused command, complete; what each answer said."""
    deadline = time.monotonic() + 30
    while client.ask({"op": "status"})["status"]["state"] != "Idle":
        assert time.monotonic() < deadline, "the line never reached Idle"
        time.sleep(0.01)
    replies: list[tuple[str, object]] = []

    def command(name: str) -> None:
        reply = client.ask({"op": "command", "command": name})
        replies.append((name, reply["state"] if reply["ok"] else reply["kind"]))

    command("start")
    while sim.conveyor.entered < 20:
        assert time.monotonic() < deadline, "no packs came"
        time.sleep(0.001)
    running = client.ask({"op": "status"})["status"]["packtags"]
    replies.append(("CurMachSpeed", running["CurMachSpeed"] > 0))
    command("hold")
    while sim.conveyor.running:
        assert time.monotonic() < deadline, "the belt did not stop"
        time.sleep(0.001)
    status = client.ask({"op": "status"})["status"]
    replies.append((status["state"], sim.conveyor.running))
    replies.append(("CurMachSpeed", status["packtags"]["CurMachSpeed"]))
    for name in ("unhold", "unhold", "suspend", "unsuspend"):
        command(name)
    while sim.conveyor.entered < 60:
        assert time.monotonic() < deadline, "no packs came after the pauses"
        time.sleep(0.001)
    command("complete")
    return replies

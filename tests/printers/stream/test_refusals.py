"""REFUSED carries a code: every `RefusalReason` the engine sends, over real sockets, and a
`PrinterDriver` that decides on the code and never on the reason text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest
import zmq
from tests.printers.stream.conftest import HELLO, PRIMARY, Driver, Served

from jejak.engine.errors import ProtocolError
from jejak.printers.coder import CoderClient
from jejak.printers.device import DeviceState
from jejak.printers.stream import PrinterDriver, wire
from jejak.printers.stream.driver import DriverReport
from jejak.printers.stream.wire import Message, Refusal, RefusalReason
from jejak.testing import StartCoder, recv_within

R = RefusalReason

# One message each code is the answer to; `session` says whether a HELLO goes first.
CASES: dict[RefusalReason, tuple[bool, list[bytes], str]] = {
    R.MALFORMED: (False, [b"HELLO", b"\x80", b""], "Invalid message of 3 frames"),
    R.NO_SESSION: (False, wire.pack(Message.CREDIT, {"n": 5}), "CREDIT before HELLO"),
    R.PROTOCOL_VERSION: (
        False, wire.pack(Message.HELLO, {**HELLO, "protocol": 7}), "HELLO with protocol version 7"
    ),
    R.BAD_LEVEL: (
        False, wire.pack(Message.HELLO, {**HELLO, "level": "box"}), "Invalid level 'box'"
    ),
    R.NOT_A_DRIVER_MESSAGE: (True, wire.pack(Message.DONE), "DONE is an engine message"),
    R.BAD_CREDIT: (True, wire.pack(Message.CREDIT, {"n": -1}), "CREDIT n=-1"),
    R.BAD_JOB: (True, wire.pack(Message.FAILED, {"jobs": [[PRIMARY]]}), "FAILED entry [1099"),
    R.BAD_STATE: (
        True, wire.pack(Message.STATUS, {"state": "on fire", "detail": ""}),
        "STATUS field 'state' is 'on fire'",
    ),
}  # fmt: skip


def test_every_code_has_a_case() -> None:
    assert set(CASES) == set(RefusalReason)
    assert [int(code) for code in RefusalReason] == list(range(1, len(RefusalReason) + 1))


@pytest.mark.parametrize("code", list(RefusalReason), ids=lambda code: code.name)
def test_each_refusal_carries_its_code(
    code: RefusalReason, serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    session, frames, reason = CASES[code]
    served = serve()
    p1 = driver(served.engine.endpoint)
    if session:
        p1.hello()
    p1.send_raw(frames)
    assert p1.refused(code).startswith(reason)
    p1.quiet(0.05)
    if session:  # a refusal inside a session changes nothing: the session goes on
        p1.credit(2)
        assert len(p1.jobs(2)) == 2
    report = served.shutdown()
    assert report is not None
    assert report.refused == 1


def test_an_unknown_state_leaves_the_session_state_as_it_was(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.send(Message.STATUS, {"state": "fault", "detail": "head open"})
    p1.send(Message.STATUS, {"state": "FAULT", "detail": ""})  # states are lower case
    assert p1.refused(R.BAD_STATE).startswith("STATUS field 'state' is 'FAULT'")
    p1.credit(5)
    p1.quiet()  # still a fault: nothing is sent
    p1.send(Message.STATUS, {"state": "paused", "detail": "operator"})
    assert len(p1.jobs(5)) == 5  # the engine withholds jobs from a fault only
    (session,) = list(served.engine._sessions.values())  # a stopped engine ends its sessions
    assert session.state is DeviceState.PAUSED


def test_the_wire_checks_the_code_of_a_refused_body() -> None:
    kind, body = wire.unpack(wire.pack(Message.REFUSED, {"code": 2, "reason": "anything"}))
    assert (kind, RefusalReason(body["code"])) == (Message.REFUSED, R.NO_SESSION)
    for bad in ({"reason": "no code"}, {"code": 99, "reason": ""}, {"code": "2", "reason": ""}):
        with pytest.raises(Refusal) as caught:
            wire.unpack([b"REFUSED", msgpack.packb(bad)])
        assert caught.value.code is R.MALFORMED
        assert isinstance(caught.value, ProtocolError)


# The driver's side: a scripted engine (a raw ROUTER) and a real driver and device ---------------


class FakeEngine:
    """A ROUTER that a PrinterDriver connects to; the test scripts what it answers."""

    def __init__(self, context: zmq.Context[Any]) -> None:
        self.socket = context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.LINGER, 0)
        port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.endpoint = f"tcp://127.0.0.1:{port}"
        self.identity = b""

    def expect(self, kind: Message) -> dict[str, Any]:
        """Skip heartbeats and credit until `kind` comes; its body."""
        while True:
            identity, *frames = recv_within(self.socket)
            self.identity = identity
            got, body = wire.unpack(frames)
            if got is kind:
                return body
            assert got in (Message.STATUS, Message.CREDIT), (got, body)

    def send(self, kind: Message, body: dict[str, Any] | None = None) -> None:
        self.socket.send_multipart([self.identity, *wire.pack(kind, body)])

    def welcome(self) -> None:
        self.expect(Message.HELLO)
        self.send(Message.WELCOME, {"protocol": 1, "session": "s", "batch": "B1",
                                    "level": "primary"})  # fmt: skip


@pytest.fixture
def engine(zmq_context: zmq.Context[Any]) -> FakeEngine:
    return FakeEngine(zmq_context)


@pytest.fixture
def run_driver(
    coder_simulator: StartCoder, engine: FakeEngine
) -> Iterator[Callable[[], tuple[threading.Thread, dict[str, Any]]]]:
    """Start a PrinterDriver (a coder client on a simulated coder) against the fake engine."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> tuple[threading.Thread, dict[str, Any]]:
        sim = coder_simulator(capacity=50)
        result: dict[str, Any] = {}
        device = CoderClient("127.0.0.1", sim.port, timeout=2.0)
        driver = PrinterDriver(device, engine.endpoint, printer="p1", hello_timeout=5.0,
                               heartbeat=0.05)  # fmt: skip

        def run() -> None:
            try:
                result["report"] = driver.run(stop=stop)
            except BaseException as error:  # re-raised in the test thread
                result["error"] = error
            finally:
                driver.close()

        thread = threading.Thread(target=run, name="printer-driver", daemon=True)
        threads.append(thread)
        thread.start()
        return thread, result

    try:
        yield start
    finally:
        stop.set()
        for thread in threads:
            thread.join(5.0)
        assert not any(thread.is_alive() for thread in threads), "the driver did not stop"


def finished(thread: threading.Thread, result: dict[str, Any]) -> DriverReport:
    thread.join(5.0)
    assert not thread.is_alive(), "the driver did not stop"
    if "error" in result:
        raise result["error"]
    report = result["report"]
    assert isinstance(report, DriverReport)
    return report


def test_the_driver_says_hello_again_on_the_no_session_code_whatever_the_text(
    engine: FakeEngine, run_driver: Callable[[], tuple[threading.Thread, dict[str, Any]]]
) -> None:
    thread, result = run_driver()
    engine.welcome()
    engine.send(Message.REFUSED, {"code": int(R.NO_SESSION), "reason": "Sesi tidak dikenal."})
    engine.welcome()  # a second HELLO: the driver decided on the code
    engine.send(Message.DONE)
    engine.expect(Message.BYE)
    report = finished(thread, result)
    assert (report.done, report.refused, report.refusal) == (True, None, None)


def test_the_driver_stops_on_another_code_even_if_the_text_says_no_session(
    engine: FakeEngine, run_driver: Callable[[], tuple[threading.Thread, dict[str, Any]]]
) -> None:
    thread, result = run_driver()
    engine.welcome()
    reason = "no session, say HELLO again (words a driver must not act on)"
    engine.send(Message.REFUSED, {"code": int(R.BAD_CREDIT), "reason": reason})
    report = finished(thread, result)
    assert (report.done, report.refused, report.refusal) == (False, reason, R.BAD_CREDIT)


def test_a_refused_hello_is_an_error_named_by_its_code(
    engine: FakeEngine, run_driver: Callable[[], tuple[threading.Thread, dict[str, Any]]]
) -> None:
    thread, result = run_driver()
    engine.expect(Message.HELLO)
    engine.send(Message.REFUSED, {"code": int(R.PROTOCOL_VERSION), "reason": "version 2 only"})
    with pytest.raises(ProtocolError) as caught:
        finished(thread, result)
    assert str(caught.value) == "Engine refused HELLO (PROTOCOL_VERSION): version 2 only"

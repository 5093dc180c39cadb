"""The engine side of the print-job stream under test: a real PrintEngine serving on a thread
over ZeroMQ TCP on 127.0.0.1, and protocol-level drivers (raw DEALER sockets speaking the frames
of printers/README.md, as a driver written in another language would).

Every socket comes from `jejak.testing.zmq_context` (closed with linger 0), every receive is
bounded, and teardown always stops the engine's thread and closes the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import zmq

from jejak.engine.codes import Level
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import Store
from jejak.printers.stream import PrintEngine, StreamReport, wire
from jejak.printers.stream.curve import CurveClient
from jejak.printers.stream.wire import Message, RefusalReason
from jejak.testing import FORMAT, RECV_TIMEOUT, make_request, poll_within

PRIMARY = 1 << 40  # job id = level << 40 | index
QUIET = 0.3  # seconds of silence that count as "nothing more came"
HELLO = {"protocol": 1, "printer": "p1", "kind": "coder", "buffer": 500, "level": "primary"}


@pytest.fixture
def store(store: Store, request: pytest.FixtureRequest) -> Store:
    """The shared store, with batch B1 of 500 primary codes (or the test module's
    `BATCH_CODES`)."""
    count = getattr(request.module, "BATCH_CODES", 500)
    record = store.open_batch(make_request("B1", count), serial_format=FORMAT, actor="qa")
    with store.view() as view:  # warm the serial formatter (numba, once per process), so
        code_texts(view, record, Level.PRIMARY, np.arange(1))  # turns stay short
    return store


@dataclass
class Served:
    """A PrintEngine serving on a thread."""

    engine: PrintEngine
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    report: StreamReport | None = None
    error: BaseException | None = None
    closed: bool = False

    def start(self, **serve: Any) -> Served:
        def run() -> None:
            try:
                self.report = self.engine.serve(stop=self.stop, timeout=15.0, **serve)
            except BaseException as error:  # re-raised in the test thread
                self.error = error

        self.thread = threading.Thread(target=run, name="print-engine", daemon=True)
        self.thread.start()
        return self

    def join(self, timeout: float = 5.0) -> StreamReport:
        """Wait for serve() to return on its own (DONE); the engine stays open."""
        assert self.thread is not None
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"serve() still running after {timeout} s"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report

    def shutdown(self) -> StreamReport | None:
        """Stop serving, join the thread and close the engine; re-raise a serve() error."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(5.0)
            # Never close sockets under a running loop: leak them and fail instead.
            assert not self.thread.is_alive(), "serve() did not stop within 5 s"
        if not self.closed:
            self.closed = True
            self.engine.close()
        if self.error is not None:
            raise self.error
        return self.report


@pytest.fixture
def serve(store: Store) -> Iterator[Callable[..., Served]]:
    """serve(until_done=False, on_turn=None, **engine_options) -> a running engine on a random
    port."""
    started: list[Served] = []

    def start(
        *, until_done: bool = False, on_turn: Callable[[PrintEngine], None] | None = None,
        **options: Any,
    ) -> Served:  # fmt: skip
        engine = PrintEngine(store, "B1", bind="tcp://127.0.0.1:*", **options)
        served = Served(engine)
        started.append(served)
        return served.start(until_done=until_done, on_turn=on_turn)

    try:
        yield start
    finally:
        errors = []
        for served in started:
            try:
                served.shutdown()
            except BaseException as error:  # every engine must close first
                errors.append(error)
        if errors:
            raise errors[0]


class Driver:
    """A protocol-level printer driver: one DEALER, raw frames, bounded receives."""

    def __init__(
        self, context: zmq.Context[Any], endpoint: str, printer: str = "p1",
        *, curve: CurveClient | None = None,
    ) -> None:  # fmt: skip
        self.printer = printer
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.ROUTING_ID, printer.encode())
        if curve is not None:
            curve.apply(self.socket)
        self.socket.connect(endpoint)

    def close(self) -> None:
        self.socket.close(linger=0)

    def send(self, kind: Message, body: dict[str, Any] | None = None) -> None:
        self.socket.send_multipart(wire.pack(kind, body))

    def send_raw(self, frames: list[bytes]) -> None:
        self.socket.send_multipart(frames)

    def poll(self, timeout: float) -> tuple[Message, dict[str, Any]] | None:
        frames = poll_within(self.socket, timeout)
        return None if frames is None else wire.unpack(frames)

    def recv(self, timeout: float = RECV_TIMEOUT) -> tuple[Message, dict[str, Any]]:
        got = self.poll(timeout)
        assert got is not None, f"{self.printer}: nothing from the engine within {timeout} s"
        return got

    def expect(self, kind: Message, timeout: float = RECV_TIMEOUT) -> dict[str, Any]:
        got, body = self.recv(timeout)
        assert got is kind, (got, body)
        return body

    def refused(self, code: RefusalReason) -> str:
        """The reason text of the REFUSED that must come next, with this `code`."""
        body = self.expect(Message.REFUSED)
        assert body.keys() == {"code", "reason"}
        assert RefusalReason(body["code"]) is code, body
        reason = body["reason"]
        assert isinstance(reason, str)
        return reason

    def quiet(self, timeout: float = QUIET) -> None:
        got = self.poll(timeout)
        assert got is None, f"{self.printer}: expected silence, got {got}"

    def hello(self, **changes: Any) -> dict[str, Any]:
        self.send(Message.HELLO, {**HELLO, "printer": self.printer, **changes})
        return self.expect(Message.WELCOME)

    def credit(self, n: int) -> None:
        self.send(Message.CREDIT, {"n": n})

    def jobs(self, n: int, timeout: float = RECV_TIMEOUT) -> list[tuple[int, bytes]]:
        """Exactly `n` jobs, from as many JOB messages as it takes."""
        got: list[tuple[int, bytes]] = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            left = deadline - time.monotonic()
            assert left > 0, f"{self.printer}: {len(got)} of {n} jobs within {timeout} s"
            got += wire.jobs_of(self.expect(Message.JOB, left)["jobs"])
        assert len(got) == n, f"{len(got)} jobs for a credit of {n}"
        return got

    def printed(self, ids: list[int]) -> None:
        self.send(Message.PRINTED, {"jobs": ids})


@pytest.fixture
def driver(zmq_context: zmq.Context[Any]) -> Iterator[Callable[..., Driver]]:
    """driver(endpoint, printer="p1", curve=None) -> a connected Driver, closed at teardown."""
    opened: list[Driver] = []

    def connect(endpoint: str, printer: str = "p1", **options: Any) -> Driver:
        opened.append(Driver(zmq_context, endpoint, printer, **options))
        return opened[-1]

    try:
        yield connect
    finally:
        for each in opened:
            each.close()


def counts(store: Store, level: Level = Level.PRIMARY) -> dict[PrintOutcome, int]:
    return PrintLedger(store, "B1", level).counts()


def wait_settled(store: Store, timeout: float = RECV_TIMEOUT, **expected: int) -> None:
    """Wait until the ledger's counts for these outcomes (by label) are as given."""
    deadline = time.monotonic() + timeout
    while True:
        now = {label: counts(store)[PrintOutcome[label.upper()]] for label in expected}
        if now == expected:
            return
        assert time.monotonic() < deadline, f"ledger counts {now}, expected {expected}"
        time.sleep(0.01)


def indices(jobs: list[tuple[int, bytes]]) -> list[int]:
    assert all(job >> 40 == Level.PRIMARY for job, _ in jobs)
    return [job & (PRIMARY - 1) for job, _ in jobs]

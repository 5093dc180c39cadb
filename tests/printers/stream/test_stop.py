"""Stopping the stream, in process: what the engine and a driver settle, say and refuse when
they stop, and that no wait of theirs outlasts `stop` (the CLI's signal tests run processes).

Waits here are bounded generously (a loaded machine is slow); none checks how fast a stop is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zmq
from tests.printers.stream.conftest import HELLO, Driver, Served, counts, wait_settled

from jejak.engine.errors import InvalidCombination, JejakError
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import Store
from jejak.printers.coder.client import CoderClient
from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.stream import Ending, PrintEngine, PrinterDriver, wire
from jejak.printers.stream.curve import (
    CurveClient,
    CurveKeys,
    CurveServer,
    allowed_keys,
    create_keys,
    public_key,
)
from jejak.printers.stream.wire import Message, RefusalReason
from jejak.testing import StartCoder, poll_within, recv_within

O = PrintOutcome  # noqa: E741 - short, as in the ledger tests
GENEROUS = 20.0  # seconds: a bound for a test that would otherwise hang, not a speed check


# The engine ---------------------------------------------------------------------------------


def test_a_stopped_engine_settles_the_jobs_in_flight_as_unknown(
    store: Store, serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(25)
    ids = [job for job, _ in p1.jobs(25)]
    p1.printed(ids[:5])
    wait_settled(store, printed=5, sent=20)
    report = served.shutdown()
    assert report is not None
    assert (report.ended, report.sent, report.printed, report.unknown) == (
        Ending.STOPPED, 25, 5, 20)  # fmt: skip
    assert counts(store) == {O.NONE: 475, O.SENT: 0, O.PRINTED: 5, O.FAILED: 0, O.UNKNOWN: 20}
    restarted = serve()
    assert restarted.engine.report.recovered == 0  # nothing was left for a restart to settle
    again = driver(restarted.engine.endpoint, "p1-again")
    again.printed(ids[5:])  # the session ended with the engine
    assert again.refused(RefusalReason.NO_SESSION).startswith("PRINTED before HELLO")


def test_answers_received_before_the_stop_are_recorded(
    store: Store, serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(10)
    ids = [job for job, _ in p1.jobs(10)]
    p1.printed(ids[:4])
    p1.send(Message.FAILED, {"jobs": [[ids[4], "ribbon out", True]]})
    time.sleep(0.2)  # they reach the engine's socket (in a turn, or in the last receive)
    served.shutdown()
    assert counts(store) == {O.NONE: 490, O.SENT: 0, O.PRINTED: 4, O.FAILED: 1, O.UNKNOWN: 5}


def test_a_timed_out_serve_settles_likewise_and_says_so(
    store: Store, driver: Callable[..., Driver]
) -> None:
    with PrintEngine(store, "B1", bind="tcp://127.0.0.1:*") as engine:
        p1 = driver(engine.endpoint)
        p1.send(Message.HELLO, HELLO)
        p1.credit(7)
        report = engine.serve(timeout=1.0)  # HELLO and CREDIT are waiting: 7 jobs, no answer
    assert (report.ended, report.sent, report.unknown) == (Ending.TIMEOUT, 7, 7)
    assert report.as_dict()["ended"] == "timeout"
    assert counts(store)[O.SENT] == 0


def test_an_engine_beyond_loopback_without_curve_is_refused_before_anything(
    store: Store,
) -> None:
    with pytest.raises(InvalidCombination, match=r"^Refused to bind 'tcp://0\.0\.0\.0:5555' "):
        PrintEngine(store, "B1", bind="tcp://0.0.0.0:5555")
    with pytest.raises(InvalidCombination, match=r"^Refused to publish on 'tcp://\*:5556'"):
        PrintEngine(store, "B1", bind="tcp://127.0.0.1:*", publish="tcp://*:5556")


def test_an_endpoint_in_use_is_a_clear_error(store: Store) -> None:
    with (
        PrintEngine(store, "B1", bind="tcp://127.0.0.1:*") as first,
        pytest.raises(JejakError) as caught,
    ):
        PrintEngine(store, "B1", bind=first.endpoint)
    assert str(caught.value).startswith(f"Cannot bind {first.endpoint!r}: Address already in use")


# The driver ---------------------------------------------------------------------------------


@pytest.fixture
def silent_engine(zmq_context: zmq.Context[Any]) -> tuple[str, zmq.Socket[Any]]:
    """A ROUTER that never answers: (endpoint, socket); `zmq_context` closes it."""
    router = zmq_context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    return f"tcp://127.0.0.1:{port}", router


def run_until_stopped(driver: PrinterDriver, after: float) -> tuple[Any, float]:
    """driver.run, with `stop` set after `after` seconds; (report, seconds run)."""
    stop = threading.Event()
    timer = threading.Timer(after, stop.set)
    timer.start()
    started = time.monotonic()
    try:
        report = driver.run(stop=stop)
    finally:
        timer.cancel()
    return report, time.monotonic() - started


def test_the_hello_wait_ends_when_stopped(
    coder_simulator: StartCoder, silent_engine: tuple[str, zmq.Socket[Any]]
) -> None:
    endpoint, router = silent_engine
    sim = coder_simulator()
    device = CoderClient("127.0.0.1", sim.port)
    with PrinterDriver(device, endpoint, printer="p1", hello_timeout=600) as driver:
        report, took = run_until_stopped(driver, 0.3)
    assert took < GENEROUS  # not the 600 s HELLO timeout
    assert (report.done, report.received, report.refused) == (False, 0, None)
    frames = recv_within(router)
    assert wire.unpack(frames[1:])[0] is Message.HELLO
    assert poll_within(router, 0.2) is None  # no BYE: the engine never knew this driver


@pytest.fixture
def curve_engine(store: Store, tmp_path: Path, serve: Callable[..., Served]) -> tuple[Served, Path]:
    """A serving engine that requires CurveZMQ; (served, key folder)."""
    _, secret = create_keys(tmp_path / "engine", "engine")
    create_keys(tmp_path / "drivers", "known")
    create_keys(tmp_path / "strangers", "stranger")
    server = CurveServer(CurveKeys.load(secret), allowed_keys(tmp_path / "drivers"))
    return serve(curve=server), tmp_path


@pytest.mark.parametrize(
    ("keys", "cause"),
    [
        (None, "the engine requires CurveZMQ and this driver has no keys"),
        ("stranger", "the engine does not know this driver's key (ZAP 400)"),
    ],
)
def test_a_refused_handshake_is_named_when_no_welcome_comes(
    coder_simulator: StartCoder, curve_engine: tuple[Served, Path], keys: str | None, cause: str
) -> None:
    served, folder = curve_engine
    curve = None
    if keys is not None:
        mine = CurveKeys.load(folder / "strangers" / f"{keys}.key_secret")
        curve = CurveClient(mine, public_key(folder / "engine" / "engine.key"))
    device = CoderClient("127.0.0.1", coder_simulator().port)
    driver = PrinterDriver(device, served.engine.endpoint, printer="p1", curve=curve,
                           hello_timeout=3.0)  # fmt: skip
    with driver, pytest.raises(JejakError) as caught:
        driver.run()
    assert str(caught.value) == (
        f"Engine {served.engine.endpoint!r} refused this driver's connection for 3 s: {cause}. "
        "Hint: pass --curve-secret driver.key_secret --curve-server engine.key (`jejak printer "
        "keys` writes them) and put driver.key in the engine's --curve-clients folder."
    )


def test_a_stopped_driver_reports_the_jobs_in_the_device_as_unknown_and_says_bye(
    store: Store, serve: Callable[..., Served], coder_simulator: StartCoder
) -> None:
    served = serve()
    sim: CoderSimulator = coder_simulator(rate=50)  # slow: jobs wait in the device
    device = CoderClient("127.0.0.1", sim.port)
    stop = threading.Event()
    with PrinterDriver(device, served.engine.endpoint, printer="p1", low=10, high=30) as driver:
        runner = threading.Thread(target=lambda: driver.run(stop=stop), name="driver")
        runner.start()
        try:
            assert sim.wait_until(lambda s: s.printed_count >= 5, timeout=GENEROUS)
        finally:
            stop.set()
            runner.join(GENEROUS)
        assert not runner.is_alive()
        report = driver.report
    assert report.printed >= 5
    assert report.unknown > 0  # the slow device still held some
    assert report.received == report.printed + report.failed + report.unknown
    wait_settled(store, timeout=GENEROUS, sent=0, printed=report.printed, unknown=report.unknown)
    deadline = time.monotonic() + GENEROUS
    while served.engine._sessions:  # BYE ends the session; the engine goes on
        assert time.monotonic() < deadline, "the engine never heard the driver's BYE"
        time.sleep(0.01)

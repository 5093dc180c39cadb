"""The print engine's hooks for a line controller in the same process, over real sockets:
`on_settle` (every answer settled, in order, with the indices as the driver listed them),
`budget` (at most N jobs a level, then drained) and `publish` (the owner's events on the PUB
socket, from any thread). The drivers are raw DEALER sockets (conftest.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import numpy as np
import pytest
import zmq
from tests.printers.stream.conftest import PRIMARY, Driver, Served, counts, indices

from jejak.engine.codes import Level
from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import Store
from jejak.engine.text import describe
from jejak.printers.stream import PrintEngine, wire
from jejak.printers.stream.engine import Settlement
from jejak.printers.stream.wire import Message
from jejak.testing import RECV_TIMEOUT, poll_within, recv_within

O = PrintOutcome  # noqa: E741 - short, as in the ledger tests
WAIT = 10.0  # seconds: a failure guard only

Seen = tuple[Level, str, PrintOutcome, list[int]]


class Settlements:
    """What `on_settle` was told, as plain tuples; each call checked on arrival."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.threads: set[str] = set()

    def __call__(self, settlement: Settlement) -> None:
        assert settlement.indices.dtype == np.int64
        assert not settlement.indices.flags.writeable
        self.threads.add(threading.current_thread().name)
        self.seen.append((settlement.level, settlement.printer, settlement.outcome,
                          settlement.indices.tolist()))  # fmt: skip

    def wait(self, count: int) -> list[Seen]:
        deadline = time.monotonic() + WAIT
        while len(self.seen) < count:
            assert time.monotonic() < deadline, f"on_settle: {self.seen}"
            time.sleep(0.005)
        return self.seen


# on_settle ----------------------------------------------------------------------------------


def test_on_settle_hears_each_answer_in_order_as_the_driver_listed_it(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    told = Settlements()
    served = serve(on_settle=told)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(8)
    jobs = [job for job, _ in p1.jobs(8)]
    assert indices([(job, b"") for job in jobs]) == list(range(8))
    p1.printed([jobs[3], jobs[1], jobs[3], jobs[0]])  # a repeat is settled once
    p1.send(Message.FAILED, {"jobs": [[jobs[2], "ribbon out", True],
                                      [jobs[4], "dropped", False]]})  # fmt: skip
    p1.printed([jobs[0], PRIMARY + 400])  # already settled, and never sent: nothing to tell
    p1.printed([jobs[6]])
    p1.send(Message.BYE)  # 5 and 7 still in flight: unknown
    assert told.wait(5) == [
        (Level.PRIMARY, "p1", O.PRINTED, [3, 1, 0]),
        (Level.PRIMARY, "p1", O.FAILED, [2]),
        (Level.PRIMARY, "p1", O.UNKNOWN, [4]),
        (Level.PRIMARY, "p1", O.PRINTED, [6]),
        (Level.PRIMARY, "p1", O.UNKNOWN, [5, 7]),
    ]
    assert told.threads == {"print-engine"}  # the engine's serve thread
    assert counts(store)[O.PRINTED] == 4
    report = served.shutdown()
    assert report is not None
    assert (report.printed, report.failed, report.unknown, report.ignored) == (4, 1, 3, 3)
    assert len(told.seen) == 5


def test_on_settle_hears_the_jobs_a_stop_settles_unknown(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    told = Settlements()
    served = serve(on_settle=told)
    p1, p2 = driver(served.engine.endpoint), driver(served.engine.endpoint, "p2")
    p1.hello()
    p2.hello(level="secondary", kind="zpl")
    p1.credit(3)
    p2.credit(2)
    one, two = p1.jobs(3), p2.jobs(2)
    p2.printed([two[1][0]])
    told.wait(1)
    served.shutdown()  # stopped: what is still in flight is unknown
    assert told.seen[0] == (Level.SECONDARY, "p2", O.PRINTED, [1])
    assert sorted(told.seen[1:]) == [
        (Level.PRIMARY, "p1", O.UNKNOWN, indices(one)),
        (Level.SECONDARY, "p2", O.UNKNOWN, [0]),
    ]


def test_on_settle_hears_the_jobs_of_a_silent_driver(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    told = Settlements()
    served = serve(on_settle=told, driver_timeout=0.3)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(4)
    p1.jobs(4)
    assert told.wait(1) == [(Level.PRIMARY, "p1", O.UNKNOWN, [0, 1, 2, 3])]  # never answered


# budget -------------------------------------------------------------------------------------


def test_a_budget_caps_the_jobs_sent_then_the_engine_is_done(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(budget={Level.PRIMARY: 5})  # until_done=False: the budget ends it anyway
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(3)
    first = p1.jobs(3)
    p1.credit(10)
    rest = p1.jobs(2)
    p1.quiet()  # the budget is spent: no more jobs, whatever the credit
    assert served.engine.sent_total(Level.PRIMARY) == 5
    assert served.engine.sent_total(Level.SECONDARY) == 0
    p1.printed([job for job, _ in first + rest[:1]])
    p1.quiet()  # one job still in flight: not done
    p1.printed([rest[1][0]])
    assert p1.expect(Message.DONE) == {}
    report = served.join()
    assert (report.ended, report.sent, report.printed) == ("done", 5, 5)
    assert (counts(store)[O.PRINTED], counts(store)[O.NONE]) == (5, 495)


def test_a_budget_is_shared_by_the_printers_of_its_level(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve(budget={Level.PRIMARY: 7})
    p1, p2 = driver(served.engine.endpoint), driver(served.engine.endpoint, "p2")
    p1.hello()
    p2.hello()
    p1.credit(5)
    a = p1.jobs(5)
    p2.credit(5)
    b = p2.jobs(2)
    p1.quiet()
    p2.quiet()
    assert sorted(indices(a + b)) == list(range(7))
    p1.printed([job for job, _ in a])
    p2.printed([job for job, _ in b])
    assert (p1.expect(Message.DONE), p2.expect(Message.DONE)) == ({}, {})
    assert served.join().sent == 7


def test_a_spent_budget_ends_serve_even_with_no_printer(serve: Callable[..., Served]) -> None:
    served = serve(budget={Level.PRIMARY: 0})
    report = served.join()
    assert (report.ended, report.sent, report.sessions) == ("done", 0, 0)


def test_without_a_budget_for_its_level_a_printer_is_fed_until_the_budget_drains(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve(budget={Level.PRIMARY: 2})
    cases, packs = driver(served.engine.endpoint, "p2"), driver(served.engine.endpoint)
    cases.hello(level="secondary", kind="zpl")
    cases.credit(3)
    case_jobs = cases.jobs(3)  # secondary: no limit
    packs.hello()
    packs.credit(5)
    pack_jobs = packs.jobs(2)
    packs.printed([job for job, _ in pack_jobs])  # primary spent: the engine drains
    cases.credit(3)
    cases.quiet()
    cases.printed([job for job, _ in case_jobs])
    assert (packs.expect(Message.DONE), cases.expect(Message.DONE)) == ({}, {})
    assert served.join().sent == 5


@pytest.mark.parametrize(
    ("budget", "message"),
    [
        ({}, ("Invalid budget {}: expected a count of jobs for at least one level. Hint: "
             "None sends every code of the batch.")),
        ({Level.PRIMARY: -1}, "<Level.PRIMARY: 1>: -1"),
        ({Level.PRIMARY: True}, "<Level.PRIMARY: 1>: True"),
        ({"primary": 3}, "'primary': 3"),
    ],
)  # fmt: skip
def test_a_budget_is_checked(budget: Any, message: str, store: Store) -> None:
    if not message.startswith("Invalid"):
        message = (
            f"Invalid budget {message}: expected a Level and a count of jobs >= 0. Hint: e.g. "
            "{Level.PRIMARY: 600} for a run of 600 packs."
        )
    with pytest.raises(InvalidQuantity) as caught:
        PrintEngine(store, "B1", budget=budget)
    assert str(caught.value) == message


# publish ------------------------------------------------------------------------------------


@pytest.fixture
def subscribe(zmq_context: zmq.Context[Any]) -> Iterator[Callable[[PrintEngine], zmq.Socket[Any]]]:
    """subscribe(engine) -> a SUB socket on the engine's PUB endpoint, every topic, once its
    subscription is live (the PUB/SUB slow joiner: publish until one comes through, then
    drain); closed at teardown."""
    opened: list[zmq.Socket[Any]] = []

    def connect(engine: PrintEngine) -> zmq.Socket[Any]:
        assert engine.pub_endpoint is not None
        sub: zmq.Socket[Any] = zmq_context.socket(zmq.SUB)
        opened.append(sub)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(engine.pub_endpoint)
        deadline = time.monotonic() + WAIT
        while poll_within(sub, 0.05) is None:
            assert time.monotonic() < deadline, "the subscription never went live"
            engine.publish("line.ping", {})
        while poll_within(sub, 0.1) is not None:
            pass
        return sub

    try:
        yield connect
    finally:
        for each in opened:
            each.close(linger=0)


def event(frames: list[bytes]) -> tuple[bytes, dict[str, Any]]:
    topic, body = frames
    return topic, msgpack.unpackb(body)


def test_the_owner_publishes_on_the_pub_socket_from_any_thread(
    serve: Callable[..., Served], driver: Callable[..., Driver],
    subscribe: Callable[[PrintEngine], zmq.Socket[Any]],
) -> None:  # fmt: skip
    served = serve(publish="tcp://127.0.0.1:*")
    sub = subscribe(served.engine)

    def verdicts() -> None:
        for n in range(3):
            served.engine.publish("line.verdict", {"index": n, "reason": "good", "grade": 3.5})

    line = threading.Thread(target=verdicts)
    line.start()
    line.join(WAIT)
    for n in range(3):  # in order, two frames, the batch first
        frames = recv_within(sub)
        assert frames[1] == wire.pack_body({"batch": "B1", "index": n, "reason": "good",
                                            "grade": 3.5})  # fmt: skip
        assert frames[0] == b"line.verdict"
    served.engine.publish("line.packml", {"state": 6, "batch": "other"})  # the body's batch
    assert event(recv_within(sub)) == (b"line.packml", {"batch": "other", "state": 6})
    p1 = driver(served.engine.endpoint)
    p1.hello()  # the engine's own events go on the same socket
    assert event(recv_within(sub))[0] == b"hello"


@pytest.mark.parametrize(
    "topic", ["status", "progress.line", "lost", "", "Line.verdict", "line verdict", "x" * 65, 7]
)
def test_engine_topics_and_odd_names_are_refused(topic: Any, store: Store) -> None:
    with PrintEngine(store, "B1") as engine, pytest.raises(InvalidFormat) as caught:
        engine.publish(topic, {})
    assert str(caught.value).startswith(
        f"Invalid topic {describe(topic)}: expected 1 to 64 lower-case letters, digits, '.', "
        "'_' or '-', "
    )
    assert str(caught.value).endswith(
        "not starting with an engine topic (hello, status, failed, lost, progress). Hint: name "
        "line events under a prefix of their own, e.g. 'line.verdict'."
    )


def test_a_body_msgpack_cannot_pack_is_refused_in_the_callers_thread(store: Store) -> None:
    with PrintEngine(store, "B1", publish="tcp://127.0.0.1:*") as engine:
        with pytest.raises(InvalidFormat) as caught:
            engine.publish("line.verdict", {"index": np.int64(7)})
        assert str(caught.value) == (
            "Invalid body for topic 'line.verdict': can not serialize 'numpy.int64' object. "
            "Hint: msgpack types only (str, bytes, int, float, bool, None, lists and maps of "
            "them; int(x) for numpy integers)."
        )
        engine.publish("line.verdict", {"index": 7})  # fine; no PUB socket needed to check


def test_without_a_pub_socket_a_publication_is_checked_and_dropped(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    served.engine.publish("line.verdict", {"index": 1})
    p1 = driver(served.engine.endpoint)
    p1.hello()  # the engine serves on
    p1.credit(1)
    assert len(p1.jobs(1, timeout=RECV_TIMEOUT)) == 1

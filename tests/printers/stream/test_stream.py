"""The print-job stream, engine side: a real PrintEngine over ZeroMQ TCP on 127.0.0.1.

The drivers here are raw DEALER sockets speaking the protocol of printers/README.md frame by
frame, as a driver written in another language would (conftest.py: `serve`, `driver`). Every
socket closes with linger 0, every receive has a timeout, and teardown always stops the thread
and closes the engine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import msgpack
import pytest
import zmq
from tests.printers.stream.conftest import (
    HELLO,
    PRIMARY,
    Driver,
    Served,
    counts,
    indices,
    wait_settled,
)

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.lookup import lookup
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import Store
from jejak.printers.stream import PrintEngine
from jejak.printers.stream.curve import (
    CurveClient,
    CurveKeys,
    CurveServer,
    allowed_keys,
    create_keys,
    public_key,
)
from jejak.printers.stream.wire import Message, RefusalReason
from jejak.testing import GTIN, RECV_TIMEOUT, poll_within

O = PrintOutcome  # noqa: E741 - short, as in the ledger tests
R = RefusalReason


# Session opening and protocol errors --------------------------------------------------------


def test_hello_is_welcomed(serve: Callable[..., Served], driver: Callable[..., Driver]) -> None:
    served = serve()
    welcome = driver(served.engine.endpoint).hello()
    assert welcome.keys() == {"protocol", "session", "batch", "level"}
    assert (welcome["protocol"], welcome["batch"], welcome["level"]) == (1, "B1", "primary")
    assert isinstance(welcome["session"], str)
    assert len(welcome["session"]) == 32
    other = driver(served.engine.endpoint, "p2").hello(level="secondary", kind="zpl")
    assert other["level"] == "secondary"
    assert other["session"] != welcome["session"]
    assert served.engine.endpoint.startswith("tcp://127.0.0.1:")
    report = served.shutdown()
    assert report is not None
    assert (report.sessions, report.refused, report.sent) == (2, 0, 0)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (Message.CREDIT, {"n": 10}),
        (Message.PRINTED, {"jobs": [PRIMARY]}),
        (Message.STATUS, {"state": "ready", "detail": ""}),
        (Message.BYE, {}),
    ],
)
def test_a_message_before_hello_is_refused(
    serve: Callable[..., Served], driver: Callable[..., Driver], kind: Message,
    body: dict[str, Any], store: Store,
) -> None:  # fmt: skip
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.send(kind, body)
    assert p1.refused(R.NO_SESSION) == f"{kind} before HELLO: no session. Hint: say HELLO first."
    p1.hello()  # the driver may still open a session
    p1.quiet(0.1)
    assert counts(store)[O.NONE] == 500


FRAMES = "Invalid message of {n} frames: expected 2 (type, msgpack body). Hint: send the type "
FRAMES += "and the body as one multipart message."
TYPES = "HELLO, CREDIT, PRINTED, FAILED, STATUS, BYE, WELCOME, JOB, REFUSED, DONE"


@pytest.mark.parametrize(
    ("frames", "code", "reason"),
    [
        ([b"HELLO"], R.MALFORMED, FRAMES.format(n=1)),
        ([b"HELLO", msgpack.packb(HELLO), b""], R.MALFORMED, FRAMES.format(n=3)),
        (
            [b"HULLO", msgpack.packb(HELLO)],
            R.MALFORMED,
            (
                f"Unknown message type b'HULLO': expected one of {TYPES}. Hint: check the "
                "driver speaks protocol version 1."
            ),
        ),
        (
            [b"\xff\x00", b"\x80"],
            R.MALFORMED,
            (
                f"Unknown message type b'\\xff\\x00': expected one of {TYPES}. Hint: check "
                "the driver speaks protocol version 1."
            ),
        ),
        (
            [b"HELLO", msgpack.packb([1, "primary"])],
            R.MALFORMED,
            "HELLO body [1, 'primary']: expected a msgpack map.",
        ),
        (
            [b"HELLO", msgpack.packb({**HELLO, "protocol": "1"})],
            R.MALFORMED,
            "HELLO field 'protocol' is '1': expected int. Hint: see printers/README.md.",
        ),
        (
            [b"HELLO", msgpack.packb({**HELLO, "buffer": True})],
            R.MALFORMED,
            "HELLO field 'buffer' is True: expected int. Hint: see printers/README.md.",
        ),
        (
            [b"HELLO", msgpack.packb({k: v for k, v in HELLO.items() if k != "level"})],
            R.MALFORMED,
            "HELLO field 'level' is None: expected str. Hint: see printers/README.md.",
        ),
        (
            [b"HELLO", msgpack.packb({**HELLO, "protocol": 2})],
            R.PROTOCOL_VERSION,
            (
                "HELLO with protocol version 2: this engine speaks version 1. Hint: upgrade the "
                "driver or the engine."
            ),
        ),
        (
            [b"HELLO", msgpack.packb({**HELLO, "level": "pallet"})],
            R.BAD_LEVEL,
            (
                "Invalid level 'pallet': expected 'primary', 'secondary' or 'tertiary'. "
                "Hint: primary is the pack, secondary the case, tertiary the pallet."
            ),
        ),
    ],
)
def test_junk_is_refused_with_the_reason(
    serve: Callable[..., Served], driver: Callable[..., Driver], frames: list[bytes],
    code: RefusalReason, reason: str,
) -> None:  # fmt: skip
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.send_raw(frames)
    assert p1.refused(code) == reason
    p1.quiet(0.05)
    p1.hello()  # nothing was opened by the junk; a good HELLO still works
    report = served.shutdown()
    assert report is not None
    assert (report.refused, report.sessions) == (1, 1)


def test_a_body_that_is_not_msgpack_is_refused(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.send_raw([b"HELLO", msgpack.packb(HELLO) + b"\x01"])
    assert p1.refused(R.MALFORMED).startswith(
        "HELLO body is not msgpack (unpack(b) received extra data.)"
    )
    p1.send_raw([b"CREDIT", b"\xc1"])  # a byte msgpack never uses
    reason = p1.refused(R.MALFORMED)
    assert reason.startswith("CREDIT body is not msgpack (")
    assert reason.endswith("got b'\\xc1'. Hint: the second frame is one msgpack map.")


def test_bad_messages_within_a_session_are_refused_and_change_nothing(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    bad: list[tuple[Message, dict[str, Any], RefusalReason, str]] = [
        (Message.CREDIT, {"n": 1.5}, R.MALFORMED, "CREDIT field 'n' is 1.5: expected int."),
        (Message.PRINTED, {"jobs": [-1]}, R.BAD_JOB,
         "PRINTED job id -1: expected a non-negative integer from a JOB."),
        (Message.PRINTED, {"jobs": [True]}, R.BAD_JOB,
         "PRINTED job id True: expected a non-negative integer from a JOB."),
        (Message.PRINTED, {"jobs": PRIMARY}, R.MALFORMED,
         "PRINTED field 'jobs' is 1099511627776: expected list."),
        (Message.FAILED, {"jobs": [[PRIMARY, "smudge"]]}, R.BAD_JOB,
         "FAILED entry [1099511627776, 'smudge']: expected [job id, reason, known]."),
        (Message.STATUS, {"state": "ready"}, R.MALFORMED,
         "STATUS field 'detail' is None: expected str."),
        (Message.STATUS, {"state": "asleep", "detail": ""}, R.BAD_STATE,
         ("STATUS field 'state' is 'asleep': expected one of 'ready', 'warning', 'paused', "
         "'fault', 'disconnected'.")),
        (Message.JOB, {"jobs": []}, R.NOT_A_DRIVER_MESSAGE,
         "JOB is an engine message: a driver may not send it."),
        (Message.WELCOME, {"protocol": 1, "session": "x", "batch": "B1", "level": "primary"},
         R.NOT_A_DRIVER_MESSAGE, "WELCOME is an engine message: a driver may not send it."),
    ]  # fmt: skip
    for kind, body, code, reason in bad:
        p1.send(kind, body)
        assert p1.refused(code).startswith(reason), reason
    p1.credit(2)  # the session survived all of it
    assert len(p1.jobs(2)) == 2
    assert counts(store)[O.SENT] == 2


# Flow control and answers -------------------------------------------------------------------


def test_never_more_jobs_than_the_credit(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(7)
    first = p1.jobs(7)
    p1.quiet()
    assert indices(first) == list(range(7))
    p1.credit(-5)  # credit is only ever granted: a negative grant is refused, changes nothing
    assert p1.refused(R.BAD_CREDIT) == (
        "CREDIT n=-5: expected a count >= 0. Hint: credit is only granted, never taken back; "
        "answer jobs with PRINTED or FAILED."
    )
    p1.credit(3)
    second = p1.jobs(3)
    p1.quiet()
    assert indices(second) == [7, 8, 9]
    p1.credit(1)
    p1.credit(1)
    assert len(p1.jobs(2)) == 2
    p1.quiet()
    assert counts(store)[O.SENT] == 12
    report = served.shutdown()
    assert report is not None
    assert report.sent == 12


def test_job_payloads_are_the_raw_codes_of_the_job_ids(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(20)
    jobs = p1.jobs(20)
    for (job, payload), index in zip(jobs, indices(jobs), strict=True):
        assert payload.startswith(f"01{GTIN}1728103110B1\x1d21".encode())
        info = lookup(store, payload.decode("ascii"))  # an independent reading of the payload
        assert (info.batch.batch, info.level, info.index) == ("B1", Level.PRIMARY, index)
        assert info.state is CodeState.ENCODED  # committed before the job left
        assert job == PRIMARY | index


def test_credit_beyond_one_message_is_sent_in_several(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve(max_jobs_per_message=100)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(100)
    assert len(p1.expect(Message.JOB)["jobs"]) == 100
    p1.credit(250)  # README: "at most the credit it holds, in JOB messages of up to N jobs"
    sizes = [len(p1.expect(Message.JOB)["jobs"]) for _ in range(3)]
    assert sizes == [100, 100, 50]
    p1.quiet()


def test_printed_and_failed_settle_in_the_ledger(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(10)
    ids = [job for job, _ in p1.jobs(10)]
    p1.printed(ids[:4])
    p1.send(Message.FAILED, {"jobs": [[ids[4], "head error", True], [ids[5], "ribbon", True],
                                      [ids[6], "connection dropped", False]]})  # fmt: skip
    wait_settled(store, printed=4, failed=2, unknown=1, sent=3)
    states = store.counts("B1")[Level.PRIMARY]
    assert states == {CodeState.ALLOCATED: 490, CodeState.ENCODED: 8, CodeState.LABEL_SCRAPPED: 2}
    # Answers for jobs the session does not hold are ignored: settled, never sent, stray.
    p1.printed([ids[0], ids[4], PRIMARY | 400, 12345])
    p1.send(Message.FAILED, {"jobs": [[ids[0], "late", True]]})
    p1.printed(ids[7:])
    wait_settled(store, printed=7, failed=2, unknown=1, sent=0)
    report = served.shutdown()
    assert report is not None
    assert (report.sent, report.printed, report.failed, report.unknown, report.ignored) == (
        10, 7, 2, 1, 5
    )  # fmt: skip
    assert report.as_dict()["latency_ms"].keys() == {"p50", "p99", "max"}
    assert store.verify_audit().ok


def test_a_driver_cannot_settle_another_drivers_jobs(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1, p2 = driver(served.engine.endpoint, "p1"), driver(served.engine.endpoint, "p2")
    p1.hello()
    p2.hello()
    p1.credit(5)
    mine = [job for job, _ in p1.jobs(5)]
    p2.printed(mine)
    p2.send(Message.FAILED, {"jobs": [[job, "not mine", True] for job in mine]})
    p1.printed(mine[:1])  # a barrier: p1's answer is settled after p2's were handled
    wait_settled(store, printed=1)
    assert counts(store)[O.SENT] == 4
    assert counts(store)[O.FAILED] == 0


def test_a_faulted_printer_gets_nothing_until_it_recovers(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.send(Message.STATUS, {"state": "fault", "detail": "head open"})
    p1.credit(5)
    p1.quiet()
    p1.send(Message.STATUS, {"state": "ready", "detail": "head closed"})
    assert len(p1.jobs(5)) == 5


def test_two_drivers_on_one_level_get_disjoint_jobs(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(max_jobs_per_message=60)
    p1, p2 = driver(served.engine.endpoint, "p1"), driver(served.engine.endpoint, "p2")
    p1.hello()
    p2.hello()
    got: dict[str, list[int]] = {"p1": [], "p2": []}
    for _ in range(4):  # interleaved credit from both, answered as it comes
        for p in (p1, p2):
            p.credit(60)
        for p in (p1, p2):
            ids = [job for job, _ in p.jobs(60)]
            got[p.printer] += ids
            p.printed(ids)
    p1.quiet(0.05)
    p2.quiet(0.05)
    assert len(got["p1"]) == len(got["p2"]) == 240
    assert not set(got["p1"]) & set(got["p2"])
    assert sorted(got["p1"] + got["p2"]) == [PRIMARY | i for i in range(480)]
    wait_settled(store, printed=480, none=20)


# Lost drivers, restarts ---------------------------------------------------------------------


def test_a_silent_driver_loses_its_jobs_as_unknown_forever(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(driver_timeout=0.3)
    p1 = driver(served.engine.endpoint, "p1")
    p1.hello()
    p1.credit(30)
    lost = [job for job, _ in p1.jobs(30)]
    p1.printed(lost[:10])  # then silence
    started = time.monotonic()
    wait_settled(store, printed=10, unknown=20, sent=0, timeout=3.0)
    assert time.monotonic() - started >= 0.2  # not before the timeout (less poll slack)
    # Its session is gone: a late answer is refused, never settled.
    p1.printed(lost[10:])
    assert p1.refused(R.NO_SESSION) == "PRINTED before HELLO: no session. Hint: say HELLO first."
    # Another driver gets every other code, and none of the lost ones.
    p2 = driver(served.engine.endpoint, "p2")
    p2.hello()
    p2.credit(1000)
    rest = [job for job, _ in p2.jobs(470)]
    p2.printed(rest)
    p2.quiet(0.1)
    assert not set(rest) & set(lost)
    assert sorted(lost + rest) == [PRIMARY | i for i in range(500)]
    wait_settled(store, printed=480, unknown=20, sent=0, none=0)
    outcomes = PrintLedger(store, "B1", Level.PRIMARY).outcomes()
    assert (outcomes[indices([(j, b"") for j in lost[10:]])] == O.UNKNOWN).all()


def test_a_driver_that_sends_heartbeats_keeps_its_session(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(driver_timeout=0.3)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(5)
    ids = [job for job, _ in p1.jobs(5)]
    for _ in range(8):  # 0.8 s, well past the timeout
        p1.send(Message.STATUS, {"state": "ready", "detail": "printing"})
        p1.quiet(0.1)
    p1.printed(ids)
    wait_settled(store, printed=5, unknown=0)


def test_a_slow_engine_turn_does_not_expire_a_responsive_driver(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    take = PrintLedger.take

    def slow_take(self: PrintLedger, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a group commit that stalls longer than the driver timeout
        return take(self, *args, **kwargs)

    monkeypatch.setattr(PrintLedger, "take", slow_take)
    served = serve(driver_timeout=0.3)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(5)
    p1.printed([job for job, _ in p1.jobs(5)])  # answered at once
    p1.quiet()
    assert counts(store)[O.PRINTED] == 5


def test_hello_again_makes_the_old_jobs_unknown(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    first = p1.hello()
    p1.credit(8)
    old = [job for job, _ in p1.jobs(8)]
    p1.printed(old[:3])
    second = p1.hello()  # the driver restarted
    assert second["session"] != first["session"]
    wait_settled(store, printed=3, unknown=5, sent=0)
    p1.printed(old[3:])  # answers from the old session: ignored
    p1.credit(8)
    new = [job for job, _ in p1.jobs(8)]
    assert not set(new) & set(old)
    assert indices([(j, b"") for j in new]) == list(range(8, 16))
    report = served.shutdown()  # the 8 new jobs are in flight: a stopped engine settles them
    assert report is not None
    assert (report.printed, report.unknown, report.ignored, report.sessions) == (3, 13, 5, 2)


def test_bye_makes_the_jobs_in_flight_unknown(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(6)
    ids = [job for job, _ in p1.jobs(6)]
    p1.printed(ids[:2])
    p1.send(Message.BYE)
    wait_settled(store, printed=2, unknown=4, sent=0)
    p1.credit(5)
    assert p1.refused(R.NO_SESSION) == "CREDIT before HELLO: no session. Hint: say HELLO first."


def test_a_restarted_driver_takes_over_its_printer_id(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve()
    old = driver(served.engine.endpoint, "p1")
    old.hello()
    old.credit(4)
    old.jobs(4)
    new = driver(served.engine.endpoint, "p1")  # same printer id; the old socket never closed
    new.send(Message.HELLO, {**HELLO})
    assert new.poll(1.0) is not None, "the restarted driver got no answer at all"
    wait_settled(store, unknown=4, sent=0)


class Crash(Exception):
    """The engine's loop dies where it stands, as in a crash: nothing is settled on the way."""


def test_an_engine_restart_never_resends_jobs_in_flight(
    store: Store, serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    crash = threading.Event()

    def crashing(engine: PrintEngine) -> None:
        if crash.is_set():
            raise Crash

    first = serve(on_turn=crashing)
    p1 = driver(first.engine.endpoint)
    p1.hello()
    p1.credit(25)
    ids = [job for job, _ in p1.jobs(25)]
    p1.printed(ids[:5])
    wait_settled(store, printed=5, sent=20)
    crash.set()  # the engine dies with 20 jobs in flight, left SENT
    with pytest.raises(Crash):
        first.shutdown()
    first.error = None  # seen
    assert counts(store)[O.SENT] == 20
    second = serve()
    assert second.engine.report.recovered == 20
    assert counts(store) == {O.NONE: 475, O.SENT: 0, O.PRINTED: 5, O.FAILED: 0, O.UNKNOWN: 20}
    p1.close()
    again = driver(second.engine.endpoint)
    again.printed(ids[5:])  # the old session is gone with the old engine
    again.refused(R.NO_SESSION)
    again.hello()
    again.credit(1000)
    rest = [job for job, _ in again.jobs(475)]
    again.quiet()
    assert not set(rest) & set(ids)
    assert sorted(rest) == [PRIMARY | i for i in range(25, 500)]
    report = second.shutdown()  # with the 475 in flight: unknown now, a stopped engine's jobs
    assert report is not None
    assert (report.recovered, report.sent, report.unknown) == (20, 475, 475)


# DONE ---------------------------------------------------------------------------------------


def test_done_once_every_code_is_settled(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(until_done=True)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(1000)
    jobs = [job for job, _ in p1.jobs(500)]
    p1.printed(jobs[:490])
    p1.quiet()  # 10 in flight: not done yet
    p1.send(Message.FAILED, {"jobs": [[job, "smudged", True] for job in jobs[490:495]]})
    p1.send(Message.FAILED, {"jobs": [[job, "dropped", False] for job in jobs[495:]]})
    assert p1.expect(Message.DONE) == {}
    report = served.join()
    assert (report.sent, report.printed, report.failed, report.unknown) == (500, 490, 5, 5)
    assert counts(store) == {O.NONE: 0, O.SENT: 0, O.PRINTED: 490, O.FAILED: 5, O.UNKNOWN: 5}
    report_close = store.close_batch("B1", actor="qa")
    assert report_close["levels"]["primary"]["after"] == {"LabelScrapped": 500}
    assert store.verify_audit().ok


def test_drain_sends_nothing_new_and_ends_when_every_job_is_answered(
    serve: Callable[..., Served], driver: Callable[..., Driver], store: Store
) -> None:
    served = serve(until_done=True)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(10)
    jobs = [job for job, _ in p1.jobs(10)]
    served.engine.drain()  # e.g. the end of a shift: stop feeding, keep every answer
    p1.credit(50)
    p1.quiet()  # no new jobs while draining
    p1.printed(jobs[:4])
    p1.quiet()  # 6 still in flight: not done
    p1.printed(jobs[4:])
    assert p1.expect(Message.DONE) == {}
    report = served.join()
    assert (report.sent, report.printed, report.unknown) == (10, 10, 0)
    assert counts(store)[O.PRINTED] == 10
    assert counts(store)[O.NONE] == 490  # the rest stays Allocated for the next shift


def test_done_when_the_credit_matched_the_last_codes_exactly(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve(until_done=True)
    p1 = driver(served.engine.endpoint)
    p1.hello()
    p1.credit(500)
    p1.printed([job for job, _ in p1.jobs(500)])
    assert p1.expect(Message.DONE, timeout=1.0) == {}


def test_done_waits_for_every_driver_on_the_level(
    serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    served = serve(until_done=True)
    p1, p2 = driver(served.engine.endpoint, "p1"), driver(served.engine.endpoint, "p2")
    p1.hello()
    p2.hello()
    p1.credit(300)
    a = [job for job, _ in p1.jobs(300)]
    p2.credit(300)
    b = [job for job, _ in p2.jobs(200)]
    p1.printed(a)
    p1.quiet()
    p2.quiet(0.05)
    p2.printed(b)
    assert p1.expect(Message.DONE) == {}
    assert p2.expect(Message.DONE) == {}
    assert served.join().printed == 500


# Events -------------------------------------------------------------------------------------


class Subscriber:
    """A SUB socket on the engine's PUB endpoint, every topic, timed receives."""

    def __init__(self, context: zmq.Context[Any], endpoint: str) -> None:
        self.socket = context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"")
        self.socket.connect(endpoint)

    def event(self, timeout: float = RECV_TIMEOUT) -> tuple[bytes, dict[str, Any]] | None:
        frames = poll_within(self.socket, timeout)
        if frames is None:
            return None
        topic, body = frames
        return topic, msgpack.unpackb(body)


@pytest.fixture
def subscriber(zmq_context: zmq.Context[Any]) -> Iterator[Callable[[str], Subscriber]]:
    opened: list[Subscriber] = []

    def connect(endpoint: str) -> Subscriber:
        opened.append(Subscriber(zmq_context, endpoint))
        return opened[-1]

    try:
        yield connect
    finally:
        for each in opened:
            each.socket.close(linger=0)


def test_pub_socket_publishes_line_events(
    serve: Callable[..., Served], driver: Callable[..., Driver],
    subscriber: Callable[[str], Subscriber],
) -> None:  # fmt: skip
    served = serve(publish="tcp://127.0.0.1:*")
    assert served.engine.pub_endpoint is not None
    sub = subscriber(served.engine.pub_endpoint)  # before the first HELLO
    p1 = driver(served.engine.endpoint)
    hello = None
    for _ in range(20):  # the PUB/SUB slow joiner: HELLO again until the subscription is live
        p1.hello()
        hello = sub.event(0.1)
        while hello is not None and hello[0] == b"lost":  # the previous HELLO's session
            hello = sub.event(0.1)
        if hello is not None:
            break
    assert hello == (b"hello", {"batch": "B1", "printer": "p1", "kind": "coder", "buffer": 500})
    while (extra := sub.event(0.05)) is not None:  # 'lost' events of the repeated HELLOs
        assert extra[0] in (b"hello", b"lost"), extra
    p1.send(Message.STATUS, {"state": "paused", "detail": "operator"})
    status = {"batch": "B1", "printer": "p1", "state": "paused", "detail": "operator"}
    assert sub.event() == (b"status", status)
    p1.send(Message.STATUS, {"state": "ready", "detail": ""})
    assert sub.event() == (b"status", {**status, "state": "ready", "detail": ""})
    p1.credit(4)
    ids = [job for job, _ in p1.jobs(4)]
    p1.printed(ids[:3])
    topic, progress = sub.event() or (b"", {})
    assert topic == b"progress"
    assert progress == {
        "batch": "B1", "sent": 4, "printed": 3, "failed": 0, "unknown": 0, "ignored": 0,
        "recovered": 0, "sessions": progress["sessions"], "refused": 0, "latency_ms": None,
    }  # fmt: skip
    p1.send(Message.FAILED, {"jobs": [[ids[3], "ribbon out", True]]})
    assert sub.event() == (b"failed", {"batch": "B1", "printer": "p1", "reasons": ["ribbon out"]})
    topic, progress = sub.event() or (b"", {})
    assert (topic, progress["failed"]) == (b"progress", 1)
    p1.send(Message.BYE)
    lost = {"batch": "B1", "printer": "p1", "why": "said BYE", "unknown": 0}
    assert sub.event() == (b"lost", lost)


# CurveZMQ -----------------------------------------------------------------------------------


def test_curve_lets_in_known_drivers_only(
    tmp_path: Path, serve: Callable[..., Served], driver: Callable[..., Driver]
) -> None:
    _, engine_secret = create_keys(tmp_path / "engine", "engine")
    _, good_secret = create_keys(tmp_path / "drivers", "good")
    _, bad_secret = create_keys(tmp_path / "strangers", "bad")
    assert (good_secret.stat().st_mode & 0o777) == 0o600
    server = CurveServer(CurveKeys.load(engine_secret), allowed_keys(tmp_path / "drivers"))
    served = serve(curve=server)
    engine_public = public_key(tmp_path / "engine" / "engine.key")

    good = driver(served.engine.endpoint, "good",
                  curve=CurveClient(CurveKeys.load(good_secret), engine_public))  # fmt: skip
    assert good.hello()["batch"] == "B1"
    good.credit(3)
    assert len(good.jobs(3)) == 3

    bad = driver(served.engine.endpoint, "bad",
                 curve=CurveClient(CurveKeys.load(bad_secret), engine_public))  # fmt: skip
    bad.send(Message.HELLO, {**HELLO, "printer": "bad"})
    plain = driver(served.engine.endpoint, "plain")  # no Curve at all
    plain.send(Message.HELLO, {**HELLO, "printer": "plain"})
    bad.quiet(0.5)
    plain.quiet(0.1)
    report = served.shutdown()
    assert report is not None
    assert (report.sessions, report.refused) == (1, 0)  # the engine never saw their HELLO


def test_curve_key_files_are_checked(tmp_path: Path) -> None:
    public, _ = create_keys(tmp_path, "driver")
    with pytest.raises(ValueError, match=r"holds no secret key: expected NAME\.key_secret"):
        CurveKeys.load(public)


# Construction -------------------------------------------------------------------------------


def test_an_engine_on_a_closed_batch_is_refused_and_closes_its_sockets(store: Store) -> None:
    store.close_batch("B1", actor="qa")
    with pytest.raises(StoreError, match=r"^Batch 'B1' is closed\. Hint: a closed batch") as caught:
        PrintEngine(store, "B1", bind="tcp://127.0.0.1:*", publish="tcp://127.0.0.1:*")
    # The half-built engine is still reachable from the traceback: were its sockets closed?
    tb: TracebackType | None = caught.tb
    refused = None
    while tb is not None:
        found = tb.tb_frame.f_locals.get("self")
        refused = found if isinstance(found, PrintEngine) else refused
        tb = tb.tb_next
    del caught, tb
    assert refused is not None
    sockets = (("ROUTER", getattr(refused, "router", None)), ("PUB", getattr(refused, "pub", None)))
    leaked = [name for name, socket in sockets if socket is not None and not socket.closed]
    if leaked:  # contain the leak, so that no later test meets its ResourceWarning
        refused.close()
    assert not leaked, f"the refused engine left its {' and '.join(leaked)} bound"

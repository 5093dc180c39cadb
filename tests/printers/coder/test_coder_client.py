"""CoderClient against CoderSimulator over real loopback TCP: volume, every fault, reconnect."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from jejak.engine.errors import DeviceFault, InvalidCombination, InvalidFormat, InvalidQuantity
from jejak.printers.coder import MAX_SEQ, Condition, StatusReport
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import (
    DeviceEvent,
    DeviceKind,
    DeviceState,
    Failed,
    Job,
    PrintDevice,
    Printed,
    Status,
)
from jejak.printers.sim.coder import CoderSimulator
from jejak.testing import StartCoder

GS = b"\x1d"
CAPACITY = 200


def payload(n: int) -> bytes:
    return b"01089912345678911726123110B" + b"%d" % (n % 7) + GS + b"21S%08d" % n


def jobs(first: int, count: int) -> list[Job]:
    return [Job(n, payload(n)) for n in range(first, first + count)]


@pytest.fixture
def sim(coder_simulator: StartCoder) -> CoderSimulator:
    return coder_simulator(capacity=CAPACITY)


@pytest.fixture
def client(sim: CoderSimulator) -> Iterator[CoderClient]:
    coder = CoderClient("127.0.0.1", sim.port, timeout=2)
    try:
        coder.connect()
        yield coder
    finally:
        coder.close()


def collect(
    coder: CoderClient, done: Callable[[list[DeviceEvent]], bool], timeout: float = 5
) -> list[DeviceEvent]:
    """Poll until `done(events)`; fail (never hang) after `timeout` seconds."""
    events: list[DeviceEvent] = []
    deadline = time.monotonic() + timeout
    while not done(events):
        assert time.monotonic() < deadline, f"gave up waiting; got {events[-5:]}"
        events += coder.poll(0.05)
    return events


def settled(count: int) -> Callable[[list[DeviceEvent]], bool]:
    return lambda events: sum(isinstance(e, Printed | Failed) for e in events) >= count


def has_status(state: DeviceState) -> Callable[[list[DeviceEvent]], bool]:
    return lambda events: any(isinstance(e, Status) and e.state is state for e in events)


def test_is_a_print_device(client: CoderClient) -> None:
    assert isinstance(client, PrintDevice)
    assert (client.kind, client.capacity, client.free()) == (DeviceKind.CODER, CAPACITY, CAPACITY)


def test_thousands_of_records_print_once_each_in_order(
    sim: CoderSimulator, client: CoderClient
) -> None:
    total, sent = 5000, 0
    printed: list[int] = []
    deadline = time.monotonic() + 10
    while len(printed) < total:
        assert time.monotonic() < deadline
        room = min(client.free(), total - sent)
        if room:
            client.send(jobs(sent, room))
            sent += room
        for event in client.poll(0.05):
            assert isinstance(event, Printed), event
            printed.append(event.job)
    assert printed == list(range(total))
    assert sim.printed == [payload(n) for n in range(total)]
    assert client.free() == CAPACITY
    assert client.last_printed() == total
    assert client.query_free() == CAPACITY


def test_payload_bytes_arrive_exactly(sim: CoderSimulator, client: CoderClient) -> None:
    odd = [b"10A|B~1D" + GS + b"21~", b"\x00\r\n\xff", b"(01)x|"]
    client.send([Job(n, data) for n, data in enumerate(odd)])
    collect(client, settled(3))
    assert sim.printed == odd


def test_several_fields_per_record(coder_simulator: StartCoder) -> None:
    def render(data: bytes) -> tuple[bytes, bytes]:
        return data, b"(21)" + data.rpartition(GS)[2][2:]

    sim = coder_simulator(capacity=10, jobs={"DM_HRI"})
    with CoderClient("127.0.0.1", sim.port, timeout=2, job="DM_HRI", fields=("GS1", "HRI"),
                     render=render) as coder:  # fmt: skip
        coder.send(jobs(1, 2))
        collect(coder, settled(2))
        assert sim.printed_records == [
            (payload(1), b"(21)S00000001"),
            (payload(2), b"(21)S00000002"),
        ]


def test_out_of_ink_stops_printing_until_refilled(sim: CoderSimulator, client: CoderClient) -> None:
    sim.run_out_of_ink()
    client.send(jobs(0, 10))
    events = collect(client, has_status(DeviceState.FAULT))
    assert events == [Status(DeviceState.FAULT, "out of ink (condition 20)")]
    assert client.poll(0.1) == []
    assert (sim.printed, sim.buffered, client.free()) == ([], 10, CAPACITY - 10)
    assert client.query_status() == StatusReport(DeviceState.FAULT, Condition.INK_OUT, "out of ink")
    sim.refill_ink()
    events = collect(client, settled(10))
    assert events == [Status(DeviceState.READY, "ink refilled")] + [Printed(n) for n in range(10)]


def test_warning_does_not_stop_printing(sim: CoderSimulator, client: CoderClient) -> None:
    sim.warn_ink_low()
    client.send(jobs(0, 3))
    events = collect(client, settled(3))
    assert events == [Status(DeviceState.WARNING, "ink low (condition 10)")] + [
        Printed(n) for n in range(3)
    ]


def test_fault_present_at_connect_is_reported(sim: CoderSimulator) -> None:
    sim.raise_condition(Condition.COVER_OPEN, "cover open")
    with CoderClient("127.0.0.1", sim.port, timeout=2) as coder:
        assert coder.poll(0) == [Status(DeviceState.FAULT, "cover open (condition 22)")]
        sim.clear_condition(Condition.COVER_OPEN, "cover closed")
        assert collect(coder, has_status(DeviceState.READY)) == [
            Status(DeviceState.READY, "cover closed")
        ]


def test_skipped_records_are_known_failures(sim: CoderSimulator, client: CoderClient) -> None:
    sim.skip_next(2)
    client.send(jobs(0, 5))
    events = collect(client, settled(5))
    reason = "skipped by the coder: no product at the print head"
    assert events == [Failed(0, reason, True), Failed(1, reason, True)] + [
        Printed(n) for n in range(2, 5)
    ]
    assert sim.skipped == [payload(0), payload(1)]
    assert sim.printed == [payload(n) for n in range(2, 5)]


def test_refused_push_is_a_known_failure(sim: CoderSimulator, client: CoderClient) -> None:
    sim.refuse_next(1)
    client.send(jobs(0, 3))
    events = collect(client, settled(3))
    assert events == [
        Failed(0, "refused by the coder: ERR 3 buffer full", True),
        Printed(1),
        Printed(2),
    ]
    assert sim.printed == [payload(1), payload(2)]
    assert client.free() == CAPACITY


def test_clear_at_end_of_batch_fails_what_was_not_printed(
    sim: CoderSimulator, client: CoderClient
) -> None:
    sim.run_out_of_ink()
    client.send(jobs(0, 4))
    client.clear()
    events = collect(client, settled(4))
    assert events[1:] == [Failed(n, "cleared from the coder buffer", True) for n in range(4)]
    sim.refill_ink()
    client.send(jobs(4, 1))
    assert collect(client, settled(1))[-1] == Printed(4)
    assert (sim.printed, sim.cleared) == ([payload(4)], 4)


def test_dropped_connection_loses_the_buffer_and_reconnects(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(capacity=400, rate=2000)
    with CoderClient("127.0.0.1", sim.port, timeout=2) as coder:
        coder.send(jobs(0, 400))
        assert sim.wait_until(lambda s: s.printed_count >= 50)
        sim.drop_connection()
        events = collect(coder, has_status(DeviceState.DISCONNECTED))
        assert events[-1] == Status(DeviceState.DISCONNECTED, "connection closed by the coder")
        reported = [e.job for e in events if isinstance(e, Printed)]
        printed = sim.printed
        # Never a print reported that did not happen; what printed is a prefix of what was sent.
        assert printed == [payload(n) for n in range(len(printed))]
        assert reported == list(range(len(reported)))
        assert len(reported) <= len(printed) < 400
        assert len(printed) >= 50
        assert sim.lost == 400 - len(printed)
        assert (coder.connected, coder.free()) == (False, 0)
        with pytest.raises(DeviceFault, match=r"not connected\. Hint: call connect"):
            coder.send(jobs(1000, 1))
        coder.connect()
        coder.send(jobs(1000, 10))
        assert collect(coder, settled(10)) == [Printed(n) for n in range(1000, 1010)]
        assert sim.printed == printed + [payload(n) for n in range(1000, 1010)]
        assert sim.connections == 2


def test_send_on_a_dropped_connection_raises_device_fault(
    sim: CoderSimulator, client: CoderClient
) -> None:
    sim.drop_connection()
    caught = None
    for n in range(50):  # the first writes may still reach the kernel's buffer
        try:
            client.send(jobs(n, 1))
        except DeviceFault as error:
            caught = str(error)
            break
        time.sleep(0.01)
    assert caught is not None
    assert caught.startswith(f"Lost coder '127.0.0.1:{sim.port}' while sending 1 records: ")
    assert caught.endswith("jobs in flight are unknown outcomes; connect() again to go on.")
    assert client.free() == 0


def test_a_second_host_takes_the_coder_over(sim: CoderSimulator, client: CoderClient) -> None:
    with CoderClient("127.0.0.1", sim.port, timeout=2) as other:
        events = collect(client, has_status(DeviceState.DISCONNECTED))
        assert events == [Status(DeviceState.DISCONNECTED, "connection closed by the coder")]
        other.send(jobs(0, 1))
        assert collect(other, settled(1)) == [Printed(0)]


def test_record_numbers_wrap(sim: CoderSimulator, client: CoderClient) -> None:
    client._seq = MAX_SEQ - 2  # as after four billion records
    client.send(jobs(0, 5))  # numbered MAX_SEQ - 1, MAX_SEQ, 1, 2, 3
    assert collect(client, settled(5)) == [Printed(n) for n in range(5)]
    assert client.last_printed() == 3


def test_rate_limits_printing(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(capacity=50, rate=400)
    with CoderClient("127.0.0.1", sim.port, timeout=2) as coder:
        start = time.monotonic()
        coder.send(jobs(0, 40))
        collect(coder, settled(40))
        assert time.monotonic() - start >= 0.09


def test_more_than_free_is_refused(client: CoderClient) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        client.send(jobs(0, CAPACITY + 1))
    assert str(caught.value) == (
        f"Invalid send of {CAPACITY + 1} jobs to coder '{client.address}': expected at most "
        f"free() = {CAPACITY}. Hint: never send more than free() allows."
    )


def test_capacity_cap_and_unknown_job(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(capacity=100, jobs={"A"})
    with CoderClient("127.0.0.1", sim.port, timeout=2, job="A", capacity=30) as coder:
        assert (coder.capacity, coder.free()) == (30, 30)
    coder = CoderClient("127.0.0.1", sim.port, timeout=2, job="B")
    with pytest.raises(DeviceFault) as caught:
        coder.connect()
    assert str(caught.value).startswith(
        f"Cannot set up coder '127.0.0.1:{sim.port}': Coder '127.0.0.1:{sim.port}' refused "
        "b'SEL B\\r': ERR 6 unknown job (UNKNOWN_JOB). Hint: check the job name"
    )
    assert not coder.connected


def test_unconnected_client() -> None:
    coder = CoderClient("127.0.0.1", 9, timeout=1)
    assert (coder.capacity, coder.free(), coder.poll(0.01)) == (0, 0, [])
    with pytest.raises(DeviceFault, match=r"Cannot send 1 jobs to coder '127\.0\.0\.1:9': not"):
        coder.send(jobs(0, 1))
    coder.close()


def test_connect_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    coder = CoderClient("127.0.0.1", port, timeout=1)
    with pytest.raises(DeviceFault) as caught:
        coder.connect()
    assert str(caught.value).startswith(f"Cannot connect to coder '127.0.0.1:{port}': ")
    assert str(caught.value).endswith(
        "Hint: check that the coder is on, reachable, and listening for remote control on that "
        "port."
    )


def test_silent_coder_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:  # accepts (backlog), never answers
        coder = CoderClient("127.0.0.1", server.getsockname()[1], timeout=0.2)
        start = time.monotonic()
        with pytest.raises(DeviceFault, match=r"stopped answering: nothing moved for 0\.2 s"):
            coder.connect()
        assert time.monotonic() - start < 2
        assert not coder.connected


def test_junk_from_the_coder_drops_the_connection() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(2)
        coder = CoderClient("127.0.0.1", server.getsockname()[1], timeout=2)
        coder_sock = None

        def answer() -> None:
            nonlocal coder_sock
            coder_sock, _ = server.accept()
            coder_sock.sendall(b"HELLO\r")

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            with pytest.raises(DeviceFault, match="protocol error: Invalid coder line b'HELLO'"):
                coder.connect()
        finally:
            thread.join(5)
            if coder_sock is not None:
                coder_sock.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fields": ("GS1", "HRI")}, InvalidCombination,
         "Invalid record header ('GS1', 'HRI') without render: expected one field"),
        ({"job": "two words"}, InvalidFormat, "Invalid coder job name 'two words'"),
        ({"timeout": 0}, InvalidQuantity, "Invalid coder timeout 0: expected seconds > 0."),
        ({"capacity": 0}, InvalidQuantity, "Invalid coder capacity 0: expected a positive"),
    ],
)  # fmt: skip
def test_constructor_checks(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        CoderClient("127.0.0.1", 9, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_a_bad_render_sends_nothing(sim: CoderSimulator) -> None:
    def render(data: bytes) -> tuple[bytes, ...]:
        return (data, b"") if data != payload(2) else (data,)

    with CoderClient("127.0.0.1", sim.port, timeout=2, fields=("GS1", "HRI"), render=render) as c:
        with pytest.raises(InvalidCombination) as caught:
            c.send(jobs(0, 3))
        assert str(caught.value) == (
            f"Invalid record ({payload(2)!r},) for job 2: expected 2 values for header "
            "('GS1', 'HRI'). Hint: render must give one value per header field."
        )
        assert c.free() == CAPACITY
        c.send(jobs(0, 2))
        assert collect(c, settled(2)) == [Printed(0), Printed(1)]

"""The ZPL client against the simulator (and a scripted fake) over real loopback TCP: thousands
of labels, each fault, reconnects, and never a label confirmed before it printed or printed twice.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections import deque
from collections.abc import Callable, Iterator

import pytest

from jejak.engine.errors import DeviceFault, InvalidQuantity
from jejak.engine.gs1 import GS
from jejak.engine.symbology import Symbology
from jejak.printers import symbols
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
from jejak.printers.label import ZplLabelFormat, module_dots
from jejak.printers.sim.server import Link, TcpServer
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.zpl import HostStatus
from jejak.printers.zpl.client import ZplPrinter
from jejak.testing import StartZpl

TIMEOUT = 0.4  # the client's ~HS timeout in the tests of a silent printer, seconds
PATIENT = 10.0  # and everywhere else: a loaded CI machine must never look like a hung printer
READY = HostStatus().to_bytes()
FORM = ZplLabelFormat.for_printer(203)  # the label format the client is given


def raw(i: int) -> bytes:
    return f"01095060001343521726123110B1{GS}21S{i:08d}".encode()


def jobs(start: int, count: int) -> list[Job]:
    return [Job(i, raw(i)) for i in range(start, start + count)]


@contextlib.contextmanager
def client(port: int, *, dpi: int = 203, **options: object) -> Iterator[ZplPrinter]:
    settings: dict[str, object] = {"timeout": PATIENT, "idle_interval": 0.05, **options}
    form = ZplLabelFormat.for_printer(dpi)
    printer = ZplPrinter("127.0.0.1", port, label_format=form, **settings)  # type: ignore[arg-type]
    try:
        printer.connect()
        yield printer
    finally:
        printer.close()


def printed(events: list[DeviceEvent]) -> list[int]:
    return [e.job for e in events if isinstance(e, Printed)]


def statuses(events: list[DeviceEvent]) -> list[Status]:
    return [e for e in events if isinstance(e, Status)]


def pump(
    printer: ZplPrinter, work: list[Job], until: Callable[[list[DeviceEvent]], bool], *,
    sim: ZplSimulator | None = None, seconds: float = 60.0,
) -> list[DeviceEvent]:  # fmt: skip
    """Send `work` as free() allows and poll until `until(events)`; with `sim`, check on every
    poll that the client never confirmed more labels than the simulator printed."""
    pending = deque(work)
    events: list[DeviceEvent] = []
    end = time.monotonic() + seconds
    while not until(events):
        assert time.monotonic() < end, f"timed out; events so far: {events[-5:]}"
        count = min(printer.free(), len(pending))
        if count:
            printer.send([pending.popleft() for _ in range(count)])
        events += printer.poll(0.01)
        if sim is not None:
            assert len(printed(events)) <= sim.printed_count
    return events


def all_printed(count: int) -> Callable[[list[DeviceEvent]], bool]:
    return lambda events: len(printed(events)) >= count


def has(state: DeviceState) -> Callable[[list[DeviceEvent]], bool]:
    return lambda events: any(s.state is state for s in statuses(events))


class FakePrinter(TcpServer[Link]):
    """A scripted printer on the simulators' TCP server: answers the n-th ``~HS`` with
    `answers[n]` (None: stays silent; the last answer repeats) and records what it received."""

    def __init__(self, answers: list[bytes | None]) -> None:
        super().__init__(Link, name="fake-zebra")
        self.answers = answers
        self.received = b""
        self._answered = 0

    def _received(self, link: Link, data: bytes) -> None:
        self.received += data
        while self._answered < self.received.count(b"~HS"):
            answer = self.answers[min(self._answered, len(self.answers) - 1)]
            self._answered += 1
            if answer is not None:
                link.send(answer)


# --- The happy path ----------------------------------------------------------------------------


def test_it_is_a_print_device() -> None:
    printer = ZplPrinter("127.0.0.1", 1, label_format=FORM, capacity=120)
    assert isinstance(printer, PrintDevice)
    assert (printer.kind, printer.capacity, printer.free()) == (DeviceKind.ZPL, 120, 0)


def test_thousands_of_labels_print_once_in_order(zpl_simulator: StartZpl) -> None:
    work = jobs(0, 5000)
    sim = zpl_simulator()
    with client(sim.port) as printer:
        events = pump(printer, work, all_printed(5000), sim=sim)
        assert sim.codes() == [job.data for job in work]
        assert sim.connections == 1
        assert sim.errors == []
    assert printed(events) == [job.job for job in work]
    assert statuses(events) == []


def test_confirmation_never_runs_ahead_of_a_slow_printer(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator(rate=4000)
    with client(sim.port, capacity=80) as printer:
        seen_waiting = 0
        events: list[DeviceEvent] = []
        pending = deque(jobs(0, 600))
        end = time.monotonic() + 5
        while len(printed(events)) < 600:
            assert time.monotonic() < end
            count = min(printer.free(), len(pending))
            if count:
                printer.send([pending.popleft() for _ in range(count)])
            events += printer.poll(0.005)
            assert len(printed(events)) <= sim.printed_count
            seen_waiting = max(seen_waiting, sim.status().formats_in_buffer)
        assert seen_waiting > 0  # the arithmetic really had formats in the buffer to subtract
        assert sim.codes() == [raw(i) for i in range(600)]
    assert printed(events) == list(range(600))


# --- Faults ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("set_paper_out", Status(DeviceState.FAULT, "paper out")),
        ("set_head_open", Status(DeviceState.FAULT, "head open")),
        ("set_paused", Status(DeviceState.PAUSED, "paused")),
    ],
)
def test_flags_stop_printing_and_come_back(
    fault: str, status: Status, zpl_simulator: StartZpl
) -> None:
    work = jobs(0, 300)
    sim = zpl_simulator(rate=3000)
    with client(sim.port, capacity=100) as printer:
        events = pump(printer, work[:100], all_printed(20), sim=sim)
        getattr(sim, fault)(True)
        events += pump(printer, [], lambda e: status in e, sim=sim)
        stopped_at = sim.printed_count
        time.sleep(0.05)
        events += printer.poll(0.05)
        assert sim.printed_count == stopped_at  # printing really stopped
        assert len(printed(events)) <= stopped_at
        assert printer.free() < printer.capacity  # the rest stay in flight, not lost
        getattr(sim, fault)(False)
        events += pump(printer, work[100:], all_printed(300 - len(printed(events))), sim=sim)
        assert sim.codes() == [job.data for job in work]
    assert printed(events) == list(range(300))
    assert statuses(events) == [status, Status(DeviceState.READY, "")]


def test_silent_printer_is_a_fault_then_a_lost_connection(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator()
    with client(sim.port, timeout=TIMEOUT) as printer:
        events = pump(printer, jobs(0, 100), all_printed(100), sim=sim)
        sim.set_silent()
        lost = pump(printer, jobs(100, 50), has(DeviceState.DISCONNECTED), sim=sim)
        assert statuses(lost) == [
            Status(DeviceState.FAULT,
                   f"no answer to ~HS within {TIMEOUT:g} s: media out, head open or printer hung"),
            Status(DeviceState.DISCONNECTED,
                   "closed after the ~HS timeout; jobs in flight are unknown"),
        ]  # fmt: skip
        assert printer.free() == 0
        with pytest.raises(DeviceFault) as caught:
            printer.send(jobs(150, 1))
        assert str(caught.value) == (
            f"Cannot send 1 jobs: the Zebra printer at 127.0.0.1:{sim.port} is not connected. "
            "Hint: call connect() first."
        )
        with pytest.raises(DeviceFault) as caught:
            printer.connect()
        assert str(caught.value) == (
            f"The Zebra printer at 127.0.0.1:{sim.port} did not answer ~HS within {TIMEOUT:g} s. "
            "Hint: media out, head open or ribbon out (newer firmware stays silent then), or the "
            "port is not a Zebra printer's."
        )
        sim.set_silent(False)
        printer.connect()
        events += pump(printer, jobs(200, 100), all_printed(100), sim=sim)
        codes = sim.codes()
        assert len(codes) == len(set(codes))
        assert {raw(job) for job in printed(events + lost)} <= set(codes)
    assert printed(events) == [*range(100), *range(200, 300)]


def test_dropped_connection_loses_the_buffer_and_reconnects(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator(rate=2000)
    with client(sim.port, capacity=150) as printer:
        events = pump(printer, jobs(0, 150), all_printed(30), sim=sim)
        sim.drop_connection()
        events += pump(printer, [], has(DeviceState.DISCONNECTED), sim=sim)
        assert statuses(events)[-1] == Status(
            DeviceState.DISCONNECTED, "connection closed by the printer"
        )
        assert (printer.free(), sim.lost > 0) == (0, True)
        unknown = set(range(150)) - set(printed(events))
        printer.connect()
        again = pump(printer, jobs(1000, 200), all_printed(200), sim=sim)
        assert printed(again) == list(range(1000, 1200))
        assert sim.connections == 2
        codes = sim.codes()
        assert len(codes) == len(set(codes))  # nothing printed twice
        assert {raw(job) for job in printed(events + again)} <= set(codes)
        assert len(unknown) + len(printed(events)) == 150


def test_reconnect_cancels_what_the_printer_still_holds(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator()
    with client(sim.port) as printer:
        sim.set_paper_out()
        events = pump(printer, jobs(0, 20), lambda e: bool(statuses(e)), sim=sim)
        assert statuses(events) == [Status(DeviceState.FAULT, "paper out")]
        assert sim.buffered == 20
        printer.close()
        printer.connect()  # ~JA: the 20 labels from the last connection never print
        assert (sim.buffered, sim.cancelled) == (0, 20)
        sim.set_paper_out(False)
        events = pump(printer, jobs(20, 5), all_printed(5), sim=sim)
        assert printed(events) == list(range(20, 25))
        assert sim.codes() == [raw(i) for i in range(20, 25)]


def test_connect_to_nothing_is_a_device_fault() -> None:
    with socket.create_server(("127.0.0.1", 0)) as spare:
        port = spare.getsockname()[1]
    printer = ZplPrinter("127.0.0.1", port, label_format=FORM, timeout=TIMEOUT)
    with pytest.raises(DeviceFault) as caught:
        printer.connect()
    assert str(caught.value).startswith(f"Cannot connect to the Zebra printer at 127.0.0.1:{port}")
    assert str(caught.value).endswith(
        "Hint: check the address and that raw TCP printing (port 9100) is on."
    )


def test_garbled_answer_is_a_fault() -> None:
    with FakePrinter([READY, b"\x02garbage\x03\r\n"]) as fake, client(fake.port) as printer:
        events = pump(printer, jobs(0, 3), has(DeviceState.DISCONNECTED))
    assert statuses(events) == [
        Status(DeviceState.FAULT, "Invalid ~HS answer b'\\x02garbage\\x03': expected 12 "
               "comma-separated numbers. Hint: three <STX>…<ETX> lines of 12, 11 and 2 "
               "comma-separated fields; is the port a Zebra printer's?"),
        Status(DeviceState.DISCONNECTED, "closed after a garbled ~HS answer"),
    ]  # fmt: skip
    assert printed(events) == []


def test_connect_to_something_else_is_a_device_fault() -> None:
    with FakePrinter([b"HTTP/1.1 400 Bad Request\r\n\r\n"]) as fake:
        port = fake.port
        printer = ZplPrinter("127.0.0.1", port, label_format=FORM, timeout=TIMEOUT)
        with pytest.raises(DeviceFault) as caught:
            printer.connect()
        assert printer.free() == 0
    assert str(caught.value) == (
        f"Lost the Zebra printer at 127.0.0.1:{port} while connecting: Invalid ~HS answer "
        "b'HTTP/1.1 400 Bad Request\\r\\n\\r\\n': expected <STX> at the start of each line. "
        "Hint: three <STX>…<ETX> lines of 12, 11 and 2 comma-separated fields; is the port a "
        "Zebra printer's?; closed after a garbled ~HS answer. Hint: is the port a Zebra "
        "printer's, and is another host using it?"
    )


# --- The arithmetic, against a scripted printer ------------------------------------------------


def test_printed_is_sent_minus_waiting_minus_printing() -> None:
    answers: list[bytes | None] = [
        HostStatus(formats_in_buffer=1).to_bytes(),  # the ^DF itself still waits
        HostStatus(formats_in_buffer=7, labels_remaining=1).to_bytes(),  # 10 sent: 2 printed
        HostStatus(formats_in_buffer=9, labels_remaining=1).to_bytes(),  # stale: never backwards
        HostStatus(formats_in_buffer=0, labels_remaining=1, paused=True).to_bytes(),
        READY,
    ]
    with FakePrinter(answers) as fake, client(fake.port, capacity=10) as printer:
        printer.send(jobs(0, 10))
        events = pump(printer, [], all_printed(2))
        assert printed(events) == [0, 1]
        events = pump(printer, [], has(DeviceState.PAUSED))
        assert printed(events) == list(range(2, 9))
        events = pump(printer, [], all_printed(1))
        assert (printed(events), statuses(events)) == ([9], [Status(DeviceState.READY, "")])
        assert fake.received.startswith(b"~JA^XA^DFR:JEJAK.ZPL^FS")
        assert fake.received.count(b"^XA^XFR:JEJAK.ZPL^FS") == 10


def test_an_unanswered_request_times_out_while_jobs_wait() -> None:
    with FakePrinter([READY, None]) as fake, client(fake.port, timeout=TIMEOUT) as printer:
        start = time.monotonic()
        events = pump(printer, jobs(0, 4), has(DeviceState.DISCONNECTED))
        assert time.monotonic() - start >= TIMEOUT
    assert [s.state for s in statuses(events)] == [DeviceState.FAULT, DeviceState.DISCONNECTED]


# --- Jobs the client refuses -------------------------------------------------------------------


def test_unprintable_payloads_fail_known_and_the_rest_print(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator()
    with client(sim.port) as printer:
        work = [Job(1, b"\xff01"), Job(2, b"ABC"), Job(3, raw(3)), Job(4, b"10A^XZ")]
        events = pump(printer, work, lambda e: len(e) >= 4, sim=sim)
        assert sim.codes() == [raw(3)]
    failed = [e for e in events if isinstance(e, Failed)]
    assert [(f.job, f.known) for f in failed] == [(1, True), (2, True), (4, True)]
    assert all(f.reason.startswith("not printable as a ZPL label: ") for f in failed)
    assert "Invalid DataMatrix data '10A^XZ': character '^' at 3" in failed[2].reason
    assert printed(events) == [3]


def test_send_and_construction_rules(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator()
    with client(sim.port, capacity=5) as printer:
        with pytest.raises(InvalidQuantity) as caught:
            printer.send(jobs(0, 6))
        assert str(caught.value) == (
            "Invalid send of 6 jobs: expected at most free() = 5. Hint: the driver asks free() "
            "before sending."
        )
    for options, message in [
        ({"capacity": 0}, ("Invalid capacity 0: expected 1 to 999 labels. Hint: ~HS counts "
                          "formats in the buffer with three digits.")),
        ({"capacity": 1000}, None),
        ({"timeout": 0}, "Invalid timeout 0: expected seconds above 0. Hint: 2.0."),
    ]:  # fmt: skip
        with pytest.raises(InvalidQuantity) as caught:
            ZplPrinter("127.0.0.1", label_format=FORM, **options)  # type: ignore[arg-type]
        assert message is None or str(caught.value) == message


# --- Real pixels -------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_rendered_labels_read_back_as_the_exact_raw_bytes(
    dpi: int, zpl_simulator: StartZpl
) -> None:
    codes = [
        raw(7),
        f"1726123190DKL1234567890A1{GS}10AB_1{GS}21X_7".encode(),
        f"90DKL1234567890A1{GS}91291231".encode(),
    ]
    sim = zpl_simulator()
    with client(sim.port, dpi=dpi) as printer:
        pump(printer, [Job(i, code) for i, code in enumerate(codes)], all_printed(3))
        for index, code in enumerate(codes):
            image = sim.render(index)
            assert image.dtype.name == "uint8"
            assert symbols.read(image) == [symbols.Decoded(Symbology.GS1_DATAMATRIX, code)]
        module = module_dots(dpi)
        assert sim.printed[0].format.fields[0].params == f"N,{module},200,,,,_"

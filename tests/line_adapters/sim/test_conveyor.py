"""The conveyor simulator over real TCP: the belt, detects, rejects, trigger faults, print-go from
a triggered coder, the e-stop and lost connections, driven by `LineIo` as a controller would."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import pytest

from jejak.engine.errors import InvalidCombination, InvalidQuantity
from jejak.line_adapters.io import (
    Ack,
    Command,
    ConveyorState,
    Detect,
    Disconnected,
    Encoder,
    Err,
    ErrorCode,
    Frame,
    LineIo,
    Pong,
    State,
)
from jejak.line_adapters.reject import RejectFifo
from jejak.line_adapters.sim.conveyor import Bin, ConveyorSimulator, Pack
from jejak.printers.coder import CoderClient
from jejak.printers.device import Job
from jejak.printers.sim.imprint import Imprint
from jejak.testing import StartCoder

GUARD = 30.0  # seconds: only a failure guard, never a timing assertion
PITCH, CAMERA, REJECT = 1000, 3000, 6000
Polled = Frame | Disconnected
T = TypeVar("T")


class StartConveyor(Protocol):
    def __call__(self, **options: Any) -> ConveyorSimulator: ...


@pytest.fixture
def conveyor() -> Iterator[StartConveyor]:
    """conveyor(**options) -> a started simulator (fast: time_factor 50); stopped at teardown."""
    started: list[ConveyorSimulator] = []

    def start(**options: Any) -> ConveyorSimulator:
        simulator = ConveyorSimulator(**{"time_factor": 50.0, **options})
        started.append(simulator)
        return simulator.start()

    try:
        yield start
    finally:
        for simulator in started:
            simulator.stop()


class Controller:
    """A test controller: one `LineIo`, every frame it polled, waits with a failure guard."""

    def __init__(self, sim: ConveyorSimulator) -> None:
        self.io = LineIo("127.0.0.1", sim.port)
        self.io.connect()
        self.frames: list[Polled] = []
        self.on_frame: Callable[[Polled], None] | None = None

    def poll(self, timeout: float = 0.02) -> list[Polled]:
        new = self.io.poll(timeout)
        if self.on_frame is not None:
            for frame in new:
                self.on_frame(frame)
        self.frames += new
        return new

    def until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + GUARD
        while not done():
            assert time.monotonic() < deadline, f"gave up; last frames {self.frames[-8:]}"
            self.poll()

    def finish(self, sim: ConveyorSimulator) -> None:
        """Wait until every pack is binned and every DET sent has been polled."""
        self.until(lambda: sim.finished)
        self.until(lambda: self._last_n() == sim.detects)

    def _last_n(self) -> int:
        detects = self.of(Detect)
        return detects[-1].n if detects else 0

    def wait_for(self, frame: Polled) -> None:
        """Wait for `frame` to come (from now on: frames polled before do not count)."""
        mark = len(self.frames)
        self.until(lambda: frame in self.frames[mark:])

    def of(self, kind: type[T]) -> list[T]:
        return [frame for frame in self.frames if isinstance(frame, kind)]

    def after(self, frame: Polled) -> list[Polled]:
        """The replies and states after the last `frame` (without ENC and DET lines)."""
        at = len(self.frames) - 1 - self.frames[::-1].index(frame)
        return [f for f in self.frames[at + 1 :] if not isinstance(f, Encoder | Detect)]


@pytest.fixture
def controller() -> Iterator[Callable[[ConveyorSimulator], Controller]]:
    made: list[Controller] = []

    def connect(sim: ConveyorSimulator) -> Controller:
        made.append(Controller(sim))
        return made[-1]

    try:
        yield connect
    finally:
        for each in made:
            each.io.close()


def numbers(packs: list[Pack]) -> list[int]:
    return [pack.number for pack in packs]


# Parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"ppm": 0}, InvalidQuantity,
         "Invalid conveyor speed 0: expected a number > 0. Hint: packs per minute, e.g. 600."),
        ({"time_factor": -1.0}, InvalidQuantity,
         ("Invalid time factor -1.0: expected a number > 0. Hint: 1 is real time, 10 ten times "
         "faster.")),
        ({"ppm": True}, InvalidQuantity,
         "Invalid conveyor speed True: expected a number > 0. Hint: packs per minute, e.g. 600."),
        ({"pitch": 1}, InvalidQuantity,
         ("Invalid pack pitch 1: expected an integer >= 2. Hint: encoder counts between pack "
         "fronts, e.g. 1000.")),
        ({"pitch": 1000.0}, InvalidQuantity,
         ("Invalid pack pitch 1000.0: expected an integer >= 2. Hint: encoder counts between "
         "pack fronts, e.g. 1000.")),
        ({"camera_at": 499}, InvalidQuantity,
         ("Invalid camera position 499: expected an integer >= 500. Hint: counts from the "
         "detect sensor to the camera, at least half a pitch.")),
        ({"reject_at": 3999}, InvalidQuantity,
         ("Invalid reject position 3999: expected an integer >= 4000. Hint: the reject actuator "
         "is at least a pitch after the camera.")),
        ({"missed_trigger_rate": 1.5}, InvalidQuantity,
         ("Invalid missed trigger rate 1.5: expected a number from 0 to 1. Hint: e.g. 0.01 for "
         "one pack in a hundred.")),
        ({"double_trigger_rate": "0.1"}, InvalidQuantity,
         ("Invalid double trigger rate '0.1': expected a number from 0 to 1. Hint: e.g. 0.01 for "
         "one pack in a hundred.")),
        ({"missed_trigger_rate": 0.6, "double_trigger_rate": 0.5}, InvalidCombination,
         ("Invalid trigger rates 0.6 missed + 0.5 double: expected a sum of at most 1. Hint: a "
         "pack has one detect fault at most.")),
        ({"packs": -1}, InvalidQuantity,
         ("Invalid pack count -1: expected an integer >= 0. Hint: None feeds packs until the "
         "belt stops.")),
    ],
)  # fmt: skip
def test_parameters_are_checked(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as refused:
        ConveyorSimulator(**options)
    assert str(refused.value) == message


# The belt ------------------------------------------------------------------------------------


def test_hello_ping_run_and_stop(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor()
    line = controller(sim)
    line.io.ping()
    line.wait_for(Pong())
    assert line.frames == [State(ConveyorState.STOPPED), Encoder(0), Pong()]
    assert (line.io.state, line.io.encoder, sim.running, sim.position) == (
        ConveyorState.STOPPED, 0, False, 0,
    )  # fmt: skip

    line.io.run()
    line.until(lambda: len(line.of(Encoder)) > 20)
    assert line.frames[3:5] == [Ack(Command.RUN), State(ConveyorState.RUNNING)]
    positions = [frame.encoder for frame in line.of(Encoder)]
    assert positions == sorted(positions)
    assert positions[-1] > 0
    assert (sim.running, sim.state) == (True, ConveyorState.RUNNING)

    line.io.run()  # already running: acknowledged, no state change
    line.io.stop()
    line.wait_for(State(ConveyorState.STOPPED))
    stopped = line.of(Encoder)[-1].encoder
    assert line.after(Ack(Command.RUN)) == [Ack(Command.STOP), State(ConveyorState.STOPPED)]
    assert (sim.position, sim.running, line.io.encoder) == (stopped, False, stopped)
    assert not line.io.poll(0.1)  # a stopped belt sends nothing

    line.io.stop()
    line.wait_for(Ack(Command.STOP))
    line.io.run()
    line.until(lambda: line.of(Encoder)[-1].encoder > stopped)
    assert line.after(Ack(Command.STOP)) == [Ack(Command.RUN), State(ConveyorState.RUNNING)]
    positions = [frame.encoder for frame in line.of(Encoder)]
    assert positions == sorted(positions)  # the belt goes on from where it stopped


def test_packs_in_detects_out_one_pitch_apart(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor(packs=12)
    line = controller(sim)
    line.io.run()
    line.finish(sim)
    assert line.of(Detect) == [Detect(n, n * PITCH) for n in range(1, 13)]
    assert numbers(sim.good) == list(range(1, 13))
    assert all(pack.bin is Bin.GOOD and pack.detections == 1 for pack in sim.good)
    assert (sim.rejected, sim.in_transit, sim.wasted_fires) == ([], [], [])
    assert (sim.entered, sim.detects) == (12, 12)
    every = [f.encoder if isinstance(f, Encoder | Detect) else -1 for f in line.frames]
    assert [e for e in every if e >= 0] == sorted(e for e in every if e >= 0)  # encoder order


def fifo_controller(line: Controller, reject: Callable[[int], bool], lead: int) -> RejectFifo:
    """Wire a reject FIFO to the line: each detect gets its verdict at once (`reject(number)`,
    the physical pack number read from the latched position), and each pack is armed for
    `FIRE <reject_at>` `lead` counts before it reaches the actuator."""
    fifo = RejectFifo(offset=REJECT, min_pitch=PITCH // 2)

    def handle(frame: Polled) -> None:
        if isinstance(frame, Detect):
            pack = fifo.detect(frame.encoder)
            if pack is not None:
                fifo.decide(pack, reject(frame.encoder // PITCH))
        elif isinstance(frame, Encoder):
            for passed in fifo.advance(frame.encoder + lead):
                if passed.fire:
                    line.io.fire(passed.reject_at)

    line.on_frame = handle
    return fifo


@pytest.mark.parametrize("lead", [REJECT, 3 * PITCH])
def test_fire_rejects_exactly_the_intended_packs(
    lead: int, conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    bad = {2, 5, 6, 13, 20}
    sim = conveyor(packs=20, time_factor=5.0)  # 120 or 60 ms to arm each fire
    line = controller(sim)
    fifo_controller(line, lambda number: number in bad, lead)
    line.io.run()
    line.finish(sim)
    assert numbers(sim.rejected) == sorted(bad)
    assert all(pack.bin is Bin.REJECTED for pack in sim.rejected)
    assert numbers(sim.good) == [n for n in range(1, 21) if n not in bad]
    assert sim.wasted_fires == []
    line.until(lambda: line.of(Ack).count(Ack(Command.FIRE)) == len(bad))


def test_fires_armed_in_advance_reject_their_packs_at_any_speed(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    bad = [1, 4, 9, 10, 30, 31, 32, 50]
    sim = conveyor(packs=50, time_factor=100.0)
    line = controller(sim)
    for number in bad:
        line.io.fire(number * PITCH + REJECT + 400)  # anywhere within half a pitch
    line.io.run()
    line.finish(sim)
    assert numbers(sim.rejected) == bad
    assert numbers(sim.good) == [n for n in range(1, 51) if n not in bad]
    assert sim.wasted_fires == []


def test_fires_that_find_no_pack_are_wasted(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor(packs=3)
    line = controller(sim)
    for position in (REJECT, REJECT + PITCH, REJECT + PITCH + 100, REJECT + 4 * PITCH):
        line.io.fire(position)  # no pack 0; pack 1; pack 1 again; no pack 4
    line.io.run()
    line.until(lambda: sim.finished and len(sim.wasted_fires) >= 3)
    assert numbers(sim.rejected) == [1]
    assert numbers(sim.good) == [2, 3]
    assert sim.wasted_fires == [REJECT, REJECT + PITCH + 100, REJECT + 4 * PITCH]


def stop_with_packs_on_the_belt(sim: ConveyorSimulator, line: Controller, packs: int) -> int:
    line.io.run()
    line.until(lambda: sim.entered >= packs)
    line.io.stop()
    line.wait_for(State(ConveyorState.STOPPED))
    return line.of(Encoder)[-1].encoder


def test_a_late_fire_fires_where_the_belt_is(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor()
    line = controller(sim)
    position = stop_with_packs_on_the_belt(sim, line, 8)
    at_actuator = (position - REJECT + PITCH // 2) // PITCH
    assert at_actuator >= 2
    line.io.fire(0)  # long past: the actuator fires now, at the pack in front of it
    line.wait_for(Ack(Command.FIRE))
    assert numbers(sim.rejected) == [at_actuator]
    assert numbers(sim.good) == list(range(1, at_actuator))
    assert sim.wasted_fires == []


def test_the_camera_sees_the_pack_in_front_of_it(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor()
    assert sim.pack_at_camera() is None  # an empty belt
    line = controller(sim)
    position = stop_with_packs_on_the_belt(sim, line, 5)
    at_camera = (position - CAMERA + PITCH // 2) // PITCH
    pack = sim.pack_at_camera()
    assert pack is not None
    assert (pack.number, pack.detected_at, pack.bin) == (at_camera, at_camera * PITCH, None)
    assert pack in sim.in_transit


def test_trigger_faults_are_visible(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor(
        packs=60, missed_trigger_rate=0.15, double_trigger_rate=0.15, seed=7, time_factor=5.0
    )
    line = controller(sim)
    fifo = fifo_controller(line, lambda number: number % 3 == 0, REJECT)
    line.io.run()
    line.finish(sim)
    packs = sorted(sim.good + sim.rejected, key=lambda pack: pack.number)
    missed = [p.number for p in packs if p.detections == 0]
    doubled = [p.number for p in packs if p.detections == 2]
    assert missed, "the seed gives missed triggers"
    assert doubled, "the seed gives double triggers"
    bounce = PITCH // 20
    expected = [at for p in packs for at in (p.detected_at, p.detected_at + bounce)[: p.detections]]
    assert line.of(Detect) == [Detect(n, at) for n, at in enumerate(expected, 1)]
    assert sim.detects == len(expected)
    assert (fifo.detected, fifo.double_triggers) == (60 - len(missed), len(doubled))
    # The FIFO rejects exactly the bad packs it saw; a bad pack with a missed detect goes on.
    seen_bad = [n for n in range(3, 61, 3) if n not in missed]
    assert numbers(sim.rejected) == seen_bad
    assert [n for n in range(3, 61, 3) if n in missed] == [
        n for n in numbers(sim.good) if n % 3 == 0
    ]
    assert sim.wasted_fires == []


def test_print_go_from_a_triggered_coder(
    conveyor: StartConveyor,
    controller: Callable[[ConveyorSimulator], Controller],
    coder_simulator: StartCoder,
) -> None:
    coder = coder_simulator(triggered=True)
    codes = [b"0108991234567891\x1d21SER%03d" % n for n in range(1, 6)]
    with CoderClient("127.0.0.1", coder.port) as client:
        client.send([Job(n, code) for n, code in enumerate(codes)])
        assert coder.wait_until(lambda c: c.buffered == 5, GUARD)
        sim = conveyor(packs=7, print_go=coder.print_go)
        line = controller(sim)
        line.io.run()
        line.finish(sim)
    imprints = [pack.imprint for pack in sim.good]
    assert [imprint.data if imprint else None for imprint in imprints] == [*codes, None, None]
    assert coder.printed == codes


def test_print_go_from_a_callable(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    printed = iter([Imprint(b"A"), None, Imprint(b"C", damaged=True)])
    sim = conveyor(packs=3, print_go=lambda: next(printed))
    line = controller(sim)
    line.io.run()
    line.finish(sim)
    assert [pack.imprint for pack in sim.good] == [Imprint(b"A"), None, Imprint(b"C", True)]


# Faults --------------------------------------------------------------------------------------


def test_e_stop_and_reset(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor()
    line = controller(sim)
    line.io.run()
    line.until(lambda: sim.entered >= 2)
    sim.e_stop()
    line.wait_for(State(ConveyorState.FAULT, "e-stop"))
    assert line.after(State(ConveyorState.RUNNING)) == [State(ConveyorState.FAULT, "e-stop")]
    assert line.of(State)[-2:] == [
        State(ConveyorState.RUNNING),
        State(ConveyorState.FAULT, "e-stop"),
    ]
    stopped = line.of(Encoder)[-1].encoder
    assert (sim.running, sim.state, sim.position) == (False, ConveyorState.FAULT, stopped)
    sim.e_stop()  # pressed again: nothing new
    line.io.run()
    refusal = Err(Command.RUN, ErrorCode.FAULT, "conveyor in fault: e-stop")
    line.wait_for(refusal)
    assert not sim.running
    sim.reset_fault()
    line.wait_for(State(ConveyorState.STOPPED, "fault reset"))
    line.io.run()
    line.wait_for(State(ConveyorState.RUNNING))
    assert line.after(refusal) == [
        State(ConveyorState.STOPPED, "fault reset"), Ack(Command.RUN), State(ConveyorState.RUNNING),
    ]  # fmt: skip
    assert sim.running


def test_a_lost_connection_stops_the_belt_and_a_reconnect_goes_on(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor(packs=10, time_factor=5.0)
    line = controller(sim)
    line.io.fire(REJECT + 8 * PITCH)  # armed before the drop: it still fires after it
    line.io.run()
    line.until(lambda: sim.entered >= 3)
    sim.drop_connection()
    line.until(lambda: any(isinstance(f, Disconnected) for f in line.frames))
    assert line.frames[-1] == Disconnected("connection closed by the line I/O")
    assert (line.io.connected, sim.running) == (False, False)
    stopped, before = sim.position, [d.n for d in line.of(Detect)]
    assert line.io.poll(0.05) == []  # reported once

    line.io.connect()
    line.until(lambda: isinstance(line.frames[-1], Encoder))
    assert line.frames[-2:] == [State(ConveyorState.STOPPED, "controller link lost"),
                                Encoder(stopped)]  # fmt: skip
    line.io.run()
    line.finish(sim)
    detects = line.of(Detect)
    assert detects == [Detect(d.n, d.n * PITCH) for d in detects]
    seen = [d.n for d in detects]
    assert seen == sorted(set(seen))  # the I/O's numbering goes on across connections
    assert seen[-1] == sim.detects == 10
    # A detect while the link was down is lost, and the gap in the numbers shows it.
    lost = sorted(set(range(1, 11)) - set(seen))
    assert all(before[-1] < n and n * PITCH <= stopped for n in lost)
    assert numbers(sim.rejected) == [8]
    assert sim.connections == 2


def test_a_second_controller_takes_over(
    conveyor: StartConveyor, controller: Callable[[ConveyorSimulator], Controller]
) -> None:
    sim = conveyor()
    first = controller(sim)
    first.io.run()
    first.wait_for(State(ConveyorState.RUNNING))
    second = controller(sim)
    first.until(lambda: isinstance(first.frames[-1], Disconnected))
    second.until(lambda: len(second.frames) >= 2)
    assert second.frames[:2] == [
        State(ConveyorState.STOPPED, "controller link lost"), Encoder(sim.position),
    ]  # fmt: skip


def converse(port: int, data: bytes, lines: int) -> list[bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=GUARD) as link:
        link.sendall(data)
        reply = b""
        while reply.count(b"\n") < lines + 2:  # after the STATE and ENC of every connection
            chunk = link.recv(4096)
            assert chunk, reply
            reply += chunk
    return reply.split(b"\n")[2:-1]


@pytest.mark.parametrize(
    ("data", "replies"),
    [
        (b"PING\r\nPING\n", [b"PONG", b"PONG"]),
        (b"FOO\nPING\n", [b"ERR - 1 unknown command", b"PONG"]),
        (b"FIRE x\nFIRE 01\nRUN now\nSTOP 1\nPING 2\n",
         [b"ERR FIRE 2 bad argument", b"ERR FIRE 2 bad argument", b"ERR RUN 2 bad argument",
          b"ERR STOP 2 bad argument", b"ERR PING 2 bad argument"]),
        (b"\x00\xff\nFIRE 9000\n", [b"ERR - 2 bad argument", b"ACK FIRE"]),
        (b"x" * 300 + b"\nPING\n", [b"ERR - 2 bad argument", b"PONG"]),
        (b"STOP\nSTOP\n", [b"ACK STOP", b"ACK STOP"]),
        (b"FIRE 99999999\n" * 1024 + b"FIRE 99999999\n",
         [b"ACK FIRE"] * 1024 + [b"ERR FIRE 4 more than 1024 fires armed"]),
    ],
)  # fmt: skip
def test_commands_over_a_raw_socket(
    data: bytes, replies: list[bytes], conveyor: StartConveyor
) -> None:
    assert converse(conveyor().port, data, len(replies)) == replies

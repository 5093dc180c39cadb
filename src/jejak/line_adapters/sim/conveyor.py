"""A conveyor with a product-detect sensor, an encoder and a reject actuator, as line I/O over TCP.

`ConveyorSimulator` is a `jejak.printers.sim.server.TcpServer` that speaks the Jejak line I/O
protocol (`jejak.line_adapters.io.codec`) to one controller at a time (a new connection takes
over) and moves simulated packs:

- The belt moves at `ppm` packs a minute, `pitch` encoder counts from one pack front to the next,
  `time_factor` times faster than real time, only between ``RUN`` and ``STOP``. The encoder
  position is computed from the monotonic clock since the last start (no drift from summed
  sleeps); the server thread wakes every quarter pitch or 20 ms of line time, whichever is
  sooner, handles what happened since in encoder order, and sends ``ENC``. Each wake-up costs
  the same whatever the run's length: O(1).
- Pack k passes the product-detect sensor (position 0) at encoder ``k * pitch``. The printer's
  print-go is wired to that sensor: the simulator calls `print_go()` and the pack carries the
  returned `Imprint` (None: it left the printer unlabelled). The I/O latches the encoder at the
  edge and sends ``DET <n> <encoder>`` (n counts edges).
- Trigger faults are on the controller's detect input only, a separate sensor from the
  printer's (the common wiring when the coder has its own photo-eye): a *missed* trigger sends
  no ``DET`` although the pack was printed; a *double* trigger (a bouncing sensor) sends a
  second ``DET`` `pitch` // 20 counts after the first. `Pack.detections` says which (0, 1, 2).
- The camera sits `camera_at` counts after the sensor; `pack_at_camera()` (thread-safe: the
  camera simulator's thread calls it when it is triggered) is the pack whose front is within
  half a pitch of it now. The reject actuator sits `reject_at` counts after the sensor.
- ``FIRE <encoder>`` arms the actuator for that encoder position (at once if the belt is past
  it: then it fires where the belt is now). It pushes the pack whose front is within half a
  pitch of the actuator into the reject bin; a fire that finds no pack there is a wasted fire.
  A pack that leaves the actuator's reach unfired goes to the good bin. Armed fires survive a
  lost connection (a PLC keeps its compare table): a reject decided is never forgotten.
- With `packs=N` the feed stops after N packs; the belt runs on so that the last ones reach the
  bins, and `finished` tells when all N are binned.
- Faults from the test thread: `drop_connection()`, `e_stop()` (the belt stops, ``STATE FAULT
  e-stop``, ``RUN`` refused with ``ERR RUN 3`` until `reset_fault()`). The belt also stops when
  the controller's connection is lost (the I/O's watchdog), so no pack passes unseen.

>>> from jejak.line_adapters.io.client import LineIo
>>> from jejak.line_adapters.io.codec import Detect
>>> with ConveyorSimulator(time_factor=50, packs=2) as sim, LineIo("127.0.0.1", sim.port) as io:
...     io.run()
...     seen = []
...     while len(seen) < 2 or not sim.finished:
...         seen += [f for f in io.poll(0.1) if isinstance(f, Detect)]
>>> seen, [pack.number for pack in sim.good]
([Detect(n=1, encoder=1000), Detect(n=2, encoder=2000)], [1, 2])
"""

from __future__ import annotations

import dataclasses
import heapq
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from jejak.engine.errors import InvalidCombination, InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.io.codec import (
    Ack,
    BadLine,
    Command,
    CommandFrame,
    ConveyorState,
    Detect,
    Encoder,
    Err,
    ErrorCode,
    Fire,
    Ping,
    Pong,
    Run,
    State,
    decode_commands,
)
from jejak.printers.sim.imprint import Imprint
from jejak.printers.sim.server import Link, TcpServer

__all__ = ["Bin", "ConveyorSimulator", "Pack"]

_MAX_FIRES = 1024  # fires armed at once; more is ERR FIRE 4
_ENC_PERIOD = 0.020  # seconds of line time: the longest gap between two ENC lines
_ERROR_TEXT = {
    ErrorCode.UNKNOWN_COMMAND: "unknown command",
    ErrorCode.BAD_ARGUMENT: "bad argument",
    ErrorCode.FAULT: "conveyor in fault",
    ErrorCode.FIRE_QUEUE_FULL: f"more than {_MAX_FIRES} fires armed",
}
_ACKS = {command: Ack(command).encode() for command in (Command.FIRE, Command.RUN, Command.STOP)}
_PONG = Pong().encode()
# What happens next on the belt, in this order when two fall on the same encoder count.
_NONE, _BIN, _SHOOT, _ENTER, _BOUNCE, _EYE = range(6)


class Bin(StrEnum):
    """Where a pack ended."""

    GOOD = "good"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Pack:
    """One physical pack: its number (1, 2, ...), the encoder count at which its front passed
    the product-detect sensor, what the printer put on it (None: nothing), how many ``DET``
    lines the controller got for it (0 a missed trigger, 2 a double one), and, once it left
    the belt, its bin."""

    number: int
    detected_at: int
    imprint: Imprint | None
    detections: int = 1
    bin: Bin | None = None


class _Link(Link):
    __slots__ = ("pending",)

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self.pending = bytearray()  # received bytes not yet decoded (an incomplete line)


def _positive(value: object, what: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidQuantity(f"Invalid {what} {describe(value)}: expected a number > 0. {hint}")
    return float(value)


def _counts(value: object, what: str, low: int, hint: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidQuantity(
            f"Invalid {what} {describe(value)}: expected an integer >= {low}. {hint}"
        )
    return value


def _rate(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidQuantity(
            f"Invalid {what} trigger rate {describe(value)}: expected a number from 0 to 1. "
            "Hint: e.g. 0.01 for one pack in a hundred."
        )
    return float(value)


class ConveyorSimulator(TcpServer[_Link]):
    """A belt at `ppm` packs a minute with a detect sensor, a camera and a reject actuator."""

    def __init__(
        self,
        *,
        ppm: float = 600,
        time_factor: float = 10.0,
        pitch: int = 1000,
        camera_at: int = 3000,
        reject_at: int = 6000,
        print_go: Callable[[], Imprint | None] | None = None,
        camera_eye: Callable[[Pack | None], None] | None = None,
        missed_trigger_rate: float = 0.0,
        double_trigger_rate: float = 0.0,
        seed: int | None = None,
        packs: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        speed = _positive(ppm, "conveyor speed", "Hint: packs per minute, e.g. 600.")
        factor = _positive(time_factor, "time factor", "Hint: 1 is real time, 10 ten times faster.")
        _counts(pitch, "pack pitch", 2, "Hint: encoder counts between pack fronts, e.g. 1000.")
        to_camera = "Hint: counts from the detect sensor to the camera, at least half a pitch."
        _counts(camera_at, "camera position", pitch // 2, to_camera)
        to_reject = "Hint: the reject actuator is at least a pitch after the camera."
        _counts(reject_at, "reject position", camera_at + pitch, to_reject)
        missed, double = _rate(missed_trigger_rate, "missed"), _rate(double_trigger_rate, "double")
        if missed + double > 1:
            raise InvalidCombination(
                f"Invalid trigger rates {missed!r} missed + {double!r} double: expected a sum "
                "of at most 1. Hint: a pack has one detect fault at most."
            )
        if packs is not None:
            _counts(packs, "pack count", 0, "Hint: None feeds packs until the belt stops.")
        super().__init__(_Link, host, port, name="conveyor-sim", takeover=True)
        self.ppm, self.time_factor = speed, factor
        self.pitch, self.camera_at, self.reject_at = pitch, camera_at, reject_at
        self.packs = packs
        self._print_go = print_go
        self._camera_eye = camera_eye
        self._eyed = 0  # packs that passed the camera's photo-eye
        self._missed, self._double = missed, double
        self._rng = random.Random(seed)  # noqa: S311  (repeatable simulated faults, no secret)
        self._speed = self.ppm * pitch / 60.0 * self.time_factor  # counts per wall second
        self._interval = min(pitch / 4 / self._speed, _ENC_PERIOD / self.time_factor)
        self._half = pitch // 2
        self._leaves = reject_at - self._half + pitch  # after detect: out of the actuator's reach
        self._bounce_gap = max(1, pitch // 20)
        self._lock = threading.Lock()  # the belt as pack_at_camera and the properties see it
        # The belt: the encoder is _origin + (now - _since) * _speed while it runs.
        self._origin, self._since, self._running = 0, 0.0, False
        self._state, self._state_text = ConveyorState.STOPPED, ""
        self._entered = self._detects = 0
        self._transit: deque[Pack] = deque()
        self._good: list[Pack] = []
        self._rejected: list[Pack] = []
        self._wasted: list[int] = []
        # Server thread only.
        self._fires: list[int] = []  # armed fire positions, a heap
        self._bounce: int | None = None  # where the pending second DET of a bounce falls
        self._enc_due = 0.0

    # Injected faults: each takes effect in the server thread before the call returns --------

    def drop_connection(self) -> None:
        """Drop the controller's connection (the belt stops: the I/O's watchdog)."""
        self._call(self._drop)

    def e_stop(self) -> None:
        """Press the emergency stop: the belt stops, ``STATE FAULT e-stop``."""
        self._call(lambda: self._fault("e-stop"))

    def reset_fault(self) -> None:
        """Reset a fault at the machine: ``STATE STOPPED fault reset``; ``RUN`` works again."""

        def apply() -> None:
            if self._state is ConveyorState.FAULT:
                self._set_state(ConveyorState.STOPPED, "fault reset")

        self._call(apply)

    # What the line sees ------------------------------------------------------------------------

    def pack_at_camera(self) -> Pack | None:
        """The pack whose front is within half a pitch of the camera now (any thread)."""
        with self._lock:
            position = self._position(time.monotonic())
            number = (position - self.camera_at + self._half) // self.pitch
            return self._in_transit(number)

    @property
    def position(self) -> int:
        """The encoder count now."""
        with self._lock:
            return self._position(time.monotonic())

    @property
    def state(self) -> ConveyorState:
        return self._state

    @property
    def running(self) -> bool:
        return self._running

    @property
    def entered(self) -> int:
        """Packs that have passed the detect sensor."""
        return self._entered

    @property
    def detects(self) -> int:
        """``DET`` lines sent (edges of the controller's detect input)."""
        return self._detects

    @property
    def in_transit(self) -> list[Pack]:
        with self._lock:
            return list(self._transit)

    @property
    def good(self) -> list[Pack]:
        with self._lock:
            return list(self._good)

    @property
    def rejected(self) -> list[Pack]:
        with self._lock:
            return list(self._rejected)

    @property
    def wasted_fires(self) -> list[int]:
        """The encoder counts of the fires that found no pack at the actuator."""
        with self._lock:
            return list(self._wasted)

    @property
    def finished(self) -> bool:
        """Whether all `packs` have entered and left the belt (never with ``packs=None``)."""
        return self.packs is not None and self._entered == self.packs and not self._transit

    # The device: hooks of the TCP server --------------------------------------------------

    def _opened(self, link: _Link) -> None:
        link.send(State(self._state, self._state_text).encode())
        link.send(Encoder(self._origin).encode())

    def _closed(self, link: _Link) -> None:
        if self._state is ConveyorState.RUNNING:
            self._halt(time.monotonic())
            self._state, self._state_text = ConveyorState.STOPPED, "controller link lost"

    def _tick(self) -> float | None:
        if not self._running:
            return None
        now = time.monotonic()
        position = self._advance(now)
        if now >= self._enc_due:
            self._send(b"ENC %d\n" % position)
            self._enc_due += self._interval
            if self._enc_due <= now:  # the thread was late: no burst to catch up
                self._enc_due = now + self._interval
        return self._enc_due - now

    def _received(self, link: _Link, data: bytes) -> None:
        pending = link.pending
        pending += data
        while pending:
            try:
                used, commands = decode_commands(pending)
            except BadLine as bad:
                link.send(Err(bad.command, bad.code, _ERROR_TEXT[bad.code]).encode())
                del pending[: bad.used]
                continue
            if not used:
                return
            del pending[:used]
            for command in commands:
                self._command(link, command)

    def _command(self, link: _Link, command: CommandFrame) -> None:
        now = time.monotonic()
        if isinstance(command, Fire):
            position = self._advance(now)
            if command.encoder <= position:
                self._shoot(position)
            elif len(self._fires) >= _MAX_FIRES:
                link.send(self._refusal(Command.FIRE, ErrorCode.FIRE_QUEUE_FULL))
                return
            else:
                heapq.heappush(self._fires, command.encoder)
            link.send(_ACKS[Command.FIRE])
        elif isinstance(command, Run):
            if self._state is ConveyorState.FAULT:
                link.send(self._refusal(Command.RUN, ErrorCode.FAULT, self._state_text))
                return
            link.send(_ACKS[Command.RUN])
            if not self._running:
                with self._lock:
                    self._since, self._running = now, True
                self._enc_due = now
                self._set_state(ConveyorState.RUNNING, "")
        elif isinstance(command, Ping):
            link.send(_PONG)
        else:  # Stop
            link.send(_ACKS[Command.STOP])
            if self._running:
                self._send(Encoder(self._halt(now)).encode())
                self._set_state(ConveyorState.STOPPED, "")

    # The belt -------------------------------------------------------------------------------

    def _position(self, now: float) -> int:
        if not self._running:
            return self._origin
        return self._origin + int((now - self._since) * self._speed)

    def _halt(self, now: float) -> int:
        """Stop the belt where it is now (after handling what happened until now)."""
        position = self._advance(now)
        with self._lock:
            self._origin, self._running = position, False
        return position

    def _fault(self, text: str) -> None:
        if self._state is ConveyorState.FAULT:
            return
        if self._running:
            self._send(Encoder(self._halt(time.monotonic())).encode())
        self._set_state(ConveyorState.FAULT, text)

    def _set_state(self, state: ConveyorState, text: str) -> None:
        self._state, self._state_text = state, text
        self._send(State(state, text).encode())

    def _advance(self, now: float) -> int:
        """Handle, in encoder order, everything that happened on the belt up to now."""
        with self._lock:
            position = self._position(now)
        while True:
            at, event = position + 1, _NONE
            if self._transit and (leaves := self._transit[0].detected_at + self._leaves) < at:
                at, event = leaves, _BIN
            if self._fires and self._fires[0] < at:
                at, event = self._fires[0], _SHOOT
            if (self.packs is None or self._entered < self.packs) and (
                enters := (self._entered + 1) * self.pitch
            ) < at:
                at, event = enters, _ENTER
            if self._bounce is not None and self._bounce < at:
                at, event = self._bounce, _BOUNCE
            if (self._camera_eye is not None and self._eyed < self._entered
                    and (eye := (self._eyed + 1) * self.pitch + self.camera_at) < at):  # fmt: skip
                at, event = eye, _EYE
            if event == _NONE:
                return position
            if event == _BIN:
                with self._lock:
                    pack = self._transit.popleft()
                    self._good.append(dataclasses.replace(pack, bin=Bin.GOOD))
            elif event == _SHOOT:
                heapq.heappop(self._fires)
                self._shoot(at)
            elif event == _ENTER:
                self._enter(at)
            elif event == _EYE:
                self._eyed += 1
                with self._lock:
                    seen = self._in_transit(self._eyed)
                if self._camera_eye is not None:
                    self._camera_eye(seen)
            else:
                self._bounce = None
                self._detect(at)

    def _enter(self, at: int) -> None:
        imprint = self._print_go() if self._print_go is not None else None
        detections = 1
        if self._missed or self._double:
            draw = self._rng.random()
            detections = (
                0 if draw < self._missed else 2 if draw < self._missed + self._double else 1
            )
        with self._lock:
            self._entered += 1
            self._transit.append(Pack(self._entered, at, imprint, detections))
        if detections:
            self._detect(at)
        if detections == 2:
            self._bounce = at + self._bounce_gap

    def _detect(self, at: int) -> None:
        self._detects += 1
        self._send(Detect(self._detects, at).encode())

    def _shoot(self, at: int) -> None:
        """The actuator fires at encoder `at`: the pack in its reach goes to the reject bin."""
        number = (at - self.reject_at + self._half) // self.pitch
        with self._lock:
            if self._transit and self._transit[0].number == number:
                pack = self._transit.popleft()
                self._rejected.append(dataclasses.replace(pack, bin=Bin.REJECTED))
            else:
                self._wasted.append(at)

    def _in_transit(self, number: int) -> Pack | None:
        transit = self._transit
        if not transit:
            return None
        index = number - transit[0].number
        return transit[index] if 0 <= index < len(transit) else None

    def _send(self, data: bytes) -> None:
        if self._link is not None:
            self._link.send(data)

    def _refusal(self, command: Command, code: ErrorCode, text: str = "") -> bytes:
        detail = f"{_ERROR_TEXT[code]}: {text}" if text else _ERROR_TEXT[code]
        return Err(command, code, detail).encode()

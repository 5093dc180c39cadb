"""`LineIo`: the line controller's TCP connection to the line I/O (a PLC gateway or the simulator).

One connection, one thread (the controller's). Commands (`fire`, `run`, `stop`, `ping`) are
written at once and not waited for: their ``ACK``, ``ERR`` and ``PONG`` come back through `poll`
in the order the commands went, between the I/O's events (``DET``, ``ENC``, ``STATE``), so the
controller's loop never blocks on the I/O. A lost connection is not an exception from `poll`:
it is a `Disconnected` item in what `poll` returns, once; `connect()` again starts afresh (the I/O
then sends its ``STATE`` and ``ENC`` first). A line from the I/O that breaks the protocol ends
the connection the same way, with the bad line named in the reason.

>>> from jejak.line_adapters.io.codec import Pong
>>> from jejak.line_adapters.sim.conveyor import ConveyorSimulator
>>> with ConveyorSimulator() as sim, LineIo("127.0.0.1", sim.port) as line:
...     line.ping()
...     frames = []
...     while Pong() not in frames:
...         frames += line.poll(1.0)
>>> frames
[State(state=<ConveyorState.STOPPED: 'STOPPED'>, text=''), Encoder(encoder=0), Pong()]
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass

from jejak.engine.errors import DeviceFault, InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.io.codec import (
    BadLine,
    ConveyorState,
    Encoder,
    Fire,
    Frame,
    Ping,
    Run,
    State,
    Stop,
    decode,
)

__all__ = ["Disconnected", "LineIo"]

_RECV = 1 << 16
_DRAIN = 16  # reads at most per poll, so that a busy I/O cannot keep poll from returning


@dataclass(frozen=True, slots=True)
class Disconnected:
    """Not a line of the protocol: the connection to the I/O ended, for `reason`."""

    reason: str


class LineIo:
    """The line I/O at `host`:`port`; `timeout` bounds the connect and each command's write."""

    __slots__ = (
        "_buffer",
        "_encoder",
        "_host",
        "_lost",
        "_port",
        "_selector",
        "_sock",
        "_state",
        "_timeout",
    )

    def __init__(self, host: str, port: int, *, timeout: float = 2.0) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise InvalidQuantity(
                f"Invalid line I/O timeout {describe(timeout)}: expected seconds > 0. "
                "Hint: a PLC gateway on the line network answers within milliseconds; 2 s is "
                "ample."
            )
        self._host, self._port, self._timeout = host, port, float(timeout)
        self._sock: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._buffer = bytearray()
        self._lost: list[Disconnected] = []
        self._encoder: int | None = None
        self._state: State | None = None

    @property
    def address(self) -> str:
        return f"{self._host}:{self._port}"

    @property
    def connected(self) -> bool:
        return self._sock is not None

    @property
    def encoder(self) -> int | None:
        """The last encoder position the I/O reported (``ENC``); None before the first."""
        return self._encoder

    @property
    def state(self) -> ConveyorState | None:
        """The conveyor state the I/O last reported (``STATE``); None before the first."""
        return None if self._state is None else self._state.state

    def __enter__(self) -> LineIo:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        """Connect (closing any previous connection); DeviceFault if the I/O cannot be reached."""
        self.close()
        try:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        except OSError as error:
            raise DeviceFault(
                f"Cannot connect to line I/O {self.address!r}: {error}. Hint: check that the "
                "PLC gateway (or the conveyor simulator) is on, reachable and listening on that "
                "port."
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock, self._selector = sock, selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)
        self._buffer.clear()
        self._lost.clear()
        self._encoder = self._state = None

    def close(self) -> None:
        """Close the connection (no `Disconnected` is reported for it)."""
        sock, selector = self._sock, self._selector
        self._sock = self._selector = None
        if selector is not None:
            selector.close()
        if sock is not None:
            sock.close()

    # Commands: written now, answered through poll ----------------------------------------------

    def fire(self, encoder: int) -> None:
        """Arm the reject actuator to fire when the encoder reaches `encoder` (now if it has)."""
        self._send(Fire.parse(encoder).encode(), "FIRE")

    def run(self) -> None:
        """Start the conveyor motor (``ACK RUN``, then ``STATE RUNNING``)."""
        self._send(Run().encode(), "RUN")

    def stop(self) -> None:
        """Stop the conveyor motor (``ACK STOP``, then ``STATE STOPPED``)."""
        self._send(Stop().encode(), "STOP")

    def ping(self) -> None:
        """Ask whether the I/O is alive (``PONG``)."""
        self._send(Ping().encode(), "PING")

    # Events ------------------------------------------------------------------------------------

    def poll(self, timeout: float) -> list[Frame | Disconnected]:
        """What the I/O sent, in order: waits up to `timeout` seconds for something, then
        returns everything that has arrived. A lost connection ends the list with
        `Disconnected`."""
        frames: list[Frame | Disconnected] = []
        if self._lost:
            frames += self._lost
            self._lost.clear()
            return frames
        selector = self._selector
        if selector is None:
            if timeout > 0:
                time.sleep(timeout)  # not connected: nothing can come
            return frames
        deadline = time.monotonic() + timeout
        wait, reads = timeout, 0
        while self._sock is not None and reads < _DRAIN:
            if selector.select(max(wait, 0.0)):
                self._read(frames)
                wait, reads = 0.0, reads + 1  # take what else has arrived, then return
                continue
            wait = deadline - time.monotonic()
            if frames or wait <= 0:
                break
        frames += self._lost
        self._lost.clear()
        return frames

    # Plumbing ----------------------------------------------------------------------------------

    def _send(self, data: bytes, what: str) -> None:
        sock = self._sock
        if sock is None:
            raise DeviceFault(
                f"Cannot send {what} to line I/O {self.address!r}: not connected. Hint: call "
                "connect() (again after a Disconnected)."
            )
        try:
            sock.sendall(data)
        except OSError as error:
            self._drop(f"connection lost while sending {what}: {error}")
            raise DeviceFault(
                f"Lost line I/O {self.address!r} while sending {what}: {error}. Hint: the I/O "
                "stops the conveyor when its controller is gone; connect() again."
            ) from None

    def _read(self, frames: list[Frame | Disconnected]) -> None:
        sock = self._sock
        if sock is None:
            return
        try:
            data = sock.recv(_RECV)
        except OSError as error:
            self._drop(f"connection lost: {error}")
            return
        if not data:
            self._drop("connection closed by the line I/O")
            return
        buffer = self._buffer
        buffer += data
        while True:
            try:
                used, decoded = decode(buffer)
            except BadLine as bad:
                self._drop(f"protocol error: {bad}")
                return
            if not used:
                return
            del buffer[:used]
            for frame in decoded:
                if type(frame) is Encoder:
                    self._encoder = frame.encoder
                elif type(frame) is State:
                    self._state = frame
            frames += decoded

    def _drop(self, reason: str) -> None:
        self.close()
        self._buffer.clear()
        self._lost.append(Disconnected(reason))

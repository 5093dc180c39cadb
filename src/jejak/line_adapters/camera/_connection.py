"""Plumbing of the camera clients: one non-blocking TCP connection, the trigger numbers, the
queues of what is pending, and the events for `poll`.

`Connection` does what both readers share (see `client` for the behaviour); the subclasses in
`client` say how their reader frames its lines (`_decode`) and what a command response means
(`_replied`).
"""

from __future__ import annotations

import selectors
import socket
import time
from collections import deque
from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import ClassVar, Generic, Self, TypeVar

from jejak.engine.errors import DeviceFault, InvalidFormat, InvalidQuantity, ProtocolError
from jejak.engine.text import describe
from jejak.line_adapters.camera.cognex import DmccReply
from jejak.line_adapters.camera.keyence import KeyenceReply
from jejak.line_adapters.camera.result import (
    CameraEvent,
    CameraKind,
    CameraResult,
    CameraState,
    CameraStatus,
    Malformed,
    ReadString,
    ResultFormat,
)

__all__ = ["Connection"]

_RECV = 1 << 18
_MAX_UNSENT = 1 << 16  # bytes of commands a camera may leave unread before it counts as lost
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE


R = TypeVar("R", DmccReply, KeyenceReply)


class Connection(Generic[R]):
    """The connection, the numbering and the event list of a camera client, for both kinds."""

    __slots__ = (
        "_buffer",
        "_count",
        "_events",
        "_format",
        "_host",
        "_out",
        "_pending",
        "_port",
        "_replies",
        "_responses",
        "_selector",
        "_sock",
        "_timeout",
        "_writing",
    )

    _kind: ClassVar[CameraKind]
    _on: ClassVar[tuple[bytes, StrEnum]]
    _off: ClassVar[tuple[bytes, StrEnum]]

    def __init__(
        self,
        host: str,
        port: int | None,
        *,
        responses: bool,
        no_read_string: str | None,
        grade_output: bool,
        grade_separator: str,
        timeout: float,
    ) -> None:
        kind = self._kind
        if not isinstance(host, str) or not host:
            raise InvalidFormat(
                f"Invalid {kind.value} camera host {describe(host)}: expected a host name or "
                "address. Hint: e.g. '10.0.0.31'."
            )
        port = kind.default_port if port is None else port
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise InvalidQuantity(
                f"Invalid {kind.value} camera port {describe(port)}: expected 1 to 65535. "
                f"Hint: {kind.value} readers listen on {kind.default_port} unless set otherwise."
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise InvalidQuantity(
                f"Invalid camera timeout {describe(timeout)}: expected seconds > 0. Hint: a "
                "reader on the line network accepts a connection within milliseconds; 5 s is ample."
            )
        self._format = ResultFormat.parse(
            no_read=kind.default_no_read if no_read_string is None else no_read_string,
            grade_separator=grade_separator if grade_output else None,
        )
        self._host, self._port, self._timeout = host, port, float(timeout)
        self._responses = bool(responses)
        self._sock: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._buffer = bytearray()
        self._out = bytearray()
        self._writing = False
        self._count = 0
        self._pending: deque[int] = deque()  # triggers sent and not answered, in order
        self._replies: deque[tuple[StrEnum, int | None]] = deque()  # commands awaiting a response
        self._events: list[CameraEvent] = []

    # Camera ----------------------------------------------------------------------------------

    @property
    def kind(self) -> CameraKind:
        return self._kind

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        return f"{self._host}:{self._port}"

    @property
    def connected(self) -> bool:
        return self._sock is not None

    @property
    def triggers(self) -> int:
        """How many triggers were sent so far (the number of the last one)."""
        return self._count

    @property
    def pending(self) -> tuple[int, ...]:
        """The triggers sent on this connection and not answered yet, oldest first."""
        return tuple(self._pending)

    @property
    def result_format(self) -> ResultFormat:
        return self._format

    def __enter__(self) -> Self:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        self.close()
        kind = self._kind
        try:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        except OSError as error:
            raise DeviceFault(
                f"Cannot connect to {kind.value} camera {self.address!r}: {error}. Hint: check "
                "that the camera is on and reachable, and the port (its default is "
                f"{kind.default_port})."
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self._sock, self._selector = sock, selectors.DefaultSelector()
        self._selector.register(sock, _READ)
        self._writing = False
        self._events.append(CameraStatus(CameraState.READY, f"connected to {self.address}"))

    def trigger(self) -> int:
        number = self._count + 1
        self._send(*self._on, number)
        self._count = number
        self._pending.append(number)
        return number

    def end(self, trigger: int) -> bool:
        if self._sock is None or trigger not in self._pending:
            return False
        self._send(*self._off, None)
        return True

    def release(self) -> None:
        self._send(*self._off, None)

    def poll(self, timeout: float) -> list[CameraEvent]:
        selector = self._selector
        if selector is not None:
            deadline = time.monotonic() + timeout
            wait = 0.0 if self._events else timeout
            while True:
                for _, mask in selector.select(max(wait, 0.0)):
                    if mask & selectors.EVENT_READ:
                        self._read()
                    if mask & selectors.EVENT_WRITE and self._sock is not None:
                        self._flush_or_drop()
                wait = deadline - time.monotonic()
                if self._events or self._sock is None or wait <= 0:
                    break
        elif not self._events and timeout > 0:
            time.sleep(timeout)  # not connected: nothing can come
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        if self._sock is not None:
            self._drop(None)

    # What each kind says ---------------------------------------------------------------------

    def _decode(self, buffer: bytearray) -> tuple[int, Sequence[R | ReadString | Malformed]]:
        raise NotImplementedError

    def _replied(self, frame: R, now: float) -> None:
        """A command response arrived (Cognex `DmccReply`, Keyence `KeyenceReply`)."""
        raise NotImplementedError

    # Plumbing --------------------------------------------------------------------------------

    def _awaited(self, line: str) -> tuple[StrEnum, int | None]:
        """The command a response answers; ProtocolError if none can be."""
        setting = "extended_response" if self._kind is CameraKind.COGNEX else "command_response"
        if not self._responses:
            raise ProtocolError(
                f"Invalid command response {line!r} from {self._kind.value} camera "
                f"{self.address!r}: the client was set to expect none ({setting}=False). Hint: "
                f"set {setting}=True to match the reader."
            )
        if not self._replies:
            raise ProtocolError(
                f"Invalid command response {line!r} from {self._kind.value} camera "
                f"{self.address!r}: no command was waiting for one. Hint: is another host "
                "connected to the reader?"
            )
        return self._replies.popleft()

    def _refused(
        self, command: StrEnum, trigger: int | None, code: IntEnum | None, detail: str, now: float
    ) -> None:
        """The camera refused `command`; a refused trigger reads nothing: a no-read for it."""
        if trigger is None or command is not self._on[1]:
            self._events.append(CameraStatus(CameraState.ERROR, detail, None, code))
            return
        self._events.append(CameraStatus(CameraState.ERROR, detail, trigger, code))
        if trigger in self._pending:
            self._pending.remove(trigger)
            self._events.append(CameraResult(trigger, None, None, None, now))

    def _handle(self, frames: Sequence[R | ReadString | Malformed], now: float) -> None:
        events, pending = self._events, self._pending
        for frame in frames:
            if isinstance(frame, ReadString):
                number = pending.popleft() if pending else self._unasked()
                events.append(CameraResult(number, frame.data, frame.symbology, frame.grade, now))
            elif isinstance(frame, Malformed):
                if not frame.read:
                    raise ProtocolError(frame.reason)
                number = pending.popleft() if pending else self._unasked()
                events.append(CameraStatus(CameraState.ERROR, frame.reason, number))
                events.append(CameraResult(number, None, None, None, now))
            else:
                self._replied(frame, now)

    def _unasked(self) -> int:
        """A result no trigger of ours waits for: the reader triggered itself."""
        self._count += 1
        return self._count

    def _send(self, data: bytes, command: StrEnum, trigger: int | None) -> None:
        if self._sock is None:
            raise DeviceFault(
                f"Cannot send {command.value} to {self._kind.value} camera {self.address!r}: not "
                "connected. Hint: call connect() first."
            )
        self._out += data
        if self._responses:
            self._replies.append((command, trigger))
        lost = self._flush()
        if lost is not None:
            self._drop(lost)
            raise DeviceFault(
                f"Lost {self._kind.value} camera {self.address!r} sending {command.value}: "
                f"{lost}. Hint: connect() again; unanswered triggers are not verified."
            )

    def _flush(self) -> str | None:
        """Write what the socket takes now; the reason the connection is lost, if it is."""
        sock, selector = self._sock, self._selector
        if sock is None or selector is None:
            return None
        try:
            sent = sock.send(self._out)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            return f"connection lost: {error}"
        del self._out[:sent]
        if len(self._out) > _MAX_UNSENT:
            return f"the camera reads no commands ({len(self._out):,} bytes unsent)"
        if bool(self._out) != self._writing:
            self._writing = bool(self._out)
            selector.modify(sock, _WRITE if self._writing else _READ)
        return None

    def _flush_or_drop(self) -> None:
        lost = self._flush()
        if lost is not None:
            self._drop(lost)

    def _read(self) -> None:
        sock = self._sock
        if sock is None:
            return
        lost = None
        while True:
            try:
                data = sock.recv(_RECV)
            except BlockingIOError:
                break
            except OSError as error:
                lost = f"connection lost: {error}"
                break
            if not data:
                lost = "connection closed by the camera"
                break
            self._buffer += data
            if len(data) < _RECV:
                break
        if self._buffer:
            try:
                used, frames = self._decode(self._buffer)
                del self._buffer[:used]
                self._handle(frames, time.monotonic())
            except ProtocolError as error:
                lost = f"protocol error: {error}"
        if lost is not None:
            self._drop(lost)

    def _drop(self, detail: str | None) -> None:
        """Close the connection and forget what was pending on it; report it unless closing."""
        sock, selector = self._sock, self._selector
        self._sock = self._selector = None
        if selector is not None:
            selector.close()
        if sock is not None:
            sock.close()
        pending = tuple(self._pending)
        for queue in (self._pending, self._replies, self._buffer, self._out):
            queue.clear()
        if detail is None:
            return
        if pending:
            first, last = pending[0], pending[-1]
            which = f"trigger {first}" if first == last else f"triggers {first} to {last}"
            detail = f"{detail}; {which} unanswered"
        self._events.append(CameraStatus(CameraState.DISCONNECTED, detail))

"""Smart-camera clients: one TCP connection to a reader, triggers out, results and status in.

`Camera` is what the line controller drives; `CognexCamera` (DMCC, `cognex`) and
`KeyenceCamera` (SR, `keyence`) implement it, and `make_camera` picks one by `CameraKind`.

Numbering. The client numbers the triggers it sends, 1, 2, 3 …, over its whole life: a
reconnect goes on counting, so a number names one trigger (one pack) for good. Readers do not
number their results, so results answer the unanswered triggers in order. A result that comes
when no trigger waits (a reader wired to its own photo eye) counts as a trigger of its own.

Errors. A camera that refuses a trigger — a Cognex extended response with a status other than
0 (``||[105]``), a Keyence ``ER,LON,nn`` — reads nothing for it, so the client reports two
events, in this order: `CameraStatus(ERROR, trigger=n, code=<the camera's code>)`, then a
no-read `CameraResult` for trigger n. Every trigger sent on a connection that stays up thus gets
exactly one result, unless the camera falls silent. A read string the client cannot parse (a
grade missing while grade output is on) is reported the same way, with `code` None. A refused
TRIGGER OFF / LOFF is an `ERROR` without a trigger. A command response that cannot be matched
to a command (or a response while the client expects none) means the exchange is lost: the
client drops the connection.

Disconnects. When the connection ends (the camera closes it, an error, a protocol error), `poll`
reports `CameraStatus(DISCONNECTED, detail)`; the triggers still unanswered are forgotten — a
pack that was not verified in time is the controller's to reject. `connect()` may be called
again; the camera starts from no trigger pending.

Speed. Each `poll` reads everything that has arrived and decodes it in bulk (one ``split`` of
the buffer, then one parse per line): no loop over bytes. The socket is non-blocking; a trigger
is written at once (TCP_NODELAY), and if the camera does not read, the rest goes out during
`poll`. One thread drives a client.

>>> from jejak.line_adapters.sim.camera import CameraSimulator, Shot
>>> from jejak.engine.symbology import Symbology
>>> scene = lambda n: Shot(b"0108991234567891\\x1d21SN%d" % n, Symbology.GS1_DATAMATRIX)
>>> with CameraSimulator(CameraKind.KEYENCE, scene) as sim:
...     with KeyenceCamera("127.0.0.1", sim.port) as camera:
...         numbers = [camera.trigger(), camera.trigger()]
...         events = []
...         while len(events) < 3:
...             events += camera.poll(5)
>>> numbers, events[0].state, [(e.trigger, e.data) for e in events[1:]]
([1, 2], <CameraState.READY: 'ready'>, [(1, b'0108991234567891\\x1d21SN1'), \
(2, b'0108991234567891\\x1d21SN2')])
"""

from __future__ import annotations

import selectors
import socket
import time
from collections import deque
from collections.abc import Sequence
from enum import IntEnum, StrEnum
from typing import ClassVar, Generic, Protocol, Self, TypeVar, runtime_checkable

from jejak.engine.errors import DeviceFault, InvalidFormat, InvalidQuantity, ProtocolError
from jejak.engine.text import describe
from jejak.line_adapters.camera import cognex, keyence
from jejak.line_adapters.camera.cognex import CognexCommand, DmccReply, DmccStatus
from jejak.line_adapters.camera.keyence import KeyenceCommand, KeyenceReply
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

__all__ = ["Camera", "CognexCamera", "KeyenceCamera", "make_camera"]

_RECV = 1 << 18
_MAX_UNSENT = 1 << 16  # bytes of commands a camera may leave unread before it counts as lost
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE


@runtime_checkable
class Camera(Protocol):
    """A smart camera as the line controller drives it."""

    @property
    def kind(self) -> CameraKind: ...

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...

    def connect(self) -> None:
        """Open the connection; `DeviceFault` with a clear message if it cannot."""
        ...

    def trigger(self) -> int:
        """Start a read (TRIGGER ON / LON); the trigger's number. `DeviceFault` if not sent."""
        ...

    def end(self, trigger: int) -> bool:
        """End the read window of `trigger` (TRIGGER OFF / LOFF) if it is still unanswered;
        whether an OFF was sent."""
        ...

    def release(self) -> None:
        """Send TRIGGER OFF / LOFF whatever is pending (harmless when no read runs)."""
        ...

    def poll(self, timeout: float) -> list[CameraEvent]:
        """Wait up to `timeout` seconds for the first event, then take all that arrived:
        results in trigger order, and status changes where they happened."""
        ...

    def close(self) -> None:
        """Close the connection (no event is reported for it)."""
        ...


R = TypeVar("R", DmccReply, KeyenceReply)


class _Client(Generic[R]):
    """The connection, the numbering and the event list, for both kinds (see the module)."""

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


class CognexCamera(_Client[DmccReply]):
    """A Cognex DataMan over DMCC. `extended_response` says whether the reader is set to
    ``COM.DMCC-RESPONSE 1`` (a response to every command) or 0 (none)."""

    __slots__ = ()
    _kind = CameraKind.COGNEX
    _on = (cognex.TRIGGER_ON, CognexCommand.TRIGGER_ON)
    _off = (cognex.TRIGGER_OFF, CognexCommand.TRIGGER_OFF)

    def __init__(
        self,
        host: str,
        port: int = 23,
        *,
        extended_response: bool = True,
        no_read_string: str = "NoRead",
        grade_output: bool = False,
        grade_separator: str = ",",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(host, port, responses=extended_response, no_read_string=no_read_string,
                         grade_output=grade_output, grade_separator=grade_separator,
                         timeout=timeout)  # fmt: skip

    def _decode(self, buffer: bytearray) -> tuple[int, Sequence[cognex.CognexFrame]]:
        return cognex.decode(buffer, self._format)

    def _replied(self, frame: DmccReply, now: float) -> None:
        command, trigger = self._awaited(frame.encode().decode("ascii", "replace").strip())
        status = frame.status
        if status is DmccStatus.NO_ERROR:
            return
        detail = (
            f"{self._kind.value} camera {self.address} answered {command.value} with status "
            f"{status.value} ({status.name})"
        )
        self._refused(command, trigger, status, detail, now)


class KeyenceCamera(_Client[KeyenceReply]):
    """A Keyence SR. `command_response` False is the "SR-600 compatible" mode: no
    ``OK,LON`` / ``ER,LON,nn`` responses, only the read data."""

    __slots__ = ()
    _kind = CameraKind.KEYENCE
    _on = (keyence.LON, KeyenceCommand.LON)
    _off = (keyence.LOFF, KeyenceCommand.LOFF)

    def __init__(
        self,
        host: str,
        port: int = 9004,
        *,
        command_response: bool = True,
        no_read_string: str = "ERROR",
        grade_output: bool = False,
        grade_separator: str = ",",
        timeout: float = 5.0,
    ) -> None:
        super().__init__(host, port, responses=command_response, no_read_string=no_read_string,
                         grade_output=grade_output, grade_separator=grade_separator,
                         timeout=timeout)  # fmt: skip

    def _decode(self, buffer: bytearray) -> tuple[int, Sequence[keyence.KeyenceFrame]]:
        return keyence.decode(buffer, self._format)

    def _replied(self, frame: KeyenceReply, now: float) -> None:
        line = frame.encode().decode("ascii", "replace").strip()
        command, trigger = self._awaited(line)
        if frame.command != command.value:
            raise ProtocolError(
                f"Invalid command response {line!r} from keyence camera {self.address!r}: "
                f"expected the response to {command.value}. Hint: is another host connected "
                "to the reader?"
            )
        if frame.ok:
            return
        code = frame.code
        name = code.name if code is not None else "a code the client does not list"
        detail = f"keyence camera {self.address} answered {line} ({name})"
        self._refused(command, trigger, code, detail, now)


def make_camera(
    kind: CameraKind,
    host: str,
    port: int | None = None,
    *,
    responses: bool = True,
    no_read_string: str | None = None,
    grade_output: bool = False,
    grade_separator: str = ",",
    timeout: float = 5.0,
) -> Camera:
    """A client for a camera of `kind` (its default port and no-read string unless given).
    `responses`: the reader answers commands (Cognex ``COM.DMCC-RESPONSE 1``; Keyence with
    command responses, not SR-600 compatible)."""
    kind = CameraKind.parse(kind)
    no_read = kind.default_no_read if no_read_string is None else no_read_string
    port = kind.default_port if port is None else port
    if kind is CameraKind.COGNEX:
        return CognexCamera(host, port, extended_response=responses, no_read_string=no_read,
                            grade_output=grade_output, grade_separator=grade_separator,
                            timeout=timeout)  # fmt: skip
    return KeyenceCamera(host, port, command_response=responses, no_read_string=no_read,
                         grade_output=grade_output, grade_separator=grade_separator,
                         timeout=timeout)  # fmt: skip

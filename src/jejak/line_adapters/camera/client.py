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

Read windows. A reader stays in its read cycle after TRIGGER ON / LON until it reads a code
or gets TRIGGER OFF / LOFF (then it sends its no-read string). `end(n)` sends the OFF if
trigger n is still unanswered, `release()` whatever is pending; an OFF when no read runs is
harmless (Cognex ``||[0]`` or nothing, Keyence ``OK,LOFF``). A reader that fell silent and
answers again would answer the oldest unanswered trigger with a newer read: after a silence,
`connect()` again (nothing pending), rather than trust the order.

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

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from jejak.engine.errors import ProtocolError
from jejak.line_adapters.camera import cognex, keyence
from jejak.line_adapters.camera._connection import Connection
from jejak.line_adapters.camera.cognex import CognexCommand, DmccReply, DmccStatus
from jejak.line_adapters.camera.keyence import KeyenceCommand, KeyenceReply
from jejak.line_adapters.camera.result import CameraEvent, CameraKind

__all__ = ["Camera", "CognexCamera", "KeyenceCamera", "make_camera"]


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


class CognexCamera(Connection[DmccReply]):
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


class KeyenceCamera(Connection[KeyenceReply]):
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

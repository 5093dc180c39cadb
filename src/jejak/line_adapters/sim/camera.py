"""A smart-camera simulator: a Cognex DataMan or a Keyence SR on loopback TCP.

`CameraSimulator(kind, scene)` is a `jejak.printers.sim.server.TcpServer` (one host at a time;
a new connection replaces the old one, as a reader's telnet port lets a host reconnect). On
each trigger it counts the trigger (1, 2, … over its whole life, across connections), asks
`scene(n)` what is in front of it — a `Shot`, what the camera decoded: the raw data, the
symbology, a grade — and answers at once in the reader's wire format, byte for byte what
`jejak.line_adapters.camera.cognex` / `keyence` decode:

===================  ========================================  ==============================
command              Cognex (DMCC)                             Keyence (SR)
===================  ========================================  ==============================
trigger on           ``||>TRIGGER ON`` CR LF → ``||[0]`` CR    ``LON`` CR → ``OK,LON`` CR, then
                     LF (extended response only), then the     the read data or ``ERROR``, CR
                     read string or ``NoRead``, CR LF
trigger off          ``||[0]`` (extended only): no read runs   ``OK,LOFF``: no read runs
another command      ``||[101]`` (command invalid)             ``ER,<command>,00`` (undefined)
unavailable          ``||[105]`` (reader unavailable)          ``ER,LON,20`` (not executable)
===================  ========================================  ==============================

A command's ``checksum:command-id`` is echoed in its response. Without responses (Cognex
``COM.DMCC-RESPONSE 0``; Keyence SR-600 compatible) only the read strings go out, and an
unavailable reader says nothing. The camera photographs the pack under it when triggered and
answers with one read string, so a read is never still running when the next command comes.

The read string carries the shot's symbology identifier and raw data (GS bytes as they are);
with `grade_output` the shot's grade after `grade_separator` (a shot the scene did not grade
reads as a clean 4.0); with `no_read_rate` a seeded draw per trigger turns the shot into a
no-read. A scene that raises (or a shot that cannot be sent: data with a line end) gives a
no-read, and the exception is kept in `scene_errors`.

Faults are injected from another thread and take effect before the call returns:
`drop_connection()`, `set_unavailable(on)`, `set_silent(on)` (triggers are counted, nothing
is answered: a hung reader). `triggers` counts triggers received, `answered` lists every line
sent, in order.

>>> from jejak.engine.symbology import Symbology
>>> import socket
>>> scene = lambda n: Shot(b"0108991234567891\\x1d21SN%d" % n, Symbology.GS1_DATAMATRIX)
>>> with CameraSimulator(CameraKind.COGNEX, scene) as sim:
...     with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
...         sock.sendall(b"||>TRIGGER ON\\r\\n||0:9>TRIGGER OFF\\r\\n")
...         _ = sim.wait_until(lambda sim: len(sim.answered) == 3)
>>> sim.triggers, sim.answered
(1, [b'||[0]\\r\\n', b']d20108991234567891\\x1d21SN1\\r\\n', b'||0:9[0]\\r\\n'])
"""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from jejak.engine.errors import InvalidQuantity, ProtocolError
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe
from jejak.line_adapters.camera import cognex, keyence
from jejak.line_adapters.camera.cognex import CognexCommand, DmccCommand, DmccReply, DmccStatus
from jejak.line_adapters.camera.keyence import KeyenceCommand, KeyenceError, KeyenceReply
from jejak.line_adapters.camera.result import (
    CameraKind,
    Grade,
    Malformed,
    ReadString,
    ResultFormat,
)
from jejak.printers.sim.server import Link, TcpServer

__all__ = ["CameraSimulator", "Shot"]

_UNGRADED = Grade.parse(4.0)
_NO_READ = ReadString(None, None, None)
_OK, _OFF = KeyenceReply(KeyenceCommand.LON).encode(), KeyenceReply(KeyenceCommand.LOFF).encode()
_BUSY = KeyenceReply(KeyenceCommand.LON, KeyenceError.NOT_EXECUTABLE).encode()


@dataclass(frozen=True, slots=True)
class Shot:
    """What the camera decoded from the scene at one trigger: the raw data (None: nothing
    could be read), the symbology it saw, and the grade it measured (None: not graded)."""

    data: bytes | None
    symbology: Symbology | None
    grade: Grade | None = None


class _Link(Link):
    """The host connection and the command bytes not yet ended by a line end."""

    __slots__ = ("buffer",)

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self.buffer = bytearray()


class CameraSimulator(TcpServer[_Link]):
    """A smart camera of `kind` that photographs `scene(n)` at trigger n (see the module)."""

    def __init__(
        self,
        kind: CameraKind,
        scene: Callable[[int], Shot],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        no_read_string: str | None = None,
        extended_response: bool = True,
        command_response: bool = True,
        grade_output: bool = False,
        grade_separator: str = ",",
        no_read_rate: float = 0.0,
        seed: int | None = None,
    ) -> None:
        kind = CameraKind.parse(kind)
        if (
            isinstance(no_read_rate, bool)
            or not isinstance(no_read_rate, int | float)
            or not 0 <= no_read_rate <= 1
        ):
            raise InvalidQuantity(
                f"Invalid no-read rate {describe(no_read_rate)}: expected a fraction from 0 to "
                "1. Hint: 0.01 makes one trigger in a hundred a no-read."
            )
        self._format = ResultFormat.parse(
            no_read=kind.default_no_read if no_read_string is None else no_read_string,
            grade_separator=grade_separator if grade_output else None,
        )
        super().__init__(_Link, host, port, name=f"{kind.value}-camera-sim", takeover=True)
        self.kind = kind
        self._scene = scene
        self._responses = extended_response if kind is CameraKind.COGNEX else command_response
        self._rate = float(no_read_rate)
        self._random = random.Random(seed)  # noqa: S311 (a simulated fault rate, not a secret)
        self._silent = self._unavailable = False
        self._triggers = self._no_reads = 0
        self._lock = threading.Lock()
        self._answered: list[bytes] = []
        self.scene_errors: list[Exception] = []

    # Injected faults -----------------------------------------------------------------------

    def drop_connection(self) -> None:
        """Close the host's connection, as a reader that is power-cycled or unplugged."""
        self._call(self._drop)

    def set_unavailable(self, on: bool = True) -> None:
        """Refuse triggers (Cognex status 105, Keyence ``ER,LON,20``) while `on`."""

        def apply() -> None:
            self._unavailable = on

        self._call(apply)

    def set_silent(self, on: bool = True) -> None:
        """Answer nothing at all while `on` (triggers still count): a hung reader."""

        def apply() -> None:
            self._silent = on

        self._call(apply)

    # What happened ---------------------------------------------------------------------------

    @property
    def triggers(self) -> int:
        """Triggers received so far (on every connection, answered or not)."""
        return self._triggers

    @property
    def no_reads(self) -> int:
        """Triggers answered with the no-read string."""
        return self._no_reads

    @property
    def answered(self) -> list[bytes]:
        """Every line sent to the host (line end included), in order."""
        with self._lock:
            return list(self._answered)

    @property
    def result_format(self) -> ResultFormat:
        return self._format

    # The device ------------------------------------------------------------------------------

    def _received(self, link: _Link, data: bytes) -> None:
        link.buffer += data
        try:
            if self.kind is CameraKind.COGNEX:
                used, commands = cognex.decode_commands(link.buffer)
                del link.buffer[:used]
                self._cognex(link, commands)
            else:
                used, lines = keyence.decode_commands(link.buffer)
                del link.buffer[:used]
                self._keyence(link, lines)
        except ProtocolError:  # a host sending junk without line ends: hang up on it
            self._drop()

    def _cognex(self, link: _Link, commands: list[DmccCommand | Malformed]) -> None:
        for command in commands:
            if isinstance(command, Malformed):
                self._respond(link, DmccReply(DmccStatus.COMMAND_INVALID).encode())
                continue
            known = CognexCommand.of(command.text)
            if known is CognexCommand.TRIGGER_ON and self._triggered():
                self._respond(link, self._dmcc(command, DmccStatus.NO_ERROR))
                self._send(link, self._shoot(cognex.encode_result))
            elif known is CognexCommand.TRIGGER_ON:
                if not self._silent:
                    self._respond(link, self._dmcc(command, DmccStatus.READER_UNAVAILABLE))
            elif not self._silent:
                status = DmccStatus.NO_ERROR if known else DmccStatus.COMMAND_INVALID
                self._respond(link, self._dmcc(command, status))

    def _keyence(self, link: _Link, lines: list[bytes]) -> None:
        for line in lines:
            if line == b"LON":
                if self._triggered():
                    self._respond(link, _OK)
                    self._send(link, self._shoot(keyence.encode_result))
                elif not self._silent:
                    self._respond(link, _BUSY)
            elif not self._silent:
                refused = keyence.refusal(line, KeyenceError.UNDEFINED_COMMAND)
                self._respond(link, _OFF if line == b"LOFF" else refused)

    def trigger_input(self) -> None:
        """The reader's hardware trigger input fired (a photo-eye at the camera, wired to it):
        count a trigger, take the picture and send the read string, as in the reader's
        "external trigger" mode; no command, so no command response. Thread-safe and
        non-blocking: the caller (the conveyor's thread) never waits for the decode."""
        self._post(self._trigger_input)

    def _trigger_input(self) -> None:
        link = self._link
        if not self._triggered() or link is None:
            return
        encode = cognex.encode_result if self.kind is CameraKind.COGNEX else keyence.encode_result
        self._send(link, self._shoot(encode))

    def _triggered(self) -> bool:
        """Count a trigger; whether the camera takes a picture for it."""
        self._triggers += 1
        return not (self._silent or self._unavailable)

    @staticmethod
    def _dmcc(command: DmccCommand, status: DmccStatus) -> bytes:
        return DmccReply(status, command.checksum, command.command_id).encode()

    def _respond(self, link: _Link, line: bytes) -> None:
        """Send a command response, if this reader sends them."""
        if self._responses:
            self._send(link, line)

    def _send(self, link: _Link, line: bytes) -> None:
        link.send(line)
        with self._lock:
            self._answered.append(line)

    def _shoot(self, encode: Callable[[ReadString, ResultFormat], bytes]) -> bytes:
        """The read string for the trigger just counted."""
        fmt = self._format
        try:
            shot = self._scene(self._triggers)
            if self._rate and self._random.random() < self._rate:
                shot = Shot(None, None)
            if shot.data is None:
                self._no_reads += 1
                return encode(_NO_READ, fmt)
            grade = _UNGRADED if shot.grade is None else shot.grade  # used with grade output
            return encode(ReadString(shot.data, shot.symbology, grade), fmt)
        except Exception as error:  # the scene's bug must not kill the server thread
            self.scene_errors.append(error)
            self._no_reads += 1
            return encode(_NO_READ, fmt)

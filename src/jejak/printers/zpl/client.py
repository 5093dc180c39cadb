"""The device client for Zebra printers: ZPL over raw TCP (port 9100), a `PrintDevice`.

The client is given the label format it prints, a `jejak.printers.zpl.format.StoredFormat` (for
Jejak's labels `jejak.printers.label.ZplLabelFormat.for_printer(dpi)`: the label template for the
printer's resolution, the very bytes ``jejak label render --format zpl`` writes); ZPL knows no
label layout. `connect` cancels whatever the printer still holds (``~JA``), sends the format's
definition once (``^DF``) and asks for the host status (``~HS``); no answer within `timeout` is
a `DeviceFault`. `send` writes the format's ``^XF`` recalls of many jobs in one TCP write.
`poll` keeps one ``~HS`` in flight while jobs are unconfirmed and turns the answers into events:

- printed = labels sent before the ``~HS`` - formats still in the receive buffer - labels
  remaining of the one printing (printers/README.md, "Print confirmation", explains why this
  never confirms a label too early); the oldest jobs in flight that many are `Printed`, in order;
- paper out, head open, ribbon out, pause become `Status` events (the jobs stay in flight and are
  confirmed when the printer resumes);
- no answer to ``~HS`` within `timeout` is `Status(FAULT)`, then `Status(DISCONNECTED)`: the
  client closes the connection and forgets its jobs, whose outcome nobody can tell;
- a closed connection is `Status(DISCONNECTED)` likewise. `connect` again starts afresh.

>>> from jejak.printers.device import Job, PrintDevice
>>> from jejak.printers.label import ZplLabelFormat
>>> from jejak.printers.sim import ZplSimulator
>>> form = ZplLabelFormat.for_printer(203)
>>> with ZplSimulator() as sim, ZplPrinter("127.0.0.1", sim.port, label_format=form) as printer:
...     printer.send([Job(1, b"0109506000134352"), Job(2, b"0109506000134352")])
...     events = []
...     while len(events) < 2:
...         events += printer.poll(0.5)
...     isinstance(printer, PrintDevice), events
(True, [Printed(job=1), Printed(job=2)])
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from types import TracebackType

from jejak.engine.errors import DeviceFault, InvalidQuantity, ProtocolError, ValidationError
from jejak.engine.text import describe
from jejak.printers.device import (
    DeviceEvent,
    DeviceKind,
    DeviceState,
    Failed,
    Job,
    Printed,
    Status,
)
from jejak.printers.zpl.format import StoredFormat, check_stored_format
from jejak.printers.zpl.host_status import (
    CANCEL_ALL,
    HOST_STATUS,
    HostStatus,
    decode_host_status,
)

__all__ = ["ZplPrinter"]

_RECEIVE = 1 << 16
_SLICE = 0.1  # seconds: the longest the connect wait goes without looking at `stop`


class ZplPrinter:
    """A Zebra printer over raw TCP: stored format, ``^XF`` labels, ``~HS`` confirmation.

    Once `stop` is set (the driver is stopping), `connect` stops waiting for the first ``~HS``
    answer within a tenth of a second (`DeviceFault`)."""

    def __init__(
        self, host: str, port: int = 9100, *, label_format: StoredFormat, timeout: float = 2.0,
        capacity: int = 250, status_interval: float = 0.01, idle_interval: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:  # fmt: skip
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= 999:
            raise InvalidQuantity(
                f"Invalid capacity {describe(capacity)}: expected 1 to 999 labels. Hint: ~HS "
                "counts formats in the buffer with three digits."
            )
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise InvalidQuantity(
                f"Invalid timeout {describe(timeout)}: expected seconds above 0. Hint: 2.0."
            )
        self.host, self.port, self.timeout = host, port, float(timeout)
        self.status_interval, self.idle_interval = status_interval, idle_interval
        self._stop = stop
        self._capacity = capacity
        # The one stored format, as the label's owner wrote it: sent first on every connection.
        self.label_format = check_stored_format(label_format)
        self._format = CANCEL_ALL + label_format.definition.encode("ascii")
        self._recall = label_format.recall
        self._sock: socket.socket | None = None
        self._received = b""
        self._in_flight: deque[int] = deque()
        self._sent = 0  # labels sent on this connection
        self._confirmed = 0  # of which confirmed printed
        self._asked_at: float | None = None  # when the ~HS in flight was sent
        self._snapshot = 0  # labels sent before it
        self._next_ask = 0.0
        self._condition = (DeviceState.READY, "")
        self._events: list[DeviceEvent] = []

    # --- PrintDevice ---------------------------------------------------------------------------

    @property
    def kind(self) -> DeviceKind:
        return DeviceKind.ZPL

    @property
    def capacity(self) -> int:
        return self._capacity

    def connect(self) -> None:
        self._forget()
        self._events = []
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:
            raise DeviceFault(
                f"Cannot connect to the Zebra printer at {self.host}:{self.port}: {error}. "
                "Hint: check the address and that raw TCP printing (port 9100) is on."
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        self._sock = sock
        self._condition = (DeviceState.READY, "")
        try:
            self._write(self._format + HOST_STATUS)
            self._asked_at = time.monotonic()
            deadline = self._asked_at + self.timeout
            while self._asked_at is not None and self._sock is not None:
                left = deadline - time.monotonic()
                if left <= 0 or (self._stop is not None and self._stop.is_set()):
                    break
                self._read(min(left, _SLICE))
        except DeviceFault:
            self._forget()
            self._events = []
            raise
        if self._sock is None:  # closed, or a garbled answer
            details = "; ".join(e.detail for e in self._events if isinstance(e, Status))
            self._events = []
            raise DeviceFault(
                f"Lost the Zebra printer at {self.host}:{self.port} while connecting: {details}. "
                "Hint: is the port a Zebra printer's, and is another host using it?"
            )
        if self._asked_at is not None:
            self._forget()
            self._events = []
            if self._stop is not None and self._stop.is_set():
                raise DeviceFault(
                    f"Stopped waiting for the Zebra printer at {self.host}:{self.port} to answer "
                    "~HS: the driver is stopping. Hint: connect() again to go on."
                )
            raise DeviceFault(
                f"The Zebra printer at {self.host}:{self.port} did not answer ~HS within "
                f"{self.timeout:g} s. Hint: media out, head open or ribbon out (newer firmware "
                "stays silent then), or the port is not a Zebra printer's."
            )

    def free(self) -> int:
        if self._sock is None:
            return 0
        return self._capacity - len(self._in_flight)

    def send(self, jobs: Sequence[Job]) -> None:
        if self._sock is None:
            raise DeviceFault(
                f"Cannot send {len(jobs)} jobs: the Zebra printer at {self.host}:{self.port} is "
                "not connected. Hint: call connect() first."
            )
        if len(jobs) > self.free():
            raise InvalidQuantity(
                f"Invalid send of {len(jobs)} jobs: expected at most free() = {self.free()}. "
                "Hint: the driver asks free() before sending."
            )
        labels: list[str] = []
        accepted: list[int] = []
        recall = self._recall
        for job in jobs:
            try:
                labels.append(recall(job.data.decode("ascii")))
            except (UnicodeDecodeError, ValidationError) as error:
                self._events.append(Failed(job.job, f"not printable as a ZPL label: {error}", True))
                continue
            accepted.append(job.job)
        if not labels:
            return
        data = "".join(labels).encode("ascii")
        self._in_flight.extend(accepted)
        self._sent += len(accepted)
        ask = self._asked_at is None  # else the answer in flight asks again at once
        self._write(data + HOST_STATUS if ask else data)
        if ask:
            self._asked_at, self._snapshot = time.monotonic(), self._sent

    def poll(self, timeout: float) -> list[DeviceEvent]:
        deadline = time.monotonic() + timeout
        while self._sock is not None:
            now = time.monotonic()
            if self._asked_at is None and now >= self._next_ask:
                try:
                    self._write(HOST_STATUS)
                except DeviceFault:
                    break
                self._asked_at, self._snapshot = now, self._sent
            if self._asked_at is not None and now - self._asked_at > self.timeout:
                self._events.append(Status(DeviceState.FAULT, (
                    f"no answer to ~HS within {self.timeout:g} s: media out, head open or "
                    "printer hung")))  # fmt: skip
                self._lose("closed after the ~HS timeout; jobs in flight are unknown")
                break
            until = min(deadline, self._next_ask if self._asked_at is None else self._asked_at
                        + self.timeout)  # fmt: skip
            if self._events:
                until = now
            self._read(max(0.0, until - now))
            if self._events or time.monotonic() >= deadline:
                break
        events, self._events = self._events, []
        if not events and self._sock is None and timeout > 0:
            time.sleep(timeout)
        return events

    def close(self) -> None:
        self._forget()

    def __enter__(self) -> ZplPrinter:
        self.connect()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    # --- the wire ------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        assert self._sock is not None  # noqa: S101 - callers check the connection
        try:
            self._sock.sendall(data)
        except OSError as error:
            self._lose(f"write failed: {error}")
            raise DeviceFault(
                f"Lost the Zebra printer at {self.host}:{self.port} while writing: {error}. "
                "Hint: the jobs in flight are unknown; connect() again."
            ) from None

    def _read(self, wait: float) -> bool:
        """Read what the printer sent within `wait` seconds; False if nothing came."""
        sock = self._sock
        assert sock is not None  # noqa: S101 - callers check the connection
        ready, _, _ = select.select([sock], [], [], wait)
        if not ready:
            return False
        try:
            data = sock.recv(_RECEIVE)
        except OSError as error:
            self._lose(f"connection lost: {error}")
            return True
        if not data:
            self._lose("connection closed by the printer")
            return True
        self._received += data
        while self._sock is not None:
            try:
                used, status = decode_host_status(self._received)
            except ProtocolError as error:
                self._events.append(Status(DeviceState.FAULT, str(error)))
                self._lose("closed after a garbled ~HS answer")
                break
            if status is None:
                break
            self._received = self._received[used:]
            self._answer(status)
        return True

    def _answer(self, status: HostStatus) -> None:
        """One ~HS answer: confirm what it proves printed, report a change of condition."""
        if self._asked_at is None:  # more answers than questions: not our printer's doing
            self._events.append(Status(DeviceState.WARNING, "unrequested ~HS answer ignored"))
            return
        now = time.monotonic()
        self._asked_at = None
        # The ^DF format went first: formats done = (labels + 1) - waiting - printing.
        done = self._snapshot + 1 - status.formats_in_buffer - status.labels_remaining
        printed = min(max(done - 1, self._confirmed), self._sent)
        fresh = printed - self._confirmed
        if fresh:
            self._confirmed = printed
            pop = self._in_flight.popleft
            self._events.extend(Printed(pop()) for _ in range(fresh))
        condition = status.condition()
        if condition != self._condition:
            self._condition = condition
            self._events.append(Status(*condition))
        if not self._in_flight:
            self._next_ask = now + self.idle_interval
        elif fresh or self._sent > self._snapshot:
            self._next_ask = now
        else:
            self._next_ask = now + self.status_interval

    def _lose(self, detail: str) -> None:
        self._forget()
        self._events.append(Status(DeviceState.DISCONNECTED, detail))

    def _forget(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._received = b""
        self._in_flight.clear()
        self._sent = self._confirmed = self._snapshot = 0
        self._asked_at = None
        self._next_ask = 0.0

"""A `PrintDevice` for serialization coders: the `coder` dialect over one TCP connection.

The client numbers the records it pushes (1, 2, ... wrapping after `MAX_SEQ`) and keeps the map
from record number to job id for the records it has in the coder. Jobs are pushed many records
per TCP write; every ``recv`` is decoded at once, however many replies and notifications it
holds. The socket is non-blocking: while a long push is written, the replies that come back
meanwhile are read, so neither side can stall the other.

>>> from jejak.printers.sim.coder import CoderSimulator
>>> with CoderSimulator(capacity=100) as sim, CoderClient("127.0.0.1", sim.port) as coder:
...     before = coder.capacity, coder.free()
...     coder.send([Job(7, b"0108991234567891\\x1d21AB"), Job(8, b"0108991234567891\\x1d21CD")])
...     events = []
...     for _ in range(100):
...         events += coder.poll(0.05)
...         if len(events) == 2:
...             break
>>> before, events
((100, 100), [Printed(job=7), Printed(job=8)])
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from jejak.engine.errors import DeviceFault, InvalidCombination, InvalidQuantity, ProtocolError
from jejak.engine.text import describe
from jejak.printers.coder._frames import (
    MAX_SEQ,
    Ack,
    Change,
    ClearBuffer,
    Condition,
    ConditionReport,
    DefineHeader,
    DeviceFrame,
    Err,
    HostFrame,
    PrintComplete,
    QueryFree,
    QueryLastPrinted,
    QueryStatus,
    SelectJob,
    Skipped,
    encode_push,
    escape,
)
from jejak.printers.coder._lines import ReplyDecoder
from jejak.printers.coder.codec import StatusReport, parse_count
from jejak.printers.device import (
    DeviceEvent,
    DeviceKind,
    DeviceState,
    Failed,
    Job,
    Printed,
    Status,
)

__all__ = ["CoderClient"]

_RECV = 1 << 18
_SLICE = 0.1  # seconds: the longest a wait for the coder goes without looking at `stop`
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_READ | selectors.EVENT_WRITE


class _Waiter:
    """A command other than a push, waiting for its reply; a clear knows what it drops."""

    __slots__ = ("clears", "command", "reply")

    def __init__(self, command: bytes, clears: list[int] | None = None) -> None:
        self.command, self.clears = command, clears
        self.reply: Ack | Err | None = None


class CoderClient:
    """Drives one coder: select `job`, define the record header `fields`, push, listen.

    `render` turns a job's payload into one value per field (default: the payload as the one
    field). `capacity` caps the records kept in the coder below its own buffer size. Once
    `stop` is set (the driver is stopping), a wait for a reply or for room to write ends
    within a tenth of a second with `DeviceFault`, the connection dropped.
    """

    __slots__ = (
        "_capacity",
        "_conditions",
        "_decoder",
        "_events",
        "_header",
        "_host",
        "_inflight",
        "_job",
        "_limit",
        "_lost",
        "_pending",
        "_port",
        "_render",
        "_selector",
        "_seq",
        "_sock",
        "_stop",
        "_timeout",
    )

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = 5.0,
        job: str = "JEJAK",
        fields: Sequence[str] = ("GS1",),
        render: Callable[[bytes], Sequence[bytes]] | None = None,
        capacity: int | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise InvalidQuantity(
                f"Invalid coder timeout {describe(timeout)}: expected seconds > 0. "
                "Hint: a coder on the line network answers within milliseconds; 5 s is ample."
            )
        if capacity is not None and (
            isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1
        ):
            raise InvalidQuantity(
                f"Invalid coder capacity {describe(capacity)}: expected a positive integer or "
                "None. Hint: None uses the whole buffer the coder reports."
            )
        self._job = SelectJob.parse(job)
        self._header = DefineHeader.parse(tuple(fields))
        if render is None and len(self._header.fields) != 1:
            raise InvalidCombination(
                f"Invalid record header {self._header.fields!r} without render: expected one "
                "field, or a render function giving one value per field. Hint: e.g. "
                "render=lambda data: (data, hri_of(data))."
            )
        self._host, self._port, self._timeout = host, port, float(timeout)
        self._render, self._limit = render, capacity
        self._stop = stop
        self._capacity = capacity or 0
        self._sock: socket.socket | None = None
        self._selector: selectors.BaseSelector | None = None
        self._decoder = ReplyDecoder()
        self._inflight: dict[int, int] = {}  # record number -> job id, in push order
        self._pending: deque[int | _Waiter] = deque()  # replies due, in command order
        self._events: list[DeviceEvent] = []
        self._conditions: dict[Condition, str] = {}
        self._seq = 0
        self._lost = "never connected"

    @property
    def kind(self) -> DeviceKind:
        return DeviceKind.CODER

    @property
    def capacity(self) -> int:
        """Records the client may keep in the coder: known once connected (0 before)."""
        return self._capacity

    @property
    def connected(self) -> bool:
        return self._sock is not None

    @property
    def address(self) -> str:
        return f"{self._host}:{self._port}"

    def __enter__(self) -> CoderClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # PrintDevice -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect, clear the coder buffer, select the job, define the header, read free space."""
        self.close()
        self._events.clear()
        try:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        except OSError as error:
            raise DeviceFault(
                f"Cannot connect to coder {self.address!r}: {error}. Hint: check that the coder "
                "is on, reachable, and listening for remote control on that port."
            ) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        self._sock, self._selector = sock, selectors.DefaultSelector()
        self._selector.register(sock, _READ)
        self._decoder.reset()
        self._seq = 0
        try:
            commands = (ClearBuffer(), self._job, self._header, QueryFree(), QueryStatus())
            _, _, _, free, status = self._ask(commands)
            space = parse_count(free)
            report = StatusReport.from_ack(status)
        except (DeviceFault, ProtocolError) as error:
            self.close()
            self._events.clear()
            raise DeviceFault(
                f"Cannot set up coder {self.address!r}: {error}"
                + ("" if "Hint:" in str(error) else " Hint: check the coder's job and settings.")
            ) from None
        if space < 1:
            self.close()
            raise DeviceFault(
                f"Coder {self.address!r} reports {space} free records after a clear: expected "
                "at least 1. Hint: check the coder's record buffer settings."
            )
        self._capacity = min(space, self._limit or space)
        if report.condition is not None:
            self._conditions[report.condition] = report.text
        if report.state is not DeviceState.READY:
            self._events.append(self._status(report.text))

    def free(self) -> int:
        return self._capacity - len(self._inflight) if self._sock is not None else 0

    def send(self, jobs: Sequence[Job]) -> None:
        """Push `jobs` as records, in one write; DeviceFault if the connection is lost."""
        if self._sock is None:
            raise DeviceFault(
                f"Cannot send {len(jobs)} jobs to coder {self.address!r}: not connected. "
                "Hint: call connect() first; after a drop the device starts from an empty buffer."
            )
        room = self.free()
        if len(jobs) > room:
            raise InvalidQuantity(
                f"Invalid send of {len(jobs)} jobs to coder {self.address!r}: expected at most "
                f"free() = {room}. Hint: never send more than free() allows."
            )
        seq, render = self._seq, self._render
        seqs: list[int] = []
        lines: list[bytes] = []
        for job in jobs:  # nothing changes until every record is encoded
            seq = seq + 1 if seq < MAX_SEQ else 1
            if render is None:
                lines.append(b"PSH %d|%s\r" % (seq, escape(job.data)))
            else:
                lines.append(encode_push(seq, self._values(job, render)))
            seqs.append(seq)
        self._seq = seq
        self._inflight.update(zip(seqs, [job.job for job in jobs], strict=True))
        self._pending.extend(seqs)
        self._write(b"".join(lines), f"{len(jobs)} records")

    def poll(self, timeout: float) -> list[DeviceEvent]:
        """What the coder reported: waits up to `timeout` for the first event, then drains."""
        if self._sock is not None and self._selector is not None:
            deadline = time.monotonic() + timeout
            wait = 0.0 if self._events else timeout
            while True:
                if self._selector.select(wait):
                    self._read()
                wait = deadline - time.monotonic()
                if self._events or self._sock is None or wait <= 0:
                    break
        elif not self._events and timeout > 0:
            time.sleep(timeout)  # not connected: nothing can come
        events, self._events = self._events, []
        return events

    def close(self) -> None:
        """Close the connection; records still in the coder are the driver's to report."""
        if self._sock is not None:
            self._drop(None)

    # Extra commands ----------------------------------------------------------------------------

    def clear(self) -> None:
        """End of batch: drop the records not yet printed; each is reported `Failed(known=True)`."""
        if self._sock is None:
            return
        self._pending.append(_Waiter(ClearBuffer().encode(), list(self._inflight)))
        self._write(ClearBuffer().encode(), "CLR")

    def last_printed(self) -> int:
        """The number of the last record the coder printed (0: none since it started)."""
        return parse_count(self._ask([QueryLastPrinted()])[0])

    def query_free(self) -> int:
        """The coder's own count of free records (the client's `free()` needs no round trip)."""
        return parse_count(self._ask([QueryFree()])[0])

    def query_status(self) -> StatusReport:
        return StatusReport.from_ack(self._ask([QueryStatus()])[0])

    # Plumbing --------------------------------------------------------------------------------

    def _values(self, job: Job, render: Callable[[bytes], Sequence[bytes]]) -> Sequence[bytes]:
        values = render(job.data)
        if len(values) != len(self._header.fields):
            raise InvalidCombination(
                f"Invalid record {describe(values)} for job {job.job}: expected "
                f"{len(self._header.fields)} values for header {self._header.fields!r}. "
                "Hint: render must give one value per header field."
            )
        return values

    def _ask(self, commands: Sequence[HostFrame]) -> list[Ack]:
        """Send commands in one write and wait for their replies; DeviceFault on ERR."""
        if self._sock is None:
            raise DeviceFault(
                f"Cannot query coder {self.address!r}: not connected. Hint: call connect()."
            )
        waiters = [_Waiter(command.encode()) for command in commands]
        self._pending.extend(waiters)
        self._write(b"".join(w.command for w in waiters), "commands")
        deadline = time.monotonic() + self._timeout
        replies: list[Ack] = []
        for waiter in waiters:
            while waiter.reply is None:
                wait = deadline - time.monotonic()
                if self._sock is None or self._selector is None:
                    raise DeviceFault(
                        f"Lost coder {self.address!r} while waiting for the reply to "
                        f"{waiter.command!r}: {self._lost}. Hint: connect() again."
                    )
                if wait <= 0:
                    self._timed_out()
                self._check_stop(waiter.command.decode("ascii", "replace").strip())
                if self._selector.select(min(wait, _SLICE)):
                    self._read()
            if isinstance(waiter.reply, Err):
                raise DeviceFault(
                    f"Coder {self.address!r} refused {waiter.command!r}: ERR "
                    f"{waiter.reply.code.value} {waiter.reply.text} ({waiter.reply.code.name}). "
                    "Hint: check the job name and header against the coder's job list."
                )
            replies.append(waiter.reply)
        return replies

    def _write(self, data: bytes, what: str) -> None:
        sock, selector = self._sock, self._selector
        if sock is None or selector is None:
            raise DeviceFault(f"Cannot send {what} to coder {self.address!r}: not connected.")
        view, sent = memoryview(data), 0
        deadline = time.monotonic() + self._timeout
        while sent < len(data):
            try:
                sent += sock.send(view[sent:])
                deadline = time.monotonic() + self._timeout
                continue
            except BlockingIOError:
                pass
            except OSError as error:
                self._drop(f"connection lost: {error}")
                raise DeviceFault(
                    f"Lost coder {self.address!r} while sending {what}: {error}. Hint: jobs in "
                    "flight are unknown outcomes; connect() again to go on."
                ) from None
            # The coder's receive window is full: read its replies while waiting for room.
            wait = deadline - time.monotonic()
            if wait <= 0:
                self._timed_out()
            self._check_stop(what)
            selector.modify(sock, _WRITE)
            ready = selector.select(min(wait, _SLICE))
            if self._sock is not None:
                selector.modify(sock, _READ)
            if any(mask & selectors.EVENT_READ for _, mask in ready):
                self._read()
            if self._sock is None:
                raise DeviceFault(
                    f"Lost coder {self.address!r} while sending {what}: {self._lost}. Hint: "
                    "jobs in flight are unknown outcomes; connect() again to go on."
                )

    def _check_stop(self, what: str) -> None:
        if self._stop is not None and self._stop.is_set():
            self._drop("the driver is stopping")
            raise DeviceFault(
                f"Stopped waiting for coder {self.address!r} ({what}): the driver is stopping. "
                "Hint: jobs in flight are unknown outcomes."
            )

    def _timed_out(self) -> None:
        self._drop(f"no answer for {self._timeout:g} s")
        raise DeviceFault(
            f"Coder {self.address!r} stopped answering: nothing moved for {self._timeout:g} s. "
            "Hint: check the network and the coder; jobs in flight are unknown outcomes."
        )

    def _read(self) -> None:
        """Read what has arrived without blocking, and turn it into events."""
        sock = self._sock
        if sock is None:
            return
        chunks: list[bytes] = []
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
                lost = "connection closed by the coder"
                break
            chunks.append(data)
            if len(data) < _RECV:
                break
        frames: list[DeviceFrame] = []
        try:
            try:
                self._decoder.feed(b"".join(chunks), frames)
            finally:
                self._handle(frames)
        except ProtocolError as error:
            lost = f"protocol error: {error}"
        if lost is not None:
            self._drop(lost)

    def _handle(self, frames: list[DeviceFrame]) -> None:
        pending, inflight, events = self._pending, self._inflight, self._events
        for frame in frames:
            if isinstance(frame, Ack | Err):
                if not pending:
                    raise ProtocolError(
                        f"Invalid reply {frame.encode()!r} from coder {self.address!r}: no "
                        "command was waiting for one. Hint: is another host connected to it?"
                    )
                entry = pending.popleft()
                if isinstance(entry, _Waiter):
                    self._answer(entry, frame)
                elif isinstance(frame, Err):
                    job = inflight.pop(entry, None)
                    if job is not None:
                        reason = f"refused by the coder: ERR {frame.code.value} {frame.text}"
                        events.append(Failed(job, reason, True))
            elif isinstance(frame, PrintComplete):
                for seq in range(frame.first, frame.last + 1):
                    events.append(Printed(self._settle(seq, frame)))
            elif isinstance(frame, Skipped):
                reason = f"skipped by the coder: {frame.reason}"
                events.append(Failed(self._settle(frame.seq, frame), reason, True))
            elif isinstance(frame, ConditionReport):
                if frame.change is Change.CLEARED:
                    self._conditions.pop(frame.code, None)
                else:
                    self._conditions[frame.code] = frame.text
                events.append(self._status(frame.text))

    def _answer(self, waiter: _Waiter, reply: Ack | Err) -> None:
        waiter.reply = reply
        if waiter.clears is not None and isinstance(reply, Ack):
            for seq in waiter.clears:
                job = self._inflight.pop(seq, None)
                if job is not None:
                    self._events.append(Failed(job, "cleared from the coder buffer", True))

    def _settle(self, seq: int, frame: DeviceFrame) -> int:
        job = self._inflight.pop(seq, None)
        if job is None:
            raise ProtocolError(
                f"Invalid report {frame.encode()!r} from coder {self.address!r}: record {seq} "
                "is not in flight. Hint: is another host pushing records to this coder?"
            )
        return job

    def _status(self, text: str) -> Status:
        if not self._conditions:
            return Status(DeviceState.READY, text)
        worst = max(self._conditions)
        state = DeviceState.FAULT if worst >= 20 else DeviceState.WARNING
        return Status(state, f"{self._conditions[worst]} (condition {worst.value})")

    def _drop(self, detail: str | None) -> None:
        """Close the connection and forget the records in the coder; report it unless closing."""
        sock, selector = self._sock, self._selector
        self._sock = self._selector = None
        if selector is not None:
            selector.close()
        if sock is not None:
            sock.close()
        self._inflight.clear()
        self._pending.clear()
        self._conditions.clear()
        self._lost = detail or "closed"
        if detail is not None:
            self._events.append(Status(DeviceState.DISCONNECTED, detail))

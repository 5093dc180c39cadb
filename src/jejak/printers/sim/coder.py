"""A serialization coder on loopback TCP that speaks the `coder` dialect, for tests and benchmarks.

It is a `jejak.printers.sim.server.TcpServer` with takeover: one host at a time, and a new
connection replaces the old one (whose buffer is lost). It answers every command, holds pushed
records in a finite buffer and prints them at `rate` records per second (None or 0: as fast as
it can), or, `triggered`, one record per `print_go()` (the product-detect signal wired to a
real coder; `rate` is then ignored), which returns the `Imprint` put on the pack. Faults are
injected from the test thread and take effect, in order, before the call returns. Everything
printed is recorded, in order, so tests can prove that no code was printed twice or lost; with
`record` (a path) the first field of each record printed (the code) also goes to that file as
it prints, one a line (`_record.PrintRecord`), for checks from outside. Misprints and double
prints (`_record.PackFaults`) change what goes on the pack, not what the coder confirms.

>>> import socket
>>> with CoderSimulator(capacity=10) as sim:
...     with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as link:
...         link.sendall(b"SEL LINE1\\rHDR GS1\\rPSH 1|0108991234567891~1D21A\\r")
...         reply = b""
...         while reply.count(b"\\r") < 4:
...             reply += link.recv(1024)
...     printed = sim.printed
>>> reply
b'ACK\\rACK\\rACK\\r#PRN 1\\r'
>>> printed
[b'0108991234567891\\x1d21A']
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Collection
from pathlib import Path

from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe
from jejak.printers.coder import (
    MAX_SEQ,
    Ack,
    BadLine,
    Change,
    ClearBuffer,
    CommandDecoder,
    Condition,
    ConditionReport,
    DefineHeader,
    DeviceFrame,
    Err,
    ErrorCode,
    HostFrame,
    PrintComplete,
    PushRecord,
    QueryFree,
    QueryLastPrinted,
    QueryStatus,
    SelectJob,
    Skipped,
    StatusReport,
)
from jejak.printers.device import DeviceState
from jejak.printers.sim._record import PackFaults
from jejak.printers.sim.imprint import Imprint
from jejak.printers.sim.server import Link, TcpServer

__all__ = ["CoderSimulator"]

_ACK = b"ACK\r"
_HALF = 1 << 31
_ERROR_TEXT = {
    ErrorCode.UNKNOWN_COMMAND: "unknown command",
    ErrorCode.BAD_ARGUMENT: "bad argument",
    ErrorCode.BUFFER_FULL: "buffer full",
    ErrorCode.SEQUENCE: "record number not after the previous push",
    ErrorCode.NO_JOB: "no job selected",
    ErrorCode.UNKNOWN_JOB: "unknown job",
    ErrorCode.NO_HEADER: "no record header defined",
    ErrorCode.BUSY: "records still buffered",
}
_ERR = {code: Err(code, text).encode() for code, text in _ERROR_TEXT.items()}


class _Link(Link):
    """The one host connection and what belongs to it: the record buffer is lost with it."""

    __slots__ = ("decoder", "header", "job", "last_seq", "records")

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self.decoder = CommandDecoder()
        self.job: str | None = None
        self.header: tuple[str, ...] | None = None
        self.last_seq = 0
        self.records: deque[PushRecord] = deque()


class CoderSimulator(TcpServer[_Link]):
    """A coder with a `capacity`-record buffer printing `rate` records per second, or one
    record per `print_go()` when `triggered`."""

    def __init__(
        self,
        *,
        capacity: int = 1000,
        rate: float | None = None,
        jobs: Collection[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_printed: bool = True,
        record: str | Path | None = None,
        triggered: bool = False,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise InvalidQuantity(
                f"Invalid coder capacity {describe(capacity)}: expected a positive integer. "
                "Hint: coders buffer a few hundred to a few thousand records."
            )
        if rate is not None and (isinstance(rate, bool) or not rate >= 0):
            raise InvalidQuantity(
                f"Invalid print rate {describe(rate)}: expected prints per second >= 0, or "
                "None. Hint: 0 or None prints as fast as possible."
            )
        super().__init__(_Link, host, port, name="coder-sim", takeover=True, record=record)
        self.capacity = capacity
        self.triggered = triggered
        self._interval = 1.0 / rate if rate else None
        self._jobs = frozenset(jobs) if jobs is not None else None
        self._keep = keep_printed
        self._lock = threading.Lock()
        # Device state, touched by the server thread only (or before start).
        self._conditions: dict[Condition, str] = {}
        self._skip, self._skip_reason, self._refuse = 0, "", 0
        self._next_print: float | None = None
        self._last_printed = 0
        self._faults = PackFaults[tuple[bytes, ...]]()
        # What happened, read by tests through the properties below.
        self._printed: list[tuple[bytes, ...]] = []
        self._skipped: list[tuple[bytes, ...]] = []
        self._printed_count = self._lost = self._cleared = 0

    # Injected faults: each takes effect in the server thread before the call returns -------

    def raise_condition(self, condition: Condition, text: str) -> None:
        """Raise a warning (1x) or a fault (2x, printing stops) and notify the host."""

        def apply() -> None:
            self._conditions[condition] = text
            change = Change.FAULT if condition >= 20 else Change.WARNING
            self._notify(ConditionReport(change, condition, text))

        self._call(apply)

    def clear_condition(self, condition: Condition, text: str = "cleared") -> None:
        """End a warning or fault (if active) and notify the host; printing resumes."""

        def apply() -> None:
            if self._conditions.pop(condition, None) is not None:
                self._notify(ConditionReport(Change.CLEARED, condition, text))

        self._call(apply)

    def run_out_of_ink(self) -> None:
        self.raise_condition(Condition.INK_OUT, "out of ink")

    def warn_ink_low(self) -> None:
        self.raise_condition(Condition.INK_LOW, "ink low")

    def refill_ink(self) -> None:
        self.clear_condition(Condition.INK_OUT, "ink refilled")
        self.clear_condition(Condition.INK_LOW, "ink refilled")

    def drop_connection(self) -> None:
        """Drop the host's TCP connection; the records in the buffer are lost, never printed."""
        self._call(self._drop)

    def skip_next(self, count: int = 1, reason: str = "no product at the print head") -> None:
        """The next `count` records to print are skipped and reported with ``#SKP``."""

        def apply() -> None:
            self._skip, self._skip_reason = self._skip + count, reason

        self._call(apply)

    def refuse_next(self, count: int = 1) -> None:
        """The next `count` pushes find the buffer full (``ERR 3``), whatever ``QFR`` said."""

        def apply() -> None:
            self._refuse += count

        self._call(apply)

    def misprint_next(self, count: int = 1) -> None:
        """The next `count` records print damaged (smeared): still confirmed with ``#PRN``."""
        self._call(lambda: self._faults.misprint(count))

    def double_print_next(self, count: int = 1) -> None:
        """The next `count` prints put the previous print on the pack again, while the coder
        consumes the next record and confirms it with ``#PRN``: `printed` (and the record
        file) shows the previous code a second time, `unprinted` the record consumed."""
        self._call(lambda: self._faults.double(count))

    # Print-go -------------------------------------------------------------------------------

    def print_go(self, timeout: float = 5.0) -> Imprint | None:
        """The product-detect signal (triggered mode; any thread): print the next buffered
        record and return what went on the pack, or None if nothing did (no host, an empty
        buffer, a fault, or the record skipped). `TimeoutError` if the server thread has not
        taken the signal up within `timeout` seconds (the signal is then withdrawn)."""
        return self._call(self._print_go, timeout)

    def _print_go(self) -> Imprint | None:
        link = self._link
        if link is None or not link.records or self._faulted():
            return None
        return self._print(link, 1)

    # What happened ---------------------------------------------------------------------------

    @property
    def printed(self) -> list[bytes]:
        """The first field of every record printed, in print order (the code)."""
        with self._lock:
            return [record[0] for record in self._printed]

    @property
    def printed_records(self) -> list[tuple[bytes, ...]]:
        with self._lock:
            return list(self._printed)

    @property
    def skipped(self) -> list[bytes]:
        with self._lock:
            return [record[0] for record in self._skipped]

    @property
    def unprinted(self) -> list[bytes]:
        """The code of each record consumed and confirmed printed that never went on a pack
        (a double print put the previous code there instead), in order."""
        return self._call(lambda: [record[0] for record in self._faults.unprinted])

    @property
    def misprinted(self) -> list[bytes]:
        """The code of each record printed damaged, in order."""
        return self._call(lambda: [record[0] for record in self._faults.misprinted])

    @property
    def printed_count(self) -> int:
        return self._printed_count

    @property
    def buffered(self) -> int:
        link = self._link
        return len(link.records) if link is not None else 0

    @property
    def lost(self) -> int:
        """Records that were in the buffer when a connection dropped."""
        return self._lost

    @property
    def cleared(self) -> int:
        """Records dropped unprinted by ``CLR``."""
        return self._cleared

    # The device: hooks of the TCP server ----------------------------------------------------

    def _closed(self, link: _Link) -> None:
        self._lost += len(link.records)
        self._next_print = None

    def _tick(self) -> float | None:
        if self.triggered:
            return None
        self._print_due()
        if self._next_print is None:
            return None
        return max(0.0, self._next_print - time.monotonic())

    def _received(self, link: _Link, data: bytes) -> None:
        frames: list[HostFrame] = []
        while True:
            try:
                link.decoder.feed(data, frames)
                error = None
            except BadLine as bad:
                error = bad
            self._handle(link, frames)
            if error is None:
                return
            link.out += _ERR[error.code]
            frames.clear()
            data = b""

    def _handle(self, link: _Link, frames: list[HostFrame]) -> None:
        out, records, capacity = link.out, link.records, self.capacity
        for frame in frames:
            if type(frame) is not PushRecord:
                out += self._command(link, frame)
            elif link.header is None:
                out += _ERR[ErrorCode.NO_HEADER if link.job else ErrorCode.NO_JOB]
            elif len(frame.fields) != len(link.header):
                out += _ERR[ErrorCode.BAD_ARGUMENT]
            elif link.last_seq and not 0 < (frame.seq - link.last_seq) % (MAX_SEQ + 1) < _HALF:
                out += _ERR[ErrorCode.SEQUENCE]
            elif self._refuse or len(records) >= capacity:
                self._refuse = max(0, self._refuse - 1)
                out += _ERR[ErrorCode.BUFFER_FULL]
            else:
                records.append(frame)
                link.last_seq = frame.seq
                out += _ACK

    def _command(self, link: _Link, frame: HostFrame) -> bytes:
        if isinstance(frame, SelectJob):
            if link.records:
                return _ERR[ErrorCode.BUSY]
            if self._jobs is not None and frame.name not in self._jobs:
                return _ERR[ErrorCode.UNKNOWN_JOB]
            link.job, link.header = frame.name, None
        elif isinstance(frame, DefineHeader):
            if link.job is None:
                return _ERR[ErrorCode.NO_JOB]
            if link.records:
                return _ERR[ErrorCode.BUSY]
            link.header = frame.fields
        elif isinstance(frame, QueryFree):
            return Ack(str(self.capacity - len(link.records))).encode()
        elif isinstance(frame, QueryLastPrinted):
            return Ack(str(self._last_printed)).encode()
        elif isinstance(frame, ClearBuffer):
            self._cleared += len(link.records)
            link.records.clear()
        elif isinstance(frame, QueryStatus):
            return self._status().to_ack().encode()
        return _ACK

    def _status(self) -> StatusReport:
        if not self._conditions:
            return StatusReport(DeviceState.READY)
        worst = max(self._conditions)
        state = DeviceState.FAULT if worst >= 20 else DeviceState.WARNING
        return StatusReport(state, worst, self._conditions[worst])

    def _notify(self, frame: DeviceFrame) -> None:
        if self._link is not None:  # with no host connected, only QST tells
            self._link.send(frame.encode())

    def _faulted(self) -> bool:
        return any(condition >= 20 for condition in self._conditions)

    def _print_due(self) -> None:
        link = self._link
        if link is None or not link.records or self._faulted():
            self._next_print = None
            return
        if self._interval is None:
            self._print(link, len(link.records))
            return
        now = time.monotonic()
        if self._next_print is None:
            self._next_print = now + self._interval
            return
        if now < self._next_print:
            return
        count = min(len(link.records), 1 + int((now - self._next_print) / self._interval))
        self._next_print += count * self._interval
        self._print(link, count)

    def _print(self, link: _Link, count: int) -> Imprint | None:
        """Print `count` records; what went on the pack of the last one (None: skipped)."""
        records, out, put = link.records, link.out, self._faults.put
        printed: list[tuple[bytes, ...]] = []
        skipped: list[tuple[bytes, ...]] = []
        first = last = 0
        damaged = skipped_last = False
        for _ in range(count):
            record = records.popleft()
            seq = record.seq
            skipped_last = bool(self._skip)
            if skipped_last:
                self._skip -= 1
                if first:
                    out += PrintComplete(first, last).encode()
                    first = 0
                out += Skipped(seq, self._skip_reason).encode()
                skipped.append(record.fields)
                continue
            if first and seq == last + 1:
                last = seq
            else:
                if first:
                    out += PrintComplete(first, last).encode()
                first = last = seq
            self._last_printed = seq
            fields, damaged = put(record.fields)
            printed.append(fields)
        if first:
            out += PrintComplete(first, last).encode()
        if self.recording:
            self._recorded([fields[0] for fields in printed])
        with self._lock:
            self._printed_count += len(printed)
            if self._keep:
                self._printed += printed
            self._skipped += skipped
        return None if skipped_last or not printed else Imprint(printed[-1][0], damaged)

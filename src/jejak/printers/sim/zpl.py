"""A simulated Zebra printer: ZPL over a real loopback TCP socket, for tests and demos.

`ZplSimulator` listens like a printer's raw port 9100 (one connection at a time), reads the
stream with `zpl_interpreter.Interpreter`, keeps stored formats, "prints" each recalled label
at `rate` labels per second (None: at once) and answers ``~HS`` truthfully: formats waiting in
its buffer, labels remaining of the one printing, and the flags. Faults can be injected: media
out, head open and pause (printing stops, flags set), a dropped connection (the buffer is
lost), and silence (``~HS`` gets no answer, as newer firmware does in a media-out state).
Printed labels are kept in order (`keep=False` keeps counts only: for long runs and benchmarks),
and `render` draws one so a camera can read real pixels.

>>> import socket
>>> from jejak.printers.zpl import recall_label, stored_format
>>> with ZplSimulator() as sim, socket.create_connection(("127.0.0.1", sim.port)) as link:
...     link.sendall(stored_format(dpi=203).encode() + recall_label("0109506000134352").encode())
...     sim.wait_until(lambda s: s.printed_count == 1)
...     sim.codes()
True
[b'0109506000134352']
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from jejak.engine._text import describe
from jejak.engine.errors import InvalidQuantity, ProtocolError, SymbolError
from jejak.printers.zpl.format import unescape_datamatrix
from jejak.printers.zpl.host_status import HostStatus
from jejak.printers.zpl.interpreter import Control, Interpreter, Label

__all__ = ["ZplSimulator"]

_TICK = 0.05  # how often idle threads look at the stop flag, seconds
_RECEIVE = 1 << 18


class ZplSimulator:
    """A Zebra printer on loopback TCP. Thread-based; use as a context manager."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, rate: float | None = None,
        keep: bool = True, buffer_formats: int = 999,
    ) -> None:  # fmt: skip
        if rate is not None and not (isinstance(rate, int | float) and 0 < rate <= 1e6):
            raise InvalidQuantity(
                f"Invalid print rate {describe(rate)}: expected labels per second above 0, or "
                "None to print at once. Hint: a line at 600 packs/min is 10."
            )
        self.rate = rate
        self.keep = keep
        self._address = (host, port)
        self._buffer_formats = buffer_formats
        self._lock = threading.Condition()
        self._queue: deque[Label] = deque()
        self._current: Label | None = None
        self._remaining = 0
        self._printed: list[Label] = []
        self._printed_count = 0
        self._flags = {"paper_out": False, "head_up": False, "paused": False}
        self._silent = False
        self._interpreter = Interpreter()
        self._server: socket.socket | None = None
        self._link: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self.connections = 0
        self.lost = 0  # labels lost from the buffer by a dropped connection
        self.cancelled = 0  # labels cancelled by ~JA
        self.status_requests = 0
        self.errors: list[str] = []  # ProtocolError messages; each one dropped the connection

    # --- life cycle ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("ZplSimulator is not started. Hint: use it as a context manager.")
        return int(self._server.getsockname()[1])

    def start(self) -> ZplSimulator:
        if self._server is not None:
            return self
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(self._address)
        server.listen(4)
        self._server = server
        self._stopping.clear()
        self._threads = [threading.Thread(target=self._serve, name="zpl-sim", daemon=True)]
        if self.rate is not None:
            self._threads.append(threading.Thread(target=self._print_loop, daemon=True))
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> ZplSimulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    # --- faults --------------------------------------------------------------------------------

    def set_paper_out(self, on: bool = True) -> None:
        """Media out: printing stops, the paper-out flag is set."""
        self._set_flag("paper_out", on)

    def set_head_open(self, on: bool = True) -> None:
        """Print head open: printing stops, the head-up flag is set."""
        self._set_flag("head_up", on)

    def set_paused(self, on: bool = True) -> None:
        """Paused from the front panel: printing stops, the pause flag is set."""
        self._set_flag("paused", on)

    def set_silent(self, on: bool = True) -> None:
        """Stop (or resume) answering ``~HS``; the requests are dropped, never answered late."""
        with self._lock:
            self._silent = on

    def drop_connection(self) -> None:
        """Drop the host's connection; the labels in the buffer are lost."""
        with self._lock:
            self.lost += len(self._queue) + (self._current is not None)
            self._queue.clear()
            self._current, self._remaining = None, 0
            link = self._link
        if link is not None:
            with contextlib.suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)

    def _set_flag(self, name: str, on: bool) -> None:
        with self._lock:
            self._flags[name] = on
            self._print_due()
            self._lock.notify_all()

    # --- what was printed ----------------------------------------------------------------------

    @property
    def printed(self) -> list[Label]:
        """The labels printed, in order (empty unless `keep`)."""
        with self._lock:
            return list(self._printed)

    @property
    def printed_count(self) -> int:
        with self._lock:
            return self._printed_count

    @property
    def buffered(self) -> int:
        """Labels received and not yet printed (waiting or printing)."""
        with self._lock:
            return len(self._queue) + (self._current is not None)

    def codes(self) -> list[bytes]:
        """The DataMatrix data of each printed label, decoded back to raw bytes (GS-separated)."""
        return [_symbol_data(label)[0] for label in self.printed]

    def status(self) -> HostStatus:
        """What the printer would answer to ``~HS`` now."""
        with self._lock:
            return HostStatus(
                paper_out=self._flags["paper_out"], paused=self._flags["paused"],
                head_up=self._flags["head_up"], formats_in_buffer=len(self._queue),
                buffer_full=len(self._queue) >= self._buffer_formats,
                partial_format=self._interpreter.partial, labels_remaining=self._remaining,
            )  # fmt: skip

    def wait_until(self, predicate: Callable[[ZplSimulator], bool], timeout: float = 5) -> bool:
        """Wait until `predicate(self)` holds; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def render(self, index: int, *, scale: int = 1) -> NDArray[np.uint8]:
        """The printed label `index` as 8-bit grey pixels at the printer's resolution (times
        `scale`): the DataMatrix at its ``^FO`` position with its module size. Text is not
        drawn."""
        from jejak.printers import symbols  # noqa: PLC0415 - rendering needs the encoders

        label = self.printed[index]
        raw, gs1, x, y, module = _symbol_data(label)
        if not gs1:
            raise SymbolError(
                f"Invalid DataMatrix data {raw!r} on label {index}: expected FNC1 first (GS1). "
                "Hint: Jejak renders GS1 DataMatrix only."
            )
        symbol = symbols.encode_raw(raw, symbols.SymbolKind.GS1_DATAMATRIX)
        image = symbols.to_image(symbol, module * scale, quiet_zone=False)
        x, y = x * scale, y * scale
        canvas = np.full((image.shape[0] + 2 * y, image.shape[1] + 2 * x), 255, np.uint8)
        canvas[y : y + image.shape[0], x : x + image.shape[1]] = image
        return canvas

    # --- the printer ---------------------------------------------------------------------------

    def _halted(self) -> bool:
        return any(self._flags.values())

    def _accept(self, labels: list[Label]) -> None:
        """Labels received, in order (lock held): printed at once when nothing waits."""
        if self.rate is None and not self._queue and self._current is None and not self._halted():
            count = sum(label.quantity for label in labels)
            self._printed_count += count
            if self.keep:
                self._printed.extend(
                    labels
                    if count == len(labels)
                    else [one for label in labels for one in [label] * label.quantity]
                )
            return
        self._queue.extend(labels)
        self._print_due()

    def _print_due(self) -> None:
        """With rate None, print everything waiting unless halted (lock held)."""
        if self.rate is not None:
            return
        while not self._halted() and (self._current is not None or self._queue):
            self._print_one()

    def _print_one(self) -> None:
        if self._current is None:
            self._current = self._queue.popleft()
            self._remaining = self._current.quantity
        self._remaining -= 1
        self._printed_count += 1
        if self.keep:
            self._printed.append(self._current)
        if self._remaining <= 0:
            self._current, self._remaining = None, 0

    def _print_loop(self) -> None:
        assert self.rate is not None  # noqa: S101 - started only with a rate
        period = 1.0 / self.rate
        due: float | None = None
        with self._lock:
            while not self._stopping.is_set():
                if self._halted() or (self._current is None and not self._queue):
                    due = None
                    self._lock.wait(_TICK)
                    continue
                if self._current is None:
                    self._current = self._queue.popleft()
                    self._remaining = self._current.quantity
                now = time.monotonic()
                due = now + period if due is None else due
                if now < due:
                    self._lock.wait(due - now)
                    continue
                self._print_one()
                due += period

    def _serve(self) -> None:
        server = self._server
        assert server is not None  # noqa: S101 - started before the thread
        while not self._stopping.is_set():
            ready, _, _ = select.select([server], [], [], _TICK)
            if not ready:
                continue
            link, _ = server.accept()
            link.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._link = link
                self._interpreter = Interpreter(fields=self.keep)
                self.connections += 1
            try:
                self._receive(link)
            finally:
                with self._lock:
                    self._link = None
                link.close()

    def _receive(self, link: socket.socket) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([link], [], [], _TICK)
            if not ready:
                continue
            try:
                data = link.recv(_RECEIVE)
            except OSError:
                return
            if not data:
                return
            answers = []
            with self._lock:
                try:
                    events = self._interpreter.feed(data)
                except ProtocolError as error:
                    self.errors.append(str(error))
                    return
                labels: list[Label] = []
                for event in events:
                    if isinstance(event, Label):
                        labels.append(event)
                        continue
                    self._accept(labels)
                    labels = []
                    answer = self._control(event)
                    if answer:
                        answers.append(answer)
                self._accept(labels)
                self._lock.notify_all()
            if answers:
                try:
                    link.sendall(b"".join(answers))
                except OSError:
                    return

    def _control(self, event: Control) -> bytes:
        """Act on a ~ command (lock held); the bytes to answer."""
        if event.name == "HS":
            self.status_requests += 1
            return b"" if self._silent else self.status().to_bytes()  # the lock is reentrant
        if event.name == "JA":
            self.cancelled += len(self._queue) + (self._current is not None)
            self._queue.clear()
            self._current, self._remaining = None, 0
        return b""


def _symbol_data(label: Label) -> tuple[bytes, bool, int, int, int]:
    """The DataMatrix of a label: raw bytes, FNC1 first, ^FO x and y, module dots."""
    for definition, value in label.values():
        if definition.command == "BX":
            params = (definition.params.split(",") + [""] * 7)[:7]
            escape = params[6] or "~"
            module = int(params[1]) if params[1].isdigit() else 1
            content = unescape_datamatrix(value, escape=escape)
            return content.data, content.gs1, definition.x, definition.y, module
    raise SymbolError(
        f"Invalid label {describe(label.filled)}: expected a ^BX DataMatrix field. "
        "Hint: the stored format puts the code in ^FN1."
    )

"""A simulated Zebra printer: ZPL over a real loopback TCP socket, for tests and demos.

`ZplSimulator` listens like a printer's raw port 9100 (a `jejak.printers.sim.server.TcpServer`
serving one connection at a time; the next waits), reads the stream with
`jejak.printers.zpl.interpreter.Interpreter`, keeps stored formats, "prints" each recalled label
at `rate` labels per second (None: at once), or, `triggered`, one label per `print_go()` (the
product-detect signal wired to the printer; `rate` is then ignored), and answers ``~HS``
truthfully: formats waiting in its buffer, labels remaining of the one printing, and the flags.
Faults can be injected: media out, head open and pause (printing stops, flags set), a dropped
connection (the buffer is lost), silence (``~HS`` gets no answer, as newer firmware does in a
media-out state), and, for the simulated line, misprints and double prints
(`_record.PackFaults`: they change what goes on the pack, not what the printer counts).
Printed labels are kept in order (`keep=False` keeps counts only: for long runs and benchmarks),
and `render` draws one so a camera can read real pixels. With `record` (a path) the data of each
label's DataMatrix goes to that file as it prints, one a line (`_record.PrintRecord`).

>>> import socket
>>> from jejak.printers.label import LabelSpec, recall_label, stored_format, template
>>> stored = stored_format(template(LabelSpec(dpi=203))).encode()
>>> with ZplSimulator() as sim, socket.create_connection(("127.0.0.1", sim.port)) as link:
...     link.sendall(stored + recall_label("0109506000134352").encode())
...     sim.wait_until(lambda s: s.printed_count == 1)
...     sim.codes(), sim.formats["R:JEJAK.ZPL"].source == stored
True
([b'0109506000134352'], True)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from jejak.engine.errors import InvalidQuantity, ProtocolError, SymbolError
from jejak.engine.text import describe
from jejak.printers.sim._record import PackFaults
from jejak.printers.sim.imprint import Imprint
from jejak.printers.sim.server import Link, TcpServer
from jejak.printers.zpl.escape import unescape_datamatrix
from jejak.printers.zpl.host_status import HostStatus
from jejak.printers.zpl.interpreter import Control, Format, Interpreter, Label

__all__ = ["ZplSimulator"]


class ZplSimulator(TcpServer[Link]):
    """A Zebra printer on loopback TCP, one connection at a time. Use as a context manager."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, rate: float | None = None,
        keep: bool = True, buffer_formats: int = 999, record: str | Path | None = None,
        triggered: bool = False,
    ) -> None:  # fmt: skip
        if rate is not None and not (isinstance(rate, int | float) and 0 < rate <= 1e6):
            raise InvalidQuantity(
                f"Invalid print rate {describe(rate)}: expected labels per second above 0, or "
                "None to print at once. Hint: a line at 600 packs/min is 10."
            )
        super().__init__(Link, host, port, name="zpl-sim", takeover=False, record=record)
        self.rate = rate
        self.keep = keep
        self.triggered = triggered
        self._buffer_formats = buffer_formats
        # Shared with the caller's thread (faults, what was printed): under the lock.
        self._lock = threading.RLock()
        self._queue: deque[Label] = deque()
        self._current: Label | None = None
        self._remaining = 0
        self._due: float | None = None  # when the label printing now is done (with a rate)
        self._printed: list[Label] = []
        self._printed_count = 0
        self._flags = {"paper_out": False, "head_up": False, "paused": False}
        self._silent = False
        self._faults = PackFaults[Label]()
        self._interpreter = Interpreter()
        self.lost = 0  # labels lost from the buffer by a dropped connection
        self.cancelled = 0  # labels cancelled by ~JA
        self.status_requests = 0
        self.errors: list[str] = []  # ProtocolError messages; each one dropped the connection

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

        def apply() -> None:
            with self._lock:
                self.lost += len(self._queue) + (self._current is not None)
                self._queue.clear()
                self._current, self._remaining, self._due = None, 0, None
            self._drop()

        self._call(apply)

    def misprint_next(self, count: int = 1) -> None:
        """The next `count` labels print damaged (smeared): the printer counts them printed."""

        def apply() -> None:
            with self._lock:
                self._faults.misprint(count)

        self._call(apply)

    def double_print_next(self, count: int = 1) -> None:
        """The next `count` prints put the previous label on the pack again, while the printer
        consumes the next label and counts it printed (``~HS``): `printed`, `codes()` and the
        record file show the previous label a second time, `unprinted` the label consumed."""

        def apply() -> None:
            with self._lock:
                self._faults.double(count)

        self._call(apply)

    def print_go(self, timeout: float = 5.0) -> Imprint | None:
        """The product-detect signal (triggered mode; any thread): print one label of the
        next buffered format and return what went on the pack (`render` draws it), or None if
        nothing did (an empty buffer; media out, head open or paused). `TimeoutError` if the
        server thread has not taken the signal up within `timeout` seconds (then withdrawn)."""

        def apply() -> Imprint | None:
            with self._lock:
                if self._halted() or (self._current is None and not self._queue):
                    return None
                label, damaged = self._print_one()
            return Imprint(_record_data(label), damaged, lambda: self._render(label))

        return self._call(apply, timeout)

    def _set_flag(self, name: str, on: bool) -> None:
        with self._lock:
            self._flags[name] = on
            self._print_due()
        self._wake()  # printing at a rate resumes in the server thread

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

    @property
    def formats(self) -> dict[str, Format]:
        """The formats stored on this connection, by name, each with the ZPL it came in."""
        with self._lock:
            return dict(self._interpreter.formats)

    def codes(self) -> list[bytes]:
        """The DataMatrix data of each printed label, decoded back to raw bytes (GS-separated)."""
        return [_symbol_data(label)[0] for label in self.printed]

    @property
    def unprinted(self) -> list[bytes]:
        """The data of each label consumed and counted printed that never went on a pack (a
        double print put the previous label there instead), in order."""
        with self._lock:
            return [_record_data(label) for label in self._faults.unprinted]

    @property
    def misprinted(self) -> list[bytes]:
        """The data of each label printed damaged, in order."""
        with self._lock:
            return [_record_data(label) for label in self._faults.misprinted]

    def status(self) -> HostStatus:
        """What the printer would answer to ``~HS`` now."""
        with self._lock:
            return HostStatus(
                paper_out=self._flags["paper_out"], paused=self._flags["paused"],
                head_up=self._flags["head_up"], formats_in_buffer=len(self._queue),
                buffer_full=len(self._queue) >= self._buffer_formats,
                partial_format=self._interpreter.partial, labels_remaining=self._remaining,
            )  # fmt: skip

    def render(self, index: int, *, scale: int = 1) -> NDArray[np.uint8]:
        """The printed label `index` as 8-bit grey pixels at the printer's resolution (times
        `scale`): the DataMatrix at its ``^FO`` position with its module size. Text is not
        drawn."""
        return self._render(self.printed[index], scale=scale, name=f"label {index}")

    def _render(
        self, label: Label, *, scale: int = 1, name: str = "the label"
    ) -> NDArray[np.uint8]:
        from jejak.printers import symbols  # noqa: PLC0415 - rendering needs the encoders

        raw, gs1, x, y, module = _symbol_data(label)
        if not gs1:
            raise SymbolError(
                f"Invalid DataMatrix data {raw!r} on {name}: expected FNC1 first (GS1). "
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

    def _take(self, labels: list[Label]) -> None:
        """Labels received, in order (lock held): printed at once when nothing waits."""
        if (self.rate is None and not self.triggered and not self._faults.pending and labels
                and not self._queue and self._current is None and not self._halted()):  # fmt: skip
            count = sum(label.quantity for label in labels)
            self._printed_count += count
            self._faults.previous = labels[-1]
            if self.keep or self.recording:
                each = (
                    labels
                    if count == len(labels)
                    else [one for label in labels for one in [label] * label.quantity]
                )
                if self.keep:
                    self._printed.extend(each)
                self._recorded(map(_record_data, each))
            return
        self._queue.extend(labels)
        self._print_due()

    def _print_due(self) -> None:
        """With rate None, print everything waiting unless halted (lock held)."""
        if self.rate is not None or self.triggered:
            return
        while not self._halted() and (self._current is not None or self._queue):
            self._print_one()

    def _print_one(self) -> tuple[Label, bool]:
        """Print one label of the format printing (or the next): what went on the pack, and
        whether damaged (lock held)."""
        if self._current is None:
            self._current = self._queue.popleft()
            self._remaining = self._current.quantity
        self._remaining -= 1
        self._printed_count += 1
        label, damaged = self._faults.put(self._current)
        if self.keep:
            self._printed.append(label)
        if self.recording:
            self._recorded([_record_data(label)])
        if self._remaining <= 0:
            self._current, self._remaining = None, 0
        return label, damaged

    # --- the TCP server's hooks ------------------------------------------------------------------

    def _tick(self) -> float | None:
        """With a rate: print what is due; seconds until the next label is done."""
        if self.rate is None or self.triggered:
            return None
        period = 1.0 / self.rate
        with self._lock:
            while not self._halted() and (self._current is not None or self._queue):
                if self._current is None:
                    self._current = self._queue.popleft()
                    self._remaining = self._current.quantity
                now = time.monotonic()
                self._due = now + period if self._due is None else self._due
                if now < self._due:
                    return self._due - now
                self._print_one()
                self._due += period
            self._due = None
            return None

    def _opened(self, link: Link) -> None:
        with self._lock:
            self._interpreter = Interpreter(fields=self.keep or self.recording or self.triggered)

    def _received(self, link: Link, data: bytes) -> None:
        answers = []
        with self._lock:
            try:
                events = self._interpreter.feed(data)
            except ProtocolError as error:
                self.errors.append(str(error))
                self._drop()
                return
            labels: list[Label] = []
            for event in events:
                if isinstance(event, Label):
                    labels.append(event)
                    continue
                self._take(labels)
                labels = []
                answer = self._control(event)
                if answer:
                    answers.append(answer)
            self._take(labels)
        if answers:
            link.send(b"".join(answers))

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


def _record_data(label: Label) -> bytes:
    """What the record file holds for a label: its DataMatrix data, raw (GS-separated); for a
    label without a readable one, its ``^FN`` texts joined by ``|``."""
    try:
        return _symbol_data(label)[0]
    except (SymbolError, ProtocolError):
        return "|".join(text for _, text in label.filled).encode("utf-8", "replace")


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

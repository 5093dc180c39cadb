"""The TCP server every device simulator is: one listening socket, one server thread, one host.

`TcpServer(link, host, port)` listens on `host` and `port` (0: the OS picks a free port; `port`
tells which), and one server thread runs a selector loop over the listening socket, the host
connection and a wake-up socket pair. `link(sock)` makes the object that stands for a connection
(`Link`, or a subclass that keeps the device's per-connection state). Subclasses say what the
device does with it: `_opened(link)` when a host connects, `_received(link, data)` for each chunk
it sends, `_closed(link)` when the connection ends (either side), and `_tick()` for the device's
own clock (printing at a rate), which returns how long the loop may sleep before it is due
again. Replies go through `Link.send`; the loop writes them without blocking, reading meanwhile.

One host at a time, with one of two policies for a second one: `takeover=True` drops the first
connection (a coder: the newest host wins), `takeover=False` leaves the second waiting in the
listen backlog until the first closes (a printer's raw port). Work from other threads (an
injected fault, a print-go signal) runs in the server thread through `_call`, in order, before
`_call` returns what it returned (or raises what it raised); a call the thread has not taken up
within its timeout is withdrawn, never run late, and `_call` raises `TimeoutError`.
`stop` (or the end of a `with` block) joins the thread and closes every socket it opened.

With `record` (a file path) the device appends every code it prints to that file, one a line,
flushed as it prints (`_record.PrintRecord`; subclasses call `_recorded(codes)`): opened by
`start`, closed by `stop`.

>>> class Echo(TcpServer[Link]):
...     def _received(self, link: Link, data: bytes) -> None:
...         link.send(data.upper())
>>> with Echo(Link) as echo, socket.create_connection(("127.0.0.1", echo.port), timeout=5) as sock:
...     sock.sendall(b"hello")
...     sock.recv(16), echo.connections
(b'HELLO', 1)
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, Self, TypeVar, cast

from jejak.printers.sim._record import PrintRecord

__all__ = ["Link", "TcpServer"]

_RECEIVE = 1 << 18
_CALL_TIMEOUT = 5.0  # seconds an injected call may wait for the server thread
_ACCEPT, _WAKE, _LINK = "accept", "wake", "link"


class Link:
    """One host connection: its socket and the bytes not yet written to it."""

    __slots__ = ("out", "sock", "writing")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.out = bytearray()
        self.writing = False

    def send(self, data: bytes) -> None:
        """Queue `data` for the host; the server loop writes it without blocking."""
        self.out += data


L = TypeVar("L", bound=Link)
T = TypeVar("T")


class _Call(Generic[T]):
    """One call handed to the server thread: what to run, and what came of it."""

    __slots__ = ("apply", "done", "error", "result")

    def __init__(self, apply: Callable[[], T]) -> None:
        self.apply = apply
        self.done = threading.Event()
        self.result: T | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = self.apply()
        except Exception as error:  # raised again in the caller's thread
            self.error = error
        finally:
            self.done.set()


class TcpServer(Generic[L]):
    """A loopback TCP device serving one host at a time from one server thread."""

    def __init__(
        self,
        link: Callable[[socket.socket], L],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "device-sim",
        takeover: bool = False,
        record: str | Path | None = None,
    ) -> None:
        self._new_link = link
        self._record = None if record is None else PrintRecord(record)
        self._address = (host, port)
        self._name = name
        self._takeover = takeover
        self._connections = 0
        self._link: L | None = None
        self._listener: socket.socket | None = None
        self._wake_pair: tuple[socket.socket, socket.socket] | None = None
        self._selector: selectors.BaseSelector | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._calls: list[_Call[Any]] = []
        self._calls_lock = threading.Lock()

    # Life cycle ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the device listens on (after `start`)."""
        if self._listener is None:
            raise RuntimeError(
                f"The {type(self).__name__} is not started. Hint: call start() or use it as a "
                "context manager."
            )
        return int(self._listener.getsockname()[1])

    @property
    def connections(self) -> int:
        """How many host connections were accepted so far."""
        return self._connections

    def start(self) -> Self:
        if self._thread is not None:
            return self
        if self._record is not None:
            self._record.open()
        self._listener = socket.create_server(self._address)
        self._listener.setblocking(False)
        self._wake_pair = socket.socketpair()
        self._wake_pair[0].setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)
        self._selector.register(self._wake_pair[0], selectors.EVENT_READ, _WAKE)
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping = True
            self._wake()
            thread.join(_CALL_TIMEOUT)
        link, self._link = self._link, None
        if link is not None:
            link.sock.close()
        for sock in (self._listener, *(self._wake_pair or ())):
            if sock is not None:
                sock.close()
        if self._selector is not None:
            self._selector.close()
        self._listener = self._wake_pair = self._selector = None
        if self._record is not None:
            self._record.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until(self, predicate: Callable[[Self], bool], timeout: float = 5) -> bool:
        """Wait until `predicate(self)` holds; False after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    # What subclasses define ------------------------------------------------------------------

    def _opened(self, link: L) -> None:
        """A host connected."""

    def _received(self, link: L, data: bytes) -> None:
        """The host sent `data` (any split of its stream)."""

    def _closed(self, link: L) -> None:
        """The connection ended: the host closed it, or the device dropped it."""

    def _tick(self) -> float | None:
        """The device's clock, run after every turn of the loop: seconds until it is due
        again, or None to sleep until something arrives."""
        return None

    # What subclasses use ---------------------------------------------------------------------

    @property
    def recording(self) -> bool:
        """Whether printed codes go to a record file."""
        return self._record is not None

    def _recorded(self, codes: Iterable[bytes]) -> None:
        """The device printed `codes`: append them to the record file (if any), flushed."""
        if self._record is not None:
            self._record.write(codes)

    def _call(self, apply: Callable[[], T], timeout: float = _CALL_TIMEOUT) -> T:
        """Run `apply` in the server thread (at once if not started), after the calls before
        it, and return its result (or raise its exception) here. If the server thread has not
        taken the call up within `timeout` seconds it is withdrawn (it never runs) and
        `TimeoutError` is raised."""
        if self._thread is None or threading.current_thread() is self._thread:
            return apply()
        call = _Call(apply)
        with self._calls_lock:
            self._calls.append(call)
        self._wake()
        if not call.done.wait(timeout):
            with self._calls_lock:
                withdrawn = call in self._calls
                if withdrawn:
                    self._calls.remove(call)
            if withdrawn or not call.done.wait(_CALL_TIMEOUT):  # taken up: it ends soon
                raise TimeoutError(
                    f"The {type(self).__name__} did not run an injected call within "
                    f"{timeout:g} s. Hint: is its server thread stuck?"
                )
        if call.error is not None:
            raise call.error
        return cast(T, call.result)

    def _post(self, apply: Callable[[], object]) -> None:
        """Run `apply` in the server thread soon, after the calls before it, without waiting
        for it (a signal wired to the device, from another device's thread); its result and
        its exception are dropped."""
        if self._thread is None or threading.current_thread() is self._thread:
            apply()
            return
        with self._calls_lock:
            self._calls.append(_Call(apply))
        self._wake()

    def _wake(self) -> None:
        """Make the server loop turn now (for example: a fault cleared, printing may resume)."""
        pair = self._wake_pair
        if pair is not None:
            with contextlib.suppress(OSError):  # the pair closes at stop
                pair[1].send(b".")

    def _drop(self) -> None:
        """Close the host connection (server thread), as a device that drops it."""
        link, self._link = self._link, None
        if link is None:
            return
        if self._selector is not None:
            self._selector.unregister(link.sock)
            if not self._takeover and self._listener is not None:
                self._selector.register(self._listener, selectors.EVENT_READ, _ACCEPT)
        link.sock.close()
        self._closed(link)

    # The server thread -----------------------------------------------------------------------

    def _serve(self) -> None:
        timeout: float | None = None
        while self._selector is not None and not self._stopping:
            ready = self._selector.select(timeout)
            ready.sort(key=lambda item: item[0].data != _WAKE)  # injected calls before input
            for key, mask in ready:
                if key.data == _WAKE:
                    self._run_calls()
                elif key.data == _ACCEPT:
                    self._accept()
                elif self._link is not None and key.fileobj is self._link.sock:
                    if mask & selectors.EVENT_READ:
                        self._receive(self._link)
                    if self._link is not None and mask & selectors.EVENT_WRITE:
                        self._flush(self._link)
            timeout = self._tick()
            if self._link is not None and (self._link.out or self._link.writing):
                self._flush(self._link)
        self._run_calls()  # calls handed over while stopping: run, not left waiting

    def _run_calls(self) -> None:
        if self._wake_pair is not None:
            with contextlib.suppress(BlockingIOError):
                self._wake_pair[0].recv(4096)
        with self._calls_lock:
            calls, self._calls = self._calls, []
        for call in calls:
            call.run()

    def _accept(self) -> None:
        if self._listener is None or self._selector is None:
            return
        try:
            sock, _ = self._listener.accept()
        except BlockingIOError:
            return
        self._drop()  # with takeover the newest host wins; otherwise there is none
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        link = self._new_link(sock)
        self._link = link
        self._connections += 1
        self._selector.register(sock, selectors.EVENT_READ, _LINK)
        if not self._takeover:  # the next host waits in the backlog until this one is gone
            self._selector.unregister(self._listener)
        self._opened(link)

    def _receive(self, link: L) -> None:
        try:
            data = link.sock.recv(_RECEIVE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop()
            return
        self._received(link, data)

    def _flush(self, link: L) -> None:
        if self._selector is None:
            return
        if link.out:
            try:
                sent = link.sock.send(link.out)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._drop()
                return
            del link.out[:sent]
        if bool(link.out) != link.writing:
            link.writing = bool(link.out)
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if link.writing else 0)
            self._selector.modify(link.sock, events, _LINK)

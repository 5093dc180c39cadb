"""Commands from other threads (the control socket), carried out on the line's own thread.

The line controller is single-threaded: only its loop touches the devices, the tracks and the
machine. A request waits for the loop to take the command and answer with the new state (or
the error it met); once the run has ended, requests are refused at once.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from jejak.engine.errors import JejakError, LineError
from jejak.line_adapters.packml import Command, State

__all__ = ["Mailbox"]


class Mailbox:
    """`request` from any thread; `serve` on the line's thread; `end` when the run is over."""

    __slots__ = ("_ended", "_queue")

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Command, queue.SimpleQueue[object]]] = (
            queue.SimpleQueue())  # fmt: skip
        self._ended = threading.Event()

    def request(self, command: Command, timeout: float,
                not_running: Callable[[], LineError]) -> object:  # fmt: skip
        """The new state once the line's thread carried `command` out, or the error."""
        reply: queue.SimpleQueue[object] = queue.SimpleQueue()
        if self._ended.is_set():
            return not_running()
        self._queue.put((command, reply))
        deadline = time.monotonic() + timeout
        while True:
            try:
                return reply.get(timeout=0.05)
            except queue.Empty:
                if self._ended.is_set():  # taken just before the end, or never
                    return reply.get_nowait() if not reply.empty() else not_running()
                if time.monotonic() > deadline:
                    return LineError(f"The line did not take {command.name.lower()} within "
                                     f"{timeout:g} s. Hint: is it busy completing? Ask "
                                     "again.")  # fmt: skip

    def serve(self, carry_out: Callable[[Command], State]) -> None:
        """Carry out every command waiting (the line's thread)."""
        while True:
            try:
                command, reply = self._queue.get_nowait()
            except queue.Empty:
                return
            try:
                reply.put(carry_out(command))
            except JejakError as error:
                reply.put(error)

    def end(self) -> None:
        """The run is over: no command is served any more."""
        self._ended.set()

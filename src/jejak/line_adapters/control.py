"""The line's local control socket: `jejak line status` and `jejak line command` talk to a
running line here.

A ZeroMQ REP socket on the line PC (loopback by default; refused beyond loopback, as the print
engine refuses an exposed endpoint without CurveZMQ). One JSON request, one JSON reply:

- ``{"op": "status"}`` → ``{"ok": true, "status": {...}}``: the PackML state, PackTags and
  counts by outcome (`LineController.status`);
- ``{"op": "command", "command": "hold"}`` → ``{"ok": true, "state": "Held"}``, or
  ``{"ok": false, "error": "<message>", "kind": "<error class>"}`` when PackML refuses it;
- anything else (not JSON, not an object, an unknown op or command) is answered with an
  ``InvalidFormat`` error, and a failure behind the socket with a ``LineError``: a REP socket
  that does not answer a request can never take another, so every request gets its reply.

The server answers on its own thread; commands are carried out on the line's thread
(`LineController.request`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import zmq

from jejak.engine.errors import (
    DeviceFault,
    InvalidCombination,
    InvalidFormat,
    JejakError,
    LineError,
)
from jejak.engine.text import describe
from jejak.line_adapters.packml import Command, State
from jejak.printers.stream.endpoint import Endpoint

__all__ = ["ControlClient", "ControlServer"]

_log = logging.getLogger(__name__)

_TIMEOUT_MS = 5000


class ControlServer:
    """Serves `status` and `command` requests for one line until `close`."""

    def __init__(
        self, endpoint: str, *, status: Callable[[], dict[str, Any]],
        command: Callable[[Command], object],
    ) -> None:  # fmt: skip
        bound = Endpoint.parse(endpoint)
        if not bound.loopback:
            raise InvalidCombination(
                f"Invalid control endpoint {endpoint!r}: expected a loopback address (e.g. "
                "'tcp://127.0.0.1:7460'). Hint: the control socket commands the line without "
                "keys: keep it on the line PC."
            )
        self._status, self._command = status, command
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.REP)
        self._socket.setsockopt(zmq.LINGER, 0)
        try:
            self._socket.bind(str(bound))
        except zmq.ZMQError as error:
            self._context.destroy(linger=0)
            raise DeviceFault(
                f"Cannot bind the line's control socket {endpoint!r}: {error}. Hint: is another "
                "line running with this control endpoint? Give each line its own."
            ) from None
        self.endpoint: str = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="line-control", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(50):
                continue
            request = self._socket.recv()
            self._socket.send(json.dumps(self._answer(request)).encode())
        self._socket.close(linger=0)

    def _answer(self, request: bytes) -> dict[str, Any]:
        op = None
        try:
            asked = _request(request)
            op = asked["op"]
            if op == "status":
                return {"ok": True, "status": self._status()}
            outcome = self._command(Command.parse(asked.get("command")))
            if isinstance(outcome, JejakError):
                return _refusal(outcome)
            state = outcome.label if isinstance(outcome, State) else str(outcome)
            return {"ok": True, "state": state}
        except JejakError as error:
            return _refusal(error)
        except Exception as error:  # a bug behind the socket must not leave it unanswered
            _log.exception("the line failed to answer %r", op)
            return _refusal(LineError(
                f"The line failed to answer {op!r}: {type(error).__name__}: {error}. Hint: "
                "this is a bug in Jejak; the line's log has the traceback."))  # fmt: skip

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._context.term()

    def __enter__(self) -> ControlServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _request(request: bytes) -> dict[str, Any]:
    """A request's JSON object, with an op the server knows; `InvalidFormat` otherwise."""
    try:
        asked = json.loads(request)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep
        asked = None
    if not isinstance(asked, dict) or asked.get("op") not in ("status", "command"):
        raise InvalidFormat(
            f"Invalid control request {describe(request)}: expected a JSON object with "
            '"op": "status" or "command". Hint: `jejak line status` and `jejak line command` '
            "send them."
        )
    return asked


def _refusal(error: JejakError) -> dict[str, Any]:
    return {"ok": False, "error": str(error), "kind": type(error).__name__}


class ControlClient:
    """Asks a running line over its control socket."""

    def __init__(self, endpoint: str, *, timeout: float = _TIMEOUT_MS / 1000) -> None:
        self.endpoint = str(Endpoint.parse(endpoint))
        self.timeout = timeout

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        context = zmq.Context()
        socket = context.socket(zmq.REQ)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            socket.connect(self.endpoint)
            socket.send(json.dumps(request).encode())
            if not socket.poll(int(self.timeout * 1000)):
                raise DeviceFault(
                    f"No line answered on {self.endpoint!r} within {self.timeout:g} s. Hint: is "
                    "`jejak line run` running with this control endpoint (--control)?"
                )
            reply = json.loads(socket.recv())
        finally:
            socket.close(linger=0)
            context.term()
        if not isinstance(reply, dict):
            raise InvalidFormat(f"Invalid control reply {reply!r}: expected a JSON object.")
        return reply

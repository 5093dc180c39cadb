"""The driver side of the print-job stream: one process per printer, between engine and device.

The driver connects a DEALER to the engine, says HELLO, and keeps its device fed: it grants the
engine credit when the jobs it holds (in the device, or promised by credit) fall to the low
watermark, topping up to the high watermark, never beyond what the device buffer can take. Jobs
from the engine go to the device; the device's answers go back as PRINTED and FAILED, batched
per turn of the loop.

When the device connection drops, every job in the device's hands is reported as an unknown
outcome (FAILED with known = false) and the driver reconnects; jobs that arrive while the device
is away were never handed to it and are reported as failed (known). A heartbeat STATUS goes to
the engine every `heartbeat` seconds so the engine can tell a silent driver from a quiet line.

Stopping (`stop` set: SIGTERM, Ctrl-C) is seen within a tenth of a second wherever the driver
waits, the HELLO wait included: it sends the answers it holds, reports every job still in the
device as an unknown outcome (nobody will hear of it again), says BYE and returns. A CurveZMQ
handshake the engine refuses (no keys, a key it does not know) is watched on a socket monitor
and named in the error when no WELCOME comes within `hello_timeout`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq
from zmq.utils.monitor import recv_monitor_message

from jejak.engine.codes import Level
from jejak.engine.errors import DeviceFault, JejakError, ProtocolError
from jejak.printers.device import DeviceState, Failed, Job, PrintDevice, Printed, Status
from jejak.printers.stream import wire
from jejak.printers.stream.curve import CurveClient
from jejak.printers.stream.endpoint import Endpoint
from jejak.printers.stream.wire import Message, RefusalReason

__all__ = ["DriverReport", "PrinterDriver"]

_SLICE = 0.1  # seconds: the longest a wait goes without looking at `stop`
_STOP_GRACE = 1.0  # seconds a frame may wait for the engine once stopping (as the linger)
_HANDSHAKE = (zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH
              | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_SUCCEEDED)  # fmt: skip
_KEYS_HINT = (
    "pass --curve-secret driver.key_secret --curve-server engine.key (`jejak printer keys` "
    "writes them) and put driver.key in the engine's --curve-clients folder"
)


@dataclass(slots=True)
class DriverReport:
    received: int = 0
    printed: int = 0
    failed: int = 0
    unknown: int = 0
    reconnects: int = 0
    done: bool = False
    refused: str | None = None  # the engine's reason, when it refused us for good
    refusal: RefusalReason | None = None  # and its code


class PrinterDriver:
    """Feeds one device from the engine. `run()` until the engine says DONE or `stop` is set."""

    def __init__(
        self,
        device: PrintDevice,
        engine: str,
        *,
        printer: str,
        level: Level = Level.PRIMARY,
        low: int = 50,
        high: int = 150,
        heartbeat: float = 1.0,
        hello_timeout: float = 10.0,
        reconnect_delay: float = 0.2,
        curve: CurveClient | None = None,
        on_welcome: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if not 0 <= low < high:
            raise ValueError(f"Watermarks low={low}, high={high}: expected 0 <= low < high.")
        target = Endpoint.parse(engine, bind=False)  # before any socket: a refusal leaks none
        self.device, self.engine, self.printer, self.level = device, engine, printer, level
        self.low, self.high = low, high
        self.heartbeat, self.hello_timeout = heartbeat, hello_timeout
        self.reconnect_delay = reconnect_delay
        self.on_welcome = on_welcome  # called with the WELCOME body, at every session opened
        self.report = DriverReport()
        self._in_flight: set[int] = set()  # jobs handed to the device, not yet settled
        self._promised = 0  # credit granted to the engine and not yet used by JOBs
        self._printed: list[int] = []
        self._failed: list[list[Any]] = []
        self._down_since = 0.0
        self._welcomed = False  # STATUS and answers only go to an engine that knows us
        self._state = DeviceState.DISCONNECTED
        self._detail = ""
        self._stop: threading.Event | None = None
        self._curve = curve is not None
        self._handshake: str | None = None  # why the engine refused the last handshake
        self._context = zmq.Context()
        self.socket = self._context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 1000)
        self.socket.setsockopt(zmq.ROUTING_ID, printer.encode())
        self.socket.setsockopt(zmq.SNDHWM, 0)
        self.socket.setsockopt(zmq.RCVHWM, 0)
        if curve is not None:
            curve.apply(self.socket)
        if target.ipv6:
            self.socket.setsockopt(zmq.IPV6, 1)
        self._monitor = self.socket.get_monitor_socket(_HANDSHAKE)
        self.socket.connect(engine)

    def close(self) -> None:
        self.device.close()
        self.socket.disable_monitor()
        self._monitor.close(linger=0)
        # Linger for a BYE and the last answers; an engine that never welcomed us gets nothing.
        self.socket.close(linger=1000 if self._welcomed else 0)
        self._context.term()

    def __enter__(self) -> PrinterDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The loop ----------------------------------------------------------------------------

    def run(self, *, stop: threading.Event | None = None) -> DriverReport:
        """Feed the device until the engine says DONE (and nothing is left in flight), the
        engine refuses us, or `stop` is set. Returns the report."""
        self._stop = stop
        self._connect_device()
        done = False
        if not self._hello():  # stopped before the engine answered
            return self._end(done)
        last_beat = time.monotonic()
        while not self._stopping():
            if done and not self._in_flight:
                break
            busy = bool(self._in_flight)
            if self.socket.poll(0 if busy else 20):
                done = self._receive() or done
                if self.report.refused is not None:
                    break
            if self._device_up:
                self._poll_device(0.002 if busy else 0.0)
            elif time.monotonic() - self._down_since > self.reconnect_delay:
                self._connect_device()
            self._grant()
            self._flush()
            now = time.monotonic()
            if now - last_beat >= self.heartbeat:
                self._send_status()
                last_beat = now
        return self._end(done)

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _end(self, done: bool) -> DriverReport:
        """The last answers; unless refused, the jobs still in the device unknown, and BYE."""
        if self._welcomed:
            if self._device_up:
                self._poll_device(0.0)  # what the device has said already
            if self.report.refused is None:
                why = "outcome unknown: the driver stopped with the job in the device"
                self._failed += [[job, why, False] for job in sorted(self._in_flight)]
                self._in_flight.clear()
            self._flush()
            if self.report.refused is None:
                self._send(Message.BYE, {})
        self.report.done = done
        return self.report

    # Engine side ---------------------------------------------------------------------------

    def _hello(self) -> bool:
        """Say HELLO and wait for WELCOME: True once welcomed, False if `stop` was set first."""
        self._welcomed = False
        deadline = time.monotonic() + self.hello_timeout
        sent = self._send(Message.HELLO, {
            "protocol": wire.PROTOCOL_VERSION, "printer": self.printer,
            "kind": self.device.kind.value, "buffer": self.device.capacity,
            "level": self.level.name.lower(),
        }, until=deadline)  # fmt: skip
        if not sent:  # stopped, or no engine took the connection in time
            self._watch_handshake()
            if self._stopping():
                return False
            raise self._no_welcome()
        while not self._stopping():
            self._watch_handshake()
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._no_welcome()
            if not self.socket.poll(int(min(left, _SLICE) * 1000) + 1):
                continue
            kind, body = wire.unpack(self.socket.recv_multipart())
            if kind is Message.WELCOME:
                self._promised = 0
                self._welcomed = True
                self._send_status()
                if self.on_welcome is not None:
                    self.on_welcome(body)
                return True
            if kind is Message.REFUSED and body["code"] != RefusalReason.NO_SESSION:
                code = RefusalReason(body["code"])
                raise ProtocolError(f"Engine refused HELLO ({code.name}): {body['reason']}")
            # Anything else is left over from an earlier session: ignore it.
        return False

    def _watch_handshake(self) -> None:
        """Note why the engine refused the ZeroMQ handshake, as the socket monitor says."""
        while self._monitor.poll(0):
            event = recv_monitor_message(self._monitor)
            what, value = event["event"], event["value"]
            if what == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._handshake = None
            elif what == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                self._handshake = f"the engine does not know this driver's key (ZAP {value})"
            elif value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
                self._handshake = ("this driver uses CurveZMQ and the engine does not" if
                                   self._curve else "the engine requires CurveZMQ and this "
                                   "driver has no keys")  # fmt: skip
            else:
                self._handshake = (f"the handshake failed (ZeroMQ event {what}, {value:#x}): "
                                   "is --curve-server the engine's public key?")  # fmt: skip

    def _no_welcome(self) -> JejakError:
        if self._handshake is not None:
            return JejakError(
                f"Engine {self.engine!r} refused this driver's connection for "
                f"{self.hello_timeout:g} s: {self._handshake}. Hint: {_KEYS_HINT}."
            )
        return JejakError(
            f"Engine {self.engine!r} did not answer HELLO within {self.hello_timeout:g} s. "
            "Hint: check the engine runs, the address, and (with CurveZMQ) that the engine "
            "knows this driver's public key."
        )

    def _receive(self) -> bool:
        """Handle what the engine sent; True once it said DONE."""
        done = False
        for _ in range(1000):
            try:
                frames = self.socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            kind, body = wire.unpack(frames)
            if kind is Message.JOB:
                self._jobs(wire.jobs_of(body["jobs"]))
            elif kind is Message.DONE:
                done = True
            elif kind is Message.REFUSED:
                # The engine restarted or lost us: our jobs are already unknown there.
                self._in_flight.clear()
                code = RefusalReason(body["code"])  # the wire checked it is one
                if code is RefusalReason.NO_SESSION:
                    if not self._hello():
                        break  # stopping
                else:
                    self.report.refused, self.report.refusal = body["reason"], code
        return done

    def _jobs(self, entries: list[tuple[int, bytes]]) -> None:
        self.report.received += len(entries)
        self._promised = max(0, self._promised - len(entries))
        if not self._device_up:
            self._failed += [[job, "device not connected: never sent", True] for job, _ in entries]
            return
        jobs = [Job(job, data) for job, data in entries]
        self._in_flight.update(job.job for job in jobs)
        try:
            self.device.send(jobs)
        except DeviceFault as error:
            self._device_down(str(error))

    def _grant(self) -> None:
        if not self._device_up or self._state in (DeviceState.FAULT, DeviceState.PAUSED):
            return
        held = len(self._in_flight) + self._promised
        if held > self.low:
            return
        n = min(self.high - held, self.device.free() - self._promised)
        if n > 0:
            self._promised += n
            self._send(Message.CREDIT, {"n": n})

    def _flush(self) -> None:
        if self._printed:
            self._send(Message.PRINTED, {"jobs": self._printed})
            self.report.printed += len(self._printed)
            self._printed = []
        if self._failed:
            self._send(Message.FAILED, {"jobs": self._failed})
            self.report.failed += sum(1 for entry in self._failed if entry[2])
            self.report.unknown += sum(1 for entry in self._failed if not entry[2])
            self._failed = []

    def _send(self, kind: Message, body: dict[str, Any], *, until: float | None = None) -> bool:
        """Send a frame; whether it went. A DEALER with no engine connected (a handshake the
        engine refused, the engine gone) cannot take it: then wait in slices that look at
        `stop`, until `until` (monotonic) if given; once stopping, for `_STOP_GRACE` at most,
        and then drop it (the engine counts a job nobody answered as unknown: never again)."""
        frames = wire.pack(kind, body)
        grace: float | None = None
        while True:
            try:
                self.socket.send_multipart(frames, flags=zmq.NOBLOCK)
                return True
            except zmq.Again:
                pass
            now = time.monotonic()
            if self._stopping():
                grace = now + _STOP_GRACE if grace is None else grace
                if now >= grace:
                    return False
            if until is not None and now >= until:
                return False
            self.socket.poll(int(_SLICE * 1000), zmq.POLLOUT)

    def _send_status(self) -> None:
        self._send(Message.STATUS, {"state": self._state.value, "detail": self._detail})

    # Device side ---------------------------------------------------------------------------

    @property
    def _device_up(self) -> bool:
        """Connected: every state but DISCONNECTED comes from a device we are connected to."""
        return self._state is not DeviceState.DISCONNECTED

    def _poll_device(self, timeout: float) -> None:
        try:
            events = self.device.poll(timeout)
        except DeviceFault as error:
            events = [Status(DeviceState.DISCONNECTED, str(error))]
        self._device_events(events)

    def _connect_device(self) -> None:
        try:
            self.device.connect()
        except (DeviceFault, OSError) as error:
            self._device_down(str(error))
            return
        self._set_state(DeviceState.READY, "connected")

    def _device_down(self, detail: str) -> None:
        unknown = sorted(self._in_flight)
        self._failed += [[job, f"outcome unknown: {detail}", False] for job in unknown]
        self._in_flight.clear()
        if self._device_up:
            self.report.reconnects += 1
        self._down_since = time.monotonic()
        # Credit promised to the engine stays promised: jobs that still come are failed (known).
        self._set_state(DeviceState.DISCONNECTED, detail)

    def _device_events(self, events: list[Printed | Failed | Status]) -> None:
        for event in events:
            if isinstance(event, Printed):
                if event.job in self._in_flight:
                    self._in_flight.discard(event.job)
                    self._printed.append(event.job)
            elif isinstance(event, Failed):
                if event.job in self._in_flight:
                    self._in_flight.discard(event.job)
                    self._failed.append([event.job, event.reason, event.known])
            elif event.state is DeviceState.DISCONNECTED:
                self._device_down(event.detail or "device disconnected")
            else:
                self._set_state(event.state, event.detail)

    def _set_state(self, state: DeviceState, detail: str) -> None:
        if (state, detail) != (self._state, self._detail):
            self._state, self._detail = state, detail
            if not self._welcomed:
                return
            try:
                self._send_status()
            except zmq.ZMQError as error:  # pragma: no cover - socket closed at shutdown
                raise JejakError(f"Cannot report status to the engine: {error}") from None

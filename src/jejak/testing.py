"""Shared test fixtures and helpers for Jejak's suites, as a pytest plugin.

The public `testing` module, in the manner of structlog's: tests/conftest.py registers it with
``pytest_plugins = ["jejak.testing"]``, so every test can ask for these fixtures by name. Only
tests import it; it is the one module of Jejak that imports pytest.

ZeroMQ (the print-job stream):

- `zmq_context`: a context whose sockets are all closed with linger 0, and the context
  terminated, at teardown, whatever the test left open;
- `poll_within(socket, timeout)` and `recv_within(socket, timeout)`: a bounded receive, never a
  blocking one (None, or a failed test, after `timeout` seconds).

Devices (loopback TCP servers on a port the OS picks, always stopped at teardown, which also
closes a `record` file):

- `coder_simulator(**options)`: a started `CoderSimulator`;
- `zpl_simulator(**options)`: a started `ZplSimulator`;
- `camera_simulator(kind, scene, **options)`: a started smart-camera `CameraSimulator`.

Store (a real LMDB environment in the test's temporary folder, always closed):

- `store`: a store with one product (`NIE`, `GTIN`) and no batch;
- `make_request(batch, quantity, **changes)`: a valid code request for that product;
  `FORMAT` the usual serial format (12 characters, no look-alikes). A suite that wants a batch
  opened overrides `store` in its conftest and asks for this one by the same name.

>>> import zmq
>>> with zmq.Context() as context, context.socket(zmq.PAIR) as a, context.socket(zmq.PAIR) as b:
...     port = a.bind_to_random_port("tcp://127.0.0.1")
...     _ = b.connect(f"tcp://127.0.0.1:{port}")
...     b.send_multipart([b"HELLO", b"\\x80"])
...     recv_within(a), poll_within(a, 0.05)
([b'HELLO', b'\\x80'], None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
import zmq

from jejak.engine.batch import CodeRequest
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store
from jejak.line_adapters.camera.result import CameraKind
from jejak.line_adapters.sim.camera import CameraSimulator, Shot
from jejak.printers.sim import CoderSimulator, ZplSimulator

__all__ = [
    "FORMAT",
    "GTIN",
    "NIE",
    "RECV_TIMEOUT",
    "StartCamera",
    "StartCoder",
    "StartZpl",
    "camera_simulator",
    "coder_simulator",
    "make_request",
    "poll_within",
    "recv_within",
    "store",
    "zmq_context",
    "zpl_simulator",
]

RECV_TIMEOUT = 2.0  # seconds: long enough for a loaded machine, short enough to fail fast


# ZeroMQ --------------------------------------------------------------------------------------


@pytest.fixture
def zmq_context() -> Iterator[zmq.Context[Any]]:
    """A ZeroMQ context; every socket made from it is closed with linger 0 at teardown."""
    context: zmq.Context[Any] = zmq.Context()
    try:
        yield context
    finally:
        context.destroy(linger=0)  # closes every socket a test (or a failing test) left open


def poll_within(socket: zmq.Socket[Any], timeout: float) -> list[bytes] | None:
    """The next multipart message on `socket` if one comes within `timeout` seconds, else None."""
    if not socket.poll(int(timeout * 1000), zmq.POLLIN):
        return None
    return socket.recv_multipart(zmq.NOBLOCK)


def recv_within(socket: zmq.Socket[Any], timeout: float = RECV_TIMEOUT) -> list[bytes]:
    """The next multipart message on `socket`; the test fails if none comes within `timeout`."""
    frames = poll_within(socket, timeout)
    if frames is None:
        pytest.fail(f"Nothing received within {timeout:g} s on {socket!r}.")
    return frames


# Device simulators ---------------------------------------------------------------------------


class StartCoder(Protocol):
    """`coder_simulator`: start a coder simulator on a free loopback port."""

    def __call__(
        self,
        *,
        capacity: int = ...,
        rate: float | None = ...,
        jobs: Collection[str] | None = ...,
        keep_printed: bool = ...,
        record: str | Path | None = ...,
        triggered: bool = ...,
    ) -> CoderSimulator: ...


class StartZpl(Protocol):
    """`zpl_simulator`: start a Zebra printer simulator on a free loopback port."""

    def __call__(
        self,
        *,
        rate: float | None = ...,
        keep: bool = ...,
        buffer_formats: int = ...,
        record: str | Path | None = ...,
        triggered: bool = ...,
    ) -> ZplSimulator: ...


@pytest.fixture
def coder_simulator() -> Iterator[StartCoder]:
    """coder_simulator(**options) -> a started CoderSimulator; all are stopped at teardown."""
    started: list[CoderSimulator] = []

    def start(**options: Any) -> CoderSimulator:
        simulator = CoderSimulator(host="127.0.0.1", port=0, **options)
        started.append(simulator)
        return simulator.start()

    try:
        yield start
    finally:
        for simulator in started:
            simulator.stop()


@pytest.fixture
def zpl_simulator() -> Iterator[StartZpl]:
    """zpl_simulator(**options) -> a started ZplSimulator; all are stopped at teardown."""
    started: list[ZplSimulator] = []

    def start(**options: Any) -> ZplSimulator:
        simulator = ZplSimulator("127.0.0.1", 0, **options)
        started.append(simulator)
        return simulator.start()

    try:
        yield start
    finally:
        for simulator in started:
            simulator.stop()


class StartCamera(Protocol):
    """`camera_simulator`: start a smart-camera simulator on a free loopback port."""

    def __call__(
        self,
        kind: CameraKind,
        scene: Callable[[int], Shot],
        *,
        no_read_string: str | None = ...,
        extended_response: bool = ...,
        command_response: bool = ...,
        grade_output: bool = ...,
        grade_separator: str = ...,
        no_read_rate: float = ...,
        seed: int | None = ...,
    ) -> CameraSimulator: ...


@pytest.fixture
def camera_simulator() -> Iterator[StartCamera]:
    """camera_simulator(kind, scene, **options) -> a started CameraSimulator; all are stopped
    at teardown."""
    started: list[CameraSimulator] = []

    def start(kind: CameraKind, scene: Callable[[int], Shot], **options: Any) -> CameraSimulator:
        simulator = CameraSimulator(kind, scene, host="127.0.0.1", port=0, **options)
        started.append(simulator)
        return simulator.start()

    try:
        yield start
    finally:
        for simulator in started:
            simulator.stop()


# Store ---------------------------------------------------------------------------------------

NIE = "DKL1234567890A1"
GTIN = "08991234567891"
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store in the test's folder with one product (NIE, GTIN); closed at teardown."""
    opened = Store(tmp_path / "store", map_size=1 << 32)
    try:
        opened.add_product(
            Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus", gtin=GTIN),
            actor="qa",
        )
        yield opened
    finally:
        opened.close()


def make_request(batch: str = "B1", quantity: int = 1000, **changes: object) -> CodeRequest:
    """A valid code request for the `store` fixture's product: 12 packs a case, 40 a pallet."""
    fields: dict[str, object] = {
        "nie": NIE,
        "batch": batch,
        "expiry": "2028-10-31",
        "primary_count": quantity,
        "max_per_secondary": 12,
        "max_per_tertiary": 40,
        "requested_on": dt.date(2026, 11, 25),
    }
    return CodeRequest.parse(**{**fields, **changes})  # type: ignore[arg-type]

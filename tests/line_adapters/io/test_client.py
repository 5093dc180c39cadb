"""`LineIo` over real loopback TCP: connect refusals, a peer that breaks the protocol or hangs
up (a `Disconnected`, never an exception from poll), reconnects, and the conveyor simulator."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from jejak.engine.errors import DeviceFault, InvalidQuantity
from jejak.line_adapters.io import (
    Ack,
    Command,
    ConveyorState,
    Disconnected,
    Encoder,
    Frame,
    LineIo,
    Pong,
    State,
)
from jejak.line_adapters.sim.conveyor import ConveyorSimulator

GUARD = 30.0  # seconds: a failure guard only
HINT = "Hint: check that the peer speaks the Jejak line I/O protocol (line_adapters.io.codec)."


@pytest.fixture
def peer() -> Iterator[socket.socket]:
    """A listening loopback socket standing in for a gateway that misbehaves."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


@pytest.fixture
def sim() -> Iterator[ConveyorSimulator]:
    with ConveyorSimulator(time_factor=50.0) as simulator:
        yield simulator


def poll_until(io: LineIo, count: int) -> list[Frame | Disconnected]:
    frames: list[Frame | Disconnected] = []
    deadline = time.monotonic() + GUARD
    while len(frames) < count:
        assert time.monotonic() < deadline, frames
        frames += io.poll(0.05)
    return frames


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])


def test_timeout_is_checked() -> None:
    with pytest.raises(InvalidQuantity) as refused:
        LineIo("127.0.0.1", 1, timeout=0)
    assert str(refused.value) == (
        "Invalid line I/O timeout 0: expected seconds > 0. Hint: a PLC gateway on the line "
        "network answers within milliseconds; 2 s is ample."
    )


def test_cannot_connect() -> None:
    port = free_port()
    io = LineIo("127.0.0.1", port)
    with pytest.raises(DeviceFault) as refused:
        io.connect()
    assert str(refused.value) == (
        f"Cannot connect to line I/O '127.0.0.1:{port}': [Errno 111] Connection refused. Hint: "
        "check that the PLC gateway (or the conveyor simulator) is on, reachable and listening "
        "on that port."
    )
    assert not io.connected


@pytest.mark.parametrize(
    ("command", "name"), [("run", "RUN"), ("stop", "STOP"), ("ping", "PING"), ("fire", "FIRE")]
)
def test_commands_need_a_connection(command: str, name: str) -> None:
    io = LineIo("127.0.0.1", free_port())
    with pytest.raises(DeviceFault) as refused:
        getattr(io, command)(*([5] if command == "fire" else []))
    assert str(refused.value) == (
        f"Cannot send {name} to line I/O '{io.address}': not connected. Hint: call connect() "
        "(again after a Disconnected)."
    )
    assert io.poll(0.01) == []


def test_fire_positions_are_checked(sim: ConveyorSimulator) -> None:
    with LineIo("127.0.0.1", sim.port) as io, pytest.raises(InvalidQuantity) as refused:
        io.fire(-1)
    assert str(refused.value) == (
        "Invalid fire position -1: expected an integer from 0 to 2**63-1. Hint: encoder counts "
        "and detect numbers only grow, from the I/O's own counter."
    )


def test_a_peer_that_breaks_the_protocol_is_dropped(peer: socket.socket) -> None:
    io = LineIo("127.0.0.1", int(peer.getsockname()[1]))
    io.connect()
    conn, _ = peer.accept()
    with conn:
        conn.sendall(b"STATE RUNNING\r\nENC 5\nENC x\nENC 6\n")
        frames = poll_until(io, 3)
    assert frames == [
        State(ConveyorState.RUNNING),
        Encoder(5),
        Disconnected(
            "protocol error: Invalid line I/O line b'ENC x': expected 'ENC <encoder>' with "
            f"encoder 0 to 2**63-1, in plain decimal. {HINT}"
        ),
    ]
    assert (io.connected, io.encoder, io.state) == (False, 5, ConveyorState.RUNNING)
    assert io.poll(0.01) == []  # reported once


def test_a_peer_that_hangs_up_then_a_reconnect(peer: socket.socket) -> None:
    io = LineIo("127.0.0.1", int(peer.getsockname()[1]))
    io.connect()
    conn, _ = peer.accept()
    conn.sendall(b"ENC 7\nEN")  # an incomplete line is dropped with the connection
    conn.close()
    assert poll_until(io, 2) == [Encoder(7), Disconnected("connection closed by the line I/O")]
    io.connect()
    assert (io.connected, io.encoder, io.state) == (True, None, None)
    conn, _ = peer.accept()
    with conn:
        conn.sendall(b"C 8\nENC 9\n")  # the old half line does not join the new stream
        frames = poll_until(io, 1)
    assert isinstance(frames[0], Disconnected)
    assert frames[0].reason.startswith("protocol error: Invalid line I/O line b'C 8'")
    io.close()


def test_close_reports_nothing(sim: ConveyorSimulator) -> None:
    io = LineIo("127.0.0.1", sim.port)
    io.connect()
    assert poll_until(io, 2) == [State(ConveyorState.STOPPED), Encoder(0)]
    io.close()
    assert (io.connected, io.poll(0.01)) == (False, [])


def test_replies_in_command_order(sim: ConveyorSimulator) -> None:
    with LineIo("127.0.0.1", sim.port) as io:
        io.stop()
        io.ping()
        io.fire(10**9)
        io.stop()
        frames = [f for f in poll_until(io, 6) if not isinstance(f, Encoder | State)]
    assert frames == [Ack(Command.STOP), Pong(), Ack(Command.FIRE), Ack(Command.STOP)]


def test_the_simulator_drops_the_link(sim: ConveyorSimulator) -> None:
    with LineIo("127.0.0.1", sim.port) as io:
        io.run()
        poll_until(io, 4)
        sim.drop_connection()
        frames: list[Frame | Disconnected] = []
        deadline = time.monotonic() + GUARD
        while not frames or not isinstance(frames[-1], Disconnected):
            assert time.monotonic() < deadline, frames[-5:]
            frames += io.poll(0.05)
        assert frames[-1] == Disconnected("connection closed by the line I/O")
        with pytest.raises(DeviceFault, match="not connected"):
            io.run()
        io.connect()
        assert poll_until(io, 2)[:1] == [State(ConveyorState.STOPPED, "controller link lost")]

"""The coder simulator's own answers, over a raw socket: every reply of the dialect, its
checks, and one host at a time (the newest wins, and the old one's buffer is lost).
"""

from __future__ import annotations

import socket

import pytest

from jejak.engine.errors import InvalidQuantity
from jejak.printers.sim import CoderSimulator
from jejak.testing import StartCoder


def converse(port: int, data: bytes, lines: int) -> list[bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as link:
        link.sendall(data)
        reply = b""
        while reply.count(b"\r") < lines:
            chunk = link.recv(4096)
            assert chunk, reply
            reply += chunk
    return reply.split(b"\r")[:-1]


@pytest.mark.parametrize(
    ("data", "replies"),
    [
        (b"PSH 1|A\r", [b"ERR 5 no job selected"]),
        (b"SEL J\rPSH 1|A\r", [b"ACK", b"ERR 7 no record header defined"]),
        (b"HDR GS1\r", [b"ERR 5 no job selected"]),
        (b"SEL J\rHDR A|B\rPSH 1|x\r", [b"ACK", b"ACK", b"ERR 2 bad argument"]),
        (b"FOO\rQFR\r", [b"ERR 1 unknown command", b"ACK 3"]),
        (b"SEL a b\rQLP\r", [b"ERR 2 bad argument", b"ACK 0"]),
        (b"QST\r", [b"ACK FAULT 20 out of ink"]),
        (b"SEL J\rHDR G\rPSH 5|A\rPSH 5|B\rPSH 4|C\rPSH 6|D\r",
         [b"ACK", b"ACK", b"ACK", b"ERR 4 record number not after the previous push",
          b"ERR 4 record number not after the previous push", b"ACK"]),
        (b"SEL J\rHDR G\rPSH 1|A\rPSH 2|B\rPSH 3|C\rPSH 4|D\rQFR\r",
         [b"ACK", b"ACK", b"ACK", b"ACK", b"ACK", b"ERR 3 buffer full", b"ACK 0"]),
        (b"SEL J\rHDR G\rPSH 1|A\rSEL K\rHDR H\rCLR\rSEL K\r",
         [b"ACK", b"ACK", b"ACK", b"ERR 8 records still buffered",
          b"ERR 8 records still buffered", b"ACK", b"ACK"]),
    ],
)  # fmt: skip
def test_simulator_answers(data: bytes, replies: list[bytes], coder_simulator: StartCoder) -> None:
    sim = coder_simulator(capacity=3)
    sim.run_out_of_ink()  # nothing prints, so the buffer fills
    assert converse(sim.port, data, len(replies)) == replies


def test_simulator_checks() -> None:
    with pytest.raises(InvalidQuantity, match="Invalid coder capacity 0: expected a positive"):
        CoderSimulator(capacity=0)
    with pytest.raises(InvalidQuantity, match="Invalid print rate -1: expected prints per second"):
        CoderSimulator(rate=-1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = CoderSimulator().port
    assert CoderSimulator().connections == 0


def test_a_second_host_takes_over_and_the_buffer_is_lost(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(capacity=5)
    sim.run_out_of_ink()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as first:
        first.sendall(b"SEL J\rHDR G\rPSH 1|A\rPSH 2|B\r")
        assert sim.wait_until(lambda s: s.buffered == 2)
        assert converse(sim.port, b"QFR\r", 1) == [b"ACK 5"]  # a fresh buffer
        replies = b""
        while chunk := first.recv(64):  # until the coder closes the old connection
            replies += chunk
        assert replies == b"ACK\rACK\rACK\rACK\r"
    assert (sim.connections, sim.lost) == (2, 2)

"""The TCP server both simulators are: a port the OS picks, one host at a time under either
policy, replies written without blocking, injected calls in the server thread, clean teardown.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from jejak.printers.sim.server import Link, TcpServer
from jejak.testing import StartZpl


class Echo(TcpServer[Link]):
    """Answers every chunk in upper case and records what happened, in the server thread."""

    def __init__(self, *, takeover: bool) -> None:
        super().__init__(Link, name="echo", takeover=takeover)
        self.events: list[str] = []
        self.threads: set[str] = set()

    def _opened(self, link: Link) -> None:
        self.events.append("opened")

    def _received(self, link: Link, data: bytes) -> None:
        self.threads.add(threading.current_thread().name)
        link.send(data.upper())

    def _closed(self, link: Link) -> None:
        self.events.append("closed")


def ask(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    reply = b""
    while len(reply) < len(data):
        chunk = sock.recv(1 << 16)
        assert chunk, reply
        reply += chunk
    return reply


def test_a_port_of_its_own_and_a_clean_stop() -> None:
    server = Echo(takeover=True)
    with pytest.raises(RuntimeError, match=r"^The Echo is not started\. Hint: call start\(\)"):
        _ = server.port
    with server:
        port = server.port
        assert port > 0
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            assert ask(sock, b"abc") == b"ABC"
            assert server.threads == {"echo"}
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.port
    with pytest.raises(ConnectionRefusedError):  # nothing listens any more
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    server.start().stop()  # and it starts again


def test_a_large_reply_is_written_while_the_host_keeps_sending() -> None:
    with Echo(takeover=True) as server, socket.create_connection(
        ("127.0.0.1", server.port), timeout=5
    ) as sock:  # fmt: skip
        data = bytes(range(97, 123)) * 200_000  # 5.2 MB: more than both socket buffers
        assert ask(sock, data) == data.upper()


def test_takeover_drops_the_first_host() -> None:
    with Echo(takeover=True) as server:
        first = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        assert ask(first, b"one") == b"ONE"
        with socket.create_connection(("127.0.0.1", server.port), timeout=2) as second:
            assert ask(second, b"two") == b"TWO"
            assert first.recv(16) == b""  # closed by the server
        first.close()
        assert server.wait_until(lambda s: s.events == ["opened", "closed", "opened", "closed"])
        assert server.connections == 2


def test_without_takeover_the_second_host_waits_its_turn() -> None:
    with Echo(takeover=False) as server:
        first = socket.create_connection(("127.0.0.1", server.port), timeout=2)
        assert ask(first, b"one") == b"ONE"
        second = socket.create_connection(("127.0.0.1", server.port), timeout=2)  # the backlog
        second.sendall(b"two")
        second.settimeout(0.2)
        with pytest.raises(TimeoutError):
            second.recv(16)  # not served while the first is connected
        first.close()
        second.settimeout(2)
        assert second.recv(16) == b"TWO"
        second.close()
        assert server.wait_until(lambda s: s.connections == 2 and s.events[-1] == "closed")


def test_calls_run_in_the_server_thread_in_order() -> None:
    seen: list[tuple[int, str]] = []

    def note(n: int) -> Callable[[], None]:
        return lambda: seen.append((n, threading.current_thread().name))

    with Echo(takeover=True) as server:
        for n in range(3):
            server._call(note(n))
        assert seen == [(0, "echo"), (1, "echo"), (2, "echo")]
    server._call(note(3))  # stopped: at once, in the caller's thread
    assert seen[-1] == (3, threading.current_thread().name)


def test_a_call_returns_its_result_and_raises_its_error_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("from the server thread")

    with Echo(takeover=True) as server:
        assert server._call(lambda: (threading.current_thread().name, 42)) == ("echo", 42)
        with pytest.raises(ValueError, match=r"^from the server thread$"):
            server._call(fail)
        assert server._call(lambda: "still serving") == "still serving"


def test_a_call_not_taken_up_in_time_is_withdrawn_and_never_runs() -> None:
    release, running = threading.Event(), threading.Event()
    ran: list[str] = []

    def block() -> None:
        running.set()
        release.wait(10)

    with Echo(takeover=True) as server:
        blocker = threading.Thread(target=server._call, args=(block, 10.0))
        blocker.start()
        assert running.wait(10)  # the server thread is busy in `block`
        with pytest.raises(TimeoutError) as caught:
            server._call(lambda: ran.append("late"), 0.05)
        assert str(caught.value) == (
            "The Echo did not run an injected call within 0.05 s. Hint: is its server thread stuck?"
        )
        release.set()
        blocker.join(10)
        assert server._call(lambda: ran.append("next")) is None
    assert ran == ["next"]


def test_the_zpl_simulator_serves_one_printer_connection_at_a_time(
    zpl_simulator: StartZpl,
) -> None:
    sim = zpl_simulator()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as first:
        first.sendall(b"~HS")
        assert first.recv(1 << 10).startswith(b"\x02")
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as second:
            second.sendall(b"~HS")
            second.settimeout(0.2)
            with pytest.raises(TimeoutError):
                second.recv(1 << 10)
            first.close()
            second.settimeout(2)
            assert second.recv(1 << 10).startswith(b"\x02")  # its turn now
    assert (sim.connections, sim.status_requests) == (2, 2)

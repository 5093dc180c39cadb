"""Endpoints of the stream: parsing (with the exact refusals), loopback, exposure, IPv6."""

from __future__ import annotations

import socket
import threading

import pytest

from jejak.engine.errors import InvalidCombination, InvalidFormat
from jejak.engine.store import Store
from jejak.printers.coder.client import CoderClient
from jejak.printers.stream import Ending, PrintEngine, PrinterDriver, StreamReport
from jejak.printers.stream.endpoint import Endpoint, Role, Transport, check_exposure
from jejak.testing import StartCoder

LOOPBACK = [
    "tcp://127.0.0.1:5555", "tcp://127.0.0.1:*", "tcp://127.1.2.3:5555", "tcp://[::1]:5555",
    "tcp://localhost:5555", "tcp://LOCALHOST:1", "ipc:///run/jejak/engine.sock",
    "ipc://@jejak", "inproc://engine",
]  # fmt: skip
EVERYWHERE = ["tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://[::]:*"]
BEYOND = [*EVERYWHERE, "tcp://10.0.0.5:5555", "tcp://[fe80::1%eth0]:5555",
          "tcp://eth0:5555", "tcp://lo:5555", "tcp://line-3.example:5555",
          "tcp://[::ffff:10.0.0.5]:5555"]  # fmt: skip


@pytest.mark.parametrize("text", LOOPBACK)
def test_loopback_endpoints(text: str) -> None:
    endpoint = Endpoint.parse(text)
    assert endpoint.loopback
    assert not endpoint.everywhere
    assert check_exposure(endpoint, endpoint, curve=False, insecure=False) == []


@pytest.mark.parametrize("text", BEYOND)
def test_endpoints_beyond_loopback(text: str) -> None:
    endpoint = Endpoint.parse(text)
    assert not endpoint.loopback
    assert endpoint.everywhere is (text in EVERYWHERE)


def test_parsed_parts_and_text() -> None:
    assert Endpoint.parse("tcp://[::1]:5555") == Endpoint(Transport.TCP, "::1", 5555)
    assert Endpoint.parse("tcp://*:*") == Endpoint(Transport.TCP, "*", None)
    assert Endpoint.parse("ipc:///run/e.sock") == Endpoint(Transport.IPC, "/run/e.sock")
    for text in ("tcp://[::1]:5555", "tcp://*:*", "tcp://127.0.0.1:5555", "inproc://x"):
        assert str(Endpoint.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("127.0.0.1:5555", ("Invalid ZeroMQ endpoint '127.0.0.1:5555': expected "
         "tcp://HOST:PORT, ipc://PATH or inproc://NAME. Hint: e.g. tcp://127.0.0.1:5555.")),
        ("udp://127.0.0.1:5555", ("Invalid ZeroMQ endpoint 'udp://127.0.0.1:5555': transport "
         "'udp' is not one the stream uses; expected tcp://HOST:PORT, ipc://PATH or "
         "inproc://NAME. Hint: tcp:// between machines, ipc:// on one.")),
        ("tcp://127.0.0.1", ("Invalid ZeroMQ endpoint 'tcp://127.0.0.1': expected "
         "tcp://HOST:PORT with HOST an address, a host name or an interface, or *. Hint: e.g. "
         "tcp://127.0.0.1:5555.")),
        ("tcp://127.0.0.1:70000", ("Invalid ZeroMQ endpoint 'tcp://127.0.0.1:70000': expected "
         "a TCP port from 1 to 65535 (or *: any free port) after the host. Hint: e.g. "
         "tcp://127.0.0.1:5555.")),
        ("tcp://127.0.0.1:0", "Invalid ZeroMQ endpoint 'tcp://127.0.0.1:0': expected a TCP"),
        ("tcp://127.0.0.1:", "Invalid ZeroMQ endpoint 'tcp://127.0.0.1:': expected a TCP port"),
        ("tcp://:5555", "Invalid ZeroMQ endpoint 'tcp://:5555': expected tcp://HOST:PORT"),
        ("tcp://::1:5555", ("Invalid ZeroMQ endpoint 'tcp://::1:5555': expected "
         "tcp://HOST:PORT with HOST an address, a host name or an interface, or *. Hint: put an "
         "IPv6 address in brackets, e.g. tcp://[::1]:5555.")),
        ("tcp://[nope]:5555", ("Invalid ZeroMQ endpoint 'tcp://[nope]:5555': 'nope' in "
         "brackets is not an IPv6 address. Hint: e.g. tcp://[::1]:5555.")),
        ("tcp://a b:5555", "Invalid ZeroMQ endpoint 'tcp://a b:5555': expected tcp://HOST"),
        ("ipc://", ("Invalid ZeroMQ endpoint 'ipc://': expected a path without spaces after "
         "'ipc://'. Hint: e.g. ipc:///run/jejak/engine.sock or inproc://engine.")),
        ("inproc://a b", "Invalid ZeroMQ endpoint 'inproc://a b': expected a name without"),
        ("", "Invalid ZeroMQ endpoint '': expected tcp://HOST:PORT"),
    ],
)  # fmt: skip
def test_malformed_endpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        Endpoint.parse(text)
    assert str(caught.value).startswith(message)


def test_a_connect_endpoint_names_a_host_and_a_port() -> None:
    assert Endpoint.parse("tcp://10.0.0.5:5555", bind=False).port == 5555
    for text in ("tcp://*:5555", "tcp://10.0.0.5:*"):
        with pytest.raises(InvalidFormat, match=r"to connect to: '\*' only binds\. Hint: name"):
            Endpoint.parse(text, bind=False)


def test_junk_is_refused_cleanly() -> None:
    for junk in (None, 5555, b"tcp://127.0.0.1:5555", "tcp://" + "a" * 300 + ":1"):
        with pytest.raises(InvalidFormat, match=r"^Invalid ZeroMQ endpoint "):
            Endpoint.parse(junk)


# Exposure -----------------------------------------------------------------------------------

EVERY = Endpoint.parse("tcp://*:5555")
LOCAL = Endpoint.parse("tcp://127.0.0.1:5556")


def test_jobs_beyond_loopback_need_curve() -> None:
    with pytest.raises(InvalidCombination) as caught:
        check_exposure(EVERY, None, curve=False, insecure=False)
    assert str(caught.value) == (
        "Refused to bind 'tcp://*:5555' without CurveZMQ: it listens on every interface, so any "
        "host that reaches it could take print jobs; expected a loopback endpoint "
        "(tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, ipc://, inproc://) or "
        "CurveZMQ keys. Hint: pass --curve-secret engine.key_secret --curve-clients DIR (`jejak "
        "printer keys` writes them), or --insecure to serve in clear anyway."
    )
    assert check_exposure(EVERY, LOCAL, curve=True, insecure=False) == []
    assert check_exposure(EVERY, None, curve=False, insecure=True) == [(EVERY, Role.JOBS)]


def test_events_beyond_loopback_need_insecure_even_with_curve() -> None:
    beyond = Endpoint.parse("tcp://10.0.0.5:5556")
    with pytest.raises(InvalidCombination) as caught:
        check_exposure(LOCAL, beyond, curve=True, insecure=False)
    assert str(caught.value) == (
        "Refused to publish on 'tcp://10.0.0.5:5556': it listens on an address beyond loopback, "
        "and line events go out in clear (CurveZMQ guards print jobs only); expected a loopback "
        "endpoint (tcp://127.0.0.1:PORT, ipc://PATH). Hint: publish on loopback and relay it, or "
        "pass --insecure to publish beyond loopback anyway."
    )
    exposed = check_exposure(EVERY, beyond, curve=False, insecure=True)
    assert exposed == [(EVERY, Role.JOBS), (beyond, Role.EVENTS)]


# IPv6 ---------------------------------------------------------------------------------------


def test_ipv6_endpoints_are_told_apart() -> None:
    assert Endpoint.parse("tcp://[::1]:*").ipv6
    assert not Endpoint.parse("tcp://127.0.0.1:*").ipv6
    assert not Endpoint.parse("ipc:///run/a:b").ipv6


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_an_engine_on_ipv6_loopback_serves_a_driver(
    store: Store, coder_simulator: StartCoder
) -> None:
    device = CoderClient("127.0.0.1", coder_simulator().port)
    with PrintEngine(store, "B1", bind="tcp://[::1]:*") as engine:
        assert engine.endpoint.startswith("tcp://[::1]:")
        reports: list[StreamReport] = []
        serving = threading.Thread(target=lambda: reports.append(engine.serve(timeout=60)))
        serving.start()
        try:
            with PrinterDriver(device, engine.endpoint, printer="p1") as driver:
                assert driver.run().done
        finally:
            serving.join(60)
    assert (reports[0].ended, reports[0].printed) == (Ending.DONE, 500)

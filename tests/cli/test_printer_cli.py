"""`jejak printer ...`: keys, refusals, secure defaults, and real processes over loopback: a
whole batch printed (checked against the simulator's print record), and every long-running
command stopped by SIGTERM and by SIGINT, idle, mid-run, and in the HELLO wait of a driver
without the keys its engine requires.

Every process is killed at teardown whatever happened; bounds on waits are generous (they stop
a hung test, they do not time a stop).
"""

from __future__ import annotations

import json
import re
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

from jejak.engine.codes import Level
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import Store

if TYPE_CHECKING:
    from tests.cli.conftest import Run

JEJAK = str(Path(sys.executable).with_name("jejak"))
GENEROUS = 20.0  # seconds a process may take to start, stop or finish before the test fails
SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]
NIE = "DKL1234567890A1"


def test_keys_writes_a_pair_with_a_private_secret(run: Run, tmp_path: Path) -> None:
    result = run("printer", "keys", "--out", str(tmp_path / "keys"), "--name", "engine")
    assert result.code == 0, result.err
    public, secret = tmp_path / "keys" / "engine.key", tmp_path / "keys" / "engine.key_secret"
    assert public.is_file()
    assert secret.stat().st_mode & 0o777 == 0o600
    assert f"secret {secret} (mode 0600" in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["drive", "--kind", "zpl", "--device", "printer-1", "--engine", "tcp://127.0.0.1:1"],
            ("jejak: error: Invalid device address 'printer-1': expected HOST:PORT, e.g. "
            "10.0.0.21:9100."),
        ),
        (
            ["drive", "--kind", "coder", "--device", "h:70000", "--engine", "tcp://127.0.0.1:1"],
            "jejak: error: Invalid device address 'h:70000': expected HOST:PORT",
        ),
        (
            ["drive", "--kind", "zpl", "--device", "h:9100", "--engine", "tcp://127.0.0.1:1",
             "--curve-secret", "x.key_secret"],
            ("jejak: error: Invalid CurveZMQ options: expected both --curve-secret and "
            "--curve-server."),
        ),
        (
            ["serve", "--batch", "B1", "--curve-secret", "x.key_secret"],
            "jejak: error: Invalid --curve-secret without --curve-clients",
        ),
        (
            ["serve", "--batch", "B1", "--curve-clients", "keys"],
            "jejak: error: Invalid --curve-clients without --curve-secret",
        ),
        (
            ["serve", "--batch", "B1", "--bind", "tcp://*:5555"],
            ("jejak: error: Refused to bind 'tcp://*:5555' without CurveZMQ: it listens on every "
             "interface, so any host that reaches it could take print jobs;"),
        ),
        (
            ["serve", "--batch", "B1", "--bind", "tcp://0.0.0.0:5555"],
            "jejak: error: Refused to bind 'tcp://0.0.0.0:5555' without CurveZMQ",
        ),
        (
            ["serve", "--batch", "B1", "--bind", "tcp://10.0.0.5:5555"],
            ("jejak: error: Refused to bind 'tcp://10.0.0.5:5555' without CurveZMQ: it listens "
             "on an address beyond loopback"),
        ),
        (
            ["serve", "--batch", "B1", "--publish", "tcp://*:5556"],
            ("jejak: error: Refused to publish on 'tcp://*:5556': it listens on every "
             "interface, and line events go out in clear"),
        ),
        (
            ["serve", "--batch", "B1", "--bind", "127.0.0.1:5555"],
            ("jejak: error: Invalid ZeroMQ endpoint '127.0.0.1:5555': expected tcp://HOST:PORT, "
             "ipc://PATH or inproc://NAME. Hint: e.g. tcp://127.0.0.1:5555."),
        ),
        (
            ["serve", "--batch", "B1", "--publish", "tcp://127.0.0.1"],
            "jejak: error: Invalid ZeroMQ endpoint 'tcp://127.0.0.1': expected tcp://HOST:PORT",
        ),
        (
            ["drive", "--kind", "zpl", "--device", "h:9100", "--engine", "tcp://*:5555"],
            "jejak: error: Invalid ZeroMQ endpoint 'tcp://*:5555' to connect to: '*' only binds.",
        ),
    ],
)  # fmt: skip
def test_refusals(run: Run, argv: list[str], message: str) -> None:
    result = run("printer", *argv)
    assert result.code == 2
    assert result.err.startswith(message)


def test_insecure_serves_beyond_loopback_with_a_one_line_warning(run: Run, tmp_path: Path) -> None:
    store = open_batch(run, tmp_path, 10)
    result = run("printer", "serve", "--batch", "B1", "--bind", "tcp://*:*", "--insecure",
                 "--timeout", "0.2", "--store", store)  # fmt: skip
    assert result.code == 0, result.err
    warning, ready = result.err.splitlines()
    assert warning == (
        "jejak: warning: --insecure: serving tcp://*:* (print jobs) beyond loopback without "
        "encryption: any host that reaches it can connect. Hint: CurveZMQ (--curve-secret, "
        "--curve-clients) for print jobs, loopback for line events."
    )
    assert re.fullmatch(r"jejak: engine on tcp://0\.0\.0\.0:\d+", ready)
    report = result.json()
    assert isinstance(report, dict)
    assert (report["ended"], report["sent"]) == ("timeout", 0)


# Real processes -----------------------------------------------------------------------------


def open_batch(run: Run, tmp_path: Path, quantity: int) -> str:
    """A store with batch B1 of `quantity` packs (12 a case, 40 a pallet); its path."""
    store = str(tmp_path / "store")
    assert run("product", "add", "--nie", NIE, "--name", "A", "--packaging", "Dus", "--gtin",
               "8991234567891", "--store", store).code == 0  # fmt: skip
    assert run("batch", "open", "--nie", NIE, "--batch", "B1", "--expiry", "2028-10-31",
               "--quantity", str(quantity), "--per-secondary", "12", "--per-tertiary", "40",
               "--store", store).code == 0  # fmt: skip
    return store


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()
            process.communicate(timeout=10)  # reaps it and closes its pipes


def spawn(started: list[subprocess.Popen[str]], *argv: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [JEJAK, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    started.append(process)
    return process


def ready(pipe: IO[str] | None, pattern: str) -> re.Match[str]:
    """The process's ready line, read from `pipe` (within GENEROUS seconds), matching `pattern`."""
    assert pipe is not None
    readable, _, _ = select.select([pipe], [], [], GENEROUS)
    assert readable, f"no ready line within {GENEROUS:g} s"
    line = pipe.readline()
    matched = re.fullmatch(pattern, line.rstrip("\n"))
    assert matched, line
    return matched


def ended(process: subprocess.Popen[str], code: int = 0) -> tuple[str, str]:
    """Wait (GENEROUS seconds at most) for `process` to exit with `code`; (stdout, stderr)."""
    try:
        out, err = process.communicate(timeout=GENEROUS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{process.args!r} still running {GENEROUS:g} s after it was told to stop")
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert "error" not in err, err
    return out, err


def start_sim(started: list[subprocess.Popen[str]], kind: str, *options: str) -> tuple[
        subprocess.Popen[str], str]:  # fmt: skip
    sim = spawn(started, "printer", "sim", "--kind", kind, "--port", "0", *options)
    device = ready(sim.stdout, rf"{kind} simulator listening on (127\.0\.0\.1:\d+)")[1]
    return sim, device


def start_engine(started: list[subprocess.Popen[str]], store: str, *options: str) -> tuple[
        subprocess.Popen[str], str]:  # fmt: skip
    engine = spawn(started, "printer", "serve", "--batch", "B1", "--bind", "tcp://127.0.0.1:*",
                   "--timeout", "120", "--store", store, *options)  # fmt: skip
    endpoint = ready(engine.stderr, r"jejak: engine on (tcp://127\.0\.0\.1:\d+)")[1]
    return engine, endpoint


def batch_codes(run: Run, store: str) -> set[str]:
    """Every primary code of B1 as the record file writes it (GS as <GS>)."""
    listed = run("codes", "list", "--batch", "B1", "--form", "raw", "--store", store)
    assert listed.code == 0, listed.err
    # Not str.splitlines: it splits at a GS too.
    return {line.replace("\x1d", "<GS>") for line in listed.out.removesuffix("\n").split("\n")}


def record_lines(path: Path, at_least: int = 0) -> list[str]:
    """The lines of a print record, once it holds `at_least` (within GENEROUS seconds)."""
    deadline = time.monotonic() + GENEROUS
    while True:
        lines = path.read_text("ascii").splitlines() if path.exists() else []
        if len(lines) >= at_least:
            return lines
        assert time.monotonic() < deadline, f"{len(lines)} of {at_least} codes printed"
        time.sleep(0.05)


def check_record(lines: list[str], codes: set[str]) -> None:
    """No code printed twice, and every one printed a code of the batch."""
    assert [line for line, n in Counter(lines).items() if n > 1] == []
    assert set(lines) <= codes


def ledger(store: str) -> dict[PrintOutcome, int]:
    opened = Store(Path(store))
    try:
        return PrintLedger(opened, "B1", Level.PRIMARY).counts()
    finally:
        opened.close()


@pytest.mark.parametrize("kind", ["zpl", "coder"])
def test_a_batch_printed_by_real_processes(
    run: Run, tmp_path: Path, processes: list[subprocess.Popen[str]], kind: str
) -> None:
    store = open_batch(run, tmp_path, 1500)
    record = tmp_path / "printed.txt"
    sim, device = start_sim(processes, kind, "--record", str(record))
    engine, endpoint = start_engine(processes, store)
    driver = subprocess.run(
        [JEJAK, "printer", "drive", "--kind", kind, "--device", device, "--engine", endpoint,
         "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert driver.returncode == 0, driver.stderr
    assert json.loads(driver.stdout) == {
        "printer": f"{kind}@{device}", "received": 1500, "printed": 1500, "failed": 0,
        "unknown": 0, "reconnects": 0, "done": True,
    }  # fmt: skip
    assert driver.stderr.splitlines() == [
        f"jejak: driver {kind}@{device} connecting to {endpoint}, {kind} device at {device}",
        f"jejak: driver {kind}@{device} welcomed: batch B1, level primary",
    ]
    out, _ = ended(engine)
    report = json.loads(out)
    assert (report["sent"], report["printed"], report["unknown"]) == (1500, 1500, 0)
    assert report["ended"] == "done"
    shown = run("batch", "show", "B1", "--json", "--store", store).json()
    assert isinstance(shown, dict)
    assert shown["levels"]["primary"]["states"] == {"Encoded": 1500}
    sim.send_signal(signal.SIGTERM)
    out, _ = ended(sim)
    assert out.splitlines()[-1] == f"{kind} simulator stopped: printed 1500"
    lines = record_lines(record)
    check_record(lines, batch_codes(run, store))
    assert len(lines) == 1500


# Stopping: SIGTERM and SIGINT ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["zpl", "coder"])
@pytest.mark.parametrize("sig", SIGNALS)
def test_sim_stops_on_a_signal(
    processes: list[subprocess.Popen[str]], kind: str, sig: signal.Signals
) -> None:
    sim, _ = start_sim(processes, kind)
    sim.send_signal(sig)
    out, err = ended(sim)
    assert (out, err) == (f"{kind} simulator stopped: printed 0\n", "")


@pytest.mark.parametrize("sig", SIGNALS)
def test_an_idle_serve_stops_on_a_signal(
    run: Run, tmp_path: Path, processes: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    store = open_batch(run, tmp_path, 10)
    engine, _ = start_engine(processes, store)
    engine.send_signal(sig)
    out, _ = ended(engine)
    report = json.loads(out)
    assert (report["batch"], report["ended"], report["sent"], report["sessions"]) == (
        "B1", "stopped", 0, 0)  # fmt: skip


@pytest.mark.parametrize("sig", SIGNALS)
def test_a_driver_without_the_keys_its_engine_requires_stops_on_a_signal(
    run: Run, tmp_path: Path, processes: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    store = open_batch(run, tmp_path, 10)
    keys = tmp_path / "keys"
    assert run("printer", "keys", "--out", str(keys / "engine"), "--name", "engine").code == 0
    assert run("printer", "keys", "--out", str(keys / "drivers"), "--name", "d1").code == 0
    _, device = start_sim(processes, "coder")
    engine, endpoint = start_engine(processes, store, "--curve-secret",
                                    str(keys / "engine" / "engine.key_secret"),
                                    "--curve-clients", str(keys / "drivers"))  # fmt: skip
    driver = spawn(processes, "printer", "drive", "--kind", "coder", "--device", device,
                   "--engine", endpoint, "--json")  # fmt: skip
    ready(driver.stderr, r"jejak: driver \S+ connecting to \S+, coder device at \S+")
    time.sleep(0.5)  # into the HELLO wait, which no WELCOME will end
    driver.send_signal(sig)
    out, _ = ended(driver)
    assert json.loads(out) == {
        "printer": f"coder@{device}", "received": 0, "printed": 0, "failed": 0, "unknown": 0,
        "reconnects": 0, "done": False,
    }  # fmt: skip
    engine.send_signal(sig)
    out, _ = ended(engine)
    assert json.loads(out)["sessions"] == 0


@pytest.mark.parametrize("sig", SIGNALS)
def test_serve_and_drive_stop_on_a_signal_mid_run(
    run: Run, tmp_path: Path, processes: list[subprocess.Popen[str]], sig: signal.Signals
) -> None:
    store = open_batch(run, tmp_path, 5000)
    record = tmp_path / "printed.txt"
    sim, device = start_sim(processes, "coder", "--rate", "200", "--record", str(record))
    engine, endpoint = start_engine(processes, store)
    driver = spawn(processes, "printer", "drive", "--kind", "coder", "--device", device,
                   "--engine", endpoint, "--json")  # fmt: skip
    ready(driver.stderr, r"jejak: driver \S+ connecting to \S+, coder device at \S+")
    record_lines(record, at_least=50)  # the line is running
    engine.send_signal(sig)
    out, _ = ended(engine)
    report: dict[str, Any] = json.loads(out)
    assert report["ended"] == "stopped"
    assert 0 < report["printed"] < report["sent"] < 5000
    assert report["unknown"] == report["sent"] - report["printed"] - report["failed"] > 0
    outcomes = ledger(store)  # jobs in flight were settled: nothing is left SENT
    assert outcomes[PrintOutcome.SENT] == 0
    assert outcomes[PrintOutcome.UNKNOWN] == report["unknown"]
    driver.send_signal(sig)  # its engine is gone: it stops all the same
    out, _ = ended(driver)
    summary = json.loads(out)
    assert summary["done"] is False
    assert summary["received"] == report["sent"]
    sim.send_signal(sig)
    ended(sim)
    check_record(record_lines(record), batch_codes(run, store))

"""`jejak printer ...`: keys, refusals, and a whole run of real processes over loopback."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Run

JEJAK = str(Path(sys.executable).with_name("jejak"))


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
    ],
)  # fmt: skip
def test_refusals(run: Run, argv: list[str], message: str) -> None:
    result = run("printer", *argv)
    assert result.code == 2
    assert result.err.startswith(message)


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


@pytest.mark.parametrize("kind", ["zpl", "coder"])
def test_a_batch_printed_by_real_processes(
    run: Run, tmp_path: Path, processes: list[subprocess.Popen[str]], kind: str
) -> None:
    store = str(tmp_path / "store")
    assert run("product", "add", "--nie", "DKL1234567890A1", "--name", "A", "--packaging",
               "Dus", "--gtin", "8991234567891", "--store", store).code == 0  # fmt: skip
    assert run("batch", "open", "--nie", "DKL1234567890A1", "--batch", "B1", "--expiry",
               "2028-10-31", "--quantity", "1500", "--per-secondary", "12", "--per-tertiary",
               "40", "--store", store).code == 0  # fmt: skip
    sim = spawn(processes, "printer", "sim", "--kind", kind, "--port", "0")
    assert sim.stdout is not None
    listening = sim.stdout.readline()
    device = re.fullmatch(r"\w+ simulator listening on (127\.0\.0\.1:\d+)\n", listening)
    assert device, listening
    engine = spawn(processes, "printer", "serve", "--batch", "B1", "--bind",
                   "tcp://127.0.0.1:*", "--timeout", "60", "--store", store)  # fmt: skip
    assert engine.stderr is not None
    announced = re.fullmatch(r"jejak: engine on (tcp://127\.0\.0\.1:\d+)\n",
                             engine.stderr.readline())  # fmt: skip
    assert announced
    driver = subprocess.run(
        [JEJAK, "printer", "drive", "--kind", kind, "--device", device[1], "--engine",
         announced[1], "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert driver.returncode == 0, driver.stderr
    assert json.loads(driver.stdout) == {
        "printer": f"{kind}@{device[1]}", "received": 1500, "printed": 1500, "failed": 0,
        "unknown": 0, "reconnects": 0, "done": True,
    }  # fmt: skip
    out, err = engine.communicate(timeout=30)
    assert engine.returncode == 0, err
    report = json.loads(out)
    assert (report["sent"], report["printed"], report["unknown"]) == (1500, 1500, 0)
    shown = run("batch", "show", "B1", "--json", "--store", store).json()
    assert isinstance(shown, dict)
    assert shown["levels"]["primary"]["states"] == {"Encoded": 1500}

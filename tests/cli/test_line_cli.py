"""`jejak line run|status|command|resume` as real processes, on devices this test starts on
loopback: a coder simulator in triggered mode, a conveyor whose product detect fires the
printer's print-go and whose photo-eye at the camera fires the camera simulator's trigger
input, and a Cognex camera simulator that photographs the pack at its eye (real pixels, decoded
by zxing-cpp). A ``line.toml`` written by the test points `jejak line run` at them. Bad
configurations and options go through `main([...])`: one line on stderr and exit 2."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from numpy.typing import NDArray

from jejak.engine.product import Product
from jejak.engine.store import EventKind, Store
from jejak.line_adapters.camera.result import CameraKind
from jejak.line_adapters.sim.camera import CameraSimulator
from jejak.line_adapters.sim.conveyor import ConveyorSimulator, Pack
from jejak.line_adapters.sim.line import SimSettings
from jejak.line_adapters.sim.photograph import Photographer
from jejak.line_adapters.sim.runs import Run as RecordedRun
from jejak.line_adapters.sim.scene import PixelScene, label_pixels
from jejak.printers.sim import CoderSimulator
from jejak.printers.symbols import SymbolKind
from jejak.testing import FORMAT, GTIN, NIE, make_request

if TYPE_CHECKING:
    from tests.cli.conftest import Run

JEJAK = str(Path(sys.executable).with_name("jejak"))
GUARD = 60.0  # seconds: failure guards only
DATAMATRIX = SymbolKind.GS1_DATAMATRIX


class Line:
    """The devices of one line, wired as a packaging line is (see the module)."""

    def __init__(self, units: int) -> None:
        self.printer = CoderSimulator(capacity=400, triggered=True)
        self.eyed: list[Pack | None] = []
        self.conveyor = ConveyorSimulator(
            ppm=120, time_factor=10, pitch=1000, camera_at=3000, reject_at=12000,
            print_go=self.printer.print_go, camera_eye=self._eye, packs=units, seed=1,
        )  # fmt: skip
        scene = PixelScene(self._label, DATAMATRIX, Photographer(seed=1), grade=True)
        self.camera = CameraSimulator(CameraKind.COGNEX, scene, grade_output=True)

    def _eye(self, pack: Pack | None) -> None:
        self.eyed.append(pack)
        self.camera.trigger_input()

    def _label(self, n: int) -> NDArray[np.uint8] | None:
        pack = self.eyed[n - 1] if 0 < n <= len(self.eyed) else None
        if pack is None or pack.imprint is None:
            return None
        return label_pixels(pack.imprint.data, DATAMATRIX)

    def __enter__(self) -> Line:
        for device in (self.printer, self.conveyor, self.camera):
            device.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for device in (self.camera, self.conveyor, self.printer):
            device.stop()

    def toml(self, control: str) -> str:
        return f"""\
[line]
name = "line-7"
ppm = 120
control = "{control}"

[printer]
kind = "coder"
address = "127.0.0.1:{self.printer.port}"
low = 20
high = 60

[camera]
kind = "cognex"
address = "127.0.0.1:{self.camera.port}"
no_read = "NoRead"
grade_separator = ","
min_grade = "C"
trigger = "hardware"

[io]
address = "127.0.0.1:{self.conveyor.port}"
pitch = 1000
camera_at = 3000
reject_at = 12000
trigger_lead = 250
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_store(path: Path, batches: dict[str, int]) -> Path:
    """A store with the test product and these batches (name: packs); closed again, for the
    processes to open."""
    with Store(path, map_size=1 << 30) as store:
        store.add_product(Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus",
                                        gtin=GTIN), actor="qa")  # fmt: skip
        for batch, packs in batches.items():
            store.open_batch(make_request(batch, quantity=packs), serial_format=FORMAT,
                             overage_pct=0, actor="qa")  # fmt: skip
    return path


def jejak(*args: str, timeout: float = GUARD) -> subprocess.CompletedProcess[str]:
    return subprocess.run([JEJAK, *args], capture_output=True, text=True, timeout=timeout,
                          check=False)  # fmt: skip


def status(control: str) -> dict[str, Any]:
    shown = jejak("line", "status", "--json", "--control", control)
    assert shown.returncode == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


@pytest.fixture
def line(tmp_path: Path) -> Iterator[tuple[Line, Path, str, Path]]:
    """The devices, the line.toml pointing at them, its control endpoint and a store with
    batch B1 of 100 packs."""
    control = f"tcp://127.0.0.1:{free_port()}"
    with Line(100) as devices:
        config = tmp_path / "line.toml"
        config.write_text(devices.toml(control), encoding="utf-8")
        yield devices, config, control, make_store(tmp_path / "store", {"B1": 100})


def test_a_line_runs_watched_and_commanded_from_other_processes(
    line: tuple[Line, Path, str, Path],
) -> None:
    devices, config, control, store = line
    running = subprocess.Popen(
        [JEJAK, "line", "run", "--config", str(config), "--batch", "B1", "--store", str(store),
         "--units", "80", "--json", "--actor", "operator"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + GUARD
        while devices.conveyor.entered < 10:
            assert running.poll() is None, running.communicate()
            assert time.monotonic() < deadline, "the belt never ran"
            time.sleep(0.01)
        held = jejak("line", "command", "hold", "--control", control)
        assert (held.returncode, held.stdout, held.stderr) == (0, "Held\n", "")
        assert devices.conveyor.running is False or wait_stopped(devices)
        watched = status(control)
        assert (watched["line"], watched["batch"], watched["state"]) == ("line-7", "B1", "Held")
        assert watched["packtags"]["StateCurrentName"] == "Held"
        assert watched["packtags"]["Admin.StopReason"] == "operator command"
        assert 10 <= watched["packs"] <= 80
        refused = jejak("line", "command", "suspend", "--control", control)
        assert refused.returncode == 1
        assert refused.stderr == (
            "jejak: error: Illegal PackML command Suspend in state Held: expected one of Stop, "
            "Unhold, Abort. Hint: the path to production is Stopped -Reset-> Resetting -> Idle "
            "-Start-> Starting -> Execute; `jejak line status` shows the state.\n"
        )
        shown = jejak("line", "status", "--control", control)
        assert shown.stdout.splitlines()[0] == "line-7 batch B1: Held (Production), 0 packs/min"
        unheld = jejak("line", "command", "unhold", "--control", control)
        assert (unheld.returncode, unheld.stdout) == (0, "Execute\n")
        out, err = running.communicate(timeout=GUARD)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 0, err
    summary = json.loads(out)
    assert (summary["batch"], summary["units"], summary["printed"]) == ("B1", 80, 80)
    assert summary["commissioned"] == 80
    assert summary["balanced"] is True
    assert sum(summary["rejected"].values()) == 0
    assert len(devices.conveyor.good) == 80  # every pack off the belt, in the good bin
    shown = json.loads(jejak("batch", "show", "B1", "--store", str(store), "--json").stdout)
    assert shown["status"] == "closed"


def wait_stopped(devices: Line) -> bool:
    deadline = time.monotonic() + GUARD
    while devices.conveyor.running:
        assert time.monotonic() < deadline, "the belt did not stop"
        time.sleep(0.001)
    return True


# Refusals --------------------------------------------------------------------------------------

GOOD_TOML = """\
[line]
control = "tcp://127.0.0.1:7460"
[printer]
kind = "coder"
address = "127.0.0.1:1"
[camera]
kind = "cognex"
address = "127.0.0.1:2"
[io]
address = "127.0.0.1:3"
"""


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (GOOD_TOML.replace("control", "contrl"),
         ("Unknown line configuration key 'line.contrl': expected one of line.control, "
         "line.name, line.ppm, line.publish. Hint: check its spelling.")),
        (GOOD_TOML.replace('kind = "coder"', 'kind = "inkjet"'),
         ("Invalid printer.kind 'inkjet': expected one of 'zpl', 'coder'. Hint: the kind of "
         "device at that address.")),
        (GOOD_TOML.replace("[io]", "[io]\npitch = 0"),
         ("Invalid io.pitch 0: expected a number from 1 to 1e+09. Hint: see the README's "
         "example line.toml.")),
        (GOOD_TOML.replace("[io]\naddress", "[conveyor]\naddress"),
         ("Unknown line configuration key 'conveyor': expected one of camera, io, line, "
         "printer. Hint: check its spelling.")),
        ("[line\n", None),
    ],
    ids=["unknown-key", "bad-kind", "bad-number", "unknown-table", "not-toml"],
)  # fmt: skip
def test_a_bad_configuration_is_one_line_and_exit_2(
    run: Run, tmp_path: Path, toml: str, message: str | None
) -> None:
    config = tmp_path / "line.toml"
    config.write_text(toml, encoding="utf-8")
    result = run("line", "run", "--config", str(config), "--batch", "B1", "--store",
                 str(tmp_path / "store"))  # fmt: skip
    assert result.code == 2
    assert result.err.count("\n") == 1
    if message is None:
        assert result.err.startswith(f"jejak: error: Invalid line configuration {str(config)!r}")
        assert result.err.endswith("Hint: it is TOML; see the README's example line.toml.\n")
    else:
        assert result.err == f"jejak: error: {message}\n"
    assert not (tmp_path / "store").exists()  # refused before the store was touched


def test_a_missing_configuration_is_one_line_and_exit_2(run: Run, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "line.toml"
    result = run("line", "run", "--config", str(missing), "--batch", "B1", "--store",
                 str(tmp_path / "store"))  # fmt: skip
    assert result.code == 2
    assert result.err == (
        f"jejak: error: Cannot read the line configuration {str(missing)!r}: [Errno 2] No such "
        f"file or directory: {str(missing)!r}. Hint: give the path of a UTF-8 TOML file (see "
        "the README's example line.toml).\n"
    )


def test_a_missing_configuration_as_a_process_has_no_traceback(tmp_path: Path) -> None:
    result = jejak("line", "run", "--config", str(tmp_path / "line.toml"), "--batch", "B1",
                   "--store", str(tmp_path / "store"))  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("jejak: error: Cannot read the line configuration")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--units", "0", ("Invalid --units 0: expected a number of packs, 1 or more. Hint: leave "
      "it out to run every code the batch has left.")),
     ("--units", "-5", ("Invalid --units -5: expected a number of packs, 1 or more. Hint: leave "
      "it out to run every code the batch has left.")),
     ("--sample-every", "0", ("Invalid --sample-every 0: expected a number of good packs, 1 or "
      "more. Hint: leave it out to take no retained samples."))],
)  # fmt: skip
def test_bad_run_options_are_refused_before_the_line_runs(
    run: Run, tmp_path: Path, option: str, value: str, message: str
) -> None:
    config = tmp_path / "line.toml"
    config.write_text(GOOD_TOML, encoding="utf-8")
    store = make_store(tmp_path / "store", {"B1": 10})
    result = run("line", "run", "--config", str(config), "--batch", "B1", "--store", str(store),
                 option, value)  # fmt: skip
    assert (result.code, result.err) == (2, f"jejak: error: {message}\n")


def test_a_batch_the_line_cannot_run_is_refused_before_the_devices(
    run: Run, tmp_path: Path
) -> None:
    config = tmp_path / "line.toml"
    config.write_text(GOOD_TOML, encoding="utf-8")  # devices nobody listens for
    store = make_store(tmp_path / "store", {"B1": 10, "B2": 10})
    with Store(store, map_size=1 << 30) as opened:
        opened.close_batch("B2", actor="qa")
    cases = {
        "B2": "Batch 'B2' is closed: expected an open batch. Hint: a closed batch is "
        "reconciled for good; open a new batch for more packs.",
        "B3": "Unknown batch 'B3'. Hint: open it with `jejak batch open`, or list codes of an "
        "existing batch.",
    }
    for batch, message in cases.items():
        result = run("line", "run", "--config", str(config), "--batch", batch, "--store",
                     str(store))  # fmt: skip
        assert (result.code, result.err) == (1, f"jejak: error: {message}\n")
    result = run("line", "run", "--config", str(config), "--batch", "B1", "--store",
                 str(store), "--units", "11")  # fmt: skip
    assert (result.code, result.err) == (1, (
        "jejak: error: Invalid pack count 11 for batch 'B1': it has 10 codes left to print. "
        "Hint: run at most 10, or leave the count out to run them all.\n"))  # fmt: skip


# Resume --------------------------------------------------------------------------------------


@pytest.mark.parametrize("batches", [{}, {"B1": 10}], ids=["empty-store", "a-batch-never-run"])
def test_resume_with_nothing_interrupted(run: Run, tmp_path: Path, batches: dict[str, int]) -> None:
    store = make_store(tmp_path / "store", batches)
    result = run("line", "resume", "--store", str(store), "--json")
    assert (result.code, result.err) == (0, "")
    summary = result.json()
    assert isinstance(summary, dict)
    assert summary["lines"] == []
    assert summary["balanced"] is True
    text = run("line", "resume", "--store", str(store))
    assert (text.code, text.out) == (0, "nothing to resume: every run in this store ended\n")


def test_a_resume_that_fails_says_so_in_one_line(tmp_path: Path) -> None:
    """A recorded run of more packs than its batch has codes: the resume refuses it with the
    line's error, one line on stderr, no traceback from the thread that ran it."""
    store = make_store(tmp_path / "store", {"B1": 10})
    with Store(store, map_size=1 << 30) as opened, opened.unit_of_work("qa") as uow:
        run = RecordedRun("line-1", "B1", 50, SimSettings())
        uow.event(EventKind.LINE_RUN, run.to_json(), batch=opened.batch("B1"))
    result = jejak("line", "resume", "--store", str(store), "--json")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "jejak: error: Invalid pack count 50 for batch 'B1': it has 10 codes left to print. "
        "Hint: run at most 10, or leave the count out to run them all.\n"
    )

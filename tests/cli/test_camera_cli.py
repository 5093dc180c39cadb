"""`jejak camera sim`: the code file in every form `codes parse` takes, every refusal as one line
and exit 2, and real processes: a camera simulator per kind driven by the camera client over
loopback, stopped by SIGTERM and SIGINT.

Every process is killed at teardown whatever happened; bounds on waits are generous (they stop
a hung test, they do not time a stop).
"""

from __future__ import annotations

import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from jejak.cli.camera import _KINDS, read_codes
from jejak.engine.errors import InvalidFormat
from jejak.engine.gs1 import ElementString
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera import Camera, CameraKind, CameraResult, make_camera

if TYPE_CHECKING:
    from tests.cli.conftest import Run

JEJAK = str(Path(sys.executable).with_name("jejak"))
GENEROUS = 20.0
GS = "\x1d"
HRI = [f"(01)08991234567891(17)281031(10)B,1(21)SN{n:03d}" for n in range(1, 7)]
RAW = [ElementString.parse(hri).raw for hri in HRI]


def codes_file(tmp_path: Path, text: str, name: str = "codes.txt") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_kinds_are_the_camera_kinds() -> None:
    assert tuple(kind.value for kind in CameraKind) == _KINDS


def test_every_form_codes_parse_takes(tmp_path: Path) -> None:
    lines = [
        HRI[0],  # HRI
        RAW[1],  # raw with GS
        RAW[2].replace(GS, "<GS>"),  # as `printer sim --record` writes it
        RAW[3].replace(GS, "\\x1d"),  # typed
        "]d2" + RAW[4],  # as a reader sends it
        "  ]Q3" + RAW[5] + " ",  # another identifier, spaces around
    ]
    name = codes_file(tmp_path, "\r\n".join(lines[:3]) + "\n\n" + "\n".join(lines[3:]) + "\n")
    assert read_codes(name) == [raw.encode() for raw in RAW]


# Refusals, in process ---------------------------------------------------------------------


def test_a_bad_code_names_its_line(run: Run, tmp_path: Path) -> None:
    name = codes_file(tmp_path, f"{HRI[0]}\n\n(01)08991234567890(21)X\n")
    result = run("camera", "sim", "--kind", "cognex", "--port", "0", "--codes", name)
    assert result.code == 2
    assert result.err == (
        f"jejak: error: Invalid code file {name!r}, line 3: Invalid (01) GTIN check digit for "
        "'08991234567890': expected 1, got 0. Hint: re-type the GTIN from the product master; a "
        "single wrong digit changes the check digit.\n"
    )


PORT_RULE = (
    "expected 0 to 65535 (0: any free port). Hint: readers use 23 (Cognex) and 9004 (Keyence); "
    "on a test machine pick one above 1023, or 0."
)
RATE_RULE = "expected a fraction from 0 to 1. Hint: 0.01 makes one trigger in a hundred a no-read."


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], f"Invalid port 70000: {PORT_RULE}"),
        (["--port", "-1"], f"Invalid port -1: {PORT_RULE}"),
        (["--seed", "-3"], ("Invalid seed -3: expected an integer >= 0. Hint: the same seed "
         "gives the same photographs and no-reads.")),
        (["--no-read-rate", "1.5"], f"Invalid no-read rate 1.5: {RATE_RULE}"),
        (["--no-read-rate", "nan"], f"Invalid no-read rate nan: {RATE_RULE}"),
        (["--grade", "--grade-separator", "x"], ("Invalid grade separator 'x': expected 1 to 8 "
         "printable ASCII characters with no letter, digit or '.', which a grade could contain. "
         "Hint: use ',' or ';' as the readers do.")),
        (["--no-read-string", "OK,LON"], ("Invalid no-read string 'OK,LON': expected 1 to 128 "
         "printable ASCII characters that do not begin like a command response ('||', 'OK,', "
         "'ER,'). Hint: the reader's no-read string, e.g. 'NoRead' (Cognex) or 'ERROR' "
         "(Keyence).")),
        (["--host", "no.such.host.invalid"], ("Invalid host 'no.such.host.invalid': cannot "
         "listen there (")),
        (["--codes", "{tmp}/missing.txt"], ("Invalid code file '{tmp}/missing.txt': it does not "
         "exist, expected a file. Hint: check the path.")),
        (["--codes", "{tmp}/empty.txt"], ("Invalid code file '{tmp}/empty.txt': no code in it, "
         "expected one code a line. Hint: e.g. `jejak codes list --batch B1 > codes.txt`.")),
        (["--codes", "{tmp}"], ("Invalid code file '{tmp}': it is not a regular file (a "
         "directory?), expected a file. Hint: name the file inside it.")),
        (["--kind", "sick"], ("jejak camera sim: argument --kind: invalid choice: 'sick' "
         "(choose from 'cognex', 'keyence'). Hint: see `jejak camera sim --help`.")),
        (["--port", "x"], ("jejak camera sim: argument --port: invalid int value: 'x'. Hint: "
         "see `jejak camera sim --help`.")),
    ],
)  # fmt: skip
def test_refusals(run: Run, tmp_path: Path, argv: list[str], message: str) -> None:
    codes = codes_file(tmp_path, HRI[0] + "\n")
    codes_file(tmp_path, "\n \n", "empty.txt")
    words = [word.replace("{tmp}", str(tmp_path)) for word in argv]
    # The options given last win (argparse keeps the last value of an option given twice).
    result = run("camera", "sim", "--kind", "keyence", "--port", "0", "--codes", codes, *words)
    assert result.code == 2
    expected = "jejak: error: " + message.replace("{tmp}", str(tmp_path))
    if expected.endswith("("):  # the system's words for an unknown host follow
        assert result.err.startswith(expected), result.err
        assert result.err.endswith(
            "), expected an address of this machine. Hint: 127.0.0.1 for a simulator on this "
            "machine.\n"
        )
        assert result.err.count("\n") == 1
    else:
        assert result.err == expected + "\n"


def test_a_port_in_use(run: Run, tmp_path: Path) -> None:
    codes = codes_file(tmp_path, HRI[0] + "\n")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("camera", "sim", "--kind", "cognex", "--port", str(port), "--codes", codes)
    assert result.code == 2
    assert result.err == (
        f"jejak: error: Invalid port {port}: it is in use on 127.0.0.1, expected a free port. "
        "Hint: stop what listens there, pick another port, or 0 for any free port.\n"
    )


def test_the_file_is_read_as_the_other_commands_read_files(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes("\ufeff(01)08991234567891".encode("utf-16"))
    with pytest.raises(InvalidFormat, match="UTF-16"):
        read_codes(str(path))


# Real processes ------------------------------------------------------------------------------


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            process.kill()
            process.communicate(timeout=10)


def start_sim(
    started: list[subprocess.Popen[str]], *argv: str
) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [JEJAK, "camera", "sim", "--port", "0", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    readable, _, _ = select.select([process.stdout], [], [], GENEROUS)
    assert readable, f"no ready line within {GENEROUS:g} s"
    line = process.stdout.readline().rstrip("\n")
    matched = re.fullmatch(
        r"(cognex|keyence) camera simulator listening on 127\.0\.0\.1:(\d+) \((\d+) codes\)", line
    )
    assert matched, line
    return process, int(matched[2])


def stopped(process: subprocess.Popen[str], sig: signal.Signals) -> str:
    process.send_signal(sig)
    try:
        out, err = process.communicate(timeout=GENEROUS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running {GENEROUS:g} s after {sig.name}")
    assert process.returncode == 0, err
    assert err == ""
    return out


def triggered(camera: Camera, count: int) -> list[CameraResult]:
    """Connect, trigger `count` times, and collect the results (within GENEROUS seconds)."""
    camera.connect()
    try:
        numbers = [camera.trigger() for _ in range(count)]
        results: list[CameraResult] = []
        deadline = time.monotonic() + GENEROUS
        while len(results) < count:
            assert time.monotonic() < deadline, results
            results += [e for e in camera.poll(0.1) if isinstance(e, CameraResult)]
    finally:
        camera.close()
    assert [r.trigger for r in results] == numbers
    return results


@pytest.mark.parametrize("kind", [CameraKind.COGNEX, CameraKind.KEYENCE])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_camera_process_photographs_the_codes_in_order(
    processes: list[subprocess.Popen[str]], tmp_path: Path, kind: CameraKind, sig: signal.Signals
) -> None:
    codes = codes_file(tmp_path, "\n".join(HRI) + "\n")
    process, port = start_sim(processes, "--kind", kind.value, "--codes", codes, "--seed", "2")
    results = triggered(make_camera(kind, "127.0.0.1", port), len(HRI) + 2)
    read = [r for r in results[: len(HRI)] if not r.no_read]
    assert all(
        (r.data, r.symbology) == (RAW[r.trigger - 1].encode(), Symbology.GS1_DATAMATRIX)
        for r in read
    )
    assert len(read) >= len(HRI) - 2  # photographs with blur and noise: most read
    assert results[-2].no_read  # after the last code: packs without a label
    assert results[-1].no_read
    no_reads = len(results) - len(read)
    assert stopped(process, sig) == (
        f"{kind.value} camera simulator stopped: {len(results)} triggers, {no_reads} no-reads\n"
    )


def test_a_qr_camera_with_grades_and_a_no_read_rate(
    processes: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    codes = codes_file(tmp_path, "\n".join(HRI) + "\n")
    process, port = start_sim(processes, "--kind", "keyence", "--codes", codes, "--symbology",
                              "qr", "--grade", "--grade-separator", ";", "--no-read-rate", "1",
                              "--no-read-string", "NOREAD", "--no-responses")  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=GENEROUS) as sock:
        sock.sendall(b"LON\rLON\r")
        received = b""
        while received.count(b"\r") < 2:
            received += sock.recv(4096)
    assert received == b"NOREAD\rNOREAD\r"  # every trigger a no-read, and no OK,LON
    assert stopped(process, signal.SIGTERM).endswith(": 2 triggers, 2 no-reads\n")


def test_a_qr_camera_appends_grades(processes: list[subprocess.Popen[str]], tmp_path: Path) -> None:
    codes = codes_file(tmp_path, HRI[0] + "\n")
    process, port = start_sim(processes, "--kind", "cognex", "--codes", codes, "--symbology",
                              "qr", "--grade", "--seed", "4")  # fmt: skip
    camera = make_camera(CameraKind.COGNEX, "127.0.0.1", port, grade_output=True)
    [result] = triggered(camera, 1)
    assert (result.data, result.symbology) == (RAW[0].encode(), Symbology.GS1_QR)
    assert result.grade is not None  # measured on the photograph (seeded: the same each run)
    stopped(process, signal.SIGTERM)

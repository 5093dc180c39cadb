"""The line configuration: the README's example reads as written, and each bad value is named."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.line_adapters.config import Address, LineConfig
from jejak.printers.device import DeviceKind

EXAMPLE = """
[line]
name = "line-3"
ppm = 450
control = "tcp://127.0.0.1:7470"

[printer]
kind = "zpl"
address = "192.168.10.21"
dpi = 203

[camera]
kind = "keyence"
address = "192.168.10.31"
grade_separator = ","
min_grade = "B"

[io]
address = "192.168.10.41:5020"
pitch = 800
camera_at = 2400
reject_at = 4000
"""


def minimal(**changes: dict[str, Any]) -> dict[str, Any]:
    tables: dict[str, Any] = {
        "printer": {"kind": "coder", "address": "10.0.0.1:3000"},
        "camera": {"kind": "cognex", "address": "10.0.0.2"},
        "io": {"address": "10.0.0.3:5020"},
    }
    for name, table in changes.items():
        tables[name] = {**tables.get(name, {}), **table}
    return tables


def test_the_example_reads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "line.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    config = LineConfig.load(path)
    assert (config.name, config.ppm, config.control, config.publish) == (
        "line-3", 450.0, "tcp://127.0.0.1:7470", None
    )  # fmt: skip
    assert (config.printer.kind, config.printer.address, config.printer.dpi) == (
        DeviceKind.ZPL, Address("192.168.10.21", 9100), 203
    )  # fmt: skip
    camera = config.camera
    assert (camera.kind, camera.address, camera.no_read, camera.grade_separator) == (
        CameraKind.KEYENCE, Address("192.168.10.31", 9004), "ERROR", ","
    )  # fmt: skip
    assert camera.min_grade == Grade.parse("B")
    assert (config.io.pitch, config.io.camera_at, config.io.reject_at) == (800, 2400, 4000)


def test_the_readme_example_is_a_valid_line_toml() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("An example `line.toml`:\n\n```toml\n", 1)[1].split("```", 1)[0]
    config = LineConfig.parse(tomllib.loads(example))
    assert (config.printer.kind, config.camera.kind, config.io.reject_at) == (
        DeviceKind.ZPL, CameraKind.COGNEX, 6000
    )  # fmt: skip


def test_defaults_fill_what_a_line_leaves_out() -> None:
    config = LineConfig.parse(minimal())
    assert (config.name, config.ppm, config.camera.no_read) == ("line-1", 600.0, "NoRead")
    assert config.camera.address == Address("10.0.0.2", 23)
    assert config.camera.min_grade == Grade.parse("C")
    assert (config.io.pitch, config.io.camera_at, config.io.reject_at) == (1000, 3000, 6000)
    assert (config.printer.low, config.printer.high) == (50, 150)


@pytest.mark.parametrize(
    ("tables", "error", "message"),
    [
        (minimal(printer={"kind": "laser"}), InvalidFormat,
         ("Invalid printer.kind 'laser': expected one of 'zpl', 'coder'. Hint: the kind of "
         "device at that address.")),
        (minimal(printer={"address": "10.0.0.1"}), InvalidFormat,
         ("Invalid printer.address '10.0.0.1': expected host:port with a port from 1 to 65535. "
         "Hint: e.g. '192.168.10.21:9100'.")),
        (minimal(camera={"address": "cam:99999"}), InvalidFormat,
         ("Invalid camera.address 'cam:99999': expected host:port with a port from 1 to 65535. "
         "Hint: e.g. '192.168.10.21:9100'.")),
        (minimal(io={"reject_at": 2000}), InvalidQuantity,
         ("Invalid io.reject_at 2000: expected a number from 3001 to 1e+12. Hint: see the "
         "README's example line.toml.")),
        (minimal(line={"ppm": True}), InvalidQuantity,
         ("Invalid line.ppm True: expected a number from 1 to 6000. Hint: see the README's "
         "example line.toml.")),
        (minimal(camera={"min_grade": "E"}), InvalidFormat, None),
        (minimal(io={"speed": 3}), InvalidFormat,
         ("Unknown line configuration key 'io.speed': expected one of io.address, io.camera_at, "
         "io.pitch, io.reject_at, io.trigger_lead. Hint: check its spelling.")),
        ({"printer": {}, "camera": {}}, InvalidFormat, None),
        ({**minimal(), "io": "10.0.0.3"}, InvalidFormat,
         ("Invalid line configuration: a bad [io] table. Hint: every line.toml has [printer], "
         "[camera] and [io]; see the README.")),
    ],
)  # fmt: skip
def test_each_bad_value_is_named(
    tables: dict[str, Any], error: type[Exception], message: str | None
) -> None:
    with pytest.raises(error) as caught:
        LineConfig.parse(tables)
    if message is not None:
        assert str(caught.value) == message


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"[line\n", "Invalid line configuration "),
        (b"\xff\xfe[line]", "Cannot read the line configuration "),
    ],
)
def test_a_file_that_is_no_toml_is_refused(tmp_path: Path, content: bytes, start: str) -> None:
    path = tmp_path / "line.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidFormat, match="^" + start):
        LineConfig.load(path)
    with pytest.raises(InvalidFormat, match=r"^Cannot read the line configuration "):
        LineConfig.load(tmp_path / "missing.toml")

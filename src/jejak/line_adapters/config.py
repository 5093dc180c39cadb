"""A line's configuration: its devices by kind and address, speeds and distances (``line.toml``).

```toml
[line]
name = "line-1"                         # the line's name in events, the print stream, reports
ppm = 600                               # design speed, packs a minute (PackTags MachDesignSpeed)
control = "tcp://127.0.0.1:7460"        # `jejak line status` / `line command` talk to it here
publish = "tcp://127.0.0.1:7461"        # line and print events for dashboards (PUB), optional

[printer]
kind = "coder"                          # "coder" (inkjet/TIJ/CIJ) or "zpl" (Zebra thermal)
address = "192.168.10.21:3000"          # host:port (ZPL: 9100 when the port is left out)
dpi = 300                               # ZPL only
low = 50                                # credit watermarks: records kept in the device buffer
high = 150

[camera]
kind = "cognex"                         # "cognex" (DataMan, DMCC, port 23) or "keyence" (SR, 9004)
address = "192.168.10.31"
no_read = "NoRead"                      # the camera's configured no-read string
grade_separator = ","                   # set when the camera appends its ISO/IEC 15415 grade
min_grade = "C"                         # the product's minimum grade
trigger = "hardware"                    # "hardware": a photo-eye at the camera fires the
                                        # reader's trigger input, results come in pack order;
                                        # "software": the line sends TRIGGER ON / LON per pack

[io]                                    # product detect, encoder, reject output (Jejak line I/O)
address = "192.168.10.41:5020"
pitch = 1000                            # encoder counts from one pack to the next
camera_at = 3000                        # encoder counts from the product-detect sensor ...
reject_at = 6000                        # ... to the camera and to the reject actuator
trigger_lead = 250                      # trigger the camera this many counts early: the
                                        # trigger's latency (default a quarter pitch)
```

Every value is checked when the file is read; a bad one is named with its key, what was
expected and what to do. Parse at the edge: a `LineConfig` that exists is valid.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.text import describe
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.printers.device import DeviceKind

__all__ = [
    "Address", "CameraConfig", "IoConfig", "LineConfig", "PrinterConfig", "TriggerMode",
]  # fmt: skip

_PRINTER_PORTS = {DeviceKind.ZPL: 9100}
_E = TypeVar("_E", DeviceKind, CameraKind, "TriggerMode")


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, value: object, *, key: str, default_port: int | None = None) -> Address:
        if not isinstance(value, str) or not value or value != value.strip():
            raise InvalidFormat(
                f"Invalid {key} {describe(value)}: expected host:port, e.g. "
                "'192.168.10.21:9100'. Hint: the device's address on the line network."
            )
        host, colon, port = value.rpartition(":")
        if not colon:
            host, port = value, ""
        if not port and default_port is not None:
            return cls(host, default_port)
        if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
            raise InvalidFormat(
                f"Invalid {key} {value!r}: expected host:port with a port from 1 to 65535. "
                "Hint: e.g. '192.168.10.21:9100'."
            )
        return cls(host.strip("[]"), int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    kind: DeviceKind
    address: Address
    dpi: int = 300
    low: int = 50
    high: int = 150


class TriggerMode(StrEnum):
    """How the camera is triggered for each pack."""

    HARDWARE = "hardware"  # a photo-eye wired to the reader's trigger input
    SOFTWARE = "software"  # the line sends the trigger command when the pack is due


@dataclass(frozen=True, slots=True)
class CameraConfig:
    kind: CameraKind
    address: Address
    no_read: str
    grade_separator: str | None = None
    min_grade: Grade | None = None
    trigger: TriggerMode = TriggerMode.HARDWARE


@dataclass(frozen=True, slots=True)
class IoConfig:
    address: Address
    pitch: int = 1000
    camera_at: int = 3000
    reject_at: int = 6000
    trigger_lead: int = 250


@dataclass(frozen=True, slots=True)
class LineConfig:
    name: str
    ppm: float
    control: str
    publish: str | None
    printer: PrinterConfig
    camera: CameraConfig
    io: IoConfig

    @classmethod
    def load(cls, path: Path) -> LineConfig:
        """Read and check a ``line.toml``."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidFormat(
                f"Cannot read the line configuration {str(path)!r}: {error}. Hint: give the "
                "path of a UTF-8 TOML file (see the README's example line.toml)."
            ) from None
        try:
            tables = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidFormat(
                f"Invalid line configuration {str(path)!r}: {error}. Hint: it is TOML; see "
                "the README's example line.toml."
            ) from None
        return cls.parse(tables)

    @classmethod
    def parse(cls, tables: Mapping[str, Any]) -> LineConfig:
        _known(tables, "", {"line", "printer", "camera", "io"})
        line = _table(tables, "line")
        _known(line, "line.", {"name", "ppm", "control", "publish"})
        name = _text(line, "line.name", "line-1")
        publish = line.get("publish")
        return cls(
            name=name,
            ppm=_number(line, "line.ppm", 600, low=1, high=6000),
            control=_text(line, "line.control", "tcp://127.0.0.1:7460"),
            publish=None if publish is None else _text(line, "line.publish", ""),
            printer=_printer(_table(tables, "printer", required=True)),
            camera=_camera(_table(tables, "camera", required=True)),
            io=_io(_table(tables, "io", required=True)),
        )


def _printer(table: Mapping[str, Any]) -> PrinterConfig:
    _known(table, "printer.", {"kind", "address", "dpi", "low", "high"})
    kind = _choice(table, "printer.kind", DeviceKind)
    low = int(_number(table, "printer.low", 50, low=1, high=100_000))
    high = int(_number(table, "printer.high", 150, low=low, high=100_000))
    return PrinterConfig(
        kind=kind,
        address=Address.parse(
            table.get("address"), key="printer.address", default_port=_PRINTER_PORTS.get(kind)
        ),
        dpi=int(_number(table, "printer.dpi", 300, low=150, high=600)),
        low=low,
        high=high,
    )


def _camera(table: Mapping[str, Any]) -> CameraConfig:
    _known(table, "camera.",
           {"kind", "address", "no_read", "grade_separator", "min_grade", "trigger"})  # fmt: skip
    kind = _choice(table, "camera.kind", CameraKind)
    grade = table.get("min_grade", "C")
    separator = table.get("grade_separator")
    return CameraConfig(
        kind=kind,
        address=Address.parse(
            table.get("address"), key="camera.address", default_port=kind.default_port
        ),
        no_read=_text(table, "camera.no_read", kind.default_no_read),
        grade_separator=None if separator is None else _text(table, "camera.grade_separator", ""),
        min_grade=None if grade in ("", "none") else Grade.parse(grade),
        trigger=_choice(
            {"trigger": table.get("trigger", "hardware")}, "camera.trigger", TriggerMode
        ),
    )


def _io(table: Mapping[str, Any]) -> IoConfig:
    _known(table, "io.", {"address", "pitch", "camera_at", "reject_at", "trigger_lead"})
    pitch = int(_number(table, "io.pitch", 1000, low=1, high=10**9))
    camera_at = int(_number(table, "io.camera_at", 3 * pitch, low=0, high=10**12))
    reject_at = int(_number(table, "io.reject_at", 6 * pitch, low=camera_at + 1, high=10**12))
    lead = int(_number(table, "io.trigger_lead", pitch // 4, low=0, high=camera_at))
    return IoConfig(Address.parse(table.get("address"), key="io.address"), pitch, camera_at,
                    reject_at, lead)  # fmt: skip


# Plumbing ----------------------------------------------------------------------------------


def _table(tables: Mapping[str, Any], key: str, *, required: bool = False) -> Mapping[str, Any]:
    found = tables.get(key)
    if found is None and not required:
        return {}
    if not isinstance(found, dict):
        raise InvalidFormat(
            f"Invalid line configuration: {'no' if found is None else 'a bad'} [{key}] table. "
            f"Hint: every line.toml has [printer], [camera] and [io]; see the README."
        )
    return found


def _known(table: Mapping[str, Any], prefix: str, keys: set[str]) -> None:
    unknown = sorted(set(table) - keys)
    if unknown:
        raise InvalidFormat(
            f"Unknown line configuration key {prefix + unknown[0]!r}: expected one of "
            f"{', '.join(prefix + k for k in sorted(keys))}. Hint: check its spelling."
        )


def _text(table: Mapping[str, Any], key: str, default: str) -> str:
    value = table.get(key.rpartition(".")[2], default)
    if not isinstance(value, str) or not value or not value.isprintable():
        raise InvalidFormat(
            f"Invalid {key} {describe(value)}: expected non-empty text. Hint: quote it in "
            "the TOML file."
        )
    return value


def _number(table: Mapping[str, Any], key: str, default: float, *, low: float,
            high: float) -> float:  # fmt: skip
    value = table.get(key.rpartition(".")[2], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidQuantity(
            f"Invalid {key} {describe(value)}: expected a number from {low:g} to {high:g}. "
            "Hint: see the README's example line.toml."
        )
    return float(value)


def _choice(table: Mapping[str, Any], key: str, enum: type[_E]) -> _E:
    value = table.get(key.rpartition(".")[2])
    for member in enum:
        if value == member.value:
            return member
    raise InvalidFormat(
        f"Invalid {key} {describe(value)}: expected one of "
        f"{', '.join(repr(m.value) for m in enum)}. Hint: the kind of device at that address."
    )

"""The line's device clients, built from its configuration."""

from __future__ import annotations

from jejak.line_adapters.camera.client import Camera, CognexCamera, KeyenceCamera
from jejak.line_adapters.camera.result import CameraKind
from jejak.line_adapters.config import CameraConfig, IoConfig, PrinterConfig
from jejak.line_adapters.io.client import LineIo
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import DeviceKind, PrintDevice
from jejak.printers.label import ZplLabelFormat
from jejak.printers.zpl.client import ZplPrinter

__all__ = ["camera_for", "io_for", "printer_for"]


def printer_for(config: PrinterConfig) -> PrintDevice:
    host, port = config.address.host, config.address.port
    if config.kind is DeviceKind.ZPL:
        form = ZplLabelFormat.for_printer(config.dpi)
        return ZplPrinter(host, port, label_format=form, idle_interval=0.01)
    return CoderClient(host, port)


def camera_for(config: CameraConfig) -> Camera:
    host, port = config.address.host, config.address.port
    grading = config.grade_separator is not None
    separator = config.grade_separator or ","
    if config.kind is CameraKind.COGNEX:
        return CognexCamera(host, port, no_read_string=config.no_read, grade_output=grading,
                            grade_separator=separator)  # fmt: skip
    return KeyenceCamera(host, port, no_read_string=config.no_read, grade_output=grading,
                         grade_separator=separator)  # fmt: skip


def io_for(config: IoConfig) -> LineIo:
    return LineIo(config.address.host, config.address.port)

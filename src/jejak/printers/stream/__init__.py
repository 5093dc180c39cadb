"""The print-job stream over ZeroMQ: `wire` frames, the engine side (`engine.PrintEngine`, a
ROUTER), the driver side (`driver.PrinterDriver`, a DEALER), CurveZMQ keys (`curve`) and
endpoints (`endpoint`: parsed, and who can reach them).

printers/README.md, "The print-job stream", is the protocol page for driver authors.
"""

from __future__ import annotations

from jejak.printers.stream.curve import (
    CurveClient,
    CurveKeys,
    CurveServer,
    allowed_keys,
    create_keys,
    public_key,
)
from jejak.printers.stream.driver import DriverReport, PrinterDriver
from jejak.printers.stream.endpoint import Endpoint, check_exposure
from jejak.printers.stream.engine import Ending, PrintEngine, StreamReport
from jejak.printers.stream.wire import PROTOCOL_VERSION, Message

__all__ = [
    "PROTOCOL_VERSION",
    "CurveClient",
    "CurveKeys",
    "CurveServer",
    "DriverReport",
    "Ending",
    "Endpoint",
    "Message",
    "PrintEngine",
    "PrinterDriver",
    "StreamReport",
    "allowed_keys",
    "check_exposure",
    "create_keys",
    "public_key",
]

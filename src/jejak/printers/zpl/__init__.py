"""Zebra ZPL II, the subset Jejak speaks: what it writes (`format`), the host status it asks for
(`host_status`), the printer's reading of a stream (`interpreter`), and the client over raw TCP
port 9100 (`client`, the `PrintDevice` for Zebra printers).

printers/README.md, "Zebra ZPL", explains the subset, the escape rules and the print-confirmation
arithmetic.
"""

from __future__ import annotations

from jejak.printers.zpl.client import ZplPrinter
from jejak.printers.zpl.format import (
    ESCAPE,
    FORMAT_NAME,
    DataMatrixData,
    LabelWriter,
    escape_datamatrix,
    recall_label,
    stored_format,
    unescape_datamatrix,
)
from jejak.printers.zpl.host_status import (
    CANCEL_ALL,
    HOST_STATUS,
    HostStatus,
    decode_host_status,
    parse_host_status,
)
from jejak.printers.zpl.interpreter import (
    Command,
    Control,
    FieldDef,
    Format,
    Interpreter,
    Label,
    tokenize,
)

__all__ = [
    "CANCEL_ALL",
    "ESCAPE",
    "FORMAT_NAME",
    "HOST_STATUS",
    "Command",
    "Control",
    "DataMatrixData",
    "FieldDef",
    "Format",
    "HostStatus",
    "Interpreter",
    "Label",
    "LabelWriter",
    "ZplPrinter",
    "decode_host_status",
    "escape_datamatrix",
    "parse_host_status",
    "recall_label",
    "stored_format",
    "tokenize",
    "unescape_datamatrix",
]

"""Zebra ZPL II, the subset Jejak speaks: the ``^BX`` escapes (`escape`), what the client needs of
a label format (`format`: `StoredFormat` and the format's name), the host status it asks for
(`host_status`), the printer's reading of a stream (`interpreter`), and the client over raw TCP
port 9100 (`client`, the `PrintDevice` for Zebra printers).

ZPL knows nothing of pack labels: `jejak.printers.label` writes the stored format and its recalls
(`jejak.printers.label.ZplLabelFormat`) with these pieces, and whoever builds a `ZplPrinter`
hands it that format. printers/README.md, "Zebra ZPL", explains the subset, the escape rules and
the print-confirmation arithmetic.
"""

from __future__ import annotations

from jejak.printers.zpl.client import ZplPrinter
from jejak.printers.zpl.escape import (
    ESCAPE,
    FIELD_CHARACTER,
    DataMatrixData,
    check_escape,
    escape_datamatrix,
    unescape_datamatrix,
)
from jejak.printers.zpl.format import FORMAT_NAME, StoredFormat, check_stored_format
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
    "FIELD_CHARACTER",
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
    "StoredFormat",
    "ZplPrinter",
    "check_escape",
    "check_stored_format",
    "decode_host_status",
    "escape_datamatrix",
    "parse_host_status",
    "tokenize",
    "unescape_datamatrix",
]

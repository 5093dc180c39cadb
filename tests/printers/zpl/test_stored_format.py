"""One ZPL stored format: what the Zebra client stores on its printer is, byte for byte, what
`jejak label render --format zpl` writes for the same resolution, and its recalls fill it the
same way. The client's bytes are taken from the ZPL simulator over TCP, as a printer gets them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jejak.cli.main import main
from jejak.engine.gs1 import ElementString
from jejak.engine.symbology import Symbology
from jejak.printers.device import Job, Printed
from jejak.printers.label import LabelSpec, template
from jejak.printers.symbols import Decoded, read
from jejak.printers.zpl import FORMAT_NAME, Interpreter, Label, ZplPrinter, stored_format
from jejak.testing import StartZpl

CODES = [
    "(01)08991234567891(10)B2611001(17)281031(21)2TW7QRYF337A",
    "(90)DKL1234567890A1(10)B_1(17)281000(21)K7M2P9Q4X8ZD",
    "(90)DKL1234567890A1(91)301231",
]


def render_zpl(tmp_path: Path, code: str, dpi: int, capsys: pytest.CaptureFixture[str]) -> bytes:
    out = tmp_path / f"label-{dpi}.zpl"
    assert main(["label", "render", "--code", code, "--dpi", str(dpi), "--out", str(out)]) == 0
    capsys.readouterr()
    return out.read_bytes()


def print_one(printer: ZplPrinter, code: str) -> None:
    printer.send([Job(1, ElementString.parse(code).raw.encode())])
    events = []
    for _ in range(100):
        events += printer.poll(0.05)
        if events:
            break
    assert events == [Printed(1)]


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_the_printer_stores_what_label_render_writes(
    dpi: int, zpl_simulator: StartZpl, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = zpl_simulator()
    with ZplPrinter("127.0.0.1", sim.port, dpi=dpi, timeout=2.0) as printer:
        for code in CODES:
            print_one(printer, code)
    sent = sim.formats[FORMAT_NAME].source  # the ^XA^DF...^XZ the printer received
    assert sent == stored_format(template(LabelSpec(dpi=dpi))).encode()
    for index, code in enumerate(CODES):
        stored, recall, end = render_zpl(tmp_path, code, dpi, capsys).split(b"\n")
        assert (stored, end) == (sent, b"")  # one stored format, whatever the code
        # The label render's recall fills the format exactly as the client's did.
        (label,) = Interpreter().feed(stored + recall)
        assert isinstance(label, Label)
        printed = sim.printed[index]
        assert (label.filled, label.format) == (printed.filled, printed.format)
        # And the printer's label, drawn from its stored format, reads back as the code.
        raw = ElementString.parse(code).raw.encode()
        assert read(sim.render(index)) == [Decoded(Symbology.GS1_DATAMATRIX, raw)]

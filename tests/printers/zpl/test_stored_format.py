"""One ZPL stored format: what the Zebra client stores on its printer (the label format it is
given, as `jejak printer drive --kind zpl --dpi` builds it) is, byte for byte, what
`jejak label render --format zpl` writes for the same resolution, and its recalls fill it the
same way. The client's bytes are taken from the ZPL simulator over TCP, as a printer gets them.
The client takes any `StoredFormat` and refuses what is not one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jejak.cli.main import main
from jejak.cli.printer import make_device
from jejak.engine.errors import InvalidFormat
from jejak.engine.gs1 import ElementString
from jejak.engine.symbology import Symbology
from jejak.printers.device import DeviceKind, Job, Printed
from jejak.printers.label import LabelSpec, stored_format, template
from jejak.printers.symbols import Decoded, read
from jejak.printers.zpl import FORMAT_NAME, Interpreter, Label, StoredFormat, ZplPrinter
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
    device = make_device(DeviceKind.ZPL, f"127.0.0.1:{sim.port}", dpi=dpi)  # printer drive's
    assert isinstance(device, ZplPrinter)
    with device as printer:
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


class Plain:
    """Another label format, not Jejak's: one text field with the raw data, under another name."""

    definition = "^XA^DFR:PLAIN.ZPL^FS^FO10,10^A0N,20,20^FN1^FS^XZ"

    def recall(self, raw: str) -> str:
        return f"^XA^XFR:PLAIN.ZPL^FS^FN1^FD{raw}^FS^PQ1^XZ"


def test_the_printer_stores_any_stored_format_it_is_given(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator()
    assert isinstance(Plain(), StoredFormat)
    with ZplPrinter("127.0.0.1", sim.port, label_format=Plain(), timeout=2.0) as printer:
        print_one(printer, "0109506000134352")
    assert list(sim.formats) == ["R:PLAIN.ZPL"]
    assert sim.formats["R:PLAIN.ZPL"].source == Plain.definition.encode()
    assert [value for _, value in sim.printed[0].values()] == ["0109506000134352"]


class Twice(Plain):
    definition = Plain.definition * 2


class Unicode(Plain):
    definition = Plain.definition.replace("PLAIN", "PLAIN\u00e9")


@pytest.mark.parametrize(
    ("label_format", "message"),
    [
        (object(), ("Invalid stored format <object object at 0x…>: expected a StoredFormat (a "
                    "definition and a recall(raw)). Hint: "
                    "jejak.printers.label.ZplLabelFormat.for_printer(300).")),
        ("^XA^DFR:X.ZPL^FS^XZ", None),
        (Twice(), ("Invalid stored format definition '^XA^DFR:PLAIN.ZPL^FS^FO10,10^A0N,20,20^…"
                   "0^FN1^FS^XZ' (98 chars): expected one ASCII ^XA^DF … ^XZ format. Hint: ~HS "
                   "confirmation counts the one format stored first.")),
        (Unicode(), None),
    ],
)  # fmt: skip
def test_the_printer_refuses_what_is_not_one_stored_format(
    label_format: object, message: str | None
) -> None:
    with pytest.raises(InvalidFormat) as caught:
        ZplPrinter("127.0.0.1", label_format=label_format)  # type: ignore[arg-type]
    text = re.sub(r"0x[0-9a-f]+", "0x…", str(caught.value))
    assert message is None or text == message
    assert "Hint:" in text

"""`jejak label render`: files that read back exactly, SVG and ZPL output, bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # parses only SVG these tests rendered
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from jejak.engine.symbology import Symbology
from jejak.printers.symbols import read

if TYPE_CHECKING:
    from tests.cli.conftest import Run

HRI = "(01)08991234567891(10)B2611001(17)281031(21)2TW7QRYF337A"
RAW = b"01089912345678911728103110B2611001\x1d212TW7QRYF337A"
BPOM = "(90)DKL1234567890A1(10)B2611001(17)281031(21)K7M2P9Q4X8ZD"
BPOM_RAW = b"1728103190DKL1234567890A1\x1d10B2611001\x1d21K7M2P9Q4X8ZD"
SVG = "{http://www.w3.org/2000/svg}"


def _reads(path: Path) -> list[tuple[Symbology | None, bytes]]:
    with Image.open(path) as image:
        assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        pixels = np.asarray(image.convert("L"))
    return sorted((d.symbology, d.data) for d in read(pixels))


@pytest.mark.parametrize(
    "data",
    [
        HRI,
        RAW.decode(),
        "01089912345678911728103110B2611001<GS>212TW7QRYF337A",
        r"01089912345678911728103110B2611001\x1d212TW7QRYF337A",
        "]d201089912345678911728103110B2611001<GS>212TW7QRYF337A",
    ],
)
def test_png_reads_back_exactly(run: Run, tmp_path: Path, data: str) -> None:
    out = tmp_path / "label.png"
    result = run("label", "render", "--code", data, "--out", str(out))
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        f"Wrote {out} (png, {out.stat().st_size} bytes): 33.5 x 12.5 mm at 300 dpi; "
        "GS1 DataMatrix 24x24, module 3 dots = 0.254 mm, symbol 6.10 x 6.10 mm\n"
    )
    assert _reads(out) == [(Symbology.GS1_DATAMATRIX, RAW)]


@pytest.mark.parametrize(
    ("arguments", "reads"),
    [
        (["--code", HRI, "--symbology", "qr"], [(Symbology.GS1_QR, RAW)]),
        (["--code", "]Q3" + RAW.decode()], [(Symbology.GS1_QR, RAW)]),
        (["--code", "BPOM-2611-ABCD", "--symbology", "qr"], [(Symbology.QR, b"BPOM-2611-ABCD")]),
        (["--code", "]Q1BPOM-2611-ABCD"], [(Symbology.QR, b"BPOM-2611-ABCD")]),
        (["--code", BPOM, "--two-codes"], [(Symbology.GS1_QR, BPOM_RAW)]),
        (
            ["--code", HRI, "--two-codes", "--bpom-code", BPOM],
            [(Symbology.GS1_DATAMATRIX, RAW), (Symbology.GS1_QR, BPOM_RAW)],
        ),
        (
            ["--code", HRI, "--two-codes", "--bpom-code", "BPOM-2611-ABCD"],
            [(Symbology.GS1_DATAMATRIX, RAW), (Symbology.QR, b"BPOM-2611-ABCD")],
        ),
    ],
)
def test_symbologies(
    run: Run, tmp_path: Path, arguments: list[str], reads: list[tuple[Symbology, bytes]]
) -> None:
    out = tmp_path / "label.png"
    result = run("label", "render", *arguments, "--out", str(out))
    assert (result.code, result.err) == (0, "")
    assert _reads(out) == sorted(reads)


def test_svg_from_the_suffix(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "label.svg"
    result = run("label", "render", "--code", HRI, "--two-codes", "--bpom-code", BPOM,
                 "--out", str(out))  # fmt: skip
    assert result.code == 0
    assert result.out.startswith(f"Wrote {out} (svg, ")
    root = ET.fromstring(out.read_text())  # noqa: S314 - our own output
    assert [t.text for t in root.iter(f"{SVG}text")] == [
        "GTIN: 08991234567891", "BATCH: B2611001", "EXP: 2028-10-31", "SN: 2TW7QRYF337A",
        "BPOM RI",
    ]  # fmt: skip
    assert root.attrib["width"].endswith("mm")


def test_zpl_to_stdout(run: Run) -> None:
    result = run("label", "render", "--code", HRI, "--dpi", "203", "--format", "zpl", "--out", "-")
    assert result.code == 0
    assert result.out.startswith("^XA")
    assert "^BXN,3,200,,,,_^FN1^FS" in result.out  # the stored format, then the recall
    assert "^FN1^FD_101089912345678911728103110B2611001_1212TW7QRYF337A^FS" in result.out
    assert result.out.endswith("^PQ1^XZ\n")
    assert result.err.startswith("Wrote stdout (zpl, ")  # the summary keeps stdout clean


def test_notes_and_suffix_mismatch_warn(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "label.png"
    result = run("label", "render", "--code", "(90)A(91)291231", "--format", "svg",
                 "--out", str(out))  # fmt: skip
    assert result.code == 0
    assert result.err.splitlines() == [
        (
            "jejak: warning: Module 0.508 mm (6 dots at 300 dpi) is above the GS1 healthcare range "
            "0.254-0.495 mm: the 14x14 symbol needs it to reach 6.0 mm (Art. 22). Hint: a printer "
            "with a finer resolution keeps the module in range."
        ),
        f"jejak: warning: Writing svg to {str(out)!r}, whose suffix says png.",
    ]
    assert out.read_text().startswith("<?xml")


def test_unknown_suffix_writes_png(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "label.out"
    assert run("label", "render", "--code", HRI, "--out", str(out)).code == 0
    assert out.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--code", "(01)08991234567892(10)B1(17)281031(21)S1"],
         "Invalid (01) GTIN check digit for '08991234567892': expected 1, got 2."),
        (["--code", "BPOM-2611-ABCD"], "Unsupported GS1 Application Identifier 'BP'"),
        (["--code", "BPOM-2611-ABCD", "--symbology", "datamatrix"],
         "Unsupported GS1 Application Identifier 'BP'"),
        (["--code", HRI, "--bpom-code", BPOM],
         f"Invalid option --bpom-code {BPOM!r} without --two-codes: expected --two-codes"),
        (["--code", BPOM, "--two-codes", "--symbology", "datamatrix"],
         ("Invalid symbology 'datamatrix' for '(90)DKL1234567890A1(10)B2611001(17)281031(21)"
          "K7M2P9Q4X8ZD': expected 'qr', since BPOM issues its codes as QR (Art. 5).")),
        (["--code", HRI, "--dpi", "101"], "Invalid printer resolution 101: expected one where"),
        (["--code", HRI, "--dpi", "20"], "Invalid printer resolution 20: expected a whole number"),
        (["--code", HRI, "--two-codes", "--bpom-code", "BPOM\tX"],
         "Invalid plain code 'BPOM\\tX': expected 1 to 512 printable ASCII characters."),
    ],
)  # fmt: skip
def test_bad_input(run: Run, tmp_path: Path, arguments: list[str], message: str) -> None:
    out = tmp_path / "label.png"
    result = run("label", "render", *arguments, "--out", str(out))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"jejak: error: {message}")
    assert not out.exists()


def test_unwritable_output(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "missing" / "label.png"
    result = run("label", "render", "--code", HRI, "--out", str(out))
    assert result.code == 2
    assert result.err == (
        f"jejak: error: Invalid output file {str(out)!r}: No such file or directory; expected a "
        "writable path. Hint: create the folder first, or pass --out - for stdout.\n"
    )


@pytest.mark.parametrize(
    "arguments",
    [
        ["--code", HRI, "--symbology", "pdf417", "--out", "x.png"],
        ["--code", HRI, "--format", "pdf", "--out", "x.png"],
        ["--code", HRI, "--dpi", "high", "--out", "x.png"],
        ["--code", HRI],
    ],
)
def test_bad_arguments(run: Run, arguments: list[str]) -> None:
    result = run("label", "render", *arguments)
    assert result.code == 2
    assert result.err.startswith("jejak: error: jejak label render: ")
    assert result.err.endswith("Hint: see `jejak label render --help`.\n")
    assert result.err.count("\n") == 1  # one line

"""`jejak codes build` and `jejak codes parse`: the JSON contract, text output, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.cli.conftest import Run

GTIN_AUTH = {
    "hri": "(01)09506000134352(10)ABC123(17)270630(21)X7Y8Z9",
    "raw": "01095060001343521727063010ABC123\x1d21X7Y8Z9",
    "symbology": None,
    "ai": {"01": "09506000134352", "10": "ABC123", "17": "270630", "21": "X7Y8Z9"},
    "warnings": [],
    "kind": "authentication",
}


def test_build_gtin_json_matches_the_contract(run: Run) -> None:
    result = run(
        "codes", "build", "--gtin", "9506000134352", "--batch", "ABC123",
        "--expiry", "2027-06-30", "--serial", "X7Y8Z9", "--json",
    )  # fmt: skip
    assert (result.code, result.err) == (0, "")
    assert result.json() == GTIN_AUTH
    assert "\\u001d" in result.out  # the GS travels as a JSON escape


def test_build_nie_authentication(run: Run) -> None:
    result = run(
        "codes", "build", "--nie", "DKL1234567890A1", "--batch", "B1",
        "--expiry", "2027-06-30", "--serial", "S1", "--json",
    )  # fmt: skip
    assert result.code == 0
    payload = result.json()
    assert payload["hri"] == "(90)DKL1234567890A1(10)B1(17)270630(21)S1"
    assert payload["raw"] == "1727063090DKL1234567890A1\x1d10B1\x1d21S1"


def test_build_identification(run: Run) -> None:
    result = run(
        "codes", "build", "--nie", "DBL1234567890A1", "--nie-expiry", "2030-01-15", "--json"
    )
    assert result.code == 0
    assert result.json() == {
        "hri": "(90)DBL1234567890A1(91)300115",
        "raw": "90DBL1234567890A1\x1d91300115",
        "symbology": None,
        "ai": {"90": "DBL1234567890A1", "91": "300115"},
        "warnings": [],
        "kind": "identification",
    }


def test_build_text_output_shows_gs_escape(run: Run) -> None:
    result = run(
        "codes", "build", "--gtin", "09506000134352", "--batch", "ABC123",
        "--expiry", "2027-06-30", "--serial", "X7Y8Z9",
    )  # fmt: skip
    assert result.code == 0
    assert "raw        01095060001343521727063010ABC123<GS>21X7Y8Z9" in result.out


def test_build_warns_on_past_expiry(run: Run) -> None:
    result = run(
        "codes", "build", "--gtin", "09506000134352", "--batch", "A",
        "--expiry", "2020-01-31", "--serial", "1",
    )  # fmt: skip
    assert result.code == 0
    assert "jejak: warning: Expiry 2020-01-31 is in the past." in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--gtin", "09506000134353", "--batch", "A", "--expiry", "2027-01-31", "--serial", "1"],
            "Invalid (01) GTIN check digit for '09506000134353': expected 2, got 3.",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A B", "--expiry", "2027-01-31",
             "--serial", "1"],
            "Invalid (10) batch 'A B': expected only GS1 CSET 82 characters",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A", "--expiry", "2027-02-30", "--serial", "1"],
            "Invalid expiry (--expiry) '2027-02-30': expected a day 01 to 28 for 2027-02, got 30.",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A", "--expiry", "27-02-01", "--serial", "1"],
            "Invalid expiry (--expiry) '27-02-01': expected YYYY-MM-DD",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A", "--expiry", "2027-01-31",
             "--serial", "S" * 21],
            "Invalid (21) serial number 'SSSSSSSSSSSSSSSSSSSSS': expected 1 to 20 characters",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A", "--expiry", "2027-01-31",
             "--serial", "１２３"],
            "Invalid (21) serial number '１２３': expected only GS1 CSET 82 characters",
        ),
        (
            ["--gtin", "09506000134352", "--batch", "A", "--expiry", "2027-01-31"],
            "Missing --serial: an authentication code needs --batch, --expiry and --serial.",
        ),
        (
            ["--nie", "DKL1234567890A1", "--batch", "A", "--nie-expiry", "2030-01-01"],
            "Invalid options --batch with --nie-expiry",
        ),
    ],
)  # fmt: skip
def test_build_bad_input_is_one_line_exit_2(run: Run, argv: list[str], message: str) -> None:
    result = run("codes", "build", *argv)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("jejak: error: ")
    assert message in result.err
    assert "Hint:" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize(
    ("data", "symbology", "warnings"),
    [
        ("]d201095060001343521727063010ABC123\x1d21X7Y8Z9", "]d2", []),
        ("]Q301095060001343521727063010ABC123<GS>21X7Y8Z9", "]Q3", []),
        ("01095060001343521727063010ABC123\\x1d21X7Y8Z9", None, []),
        ("(01)09506000134352(10)ABC123(17)270630(21)X7Y8Z9", None, []),
        (
            "]d101095060001343521727063010ABC123\x1d21X7Y8Z9",
            "]d1",
            [
                (
                    "FNC1 lost: read as ]d1 (Data Matrix without FNC1), not GS1. The printed "
                    "symbol is defective unless it is a plain BPOM-issued QR code."
                )
            ],
        ),
    ],
)
def test_parse_json(run: Run, data: str, symbology: str | None, warnings: list[str]) -> None:
    result = run("codes", "parse", data, "--json")
    assert (result.code, result.err) == (0, "")
    assert result.json() == {**GTIN_AUTH, "symbology": symbology, "warnings": warnings}


def test_parse_incomplete_code_warns(run: Run) -> None:
    result = run("codes", "parse", "(01)09506000134352(21)1")
    assert result.code == 0
    assert (
        "jejak: warning: Not a complete BPOM code: missing (10) batch, (17) expiry date."
        in result.err
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("]X901095060001343521727063010A", "Unsupported symbology identifier ']X9'"),
        ("99ABC", "Unsupported GS1 Application Identifier '99'"),
        ("010950600013435", "Invalid (01) GTIN '0950600013435' in raw data '010950600013435'"),
        ("(01)09506000134352(01)09506000134352", "Repeated AI (01)"),
    ],
)
def test_parse_bad_input(run: Run, data: str, message: str) -> None:
    result = run("codes", "parse", data)
    assert result.code == 2
    assert message in result.err


def test_help_on_every_command(run: Run) -> None:
    for argv in (["--help"], ["codes", "--help"], ["codes", "build", "--help"],
                 ["codes", "parse", "--help"], ["nie", "--help"], ["batch", "plan", "--help"],
                 ["demo", "--help"]):  # fmt: skip
        result = run(*argv)
        assert result.code == 0, argv
        assert "usage: jejak" in result.out


def test_installed_console_script_exit_codes() -> None:
    """The real entry point, in a new process: output and exit codes as a shell script sees."""
    jejak = str(Path(sys.executable).with_name("jejak"))
    ok = subprocess.run(
        [jejak, "codes", "parse", "(01)09506000134352(10)A(17)270600(21)1", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert '"17": "270600"' in ok.stdout
    bad = subprocess.run(
        [jejak, "codes", "parse", "(01)123"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("jejak: error: Invalid (01) GTIN '123'")

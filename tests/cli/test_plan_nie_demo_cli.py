"""`jejak nie`, `jejak batch plan` and `jejak demo` through `main([...])`."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.cli.conftest import Run

PLAN = (
    "batch", "plan", "--nie", "DKL1234567890A1", "--batch", "B2611001",
    "--expiry", "2028-10-31", "--quantity", "1000", "--per-secondary", "12",
    "--per-tertiary", "40", "--requested-on", "2026-11-25",
)  # fmt: skip


@pytest.mark.parametrize(
    ("nie", "expected"),
    [
        (
            "DKL1234567890A1",
            {"nie": "DKL1234567890A1", "category": "drug", "drug_class": "keras",
             "origin": "local", "method": "authentication"},
        ),
        (
            "DBL1234567890A1",
            {"nie": "DBL1234567890A1", "category": "drug", "drug_class": "bebas",
             "origin": "local", "method": "identification"},
        ),
        (
            "BPOM RI MD 224510107100",
            {"nie": "MD224510107100", "category": "processed_food", "drug_class": None,
             "origin": "local", "method": "identification"},
        ),
    ],
)  # fmt: skip
def test_nie_json(run: Run, nie: str, expected: dict[str, object]) -> None:
    result = run("nie", nie, "--json")
    assert (result.code, result.err) == (0, "")
    assert result.json() == expected


def test_nie_text(run: Run) -> None:
    result = run("nie", "DNL1234567890A1")
    assert result.code == 0
    assert "drug_class narkotika" in result.out
    assert "method     authentication" in result.out


@pytest.mark.parametrize("nie", ["DZL1234567890A1", "XX123", "", "DKL12345"])
def test_nie_bad_input(run: Run, nie: str) -> None:
    result = run("nie", nie)
    assert result.code == 2
    assert result.err.startswith(f"jejak: error: Invalid NIE {nie!r}")
    assert result.err.count("\n") == 1


def test_plan_json_on_time(run: Run) -> None:
    result = run(*PLAN, "--production-start", "2026-12-14", "--json")
    assert (result.code, result.err) == (0, "")
    assert result.json() == {
        "nie": "DKL1234567890A1",
        "method": "authentication",
        "batch": "B2611001",
        "expiry": "2028-10-31",
        "gtin": None,
        "counts": {"primary": 1000, "secondary": 84, "tertiary": 3},
        "max_per_secondary": 12,
        "max_per_tertiary": 40,
        "requested_on": "2026-11-25",
        "production_start": "2026-12-14",
        "latest_request": "2026-11-30",
        "issuance_due": "2026-12-02",
        "working_days_before_production": 13,
        "warnings": [],
    }


def test_plan_late_request_is_a_warning_not_an_error(run: Run) -> None:
    result = run(*PLAN, "--production-start", "2026-12-03")
    assert result.code == 0
    assert "request by (Art. 9)     2026-11-19" in result.out
    assert (
        "jejak: warning: Late request: 2026-11-25 is 6 working day(s) before production starts "
        "on 2026-12-03; Art. 9 asks for at least 10 (request by 2026-11-19)." in result.err
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--quantity", "0", "Invalid primary code count 0: expected a whole number from 1 to"),
        ("--quantity", "ten", "Invalid primary code count 'ten': expected a whole number"),
        ("--per-secondary", "-3", "Invalid primaries per secondary '-3': expected a whole number"),
        ("--expiry", "2025-01-31", "Invalid expiry '2025-01-31': expected a date after 2026-11-25"),
        ("--batch", "B#1", "Invalid (10) batch 'B#1': expected only GS1 CSET 82 characters"),
        ("--gtin", "12345", "Invalid (01) GTIN '12345': expected exactly 14 characters, got 5."),
        ("--nie", "DKL1", "Invalid NIE 'DKL1'"),
    ],
)
def test_plan_bad_input(run: Run, flag: str, value: str, message: str) -> None:
    argv = list(PLAN)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    result = run(*argv)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_demo_runs_on_embedded_defaults(run: Run) -> None:
    result = run("demo", "--today", "2026-11-25")
    assert result.code == 0, result.err
    assert "== Reads, as a camera reports them ==" in result.out
    assert "]d2 -> (01)08991234567891(10)B261101" in result.out
    assert "DEFECT: FNC1 lost" in result.out
    assert "primary    24,480 codes" in result.out  # 24,000 and 2 % overage
    assert ": batch B261101, primary #2, Commissioned" in result.out
    # The print run goes through real simulators: how far past 1,000 packs the line ran before
    # it drained varies, but every pack sent was printed and confirmed, and nothing is lost.
    run_line = re.search(r"sent ([\d,]+), printed ([\d,]+) in .*; the device printed ([\d,]+) "
                         r"records, ([\d,]+) distinct", result.out)  # fmt: skip
    assert run_line is not None
    sent, printed, device, distinct = (int(g.replace(",", "")) for g in run_line.groups())
    assert 1000 <= sent == printed == device == distinct
    # libdmtx picks a 22x22 or a 24x24 symbol by the serial: 110 or 120 px at 5 dots a module,
    # with the stored format's margin (1 mm + the 1-module quiet zone: 17 px) on each side.
    assert re.search(r"camera: the last case label \((144|154)x\1 px\) decodes as ]d2 "
                     r"0108991234567891", result.out)  # fmt: skip
    closed = re.search(r"primary   SNInvalid ([\d,]+), LabelScrapped 10, Commissioned ([\d,]+)",
                       result.out)  # fmt: skip
    assert closed is not None
    voided, commissioned = (int(g.replace(",", "")) for g in closed.groups())
    assert (commissioned, voided + 10 + commissioned) == (printed - 10, 24_480)
    assert re.search(r"\n\d+ events, hash chain intact\n", result.out)
    history = result.out.split("== The scanned code's history, from the event index ==\n")[1]
    kinds = [line.split()[1:] for line in history.split("\n\n")[0].splitlines()]
    assert kinds == [["batch.open"], ["print.sent", "coder-1"], ["print.printed", "coder-1"],
                     ["codes.transition", "Commissioned"], ["batch.close"]]  # fmt: skip


def test_demo_keeps_its_store_when_asked(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "demo-store"
    result = run("demo", "--today", "2026-11-25", "--store", str(store))
    assert result.code == 0, result.err
    shown = run("batch", "show", "B261101", "--store", str(store), "--json")
    assert json.loads(shown.out)["status"] == "closed"
    # The printed, commissioned code's history lists its print events.
    scanned = re.search(r"scanned (\(01\)\S+): batch B261101, primary #2", result.out)
    assert scanned is not None
    found = run("codes", "lookup", scanned.group(1), "--store", str(store), "--json").json()
    assert found["state"] == "Commissioned"
    assert [(e["what"], e["to"], e["printer"]) for e in found["history"]] == [
        ("batch.open", None, None), ("print.sent", None, "coder-1"),
        ("print.printed", None, "coder-1"), ("codes.transition", "Commissioned", None),
        ("batch.close", None, None),
    ]  # fmt: skip

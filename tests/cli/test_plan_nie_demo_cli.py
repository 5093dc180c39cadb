"""`jejak nie`, `jejak batch plan` and `jejak demo` through `main([...])`."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from tests.engine.report.test_epcis import check_rules, schema_validator  # noqa: F401 - a fixture
from tests.engine.report.test_event_hash import reference  # noqa: F401 - a fixture

from jejak.engine.codes import Level
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.report.usage import DEFAULT_HEADER as USAGE_HEADER
from jejak.engine.store import PRINTS, Store

if TYPE_CHECKING:
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


KEYS = {"batch", "store", "units", "printed", "commissioned", "sampled", "scrapped",
        "print_failed", "rejected", "cases", "pallets", "balanced", "reports", "elapsed_s",
        "packs_per_min"}  # fmt: skip
REASONS = ["no_read", "mismatch", "fnc1_lost", "grade", "duplicate", "unknown", "other_batch",
           "late", "expired_nie"]  # fmt: skip


def test_demo_runs_a_simulated_line_that_reconciles(run: Run, tmp_path: Path) -> None:
    store = tmp_path / "demo"
    result = run("demo", "--units", "300", "--seed", "7", "--store", str(store), "--json",
                 "--today", "2026-11-25")  # fmt: skip
    assert result.code == 0, result.err
    summary = result.json()
    assert isinstance(summary, dict)
    assert KEYS | {"lines"} <= set(summary)
    assert list(summary["rejected"]) == REASONS
    assert (summary["batch"], summary["store"], summary["units"]) == ("B261125L1", str(store), 300)
    assert summary["balanced"] is True
    accounted = summary["commissioned"] + summary["sampled"] + sum(summary["rejected"].values())
    assert summary["printed"] == accounted
    assert summary["printed"] + summary["scrapped"] + summary["print_failed"] == 300
    assert summary["commissioned"] > 0
    # Every good pack went into a case of 120 (the last one partial), the cases onto a pallet.
    assert (summary["cases"], summary["pallets"]) == (-(-summary["commissioned"] // 120), 1)
    (line,) = summary["lines"]
    assert KEYS | {"line"} <= set(line)
    assert {k: line[k] for k in KEYS - {"store", "elapsed_s", "packs_per_min"}} == {
        k: summary[k] for k in KEYS - {"store", "elapsed_s", "packs_per_min"}
    }
    shown = run("batch", "show", "B261125L1", "--store", str(store), "--json")
    assert json.loads(shown.out)["status"] == "closed"
    # What the printer printed, one code a line, never twice.
    printed = (store / "records" / "line-1.txt").read_text().splitlines()
    assert (store / "records").stat().st_mode & 0o777 == 0o700  # the codes printed: private
    assert (store / "records" / "line-1.txt").stat().st_mode & 0o777 == 0o600
    assert len(printed) == len(set(printed)) or summary["rejected"]["duplicate"] > 0
    check_usage_report(store, summary)


def check_usage_report(store: Path, summary: dict[str, Any]) -> None:
    """The demo's usage report, re-read with Python's csv: exactly the template's columns,
    valid flags and dates, 0 where no case or pallet, every printed primary code once."""
    reports = summary["reports"]
    assert set(reports) == {"csv", "json", "epcis"}
    with Path(reports["csv"]).open(newline="", encoding="utf-8") as file:
        header, *rows = list(csv.reader(file))
    assert header == list(USAGE_HEADER)
    assert all(len(row) == len(header) for row in rows)
    with Store(store) as opened, opened.view() as view:
        record = view.batch(summary["batch"])
        prints = view.column(PRINTS, record, Level.PRIMARY)
        printed = np.flatnonzero(prints == PrintOutcome.PRINTED)
        texts = {view.code(record, Level.PRIMARY, int(i)).hri for i in printed}
    codes = [row[2] for row in rows]
    assert len(codes) == len(set(codes))  # each code once
    assert texts <= set(codes)  # every printed code (and those that may have been)
    flags = [row[9:] for row in rows]
    assert all(sorted(f) == ["FALSE", "FALSE", "TRUE"] for f in flags)
    assert sum(f[0] == "TRUE" for f in flags) == summary["commissioned"]
    for row in rows:
        dt.date.fromisoformat(row[6])
        assert (row[5], row[7]) == (record.nie, summary["batch"])
        if row[9] != "TRUE":  # a reject or sample is in no case
            assert (row[3], row[4]) == ("0", "0")
        else:
            assert "0" not in (row[3], row[4])
    document = json.loads(Path(reports["json"]).read_text())
    assert len(document["rows"]) == len(rows)
    assert document["counts"]["active"] == summary["commissioned"]


def test_the_demos_epcis_document_passes_gs1_schema_with_the_reference_ids(
    run: Run,
    tmp_path: Path,
    schema_validator: Any,  # noqa: F811 - the fixture imported above
    reference: Any,  # noqa: F811 - the fixture imported above
) -> None:
    store = tmp_path / "demo"
    result = run("demo", "--units", "150", "--seed", "5", "--store", str(store), "--json",
                 "--today", "2026-11-25")  # fmt: skip
    assert result.code == 0, result.err
    summary: Any = result.json()
    document = json.loads(Path(summary["reports"]["epcis"]).read_text(encoding="utf-8"))
    errors = sorted(schema_validator.iter_errors(document), key=str)
    assert not errors, errors[0]
    check_rules(document)
    events = document["epcisBody"]["eventList"]
    assert [e["eventID"] for e in events] == reference(events)
    packing = [e for e in events if e.get("bizStep") == "packing" and e["action"] == "ADD"]
    assert len({e["parentID"] for e in packing}) == summary["cases"] + summary["pallets"]
    commissioned = sum(len(e["epcList"]) for e in events if e.get("bizStep") == "commissioning")
    assert commissioned == summary["commissioned"] + summary["cases"] + summary["pallets"]
    # The line queued every activity for the regulator; each key is an event's eventID.
    with Store(store) as opened, opened.view() as view:
        keys = [record.key.split("#")[0] for record in view.outbox()]
    ids = {e["eventID"] for e in events}
    assert keys
    assert all(key in ids or key.startswith("jejak-audit:") for key in keys)
    assert sum(key in ids for key in keys) > summary["cases"]


def test_demo_splits_the_units_across_lines(run: Run, tmp_path: Path) -> None:
    result = run("demo", "--units", "201", "--lines", "2", "--seed", "3", "--fault-rate", "0",
                 "--store", str(tmp_path / "two"), "--json", "--today", "2026-11-25")  # fmt: skip
    assert result.code == 0, result.err
    summary = result.json()
    assert isinstance(summary, dict)
    assert [(line["line"], line["batch"], line["units"]) for line in summary["lines"]] == [
        ("line-1", "B261125L1", 101), ("line-2", "B261125L2", 100)
    ]  # fmt: skip
    assert summary["printed"] == sum(line["printed"] for line in summary["lines"])
    assert summary["balanced"] is True


def test_demo_runs_an_identification_line(run: Run, tmp_path: Path) -> None:
    """An OTC product: one (90)NIE (91)validity code on every pack, as a GS1 QR; labels from an
    old roll read as expired_nie; the counts reconcile."""
    store = tmp_path / "otc"
    result = run("demo", "--method", "identification", "--units", "300", "--seed", "11",
                 "--fault-rate", "0.2", "--store", str(store), "--json", "--today",
                 "2026-11-25")  # fmt: skip
    assert result.code == 0, result.err
    summary = result.json()
    assert isinstance(summary, dict)
    assert summary["balanced"] is True
    assert summary["rejected"]["expired_nie"] > 0
    accounted = summary["commissioned"] + summary["sampled"] + sum(summary["rejected"].values())
    assert summary["printed"] == accounted
    printed = (store / "records" / "line-1.txt").read_text().splitlines()
    assert (store / "records").stat().st_mode & 0o777 == 0o700  # the codes printed: private
    assert (store / "records" / "line-1.txt").stat().st_mode & 0o777 == 0o600
    assert set(printed) == {"90DBL2012345678A1<GS>91281101"}  # the one code, on every pack


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lines", "0"], "Invalid --lines 0: expected 1 to 64."),
        (["--units", "0"], "Invalid --units 0: expected 1 (one a line) to 10,000,000."),
        (["--ppm", "0"], "Invalid --ppm 0.0: expected 1 to 6000 packs a minute."),
        (["--time-factor", "1000"], "Invalid --time-factor 1000.0: expected 0.1 to 100."),
        (["--fault-rate", "0.9"], "Invalid fault rate 0.9: expected a fraction from 0 to 0.5."),
        (["--today", "2026-13-01"], "jejak: error: Invalid date (--today) '2026-13-01'"),
    ],
)
def test_demo_bad_options(run: Run, tmp_path: Path, argv: list[str], message: str) -> None:
    result = run("demo", "--store", str(tmp_path / "s"), *argv)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err

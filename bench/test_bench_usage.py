"""The usage report: the CSV of a 10 M-code batch, against Python's csv writer row by row.

Target (issue 12, DESIGN §7): >= 1 M rows/s (goal 3 M/s), vectorised. The batch: 10 M packs
(``JEJAK_BENCH_USAGE_CODES`` for another size), every one verified, in cases of 100 on pallets
of 60, so that each row carries a case and a pallet code. Each round writes the whole report to
a file on disk (synced by `fsync` at the end, as `jejak report usage` does). This machine's
disk takes about 320 MB/s (measured with dd), and a 10 M-row HRI report is 2.3 GB: so the CSV is
also timed into ``/dev/null`` (``csv-nodisk``), which is what the report itself costs.

The baseline writes the same file with ``csv.writer`` one row at a time from the same store, and
is given its inputs the fast way: the states, parents and every code's text read in bulk (the
numba serial formatting of `code_texts`) before its clock starts, so that it times only what a
row-by-row writer costs. Its file must equal ours byte for byte (checked): it is the oracle too.
The JSON form is timed as well (no target).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from bench._batches import add_product, packed_batch
from bench._summary import write_summary
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, Level
from jejak.engine.listing import code_texts
from jejak.engine.report.usage import DEFAULT_HEADER, UsageReport, UsageSettings
from jejak.engine.store import PARENTS, Store

CODES = int(os.environ.get("JEJAK_BENCH_USAGE_CODES", "10000000"))
PER_CASE, PER_PALLET = 100, 60
SETTINGS = UsageSettings.parse(partner_id="P-0001")
_medians: dict[str, float] = {}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, BatchRecord]]:
    """A store with one batch of CODES verified packs, packed into cases and pallets."""
    store = Store(tmp_path_factory.mktemp("usage") / "store", map_size=1 << 36)
    add_product(store)
    packed_batch(store, "U1", CODES, per_case=PER_CASE, per_pallet=PER_PALLET)
    yield store, store.batch("U1")
    store.close()


def _write(store: Store, record: BatchRecord, out_path: Path, how: str) -> int:
    disk = how != "csv-nodisk"
    with store.view() as view, (out_path if disk else Path(os.devnull)).open("wb") as out:
        report = UsageReport(view, [record], SETTINGS)
        counts = report.write_json(out) if how == "json" else report.write_csv(out)
        out.flush()
        if disk:
            os.fsync(out.fileno())
    return counts.rows


def _record(benchmark: BenchmarkFixture, name: str) -> None:
    if benchmark.stats is not None:
        median = float(benchmark.stats.stats.median)
        _medians[name] = median
        benchmark.extra_info["rows_per_s"] = round(CODES / median)


@pytest.mark.parametrize("how", ["csv", "csv-nodisk", "json"])
def test_usage_report(benchmark: BenchmarkFixture, batch: tuple[Store, BatchRecord],
                      tmp_path: Path, how: str) -> None:  # fmt: skip
    store, record = batch
    out = tmp_path / f"usage.{how}"
    rows = benchmark.pedantic(_write, args=(store, record, out, how), rounds=3, iterations=1)
    assert rows == CODES
    _record(benchmark, how)


def _baseline_inputs(store: Store, record: BatchRecord) -> tuple[list[bytes], ...]:
    """Every row's three codes as text, read in bulk (not timed)."""
    with store.view() as view:
        packs = np.arange(CODES, dtype=np.int64)
        cases = (view.values(PARENTS, record, Level.PRIMARY, packs) & 0xFFFFFFFF).astype(np.int64)
        case_count = record.level(Level.SECONDARY).count
        on = view.values(PARENTS, record, Level.SECONDARY, np.arange(case_count))
        pallets = (on & 0xFFFFFFFF).astype(np.int64)
        form = CodeForm.HRI
        primary = code_texts(view, record, Level.PRIMARY, packs, form=form)
        case_texts = code_texts(view, record, Level.SECONDARY, np.arange(case_count), form=form)
        pallet_count = record.level(Level.TERTIARY).count
        pallet_texts = code_texts(view, record, Level.TERTIARY, np.arange(pallet_count), form=form)
    return (primary, [case_texts[c] for c in cases.tolist()],
            [pallet_texts[pallets[c]] for c in cases.tolist()])  # fmt: skip


def _python_csv(inputs: tuple[list[bytes], ...], out_path: Path) -> int:
    """Python's csv writer, one row at a time."""
    primary, cases, pallets = inputs
    with out_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(DEFAULT_HEADER)
        for code, case, pallet in zip(primary, cases, pallets, strict=True):
            writer.writerow(["P-0001", "Dus", code.decode(), case.decode(), pallet.decode(),
                             "DKL1234567890A1", "2029-12-31", "U1", "08991234567891", "TRUE",
                             "FALSE", "FALSE"])  # fmt: skip
        out.flush()
        os.fsync(out.fileno())
    return len(primary)


def test_usage_csv_python_baseline(
    benchmark: BenchmarkFixture, batch: tuple[Store, BatchRecord], tmp_path: Path
) -> None:
    store, record = batch
    inputs = _baseline_inputs(store, record)
    theirs = tmp_path / "python.csv"
    rows = benchmark.pedantic(_python_csv, args=(inputs, theirs), rounds=1, iterations=1)
    assert rows == CODES
    ours = tmp_path / "ours.csv"
    _write(store, record, ours, "csv")
    assert ours.read_bytes() == theirs.read_bytes()
    _record(benchmark, "python")


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not _medians:
        return
    lines = [f"usage report of {CODES:,} codes (medians; ratio = Python time / ours):"]
    for name in ("csv", "csv-nodisk", "json", "python"):
        if name in _medians:
            lines.append(f"  {name:<10} {CODES / _medians[name]:>12,.0f} rows/s"
                         f"   {_medians[name]:.2f} s")  # fmt: skip
    if "csv" in _medians:
        missed = "" if CODES / _medians["csv"] >= 1_000_000 else "  MISSED"
        lines.append(f"  target >= 1,000,000 rows/s (goal 3,000,000){missed}")
    if "csv" in _medians and "python" in _medians:
        lines.append(f"  ratio      {_medians['python'] / _medians['csv']:.1f}x")
    write_summary(request, lines)

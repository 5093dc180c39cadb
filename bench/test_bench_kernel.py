"""The store kernel: resolve, lookup with history and marking, on a fresh store and a large one.

Targets (issue 8, DESIGN §7): resolve of a scanned code <= 20 µs median in-process, the same on
a store with 5 batches of 10 M codes and 10^5 events as on a fresh one; lookup with its full
history <= 100 µs median on that store; `codes mark` costs the same per code after 10^5 events
as on a fresh log. The baseline in the same run: a code's history found by walking and
decoding the whole log, as schema 1 did.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.lookup import lookup
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import EventKind, Store, resolve

FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
LARGE_BATCHES = 5
LARGE_CODES = 10_000_000
LARGE_EVENTS = 100_000
MARKED = 300


def request(batch: str, quantity: int) -> CodeRequest:
    return CodeRequest.parse(nie="DKL1234567890A1", batch=batch, expiry="2029-12-31",
                             primary_count=quantity, max_per_secondary=100,
                             max_per_tertiary=50)  # fmt: skip


def new_store(path: Path) -> Store:
    store = Store(path)
    store.add_product(Product.parse(nie="DKL1234567890A1", name="Bench", packaging="Dus",
                                    gtin="8991234567891"), actor="bench")  # fmt: skip
    return store


def print_run(store: Store, record: BatchRecord, jobs: int) -> None:
    """Codes 0..jobs-1 drawn for two printers in takes of 200, printed, then commissioned."""
    ledger = PrintLedger(store, record.batch, Level.PRIMARY)
    for _ in range(jobs // 400):
        one, two = ledger.take([("coder-1", 200), ("coder-2", 200)], actor="engine")
        ledger.settle([("coder-1", PrintOutcome.PRINTED, one),
                       ("coder-2", PrintOutcome.PRINTED, two)], actor="engine")  # fmt: skip
    store.transition(record.batch, Level.PRIMARY, np.arange(jobs), CodeState.COMMISSIONED,
                     actor="camera")  # fmt: skip


def fill_log(store: Store, records: list[BatchRecord], events: int) -> None:
    """Events about scattered codes of every batch, 500 a unit of work, until the log holds
    `events` more."""
    rng = np.random.default_rng(11)
    per_unit = 500
    for unit in range(events // per_unit):
        record = records[unit % len(records)]
        with store.unit_of_work("noise") as uow:
            for _ in range(per_unit):
                first = int(rng.integers(0, LARGE_CODES - 64))
                uow.event(EventKind.PRINT_UNKNOWN, {"printer": "noise"}, batch=record,
                          level=Level.PRIMARY, indices=np.arange(first, first + 8))  # fmt: skip


def scanned(store: Store, record: BatchRecord, index: int) -> str:
    with store.view() as view:
        raw = code_texts(view, record, Level.PRIMARY, np.array([index], dtype=np.int64),
                         form=CodeForm.RAW)[0]  # fmt: skip
    return "]d2" + raw.decode()


_names = (f"M{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, BatchRecord]]:
    store = new_store(tmp_path_factory.mktemp("fresh") / "store")
    record = store.open_batch(request("F1", 100_000), serial_format=FORMAT, actor="bench")
    print_run(store, record, 4000)
    yield store, record
    store.close()


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, BatchRecord]]:
    store = new_store(tmp_path_factory.mktemp("large") / "store")
    records = [store.open_batch(request(f"L{n}", LARGE_CODES), serial_format=FORMAT,
                                actor="bench") for n in range(LARGE_BATCHES)]  # fmt: skip
    print_run(store, records[2], 4000)
    fill_log(store, records, LARGE_EVENTS)
    assert len(store.events()) > LARGE_EVENTS
    yield store, records[2]
    store.close()


def _resolve(benchmark: BenchmarkFixture, store: Store, record: BatchRecord) -> None:
    data = scanned(store, record, 1234)
    found = benchmark(store.resolve, data)
    assert (found.record.batch, found.ref.index) == (record.batch, 1234)


def test_resolve_fresh(benchmark: BenchmarkFixture, fresh: tuple[Store, BatchRecord]) -> None:
    _resolve(benchmark, *fresh)


def test_resolve_large(benchmark: BenchmarkFixture, large: tuple[Store, BatchRecord]) -> None:
    _resolve(benchmark, *large)


def test_resolve_large_in_one_view(
    benchmark: BenchmarkFixture, large: tuple[Store, BatchRecord]
) -> None:
    """The camera's group of reads: one read transaction, many resolves."""
    store, record = large
    data = scanned(store, record, 1234)
    with store.view() as view:
        found = benchmark(resolve, view, data)
    assert found.ref.index == 1234


def _lookup(benchmark: BenchmarkFixture, store: Store, record: BatchRecord) -> None:
    """Lookups of different printed, commissioned codes in turn (not one code again and
    again), each with its history: opened, drawn for a printer, printed, commissioned."""
    reads = itertools.cycle([scanned(store, record, i) for i in range(1000, 3000, 7)])
    info = benchmark(lambda: lookup(store, next(reads)))
    assert [e.what for e in info.history] == [
        "batch.open", "print.sent", "print.printed", "codes.transition"
    ]  # fmt: skip


def test_lookup_with_history_fresh(
    benchmark: BenchmarkFixture, fresh: tuple[Store, BatchRecord]
) -> None:
    _lookup(benchmark, *fresh)


def test_lookup_with_history_large(
    benchmark: BenchmarkFixture, large: tuple[Store, BatchRecord]
) -> None:
    _lookup(benchmark, *large)


def test_history_by_walking_the_log_large_baseline(
    benchmark: BenchmarkFixture, large: tuple[Store, BatchRecord]
) -> None:
    """Schema 1's way: decode every event and keep those about the code."""
    store, record = large

    def walk() -> int:
        found = 0
        with store.view() as view:
            for event in view.events():
                data = event.data
                if data.get("batch") == record.batch and "first" in data and \
                        data["first"] <= 1234 <= data["last"]:  # fmt: skip
                    found += 1
        return found

    assert benchmark.pedantic(walk, rounds=2, iterations=1) >= 3


def _mark(benchmark: BenchmarkFixture, store: Store, record: BatchRecord) -> None:
    """`codes mark` of 300 codes: resolve each read, one unit of work for all."""

    def setup() -> tuple[tuple[list[str]], dict[str, object]]:
        batch = store.open_batch(request(next(_names), 1000), serial_format=FORMAT,
                                 actor="bench")  # fmt: skip
        store.transition(batch.batch, Level.PRIMARY, np.arange(MARKED), CodeState.ENCODED,
                         actor="printer")  # fmt: skip
        reads = [scanned(store, batch, i) for i in range(MARKED)]
        return (reads,), {}

    def mark(reads: list[str]) -> int:
        with store.view() as view:
            refs = [resolve(view, data).ref for data in reads]
        return store.mark(refs, CodeState.COMMISSIONED, actor="qa")

    assert benchmark.pedantic(mark, setup=setup, rounds=5, iterations=1) == MARKED
    benchmark.extra_info["us_per_code"] = benchmark.stats.stats.median / MARKED * 1e6
    benchmark.extra_info["events_in_log"] = len(store.events())


def test_mark_300_codes_fresh(
    benchmark: BenchmarkFixture, fresh: tuple[Store, BatchRecord]
) -> None:
    _mark(benchmark, *fresh)


def test_mark_300_codes_after_1e5_events(
    benchmark: BenchmarkFixture, large: tuple[Store, BatchRecord]
) -> None:
    _mark(benchmark, *large)

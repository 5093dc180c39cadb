"""Serial allocation, the LMDB store, lookup and bulk state changes (`make bench`).

Targets (DESIGN §7): allocation + persistence >= 2 M codes/s and a 10 M-code batch in < 10 s,
>= 50x a naive allocator (`secrets` + a `set` + one SQLite row per code) in the same run.
"Allocation" here is the whole job: grant the counter range, write every code's state page and
the audit event in one durable transaction, and generate every serial (the numba permutation),
so that the codes exist as bytes ready for printing.
"""

from __future__ import annotations

import itertools
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import CodeState, Level
from jejak.engine.lookup import lookup
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store

N_BATCH = 10_000_000
N_NAIVE = 200_000
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
_names = (f"B{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store(tmp_path_factory.mktemp("bench") / "store")
    opened.add_product(
        Product.parse(nie="DKL1234567890A1", name="Bench", packaging="Dus",
                      gtin="8991234567891"), actor="bench")  # fmt: skip
    yield opened
    opened.close()


def request(batch: str, quantity: int) -> CodeRequest:
    return CodeRequest.parse(nie="DKL1234567890A1", batch=batch, expiry="2029-12-31",
                             primary_count=quantity, max_per_secondary=100,
                             max_per_tertiary=50)  # fmt: skip


def allocate(store: Store, quantity: int) -> np.ndarray:
    record = store.open_batch(request(next(_names), quantity), serial_format=FORMAT,
                              actor="bench")  # fmt: skip
    primary = record.level(Level.PRIMARY)
    assert primary.start is not None
    counters = np.arange(primary.start, primary.start + primary.count, dtype=np.uint64)
    return store.permutation(record).format(counters)


def test_allocate_10m_batch(benchmark: BenchmarkFixture, store: Store) -> None:
    allocate(store, 1000)  # compile the numba kernels outside the measurement
    serials = benchmark.pedantic(allocate, args=(store, N_BATCH), rounds=3, iterations=1)
    assert serials.shape == (N_BATCH, 12)
    benchmark.extra_info["codes_per_s"] = N_BATCH / benchmark.stats.stats.median


def naive_allocate(path: Path, quantity: int) -> int:
    """The baseline: random serials, a set against repeats, one SQLite row per code."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS codes (serial TEXT PRIMARY KEY, batch TEXT, state INT)")
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    seen: set[str] = set()
    with db:
        while len(seen) < quantity:
            serial = "".join(secrets.choice(alphabet) for _ in range(12))
            if serial in seen:
                continue
            seen.add(serial)
            db.execute("INSERT INTO codes VALUES (?, ?, ?)", (serial, "B", 2))
    db.close()
    path.unlink()
    return len(seen)


def test_naive_allocate_baseline(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    made = benchmark.pedantic(naive_allocate, args=(tmp_path / "naive.db", N_NAIVE), rounds=2)
    assert made == N_NAIVE
    benchmark.extra_info["codes_per_s"] = N_NAIVE / benchmark.stats.stats.median


def test_lookup_scanned_code(benchmark: BenchmarkFixture, store: Store) -> None:
    serials = allocate(store, 100_000)
    record = store.batches()[-1]
    data = "]d2" + record.code(bytes(serials[4242]).decode()).raw
    info = benchmark(lookup, store, data)
    assert info.index == 4242


def test_bulk_state_change_1m_random(benchmark: BenchmarkFixture, store: Store) -> None:
    allocate(store, 4_000_000)
    record = store.batches()[-1]
    chunks = iter(np.random.default_rng(7).permutation(4_000_000).reshape(4, 1_000_000))

    def change() -> int:
        return store.transition(record.batch, Level.PRIMARY, next(chunks), CodeState.ENCODED,
                                actor="bench")  # fmt: skip

    assert benchmark.pedantic(change, rounds=3, iterations=1) == 1_000_000
    benchmark.extra_info["codes_per_s"] = 1_000_000 / benchmark.stats.stats.median

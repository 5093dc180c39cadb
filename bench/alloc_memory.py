"""Peak memory of allocating a 10 M-code batch (run: .venv/bin/python bench/alloc_memory.py).

Opens a fresh store, allocates a 10 M-primary-code batch, generates every serial, and prints the
time and the process's peak resident memory (the issue's bound: about 1 GB).
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import Level
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store


def open_batch(store: Store, batch: str, quantity: int) -> np.ndarray:
    request = CodeRequest.parse(nie="DKL1234567890A1", batch=batch, expiry="2029-12-31",
                                primary_count=quantity, max_per_secondary=100,
                                max_per_tertiary=50)  # fmt: skip
    fmt = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
    record = store.open_batch(request, serial_format=fmt, actor="bench")
    first = record.level(Level.PRIMARY)
    start = first.start or 0
    return store.permutation(record).format(np.arange(start, start + first.count, dtype=np.uint64))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder) / "s") as store:
        store.add_product(Product.parse(nie="DKL1234567890A1", name="M", packaging="Dus"),
                          actor="bench")  # fmt: skip
        open_batch(store, "W", 10)  # compile the numba kernels first
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        serials = open_batch(store, "B", 10_000_000)
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"10 M-code batch allocated and {serials.shape[0]:,} serials generated in "
        f"{elapsed:.2f} s; peak RSS {peak / 1024:.0f} MiB (before: {before / 1024:.0f} MiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

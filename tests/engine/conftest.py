"""Shared fixtures for engine tests: a real LMDB store in a temporary folder, always closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jejak.engine.batch import CodeRequest
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store

NIE = "DKL1234567890A1"
GTIN = "08991234567891"
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "store", map_size=1 << 32)
    try:
        opened.add_product(
            Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus", gtin=GTIN),
            actor="qa",
        )
        yield opened
    finally:
        opened.close()


def make_request(batch: str = "B1", quantity: int = 1000, **changes: object) -> CodeRequest:
    fields: dict[str, object] = {
        "nie": NIE,
        "batch": batch,
        "expiry": "2028-10-31",
        "primary_count": quantity,
        "max_per_secondary": 12,
        "max_per_tertiary": 40,
        "requested_on": dt.date(2026, 11, 25),
    }
    return CodeRequest.parse(**{**fields, **changes})  # type: ignore[arg-type]


@contextmanager
def raw(store: Store) -> Iterator[tuple[Any, dict[str, Any]]]:
    """White box: a write transaction on the store's LMDB environment and its databases, for
    tests that play a disk fault or an intruder (nothing in Jejak writes this way)."""
    with store._env.begin(write=True) as txn:
        yield txn, store._dbs

"""Engine suites: the shared store fixtures come from `jejak.testing` (re-exported here for the
modules that import them by name); `raw` is for the tests that play a disk fault."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jejak.engine.store import Store
from jejak.testing import FORMAT, GTIN, NIE, make_request

__all__ = ["FORMAT", "GTIN", "NIE", "make_request", "raw"]


@contextmanager
def raw(store: Store) -> Iterator[tuple[Any, dict[str, Any]]]:
    """White box: a write transaction on the store's LMDB environment and its databases, for
    tests that play a disk fault or an intruder (nothing in Jejak writes this way)."""
    with store._core.env.begin(write=True) as txn:
        yield txn, store._core.dbs

"""Pre-generation: every code's symbol encoded, verified and stored; loaded back exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.engine.conftest import raw

from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import StoreError
from jejak.engine.listing import code_texts
from jejak.engine.store import Store
from jejak.printers.pregen import Pregenerator, load_symbols, pregenerate
from jejak.printers.symbols import SymbolKind, read, to_image
from jejak.testing import FORMAT, make_request


@pytest.fixture
def store(store: Store) -> Store:
    """The shared store, with batch B1 of 300 packs (25 cases, 3 pallets)."""
    store.open_batch(make_request("B1", 300, max_per_tertiary=10), serial_format=FORMAT,
                     actor="qa")  # fmt: skip
    return store


def texts(store: Store, level: Level, indices: np.ndarray) -> list[bytes]:
    with store.view() as view:
        return code_texts(view, view.batch("B1"), level, indices, form=CodeForm.RAW)


@pytest.mark.parametrize("kind", [SymbolKind.GS1_DATAMATRIX, SymbolKind.GS1_QR])
def test_every_code_of_every_level_is_stored_and_reads_back(store: Store, kind: SymbolKind) -> None:
    report = pregenerate(store, "B1", kind=kind, workers=1)
    assert report.per_level == {"primary": 300, "secondary": 25, "tertiary": 3}
    assert report.symbols == 328
    for level, count in ((Level.PRIMARY, 300), (Level.SECONDARY, 25), (Level.TERTIARY, 3)):
        indices = np.arange(count, dtype=np.int64)
        symbols = load_symbols(store, "B1", level, indices)
        assert [s.data for s in symbols] == texts(store, level, indices)
        for symbol in symbols[:: max(1, count // 10)]:  # a decode sample of every level
            decoded = read(to_image(symbol, 3))
            assert [(d.symbology, d.data) for d in decoded] == [(kind.symbology, symbol.data)]


def test_a_second_run_keeps_the_stored_pages(store: Store) -> None:
    pregenerate(store, "B1", workers=1, levels=[Level.TERTIARY])
    again = pregenerate(store, "B1", workers=1)
    assert again.per_level == {"primary": 300, "secondary": 25, "tertiary": 0}


def test_codes_load_in_the_order_asked(store: Store) -> None:
    pregenerate(store, "B1", workers=1, levels=[Level.PRIMARY])
    indices = np.array([299, 0, 150, 0], dtype=np.int64)
    symbols = load_symbols(store, "B1", Level.PRIMARY, indices)
    assert [s.data for s in symbols] == texts(store, Level.PRIMARY, indices)
    assert symbols[1] == symbols[3]


def test_loading_before_pregeneration_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match=r"Code 7 of the secondary codes of batch 'B1' has no "
                       r"pre-generated symbol\. Hint: run"):  # fmt: skip
        load_symbols(store, "B1", Level.SECONDARY, np.array([7], dtype=np.int64))


def test_background_run_with_a_stop(store: Store) -> None:
    worker = Pregenerator(store, "B1", workers=1)
    worker.stop_event.set()  # stopped before it starts: nothing is stored, nothing breaks
    worker.start()
    worker.join(timeout=60)
    assert worker.error is None
    assert worker.report is not None
    assert worker.report.symbols == 0
    full = Pregenerator(store, "B1", workers=1)
    full.start()
    full.join(timeout=120)
    assert full.error is None, full.error
    assert full.report is not None
    assert full.report.symbols == 328


def test_two_workers_store_what_one_worker_stores(store: Store, tmp_path: Path) -> None:
    pregenerate(store, "B1", workers=2, levels=[Level.PRIMARY])
    indices = np.arange(300, dtype=np.int64)
    two = load_symbols(store, "B1", Level.PRIMARY, indices)
    with raw(store) as (txn, dbs):  # white box: forget the pages, then make them again
        txn.drop(dbs["symbols"], delete=False)  # with one worker
    pregenerate(store, "B1", workers=1, levels=[Level.PRIMARY])
    assert load_symbols(store, "B1", Level.PRIMARY, indices) == two

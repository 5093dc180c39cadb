"""A code's history through the event index: complete, in log order, and exactly what a walk of
the whole log finds (checked against that walk by Hypothesis)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.engine.aggregation.test_operations import open_printed, ref, refs

from jejak.engine.aggregation import Aggregation
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import IllegalTransition
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.store import CodeRef, Event, Store, StoreView
from jejak.testing import FORMAT, GTIN, NIE, make_request

A = CodeState
WINDOW = 4096  # codes per window of a scattered set in the index (_event_index._WINDOW)
O = PrintOutcome  # noqa: E741 - short, like A for the states


def walked(view: StoreView, record_name: str, level: Level, index: int) -> list[int]:
    """The seqs of the events about one code, by walking and decoding the whole log."""
    found = []
    for event in view.events():
        if event.data.get("batch") != record_name:
            continue
        if event.what in ("batch.open", "batch.close"):
            found.append(event.seq)
        elif "first" in event.data and event.data.get("level") == level.name.lower():
            if not event.data["first"] <= index <= event.data["last"]:
                continue
            if not event.data["contiguous"]:
                listed = np.frombuffer(view.payload(event.seq) or b"", ">u8")
                if index not in listed:
                    continue
            found.append(event.seq)
    return found


def test_a_printed_commissioned_code_has_its_whole_life(store: Store) -> None:
    record = store.open_batch(make_request("B1", 1000), serial_format=FORMAT, actor="qa")
    ledger = PrintLedger(store, "B1", Level.PRIMARY)
    (drawn,) = ledger.take([("coder-1", 50)], actor="engine")
    ledger.settle([("coder-1", O.PRINTED, drawn[:40]), ("coder-1", O.FAILED, drawn[40:45])],
                  actor="engine")  # fmt: skip
    PrintLedger(store, "B1", Level.PRIMARY).recover(actor="engine")  # 45-49: unknown
    store.transition("B1", Level.PRIMARY, drawn[:30], A.COMMISSIONED, actor="camera")
    store.transition("B1", Level.PRIMARY, np.array([3, 9]), A.SAMPLED, actor="qa")
    store.close_batch("B1", actor="qa")

    def life(index: int) -> list[tuple[str, object]]:
        history = store.history(CodeRef(record.batch_id, Level.PRIMARY, index))
        return [(e.what.value, e.data.get("to") or e.data.get("printer")) for e in history]

    assert life(3) == [("batch.open", None), ("print.sent", "coder-1"),
                       ("print.printed", "coder-1"), ("codes.transition", "Commissioned"),
                       ("codes.transition", "Sampled"), ("batch.close", None)]  # fmt: skip
    assert life(42) == [("batch.open", None), ("print.sent", "coder-1"),
                        ("print.failed", "coder-1"), ("batch.close", None)]  # fmt: skip
    assert life(47) == [("batch.open", None), ("print.sent", "coder-1"),
                        ("print.recover", None), ("codes.transition", "LabelScrapped"),
                        ("batch.close", None)]  # fmt: skip
    assert life(500) == [("batch.open", None), ("batch.close", None)]


@pytest.mark.parametrize("index", [WINDOW - 1, WINDOW, 2 * WINDOW + 7, 9999])
def test_window_edges(store: Store, index: int) -> None:
    record = store.open_batch(make_request("B1", 10_000), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.arange(WINDOW - 1, WINDOW + 1), A.ENCODED,
                     actor="a")  # fmt: skip
    store.transition("B1", Level.PRIMARY, np.array([2 * WINDOW + 7, 9999]), A.ENCODED, actor="b")
    history = store.history(CodeRef(record.batch_id, Level.PRIMARY, index))
    assert [e.actor for e in history] == ["qa", "a" if index < 2 * WINDOW else "b"]


@pytest.mark.parametrize("size", [1, 4, 5, 16, 17, 64, 65, 1024, 1025, 5000])
def test_runs_of_every_size_class(store: Store, size: int) -> None:
    """A run of `size` codes from 300: found from its first code to its last, not beyond."""
    record = store.open_batch(make_request("B1", 6000), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, np.arange(300, 300 + size), A.ENCODED, actor="run")

    def actors(index: int) -> list[str]:
        return [e.actor for e in store.history(CodeRef(record.batch_id, Level.PRIMARY, index))]

    assert actors(299) == actors(300 + size) == ["qa"]
    assert actors(300) == actors(300 + size - 1) == actors(300 + size // 2) == ["qa", "run"]


def test_other_batches_and_levels_stay_out(store: Store) -> None:
    one = store.open_batch(make_request("B1", 100), serial_format=FORMAT, actor="qa")
    store.open_batch(make_request("B2", 100), serial_format=FORMAT, actor="qa")
    store.transition("B2", Level.PRIMARY, np.arange(5), A.ENCODED, actor="x")
    store.transition("B1", Level.SECONDARY, np.arange(5), A.ENCODED, actor="x")
    assert [e.what for e in store.history(CodeRef(one.batch_id, Level.PRIMARY, 2))] == [
        "batch.open"
    ]


# Against a walk of the whole log -----------------------------------------------------------

COUNT = 3 * WINDOW + 100
moves = st.lists(
    st.tuples(
        st.sampled_from([Level.PRIMARY, Level.SECONDARY]),
        st.one_of(
            st.tuples(st.integers(0, COUNT - 1), st.integers(1, WINDOW + 10)).map(
                lambda t: np.arange(t[0], min(COUNT, t[0] + t[1]))
            ),
            st.lists(st.integers(0, COUNT - 1), min_size=1, max_size=40).map(
                lambda v: np.unique(np.array(v))
            ),
        ),
        st.sampled_from([A.ENCODED, A.COMMISSIONED, A.LABEL_SCRAPPED]),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=moves, probes=st.lists(st.integers(0, COUNT - 1), min_size=1, max_size=8))
def test_history_is_the_walk_of_the_log(steps: list[tuple[Level, np.ndarray, A]],
                                        probes: list[int]) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as folder, Store(Path(folder), map_size=1 << 30) as store:
        store.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN), actor="q")
        record = store.open_batch(make_request("B1", COUNT, max_per_secondary=1),
                                  serial_format=FORMAT, actor="qa")  # fmt: skip
        for level, indices, target in steps:
            with contextlib.suppress(IllegalTransition):  # refused whole: no event, no change
                store.transition("B1", level, indices.astype(np.int64), target, actor="t")
        with store.view() as view:
            for level in (Level.PRIMARY, Level.SECONDARY):
                for index in probes:
                    ref = CodeRef(record.batch_id, level, index)
                    history: tuple[Event, ...] = view.history(ref)
                    assert [e.seq for e in history] == walked(view, "B1", level, index)


def test_a_batchs_events_are_those_of_its_codes_and_itself(store: Store) -> None:
    """`batch_events`: what the index holds of a batch, in log order; a pallet's packing of
    another batch's case is in both batches' events."""
    b1 = open_printed(store, "B1", 24, max_per_tertiary=2)
    b2 = open_printed(store, "B2", 12)
    mixed = Aggregation(store, actor="qa", mixed_pallets=True)
    mixed.pack(ref(b2, Level.SECONDARY, 0), refs(b2, Level.PRIMARY, range(12)))
    mixed.pack(ref(b1, Level.TERTIARY, 0), [ref(b2, Level.SECONDARY, 0)])
    store.close_batch("B1", actor="qa")
    with store.view() as view:
        mine = [e.seq for e in view.batch_events([b1])]
        theirs = [e.seq for e in view.batch_events([b2])]
        every = list(view.events())
        both = [e.seq for e in view.batch_events([b2, b1])]
    assert mine == sorted(mine)
    assert both == sorted(set(mine) | set(theirs))
    packing = [e.seq for e in every if e.what.value == "agg.pack"]
    assert set(mine) & set(theirs) == {packing[-1]}  # the mixed pallet's packing
    by_seq = {e.seq: e for e in every}
    assert {by_seq[s].what.value for s in mine} >= {"batch.open", "codes.transition",
                                                     "agg.pack", "batch.close"}  # fmt: skip
    assert all(by_seq[s].data.get("batch") in (None, "B1") for s in mine)

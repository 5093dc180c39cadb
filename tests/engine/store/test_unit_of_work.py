"""The unit of work: checked moves, typed indexed events, hooks and the outbox, all or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import IllegalTransition, InvalidQuantity, StoreError
from jejak.engine.product import Product
from jejak.engine.store import (
    PRINTS,
    STATES,
    SYMBOLS,
    CodeRef,
    Event,
    EventKind,
    Store,
    UnitOfWork,
)
from jejak.testing import FORMAT, GTIN, NIE, make_request

A = CodeState


@pytest.fixture
def batch(store: Store) -> BatchRecord:
    return store.open_batch(make_request("B1", 1000), serial_format=FORMAT, actor="qa")


def snapshot(store: Store) -> tuple[object, ...]:
    with store.view() as view:
        outbox = view.outbox()
    return store.events(), store.counts("B1"), outbox


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_moves_and_their_event_commit_together(store: Store, batch: BatchRecord) -> None:
    with store.unit_of_work("line") as uow:
        uow.move(batch, Level.PRIMARY, ints(1, 2, 3), A.ENCODED)
        assert uow.states(batch, Level.PRIMARY)[:5].tolist() == [2, 4, 4, 4, 2]  # own writes
        event = uow.event(EventKind.CODES_TRANSITION, {"to": "Encoded"}, batch=batch,
                          level=Level.PRIMARY, indices=ints(1, 2, 3))  # fmt: skip
    assert dict(event.data) == {"batch": "B1", "to": "Encoded", "level": "primary", "count": 3,
                                "first": 1, "last": 3, "contiguous": True}  # fmt: skip
    assert store.counts("B1")[Level.PRIMARY] == {A.ALLOCATED: 997, A.ENCODED: 3}
    assert [e.what for e in store.history(CodeRef(batch.batch_id, Level.PRIMARY, 2))] == [
        "batch.open", "codes.transition"
    ]  # fmt: skip


def in_unit(store: Store, work: Callable[[UnitOfWork], object]) -> None:
    with store.unit_of_work("line") as uow:
        work(uow)


def test_an_illegal_move_aborts_the_whole_unit(store: Store, batch: BatchRecord) -> None:
    def work(uow: UnitOfWork) -> None:
        uow.move(batch, Level.PRIMARY, ints(5), A.ENCODED)
        uow.event(EventKind.CODES_TRANSITION, batch=batch, level=Level.PRIMARY, indices=ints(5))
        uow.move(batch, Level.PRIMARY, ints(6), A.COMMISSIONED)

    before = snapshot(store)
    with pytest.raises(IllegalTransition, match=r"from Allocated to Commissioned"):
        in_unit(store, work)
    assert snapshot(store) == before


def test_a_move_no_event_records_is_refused(store: Store, batch: BatchRecord) -> None:
    def work(uow: UnitOfWork) -> None:
        uow.move(batch, Level.PRIMARY, ints(0), A.ENCODED)
        uow.event(EventKind.CODES_TRANSITION, batch=batch, level=Level.PRIMARY, indices=ints(0))
        uow.move(batch, Level.SECONDARY, ints(0), A.ENCODED)  # no event about it

    before = snapshot(store)
    with pytest.raises(StoreError, match=re.escape(
        "Codes of batch id 1, level secondary changed state with no event about them; nothing "
        "was written. Hint: a writer must record every change with UnitOfWork.event."
    )):  # fmt: skip
        in_unit(store, work)
    assert snapshot(store) == before


def test_moves_outside_the_level_are_refused(store: Store, batch: BatchRecord) -> None:
    with pytest.raises(InvalidQuantity, match=r"Invalid code index 84 for secondary codes"):
        in_unit(store, lambda uow: uow.move(batch, Level.SECONDARY, ints(84), A.ENCODED))


def test_events_name_codes_of_the_level(store: Store, batch: BatchRecord) -> None:
    with pytest.raises(InvalidQuantity, match=re.escape(
        "Invalid code index 84 in an event about the secondary codes of batch 'B1': expected 0 "
        "to 83. Hint: events name codes of the batch's levels."
    )):  # fmt: skip
        in_unit(
            store,
            lambda uow: uow.event(
                EventKind.PRINT_SENT, batch=batch, level=Level.SECONDARY, indices=ints(80, 84)
            ),
        )


def test_a_closed_batch_refuses_moves(store: Store, batch: BatchRecord) -> None:
    store.close_batch("B1", actor="qa")
    with pytest.raises(StoreError, match=r"Batch 'B1' is closed\."):
        in_unit(store, lambda uow: uow.move(batch, Level.PRIMARY, ints(0), A.ENCODED))


def test_columns_are_written_each_their_own_way(store: Store, batch: BatchRecord) -> None:
    with pytest.raises(StoreError, match=r"Column 'states' is not written through pages"):
        in_unit(store, lambda uow: uow.pages(STATES, batch, Level.PRIMARY))
    with pytest.raises(StoreError, match=r"Column 'prints' is fixed-width: use pages"):
        in_unit(store, lambda uow: uow.put_page(PRINTS, batch, Level.PRIMARY, 0, b""))
    with store.unit_of_work("x") as uow:
        uow.pages(PRINTS, batch, Level.PRIMARY).set(ints(0, 999), 1)
        uow.put_page(SYMBOLS, batch, Level.TERTIARY, 0, b"opaque")
        uow.event(EventKind.PRINT_SENT, batch=batch, level=Level.PRIMARY, indices=ints(0, 999))
    with store.view() as view:
        assert view.column(PRINTS, batch, Level.PRIMARY).nonzero()[0].tolist() == [0, 999]
        assert view.values(PRINTS, batch, Level.PRIMARY, ints(999, 0, 5)).tolist() == [1, 1, 0]
        assert view.page(SYMBOLS, batch, Level.TERTIARY, 0) == b"opaque"
        assert view.page(SYMBOLS, batch, Level.PRIMARY, 0) is None


def test_hooks_see_every_event_and_fill_the_outbox_in_the_same_unit(tmp_path: Path) -> None:
    seen: list[EventKind] = []

    def report_commissioning(uow: UnitOfWork, event: Event) -> None:
        seen.append(event.what)
        if event.what is EventKind.CODES_TRANSITION and event.data["to"] == "Commissioned":
            uow.enqueue("usage", f"activate:{event.seq}", "2026-12-03T00:00:00+00:00",
                        {"count": event.data["count"]}, event)  # fmt: skip

    with Store(tmp_path / "s", map_size=1 << 30, hooks=[report_commissioning]) as s:
        s.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN), actor="qa")
        s.open_batch(make_request("B1", 100), serial_format=FORMAT, actor="qa")
        s.transition("B1", Level.PRIMARY, np.arange(10), A.ENCODED, actor="line")
        s.transition("B1", Level.PRIMARY, np.arange(4), A.COMMISSIONED, actor="camera")
        with pytest.raises(IllegalTransition):  # aborted: its outbox record goes with it
            s.transition("B1", Level.PRIMARY, np.arange(20), A.COMMISSIONED, actor="camera")
        with s.view() as view:
            outbox = view.outbox()
        events = s.events()
    assert seen[:2] == [EventKind.PRODUCT_ADD, EventKind.RANGE_RESERVE]
    assert seen.count(EventKind.CODES_TRANSITION) == 2  # the aborted one never got an event
    assert [(r.seq, r.topic, r.key, r.body) for r in outbox] == [
        (1, "usage", f"activate:{events[-1].seq}", {"count": 4})
    ]
    assert outbox[0].event == events[-1].seq


def test_a_hook_that_fails_aborts_the_change(store: Store, batch: BatchRecord) -> None:
    def broken(uow: UnitOfWork, event: Event) -> None:
        raise OSError("outbox disk full")

    store.hooks.append(broken)
    before = snapshot(store)
    with pytest.raises(OSError, match="outbox disk full"):
        store.transition("B1", Level.PRIMARY, ints(1), A.ENCODED, actor="line")
    store.hooks.remove(broken)
    assert snapshot(store) == before


def test_scattered_codes_carry_their_index_list(store: Store, batch: BatchRecord) -> None:
    with pytest.raises(StoreError, match=r"scattered codes carries their index list"):
        in_unit(store, lambda uow: uow.event(EventKind.PRINT_SENT, batch=batch,
                                             level=Level.PRIMARY, indices=ints(1, 5),
                                             payload=b"other"))  # fmt: skip
    with store.unit_of_work("x") as uow:
        event = uow.event(EventKind.PRINT_SENT, batch=batch, level=Level.PRIMARY,
                          indices=ints(1, 5))  # fmt: skip
    with store.view() as view:
        assert np.frombuffer(view.payload(event.seq) or b"", ">u8").tolist() == [1, 5]
    assert event.data["contiguous"] is False

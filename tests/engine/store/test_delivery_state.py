"""The outbox's delivery state in the store (schema 5): the queue of records not sent yet, every
attempt to deliver one and its answer, each with its audit event; a record leaves the queue only
with a confirmed answer. Deferred hook work and the codes an event was entered under. A schema-4
store's records are queued by the migration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.engine.conftest import raw

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.store import Event, EventKind, OutboxRecord, Store, UnitOfWork
from jejak.engine.store import _layout as layout
from jejak.engine.store.view import Attempt, AttemptOutcome
from jejak.testing import FORMAT, make_request

AO = AttemptOutcome
DUE = "2026-12-04T06:00:00+00:00"


def enqueue(store: Store, count: int) -> list[OutboxRecord]:
    with store.unit_of_work("test") as uow:
        event = uow.event(EventKind.LINE_RUN, {"test": True})
        return [uow.enqueue("usage", f"k{n}", DUE, {"n": n}, event) for n in range(count)]


def attempt(store: Store, record: OutboxRecord, outcome: AttemptOutcome, *,
            status: int | None = None, receipt: str | None = None,
            detail: str | None = None) -> tuple[Attempt, bool]:  # fmt: skip
    """One attempt begun and answered, each in its unit; (the answer, whether sent now)."""
    with store.unit_of_work("submit") as uow:
        begun = uow.begin_attempt(record, started="2026-12-03T06:00:00.000+00:00")
    with store.unit_of_work("submit") as uow:
        done = begun.answered(outcome, ended="2026-12-03T06:00:01.000+00:00", status=status,
                              receipt=receipt, detail=detail)  # fmt: skip
        return done, uow.record_answer(done)


def test_queued_records_leave_the_queue_only_when_confirmed(store: Store) -> None:
    first, second, third = enqueue(store, 3)
    assert attempt(store, first, AO.SERVER_ERROR, status=503)[1] is False
    assert attempt(store, first, AO.TIMEOUT, detail="ReadTimeout")[1] is False
    done, sent = attempt(store, first, AO.ACCEPTED, status=201, receipt="R-1")
    assert sent is True
    assert attempt(store, third, AO.DUPLICATE, status=200, receipt="R-0")[1] is True
    with store.view() as view:
        assert [r.seq for r in view.queued()] == [second.seq]
        assert (view.queued_count(), view.is_queued(first.seq), view.is_queued(second.seq)) == (
            1, False, True)  # fmt: skip
        attempts = view.attempts(first.seq)
        assert view.last_attempt(first.seq) == attempts[-1] == done
        assert view.last_attempt(second.seq) is None
        assert view.attempts(second.seq) == []
        assert view.outbox() == [first, second, third]  # the records themselves never change
    assert [(a.number, a.outcome, a.status, a.receipt, a.detail) for a in attempts] == [
        (1, AO.SERVER_ERROR, 503, None, None), (2, AO.TIMEOUT, None, None, "ReadTimeout"),
        (3, AO.ACCEPTED, 201, "R-1", None)]  # fmt: skip
    events = [e for e in store.events() if e.what.value.startswith("outbox.")]
    assert [(e.what, dict(e.data)) for e in events[:2]] == [
        (EventKind.OUTBOX_ATTEMPT, {"outbox": 1, "key": "k0", "topic": "usage", "attempt": 1}),
        (EventKind.OUTBOX_ANSWER, {"outbox": 1, "attempt": 1, "outcome": "server_error",
                                   "status": 503, "receipt": None})]  # fmt: skip
    assert len(events) == 8
    assert store.verify_audit().ok


def answer(store: Store, attempt: Attempt) -> None:
    with store.unit_of_work("submit") as uow:
        uow.record_answer(attempt)


def test_an_attempt_is_answered_once_and_with_an_outcome(store: Store) -> None:
    (record,) = enqueue(store, 1)
    done, _ = attempt(store, record, AO.CONNECTION)
    with pytest.raises(
        StoreError,
        match=r"^Attempt 1 to deliver outbox record 1 is not one "
        r"begun and unanswered; expected the answer of a begun attempt\. Hint: ",
    ):
        answer(store, done)
    with store.unit_of_work("submit") as uow:
        begun = uow.begin_attempt(record)
    with pytest.raises(StoreError, match="not one begun and unanswered"):
        answer(store, begun)  # still "started": no answer
    with pytest.raises(StoreError, match="not one begun and unanswered"):
        answer(store, Attempt(record.seq, 9, "x", AO.ACCEPTED))  # never begun
    with store.view() as view:
        assert [a.outcome for a in view.attempts(record.seq)] == [AO.CONNECTION, AO.STARTED]


def test_an_interrupted_attempt_stays_on_record_as_started(store: Store) -> None:
    (record,) = enqueue(store, 1)
    with store.unit_of_work("submit") as uow:
        uow.begin_attempt(record)
    with store.view() as view:  # the process died here: the record is still queued
        assert view.is_queued(record.seq)
        last = view.last_attempt(record.seq)
        assert last is not None
        assert last.outcome is AO.STARTED
    assert attempt(store, record, AO.DUPLICATE, receipt="R-1")[0].number == 2


def test_an_aborted_unit_queues_nothing(store: Store) -> None:
    def queue_then_fail() -> None:
        with store.unit_of_work("test") as uow:
            event = uow.event(EventKind.LINE_RUN, {})
            uow.enqueue("usage", "k", DUE, {}, event)
            raise OSError("disk")

    with pytest.raises(OSError, match="disk"):
        queue_then_fail()
    with store.view() as view:
        assert (view.outbox(), view.queued(), view.queued_count()) == ([], [], 0)


def test_deferred_work_sees_the_whole_unit(store: Store) -> None:
    record = store.open_batch(make_request(quantity=50), serial_format=FORMAT, actor="qa")
    seen: list[tuple[str, list[tuple[str, int, list[int]]]]] = []

    def at_end(event: Event, uow: UnitOfWork) -> None:
        seen.append((event.what.value, [(r.batch, int(lv), i.tolist())
                                        for r, lv, i in uow.codes_of(event)]))  # fmt: skip

    def hook(uow: UnitOfWork, event: Event) -> None:
        if event.what is EventKind.CODES_TRANSITION:
            uow.at_finish(lambda u: at_end(event, u))

    store.hooks.append(hook)
    with store.unit_of_work("x") as uow:
        uow.move(record, Level.PRIMARY, np.array([3, 4]), CodeState.ENCODED)
        event = uow.event(EventKind.CODES_TRANSITION, {"to": "Encoded"}, batch=record,
                          level=Level.PRIMARY, indices=np.array([3, 4]))  # fmt: skip
        assert seen == []  # not yet: at the end of the block
        uow.index(event, record, Level.SECONDARY, np.array([0]))
    assert seen == [("codes.transition", [("B1", 1, [3, 4]), ("B1", 2, [0])])]


def test_migrating_a_schema_4_store_queues_its_records(tmp_path: Path) -> None:
    with Store(tmp_path / "s", map_size=1 << 30) as store:
        records = enqueue(store, 3)
        with raw(store) as (txn, dbs):  # as schema 4 left it: no queue
            txn.drop(dbs["outbox_queue"], delete=False)
            txn.put(b"schema", b"4", db=dbs["meta"])
    with Store(tmp_path / "s", map_size=1 << 30) as store, store.view() as view:
        assert [r.seq for r in view.queued()] == [r.seq for r in records]
        assert view.attempts(1) == []
        assert dict(store.events()[-1].data) == {"from": 4, "to": 5}
        assert layout.SCHEMA_VERSION == 5

"""Delivery through real HTTP on loopback: every record accepted exactly once, whatever the
server does (fails, stalls past the timeout, hangs, accepts and holds its answer, drops the
connection after accepting, answers twice), every attempt and its answer on record, a record
marked sent only once the server confirmed it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.regulator.conftest import (
    FAST,
    STALL,
    TOKEN,
    dead_url,
    queue_records,
    submitter,
    usage_body,
)

from jejak.engine.store import EventKind, Store
from jejak.engine.store.view import AttemptOutcome
from jejak.regulator.client import RetryPolicy
from jejak.regulator.server import Fault, FaultPlan, RegulatorServer, running

AO = AttemptOutcome


def exactly_once(store: Store, server: RegulatorServer) -> None:
    """Every record of the store accepted once by the server, marked sent, with the server's
    receipt on its confirming attempts; the audit chain intact."""
    accepted = {a.key: a for a in server.accepted()}
    with store.view() as view:
        records = view.outbox()
        assert view.queued_count() == 0
        for record in records:
            confirmed = [a for a in view.attempts(record.seq) if a.outcome.confirmed]
            assert confirmed, record
            assert {a.receipt for a in confirmed} == {accepted[record.key].receipt}
        assert view.verify_audit().ok
    assert sorted(accepted) == sorted(r.key for r in records)
    assert len({a.receipt for a in accepted.values()}) == len(accepted)


def outcomes(store: Store, seq: int) -> list[AttemptOutcome]:
    with store.view() as view:
        return [a.outcome for a in view.attempts(seq)]


def test_a_clean_run_delivers_each_record_once_in_order(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    records = queue_records(outbox_store, 5)
    with submitter(outbox_store, regulator) as client:
        report = client.run()
    assert report.as_json() == {"sent": 5, "accepted": 5, "duplicates": 0, "refused": [],
                                "attempts": 5, "pending": 0, "stopped": None,
                                "interrupted": False}  # fmt: skip
    exactly_once(outbox_store, regulator)
    assert [a.key for a in regulator.accepted()] == [r.key for r in records]
    with outbox_store.view() as view:
        (attempt,) = view.attempts(1)
        kinds = [e.what for e in view.events()][-10:]
    assert (attempt.number, attempt.outcome, attempt.status, attempt.receipt) == (
        1, AO.ACCEPTED, 201, "R-00000001")  # fmt: skip
    assert kinds == [EventKind.OUTBOX_ATTEMPT, EventKind.OUTBOX_ANSWER] * 5
    with submitter(outbox_store, regulator) as client:  # nothing left: nothing sent
        assert client.run().attempts == 0
    assert regulator.stats()["posts"] == 5


@pytest.mark.parametrize(
    ("fault", "first", "then"),
    [
        (Fault.FAIL, AO.SERVER_ERROR, {AO.ACCEPTED}),
        (Fault.STALL, AO.TIMEOUT, {AO.ACCEPTED, AO.DUPLICATE}),  # the stall may end first
        (Fault.HANG, AO.TIMEOUT, {AO.ACCEPTED}),
        (Fault.HOLD, AO.TIMEOUT, {AO.DUPLICATE}),  # accepted, the answer held past the timeout
        (Fault.DROP, AO.CONNECTION, {AO.DUPLICATE}),  # accepted, then the connection dropped
    ],
)
def test_a_fault_on_the_first_record_is_retried_and_delivered_once(
    outbox_store: Store, regulator: RegulatorServer, fault: Fault, first: AttemptOutcome,
    then: set[AttemptOutcome],
) -> None:  # fmt: skip
    queue_records(outbox_store, 3)
    regulator.set_faults(FaultPlan(script=(fault,), stall=STALL))
    with submitter(outbox_store, regulator) as client:
        report = client.run()
    assert (report.sent, report.pending, report.stopped) == (3, 0, None)
    first_record = outcomes(outbox_store, 1)
    assert first_record[0] is first
    assert first_record[-1] in then or (
        len(first_record) > 2 and first_record[-1] is (AO.DUPLICATE)
    )  # a retry of a loaded machine may time out too, after its acceptance
    assert all(o.transient for o in first_record[:-1])
    exactly_once(outbox_store, regulator)


def test_an_answer_written_twice_never_confirms_another_record(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    queue_records(outbox_store, 4)
    regulator.set_faults(FaultPlan(script=(Fault.TWICE, Fault.NONE, Fault.TWICE)))
    with submitter(outbox_store, regulator) as client:
        report = client.run()
    assert (report.sent, report.pending) == (4, 0)
    exactly_once(outbox_store, regulator)  # each record's own receipt, never a neighbour's


def test_random_faults_still_deliver_every_record_exactly_once(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    queue_records(outbox_store, 40)
    rates = {Fault.FAIL: 0.15, Fault.DROP: 0.15, Fault.TWICE: 0.1, Fault.HOLD: 0.05}
    regulator.set_faults(FaultPlan(rates=rates, stall=STALL, seed=3))
    policy = RetryPolicy(attempts=20, base=0.001, cap=0.01)
    with submitter(outbox_store, regulator, policy=policy) as client:
        report = client.run()
    assert (report.sent, report.pending, report.stopped) == (40, 0, None)
    assert report.attempts > 40  # faults were played and retried
    exactly_once(outbox_store, regulator)


def test_a_refused_token_stops_the_run_and_sends_nothing(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    queue_records(outbox_store, 3)
    with submitter(outbox_store, regulator, token=TOKEN + "x") as client:
        report = client.run()
    assert (report.sent, report.pending, report.stopped, report.attempts) == (
        0, 3, AO.UNAUTHORIZED, 1)  # fmt: skip
    with outbox_store.view() as view:
        (attempt,) = view.attempts(1)
    assert (attempt.status, attempt.detail) == (401, "unauthorized")
    assert regulator.accepted() == []


def test_a_refused_record_stays_queued_and_the_others_go(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    queue_records(outbox_store, 1)
    broken = usage_body(99)
    broken["rows"] = [{"primary_code": "x"}]
    (bad,) = queue_records(outbox_store, 1, body=broken)
    queue_records(outbox_store, 1)
    with submitter(outbox_store, regulator) as client:
        report = client.run()
    assert (report.sent, report.refused, report.pending, report.stopped) == (2, [bad.seq], 1,
                                                                              None)  # fmt: skip
    with outbox_store.view() as view:
        (attempt,) = view.attempts(bad.seq)
        assert [r.seq for r in view.queued()] == [bad.seq]
    assert (attempt.outcome, attempt.status, attempt.detail) == (AO.REFUSED, 422,
                                                                 "invalid_payload")  # fmt: skip


def test_the_api_down_stops_the_run_and_a_later_run_delivers(
    outbox_store: Store, regulator: RegulatorServer
) -> None:
    queue_records(outbox_store, 3)
    with submitter(outbox_store, dead_url()) as client:
        report = client.run()
    assert (report.sent, report.pending, report.stopped, report.attempts) == (
        0, 3, AO.CONNECTION, FAST.attempts)  # fmt: skip
    assert outcomes(outbox_store, 1) == [AO.CONNECTION] * FAST.attempts
    with submitter(outbox_store, regulator) as client:
        assert client.run().sent == 3
    exactly_once(outbox_store, regulator)


def test_a_restarted_server_still_knows_what_it_accepted(
    outbox_store: Store, tmp_path: Path
) -> None:
    record = tmp_path / "accepted.jsonl"
    queue_records(outbox_store, 2)
    with running(token=TOKEN, partner_id="IF-0042", record=record,
                 plan=FaultPlan(script=(Fault.NONE, Fault.DROP))) as first:  # fmt: skip
        with submitter(outbox_store, first, policy=RetryPolicy(attempts=1)) as client:
            assert client.run().stopped is AO.CONNECTION  # the second was accepted, dropped
        assert len(first.accepted()) == 2
    with running(token=TOKEN, partner_id="IF-0042", record=record) as second:
        with submitter(outbox_store, second) as client:
            report = client.run()
        assert (report.accepted, report.duplicates) == (0, 1)
        exactly_once(outbox_store, second)

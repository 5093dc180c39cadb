"""A usage report of a time window: the codes the window's activities named, as they are now
(packing, samples, verdicts; returns and recalls), nothing of the activities before it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import open_printed, ref, refs

from jejak.engine.aggregation import Aggregation
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import InvalidDate
from jejak.engine.outbox import install
from jejak.engine.report.usage import UsageReport, UsageSettings
from jejak.engine.report.window import Window, window_codes
from jejak.engine.shipments import PartnerId, Reason, Shipping
from jejak.engine.store import Store

P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
SETTINGS = UsageSettings.parse(partner_id="P-0001")


def last_time(store: Store) -> str:
    with store.view() as view:
        return str(view.outbox()[-1].body["time"])


def after(time: str) -> str:
    return (dt.datetime.fromisoformat(time) + dt.timedelta(microseconds=1)).isoformat()


def named(store: Store, window: Window, record: BatchRecord) -> list[int]:
    with store.view() as view:
        return window_codes(view, window, [record]).get(record.batch_id, np.zeros(0)).tolist()


@pytest.fixture
def b1(store: Store) -> BatchRecord:
    install(store)
    return open_printed(store, "B1", 36, max_per_tertiary=2)  # verified: queued as usage


def test_a_window_names_the_codes_of_its_activities_only(store: Store, b1: BatchRecord) -> None:
    verified = last_time(store)
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(b1, S, 0), refs(b1, P, range(12)))
    agg.sample([ref(b1, P, 30)])
    window = Window.parse(since=after(verified))
    assert named(store, window, b1) == [*range(12), 30]
    everything = Window.parse(since="2000-01-01")
    assert named(store, everything, b1) == list(range(36))
    with store.view() as view:
        counts = UsageReport(view, [b1], SETTINGS, window=window).counts()
    assert (counts.rows, counts.active, counts.retained_sample) == (13, 12, 1)


def test_a_pallet_names_the_packs_of_its_cases_and_a_return_what_it_held(
    store: Store, b1: BatchRecord
) -> None:
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(b1, S, 0), refs(b1, P, range(12)))
    agg.pack(ref(b1, S, 1), refs(b1, P, range(12, 24)))
    packed = last_time(store)
    agg.pack(ref(b1, T, 0), refs(b1, S, range(2)))
    assert named(store, Window.parse(since=after(packed)), b1) == list(range(24))
    shipping = Shipping(store, actor="wh")
    shipping.ship([ref(b1, T, 0)], PartnerId.parse("PBF-1"))
    shipped = last_time(store)
    shipping.take_back([ref(b1, S, 1)], Reason.parse("damaged"))
    assert named(store, Window.parse(since=after(shipped)), b1) == list(range(12, 24))
    returned = last_time(store)
    shipping.recall("B1", Reason.parse("recall"))
    assert named(store, Window.parse(since=after(returned)), b1) == list(range(36))
    with store.view() as view:
        states = view.states(b1, P)
    assert set(states.tolist()) == {CodeState.INACTIVE}


def test_until_ends_the_window(store: Store, b1: BatchRecord) -> None:
    verified = last_time(store)
    Aggregation(store, actor="qa").sample([ref(b1, P, 3)])
    assert named(store, Window.parse(since="2000-01-01", until=after(verified)), b1) == list(
        range(36))  # fmt: skip
    assert named(store, Window.parse(since=after(verified), until="2100-01-01"), b1) == [3]


@pytest.mark.parametrize(("since", "until", "message"), [
    ("yesterday", None, "Invalid --since 'yesterday': expected an ISO 8601 date or time"),
    ("2026-12-01", "2026-13-01", "Invalid --until '2026-13-01': expected an ISO 8601 date"),
    ("2026-12-02", "2026-12-01", ("Invalid window '2026-12-02' to '2026-12-01': expected "
                                  "its start before its end.")),
    (None, None, "Invalid --since None: expected an ISO 8601 date or time"),
])  # fmt: skip
def test_a_bad_window_is_refused(since: object, until: object, message: str) -> None:
    with pytest.raises(InvalidDate) as bad:
        Window.parse(since=since, until=until)
    assert str(bad.value).startswith(message)

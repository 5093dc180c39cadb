"""Crash safety: SIGKILL a real writer process mid-allocation and mid-state-change, then reopen.

A worker (`crash_worker.py`, a separate process on a real LMDB environment) opens batches of
millions of codes, or moves millions of codes to Encoded, writing a line after each commit. The
test kills it with SIGKILL, either at a chosen point inside a write transaction (the worker
stalls there, so the kill is certain to land mid-transaction) or after a delay, wherever that
falls. Then it reopens the store and shows: every change the worker reported survived, nothing
of the one in flight did; no counter, hence no serial, is issued twice; the counts reconcile;
the audit chain verifies and describes exactly the data; and the store carries on.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
import pytest
from tests.engine.conftest import raw

from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.lookup import lookup
from jejak.engine.serials import SerialAlphabet, SerialFormat
from jejak.engine.store import PAGE, Event, Store
from jejak.engine.store import _layout as layout
from jejak.engine.store.reconcile import reconcile
from jejak.engine.store.store import CHUNKS_PER_TXN

WORKER = Path(__file__).with_name("crash_worker.py")
STARTUP_TIMEOUT = 60.0  # a cold start may compile numba functions
EXIT_TIMEOUT = 30.0
NIE = "DKL1234567890A1"
GTIN = "8991234567891"  # as crash_worker.py registers it
EXPIRY = "2040-12-31"
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
SAMPLE = 50_000  # serials checked at each end of every level
BIG_COUNT = 20_000_000  # primary codes of each of the transition worker's batches
TXN_CODES = CHUNKS_PER_TXN * PAGE  # codes per transaction of one transition call


class Worker:
    """A running crash_worker.py, its stdout read line by line on a thread."""

    def __init__(self, store: Path, args: list[str], stderr: Path) -> None:
        self._stderr_path = stderr
        self._stderr = stderr.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(store), *args],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def _fail(self, why: str) -> NoReturn:
        self._stderr.flush()
        stderr = self._stderr_path.read_text(errors="replace")[-4000:]
        pytest.fail(f"crash worker {why}; stdout so far {self.lines}; stderr:\n{stderr}")

    def expect(self, prefix: str, timeout: float = STARTUP_TIMEOUT) -> str:
        """Wait for the next line starting with `prefix` (collecting the lines before it)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                self._fail(f"wrote no {prefix!r} line within {timeout} s")
            if line is None:
                self._fail(f"exited (code {self.proc.wait()}) before writing {prefix!r}")
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    def sigkill(self) -> list[str]:
        """Kill with SIGKILL, reap, and return every line the worker wrote."""
        os.kill(self.proc.pid, signal.SIGKILL)
        code = self.proc.wait(timeout=EXIT_TIMEOUT)
        if code != -signal.SIGKILL:
            self._fail(f"ended with exit code {code}, not by SIGKILL")
        self._reader.join(timeout=EXIT_TIMEOUT)
        while (line := self._queue.get_nowait()) is not None:
            self.lines.append(line)
        if "finished" in self.lines:
            self._fail("had finished its work when killed: the kill landed after it")
        return self.lines

    def stop(self) -> None:
        """Kill (if still alive) and reap; close the pipes. Safe to call twice."""
        try:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait(timeout=EXIT_TIMEOUT)
            self._reader.join(timeout=EXIT_TIMEOUT)
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self._stderr.close()


Spawn = Callable[..., Worker]


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "store"
    yield path
    shutil.rmtree(path, ignore_errors=True)  # up to a few hundred MB of LMDB pages


@pytest.fixture
def spawn(store_path: Path, tmp_path: Path) -> Iterator[Spawn]:
    """Start crash workers on `store_path`; every one is killed and reaped at teardown."""
    workers: list[Worker] = []

    def _spawn(*args: str) -> Worker:
        worker = Worker(store_path, list(args), tmp_path / f"worker-{len(workers)}.err")
        workers.append(worker)
        return worker

    try:
        yield _spawn
    finally:
        for worker in workers:
            worker.stop()


# Checks ------------------------------------------------------------------------------------


def check_audit(store: Store) -> list[Event]:
    events = store.events()
    report = store.verify_audit()
    assert report.ok, report
    assert report.checked == len(events)
    return events


def serial_numbers(store: Store, record: BatchRecord, level: Level,
                   counters: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:  # fmt: skip
    """The serials of `counters` packed 5 bits a character: equal numbers, equal serials."""
    text = store.permutation(record).format(counters)
    alphabet = np.frombuffer(SerialAlphabet.UPPER_NO_LOOKALIKES.characters.encode(), np.uint8)
    assert alphabet.size == 32
    assert FORMAT.length * 5 <= 64
    value = np.full(256, 255, np.uint64)
    value[alphabet] = np.arange(32, dtype=np.uint64)
    assert bool(np.all(value[text] != 255)), f"serials of {record.batch} {level.name} off alphabet"
    packed = np.zeros(counters.shape[0], np.uint64)
    for column in text.T:
        packed = (packed << np.uint64(5)) | value[column]
    return packed


def sample_counters(start: int, count: int, ends: int = SAMPLE) -> npt.NDArray[np.uint64]:
    """The first and last `ends` counters of a range (all of it when it is small)."""
    if count <= 2 * ends:
        index = np.arange(count, dtype=np.uint64)
    else:
        index = np.concatenate([np.arange(ends, dtype=np.uint64),
                                np.arange(count - ends, count, dtype=np.uint64)])  # fmt: skip
    return index + np.uint64(start)


def assert_no_repeated_serial(store: Store, samples: list[tuple[BatchRecord, Level, int]]) -> int:
    """Format the sampled counters of every (batch, level) and show no two serials are equal."""
    packed = []
    for record, level, ends in samples:
        allocation = record.level(level)
        assert len(allocation.ranges) == 1
        start, count = allocation.ranges[0]
        counters = sample_counters(start, count, ends)
        packed.append(serial_numbers(store, record, level, counters))
    values = np.sort(np.concatenate(packed))  # sort and compare neighbours: no np.unique
    repeated = np.flatnonzero(values[1:] == values[:-1])
    assert repeated.size == 0, f"{repeated.size} serials issued twice"
    return int(values.size)


def assert_store_consistent(store: Store, records: list[BatchRecord]) -> None:
    """The batch records, batch ids, counter ranges, counters, state pages and audit events of
    a store that only ever opened self-issued batches agree with one another, exactly."""
    assert [r.batch_id for r in records] == list(range(1, len(records) + 1))
    events = check_audit(store)
    opened = [e.data for e in events if e.what == "batch.open"]
    assert [d["batch"] for d in opened] == [r.batch for r in records]
    for data, record in zip(opened, records, strict=True):
        assert data["levels"] == {a.level.name.lower(): [a.source.value, a.start, a.count]
                                  for a in record.levels}  # fmt: skip
        assert data["epoch"] == record.epoch
        assert data["key_id"] == record.key_id
    # Reservations tile the counter from 0 with no gap or overlap (a reservation that never
    # committed left no trace), and the counter stands at their end.
    reserved = [(e.data["start"], e.data["count"]) for e in events if e.what == "range.reserve"]
    starts = itertools.accumulate([count for _, count in reserved[:-1]], initial=0)
    assert [start for start, _ in reserved] == (list(starts) if reserved else [])
    scopes = {(r.scope, r.epoch or 0) for r in records}
    assert len(scopes) <= 1
    for scope, epoch in scopes:
        assert store.ranges.issued(scope, epoch) == sum(count for _, count in reserved)
    # Each batch owns exactly one reservation, its levels in order; one reservation at most
    # belongs to no batch (its batch was in flight when the worker died), never to be used.
    owned = []
    expected_ranges = {}
    for record in records:
        first = record.levels[0].ranges[0][0]
        owned.append((first, sum(a.count for a in record.levels)))
        for allocation in record.levels:
            assert allocation.source is CodeSource.SELF
            ((start, count),) = allocation.ranges
            assert start == first
            first += count
            key = layout.range_key(record.scope, record.epoch or 0, start)
            expected_ranges[key] = (record.batch_id, allocation.level, 0, count)
    unowned = [r for r in reserved if r not in owned]
    assert len(unowned) <= 1
    assert owned == [r for r in reserved if r not in unowned]
    with raw(store) as (txn, dbs):
        names = [bytes(v).decode() for _, v in txn.cursor(dbs["batch_ids"])]
        assert names == [r.batch for r in records]
        ranges = {bytes(k): layout.unpack_range_value(bytes(v))
                  for k, v in txn.cursor(dbs["ranges"])}  # fmt: skip
        assert ranges == expected_ranges
        if not reserved:
            assert list(txn.cursor(dbs["counters"])) == []
        # State pages: exactly those of the surviving batches' levels, none of the lost one.
        pages: dict[tuple[int, int], list[int]] = {}
        for key, _ in txn.cursor(dbs["states"]):
            batch_id, level, page = layout.unpack_page_key(bytes(key))
            pages.setdefault((batch_id, level), []).append(page)
    assert pages == {
        (r.batch_id, a.level): list(range(-(-a.count // PAGE)))
        for r in records for a in r.levels
    }  # fmt: skip
    with store.view() as view:
        for record in records:  # reconcile reads only: every batch balances, all unused
            issued = {(record.scope, record.epoch or 0): store.ranges.issued(record.scope, 0)}
            report = reconcile(view, record, issued)
            for allocation in record.levels:
                level = report["levels"][allocation.level.name.lower()]
                assert (level["voided"], level["scrapped"]) == (allocation.count, 0)
    for record in records:
        assert store.counts(record.batch) == {
            a.level: {CodeState.ALLOCATED: a.count} for a in record.levels
        }


def close_and_check(store: Store, record: BatchRecord) -> dict[str, Any]:
    before = {a.level: store.counts(record.batch)[a.level] for a in record.levels}
    report = store.close_batch(record.batch, actor="test")
    after = store.counts(record.batch)
    for allocation in record.levels:
        level = report["levels"][allocation.level.name.lower()]
        assert level["allocated"] == allocation.count
        assert level["voided"] + level["scrapped"] == allocation.count
        assert level["voided"] == before[allocation.level].get(CodeState.ALLOCATED, 0)
        assert after[allocation.level] == {
            state: n
            for state, n in ((CodeState.SN_INVALID, level["voided"]),
                             (CodeState.LABEL_SCRAPPED, level["scrapped"]))
            if n
        }  # fmt: skip
    assert store.batch(record.batch).closed_at is not None
    return report


def request(batch: str, count: int) -> CodeRequest:
    return CodeRequest.parse(nie=NIE, batch=batch, expiry=EXPIRY, primary_count=count,
                             max_per_secondary=20, max_per_tertiary=50)  # fmt: skip


def check_serials(store: Store, records: list[BatchRecord]) -> None:
    """No serial issued twice, over both ends of every level and the whole primary level of the
    batch opened after the crash (the last record); and serials look up to their codes."""
    after = records[-1]
    samples = [(r, a.level, SAMPLE) for r in records[:-1] for a in r.levels]
    samples += [(after, Level.PRIMARY, after.level(Level.PRIMARY).count)]
    samples += [(after, lv, SAMPLE) for lv in (Level.SECONDARY, Level.TERTIARY)]
    assert assert_no_repeated_serial(store, samples) >= after.level(Level.PRIMARY).count
    first = store.permutation(after).serial(after.level(Level.PRIMARY).start or 0)
    found = lookup(store, first)
    assert (found.batch.batch, found.level, found.index) == ("AFTER", Level.PRIMARY, 0)
    if len(records) > 1:
        last = records[-2]
        tertiary = last.level(Level.TERTIARY)
        serial = store.permutation(last).serial((tertiary.start or 0) + tertiary.count - 1)
        found = lookup(store, serial)
        where = (found.batch.batch, found.level, found.index)
        assert where == (last.batch, Level.TERTIARY, tertiary.count - 1)


# Large allocation ----------------------------------------------------------------------------

ALLOCATION_KILLS = [
    # (stall point, K) kills at a known point; (None, seconds) kills that long after the first
    # commit, wherever the worker is (mostly inside a transaction).
    pytest.param("reserve", 1, id="inside-first-batch-range-reservation"),
    pytest.param("reserved", 4, id="batch-4-range-reserved-batch-not-yet-written"),
    pytest.param("event", 6, id="inside-batch-6-after-its-audit-event"),
    pytest.param(None, 0.0, id="right-after-first-commit"),
    pytest.param(None, 0.07, id="after-70ms"),
    pytest.param(None, 0.2, id="after-200ms"),
]


@pytest.mark.parametrize(("stall", "when"), ALLOCATION_KILLS)
def test_kill_during_large_allocations(
    spawn: Spawn, store_path: Path, stall: str | None, when: float
) -> None:
    if stall is None:
        worker = spawn("allocate", "--seed", str(int(when * 1000)))
        worker.expect("committed")
        time.sleep(when)
        in_flight_may_survive = True
    else:
        worker = spawn("allocate", "--stall", stall, "--stall-on", str(int(when)))
        worker.expect("stalled")
        in_flight_may_survive = False
    lines = worker.sigkill()
    reported = [line.split()[1] for line in lines if line.startswith("committed")]
    in_flight = f"B{len(reported) + 1:04d}"
    if stall is not None:
        assert len(reported) == int(when) - 1

    with Store(store_path) as store:
        records = sorted(store.batches(), key=lambda r: r.batch_id)
        names = [r.batch for r in records]
        # Durable: every batch reported committed is there. Atomic: the one in flight is there
        # whole (it committed just before the kill) or not at all.
        allowed = [reported, [*reported, in_flight]] if in_flight_may_survive else [reported]
        assert names in allowed, f"reported {reported}, in flight {in_flight}, found {names}"
        assert_store_consistent(store, records)
        assert len([e for e in store.events() if e.what == "batch.open"]) == len(records)
        if not records:  # killed in the first allocation: no key recorded yet (a key file
            with store.view() as view:  # written before the kill is adopted, not lost)
                assert view.epochs() == []
            assert store.keyring.epochs() in ([], [0])

        # The store carries on: the next batch's ranges start where the counter stands (past
        # a range reserved for a batch that never committed: it is never used).
        issued = store.ranges.issued(f"01:0{GTIN}".encode(), 0)
        after = store.open_batch(request("AFTER", 1_000_000), serial_format=FORMAT, actor="test")
        assert after.batch_id == len(records) + 1
        assert after.key_id == store.key_for(0).key_id
        assert min(a.start or 0 for a in after.levels) == issued
        records.append(after)
        assert_store_consistent(store, records)

        check_serials(store, records)

        # A surviving batch and the new one reconcile and close; the chain still verifies.
        for record in records[-2:]:
            close_and_check(store, record)
        check_audit(store)


# Bulk state change ---------------------------------------------------------------------------

TRANSITION_KILLS = [
    # One call over the whole 20 M-code level runs two transactions (16 Mi codes, then the rest).
    pytest.param("whole", "event", 2, id="whole-level-inside-second-transaction"),
    pytest.param("whole", None, 0.25, id="whole-level-after-250ms"),
    # 1 M-code calls, alternately contiguous and every other code of a 2 M window.
    pytest.param("slices", "event", 4, id="slices-inside-4th-call-a-strided-set"),
    pytest.param("slices", None, 0.0, id="slices-right-after-first-call"),
    pytest.param("slices", None, 0.1, id="slices-after-100ms"),
]


def moved_by_events(store: Store, record: BatchRecord) -> tuple[npt.NDArray[np.bool_], list[int]]:
    """Which primary codes of a batch the audit log says moved to Encoded, and the count of
    each of its codes.transition events."""
    moved = np.zeros(record.level(Level.PRIMARY).count, dtype=np.bool_)
    counts = []
    with store.view() as view:
        for event in view.events():
            data = event.data
            if event.what != "codes.transition" or data["batch"] != record.batch:
                continue
            assert (data["level"], data["to"]) == ("primary", "Encoded")
            if data["contiguous"]:
                assert event.payload_sha256 is None
                index = np.arange(data["first"], data["last"] + 1, dtype=np.int64)
            else:
                payload = view.payload(event.seq)
                assert payload is not None
                index = np.frombuffer(payload, dtype=">u8").astype(np.int64)
            assert index.size == data["count"]
            assert (int(index[0]), int(index[-1])) == (data["first"], data["last"])
            assert not moved[index].any(), f"event {event.seq} moves codes moved before"
            moved[index] = True
            counts.append(data["count"])
    return moved, counts


def check_transitions(store: Store, record: BatchRecord) -> npt.NDArray[np.bool_]:
    """The batch's codes are exactly as its committed events left them: the Encoded codes are
    those the events name, every other code is still Allocated. Returns the Encoded mask."""
    with store.view() as view:
        states = view.states(record, Level.PRIMARY)
    moved, counts = moved_by_events(store, record)
    encoded: npt.NDArray[np.bool_] = states == CodeState.ENCODED
    assert np.array_equal(encoded, moved)
    total = sum(counts)
    count = record.level(Level.PRIMARY).count
    assert int(np.count_nonzero(states == CodeState.ALLOCATED)) == count - total
    tally = store.counts(record.batch)
    expected = ((CodeState.ALLOCATED, count - total), (CodeState.ENCODED, total))
    assert tally[Level.PRIMARY] == {state: n for state, n in expected if n}
    for level in (Level.SECONDARY, Level.TERTIARY):
        assert tally[level] == {CodeState.ALLOCATED: record.level(level).count}
    return encoded


@pytest.mark.parametrize(("mode", "stall", "when"), TRANSITION_KILLS)
def test_kill_during_bulk_state_change(
    spawn: Spawn, store_path: Path, mode: str, stall: str | None, when: float
) -> None:
    stalling = ["--stall", stall, "--stall-on", str(int(when))] if stall else []
    worker = spawn("transition", "--mode", mode, *stalling)
    if stall is not None:
        worker.expect("stalled")
    else:
        worker.expect("committed BIG1" if mode == "whole" else "moved BIG1")
        time.sleep(when)
    lines = worker.sigkill()
    committed = [line.split()[1] for line in lines if line.startswith("committed")]
    done = {line.split()[1] for line in lines if line.startswith("done")}
    reported: dict[str, list[int]] = {name: [] for name in committed}
    for line in lines:
        if line.startswith("moved"):
            reported[line.split()[1]].append(int(line.split()[2]))

    with Store(store_path) as store:
        check_audit(store)
        records = sorted(store.batches(), key=lambda r: r.batch_id)
        names = [r.batch for r in records]
        assert names in (committed, [*committed, f"BIG{len(committed) + 1}"]), names
        for record in records:
            assert record.level(Level.PRIMARY).count == BIG_COUNT
            encoded = check_transitions(store, record)
            counts = moved_by_events(store, record)[1]
            calls = reported.get(record.batch, [])
            # Durable: every call the worker reported is there, one event each (or two for the
            # whole level). Atomic: of the call in flight, whole transactions or nothing.
            if mode == "whole":
                assert counts == [TXN_CODES, BIG_COUNT - TXN_CODES][: len(counts)]
                assert sum(counts) >= sum(calls)
            else:
                assert counts[: len(calls)] == calls
                assert len(counts) - len(calls) in (0, 1)
            if record is not records[-1]:
                assert record.batch in done
                assert sum(counts) == sum(calls)
        last = records[-1]
        if stall is not None:  # the kill landed in the first batch, at a known point
            assert names == ["BIG1"]
            assert reported["BIG1"] == ([] if mode == "whole" else [1_000_000] * 3)
            assert counts == ([TXN_CODES] if mode == "whole" else [1_000_000] * 3)

        # The store carries on: more codes move, then every batch reconciles and closes.
        left = np.flatnonzero(~encoded)[:1000]
        moved = store.transition(last.batch, Level.PRIMARY, left, CodeState.ENCODED, actor="test")
        assert moved == left.size
        encoded = check_transitions(store, last)
        for record in records:
            before = int(np.count_nonzero(check_transitions(store, record)))
            report = close_and_check(store, record)
            primary = report["levels"]["primary"]
            assert primary["scrapped"] == before
            assert primary["voided"] + primary["scrapped"] == BIG_COUNT
        check_audit(store)

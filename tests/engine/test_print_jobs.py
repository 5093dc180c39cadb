"""The print ledger: take, settle, recover, outcomes and counts, on a real LMDB store.

Every test checks the two pages against each other: a code's print outcome and its lifecycle
state (NONE ↔ Allocated, SENT / PRINTED / UNKNOWN ↔ Encoded, FAILED ↔ LabelScrapped), and that
a code handed to a printer is never handed out again, not even by a new ledger after a restart.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.print_jobs import PrintLedger, PrintOutcome, Settled
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import PAGE, Store
from jejak.testing import GTIN, NIE, make_request

A = CodeState
O = PrintOutcome  # noqa: E741 - short, like A for the states
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
CLOSED = "Batch 'B1' is closed. Hint: a closed batch prints nothing; open a new batch."

# The lifecycle state each print outcome implies when only the ledger moves codes.
STATE_OF = {
    O.NONE: A.ALLOCATED,
    O.SENT: A.ENCODED,
    O.PRINTED: A.ENCODED,
    O.FAILED: A.LABEL_SCRAPPED,
    O.UNKNOWN: A.ENCODED,
}


def ints(*values: int) -> npt.NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


def span(lo: int, hi: int) -> npt.NDArray[np.int64]:
    return np.arange(lo, hi, dtype=np.int64)


def states_of(store: Store, level: Level = Level.PRIMARY) -> npt.NDArray[np.uint8]:
    with store.view() as view:
        return view.states(view.batch("B1"), level)


def assert_pages_agree(store: Store, ledger: PrintLedger) -> None:
    """Outcomes and states tell the same story, and the counts add up."""
    outcomes, states = ledger.outcomes(), states_of(store, ledger.level)
    assert outcomes.shape == states.shape == (ledger.count,)
    expected = np.array([STATE_OF[O(o)] for o in range(len(O))], np.uint8)[outcomes]
    np.testing.assert_array_equal(states, expected)
    counts = ledger.counts()
    assert sum(counts.values()) == ledger.count
    assert sum(n for o, n in counts.items() if o is not O.NONE) == np.count_nonzero(outcomes)
    assert ledger.remaining() == counts[O.NONE]


def events_named(store: Store, prefix: str) -> list[tuple[str, dict[str, object]]]:
    return [(e.what, dict(e.data)) for e in store.events() if e.what.startswith(prefix)]


@pytest.fixture
def ledger(store: Store) -> PrintLedger:
    store.open_batch(make_request("B1", 1000), serial_format=FORMAT, actor="qa")
    return PrintLedger(store, "B1", Level.PRIMARY)


# Reading ------------------------------------------------------------------------------------


def test_a_fresh_level_has_nothing_sent(store: Store, ledger: PrintLedger) -> None:
    assert (ledger.count, ledger.self_issued) == (1000, True)
    assert ledger.counts() == {O.NONE: 1000, O.SENT: 0, O.PRINTED: 0, O.FAILED: 0, O.UNKNOWN: 0}
    assert ledger.remaining() == 1000
    assert not ledger.outcomes().any()
    assert_pages_agree(store, ledger)


# Take ---------------------------------------------------------------------------------------


def test_take_draws_allocated_codes_in_index_order(store: Store, ledger: PrintLedger) -> None:
    first = ledger.take([("p1", 5)], actor="engine")
    second = ledger.take([("p1", 3)], actor="engine")
    assert [part.tolist() for part in first + second] == [[0, 1, 2, 3, 4], [5, 6, 7]]
    assert all(part.dtype == np.int64 for part in first + second)
    assert ledger.counts()[O.SENT] == 8
    assert store.counts("B1")[Level.PRIMARY] == {A.ALLOCATED: 992, A.ENCODED: 8}
    assert_pages_agree(store, ledger)


def test_take_is_one_transaction_with_one_event_per_printer(
    store: Store, ledger: PrintLedger
) -> None:
    drawn = ledger.take([("p1", 4), ("p2", 0), ("p3", 6)], actor="engine")
    assert [part.tolist() for part in drawn] == [[0, 1, 2, 3], [], [4, 5, 6, 7, 8, 9]]
    assert events_named(store, "print.") == [
        ("print.sent", {"batch": "B1", "level": "primary", "printer": "p1", "count": 4,
                        "first": 0, "last": 3, "contiguous": True}),
        ("print.sent", {"batch": "B1", "level": "primary", "printer": "p3", "count": 6,
                        "first": 4, "last": 9, "contiguous": True}),
    ]  # fmt: skip
    seqs = [e.seq for e in store.events() if e.what == "print.sent"]
    assert seqs == [seqs[0], seqs[0] + 1]  # consecutive: written in one transaction
    assert_pages_agree(store, ledger)


def test_take_splits_what_is_left_between_printers_in_order(
    store: Store, ledger: PrintLedger
) -> None:
    ledger.take([("p1", 990)], actor="engine")
    drawn = ledger.take([("p1", 4), ("p2", 4), ("p3", 4)], actor="engine")
    assert [part.tolist() for part in drawn] == [
        [990, 991, 992, 993], [994, 995, 996, 997], [998, 999]
    ]  # fmt: skip
    assert [part.size for part in ledger.take([("p1", 10), ("p2", 1)], actor="e")] == [0, 0]
    assert ledger.remaining() == 0
    assert ledger.counts()[O.SENT] == 1000
    assert_pages_agree(store, ledger)


def test_take_skips_codes_other_parts_of_the_line_moved(store: Store, ledger: PrintLedger) -> None:
    store.transition("B1", Level.PRIMARY, ints(1, 2, 3, 7), A.ENCODED, actor="manual")
    store.transition("B1", Level.PRIMARY, ints(1, 2), A.COMMISSIONED, actor="camera")
    store.transition("B1", Level.PRIMARY, ints(3), A.LABEL_SCRAPPED, actor="qa")
    store.transition("B1", Level.PRIMARY, ints(5), A.SN_INVALID, actor="qa")
    drawn = ledger.take([("p1", 6)], actor="engine")
    assert drawn[0].tolist() == [0, 4, 6, 8, 9, 10]
    assert events_named(store, "print.")[0][1]["contiguous"] is False
    states = states_of(store)
    assert states[[1, 2, 3, 5, 7]].tolist() == [
        A.COMMISSIONED, A.COMMISSIONED, A.LABEL_SCRAPPED, A.SN_INVALID, A.ENCODED
    ]  # fmt: skip
    assert (ledger.outcomes()[[1, 2, 3, 5, 7]] == O.NONE).all()  # never the ledger's


def test_a_new_ledger_never_draws_a_code_again(store: Store, ledger: PrintLedger) -> None:
    seen = np.concatenate(ledger.take([("p1", 100), ("p2", 50)], actor="engine"))
    for round_ in range(4):  # a restart each time: a fresh cursor on the same store
        again = PrintLedger(store, "B1", Level.PRIMARY)
        drawn = np.concatenate(again.take([("p1", 60 + round_)], actor="engine"))
        assert not np.intersect1d(seen, drawn).size
        assert drawn.tolist() == list(range(seen.size, seen.size + drawn.size))
        seen = np.concatenate([seen, drawn])
    # Two ledgers at once on one level (two engines): the states decide, not the cursors.
    other = PrintLedger(store, "B1", Level.PRIMARY)
    a = ledger.take([("p1", 10)], actor="engine")[0]
    b = other.take([("p9", 10)], actor="other")[0]
    assert not np.intersect1d(a, b).size
    assert not np.intersect1d(seen, b).size
    assert ledger.counts()[O.SENT] == seen.size + 20
    assert_pages_agree(store, ledger)


def test_take_crosses_state_pages(store: Store) -> None:
    count = PAGE + 100
    store.open_batch(make_request("B1", count), serial_format=FORMAT, actor="qa")
    store.transition("B1", Level.PRIMARY, span(0, PAGE - 10), A.ENCODED, actor="m")
    ledger = PrintLedger(store, "B1", Level.PRIMARY)
    drawn = ledger.take([("p1", 15), ("p2", 15)], actor="engine")
    assert drawn[0].tolist() == [*range(PAGE - 10, PAGE + 5)]
    assert drawn[1].tolist() == [*range(PAGE + 5, PAGE + 20)]
    rest = ledger.take([("p1", 1000)], actor="engine")[0]
    assert rest.tolist() == [*range(PAGE + 20, count)]
    assert PrintLedger(store, "B1", Level.PRIMARY).take([("p1", 5)], actor="e")[0].size == 0
    assert ledger.counts()[O.SENT] == 110


def test_levels_have_their_own_pages(store: Store, ledger: PrintLedger) -> None:
    cases = PrintLedger(store, "B1", Level.SECONDARY)
    assert cases.count == 84
    assert cases.take([("case-printer", 100)], actor="engine")[0].tolist() == [*range(84)]
    assert ledger.counts()[O.NONE] == 1000
    assert ledger.take([("p1", 2)], actor="engine")[0].tolist() == [0, 1]
    assert store.counts("B1")[Level.SECONDARY] == {A.ENCODED: 84}
    assert_pages_agree(store, cases)


# Settle -------------------------------------------------------------------------------------


def test_settle_records_each_answer(store: Store, ledger: PrintLedger) -> None:
    ledger.take([("p1", 10), ("p2", 10)], actor="engine")
    settled = ledger.settle(
        [
            ("p1", O.PRINTED, ints(0, 1, 2, 3)),
            ("p1", O.FAILED, ints(5, 4)),
            ("p2", O.UNKNOWN, span(10, 20)),
            ("p1", O.PRINTED, ints(6)),
        ],
        actor="engine",
    )
    assert {o: v.tolist() for o, v in settled.outcomes.items()} == {
        O.PRINTED: [0, 1, 2, 3, 6], O.FAILED: [4, 5], O.UNKNOWN: [*range(10, 20)]
    }  # fmt: skip
    assert settled.ignored == []
    assert ledger.counts() == {O.NONE: 980, O.SENT: 3, O.PRINTED: 5, O.FAILED: 2, O.UNKNOWN: 10}
    assert store.counts("B1")[Level.PRIMARY] == {
        A.ALLOCATED: 980, A.ENCODED: 18, A.LABEL_SCRAPPED: 2
    }  # fmt: skip
    assert [(what, data["printer"], data["count"]) for what, data in events_named(
        store, "print.")[2:]] == [
        ("print.printed", "p1", 4), ("print.failed", "p1", 2), ("print.unknown", "p2", 10),
        ("print.printed", "p1", 1),
    ]  # fmt: skip
    assert_pages_agree(store, ledger)


def test_settle_ignores_stray_late_and_repeated_answers(store: Store, ledger: PrintLedger) -> None:
    ledger.take([("p1", 10)], actor="engine")
    ledger.settle([("p1", O.PRINTED, ints(0)), ("p1", O.FAILED, ints(1))], actor="engine")
    ledger.recover(actor="engine")  # 2..9 become UNKNOWN
    ledger.take([("p1", 2)], actor="engine")  # 10, 11 SENT
    before = store.events()
    settled = ledger.settle(
        [("p1", O.PRINTED, ints(11, 11, 0, 1, 2, 500, -1, 1000, 10, 11))], actor="engine"
    )
    assert {o: v.tolist() for o, v in settled.outcomes.items()} == {O.PRINTED: [10, 11]}
    assert settled.ignored == [
        (11, "repeated in one answer"),
        (11, "repeated in one answer"),
        (-1, "no such code"),
        (1000, "no such code"),
        (0, "already printed"),
        (1, "already failed"),
        (2, "already unknown"),
        (500, "never sent"),
    ]
    # A second answer for a job in the same call finds it settled by the first.
    ledger.take([("p1", 1)], actor="engine")  # 12
    twice = ledger.settle([("p1", O.FAILED, ints(12)), ("p1", O.PRINTED, ints(12))], actor="engine")
    assert ({o: v.tolist() for o, v in twice.outcomes.items()}, twice.ignored) == (
        {O.FAILED: [12]}, [(12, "already failed")]
    )  # fmt: skip
    assert ledger.outcomes()[[0, 1, 2, 10, 11, 12, 500]].tolist() == [
        O.PRINTED, O.FAILED, O.UNKNOWN, O.PRINTED, O.PRINTED, O.FAILED, O.NONE
    ]  # fmt: skip
    # One event per settled answer, none for the ignored ones.
    assert [e.what for e in store.events()[len(before) :]] == [
        "print.printed", "print.sent", "print.failed"
    ]  # fmt: skip
    assert_pages_agree(store, ledger)


def test_settle_with_only_ignored_answers_writes_nothing(store: Store, ledger: PrintLedger) -> None:
    before = store.events()
    settled = ledger.settle([("p1", O.PRINTED, ints(3, 4))], actor="engine")
    assert (settled.outcomes, settled.ignored) == ({}, [(3, "never sent"), (4, "never sent")])
    assert ledger.settle([("p1", O.PRINTED, ints())], actor="engine").ignored == []
    assert store.events() == before
    assert_pages_agree(store, ledger)


@pytest.mark.parametrize("outcome", [O.NONE, O.SENT])
def test_settle_refuses_an_outcome_that_is_not_an_answer(
    store: Store, ledger: PrintLedger, outcome: PrintOutcome
) -> None:
    ledger.take([("p1", 3)], actor="engine")
    with pytest.raises(ValueError, match=rf"^Not a printer answer: <PrintOutcome\.{outcome.name}"):
        ledger.settle([("p1", O.PRINTED, ints(0)), ("p1", outcome, ints(1))], actor="engine")
    assert ledger.counts()[O.SENT] == 3  # all or nothing: the PRINTED is undone too
    assert_pages_agree(store, ledger)


def test_failed_codes_are_scrapped_and_unknown_ones_at_close(
    store: Store, ledger: PrintLedger
) -> None:
    ledger.take([("p1", 30)], actor="engine")
    ledger.settle(
        [("p1", O.PRINTED, span(0, 10)), ("p1", O.FAILED, span(10, 15)),
         ("p1", O.UNKNOWN, span(15, 20))],
        actor="engine",
    )  # fmt: skip
    store.transition("B1", Level.PRIMARY, span(0, 8), A.COMMISSIONED, actor="camera")
    states = states_of(store)
    assert states[10:15].tolist() == [A.LABEL_SCRAPPED] * 5  # at once
    assert states[15:30].tolist() == [A.ENCODED] * 15  # unknown and unanswered: not yet
    report = store.close_batch("B1", actor="qa")
    assert report["levels"]["primary"]["before"] == {
        "Allocated": 970, "Encoded": 17, "LabelScrapped": 5, "Commissioned": 8
    }  # fmt: skip
    assert store.counts("B1")[Level.PRIMARY] == {
        A.SN_INVALID: 970, A.LABEL_SCRAPPED: 22, A.COMMISSIONED: 8
    }  # fmt: skip
    states = states_of(store)
    assert states[15:30].tolist() == [A.LABEL_SCRAPPED] * 15
    assert states[8:10].tolist() == [A.LABEL_SCRAPPED] * 2  # printed, never verified
    # The ledger keeps what the printers said.
    assert ledger.counts() == {O.NONE: 970, O.SENT: 10, O.PRINTED: 10, O.FAILED: 5, O.UNKNOWN: 5}


def test_failed_answer_leaves_a_code_the_camera_already_moved(
    store: Store, ledger: PrintLedger
) -> None:
    ledger.take([("p1", 3)], actor="engine")
    store.transition("B1", Level.PRIMARY, ints(1), A.COMMISSIONED, actor="camera")
    ledger.settle([("p1", O.FAILED, ints(0, 1, 2))], actor="engine")
    assert states_of(store)[:3].tolist() == [A.LABEL_SCRAPPED, A.COMMISSIONED, A.LABEL_SCRAPPED]


# Recover ------------------------------------------------------------------------------------


def test_recover_turns_sent_into_unknown(store: Store, ledger: PrintLedger) -> None:
    ledger.take([("p1", 20), ("p2", 20)], actor="engine")
    ledger.settle([("p1", O.PRINTED, span(0, 5)), ("p2", O.FAILED, span(20, 22))], actor="e")
    restarted = PrintLedger(store, "B1", Level.PRIMARY)
    assert restarted.recover(actor="engine") == 33
    assert restarted.counts() == {
        O.NONE: 960, O.SENT: 0, O.PRINTED: 5, O.FAILED: 2, O.UNKNOWN: 33
    }  # fmt: skip
    recovered = events_named(store, "print.recover")
    assert recovered == [("print.recover", {
        "batch": "B1", "level": "primary", "unknown": 33, "count": 33, "first": 5, "last": 39,
        "contiguous": False,
    })]  # fmt: skip
    assert restarted.recover(actor="engine") == 0  # nothing left in flight
    assert len(events_named(store, "print.recover")) == 1  # and no event for it
    # Late answers for the recovered jobs are ignored; new takes start after them.
    late = restarted.settle([("p1", O.PRINTED, ints(5, 6))], actor="engine")
    assert late.ignored == [(5, "already unknown"), (6, "already unknown")]
    assert restarted.take([("p1", 3)], actor="engine")[0].tolist() == [40, 41, 42]
    assert_pages_agree(store, restarted)


def test_recover_on_an_untouched_level_writes_nothing(store: Store, ledger: PrintLedger) -> None:
    before = store.events()
    assert ledger.recover(actor="engine") == 0
    assert store.events() == before


# Closed batch and audit ---------------------------------------------------------------------


def test_a_closed_batch_refuses_take_settle_and_recover(store: Store, ledger: PrintLedger) -> None:
    ledger.take([("p1", 5)], actor="engine")
    store.close_batch("B1", actor="qa")
    before = (store.events(), ledger.outcomes().tolist(), states_of(store).tolist())
    with pytest.raises(StoreError) as caught:
        ledger.take([("p1", 5)], actor="engine")
    assert str(caught.value) == CLOSED
    with pytest.raises(StoreError, match=f"^{re.escape(CLOSED)}$"):
        ledger.settle([("p1", O.PRINTED, ints(0))], actor="engine")
    with pytest.raises(StoreError, match=r"^Batch 'B1' is closed\."):
        ledger.recover(actor="engine")
    with pytest.raises(StoreError, match=r"^Batch 'B1' is closed\."):
        PrintLedger(store, "B1", Level.PRIMARY).take([("p1", 1)], actor="engine")
    assert (store.events(), ledger.outcomes().tolist(), states_of(store).tolist()) == before


def test_unknown_batch_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match=r"^Unknown batch 'NOPE'\."):
        PrintLedger(store, "NOPE", Level.PRIMARY)


def test_audit_chain_verifies_after_everything(store: Store, ledger: PrintLedger) -> None:
    ledger.take([("p1", 100), ("p2", 100)], actor="engine")
    ledger.settle(
        [("p1", O.PRINTED, span(0, 100)[::3]), ("p2", O.FAILED, ints(150, 101, 199)),
         ("p2", O.UNKNOWN, ints(102)), ("p1", O.PRINTED, ints(0, 900))],
        actor="engine",
    )  # fmt: skip
    PrintLedger(store, "B1", Level.PRIMARY).recover(actor="engine")
    store.transition("B1", Level.PRIMARY, span(0, 100)[::3], A.COMMISSIONED, actor="camera")
    store.close_batch("B1", actor="qa")
    report = store.verify_audit()
    assert report.ok, report
    assert report.checked == len(store.events())
    whats = [e.what for e in store.events()]
    assert whats.count("print.sent") == 2
    assert "print.recover" in whats
    # A non-contiguous event carries its index list as a payload, covered by the chain.
    failed = next(e for e in store.events() if e.what == "print.failed")
    assert (failed.data["first"], failed.data["last"], failed.payload_sha256 is not None) == (
        101, 199, True
    )  # fmt: skip


def test_printoutcome_labels() -> None:
    assert [o.label for o in O] == ["none", "sent", "printed", "failed", "unknown"]
    assert isinstance(Settled().outcomes, dict)


# Property: random interleavings -------------------------------------------------------------


class LedgerMachine(RuleBasedStateMachine):
    """Random takes, answers (good, stray, late, repeated), recoveries and restarts.

    A model keeps each code's expected outcome; after every step the pages must match it, no
    code may have been drawn twice, and the counts must balance.
    """

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="jejak-ledger-"))
        self.store = Store(self.folder / "store", map_size=1 << 28)
        self.store.add_product(
            Product.parse(nie=NIE, name="Amoxicillin", packaging="Dus", gtin=GTIN), actor="qa"
        )

    @initialize(quantity=st.integers(1, 300), voided=st.sets(st.integers(0, 299), max_size=20))
    def open_batch(self, quantity: int, voided: set[int]) -> None:
        self.store.open_batch(make_request("B1", quantity), serial_format=FORMAT, actor="qa")
        self.ledger = PrintLedger(self.store, "B1", Level.PRIMARY)
        self.count = self.ledger.count
        self.model = np.zeros(self.count, np.uint8)
        self.voided = np.array(sorted(i for i in voided if i < self.count), np.int64)
        if self.voided.size:  # codes some other part of the line moved: never drawn
            self.store.transition("B1", Level.PRIMARY, self.voided, A.SN_INVALID, actor="qa")
        self.drawn_ever: set[int] = set()

    def _in_state(self, outcome: PrintOutcome) -> list[int]:
        return np.flatnonzero(self.model == outcome).tolist()

    @rule(wanted=st.lists(st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.integers(0, 40)),
                          min_size=1, max_size=3))  # fmt: skip
    def take(self, wanted: list[tuple[str, int]]) -> None:
        voided = set(self.voided.tolist())
        free = [i for i in self._in_state(O.NONE) if i not in voided]
        drawn = self.ledger.take(wanted, actor="engine")
        assert [part.size for part in drawn] == _split(len(free), [n for _, n in wanted])
        flat = np.concatenate(drawn).tolist() if drawn else []
        assert flat == free[: len(flat)]  # the lowest free codes, in index order
        assert not self.drawn_ever.intersection(flat)
        self.drawn_ever.update(flat)
        self.model[flat] = O.SENT

    @rule(
        answers=st.lists(
            st.tuples(
                st.sampled_from([O.PRINTED, O.FAILED, O.UNKNOWN]),
                st.lists(st.integers(-2, 305), max_size=12),
                st.lists(st.integers(0, 10_000), max_size=12),
            ),
            max_size=3,
        )
    )
    def settle(self, answers: list[tuple[PrintOutcome, list[int], list[int]]]) -> None:
        sent = self._in_state(O.SENT)
        calls = []
        for outcome, strays, picks in answers:  # mostly jobs in flight, some stray ones
            mine = [sent[p % len(sent)] for p in picks] if sent else []
            calls.append(("p1", outcome, np.array(mine + strays, np.int64)))
        expected_ignored = 0
        expected: dict[PrintOutcome, list[int]] = {}
        for _, outcome, indices in calls:
            for i in sorted(set(indices.tolist())):
                if 0 <= i < self.count and self.model[i] == O.SENT:
                    self.model[i] = outcome
                    expected.setdefault(outcome, []).append(i)
                else:
                    expected_ignored += 1
            expected_ignored += indices.size - len(set(indices.tolist()))
        settled = self.ledger.settle(calls, actor="engine")
        assert {o: sorted(v.tolist()) for o, v in settled.outcomes.items()} == {
            o: sorted(v) for o, v in expected.items()
        }
        assert len(settled.ignored) == expected_ignored

    @rule()
    def recover(self) -> None:
        in_flight = self._in_state(O.SENT)
        assert self.ledger.recover(actor="engine") == len(in_flight)
        self.model[in_flight] = O.UNKNOWN

    @rule()
    def restart(self) -> None:
        self.ledger = PrintLedger(self.store, "B1", Level.PRIMARY)

    @precondition(lambda self: hasattr(self, "ledger"))
    @invariant()
    def pages_match_the_model(self) -> None:
        outcomes = self.ledger.outcomes()
        np.testing.assert_array_equal(outcomes, self.model)
        states = states_of(self.store)
        expected = np.array([STATE_OF[O(o)] for o in range(len(O))], np.uint8)[outcomes]
        expected[self.voided] = A.SN_INVALID
        np.testing.assert_array_equal(states, expected)
        counts = self.ledger.counts()
        assert sum(counts.values()) == self.count
        assert sum(n for o, n in counts.items() if o is not O.NONE) == len(self.drawn_ever)
        assert counts == {o: int(np.count_nonzero(self.model == o)) for o in O}

    def teardown(self) -> None:
        try:
            if hasattr(self, "ledger"):
                assert self.store.verify_audit().ok
        finally:
            self.store.close()
            shutil.rmtree(self.folder, ignore_errors=True)


def _split(available: int, wanted: list[int]) -> list[int]:
    out = []
    for n in wanted:
        part = min(n, available)
        out.append(part)
        available -= part
    return out


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(
    max_examples=80,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

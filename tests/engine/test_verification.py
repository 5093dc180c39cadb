"""The verification ledger on a real LMDB store: verdicts commission or scrap printed codes, each
in one unit of work with its event, and nothing a code already has is ever overwritten."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import IllegalTransition, InvalidFormat, StoreError
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import CodeRef, EventKind, Store
from jejak.engine.verification import REASONS, Verdict, VerificationLedger
from jejak.testing import FORMAT, make_request

V = Verdict
S = CodeState


def ints(*values: int) -> npt.NDArray[np.int64]:
    return np.array(values, dtype=np.int64)


@pytest.fixture
def printed(store: Store) -> Store:
    """Batch B1 of 100 codes: 0-59 printed, 60-69 failed, 70-79 unknown, 80-99 never sent."""
    store.open_batch(make_request(quantity=100), serial_format=FORMAT, overage_pct=0, actor="qa")
    ledger = PrintLedger(store, "B1", Level.PRIMARY)
    (taken,) = ledger.take([("p1", 80)], actor="engine")
    ledger.settle([("p1", PrintOutcome.PRINTED, taken[:60]), ("p1", PrintOutcome.FAILED,
                   taken[60:70]), ("p1", PrintOutcome.UNKNOWN, taken[70:80])],
                  actor="engine")  # fmt: skip
    return store


def states(store: Store) -> npt.NDArray[np.uint8]:
    record = store.batch("B1")
    with store.view() as view:
        return view.states(record, Level.PRIMARY)


def test_verdicts_commission_or_scrap_in_one_unit_with_their_events(printed: Store) -> None:
    ledger = VerificationLedger(printed, "B1", line="line-7")
    before = len(printed.events())
    done = ledger.commit({V.GOOD: ints(0, 1, 2, 5), V.NO_READ: ints(3), V.DUPLICATE: ints(4)},
                         actor="line-7")  # fmt: skip
    assert done.refused == []
    assert {v: i.tolist() for v, i in done.written.items()} == {
        V.GOOD: [0, 1, 2, 5], V.NO_READ: [3], V.DUPLICATE: [4],
    }  # fmt: skip
    got = states(printed)
    assert got[[0, 1, 2, 5]].tolist() == [S.COMMISSIONED] * 4
    assert got[[3, 4]].tolist() == [S.LABEL_SCRAPPED] * 2
    assert ledger.verdicts()[:6].tolist() == [V.GOOD, V.GOOD, V.GOOD, V.NO_READ, V.DUPLICATE,
                                              V.GOOD]  # fmt: skip
    events = printed.events()[before:]
    assert [(e.what, e.data["verdict"], e.data["line"], e.data["count"]) for e in events] == [
        (EventKind.LINE_VERIFY, "good", "line-7", 4),
        (EventKind.LINE_VERIFY, "no_read", "line-7", 1),
        (EventKind.LINE_VERIFY, "duplicate", "line-7", 1),
    ]
    history = printed.history(CodeRef(printed.batch("B1").batch_id, Level.PRIMARY, 3))
    assert history[-1].data["verdict"] == "no_read"
    assert printed.verify_audit().ok


@pytest.mark.parametrize(
    ("verdict", "index", "why"),
    [
        (V.GOOD, 65, "LabelScrapped, not Encoded"),  # the printer said it did not print it
        (V.MISMATCH, 85, "Allocated, not Encoded"),
        (V.GOOD, 100, "no such code"),
        (V.GOOD, -1, "no such code"),
    ],
)
def test_a_verdict_a_code_cannot_take_is_refused_and_nothing_changes(
    printed: Store, verdict: Verdict, index: int, why: str
) -> None:
    before = states(printed).copy()
    done = VerificationLedger(printed, "B1").commit({verdict: ints(index)}, actor="line")
    assert (done.written, done.refused) == ({}, [(index, why)])
    assert (states(printed) == before).all()


def test_a_code_never_takes_a_second_verdict(printed: Store) -> None:
    ledger = VerificationLedger(printed, "B1")
    ledger.commit({V.GOOD: ints(7)}, actor="line")
    again = ledger.commit({V.MISMATCH: ints(7), V.GOOD: ints(8)}, actor="line")
    assert again.refused == [(7, "already good")]
    assert again.written[V.GOOD].tolist() == [8]
    assert ledger.counts()[V.GOOD] == 2


def test_a_code_given_two_verdicts_at_once_takes_neither(printed: Store) -> None:
    done = VerificationLedger(printed, "B1").commit({V.GOOD: ints(9, 10), V.NO_READ: ints(9)},
                                                    actor="line")  # fmt: skip
    assert done.refused == [(9, "given twice")]
    assert done.written[V.GOOD].tolist() == [10]
    assert states(printed)[9] == S.ENCODED


def test_codes_whose_print_was_never_confirmed_take_no_verdict(printed: Store) -> None:
    done = VerificationLedger(printed, "B1").commit({V.GOOD: ints(75)}, actor="line")
    assert (done.count(V.GOOD), done.refused) == (0, [(75, "print outcome unknown, not printed")])
    assert states(printed)[75] == S.ENCODED  # scrapped at the batch close


def test_retained_samples_come_from_commissioned_packs(printed: Store) -> None:
    ledger = VerificationLedger(printed, "B1")
    ledger.commit({V.GOOD: ints(11, 12)}, actor="line")
    assert ledger.sample(ints(12), actor="qa") == 1
    assert states(printed)[[11, 12]].tolist() == [S.COMMISSIONED, S.SAMPLED]
    assert printed.events()[-1].what is EventKind.LINE_SAMPLE
    with pytest.raises(IllegalTransition, match="from Encoded to Sampled"):
        ledger.sample(ints(13), actor="qa")


def test_a_closed_batch_takes_no_verdicts(printed: Store) -> None:
    ledger = VerificationLedger(printed, "B1")
    printed.close_batch("B1", actor="qa")
    with pytest.raises(StoreError) as caught:
        ledger.commit({V.GOOD: ints(0)}, actor="line")
    assert str(caught.value) == (
        "Batch 'B1' is closed. Hint: a closed batch is verified no more; open a new batch."
    )


@pytest.mark.parametrize("verdict", list(Verdict))
def test_verdicts_parse_from_their_label_name_and_number(verdict: Verdict) -> None:
    assert Verdict.parse(verdict.label) is verdict
    assert Verdict.parse(verdict.name) is verdict
    assert Verdict.parse(int(verdict)) is verdict


def test_a_bad_verdict_is_named() -> None:
    with pytest.raises(InvalidFormat) as caught:
        Verdict.parse("smudged")
    assert str(caught.value) == (
        "Invalid verdict 'smudged': expected one of good, no_read, mismatch, fnc1_lost, grade, "
        "duplicate, unknown, other_batch, late, expired_nie. Hint: the reject reasons are named "
        "as `jejak demo --json` reports them."
    )
    with pytest.raises(InvalidFormat):
        Verdict.parse(True)


def test_the_reject_reasons_are_every_verdict_but_good() -> None:
    assert [r.label for r in REASONS] == [
        "no_read", "mismatch", "fnc1_lost", "grade", "duplicate", "unknown", "other_batch",
        "late", "expired_nie",
    ]  # fmt: skip

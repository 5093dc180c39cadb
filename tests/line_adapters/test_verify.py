"""Inline verification against a real store: every verdict a read can earn, and the group commit
that writes them through the verification ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.store import Store
from jejak.engine.symbology import Symbology
from jejak.engine.verification import Verdict
from jejak.line_adapters.camera.result import CameraResult, Grade
from jejak.line_adapters.verify import Expected, Verifier
from jejak.testing import FORMAT, make_request

D2, D1, Q3, Q1 = (Symbology.GS1_DATAMATRIX, Symbology.DATAMATRIX, Symbology.GS1_QR,
                  Symbology.QR)  # fmt: skip


def raw(store: Store, batch: str, index: int) -> bytes:
    record = store.batch(batch)
    with store.view() as view:
        return view.code(record, Level.PRIMARY, index).raw.encode("ascii")


@pytest.fixture
def line(store: Store) -> Store:
    """B1 (50 codes, 0-39 printed) runs on the line; B2 (10 codes) is another batch."""
    for batch, quantity in (("B1", 50), ("B2", 10)):
        store.open_batch(make_request(batch, quantity=quantity), serial_format=FORMAT,
                         overage_pct=0, actor="qa")  # fmt: skip
    ledger = PrintLedger(store, "B1", Level.PRIMARY)
    (taken,) = ledger.take([("p1", 40)], actor="engine")
    ledger.settle([("p1", PrintOutcome.PRINTED, taken)], actor="engine")
    return store


def result(
    data: bytes | None, symbology: Symbology | None = D2, grade: str | None = None
) -> CameraResult:
    return CameraResult(
        trigger=1,
        data=data,
        symbology=None if data is None else symbology,
        grade=None if grade is None else Grade.parse(grade),
        received=0.0,
    )


def verifier(store: Store, **options: object) -> Verifier:
    return Verifier(store, "B1", line="line-1", symbology=D2, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("read", "verdict"),
    [
        (lambda s: result(raw(s, "B1", 0)), Verdict.GOOD),
        (lambda s: result(raw(s, "B1", 0), grade="C"), Verdict.GOOD),
        (lambda s: result(raw(s, "B1", 0), grade="3.5"), Verdict.GOOD),
        (lambda s: result(None), Verdict.NO_READ),
        (lambda s: result(raw(s, "B1", 0), D1), Verdict.FNC1_LOST),
        (lambda s: result(raw(s, "B1", 0), Q3), Verdict.MISMATCH),  # a QR where a DataMatrix goes
        (lambda s: result(raw(s, "B1", 0), grade="D"), Verdict.GRADE),
        (lambda s: result(raw(s, "B1", 0), grade="1.4"), Verdict.GRADE),
        (lambda s: result(raw(s, "B1", 0), grade="1.6"), Verdict.GOOD),  # a C: meets C
        (lambda s: result(raw(s, "B1", 5)), Verdict.MISMATCH),
        (lambda s: result(raw(s, "B2", 0)), Verdict.OTHER_BATCH),
        (lambda s: result(raw(s, "B1", 0).replace(b"21", b"21Z", 1)), Verdict.UNKNOWN),
        (lambda s: result(b"not a GS1 code at all"), Verdict.UNKNOWN),
        (lambda s: result(b"\xff\xfe"), Verdict.UNKNOWN),
    ],
)
def test_each_read_earns_its_verdict(
    line: Store, read: Callable[[Store], CameraResult], verdict: Verdict
) -> None:
    expected = Expected(0, raw(line, "B1", 0))
    assert verifier(line).judge(expected, read(line)) is verdict


def test_a_code_read_again_after_it_was_judged_good_is_a_duplicate(line: Store) -> None:
    check = verifier(line)
    first = Expected(3, raw(line, "B1", 3))
    assert check.judge(first, result(first.data)) is Verdict.GOOD
    check.submit(3, Verdict.GOOD)
    second = Expected(4, raw(line, "B1", 4))  # the printer put code 3 on the next pack again
    assert check.judge(second, result(first.data)) is Verdict.DUPLICATE  # queued, not committed
    check.flush()
    assert check.judge(second, result(first.data)) is Verdict.DUPLICATE  # committed


def test_unknown_codes_raise_the_counterfeit_alarm(line: Store) -> None:
    heard: list[tuple[bytes, Symbology | None]] = []
    check = verifier(line, alarm=lambda data, symbology: heard.append((data, symbology)))
    fake = raw(line, "B1", 0)[:-1] + b"Q"
    assert check.judge(Expected(0, raw(line, "B1", 0)), result(fake)) is Verdict.UNKNOWN
    assert heard == [(fake, D2)]


def test_no_minimum_grade_takes_any_grade(line: Store) -> None:
    expected = Expected(0, raw(line, "B1", 0))
    assert verifier(line, min_grade=None).judge(expected, result(expected.data, grade="F")) is (
        Verdict.GOOD)  # fmt: skip


def test_verdicts_are_group_committed(line: Store) -> None:
    check = verifier(line, group=3)
    assert [check.submit(i, Verdict.GOOD) for i in (0, 1)] == [1, 2]  # numbered
    assert not check.full
    assert check.submit(2, Verdict.NO_READ) == 3
    assert check.full  # a full group: the caller flushes
    assert check.durable == 0
    with line.view() as view:  # nothing written before the flush
        assert view.state_of(check.record, Level.PRIMARY, 0) is CodeState.ENCODED
    done = check.flush()
    assert {v: i.tolist() for v, i in done.written.items()} == {
        Verdict.GOOD: [0, 1], Verdict.NO_READ: [2]
    }  # fmt: skip
    assert (check.queued, check.durable) == (0, 3)
    states = line.counts("B1")[Level.PRIMARY]
    assert (states[CodeState.COMMISSIONED], states[CodeState.LABEL_SCRAPPED]) == (2, 1)
    assert check.flush().written == {}  # nothing queued: nothing written
    assert check.judged[Verdict.GOOD] == 2


def test_the_background_committer_makes_verdicts_durable_in_order(line: Store) -> None:
    heard: list[list[int]] = []
    check = verifier(line, committed=lambda done: heard.append(done.written[Verdict.GOOD].tolist()))
    for group in ([0, 1], [2], [3, 4]):
        last = 0
        for index in group:
            last = check.submit(index, Verdict.GOOD)
        check.flush_soon()
    assert check.wait(last)
    assert check.durable == 5
    assert heard == [[0, 1], [2], [3, 4]]
    check.close()
    assert line.counts("B1")[Level.PRIMARY][CodeState.COMMISSIONED] == 5


def test_a_refused_verdict_is_logged_and_the_rest_commit(
    line: Store, caplog: pytest.LogCaptureFixture
) -> None:
    check = verifier(line)
    check.submit(45, Verdict.GOOD)  # never printed
    check.submit(6, Verdict.GOOD)
    done = check.flush()
    assert done.written[Verdict.GOOD].tolist() == [6]
    assert "verdict refused for code 45 of batch B1: Allocated, not Encoded" in caplog.text
    assert np.array_equal(check.ledger.verdicts()[[6, 45]], [Verdict.GOOD, Verdict.NONE])
    assert (check.written(6), check.written(45)) == (True, False)  # its pack must not pass


def test_good_verdicts_whose_commit_failed_are_not_written(line: Store) -> None:
    """The store refused the whole group (here: the batch closed under the line): durable
    says the verdicts are done with, `written` that their packs must not pass as good."""
    check = verifier(line)
    line.close_batch("B1", actor="qa")
    check.submit(7, Verdict.GOOD)
    check.submit(8, Verdict.NO_READ)
    with pytest.raises(StoreError, match="Batch 'B1' is closed"):
        check.flush()
    assert check.durable == 2
    assert (check.written(7), check.written(9)) == (False, True)


# Identification batches (Art. 14-16): one code on every pack ---------------------------------

OTC = "DBL2012345678A1"  # an over-the-counter drug: identification


@pytest.fixture
def otc(store: Store) -> Store:
    """I1: 20 packs of an OTC drug whose NIE is valid until 2027-12-31, 10 printed."""
    store.add_product(Product.parse(nie=OTC, name="Parasetamol", packaging="Dus"), actor="qa")
    store.open_identification(nie=OTC, batch="I1", packs=20,
                              validity=Gs1Date.parse_iso("2027-12-31"),
                              expiry=Gs1Date.parse_iso("2028-06-30"), actor="qa")  # fmt: skip
    ledger = PrintLedger(store, "I1", Level.PRIMARY)
    (taken,) = ledger.take([("p1", 10)], actor="engine")
    ledger.settle([("p1", PrintOutcome.PRINTED, taken)], actor="engine")
    return store


def ident(validity: str, nie: str = OTC) -> bytes:
    return f"90{nie}\x1d91{validity}".encode()


@pytest.mark.parametrize(
    ("today", "read", "verdict"),
    [
        (dt.date(2026, 12, 2), result(ident("271231"), Q1), Verdict.GOOD),
        (dt.date(2026, 12, 2), result(ident("271231"), Q1, grade="D"), Verdict.GRADE),
        (dt.date(2026, 12, 2), result(None), Verdict.NO_READ),
        (dt.date(2028, 1, 1), result(ident("271231"), Q1), Verdict.EXPIRED_NIE),  # validity past
        (dt.date(2026, 12, 2), result(ident("240131"), Q1), Verdict.EXPIRED_NIE),  # an old label
        (dt.date(2026, 12, 2), result(ident("281231"), Q1), Verdict.MISMATCH),  # another validity
        (dt.date(2026, 12, 2), result(ident("271231", "DBL2099999999A1"), Q1), Verdict.MISMATCH),
        (dt.date(2026, 12, 2), result(b"0108991234567891", Q1), Verdict.UNKNOWN),
        (dt.date(2026, 12, 2), result(ident("271231"), Q3), Verdict.MISMATCH),
    ],
)
def test_identification_reads_check_the_nie_and_its_validity(
    otc: Store, today: dt.date, read: CameraResult, verdict: Verdict
) -> None:
    check = Verifier(otc, "I1", line="line-1", symbology=Q1, today=today)
    assert check.judge(Expected(0, ident("271231")), read) is verdict


def test_identification_verdicts_reconcile_per_pack(otc: Store) -> None:
    check = Verifier(otc, "I1", line="line-1", symbology=Q1, today=dt.date(2026, 12, 2))
    for index in range(10):
        check.submit(index, Verdict.GOOD if index < 8 else Verdict.EXPIRED_NIE)
    check.flush()
    report = otc.close_batch("I1", actor="qa")
    assert report["levels"]["primary"]["after"] == {"SNInvalid": 10, "LabelScrapped": 2,
                                                    "Commissioned": 8}  # fmt: skip
    assert otc.verify_audit().ok

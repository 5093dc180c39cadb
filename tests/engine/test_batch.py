"""Code requests (annex F): validation, derived counts, Art. 9-10 schedule and warnings."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.batch import MAX_PRIMARY_CODES, CodeRequest
from jejak.engine.errors import InvalidCombination, InvalidDate, InvalidQuantity, ValidationError
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.nie import Nie
from jejak.engine.working_days import WorkingDays

TODAY = dt.date(2026, 11, 25)
BASE: dict[str, object] = {
    "nie": "DKL1234567890A1",
    "batch": "B2611001",
    "expiry": "2028-10-31",
    "primary_count": "1000",
    "max_per_secondary": 12,
    "max_per_tertiary": 40,
    "requested_on": TODAY,
}


def request(**changes: object) -> CodeRequest:
    return CodeRequest.parse(**{**BASE, **changes})  # type: ignore[arg-type]


def test_parse_whole_object() -> None:
    assert request(gtin="8991234567891", production_start="2026-12-14") == CodeRequest(
        nie=Nie.parse("DKL1234567890A1"),
        batch="B2611001",
        expiry=Gs1Date(2028, 10, 31),
        primary_count=1000,
        max_per_secondary=12,
        max_per_tertiary=40,
        gtin="08991234567891",
        production_start=dt.date(2026, 12, 14),
        requested_on=TODAY,
    )


@pytest.mark.parametrize(
    ("primaries", "per_secondary", "per_tertiary", "secondaries", "tertiaries"),
    [(1, 1, 1, 1, 1), (1000, 12, 40, 84, 3), (960, 12, 40, 80, 2), (5, 12, 40, 1, 1)],
)
def test_counts(
    primaries: int, per_secondary: int, per_tertiary: int, secondaries: int, tertiaries: int
) -> None:
    made = request(
        primary_count=primaries, max_per_secondary=per_secondary, max_per_tertiary=per_tertiary
    )
    assert (made.secondary_count, made.tertiary_count) == (secondaries, tertiaries)


@given(
    primaries=st.integers(1, 10**7),
    per_secondary=st.integers(1, 500),
    per_tertiary=st.integers(1, 200),
)
def test_counts_hold_every_code(primaries: int, per_secondary: int, per_tertiary: int) -> None:
    made = request(
        primary_count=primaries, max_per_secondary=per_secondary, max_per_tertiary=per_tertiary
    )
    assert made.secondary_count * per_secondary >= primaries
    assert (made.secondary_count - 1) * per_secondary < primaries
    assert made.tertiary_count * per_tertiary >= made.secondary_count
    assert (made.tertiary_count - 1) * per_tertiary < made.secondary_count


def test_schedule_on_time() -> None:
    schedule = request(production_start="2026-12-14").schedule(WorkingDays())
    assert schedule.latest_request == dt.date(2026, 11, 30)
    assert schedule.issuance_due == dt.date(2026, 12, 2)
    assert schedule.working_days_before_production == 13
    assert schedule.warnings == ()


def test_schedule_late_request_warns_twice() -> None:
    schedule = request(production_start="2026-11-30").schedule(WorkingDays())
    assert schedule.warnings == (
        (
            "Late request: 2026-11-25 is 3 working day(s) before production starts on 2026-11-30; "
            "Art. 9 asks for at least 10 (request by 2026-11-16)."
        ),
        (
            "BPOM may issue the codes as late as 2026-12-02 (5 working days, Art. 10(1)), after "
            "production starts on 2026-11-30. Hint: move the production start or self-issue the "
            "codes (Art. 5)."
        ),
    )


def test_schedule_without_production_start_says_so() -> None:
    schedule = request().schedule(WorkingDays())
    assert schedule.latest_request is None
    assert schedule.warnings[0].startswith("No production start given")


def test_gtin_must_match_the_product() -> None:
    made = request(gtin="8991234567891")
    made.check_gtin(None)
    made.check_gtin("08991234567891")
    with pytest.raises(InvalidCombination, match=r"expected the product's GTIN '09506000134352'"):
        made.check_gtin("09506000134352")


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"primary_count": 0}, InvalidQuantity, "Invalid primary code count 0: expected a whole"),
        ({"primary_count": True}, InvalidQuantity, "Invalid primary code count True"),
        ({"primary_count": "１２"}, InvalidQuantity, "Invalid primary code count '１２'"),
        ({"primary_count": MAX_PRIMARY_CODES + 1}, InvalidQuantity, "from 1 to 100,000,000"),
        ({"max_per_secondary": 0}, InvalidQuantity, "Invalid primaries per secondary 0"),
        ({"max_per_tertiary": None}, InvalidQuantity, "Invalid secondaries per tertiary None"),
        ({"expiry": "2026-11-25"}, InvalidDate, "expected a date after 2026-11-25"),
        ({"expiry": "2026-13-01"}, InvalidDate, "expected a month 01 to 12, got 13"),
        ({"production_start": "2028-11-01"}, InvalidDate,
         "Invalid production start '2028-11-01': expected a date before the expiry 2028-10-31"),
        ({"batch": ""}, ValidationError, "Invalid (10) batch ''"),
        ({"batch": "B 1"}, ValidationError, "Invalid (10) batch 'B 1'"),
        ({"nie": "XYZ"}, ValidationError, "Invalid NIE 'XYZ'"),
    ],
)  # fmt: skip
def test_bad_input(changes: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        request(**changes)
    assert message in str(caught.value)
    assert "Hint:" in str(caught.value)

"""Indonesian working days: weekends, national holidays and cuti bersama are closed."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidQuantity
from jejak.engine.working_days import WorkingDays

D = dt.date
CALENDAR = WorkingDays()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 25), True),  # a Wednesday
        (D(2026, 11, 28), False),  # Saturday
        (D(2026, 11, 29), False),  # Sunday
        (D(2026, 8, 17), False),  # Independence Day
        (D(2026, 3, 19), False),  # Nyepi
        (D(2026, 3, 18), False),  # cuti bersama before Nyepi
        (D(2026, 12, 24), False),  # cuti bersama before Christmas
        (D(2026, 12, 25), False),  # Christmas
        (D(2026, 12, 28), True),
    ],
)
def test_is_working_day(day: dt.date, working: bool) -> None:
    assert CALENDAR.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 11, 25), 0, D(2026, 11, 25)),
        (D(2026, 11, 25), 5, D(2026, 12, 2)),
        (D(2026, 11, 27), 1, D(2026, 11, 30)),  # over a weekend
        (D(2026, 3, 17), 1, D(2026, 3, 25)),  # over Nyepi and Idul Fitri closures
        (D(2026, 12, 14), -10, D(2026, 11, 30)),
        (D(2026, 12, 23), 1, D(2026, 12, 28)),  # 24 cuti bersama, 25 Christmas
    ],
)
def test_add(start: dt.date, count: int, expected: dt.date) -> None:
    assert CALENDAR.add(start, count) == expected


def test_site_closures_count_as_closed() -> None:
    days = WorkingDays(extra_closures=[D(2026, 11, 26)])
    assert days.add(D(2026, 11, 25), 1) == D(2026, 11, 27)
    assert days.holiday_name(D(2026, 11, 26)) == "site closure"
    assert CALENDAR.holiday_name(D(2026, 8, 17)) is not None


def test_a_runaway_span_is_refused() -> None:
    with pytest.raises(InvalidQuantity, match=r"Invalid working-day count 100000 from 2026-11-25"):
        CALENDAR.add(D(2026, 11, 25), 100_000)
    with pytest.raises(InvalidQuantity, match=r"Invalid span 2000-01-01\.\.2026-11-25"):
        CALENDAR.count(D(2000, 1, 1), D(2026, 11, 25))


@given(
    start=st.dates(min_value=D(2025, 1, 1), max_value=D(2030, 12, 31)),
    count=st.integers(min_value=-30, max_value=30),
)
def test_count_inverts_add(start: dt.date, count: int) -> None:
    end = CALENDAR.add(start, count)
    assert CALENDAR.count(start, end) == count
    assert count == 0 or CALENDAR.is_working_day(end)

"""GS1 dates: YYMMDD with the GS1 century rule and day 00, ISO dates, and exact error text."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidDate, InvalidFormat, ValidationError
from jejak.engine.gs1_date import Gs1Date

TODAY = dt.date(2026, 6, 15)  # fixed reference: the century window is 1977-2076


@pytest.mark.parametrize(
    ("yymmdd", "expected", "iso"),
    [
        ("261231", Gs1Date(2026, 12, 31), "2026-12-31"),
        ("270630", Gs1Date(2027, 6, 30), "2027-06-30"),
        ("270200", Gs1Date(2027, 2, 0), "2027-02-28"),  # day 00: end of month
        ("280200", Gs1Date(2028, 2, 0), "2028-02-29"),  # ... of a leap February
        ("280229", Gs1Date(2028, 2, 29), "2028-02-29"),
        ("000229", Gs1Date(2000, 2, 29), "2000-02-29"),  # 2000 is a leap year (div. by 400)
        ("960229", Gs1Date(1996, 2, 29), "1996-02-29"),  # 96 is 70 years ahead: 1996
        ("260400", Gs1Date(2026, 4, 0), "2026-04-30"),
        ("760101", Gs1Date(2076, 1, 1), "2076-01-01"),
        ("770101", Gs1Date(1977, 1, 1), "1977-01-01"),
    ],
)
def test_parse_yymmdd(yymmdd: str, expected: Gs1Date, iso: str) -> None:
    date = Gs1Date.parse(yymmdd, today=TODAY)
    assert date == expected
    assert (date.yymmdd, date.isoformat()) == (yymmdd, iso)
    assert date.as_date() == dt.date.fromisoformat(iso)


# GS1 General Specifications 7.12: a YY 51 to 99 years ahead of the current year is in the
# previous century, one 50 to 99 years behind in the next century, otherwise the current one.
@pytest.mark.parametrize(
    ("today_year", "yy", "year"),
    [
        (2026, "26", 2026),
        (2026, "76", 2076),  # 50 ahead: same century
        (2026, "77", 1977),  # 51 ahead: previous century
        (2026, "99", 1999),
        (2026, "00", 2000),
        (2075, "26", 2026),  # 49 behind: same century
        (2075, "25", 2125),  # 50 behind: next century
        (2099, "49", 2149),
        (2099, "50", 2050),
        (2000, "50", 2050),
        (2000, "51", 1951),
        (2000, "99", 1999),
        (2050, "00", 2100),
        (2051, "00", 2100),
        (2049, "99", 2099),
    ],
)
def test_century_rule(today_year: int, yy: str, year: int) -> None:
    date = Gs1Date.parse(f"{yy}0101", today=dt.date(today_year, 12, 31))
    assert date == Gs1Date(year, 1, 1)


def test_feb_29_depends_on_the_century() -> None:
    assert Gs1Date.parse("000229", today=dt.date(2049, 1, 1)) == Gs1Date(2000, 2, 29)
    with pytest.raises(InvalidDate, match=re.escape("for 2100-02, got 29.")):
        Gs1Date.parse("000229", today=dt.date(2060, 1, 1))  # 2100 is not a leap year


@pytest.mark.parametrize(
    ("value", "kwargs", "error", "message"),
    [
        ("270229", {}, InvalidDate,
         ("Invalid date '270229': expected a day 00 (end of month) or 01 to 28 for 2027-02, "
          "got 29. Hint: check the date on the batch record.")),
        ("260431", {}, InvalidDate, "expected a day 00 (end of month) or 01 to 30 for 2026-04"),
        ("261232", {}, InvalidDate, "or 01 to 31 for 2026-12, got 32."),
        ("261200", {"allow_day_zero": False}, InvalidDate,
         "Invalid date '261200': expected a day 01 to 31 for 2026-12, got 00."),
        ("261301", {}, InvalidDate,
         ("Invalid date '261301': expected a month 01 to 12, got 13. Hint: dates are YYMMDD in "
          "a code and YYYY-MM-DD on the command line.")),
        ("260015", {}, InvalidDate, "expected a month 01 to 12, got 00."),
        ("26123", {}, InvalidFormat,
         ("Invalid date '26123': expected six digits YYMMDD, e.g. '271231'. Hint: pad month and "
          "day with zeros; use 00 as the day for the month's end.")),
        ("2612311", {}, InvalidFormat, "Invalid date '2612311': expected six digits YYMMDD"),
        ("26-12-31", {}, InvalidFormat, "Invalid date '26-12-31': expected six digits YYMMDD"),
        ("26123A", {"what": "(17) expiry date"}, InvalidFormat,
         "Invalid (17) expiry date '26123A': expected six digits YYMMDD"),
        ("261331", {"what": "(91) NIE validity"}, InvalidDate,
         "Invalid (91) NIE validity '261331': expected a month"),
    ],
)  # fmt: skip
def test_parse_errors(
    value: str, kwargs: dict[str, object], error: type[ValidationError], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        Gs1Date.parse(value, today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert type(info.value) is error


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2027-06-30", Gs1Date(2027, 6, 30)),
        ("2028-02-29", Gs1Date(2028, 2, 29)),
        ("2000-01-01", Gs1Date(2000, 1, 1)),
        ("2099-12-31", Gs1Date(2099, 12, 31)),
    ],
)
def test_parse_iso(iso: str, expected: Gs1Date) -> None:
    date = Gs1Date.parse_iso(iso)
    assert date == expected
    assert date.isoformat() == iso
    assert Gs1Date.from_date(dt.date.fromisoformat(iso)) == expected


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("2027-02-29", InvalidDate,
         "Invalid date '2027-02-29': expected a day 01 to 28 for 2027-02, got 29."),
        ("2027-06-00", InvalidDate, "expected a day 01 to 30 for 2027-06, got 00."),
        ("2027-13-01", InvalidDate, "expected a month 01 to 12, got 13."),
        ("1999-12-31", InvalidDate,
         ("Invalid date '1999-12-31': expected a year from 2000 to 2099, got 1999. Hint: GS1 "
          "codes carry two-digit years; check the year.")),
        ("2100-01-01", InvalidDate, "expected a year from 2000 to 2099, got 2100."),
        ("27-06-30", InvalidFormat,
         ("Invalid date '27-06-30': expected YYYY-MM-DD, e.g. '2027-06-30'. Hint: write the year "
          "with four digits and pad month and day with zeros.")),
        ("2027-6-30", InvalidFormat, "Invalid date '2027-6-30': expected YYYY-MM-DD"),
        ("2027/06/30", InvalidFormat, "Invalid date '2027/06/30': expected YYYY-MM-DD"),
        ("270630", InvalidFormat, "Invalid date '270630': expected YYYY-MM-DD"),
        ("2027-06-30 ", InvalidFormat, "Invalid date '2027-06-30 ': expected YYYY-MM-DD"),
        ("２０２７-06-30", InvalidFormat, "Invalid date '２０２７-06-30': expected YYYY-MM-DD"),
    ],
)  # fmt: skip
def test_parse_iso_errors(value: str, error: type[ValidationError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        Gs1Date.parse_iso(value)
    assert type(info.value) is error


def test_parse_iso_names_the_field() -> None:
    with pytest.raises(InvalidDate, match=re.escape("Invalid --expiry '2027-02-30': expected")):
        Gs1Date.parse_iso("2027-02-30", what="--expiry")


def test_dates_order_chronologically_within_a_month_day_zero_first() -> None:
    dates = [Gs1Date(2027, 6, 30), Gs1Date(2026, 12, 31), Gs1Date(2027, 6, 0), Gs1Date(2027, 1, 1)]
    assert sorted(dates) == [dates[1], dates[3], dates[2], dates[0]]


@st.composite
def gs1_dates(draw: st.DrawFn, today: dt.date = TODAY) -> Gs1Date:
    """A date inside the GS1 century window of `today`, day 00 allowed."""
    year = draw(st.integers(today.year - 49, today.year + 50))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(0, calendar.monthrange(year, month)[1]))
    return Gs1Date(year, month, day)


@given(gs1_dates())
def test_yymmdd_round_trip(date: Gs1Date) -> None:
    assert Gs1Date.parse(date.yymmdd, today=TODAY) == date


@given(gs1_dates(today=dt.date(2049, 1, 1)))  # a window of exactly 2000-2099
def test_iso_round_trip(date: Gs1Date) -> None:
    parsed = Gs1Date.parse_iso(date.isoformat())
    if date.day:
        assert parsed == date
    else:  # day 00 reads back as the month's last day
        assert parsed == Gs1Date.from_date(date.as_date())
        assert parsed.day == calendar.monthrange(date.year, date.month)[1]


@given(st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)))
def test_iso_agrees_with_the_standard_library(date: dt.date) -> None:
    assert Gs1Date.parse_iso(date.isoformat()).as_date() == date
    assert Gs1Date.parse(Gs1Date.from_date(date).yymmdd, today=dt.date(2049, 1, 1)).as_date() == (
        date
    )

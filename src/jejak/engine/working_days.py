"""Indonesian working days, for the deadlines of BPOM code requests (Art. 9-10).

A working day is a Monday to Friday that is neither a national holiday (*hari libur nasional*)
nor a collective leave day (*cuti bersama*) set by the government's joint decree. Both come from
the maintained `holidays` library (its ``public`` and ``government`` categories for Indonesia),
and a site may add its own closures.

>>> days = WorkingDays()
>>> days.add(dt.date(2026, 3, 17), 1)  # Nyepi, cuti bersama and Idul Fitri close 18-24 March
datetime.date(2026, 3, 25)
>>> days.count(dt.date(2026, 3, 13), dt.date(2026, 3, 27))
5
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import holidays

from jejak.engine.errors import InvalidQuantity

__all__ = ["WorkingDays"]

_CATEGORIES = ("public", "government")
_MAX_SPAN = 3660  # days; no BPOM deadline spans ten years, so a longer walk is a caller's bug


class WorkingDays:
    """The Indonesian working-day calendar, optionally with extra closures of the site."""

    __slots__ = ("_extra", "_holidays")

    def __init__(self, extra_closures: Iterable[dt.date] = ()) -> None:
        self._holidays = holidays.country_holidays("ID", categories=_CATEGORIES)
        self._extra = frozenset(extra_closures)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and day not in self._extra

    def holiday_name(self, day: dt.date) -> str | None:
        """Why `day` is closed, for messages; None on a working day or a plain weekend."""
        if day in self._extra:
            return "site closure"
        name: str | None = self._holidays.get(day)
        return name

    def add(self, start: dt.date, count: int) -> dt.date:
        """The date `count` working days after `start` (before it when `count` is negative)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        day = start
        for _ in range(_MAX_SPAN):
            if remaining == 0:
                return day
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        raise InvalidQuantity(
            f"Invalid working-day count {count!r} from {start.isoformat()}: expected a span under "
            f"{_MAX_SPAN} calendar days. Hint: BPOM deadlines are 5 or 10 working days."
        )

    def count(self, start: dt.date, end: dt.date) -> int:
        """How many working days `add` steps from `start` to reach `end`: those after `start` up
        to and including `end`, or minus those from `end` up to but excluding `start`."""
        if abs((end - start).days) > _MAX_SPAN:
            raise InvalidQuantity(
                f"Invalid span {start.isoformat()}..{end.isoformat()}: expected under "
                f"{_MAX_SPAN} calendar days. Hint: check the years of both dates."
            )
        if end >= start:
            days = (start + dt.timedelta(days=n) for n in range(1, (end - start).days + 1))
            return sum(map(self.is_working_day, days))
        days = (end + dt.timedelta(days=n) for n in range((start - end).days))
        return -sum(map(self.is_working_day, days))

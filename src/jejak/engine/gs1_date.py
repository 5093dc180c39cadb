"""GS1 dates: YYMMDD in a code, with the GS1 century rule and day ``00`` as month end.

>>> Gs1Date.parse("270200", today=dt.date(2026, 11, 25))
Gs1Date(year=2027, month=2, day=0)
>>> Gs1Date.parse("270200", today=dt.date(2026, 11, 25)).isoformat()
'2027-02-28'
>>> Gs1Date.parse_iso("2027-06-30").yymmdd
'270630'
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from jejak.engine.errors import InvalidDate, InvalidFormat
from jejak.engine.text import describe

__all__ = ["Gs1Date"]

_YYMMDD = re.compile(r"[0-9]{6}", re.ASCII)
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True, slots=True, order=True)
class Gs1Date:
    """A date as GS1 carries it. `day` 0 means "the last day of the month" (AI 17 allows it).

    The century follows the GS1 General Specifications (7.12): a YY 51 to 99 years ahead of the
    reference year belongs to the previous century, one 50 to 99 years behind to the next.
    """

    year: int
    month: int
    day: int

    @classmethod
    def parse(
        cls,
        value: object,
        *,
        what: str = "date",
        allow_day_zero: bool = True,
        today: dt.date | None = None,
    ) -> Gs1Date:
        """Parse six digits YYMMDD; `what` names the field in error messages."""
        if not isinstance(value, str) or _YYMMDD.fullmatch(value) is None:
            raise InvalidFormat(
                f"Invalid {what} {describe(value)}: expected six digits YYMMDD, e.g. '271231'. "
                "Hint: pad month and day with zeros; use 00 as the day for the month's end."
            )
        yy, month, day = int(value[0:2]), int(value[2:4]), int(value[4:6])
        reference = (today or dt.date.today()).year
        year = reference - reference % 100 + yy
        if year - reference > 50:
            year -= 100
        elif year - reference < -49:
            year += 100
        return cls._checked(year, month, day, what=what, value=value, allow_day_zero=allow_day_zero)

    @classmethod
    def parse_iso(cls, value: object, *, what: str = "date") -> Gs1Date:
        """Parse ``YYYY-MM-DD`` (as typed on a command line or in a report); day 00 is refused."""
        match = _ISO.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise InvalidFormat(
                f"Invalid {what} {describe(value)}: expected YYYY-MM-DD, e.g. '2027-06-30'. "
                "Hint: write the year with four digits and pad month and day with zeros."
            )
        year, month, day = (int(part) for part in match.groups())
        if not 2000 <= year <= 2099:
            raise InvalidDate(
                f"Invalid {what} {value!r}: expected a year from 2000 to 2099, got {year}. "
                "Hint: GS1 codes carry two-digit years; check the year."
            )
        return cls._checked(year, month, day, what=what, value=value, allow_day_zero=False)

    @classmethod
    def from_date(cls, value: dt.date) -> Gs1Date:
        """The GS1 date of a calendar date (day never 0)."""
        return cls(value.year, value.month, value.day)

    @classmethod
    def _checked(
        cls, year: int, month: int, day: int, *, what: str, value: object, allow_day_zero: bool
    ) -> Gs1Date:
        if not 1 <= month <= 12:
            raise InvalidDate(
                f"Invalid {what} {value!r}: expected a month 01 to 12, got {month:02d}. "
                "Hint: dates are YYMMDD in a code and YYYY-MM-DD on the command line."
            )
        if day == 0 and allow_day_zero:
            return cls(year, month, 0)
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            allowed = "00 (end of month) or " if allow_day_zero else ""
            raise InvalidDate(
                f"Invalid {what} {value!r}: expected a day {allowed}01 to {last:02d} for "
                f"{year}-{month:02d}, got {day:02d}. Hint: check the date on the batch record."
            )
        return cls(year, month, day)

    @property
    def yymmdd(self) -> str:
        """The six digits carried in a code."""
        return f"{self.year % 100:02d}{self.month:02d}{self.day:02d}"

    def as_date(self) -> dt.date:
        """The calendar date; day 0 is the last day of its month."""
        day = self.day or calendar.monthrange(self.year, self.month)[1]
        return dt.date(self.year, self.month, day)

    def isoformat(self) -> str:
        """``yyyy-mm-dd``, the form BPOM reports use."""
        return self.as_date().isoformat()

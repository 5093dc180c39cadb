"""Code requests for a batch (Art. 7-10, annex F) and their deadlines.

A request names the batch, its expiry and how many primary codes it needs, with the largest
number of primaries per secondary (case) and of secondaries per tertiary (pallet); the secondary
and tertiary counts follow. It must reach BPOM at least 10 working days before production starts
(Art. 9); BPOM issues the codes within 5 working days (Art. 10(1)). A late request is not an
error: the schedule carries a warning for the person who plans the batch.

>>> request = CodeRequest.parse(
...     nie="DKL1234567890A1", batch="B2611001", expiry="2028-10-31", primary_count=1000,
...     max_per_secondary=12, max_per_tertiary=40, production_start="2026-12-14",
...     requested_on=dt.date(2026, 11, 25))
>>> request.secondary_count, request.tertiary_count
(84, 3)
>>> from jejak.engine.working_days import WorkingDays
>>> schedule = request.schedule(WorkingDays())
>>> schedule.latest_request, schedule.issuance_due, schedule.warnings
(datetime.date(2026, 11, 30), datetime.date(2026, 12, 2), ())
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jejak.engine.errors import InvalidCombination, InvalidDate, InvalidQuantity
from jejak.engine.gs1 import AI, Element
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.nie import Nie
from jejak.engine.text import describe

if TYPE_CHECKING:
    from jejak.engine.working_days import WorkingDays

__all__ = ["MAX_PRIMARY_CODES", "CodeRequest", "RequestSchedule"]

REQUEST_LEAD_WORKING_DAYS = 10  # Art. 9: request at least 10 working days before production.
ISSUANCE_WORKING_DAYS = 5  # Art. 10(1): BPOM issues within 5 working days.
MAX_PRIMARY_CODES = 100_000_000  # Far above any real batch; guards against a typo's extra zeros.


def _parse_count(value: object, what: str, flag: str) -> int:
    text = value.strip() if isinstance(value, str) else None
    # At most 12 digits are read: a longer number is out of range anyway (and Python refuses
    # to convert more than 4,300 digits).
    if text is not None and text.isascii() and text.isdecimal() and len(text) <= 12:
        value = int(text)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidQuantity(
            f"Invalid {what} {describe(value)}: expected a whole number from 1 to "
            f"{MAX_PRIMARY_CODES:,}. Hint: pass {flag} as digits, e.g. 1000."
        )
    if not 1 <= value <= MAX_PRIMARY_CODES:
        raise InvalidQuantity(
            f"Invalid {what} {value!r}: expected a whole number from 1 to "
            f"{MAX_PRIMARY_CODES:,}. Hint: {flag} counts codes; zero codes cannot be printed."
        )
    return value


def _parse_expiry(value: object, today: dt.date) -> Gs1Date:
    expiry = value if isinstance(value, Gs1Date) else Gs1Date.parse_iso(value, what="expiry")
    if expiry.as_date() <= today:
        raise InvalidDate(
            f"Invalid expiry {expiry.isoformat()!r}: expected a date after {today.isoformat()}, "
            "the request date. Hint: check the expiry on the batch record; an expired batch "
            "cannot be coded."
        )
    return expiry


def _parse_date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return Gs1Date.parse_iso(value, what="production start").as_date()


@dataclass(frozen=True, slots=True)
class RequestSchedule:
    """The Art. 9-10 dates of a request, and warnings when it is late."""

    requested_on: dt.date
    production_start: dt.date | None
    latest_request: dt.date | None
    issuance_due: dt.date
    working_days_before_production: int | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CodeRequest:
    """The data of a code request to BPOM for one batch (annex F)."""

    nie: Nie
    batch: str
    expiry: Gs1Date
    primary_count: int
    max_per_secondary: int
    max_per_tertiary: int
    gtin: str | None
    production_start: dt.date | None
    requested_on: dt.date

    @classmethod
    def parse(
        cls,
        *,
        nie: object,
        batch: object,
        expiry: object,
        primary_count: object,
        max_per_secondary: object,
        max_per_tertiary: object,
        gtin: object = None,
        production_start: object = None,
        requested_on: dt.date | None = None,
    ) -> CodeRequest:
        """Validate a request as typed. Expiry is ``YYYY-MM-DD`` (or a `Gs1Date`)."""
        today = requested_on or dt.date.today()
        parsed_expiry = _parse_expiry(expiry, today)
        start = None if production_start is None else _parse_date(production_start)
        if start is not None and start >= parsed_expiry.as_date():
            raise InvalidDate(
                f"Invalid production start {start.isoformat()!r}: expected a date before the "
                f"expiry {parsed_expiry.isoformat()}. Hint: check both dates."
            )
        return cls(
            nie=nie if isinstance(nie, Nie) else Nie.parse(nie),
            batch=Element.parse(AI.BATCH, batch).value,
            expiry=parsed_expiry,
            primary_count=_parse_count(primary_count, "primary code count", "--quantity"),
            max_per_secondary=_parse_count(
                max_per_secondary, "primaries per secondary", "--per-secondary"
            ),
            max_per_tertiary=_parse_count(
                max_per_tertiary, "secondaries per tertiary", "--per-tertiary"
            ),
            gtin=None if gtin is None else Element.parse(AI.GTIN, gtin).value,
            production_start=start,
            requested_on=today,
        )

    @property
    def secondary_count(self) -> int:
        """Secondary (case) codes needed when every case but the last is full."""
        return -(-self.primary_count // self.max_per_secondary)

    @property
    def tertiary_count(self) -> int:
        """Tertiary (pallet) codes needed when every pallet but the last is full."""
        return -(-self.secondary_count // self.max_per_tertiary)

    def check_gtin(self, product_gtin: str | None) -> None:
        """Refuse a request whose GTIN differs from the product master's."""
        if self.gtin is not None and product_gtin is not None and self.gtin != product_gtin:
            raise InvalidCombination(
                f"Invalid GTIN {self.gtin!r} for NIE {self.nie.value!r}: expected the product's "
                f"GTIN {product_gtin!r}. Hint: leave --gtin out to use the product master's."
            )

    def schedule(self, calendar: WorkingDays) -> RequestSchedule:
        """The Art. 9-10 deadlines, with warnings (never errors) when the plan is late."""
        issuance_due = calendar.add(self.requested_on, ISSUANCE_WORKING_DAYS)
        warnings: list[str] = []
        latest = lead = None
        start = self.production_start
        if start is None:
            warnings.append(
                "No production start given: the Art. 9 lead time (10 working days) is not "
                "checked. Hint: pass --production-start YYYY-MM-DD."
            )
        else:
            latest = calendar.add(start, -REQUEST_LEAD_WORKING_DAYS)
            lead = calendar.count(self.requested_on, start)
            if lead < REQUEST_LEAD_WORKING_DAYS:
                warnings.append(
                    f"Late request: {self.requested_on.isoformat()} is {lead} working day(s) "
                    f"before production starts on {start.isoformat()}; Art. 9 asks for at least "
                    f"{REQUEST_LEAD_WORKING_DAYS} (request by {latest.isoformat()})."
                )
            if issuance_due > start:
                warnings.append(
                    f"BPOM may issue the codes as late as {issuance_due.isoformat()} (5 working "
                    f"days, Art. 10(1)), after production starts on {start.isoformat()}. Hint: "
                    "move the production start or self-issue the codes (Art. 5)."
                )
        return RequestSchedule(
            requested_on=self.requested_on,
            production_start=start,
            latest_request=latest,
            issuance_due=issuance_due,
            working_days_before_production=lead,
            warnings=tuple(warnings),
        )

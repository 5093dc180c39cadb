"""Delivery of the outbox to the regulator's API: each queued record, oldest first, until the
server confirms it.

For each attempt the store first records that it begins (committed: an attempt whose process
is killed mid-request is still on record, as ``started``), then the request leaves with the
record's key as its ``Idempotency-Key``, then the answer (or the failure) is recorded; only a
confirming answer (`wire.judge`) marks the record sent, in the same unit of work. So a kill at
any point loses nothing (the record is still queued) and duplicates nothing (the next run sends
the same key again, and the server answers that it had it already).

Retries: a transient failure (5xx, 429, a timeout, a lost connection, an answer that does not
confirm) is retried after an exponential backoff with full jitter (a random wait between 0 and
``base * 2**n``, at most ``cap``; a ``Retry-After`` is honoured up to ``cap``), up to
`RetryPolicy.attempts` times a run; when they run out the API is taken to be down and the run
stops, the rest left queued. A refused record (4xx) is not retried in this run: the others go
on. A refused token or partner (401, 403) stops the run. No request is made inside an LMDB
write transaction, and nothing here runs on the line.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from jejak import __version__
from jejak.engine.errors import InvalidQuantity
from jejak.engine.store import OutboxRecord, Store
from jejak.engine.store.view import Attempt, AttemptOutcome
from jejak.engine.text import describe
from jejak.regulator import wire
from jejak.regulator.config import RegulatorConfig

__all__ = ["RetryPolicy", "SubmitReport", "Submitter"]

_BATCH = 256  # records read from the queue at a time


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a record is tried in one run (see the module)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0

    @classmethod
    def parse(cls, *, attempts: object = 5, base: object = 0.5,
              cap: object = 30.0) -> RetryPolicy:  # fmt: skip
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
            raise InvalidQuantity(
                f"Invalid number of attempts {describe(attempts)}: expected 1 to 100. Hint: 5 "
                "rides out a short outage; the next run tries again."
            )
        return cls(attempts, _seconds("backoff base", base), _seconds("backoff cap", cap))

    def delay(self, failures: int, rng: random.Random, hint: float | None = None) -> float:
        """The wait after the `failures`-th failure in a row (from 1)."""
        ceiling = min(self.cap, self.base * 2.0 ** min(failures - 1, 30))
        wait = rng.uniform(0.0, ceiling)
        return max(wait, min(hint, self.cap)) if hint is not None else wait


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
        raise InvalidQuantity(
            f"Invalid {name} {describe(value)}: expected 0 to 3600 seconds. Hint: the "
            "defaults are 0.5 and 30."
        )
    return float(value)


@dataclass(slots=True)
class SubmitReport:
    """What a run did: records confirmed (new, and already received), refused, the attempts
    made, how many records stay queued, and why it stopped early (None: it did not)."""

    accepted: int = 0
    duplicates: int = 0
    refused: list[int] = field(default_factory=list)
    attempts: int = 0
    pending: int = 0
    stopped: AttemptOutcome | None = None
    interrupted: bool = False

    @property
    def sent(self) -> int:
        return self.accepted + self.duplicates

    def as_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "accepted": self.accepted, "duplicates": self.duplicates,
                "refused": list(self.refused), "attempts": self.attempts,
                "pending": self.pending,
                "stopped": None if self.stopped is None else self.stopped.value,
                "interrupted": self.interrupted}  # fmt: skip


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Submitter:
    """Delivers a store's queued records with one HTTP client (keep-alive)."""

    def __init__(self, store: Store, config: RegulatorConfig, *,
                 policy: RetryPolicy | None = None, actor: str = "jejak-submit",
                 transport: httpx.BaseTransport | None = None,
                 rng: random.Random | None = None, stop: threading.Event | None = None,
                 on_attempt: Callable[[Attempt], None] | None = None) -> None:  # fmt: skip
        self.store, self.config, self.actor = store, config, actor
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self.stop = stop or threading.Event()
        self.on_attempt = on_attempt
        headers = {"Authorization": f"Bearer {config.token}",
                   wire.PARTNER_HEADER: config.partner_id, "Content-Type": "application/json",
                   "User-Agent": f"jejak/{__version__}"}  # fmt: skip
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(config.timeout),
                                    follow_redirects=False, transport=transport)  # fmt: skip

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Submitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, *, limit: int | None = None) -> SubmitReport:
        """Deliver queued records, oldest first (at most `limit` of them), until the queue is
        empty, a stop condition is met or `stop` is set."""
        report = SubmitReport()
        skipped: set[int] = set()  # refused in this run: left queued, not tried again
        done = 0
        while report.stopped is None and (limit is None or done < limit):
            with self.store.view() as view:
                batch = [r for r in view.queued(limit=_BATCH + len(skipped))
                         if r.seq not in skipped]  # fmt: skip
            if not batch:
                break
            for record in batch:
                if self.stop.is_set():
                    report.interrupted = True
                    break
                if limit is not None and done >= limit:
                    break
                outcome = self.deliver(record, report)
                done += 1
                if outcome is AttemptOutcome.REFUSED:
                    skipped.add(record.seq)
                    report.refused.append(record.seq)
                elif not outcome.confirmed:
                    report.stopped = outcome
                    break
            if report.interrupted:
                break
        with self.store.view() as view:
            report.pending = view.queued_count()
        return report

    def deliver(self, record: OutboxRecord, report: SubmitReport | None = None) -> AttemptOutcome:
        """Try `record` until it is confirmed, refused, or the attempts run out; the outcome
        of the last attempt."""
        report = report if report is not None else SubmitReport()
        failures = 0
        while True:
            attempt, hint = self._attempt(record)
            report.attempts += 1
            outcome = attempt.outcome
            if outcome is AttemptOutcome.ACCEPTED:
                report.accepted += 1
            elif outcome is AttemptOutcome.DUPLICATE:
                report.duplicates += 1
            if not outcome.transient:
                return outcome
            failures += 1
            if failures >= self.policy.attempts:
                return outcome
            if self.stop.wait(self.policy.delay(failures, self.rng, hint)):
                report.interrupted = True
                return outcome

    def _attempt(self, record: OutboxRecord) -> tuple[Attempt, float | None]:
        """One attempt: begun on record, sent, answered on record. The attempt and the
        ``Retry-After`` the server asked for."""
        with self.store.unit_of_work(self.actor) as uow:
            begun = uow.begin_attempt(record, started=_now())
        hint = None
        try:
            response = self._client.post(
                self.config.endpoint(wire.path_of(record.topic)),
                content=wire.encode(wire.envelope(record, self.config.partner_id)),
                headers={wire.IDEMPOTENCY_KEY: record.key},
            )
        except httpx.TimeoutException as error:
            answered = begun.answered(AttemptOutcome.TIMEOUT, ended=_now(),
                                      detail=type(error).__name__)  # fmt: skip
        except httpx.TransportError as error:
            answered = begun.answered(AttemptOutcome.CONNECTION, ended=_now(),
                                      detail=type(error).__name__)  # fmt: skip
        else:
            judged = wire.judge(response.status_code, response.content, record.key)
            hint = wire.retry_after(response.headers.get(wire.RETRY_AFTER))
            answered = begun.answered(judged.outcome, ended=_now(), status=response.status_code,
                                      receipt=judged.receipt, detail=judged.detail)  # fmt: skip
        with self.store.unit_of_work(self.actor) as uow:
            uow.record_answer(answered)
        if self.on_attempt is not None:
            self.on_attempt(answered)
        return answered, hint

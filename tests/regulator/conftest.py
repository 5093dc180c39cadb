"""Fixtures of the delivery suites: a test server on loopback (always stopped), a store with
records queued, and a client configured for both with short timeouts and backoff."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from jejak.engine.store import EventKind, OutboxRecord, Store
from jejak.regulator.client import RetryPolicy, Submitter
from jejak.regulator.config import RegulatorConfig
from jejak.regulator.server import RegulatorServer, running

TOKEN = "test-token-0123456789"
PARTNER = "IF-0042"
TIMEOUT = 1.0  # seconds the client waits for an answer: a stall of STALL is well past it
STALL = 3.0
FAST = RetryPolicy(attempts=5, base=0.001, cap=0.01)


def usage_body(n: int) -> dict[str, object]:
    """A valid usage body (as the outbox writes it) for a made-up pack `n`."""
    return {
        "activity": "line.verify", "time": "2026-12-03T06:00:00.000000+00:00", "event": n,
        "epcis_event_id": f"ni:///sha-256;{n:064x}?ver=CBV2.0", "epcis_events": 1,
        "part": 1, "parts": 1,
        "rows": [{"partner_id": None, "packaging": "Dus", "primary_code": f"(90)DKL1(21)S{n}",
                  "secondary_code": None, "tertiary_code": None, "nie": "DKL1234567890A1",
                  "expiry": "2028-10-31", "batch": "B1", "gtin": None, "active": True,
                  "retained_sample": False, "reject": False}],
    }  # fmt: skip


def queue_records(store: Store, count: int, *, due: str = "2026-12-04T06:00:00+00:00",
                  body: dict[str, object] | None = None) -> list[OutboxRecord]:  # fmt: skip
    """Queue `count` records, each with its own event and key, in one unit of work."""
    queued = []
    with store.unit_of_work("test") as uow:
        for _ in range(count):
            event = uow.event(EventKind.LINE_RUN, {"test": True})
            queued.append(uow.enqueue("usage", f"ni:///sha-256;{event.hash}?ver=CBV2.0", due,
                                      body or usage_body(event.seq), event))  # fmt: skip
    return queued


@pytest.fixture
def regulator() -> Iterator[RegulatorServer]:
    """A test server on a free loopback port, no faults; stopped at teardown."""
    with running(token=TOKEN, partner_id=PARTNER) as server:
        yield server


@pytest.fixture
def outbox_store(tmp_path: Path) -> Iterator[Store]:
    """An empty store (no hook: the tests queue what they deliver); closed at teardown."""
    opened = Store(tmp_path / "store", map_size=1 << 30)
    try:
        yield opened
    finally:
        opened.close()


def config_for(server: RegulatorServer | str, *, token: str = TOKEN,
               timeout: float = TIMEOUT) -> RegulatorConfig:  # fmt: skip
    url = server if isinstance(server, str) else server.url
    return RegulatorConfig.parse(url=url, token=token, partner_id=PARTNER, timeout=timeout)


def submitter(store: Store, server: RegulatorServer | str, *, token: str = TOKEN,
              policy: RetryPolicy = FAST) -> Submitter:  # fmt: skip
    """A client of `server` (or a URL) for `store`, fast backoff, seeded jitter."""
    return Submitter(store, config_for(server, token=token), policy=policy,
                     rng=random.Random(7))  # noqa: S311  # fmt: skip


def dead_url() -> str:
    """The URL of a loopback port nobody listens on (bound and closed again)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"

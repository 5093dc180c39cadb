"""A test server that plays the regulator's API on loopback (real HTTP), for tests and for a
site that rehearses its reporting before going live (`jejak regulator serve`).

It speaks `wire`'s contract: it checks the token, the partner ID, the ``Idempotency-Key`` and
the payload (`payloads.problem`), keeps what it accepted (in memory, and in a JSON-lines
`record` file when given, fsynced, read back at start: a restarted server still knows every
key), and answers a key it has with ``duplicate`` and the first receipt (409 when the payload
differs). ``GET /accepted`` lists what it accepted; ``GET /stats`` counts requests by key and
the faults played; ``POST /_control/faults`` changes the faults. Every path needs the token.

Faults (`Fault`), played on the requests that deliver a record, from a script (one a request, in
order) and then at random at the given rates (seeded):

- ``fail``: 503, nothing accepted;
- ``stall``: wait `stall` seconds (past the client's timeout), then accept and answer (into a
  connection the client has likely given up: accepted, but never confirmed to it);
- ``hang``: wait `stall` seconds, then close the connection, nothing accepted;
- ``hold``: accept, then wait `stall` seconds before answering (the moment to kill a client:
  the server has the record, the client does not know);
- ``drop``: accept, then close the connection without an answer;
- ``twice``: accept, and write the answer twice on the connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import random
import socket
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe
from jejak.regulator import wire
from jejak.regulator.payloads import problem
from jejak.regulator.wire import AnswerStatus, ErrorCode

__all__ = ["Accepted", "Fault", "FaultPlan", "RegulatorServer", "running"]

MAX_BODY = 64 << 20  # bytes a request may carry


class Fault(StrEnum):
    NONE = "none"
    FAIL = "fail"
    STALL = "stall"
    HANG = "hang"
    HOLD = "hold"
    DROP = "drop"
    TWICE = "twice"


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Which faults to play: `script` first (one a request), then `rates` (probabilities)."""

    script: tuple[Fault, ...] = ()
    rates: Mapping[Fault, float] = field(default_factory=dict)
    stall: float = 5.0
    seed: int | None = None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> FaultPlan:
        """A plan from JSON (``{"script": [...], "rates": {...}, "stall": s, "seed": n}``)."""
        try:
            script = tuple(Fault(f) for f in raw.get("script", ()))
            rates = {Fault(k): float(v) for k, v in dict(raw.get("rates", {})).items()}
        except (ValueError, TypeError):
            raise InvalidQuantity(
                f"Invalid fault plan {describe(dict(raw))}: expected faults among "
                f'{", ".join(f.value for f in Fault)}. Hint: e.g. {{"script": ["fail"]}}.'
            ) from None
        stall, seed = raw.get("stall", 5.0), raw.get("seed")
        if sum(rates.values()) > 1 or any(not 0 <= r <= 1 for r in rates.values()) or \
                not isinstance(stall, int | float) or not 0 <= stall <= 3600 or \
                not (seed is None or isinstance(seed, int)):  # fmt: skip
            raise InvalidQuantity(
                f"Invalid fault plan {describe(dict(raw))}: expected rates from 0 to 1 that "
                "add up to at most 1, a stall of 0 to 3600 seconds, an integer seed. Hint: "
                "e.g. --fail-rate 0.2 --drop-rate 0.1."
            )
        return cls(script, rates, float(stall), seed)


@dataclass(frozen=True, slots=True)
class Accepted:
    """A record the server took: its key, topic, receipt, when, and the payload's digest."""

    key: str
    topic: str
    receipt: str
    received_at: str
    digest: str
    payload: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "topic": self.topic, "receipt": self.receipt,
                "received_at": self.received_at, "digest": self.digest,
                "payload": dict(self.payload)}  # fmt: skip


class _State:
    """What the server knows, behind one lock: what it accepted, the requests, the faults."""

    def __init__(self, record: Path | None, plan: FaultPlan) -> None:
        self.lock = threading.Lock()
        self.accepted: dict[str, Accepted] = {}
        self.posts: Counter[str] = Counter()
        self.played: Counter[str] = Counter()
        self.record: BinaryIO | None = None
        self.closed = False
        self.set_plan(plan)
        if record is not None:
            if record.exists():
                for line in record.read_text().splitlines():
                    if line.strip():
                        entry = json.loads(line)
                        self.accepted[entry["key"]] = Accepted(**entry)
            self.record = record.open("ab")

    def set_plan(self, plan: FaultPlan) -> None:
        self.plan, self.script = plan, list(plan.script)
        self.rng = random.Random(plan.seed)  # noqa: S311 - fault injection, not a secret

    def next_fault(self, key: str) -> Fault:
        with self.lock:
            self.posts[key] += 1
            if self.script:
                fault = self.script.pop(0)
            else:
                fault, draw = Fault.NONE, self.rng.random()
                for kind, rate in self.plan.rates.items():
                    if draw < rate:
                        fault = kind
                        break
                    draw -= rate
            self.played[fault.value] += 1
            return fault

    def accept(self, key: str, topic: str, payload: Mapping[str, Any],
               digest: str) -> tuple[Accepted, bool] | None:  # fmt: skip
        """The entry under `key` and whether it is new (accepted now); None once the server
        is closing (it takes nothing it could not keep)."""
        with self.lock:
            if self.closed:
                return None
            found = self.accepted.get(key)
            if found is not None:
                return found, False
            when = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
            entry = Accepted(key, topic, f"R-{len(self.accepted) + 1:08d}", when, digest,
                             payload)  # fmt: skip
            if self.record is not None:
                self.record.write(json.dumps(entry.as_json(), sort_keys=True).encode() + b"\n")
                self.record.flush()
                os.fsync(self.record.fileno())
            self.accepted[key] = entry
            return entry, True

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self.record is not None:
                self.record.close()


class RegulatorServer:
    """The test server on `host`:`port` (0: the OS picks one; see `port`), in its own threads.
    Use as a context manager, or `start` and `stop`."""

    def __init__(self, *, token: str, partner_id: str, host: str = "127.0.0.1", port: int = 0,
                 plan: FaultPlan | None = None, record: Path | None = None) -> None:  # fmt: skip
        self.token, self.partner_id, self.host = token, partner_id, host
        self.state = _State(record, plan or FaultPlan())
        self.closing = threading.Event()
        self._http = ThreadingHTTPServer((host, port), _Handler)
        self._http.daemon_threads = True
        self._http.regulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self) -> RegulatorServer:
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={
            "poll_interval": 0.05}, name="regulator-server", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()  # stalled requests end now
        if self._thread is not None:
            self._http.shutdown()
            self._thread.join(timeout=10)
        self._http.server_close()
        self.state.close()

    def __enter__(self) -> RegulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def set_faults(self, plan: FaultPlan) -> None:
        with self.state.lock:
            self.state.set_plan(plan)

    def accepted(self) -> list[Accepted]:
        with self.state.lock:
            return list(self.state.accepted.values())

    def stats(self) -> dict[str, Any]:
        with self.state.lock:
            return {"accepted": len(self.state.accepted), "posts": sum(self.state.posts.values()),
                    "posts_by_key": dict(self.state.posts),
                    "faults": dict(self.state.played)}  # fmt: skip


@contextmanager
def running(**options: Any) -> Iterator[RegulatorServer]:
    """A started server, always stopped on the way out."""
    server = RegulatorServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API
    server_version = "jejak-regulator-test"

    @property
    def regulator(self) -> RegulatorServer:
        found: RegulatorServer = self.server.regulator  # type: ignore[attr-defined]
        return found

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        """Quiet: no request lines on stderr (and never a header)."""

    def do_GET(self) -> None:
        if not self._authorized():
            return
        if self.path == "/accepted":
            entries = [a.as_json() for a in self.regulator.accepted()]
            self._answer(HTTPStatus.OK, {"count": len(entries), "accepted": entries})
        elif self.path == "/stats":
            self._answer(HTTPStatus.OK, self.regulator.stats())
        else:
            self._error(HTTPStatus.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC, "no such path")

    def do_POST(self) -> None:
        raw = self._body()  # first: an unread body would be taken for the next request
        if raw is None or not self._authorized():
            return
        if self.path == "/_control/faults":
            self._control(raw)
            return
        topic = self.path.strip("/")
        if topic not in wire.TOPICS:
            self._error(HTTPStatus.NOT_FOUND, ErrorCode.UNKNOWN_TOPIC, f"no topic {topic!r}")
            return
        self._deliver(topic, raw)

    # A delivery --------------------------------------------------------------------------------

    def _deliver(self, topic: str, raw: bytes) -> None:
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self._error(HTTPStatus.BAD_REQUEST, ErrorCode.INVALID_JSON, "the body is not JSON")
            return
        key = self.headers.get(wire.IDEMPOTENCY_KEY, "")
        if not key or not isinstance(payload, dict) or payload.get("key") != key:
            self._error(HTTPStatus.BAD_REQUEST, ErrorCode.KEY_MISMATCH,
                        "the Idempotency-Key header is not the body's key")  # fmt: skip
            return
        if self.headers.get(wire.PARTNER_HEADER) != self.regulator.partner_id:
            self._error(HTTPStatus.FORBIDDEN, ErrorCode.WRONG_PARTNER, "not this partner")
            return
        wrong = problem(payload, topic, self.regulator.partner_id)
        if wrong is not None:
            self._error(HTTPStatus.UNPROCESSABLE_ENTITY, ErrorCode.INVALID_PAYLOAD, wrong)
            return
        fault = self.regulator.state.next_fault(key)
        if fault is Fault.FAIL:
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, ErrorCode.UNAVAILABLE, "told to fail")
            return
        if fault in (Fault.STALL, Fault.HANG):
            self.regulator.closing.wait(self.regulator.state.plan.stall)
            if fault is Fault.HANG:
                self._drop()
                return
        digest = hashlib.sha256(raw).hexdigest()
        taken = self.regulator.state.accept(key, topic, payload, digest)
        if taken is None:
            self._error(HTTPStatus.SERVICE_UNAVAILABLE, ErrorCode.UNAVAILABLE, "stopping")
            return
        entry, new = taken
        if entry.digest != digest:
            self._error(HTTPStatus.CONFLICT, ErrorCode.KEY_CONFLICT,
                        f"key accepted with another payload as {entry.receipt}")  # fmt: skip
            return
        if fault is Fault.DROP:
            self._drop()
            return
        if fault is Fault.HOLD:
            self.regulator.closing.wait(self.regulator.state.plan.stall)
        status = AnswerStatus.ACCEPTED if new else AnswerStatus.DUPLICATE
        self._answer(HTTPStatus.CREATED if new else HTTPStatus.OK,
                     {"status": status.value, "key": key, "receipt": entry.receipt},
                     times=2 if fault is Fault.TWICE else 1)  # fmt: skip

    def _control(self, raw: bytes) -> None:
        try:
            plan = FaultPlan.parse(json.loads(raw))
        except (ValueError, InvalidQuantity) as error:
            self._error(HTTPStatus.BAD_REQUEST, ErrorCode.INVALID_PAYLOAD, str(error))
            return
        self.regulator.set_faults(plan)
        self._answer(HTTPStatus.OK, {"script": [f.value for f in plan.script],
                                     "rates": {k.value: v for k, v in plan.rates.items()},
                                     "stall": plan.stall})  # fmt: skip

    # Plumbing ----------------------------------------------------------------------------------

    def _authorized(self) -> bool:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.regulator.token}"
        if not _same(given, expected):
            self._error(HTTPStatus.UNAUTHORIZED, ErrorCode.UNAUTHORIZED, "token refused")
            return False
        return True

    def _body(self) -> bytes | None:
        length = self.headers.get("Content-Length", "")
        if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY:
            self.close_connection = True
            self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, ErrorCode.TOO_LARGE,
                        f"expected a Content-Length of at most {MAX_BODY}")  # fmt: skip
            return None
        return self.rfile.read(int(length))

    def _error(self, status: HTTPStatus, code: ErrorCode, detail: str) -> None:
        self._answer(status, {"error": code.value, "detail": detail})

    def _answer(self, status: HTTPStatus, body: Mapping[str, Any], *, times: int = 1) -> None:
        data = json.dumps(body).encode()
        head = (f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode()  # fmt: skip
        try:
            self.wfile.write((head + data) * times)
            self.wfile.flush()
        except OSError:  # the client gave up (a stall past its timeout)
            self.close_connection = True

    def _drop(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _same(given: str, expected: str) -> bool:
    """Compare a secret in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def plan_of(*, script: Sequence[str] = (), rates: Mapping[str, float] | None = None,
            stall: float = 5.0, seed: int | None = None) -> FaultPlan:  # fmt: skip
    """A plan from plain values (the command line's)."""
    return FaultPlan.parse({"script": list(script), "rates": dict(rates or {}), "stall": stall,
                            "seed": seed})  # fmt: skip

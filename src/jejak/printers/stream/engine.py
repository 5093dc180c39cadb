"""The engine side of the print-job stream: a ZeroMQ ROUTER that feeds printer drivers.

Each printer driver connects a DEALER and says HELLO (printer id, device kind, buffer size, the
packaging level it prints). The driver grants credit (CREDIT n) as its device buffer empties; the
engine never sends more JOBs than the credit it holds. For every batch of jobs the engine first
draws the codes in the print ledger — one durable transaction that marks them `Encoded`/SENT for
all printers at once (a group commit) — and only then sends them. PRINTED and FAILED answers are
settled in the ledger, also in group commits.

A job whose outcome is unknown — its driver disconnected or went silent, the engine was
stopped, or it restarted after a crash — is settled as UNKNOWN and never sent again: the batch
close scraps it. When `serve` ends without DONE (`stop`, `timeout`) it records the answers
already received and settles every job still in flight as UNKNOWN, as the next start would
after a crash. A PUB socket publishes what happened on each turn of the loop for dashboards,
and what the engine's owner gives `publish` (`_publisher`).

For a line controller in the same process: `on_settle` hears, after each settle commit and in
the order the answers came, every answer settled (`Settlement`: level, printer, outcome, the
job indices as the driver listed them), so it knows which code is on which pack; `budget`
caps the jobs sent per level over the engine's life (a run of N packs prints N codes, not N
and the printer's buffer): once every budgeted level is spent the engine drains.

Secure by default: an engine bound beyond loopback needs CurveZMQ, and a PUB socket beyond
loopback is refused (`endpoint.check_exposure`), unless `insecure`.

The wire protocol (frames, fields, state machine, flow control) is in printers/README.md.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import zmq

from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import JejakError
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintLedger, PrintOutcome, Settled
from jejak.engine.store import Store
from jejak.printers.device import DeviceState
from jejak.printers.stream import wire
from jejak.printers.stream._budget import Budget
from jejak.printers.stream._publisher import Publisher, Topic
from jejak.printers.stream._report import Ending, StreamReport
from jejak.printers.stream.curve import CurveServer
from jejak.printers.stream.endpoint import Endpoint, check_exposure
from jejak.printers.stream.wire import Message, Refusal, RefusalReason

__all__ = ["Ending", "PrintEngine", "Settlement", "StreamReport"]

_LEVEL_SHIFT = 40  # job id = level << 40 | index: unique over the batch's levels
_Indices = npt.NDArray[np.int64]
_Answer = tuple[Level, str, PrintOutcome, _Indices]  # level, printer, outcome, indices


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: an array has no single truth value
class Settlement:
    """One printer answer as settled in the ledger: the printer's level and id, the outcome
    (PRINTED, FAILED or UNKNOWN), and the code indices it settled, in the order the driver
    listed them (UNKNOWN for a lost session: in sending order), read-only."""

    level: Level
    printer: str
    outcome: PrintOutcome
    indices: _Indices


@dataclass(slots=True)
class _Session:
    identity: bytes
    printer: str
    kind: str
    level: Level
    buffer: int
    credit: int = 0
    in_flight: set[int] = field(default_factory=set)
    last_seen: float = 0.0
    state: DeviceState = DeviceState.READY  # as the driver's STATUS last said


class PrintEngine:
    """Streams one batch's codes to printer drivers. Use as a context manager."""

    def __init__(
        self,
        store: Store,
        batch: str,
        *,
        bind: str = "tcp://127.0.0.1:*",
        publish: str | None = None,
        curve: CurveServer | None = None,
        actor: str = "print-engine",
        max_jobs_per_message: int = 2000,
        driver_timeout: float = 5.0,
        sample_every: int = 97,
        insecure: bool = False,
        on_settle: Callable[[Settlement], None] | None = None,
        budget: Mapping[Level, int] | None = None,
    ) -> None:
        self._budget = Budget(budget)
        bound = Endpoint.parse(bind)
        published = None if publish is None else Endpoint.parse(publish)
        check_exposure(bound, published, curve=curve is not None, insecure=insecure)
        self.store, self.batch, self.actor = store, batch, actor
        self.max_jobs = max_jobs_per_message
        self.driver_timeout = driver_timeout
        self.ledgers = {level: PrintLedger(store, batch, level) for level in Level}
        self.report = StreamReport()
        self._sessions: dict[bytes, _Session] = {}
        self._sent_at: dict[int, float] = {}  # sampled job ids -> send time, for latency
        self._sample_every = sample_every
        self._draining = threading.Event()
        self._on_settle = on_settle
        # Jobs a previous engine left SENT are unknown now: settled before any socket opens.
        for ledger in self.ledgers.values():
            self.report.recovered += ledger.recover(actor=actor)
        self._context = zmq.Context()
        self._curve = curve
        if curve is not None:
            curve.start(self._context)
        self.router = self._context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        # A restarted driver reconnects under its printer id while its old connection may still
        # look alive: the new connection takes the id over.
        self.router.setsockopt(zmq.ROUTER_HANDOVER, 1)
        self.router.setsockopt(zmq.SNDHWM, 0)
        self.router.setsockopt(zmq.RCVHWM, 0)
        if curve is not None:
            curve.apply(self.router)
        self._publisher = Publisher(None, batch)
        self.pub_endpoint: str | None = None
        try:
            self.endpoint: str = self._bind(self.router, bound)
            if published is not None:
                self._publisher.socket = pub = self._context.socket(zmq.PUB)
                pub.setsockopt(zmq.LINGER, 0)
                self.pub_endpoint = self._bind(pub, published)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _bind(socket: zmq.Socket[bytes], endpoint: Endpoint) -> str:
        if endpoint.ipv6:
            socket.setsockopt(zmq.IPV6, 1)
        try:
            socket.bind(str(endpoint))
        except zmq.ZMQError as error:
            raise JejakError(
                f"Cannot bind {str(endpoint)!r}: {error}. Hint: is another engine (or program) "
                "using it? Choose another port, or stop the other one."
            ) from None
        return socket.getsockopt_string(zmq.LAST_ENDPOINT)

    def close(self) -> None:
        self.router.close(linger=0)
        if self._publisher.socket is not None:
            self._publisher.socket.close(linger=0)
        if self._curve is not None:
            self._curve.stop()
        self._context.term()

    def __enter__(self) -> PrintEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # For the engine's owner (a line controller) -----------------------------------------------

    def publish(self, topic: str, body: Mapping[str, Any]) -> None:
        """Publish the owner's event `topic` on the PUB socket, from any thread: packed now,
        sent by the serve loop on its next turn (printers/README.md, "Events (PUB)"). Without
        a PUB socket, checked and dropped. `InvalidFormat` for an engine topic or a body
        msgpack cannot pack."""
        self._publisher.publish(topic, body)

    def sent_total(self, level: Level) -> int:
        """How many jobs of `level` this engine has sent, over its life."""
        return self._budget.sent[level]

    def printer_states(self) -> dict[str, DeviceState]:
        """Each printer with a session, and its state as its driver last said (a snapshot:
        safe from any thread). A printer without a session is not connected."""
        return {session.printer: session.state for session in list(self._sessions.values())}

    # The loop ----------------------------------------------------------------------------

    def serve(
        self,
        *,
        stop: threading.Event | None = None,
        timeout: float | None = None,
        until_done: bool = True,
        on_turn: Callable[[PrintEngine], None] | None = None,
    ) -> StreamReport:
        """Run until every code of the levels in use is settled (`until_done`), `stop` is set, or
        `timeout` seconds pass; `report.ended` says which. Returns the report.

        Stopped or timed out, it records the answers already received, then settles every job
        still in flight as UNKNOWN (never sent again) and ends the sessions: a driver that
        goes on talking is refused `NO_SESSION` and says HELLO again. `stop` is looked at
        at least every 50 ms."""
        deadline = None if timeout is None else time.monotonic() + timeout
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        ended = Ending.STOPPED
        while not (stop is not None and stop.is_set()):
            self._publisher.flush()
            now = time.monotonic()
            if deadline is not None and now > deadline:
                ended = Ending.TIMEOUT
                break
            if (until_done or self._draining.is_set() or self._budget_spent()) and self._done():
                self._broadcast(Message.DONE)
                ended = Ending.DONE
                break
            wanting = self._wanting()
            if poller.poll(0 if wanting else 50) or wanting:
                self._turn()
            self._expire(time.monotonic())
            if on_turn is not None:
                on_turn(self)
        if ended is not Ending.DONE:
            self._end_sessions("engine stopped" if ended is Ending.STOPPED
                               else f"engine timeout ({timeout:g} s)")  # fmt: skip
        self._publisher.flush()
        self.report.ended = ended
        return self.report

    def _end_sessions(self, why: str) -> None:
        """The answers already received, then every job still in flight UNKNOWN."""
        answers: list[_Answer] = []
        for _ in range(10_000):
            try:
                frames = self.router.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                break
            self._handle(frames, answers, welcome=False)
        for identity in list(self._sessions):
            self._lost(identity, why, answers)
        self._settle(answers)

    def drain(self) -> None:
        """Stop sending new jobs; `serve` returns (after DONE to every driver) once every job
        in flight is answered. Safe to call from any thread, e.g. at the end of a shift."""
        self._draining.set()

    def _turn(self) -> None:
        answers: list[_Answer] = []
        for _ in range(10_000):
            try:
                frames = self.router.recv_multipart(zmq.NOBLOCK, copy=True)
            except zmq.Again:
                break
            self._handle(frames, answers)
        self._settle(answers)
        self._dispatch()

    def _handle(
        self, frames: list[bytes], answers: list[_Answer],
        *, welcome: bool = True,
    ) -> None:  # fmt: skip
        identity, rest = frames[0], frames[1:]
        try:
            kind, body = wire.unpack(rest)
        except Refusal as refusal:
            self._refuse(identity, refusal.code, str(refusal))
            return
        session = self._sessions.get(identity)
        if kind is Message.HELLO:
            if not welcome:  # the engine is stopping: no new session
                return
            self._hello(identity, body, answers)
            return
        if session is None:
            reason = f"{kind} before HELLO: no session. Hint: say HELLO first."
            self._refuse(identity, RefusalReason.NO_SESSION, reason)
            return
        session.last_seen = time.monotonic()
        try:
            if kind is Message.CREDIT:
                if body["n"] < 0:
                    raise Refusal(
                        f"CREDIT n={body['n']}: expected a count >= 0. Hint: credit is only "
                        "granted, never taken back; answer jobs with PRINTED or FAILED.",
                        RefusalReason.BAD_CREDIT,
                    )
                session.credit += body["n"]
            elif kind is Message.PRINTED:
                self._answer(session, PrintOutcome.PRINTED, wire.job_ids(kind, body["jobs"]),
                             answers)  # fmt: skip
            elif kind is Message.FAILED:
                entries = wire.failures(body["jobs"])
                known = [job for job, _, was_known in entries if was_known]
                unknown = [job for job, _, was_known in entries if not was_known]
                self._answer(session, PrintOutcome.FAILED, known, answers)
                self._answer(session, PrintOutcome.UNKNOWN, unknown, answers)
                self._publish(Topic.FAILED, session, reasons=sorted({r for _, r, _ in entries}))
            elif kind is Message.STATUS:
                state = DeviceState(body["state"])  # the wire checked it is one
                if state is not session.state:
                    self._publish(Topic.STATUS, session, state=state.value,
                                  detail=body["detail"])  # fmt: skip
                session.state = state
            elif kind is Message.BYE:
                self._lost(identity, "said BYE", answers)
            else:
                reason = f"{kind} is an engine message: a driver may not send it."
                self._refuse(identity, RefusalReason.NOT_A_DRIVER_MESSAGE, reason)
        except Refusal as refusal:
            self._refuse(identity, refusal.code, str(refusal))

    def _hello(
        self, identity: bytes, body: dict[str, Any],
        answers: list[_Answer],
    ) -> None:  # fmt: skip
        if body["protocol"] != wire.PROTOCOL_VERSION:
            reason = (
                f"HELLO with protocol version {body['protocol']!r}: this engine speaks version "
                f"{wire.PROTOCOL_VERSION}. Hint: upgrade the driver or the engine."
            )
            self._refuse(identity, RefusalReason.PROTOCOL_VERSION, reason)
            return
        try:
            level = Level.parse(body["level"])
        except JejakError as error:
            self._refuse(identity, RefusalReason.BAD_LEVEL, str(error))
            return
        if identity in self._sessions:  # the driver restarted: its jobs' outcomes are unknown
            self._lost(identity, "said HELLO again", answers)
        session = _Session(identity, body["printer"], body["kind"], level, body["buffer"],
                           last_seen=time.monotonic())  # fmt: skip
        self._sessions[identity] = session
        self.report.sessions += 1
        token = uuid.uuid4().hex
        self.router.send_multipart([identity, *wire.pack(Message.WELCOME, {
            "protocol": wire.PROTOCOL_VERSION, "session": token, "batch": self.batch,
            "level": level.name.lower(),
        })])  # fmt: skip
        self._publish(Topic.HELLO, session, kind=session.kind, buffer=session.buffer)

    def _answer(
        self, session: _Session, outcome: PrintOutcome, jobs: list[int],
        answers: list[_Answer],
    ) -> None:  # fmt: skip
        if not jobs:
            return
        # In the driver's order, each once: a job repeated or not in flight is ignored.
        mine = list(dict.fromkeys(job for job in jobs if job in session.in_flight))
        self.report.ignored += len(jobs) - len(mine)
        session.in_flight.difference_update(mine)
        if self._sent_at:
            now = time.monotonic()
            for job in mine:
                sent = self._sent_at.pop(job, None)
                if sent is not None:
                    self.report.latencies.append(now - sent)
        indices = np.asarray(mine, dtype=np.int64) & ((1 << _LEVEL_SHIFT) - 1)
        answers.append((session.level, session.printer, outcome, indices))

    def _lost(
        self, identity: bytes, why: str,
        answers: list[_Answer],
    ) -> None:  # fmt: skip
        session = self._sessions.pop(identity, None)
        if session is None:
            return
        jobs = sorted(session.in_flight)  # the order they were sent in
        self._answer(session, PrintOutcome.UNKNOWN, jobs, answers)
        self._publish(Topic.LOST, session, why=why, unknown=len(jobs))

    def _expire(self, now: float) -> None:
        silent = [s.identity for s in self._sessions.values()
                  if now - s.last_seen > self.driver_timeout]  # fmt: skip
        if not silent:
            return
        answers: list[_Answer] = []
        for identity in silent:
            self._lost(identity, f"silent for {self.driver_timeout:g} s", answers)
        self._settle(answers)

    def _settle(self, answers: list[_Answer]) -> None:
        """Settle the answers, a group commit per level; then publish progress and tell
        `on_settle` each answer settled, in the order they came."""
        if not answers:
            return
        by_level: dict[Level, list[tuple[str, PrintOutcome, _Indices]]] = {}
        for level, printer, outcome, indices in answers:
            by_level.setdefault(level, []).append((printer, outcome, indices))
        settled: dict[Level, Settled] = {}
        for level, items in by_level.items():
            settled[level] = result = self.ledgers[level].settle(items, actor=self.actor)
            self.report.ignored += len(result.ignored)
            for outcome, indices in result.outcomes.items():
                if outcome is PrintOutcome.PRINTED:
                    self.report.printed += int(indices.size)
                elif outcome is PrintOutcome.FAILED:
                    self.report.failed += int(indices.size)
                else:
                    self.report.unknown += int(indices.size)
        self._publisher.event(Topic.PROGRESS, {**self.report.counts(), "latency_ms": None})
        if self._on_settle is not None:
            for level, printer, outcome, indices in answers:
                done = settled[level].outcomes.get(outcome)
                if done is None:
                    continue
                kept = indices[np.isin(indices, done)]
                if kept.size:
                    kept.flags.writeable = False
                    self._on_settle(Settlement(level, printer, outcome, kept))

    def _dispatch(self) -> None:
        if self._draining.is_set() or self._budget_spent():
            return
        for level, ledger in self.ledgers.items():
            wanting = [s for s in self._sessions.values() if s.level is level and self._feeds(s)]
            if not wanting:
                continue
            left = self._budget.left(level)
            requests = []
            for s in wanting:
                requests.append((s.printer, min(s.credit, self.max_jobs, left)))
                left -= requests[-1][1]
            drawn = ledger.take(requests, actor=self.actor)
            with self.store.view() as view:
                for session, indices in zip(wanting, drawn, strict=True):
                    if not indices.size:
                        continue
                    texts = code_texts(view, ledger.record, level, indices,
                                       form=CodeForm.RAW)  # fmt: skip
                    ids = (indices + (int(level) << _LEVEL_SHIFT)).tolist()
                    session.credit -= len(ids)
                    session.last_seen = time.monotonic()  # its silence is counted from here
                    session.in_flight.update(ids)
                    self.report.sent += len(ids)
                    self._budget.sent[level] += len(ids)
                    if self._sample_every:
                        now = time.monotonic()
                        for job in ids[:: self._sample_every]:
                            self._sent_at[job] = now
                    body = {"jobs": [[job, text] for job, text in zip(ids, texts, strict=True)]}
                    self.router.send_multipart([session.identity, *wire.pack(Message.JOB, body)])

    def _feeds(self, session: _Session) -> bool:
        """Whether the session holds credit that its level's codes could still fill."""
        return (session.credit > 0 and session.state is not DeviceState.FAULT
                and not self._spent(session.level))  # fmt: skip

    def _wanting(self) -> bool:
        """Whether some session could be sent jobs now."""
        return (not self._draining.is_set() and not self._budget_spent()
                and any(map(self._feeds, self._sessions.values())))  # fmt: skip

    def _done(self) -> bool:
        if any(s.in_flight for s in self._sessions.values()):
            return False
        if self._draining.is_set() or self._budget_spent():
            return True
        levels = {s.level for s in self._sessions.values()}
        return bool(levels) and all(map(self._spent, levels))

    def _spent(self, level: Level) -> bool:
        """Whether `level` can send nothing more: its codes or its budget are used up."""
        return self.ledgers[level].exhausted or self._budget.left(level) == 0

    def _budget_spent(self) -> bool:
        """Whether every level in the budget is spent: the engine drains."""
        caps = self._budget.caps
        return bool(caps) and all(map(self._spent, caps))

    # Messages ----------------------------------------------------------------------------

    def _refuse(self, identity: bytes, code: RefusalReason, reason: str) -> None:
        self.report.refused += 1
        body = {"code": int(code), "reason": reason}
        self.router.send_multipart([identity, *wire.pack(Message.REFUSED, body)])

    def _broadcast(self, kind: Message) -> None:
        for identity in self._sessions:
            self.router.send_multipart([identity, *wire.pack(kind)])

    def _publish(self, topic: Topic, session: _Session, **data: Any) -> None:
        self._publisher.event(topic, {"printer": session.printer, **data})

"""A state machine over delivery: records queued, faults scripted, submissions with few or many
attempts, the server restarted from its record file, in any order. After every step: a record
marked sent is one the server accepted (with the receipt the store keeps), the server holds
nothing the store did not queue and no receipt twice, and no attempt is left unanswered. At
the end a fault-free submission empties the queue: everything accepted exactly once."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from tests.regulator.conftest import PARTNER, STALL, TOKEN, config_for, queue_records

from jejak.engine.store import Store
from jejak.engine.store.view import AttemptOutcome
from jejak.regulator.client import RetryPolicy, Submitter
from jejak.regulator.server import Fault, FaultPlan, RegulatorServer

FAULTS = st.lists(st.sampled_from(list(Fault)), max_size=4)


class DeliveryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="jejak-delivery-"))
        self.store = Store(self.folder / "store", map_size=1 << 30)
        self.record = self.folder / "accepted.jsonl"
        self.server = self._start()
        self.queued = 0

    def _start(self) -> RegulatorServer:
        return RegulatorServer(token=TOKEN, partner_id=PARTNER, record=self.record).start()

    def _submit(self, attempts: int) -> None:
        policy = RetryPolicy(attempts=attempts, base=0.001, cap=0.005)
        with Submitter(self.store, config_for(self.server), policy=policy,
                       rng=random.Random(attempts)) as client:  # noqa: S311  # fmt: skip
            report = client.run()
        assert report.stopped is None or report.stopped.transient
        assert report.refused == []

    @rule(count=st.integers(1, 4))
    def queue(self, count: int) -> None:
        queue_records(self.store, count)
        self.queued += count

    @rule(script=FAULTS)
    def faults(self, script: list[Fault]) -> None:
        self.server.set_faults(FaultPlan(script=tuple(script), stall=STALL))

    @rule(attempts=st.integers(1, 3))
    def submit(self, attempts: int) -> None:
        self._submit(attempts)

    @rule()
    def restart_server(self) -> None:
        self.server.stop()
        self.server = self._start()

    @invariant()
    def sent_only_what_the_server_confirmed(self) -> None:
        accepted = {a.key: a.receipt for a in self.server.accepted()}
        with self.store.view() as view:
            records = view.outbox()
            for record in records:
                attempts = view.attempts(record.seq)
                assert all(a.outcome is not AttemptOutcome.STARTED for a in attempts)
                receipts = {a.receipt for a in attempts if a.outcome.confirmed}
                if not view.is_queued(record.seq):
                    assert receipts == {accepted[record.key]}
                else:
                    assert not receipts
        assert set(accepted) <= {r.key for r in records}
        assert len(set(accepted.values())) == len(accepted)

    def teardown(self) -> None:
        try:
            self.server.set_faults(FaultPlan())
            self._submit(10)
            accepted = {a.key for a in self.server.accepted()}
            with self.store.view() as view:
                assert view.queued_count() == 0
                assert accepted == {r.key for r in view.outbox()}
                assert len(accepted) == self.queued
                assert view.verify_audit().ok
        finally:
            self.server.stop()
            self.store.close()
            shutil.rmtree(self.folder, ignore_errors=True)


TestDeliveryMachine = DeliveryMachine.TestCase
TestDeliveryMachine.settings = settings(
    max_examples=25, stateful_step_count=12, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip

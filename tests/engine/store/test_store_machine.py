"""The store as a Hypothesis state machine: batches opened, codes moved in runs and scattered
sets, marked one by one, drawn and settled by the print ledger, batches closed, keys rotated —
against a model of every code's state. After every step: the counts are the model's, every
refused change changed nothing, the audit chain verifies, sampled codes resolve to themselves
with the model's state, their history is what a walk of the log finds, and no serial repeats."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.engine.store.test_history import walked

from jejak.engine.batch_record import BatchStatus
from jejak.engine.codes import CLOSE_RESOLUTION, TRANSITIONS, CodeForm, CodeState, Level
from jejak.engine.errors import IllegalTransition, StoreError
from jejak.engine.listing import iter_code_lines
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.store import CodeRef, Store, resolve
from jejak.testing import FORMAT, GTIN, NIE, make_request

A = CodeState
TARGETS = [A.ENCODED, A.COMMISSIONED, A.LABEL_SCRAPPED, A.SAMPLED, A.RELEASED, A.INACTIVE]


class StoreMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="jejak-machine-"))
        self.store = Store(self.folder / "s", map_size=1 << 30)
        self.store.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN),
                               actor="qa")  # fmt: skip
        self.model: dict[tuple[str, Level], np.ndarray] = {}
        self.closed: set[str] = set()
        self.ledgers: dict[str, PrintLedger] = {}
        self.open_batch(300)

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # Rules -------------------------------------------------------------------------------

    @precondition(lambda self: len({b for b, _ in self.model}) < 4)
    @rule(quantity=st.integers(1, 900))
    def open_batch(self, quantity: int) -> None:
        name = f"B{len({b for b, _ in self.model})}"
        record = self.store.open_batch(make_request(name, quantity), serial_format=FORMAT,
                                       actor="qa")  # fmt: skip
        for allocation in record.levels:
            self.model[(name, allocation.level)] = np.full(allocation.count, A.ALLOCATED, np.uint8)
        self.ledgers[name] = PrintLedger(self.store, name, Level.PRIMARY)

    @rule(data=st.data(), to=st.sampled_from(TARGETS), scattered=st.booleans())
    def move(self, data: st.DataObject, to: A, scattered: bool) -> None:
        batch, level = data.draw(st.sampled_from(sorted(self.model)))
        states = self.model[(batch, level)]
        if scattered:
            picks = data.draw(st.lists(st.integers(0, states.size - 1), min_size=1, max_size=20))
            indices = np.unique(np.array(picks, dtype=np.int64))
        else:
            first = data.draw(st.integers(0, states.size - 1))
            indices = np.arange(first, min(states.size, first + data.draw(st.integers(1, 400))))
        self._change(batch, level, indices, to, lambda: self.store.transition(
            batch, level, indices, to, actor="t"))  # fmt: skip

    @rule(data=st.data(), to=st.sampled_from(TARGETS))
    def mark(self, data: st.DataObject, to: A) -> None:
        batch, level = data.draw(st.sampled_from(sorted(self.model)))
        states = self.model[(batch, level)]
        picks = data.draw(st.lists(st.integers(0, states.size - 1), min_size=1, max_size=5))
        indices = np.unique(np.array(picks, dtype=np.int64))
        batch_id = self.store.batch(batch).batch_id
        refs = [CodeRef(batch_id, level, int(i)) for i in picks]  # repeats are harmless
        self._change(batch, level, indices, to,
                     lambda: self.store.mark(refs, to, actor="m"))  # fmt: skip

    def _change(self, batch: str, level: Level, indices: np.ndarray, target: A,
                apply: Callable[[], object]) -> None:  # fmt: skip
        states = self.model[(batch, level)]
        legal = batch not in self.closed and all(
            target in TRANSITIONS[A(int(s))] for s in states[indices]
        )
        before = (self.store.events(), self.store.counts(batch))
        try:
            apply()
        except (IllegalTransition, StoreError):
            assert not legal
            assert (self.store.events(), self.store.counts(batch)) == before
            return
        assert legal
        states[indices] = target

    @rule(data=st.data(), n=st.integers(1, 120))
    def print_some(self, data: st.DataObject, n: int) -> None:
        batch = data.draw(st.sampled_from(sorted({b for b, _ in self.model})))
        if batch in self.closed:
            return
        ledger = self.ledgers[batch]
        (drawn,) = ledger.take([("p1", n)], actor="engine")
        states = self.model[(batch, Level.PRIMARY)]
        assert bool(np.all(states[drawn] == A.ALLOCATED))
        states[drawn] = A.ENCODED
        failed = drawn[: data.draw(st.integers(0, drawn.size))]
        printed = drawn[failed.size :]
        ledger.settle([("p1", PrintOutcome.FAILED, failed),
                       ("p1", PrintOutcome.PRINTED, printed)], actor="engine")  # fmt: skip
        states[failed] = A.LABEL_SCRAPPED

    @rule(data=st.data())
    def close(self, data: st.DataObject) -> None:
        batch = data.draw(st.sampled_from(sorted({b for b, _ in self.model})))
        if batch in self.closed:
            return
        self.store.close_batch(batch, actor="qa")
        self.closed.add(batch)
        for (name, _), states in self.model.items():
            if name == batch:
                for source, resolved in CLOSE_RESOLUTION.items():
                    states[states == source] = resolved

    @rule()
    def rotate(self) -> None:
        self.store.rotate_key(actor="qa")

    # Invariants --------------------------------------------------------------------------

    @invariant()
    def counts_are_the_model(self) -> None:
        for (batch, level), states in self.model.items():
            tally = np.bincount(states, minlength=256)
            assert self.store.counts(batch)[level] == {A(s): int(n) for s, n in
                                                        enumerate(tally) if n}  # fmt: skip
            status = self.store.batch(batch).status
            assert (status is BatchStatus.CLOSED) == (batch in self.closed)

    @invariant()
    def the_audit_chain_holds(self) -> None:
        report = self.store.verify_audit()
        assert report.ok, report
        assert report.checked == len(self.store.events())

    @invariant()
    def sampled_codes_resolve_to_themselves_with_their_history(self) -> None:
        with self.store.view() as view:
            for (batch, level), states in self.model.items():
                record = view.batch(batch)
                lines = b"".join(iter_code_lines(self.store, batch, level,
                                                 form=CodeForm.RAW)).split(b"\n")  # fmt: skip
                for index in {0, states.size // 2, states.size - 1}:
                    found = resolve(view, "]d2" + lines[index].decode())
                    assert found.ref == CodeRef(record.batch_id, level, index)
                    assert view.state_of(record, level, index) == states[index]
                    seqs = [e.seq for e in view.history(found.ref)]
                    assert seqs == walked(view, batch, level, index)

    @invariant()
    def no_serial_repeats(self) -> None:
        every = [s for batch, level in self.model
                 for s in b"".join(iter_code_lines(self.store, batch, level,
                                                   form=CodeForm.SERIAL)).split()]  # fmt: skip
        assert len(every) == len(set(every))


TestStoreMachine = StoreMachine.TestCase
TestStoreMachine.settings = settings(
    max_examples=40, stateful_step_count=15, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip

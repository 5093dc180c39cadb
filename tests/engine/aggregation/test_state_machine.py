"""Aggregation as a Hypothesis state machine: random pack, bulk pack, seal, unpack, replace,
sample, reset, dissolve, move and destroy, with or without mixed pallets, over two small
batches (one of which closes), against a model that applies the same rules in the same order.

After every step: the store is the model (every code's state, container and seal, every
container's children), so each operation did what it says and each refused one named the
model's rule and changed nothing (the whole store compared before and after); a code has at
most one container, no container is over its capacity, only Commissioned codes are linked,
`consistency.check` finds nothing, `tally` and the trees count what the model holds, and the
audit chain verifies."""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from tests.engine.aggregation.test_operations import open_printed, snapshot

from jejak.engine.aggregation import Aggregation, Rule, Seal, capacity, check, tally, tree
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CLOSE_RESOLUTION, TRANSITIONS, CodeState, Level
from jejak.engine.errors import AggregationRefused
from jejak.engine.product import Product
from jejak.engine.store import (
    CONTAINERS,
    PARENTS,
    STATES,
    CodeRef,
    EventKind,
    Store,
    pack_ref,
)
from jejak.testing import GTIN, NIE

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
PRINTED = {A.ENCODED, A.COMMISSIONED}
DESTROYABLE = {s for s, targets in TRANSITIONS.items() if A.DESTROYED in targets}


def level_of(ref: int) -> Level:
    return Level(ref >> 32 & 0xFF)


def batch_of(ref: int) -> int:
    return ref >> 40


class Refused(Exception):
    def __init__(self, rule: Rule) -> None:
        super().__init__(rule.name)
        self.rule = rule


class Model:
    """Every code's state, container and seal, and every container's children, changed by
    the rules as the engine applies them: checks in the same order, so a refusal's rule is
    the first one broken."""

    def __init__(self, records: list[BatchRecord], store: Store) -> None:
        self.state: dict[int, CodeState] = {}
        self.parent: dict[int, int] = {}
        self.held: dict[int, set[int]] = {}
        self.seal: dict[int, Seal] = {}
        self.closed: set[int] = set()
        self.caps: dict[tuple[int, Level], int] = {}
        with store.view() as view:
            for record in records:
                for level in Level:
                    self.caps[(record.batch_id, level)] = capacity(record, level)
                    states = view.states(record, level)
                    for index, value in enumerate(states.tolist()):
                        ref = pack_ref(record.batch_id, level, index)
                        self.state[ref] = CodeState(value)
                        if level is not P:
                            self.held[ref], self.seal[ref] = set(), Seal.OPEN

    def cap(self, ref: int) -> int:
        return self.caps[(batch_of(ref), level_of(ref))]

    # Checks, in the engine's order ----------------------------------------------------------

    def check_open(self, refs: object) -> None:
        if any(batch_of(r) in self.closed for r in refs):  # type: ignore[attr-defined]
            raise Refused(Rule.BATCH_CLOSED)

    @staticmethod
    def check_container(refs: list[int]) -> None:
        if any(level_of(r) is P for r in refs):
            raise Refused(Rule.WRONG_LEVEL)

    @staticmethod
    def check_distinct(refs: list[int]) -> None:
        if len(set(refs)) != len(refs):
            raise Refused(Rule.REPEATED)

    def check_free(self, kids: list[int], parents: list[int], mixed: bool,
                   taken: set[int] = frozenset()) -> None:  # type: ignore[assignment]  # fmt: skip
        self.check_container(parents)
        if any(level_of(k) != level_of(p) - 1 for k, p in zip(kids, parents, strict=True)):
            raise Refused(Rule.WRONG_LEVEL)
        if any(batch_of(k) != batch_of(p) and not (mixed and level_of(p) is T)
               for k, p in zip(kids, parents, strict=True)):  # fmt: skip
            raise Refused(Rule.OTHER_BATCH)
        if any(self.state[k] is not A.COMMISSIONED for k in kids):
            raise Refused(Rule.NOT_COMMISSIONED)
        if any(k in self.parent and k not in taken for k in kids):
            raise Refused(Rule.HAS_PARENT)

    def check_printed(self, refs: set[int] | list[int]) -> None:
        if any(self.state[r] not in PRINTED for r in refs):
            raise Refused(Rule.NOT_PRINTED)

    # Writes ---------------------------------------------------------------------------------

    def reseal(self, container: int) -> None:
        count = len(self.held[container])
        if count == self.cap(container):
            self.seal[container] = Seal.FULL
        elif count == 0 or self.seal[container] is not Seal.PARTIAL:
            self.seal[container] = Seal.OPEN

    def close_partial(self, container: int) -> None:
        count = len(self.held[container])
        if not count:
            raise Refused(Rule.NOT_PACKED)
        if count < self.cap(container):
            self.seal[container] = Seal.PARTIAL

    def keep_partial(self, container: int, partial: bool) -> None:
        if partial and self.held[container]:
            self.close_partial(container)

    def attach(self, kids: list[int], parents: list[int]) -> None:
        containers = sorted(set(parents))
        self.check_printed(containers)
        for container in containers:
            if len(self.held[container]) + parents.count(container) > self.cap(container):
                raise Refused(Rule.OVER_CAPACITY)
        for kid, container in zip(kids, parents, strict=True):
            self.parent[kid] = container
            self.held[container].add(kid)
        for container in containers:
            if self.state[container] is A.ENCODED:
                self.state[container] = A.COMMISSIONED
            self.reseal(container)

    def detach(self, kids: list[int]) -> None:
        if any(k not in self.parent for k in kids):
            raise Refused(Rule.NOT_PACKED)
        parents = {self.parent[k] for k in kids}
        self.check_open(parents | set(kids))
        for kid in kids:
            self.held[self.parent.pop(kid)].discard(kid)
        for container in parents:
            self.reseal(container)

    def subtree(self, root: int) -> list[int]:
        found, frontier = [], [root]
        while frontier:
            frontier = [k for r in frontier for k in sorted(self.held.get(r, ()))]
            found += frontier
        return found

    # The operations -------------------------------------------------------------------------

    def pack(self, container: int, kids: list[int], partial: bool, mixed: bool) -> None:
        self.check_open([container, *kids])
        self.check_container([container])
        self.check_distinct(kids)
        self.check_free(kids, [container] * len(kids), mixed)
        if not kids:
            self.check_printed([container])
        self.attach(kids, [container] * len(kids))
        if partial:
            self.close_partial(container)

    def pack_many(self, kids: list[int], parents: list[int], mixed: bool) -> None:
        """All at once: the children of each level in turn, lowest first (packs into cases
        commission the cases, which then may go onto pallets)."""
        self.check_distinct(kids)
        for level in sorted({level_of(k) for k in kids}):
            mine = [(k, p) for k, p in zip(kids, parents, strict=True) if level_of(k) is level]
            these, into = [k for k, _ in mine], [p for _, p in mine]
            self.check_open([*into, *these])
            self.check_free(these, into, mixed)
            self.attach(these, into)

    def seal_(self, container: int) -> None:
        self.check_open([container])
        self.check_container([container])
        self.close_partial(container)

    def unpack(self, kids: list[int]) -> None:
        if kids:
            self.check_open(kids)
            self.check_distinct(kids)
            self.detach(kids)

    def replace(self, old: int, new: int, mixed: bool) -> None:
        self.check_open([old, new])
        self.check_distinct([old, new])
        if old not in self.parent:
            raise Refused(Rule.NOT_PACKED)
        container = self.parent[old]
        self.check_free([new], [container], mixed)
        partial = self.seal[container] is Seal.PARTIAL
        self.detach([old])
        self.attach([new], [container])
        self.keep_partial(container, partial)

    def sample(self, kids: list[int]) -> None:
        if not kids:
            return
        self.check_open(kids)
        self.check_distinct(kids)
        if any(level_of(k) is not P for k in kids):
            raise Refused(Rule.WRONG_LEVEL)
        if any(self.state[k] is not A.COMMISSIONED for k in kids):
            raise Refused(Rule.NOT_COMMISSIONED)
        packed = [k for k in kids if k in self.parent]
        if packed:
            self.detach(packed)
        for kid in kids:
            self.state[kid] = A.SAMPLED

    def reset(self, container: int, kids: list[int], mixed: bool) -> None:
        self.check_open([container, *kids])
        self.check_container([container])
        self.check_distinct(kids)
        held = set(self.held[container])
        self.check_free(kids, [container] * len(kids), mixed, taken=held)
        partial = self.seal[container] is Seal.PARTIAL
        if held:
            self.detach(sorted(held))
        self.attach(kids, [container] * len(kids))
        self.keep_partial(container, partial)

    def dissolve(self, container: int) -> None:
        self.check_open([container])
        self.check_container([container])
        if not self.held[container]:
            raise Refused(Rule.NOT_PACKED)
        self.detach(sorted(self.held[container]))

    def move(self, code: int, to: int, mixed: bool) -> None:
        self.check_open([code, to])
        was = self.parent.get(code)
        if was == to:
            raise Refused(Rule.HAS_PARENT)
        self.check_free([code], [to], mixed, taken={code})
        if was is not None:
            self.detach([code])
        self.attach([code], [to])

    def destroy(self, root: int) -> None:
        self.check_open([root])
        doomed = [root, *self.subtree(root)]
        self.check_open(doomed)
        if any(self.state[r] not in DESTROYABLE for r in doomed):
            raise Refused(Rule.NOT_COMMISSIONED)
        if root in self.parent:
            self.detach([root])
        for ref in doomed:
            self.parent.pop(ref, None)
            if self.held.get(ref):
                self.held[ref] = set()
                self.reseal(ref)
            self.state[ref] = A.DESTROYED

    def close(self, batch_id: int) -> None:
        for ref, state in self.state.items():
            if batch_of(ref) == batch_id and state in CLOSE_RESOLUTION:
                self.state[ref] = CLOSE_RESOLUTION[state]
        self.closed.add(batch_id)


class AggregationMachine(RuleBasedStateMachine):
    """B1: 72 packs (66 verified, 6 printed only), 6 cases of 12 (the last not printed), 3
    pallets of 3 (the last not printed). B2: 24 packs, 2 cases, 1 pallet, all printed and
    verified; it may close."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="jejak-agg-machine-"))
        self.store = Store(self.folder / "s", map_size=1 << 28)
        self.store.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN),
                               actor="qa")  # fmt: skip
        b1 = open_printed(self.store, "B1", 60, overage_pct=20, packs=66, cases=5, pallets=2,
                          max_per_tertiary=3)  # fmt: skip
        b2 = open_printed(self.store, "B2", 24, max_per_tertiary=3)
        self.records = [b1, b2]
        assert [a.count for a in b1.levels] == [72, 6, 3]
        assert [a.count for a in b2.levels] == [24, 2, 1]
        self.model = Model(self.records, self.store)
        self.codes = {level: [pack_ref(r.batch_id, level, i) for r in self.records
                              for i in range(r.level(level).count)] for level in Level}  # fmt: skip
        self.everything = [ref for level in Level for ref in self.codes[level]]
        self.steps = 0  # B2 closes only after this many operations

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # Drawing codes ------------------------------------------------------------------------

    def container(self, data: st.DataObject) -> int:
        """Half the time one that holds something (if any); else a case or a pallet, now
        and then a pack."""
        filled = [r for r, held in self.model.held.items() if held]
        if data.draw(st.booleans()) and filled:
            return data.draw(st.sampled_from(filled))
        return data.draw(st.sampled_from(self.codes[S] + self.codes[T] + self.codes[P][:2]))

    def some(self, data: st.DataObject, level: Level | None, *, max_size: int,
             min_size: int = 0, batch: int | None = None) -> list[int]:  # fmt: skip
        """Distinct codes of `level` (of any level now and then, or when None), mostly free
        Commissioned ones of `batch` (when given); now and then one of them twice."""
        mode = data.draw(st.sampled_from(["free"] * 6 + ["level", "any"]))
        if level is None or mode == "any":
            pool = self.everything
        elif mode == "level":
            pool = self.codes[level]
        else:
            pool = [r for r in self.codes[level] if r not in self.model.parent
                    and self.model.state[r] is A.COMMISSIONED
                    and batch in (None, batch_of(r))] or self.codes[level]  # fmt: skip
        size = data.draw(st.sampled_from([None, None, None, max_size - 1, max_size]))
        if size is not None:  # a full container, or one over: when the pool is large enough
            min_size = max(min_size, min(size, len(pool)))
        found = data.draw(st.lists(st.sampled_from(pool), min_size=min_size,
                                   max_size=max(min_size, max_size), unique=True))  # fmt: skip
        if found and data.draw(st.sampled_from([False] * 9 + [True])):
            found.append(found[0])
        return found

    def below(self, container: int) -> Level | None:
        level = level_of(container)
        return None if level is P else Level(level - 1)

    def linked(self, data: st.DataObject, level: Level, count: int = 1) -> list[int]:
        """`count` distinct codes of `level` in a container (any of that level if none is)."""
        inside = [r for r in self.codes[level] if r in self.model.parent]
        return data.draw(st.lists(st.sampled_from(inside or self.codes[level]), unique=True,
                                  min_size=min(count, len(inside) or count),
                                  max_size=count))  # fmt: skip

    def agg(self, mixed: bool) -> Aggregation:
        return Aggregation(self.store, actor="line", mixed_pallets=mixed)

    # Running one operation against the model ------------------------------------------------

    def run(
        self,
        kind: EventKind,
        touched: list[int],
        engine: Callable[[], object],
        model: Callable[[Model], None],
    ) -> None:
        """Apply an operation to a copy of the model and to the store: both refuse with the
        same rule (the store then unchanged), or both do it (the touched codes' histories
        then end with one of its events)."""
        self.steps += 1
        trial = copy.deepcopy(self.model)
        try:
            model(trial)
            expected = None
        except Refused as refusal:
            expected = refusal.rule
        before = snapshot(self.store)
        before_events = self.store.events()
        error: AggregationRefused | None = None
        try:
            engine()
        except AggregationRefused as refused:
            error = refused
        if error is not None:
            assert isinstance(error.rule, Rule)
            assert error.rule is expected, (error.rule, expected, str(error))
            assert str(error).startswith(f"Cannot aggregate {error.code!r}: ")
            assert f". Hint: {error.rule.hint}." in str(error)
            assert snapshot(self.store) == before
            return
        assert expected is None, f"the store did what the model refuses: {expected}"
        self.model = trial
        written = self.store.events()[len(before_events) :]
        assert written
        assert {event.what for event in written} == {kind}
        for ref in sorted(set(touched))[:4]:  # (one operation may write an event a level)
            code = CodeRef(batch_of(ref), level_of(ref), ref & 0xFFFFFFFF)
            assert self.store.history(code)[-1].seq in {event.seq for event in written}

    @staticmethod
    def code(ref: int) -> CodeRef:
        return CodeRef(batch_of(ref), level_of(ref), ref & 0xFFFFFFFF)

    # Rules ---------------------------------------------------------------------------------

    @rule(data=st.data(), partial=st.booleans(), mixed=st.booleans())
    def pack(self, data: st.DataObject, partial: bool, mixed: bool) -> None:
        container = self.container(data)
        most = 13 if level_of(container) is S else 4
        anywhere = mixed and level_of(container) is T
        kids = self.some(data, self.below(container), max_size=most,
                         batch=None if anywhere else batch_of(container))  # fmt: skip
        self.run(EventKind.AGG_PACK, [container, *kids],
                 lambda: self.agg(mixed).pack(self.code(container),
                                              [self.code(k) for k in kids], partial=partial),
                 lambda m: m.pack(container, kids, partial, mixed))  # fmt: skip

    @rule(data=st.data(), mixed=st.booleans())
    def pack_many(self, data: st.DataObject, mixed: bool) -> None:
        """Bulk links of one level or, now and then, of both (cases onto pallets too)."""
        batch = data.draw(st.sampled_from([r.batch_id for r in self.records]))
        kids, parents = [], []
        for level in data.draw(st.sampled_from([[P], [S], [P, S]])):
            these = self.some(data, level, max_size=14, min_size=1, batch=batch)
            pool = [r for r in self.codes[Level(level + 1)] if batch_of(r) == batch]
            if data.draw(st.integers(0, 4)) == 0:
                pool = self.codes[Level(level + 1)]
            kids += these
            parents += [data.draw(st.sampled_from(pool)) for _ in these]
        self.run(EventKind.AGG_PACK, [*parents, *kids],
                 lambda: self.agg(mixed).pack_many(np.array(kids, dtype=np.uint64),
                                                   np.array(parents, dtype=np.uint64)),
                 lambda m: m.pack_many(kids, parents, mixed))  # fmt: skip

    @rule(data=st.data())
    def seal(self, data: st.DataObject) -> None:
        container = self.container(data)
        self.run(EventKind.AGG_SEAL, [container], lambda: self.agg(False).seal(
            self.code(container)), lambda m: m.seal_(container))  # fmt: skip

    @rule(data=st.data())
    def unpack(self, data: st.DataObject) -> None:
        level = data.draw(st.sampled_from([P, P, S]))
        kids = self.linked(data, level, data.draw(st.integers(1, 3)))
        if data.draw(st.sampled_from([False] * 9 + [True])):
            kids.append(data.draw(st.sampled_from(self.everything)))
        touched = [*kids, *(self.model.parent.get(k, k) for k in kids)]
        self.run(EventKind.AGG_UNPACK, touched,
                 lambda: self.agg(False).unpack([self.code(k) for k in kids]),
                 lambda m: m.unpack(kids))  # fmt: skip

    @rule(data=st.data(), mixed=st.booleans())
    def replace(self, data: st.DataObject, mixed: bool) -> None:
        level = data.draw(st.sampled_from([P, P, S]))
        old = self.linked(data, level)[0]
        new = self.some(data, level, max_size=1, min_size=1, batch=batch_of(old))[0]
        touched = [old, new, self.model.parent.get(old, old)]
        self.run(EventKind.AGG_REPLACE, touched,
                 lambda: self.agg(mixed).replace(self.code(old), self.code(new)),
                 lambda m: m.replace(old, new, mixed))  # fmt: skip

    @precondition(lambda self: self.steps % 2 == 0)
    @rule(data=st.data())
    def sample(self, data: st.DataObject) -> None:
        kids = [self.linked(data, P)[0] if data.draw(st.booleans())
                else self.some(data, P, max_size=1, min_size=1)[0]
                for _ in range(data.draw(st.integers(1, 3)))]  # fmt: skip
        if data.draw(st.integers(0, 9)) == 0:
            kids.append(data.draw(st.sampled_from(self.everything)))
        touched = [*kids, *(self.model.parent.get(k, k) for k in kids)]
        self.run(EventKind.AGG_SAMPLE, touched,
                 lambda: self.agg(False).sample([self.code(k) for k in kids]),
                 lambda m: m.sample(kids))  # fmt: skip

    @rule(data=st.data(), mixed=st.booleans())
    def reset(self, data: st.DataObject, mixed: bool) -> None:
        container = self.container(data)
        level = self.below(container)
        own = sorted(self.model.held.get(container, ()))
        keep = data.draw(st.lists(st.sampled_from(own), unique=True)) if own else []
        kids = keep + self.some(data, level, max_size=6, batch=batch_of(container))
        self.run(EventKind.AGG_RESET, [container, *kids, *own],
                 lambda: self.agg(mixed).reset(self.code(container),
                                               [self.code(k) for k in kids]),
                 lambda m: m.reset(container, kids, mixed))  # fmt: skip

    @rule(data=st.data())
    def dissolve(self, data: st.DataObject) -> None:
        container = self.container(data)
        self.run(EventKind.AGG_DISSOLVE, [container, *self.model.held.get(container, ())],
                 lambda: self.agg(False).dissolve(self.code(container)),
                 lambda m: m.dissolve(container))  # fmt: skip

    @rule(data=st.data(), mixed=st.booleans())
    def move(self, data: st.DataObject, mixed: bool) -> None:
        level = data.draw(st.sampled_from([S, S, S, P]))
        code = self.linked(data, level)[0] if data.draw(st.booleans()) else data.draw(
            st.sampled_from(self.codes[level]))  # fmt: skip
        to = data.draw(st.sampled_from(self.codes[Level(level + 1)] + self.codes[P][:1]))
        touched = [code, to, self.model.parent.get(code, code)]
        self.run(EventKind.AGG_MOVE, touched,
                 lambda: self.agg(mixed).move(self.code(code), self.code(to)),
                 lambda m: m.move(code, to, mixed))  # fmt: skip

    @precondition(lambda self: self.steps % 3 == 0)  # it takes many codes off the line
    @rule(data=st.data())
    def destroy(self, data: st.DataObject) -> None:
        level = data.draw(st.sampled_from([P, S, S, T]))
        live = [r for r in self.codes[level] if self.model.state[r] is A.COMMISSIONED]
        pool = live if live and data.draw(st.sampled_from([True] * 3 + [False])) else None
        root = data.draw(st.sampled_from(pool or self.codes[level]))
        touched = [root, *self.model.subtree(root), self.model.parent.get(root, root)]
        self.run(EventKind.AGG_DESTROY, touched,
                 lambda: self.agg(False).destroy(self.code(root)),
                 lambda m: m.destroy(root))  # fmt: skip

    @precondition(lambda self: not self.model.closed and self.steps >= 20)
    @rule()
    def close_b2(self) -> None:
        self.store.close_batch("B2", actor="qa")
        self.model.close(self.records[1].batch_id)

    # Invariants ----------------------------------------------------------------------------

    @invariant()
    def the_store_is_the_model(self) -> None:
        m = self.model
        with self.store.view() as view:
            for record in self.records:
                for level in Level:
                    count = record.level(level).count
                    mine = [pack_ref(record.batch_id, level, i) for i in range(count)]
                    assert view.states(record, level).tolist() == [m.state[r] for r in mine]
                    assert view.column(PARENTS, record, level).tolist() == [
                        m.parent.get(r, 0) for r in mine]  # fmt: skip
                    if level is P:
                        assert view.containers(record, level) == {}
                        continue
                    assert view.column(CONTAINERS, record, level).tolist() == [
                        m.seal[r] for r in mine]  # fmt: skip
                    assert view.containers(record, level) == {
                        i: len(m.held[r]) for i, r in enumerate(mine) if m.held[r]
                    }
                    for r in mine:
                        assert view.children(self.code(r)).tolist() == sorted(m.held[r])

    @invariant()
    def one_parent_capacities_and_only_commissioned_codes_linked(self) -> None:
        with self.store.view() as view:
            listed: list[int] = []
            for ref in self.codes[S] + self.codes[T]:
                kids = view.children(self.code(ref)).tolist()
                assert len(kids) <= self.model.cap(ref)
                listed += kids
            assert len(listed) == len(set(listed))  # in one container at most
            for record in self.records:
                for level in (P, S):
                    parents = view.column(PARENTS, record, level)
                    states = view.states(record, level)
                    assert set(states[parents != 0].tolist()) <= {A.COMMISSIONED}
                    assert int(np.count_nonzero(parents)) == sum(
                        1 for r in listed if batch_of(r) == record.batch_id
                        and level_of(r) is level)  # fmt: skip

    @invariant()
    def consistent_and_counted(self) -> None:
        m = self.model
        with self.store.view() as view:
            for record in self.records:
                assert check(view, record) == []
                counted = tally(view, record)
                for level, name in ((S, "cases"), (T, "pallets")):
                    mine = [r for r in self.codes[level] if batch_of(r) == record.batch_id]
                    filled = [r for r in mine if m.held[r]]
                    assert counted[name] == len(filled)
                    assert counted[f"{name}_full"] == sum(m.seal[r] is Seal.FULL for r in filled)
                    assert counted[f"{name}_partial"] == sum(
                        m.seal[r] is Seal.PARTIAL for r in filled)  # fmt: skip
                for level, name in ((P, "packs_aggregated"), (S, "cases_aggregated")):
                    assert counted[name] == sum(
                        1 for r in m.parent if batch_of(r) == record.batch_id
                        and level_of(r) is level)  # fmt: skip
            for pallet in self.codes[T]:
                found = tree(view, self.code(pallet))
                assert len(found) == 1 + len(m.subtree(pallet))
                assert sorted(found.refs.tolist()[1:]) == sorted(m.subtree(pallet))

    @invariant()
    def the_audit_chain_verifies(self) -> None:
        report = self.store.verify_audit()
        assert report.ok, report


TestAggregationMachine = AggregationMachine.TestCase
TestAggregationMachine.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)  # fmt: skip


def test_the_model_counts_states_the_store_does() -> None:
    """The model reads the batches' states as opened (a failing machine starts right)."""
    folder = Path(tempfile.mkdtemp(prefix="jejak-agg-model-"))
    try:
        with Store(folder / "s", map_size=1 << 28) as store:
            store.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN),
                              actor="qa")  # fmt: skip
            record = open_printed(store, "B1", 24, packs=20, cases=1)
            model = Model([record], store)
            states = [model.state[pack_ref(record.batch_id, P, i)] for i in range(24)]
            assert states == [A.COMMISSIONED] * 20 + [A.ENCODED] * 4
            assert [model.state[pack_ref(record.batch_id, S, i)] for i in range(2)] == [
                A.ENCODED, A.ALLOCATED]  # fmt: skip
            assert model.cap(pack_ref(record.batch_id, S, 0)) == 12
            assert STATES.name == "states"
    finally:
        shutil.rmtree(folder, ignore_errors=True)

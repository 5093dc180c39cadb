"""Packing and rework: every refusal names the code and the rule and changes nothing; every
operation's effect on links, seals and states, and its event in the history of the codes it
touched. The helpers here (a printed batch, code references, a snapshot of the store) are the
other aggregation suites' too."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from jejak.engine.aggregation import Aggregation, Rule, Seal
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import AggregationRefused
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.store import (
    CONTAINERS,
    PARENTS,
    STATES,
    CodeRef,
    EventKind,
    Store,
    pack_ref,
    pack_refs,
)
from jejak.testing import FORMAT, make_request

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
OTC = "DBL2012345678A1"


# Helpers (the other aggregation suites import them) -------------------------------------------


def open_printed(
    store: Store, batch: str, quantity: int, *, packs: int | None = None,
    cases: int | None = None, pallets: int | None = None, **changes: Any,
) -> BatchRecord:  # fmt: skip
    """Open a batch and print its labels (Encoded): the first `cases` cases and `pallets`
    pallets (all by default; the rest stay Allocated); the first `packs` packs (all by default)
    verified on the line (Commissioned), the rest Encoded."""
    overage = changes.pop("overage_pct", 0.0)
    record = store.open_batch(make_request(batch, quantity, **changes), serial_format=FORMAT,
                              overage_pct=overage, actor="qa")  # fmt: skip
    for level, first in ((P, None), (S, cases), (T, pallets)):
        count = record.level(level).count
        printed = np.arange(count if first is None else first, dtype=np.int64)
        store.transition(batch, level, printed, A.ENCODED, actor="qa")
    count = record.level(P).count
    verified = np.arange(count if packs is None else packs, dtype=np.int64)
    store.transition(batch, P, verified, A.COMMISSIONED, actor="qa")
    return record


def ref(record: BatchRecord, level: Level, index: int) -> CodeRef:
    return CodeRef(record.batch_id, level, index)


def refs(record: BatchRecord, level: Level, indices: range | list[int]) -> list[CodeRef]:
    return [CodeRef(record.batch_id, level, i) for i in indices]


def packed(code: CodeRef) -> int:
    return pack_ref(code.batch_id, code.level, code.index)


def hri(store: Store, code: CodeRef) -> str:
    with store.view() as view:
        return view.code(view.batch_by_id(code.batch_id), code.level, code.index).hri


def parent(store: Store, code: CodeRef) -> CodeRef | None:
    with store.view() as view:
        return view.parent_of(code)


def children(store: Store, code: CodeRef) -> list[CodeRef]:
    with store.view() as view:
        return [CodeRef(int(r) >> 40, Level(int(r) >> 32 & 0xFF), int(r) & 0xFFFFFFFF)
                for r in view.children(code).tolist()]  # fmt: skip


def seal(store: Store, code: CodeRef) -> Seal:
    with store.view() as view:
        record = view.batch_by_id(code.batch_id)
        return Seal(int(view.values(CONTAINERS, record, code.level,
                                    np.array([code.index]))[0]))  # fmt: skip


def state(store: Store, code: CodeRef) -> CodeState:
    with store.view() as view:
        return view.state_of(view.batch_by_id(code.batch_id), code.level, code.index)


def kinds(store: Store, code: CodeRef) -> list[str]:
    """The kinds of the events in a code's history, agg.* ones only."""
    return [e.what.value for e in store.history(code) if e.what.value.startswith("agg.")]


def snapshot(store: Store) -> dict[str, Any]:
    """Everything aggregation may change: every code's state, container and seal, every
    container's children, and the length of the log."""
    found: dict[str, Any] = {"events": len(store.events())}
    with store.view() as view:
        for record in view.batches():
            for allocation in record.levels:
                level = allocation.level
                key = f"{record.batch}/{level.name}"
                for column in (STATES, PARENTS, CONTAINERS):
                    found[f"{key}/{column.name}"] = view.column(column, record, level).tobytes()
                found[f"{key}/children"] = {
                    index: view.children(ref(record, level, index)).tobytes()
                    for index in view.containers(record, level)
                }
    return found


# A line's store: two open batches, a closed one and an identification batch ----------------------


@dataclass
class Line:
    store: Store
    b1: BatchRecord
    b2: BatchRecord
    b3: BatchRecord
    i1: BatchRecord
    agg: Aggregation

    def p(self, index: int, record: BatchRecord | None = None) -> CodeRef:
        return ref(record or self.b1, P, index)

    def c(self, index: int, record: BatchRecord | None = None) -> CodeRef:
        return ref(record or self.b1, S, index)

    def t(self, index: int, record: BatchRecord | None = None) -> CodeRef:
        return ref(record or self.b1, T, index)

    def ps(self, indices: range) -> list[CodeRef]:
        return refs(self.b1, P, indices)

    def name(self, code: CodeRef) -> str:
        return hri(self.store, code)


@pytest.fixture
def line(store: Store) -> Line:
    """B1: 60 packs (0-49 verified, 50-59 printed only), 5 cases of 12 (case 4 not printed),
    2 pallets of 3; case 0 holds packs 0-11 (full) on pallet 0. B2: 24 packs, case 0 holds
    its packs 0-11. B3: closed, its case 0 holding packs 0-5. I1: an identification batch."""
    b1 = open_printed(store, "B1", 60, packs=50, cases=4, max_per_tertiary=3)
    b2 = open_printed(store, "B2", 24, max_per_tertiary=3)
    b3 = open_printed(store, "B3", 12)
    store.add_product(Product.parse(nie=OTC, name="Parasetamol", packaging="Dus"), actor="qa")
    i1 = store.open_identification(nie=OTC, batch="I1", packs=5,
                                   validity=Gs1Date.parse_iso("2027-12-31"),
                                   expiry=Gs1Date.parse_iso("2028-06-30"), actor="qa")  # fmt: skip
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(b1, S, 0), refs(b1, P, range(12)))
    agg.pack(ref(b1, T, 0), [ref(b1, S, 0)])
    agg.pack(ref(b2, S, 0), refs(b2, P, range(12)))
    agg.pack(ref(b3, S, 0), refs(b3, P, range(6)))
    store.close_batch("B3", actor="qa")
    return Line(store, b1, b2, b3, i1, agg)


def test_the_line_fixture_is_what_it_says(line: Line) -> None:
    assert [(a.level, a.count) for a in line.b1.levels] == [(P, 60), (S, 5), (T, 2)]
    assert line.store.counts("B1") == {
        P: {A.COMMISSIONED: 50, A.ENCODED: 10},
        S: {A.COMMISSIONED: 1, A.ENCODED: 3, A.ALLOCATED: 1},
        T: {A.COMMISSIONED: 1, A.ENCODED: 1},
    }
    assert children(line.store, line.c(0)) == [line.p(i) for i in range(12)]
    assert children(line.store, line.t(0)) == [line.c(0)]
    assert (seal(line.store, line.c(0)), seal(line.store, line.t(0))) == (Seal.FULL, Seal.OPEN)
    assert parent(line.store, line.c(0, line.b2)) is None


# Every refusal: the code, the rule, a hint, and nothing changed ------------------------------

Op = Callable[[Line], object]
Culprit = Callable[[Line], CodeRef]


@dataclass(frozen=True)
class Refusal:
    what: str
    operation: Op
    rule: Rule
    culprit: Culprit  # the code the error names
    detail: str  # what is wrong: {C0} is case 0's HRI


REFUSALS = [Refusal(*case) for case in [
    # (what, the operation, its rule, the code it names, what is wrong: {X} is X's HRI)
    ("pack a pack only printed", lambda x: x.agg.pack(x.c(1), [x.p(12), x.p(50)]),
     Rule.NOT_COMMISSIONED, lambda x: x.p(50), "it is Encoded"),
    ("pack an empty case into a pallet", lambda x: x.agg.pack(x.t(1), [x.c(1)]),
     Rule.NOT_COMMISSIONED, lambda x: x.c(1), "it is Encoded"),
    ("move an empty case", lambda x: x.agg.move(x.c(2), x.t(1)),
     Rule.NOT_COMMISSIONED, lambda x: x.c(2), "it is Encoded"),
    ("sample a pack only printed", lambda x: x.agg.sample([x.p(51)]),
     Rule.NOT_COMMISSIONED, lambda x: x.p(51), "it is Encoded"),
    ("destroy an unused case", lambda x: x.agg.destroy(x.c(3)),
     Rule.NOT_COMMISSIONED, lambda x: x.c(3), "it is Encoded and cannot be destroyed"),
    ("pack a pack in a case", lambda x: x.agg.pack(x.c(1), [x.p(12), x.p(3)]),
     Rule.HAS_PARENT, lambda x: x.p(3), "it is in '{C0}'"),
    ("replace with a pack in a case", lambda x: x.agg.replace(x.p(0), x.p(1)),
     Rule.HAS_PARENT, lambda x: x.p(1), "it is in '{C0}'"),
    ("move a case where it is", lambda x: x.agg.move(x.c(0), x.t(0)),
     Rule.HAS_PARENT, lambda x: x.c(0), "it is in '{T0}' already"),
    ("reset with a pack of another case", lambda x: x.agg.reset(x.c(1), [x.p(0)]),
     Rule.HAS_PARENT, lambda x: x.p(0), "it is in '{C0}'"),
    ("pack a case into a case", lambda x: x.agg.pack(x.c(1), [x.c(0)]),
     Rule.WRONG_LEVEL, lambda x: x.c(0), "it is a secondary code and '{C1}' a secondary"),
    ("pack a pack into a pallet", lambda x: x.agg.pack(x.t(1), [x.p(20)]),
     Rule.WRONG_LEVEL, lambda x: x.p(20), "it is a primary code and '{T1}' a tertiary"),
    ("pack into a pack", lambda x: x.agg.pack(x.p(20), [x.p(21)]),
     Rule.WRONG_LEVEL, lambda x: x.p(20), "it is a primary code, not a container"),
    ("pack nothing into a pack", lambda x: x.agg.pack(x.p(20), []),
     Rule.WRONG_LEVEL, lambda x: x.p(20), "it is a primary code, not a container"),
    ("seal a pack", lambda x: x.agg.seal(x.p(0)),
     Rule.WRONG_LEVEL, lambda x: x.p(0), "it is a primary code, not a container"),
    ("dissolve a pack", lambda x: x.agg.dissolve(x.p(0)),
     Rule.WRONG_LEVEL, lambda x: x.p(0), "it is a primary code, not a container"),
    ("reset a pack", lambda x: x.agg.reset(x.p(0), []),
     Rule.WRONG_LEVEL, lambda x: x.p(0), "it is a primary code, not a container"),
    ("move a case into a case", lambda x: x.agg.move(x.c(0), x.c(1)),
     Rule.WRONG_LEVEL, lambda x: x.c(0), "it is a secondary code and '{C1}' a secondary"),
    ("sample a case", lambda x: x.agg.sample([x.c(0)]),
     Rule.WRONG_LEVEL, lambda x: x.c(0), "a retained sample is a pack (a primary code)"),
    ("pack a 13th pack", lambda x: x.agg.pack(x.c(0), [x.p(12)]),
     Rule.OVER_CAPACITY, lambda x: x.c(0), "13 children for a capacity of 12"),
    ("pack 13 packs", lambda x: x.agg.pack(x.c(1), x.ps(range(12, 25))),
     Rule.OVER_CAPACITY, lambda x: x.c(1), "13 children for a capacity of 12"),
    ("reset with 13 packs", lambda x: x.agg.reset(x.c(0), x.ps(range(13))),
     Rule.OVER_CAPACITY, lambda x: x.c(0), "13 children for a capacity of 12"),
    ("pack a pack of B2", lambda x: x.agg.pack(x.c(1), [x.p(12), x.p(12, x.b2)]),
     Rule.OTHER_BATCH, lambda x: x.p(12, x.b2), "it is of batch 'B2', its container of 'B1'"),
    ("pallet a case of B2", lambda x: x.agg.pack(x.t(0), [x.c(0, x.b2)]),
     Rule.OTHER_BATCH, lambda x: x.c(0, x.b2), "it is of batch 'B2', its container of 'B1'"),
    ("replace with a pack of B2", lambda x: x.agg.replace(x.p(0), x.p(12, x.b2)),
     Rule.OTHER_BATCH, lambda x: x.p(12, x.b2), "it is of batch 'B2', its container of 'B1'"),
    ("move a case of B2", lambda x: x.agg.move(x.c(0, x.b2), x.t(1)),
     Rule.OTHER_BATCH, lambda x: x.c(0, x.b2), "it is of batch 'B2', its container of 'B1'"),
    ("pack into an unprinted case", lambda x: x.agg.pack(x.c(4), [x.p(12)]),
     Rule.NOT_PRINTED, lambda x: x.c(4), "it is Allocated"),
    ("pack nothing into an unprinted case", lambda x: x.agg.pack(x.c(4), []),
     Rule.NOT_PRINTED, lambda x: x.c(4), "it is Allocated"),
    ("unpack a free pack", lambda x: x.agg.unpack([x.p(0), x.p(20)]),
     Rule.NOT_PACKED, lambda x: x.p(20), "it is in no container"),
    ("replace a free pack", lambda x: x.agg.replace(x.p(20), x.p(21)),
     Rule.NOT_PACKED, lambda x: x.p(20), "it is in no container"),
    ("dissolve an empty case", lambda x: x.agg.dissolve(x.c(1)),
     Rule.NOT_PACKED, lambda x: x.c(1), "it holds nothing"),
    ("seal an empty case", lambda x: x.agg.seal(x.c(1)),
     Rule.NOT_PACKED, lambda x: x.c(1), "it holds nothing to close"),
    ("close an empty case as partial", lambda x: x.agg.pack(x.c(1), [], partial=True),
     Rule.NOT_PACKED, lambda x: x.c(1), "it holds nothing to close"),
    ("pack a pack twice", lambda x: x.agg.pack(x.c(1), [x.p(12), x.p(13), x.p(12)]),
     Rule.REPEATED, lambda x: x.p(12), "it appears more than once"),
    ("unpack a pack twice", lambda x: x.agg.unpack([x.p(0), x.p(0)]),
     Rule.REPEATED, lambda x: x.p(0), "it appears more than once"),
    ("replace a pack by itself", lambda x: x.agg.replace(x.p(0), x.p(0)),
     Rule.REPEATED, lambda x: x.p(0), "it appears more than once"),
    ("sample a pack twice", lambda x: x.agg.sample([x.p(20), x.p(20)]),
     Rule.REPEATED, lambda x: x.p(20), "it appears more than once"),
    ("reset with a pack twice", lambda x: x.agg.reset(x.c(0), [x.p(0), x.p(0)]),
     Rule.REPEATED, lambda x: x.p(0), "it appears more than once"),
    ("pack an identification pack", lambda x: x.agg.pack(x.c(1), [x.p(12), x.p(0, x.i1)]),
     Rule.NOT_SERIALIZED, lambda x: x.p(0, x.i1), "batch 'I1' is an identification batch"),
    ("pack in a closed batch", lambda x: x.agg.pack(x.c(0, x.b3), [x.p(6, x.b3)]),
     Rule.BATCH_CLOSED, lambda x: x.p(6, x.b3), "batch 'B3' is closed"),
    ("unpack in a closed batch", lambda x: x.agg.unpack([x.p(0, x.b3)]),
     Rule.BATCH_CLOSED, lambda x: x.p(0, x.b3), "batch 'B3' is closed"),
    ("sample in a closed batch", lambda x: x.agg.sample([x.p(7, x.b3)]),
     Rule.BATCH_CLOSED, lambda x: x.p(7, x.b3), "batch 'B3' is closed"),
    ("destroy in a closed batch", lambda x: x.agg.destroy(x.c(0, x.b3)),
     Rule.BATCH_CLOSED, lambda x: x.c(0, x.b3), "batch 'B3' is closed"),
    ("pack a pack of a closed batch", lambda x: x.agg.pack(x.c(1), [x.p(7, x.b3)]),
     Rule.BATCH_CLOSED, lambda x: x.p(7, x.b3), "batch 'B3' is closed"),
]]  # fmt: skip


def names(line: Line) -> dict[str, str]:
    return {f"{kind}{i}": line.name(ref(line.b1, level, i))
            for kind, level, count in (("C", S, 5), ("T", T, 2)) for i in range(count)}  # fmt: skip


@pytest.mark.parametrize("case", REFUSALS, ids=[case.what for case in REFUSALS])
def test_a_refusal_names_the_code_and_the_rule_and_changes_nothing(
    line: Line, case: Refusal
) -> None:
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        case.operation(line)
    culprit = case.culprit(line)
    code = line.name(culprit)
    assert code.startswith("(90)" if culprit.batch_id == line.i1.batch_id else "(01)")
    assert caught.value.rule is case.rule
    assert caught.value.code == code
    detail = case.detail.format(**names(line))
    assert str(caught.value) == (f"Cannot aggregate {code!r}: {detail}; {case.rule.rule}. "
                                 f"Hint: {case.rule.hint}.")  # fmt: skip
    assert re.search(r"; .+\. Hint: .+\.$", str(caught.value))
    assert snapshot(line.store) == before


def test_the_table_covers_every_rule_an_operation_raises() -> None:
    # UNKNOWN names no HRI (the test below); NO_READ is a station's, never the model's
    assert {case.rule for case in REFUSALS} == set(Rule) - {Rule.UNKNOWN, Rule.NO_READ}


def test_a_code_the_batch_never_issued_is_unknown(line: Line) -> None:
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack(line.c(1), [line.p(12), line.p(60)])
    assert caught.value.rule is Rule.UNKNOWN
    assert str(caught.value) == (
        "Cannot aggregate 'B1/primary/60': no such code; only codes this store issued are "
        "aggregated. Hint: check the code; an unknown code on a pack is a counterfeit suspect."
    )
    assert snapshot(line.store) == before


@pytest.mark.parametrize(
    ("made_up", "code", "detail"),
    [
        (pack_ref(99, P, 3), "99/primary/3", "no such batch"),
        (pack_ref(1, 7, 3), "1/7/3", "no such level"),
    ],
)
def test_a_reference_to_no_batch_or_level_is_unknown(
    line: Line, made_up: int, code: str, detail: str
) -> None:
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack_many(np.array([made_up], dtype=np.uint64),
                           np.array([packed(line.c(1))], dtype=np.uint64))  # fmt: skip
    assert (caught.value.rule, caught.value.code) == (Rule.UNKNOWN, code)
    assert str(caught.value).startswith(f"Cannot aggregate {code!r}: {detail}; ")
    assert snapshot(line.store) == before


# Packing -------------------------------------------------------------------------------------


def test_packing_links_the_packs_commissions_the_case_and_records_one_event(line: Line) -> None:
    store, c1 = line.store, line.c(1)
    assert state(store, c1) is A.ENCODED
    assert line.agg.pack(c1, [line.p(i) for i in (14, 12, 13)]) == 3
    assert children(store, c1) == [line.p(12), line.p(13), line.p(14)]  # in code order
    assert [parent(store, line.p(i)) for i in (12, 13, 14, 15)] == [c1, c1, c1, None]
    assert (state(store, c1), seal(store, c1)) == (A.COMMISSIONED, Seal.OPEN)
    event = store.events()[-1]
    assert event.what is EventKind.AGG_PACK
    assert event.data == {"parent": line.name(c1), "partial": False, "count": 4,
                          "codes": [line.name(c) for c in (line.p(12), line.p(13), line.p(14),
                                                           c1)]}  # fmt: skip
    with store.view() as view:
        pairs = np.frombuffer(view.payload(event.seq) or b"", dtype=">u8").reshape(-1, 2)
    assert pairs.tolist() == [[packed(line.p(i)), packed(c1)] for i in (14, 12, 13)]
    for code in (c1, line.p(12), line.p(13), line.p(14)):
        assert store.history(code)[-1].seq == event.seq
    assert kinds(store, line.p(15)) == []


def test_a_case_is_full_at_its_capacity_and_partial_when_closed_short(line: Line) -> None:
    store = line.store
    line.agg.pack(line.c(1), [line.p(i) for i in range(12, 20)])
    assert seal(store, line.c(1)) is Seal.OPEN
    line.agg.seal(line.c(1))
    assert seal(store, line.c(1)) is Seal.PARTIAL
    assert store.events()[-1].data["seal"] == "partial"
    line.agg.pack(line.c(1), [line.p(i) for i in range(20, 24)])  # topped up to 12
    assert seal(store, line.c(1)) is Seal.FULL
    line.agg.seal(line.c(1))  # closing a full case leaves it full, and says so
    assert (seal(store, line.c(1)), store.events()[-1].data["seal"]) == (Seal.FULL, "full")
    line.agg.pack(line.c(2), [line.p(24)], partial=True)
    assert seal(store, line.c(2)) is Seal.PARTIAL
    assert kinds(store, line.c(1)) == ["agg.pack", "agg.seal", "agg.pack", "agg.seal"]


def test_pack_many_links_many_containers_in_one_event(line: Line) -> None:
    store = line.store
    kids = pack_refs(line.b1.batch_id, P, np.arange(12, 36))
    into = pack_refs(line.b1.batch_id, S, np.repeat(np.array([1, 2]), 12))
    assert line.agg.pack_many(kids, into) == 24
    assert children(store, line.c(1)) == [line.p(i) for i in range(12, 24)]
    assert children(store, line.c(2)) == [line.p(i) for i in range(24, 36)]
    assert (seal(store, line.c(1)), seal(store, line.c(2))) == (Seal.FULL, Seal.FULL)
    assert (state(store, line.c(1)), state(store, line.c(2))) == (A.COMMISSIONED,) * 2
    event = store.events()[-1]
    assert event.data == {"containers": 2, "first": line.name(line.c(1)), "links": 24,
                          "count": 26}  # fmt: skip
    assert store.history(line.p(35))[-1].seq == store.history(line.c(2))[-1].seq == event.seq


def test_pack_many_in_any_order_keeps_what_a_case_holds_and_lists_children_ascending(
    line: Line,
) -> None:
    store = line.store
    line.agg.pack(line.c(1), [line.p(i) for i in (15, 12, 13)])
    order = np.random.default_rng(7).permutation(np.arange(14, 36)[np.arange(14, 36) != 15])
    kids = pack_refs(line.b1.batch_id, P, order)
    into = pack_refs(line.b1.batch_id, S, np.where(order < 24, 1, 2))
    assert line.agg.pack_many(kids, into) == 21
    assert children(store, line.c(1)) == [line.p(i) for i in range(12, 24)]
    assert children(store, line.c(2)) == [line.p(i) for i in range(24, 36)]
    assert (seal(store, line.c(1)), seal(store, line.c(2))) == (Seal.FULL, Seal.FULL)


def test_pack_many_counts_what_a_case_holds_against_its_capacity(line: Line) -> None:
    line.agg.pack(line.c(1), [line.p(i) for i in range(12, 18)])
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack_many(pack_refs(line.b1.batch_id, P, np.arange(18, 25)),
                           pack_refs(line.b1.batch_id, S, np.full(7, 1)))  # fmt: skip
    assert (caught.value.rule, caught.value.code) == (Rule.OVER_CAPACITY, line.name(line.c(1)))
    assert "13 children for a capacity of 12" in str(caught.value)
    assert snapshot(line.store) == before


@pytest.mark.parametrize(
    ("kids", "into", "rule", "culprit"),
    [
        ([12, 3], [1, 1], Rule.HAS_PARENT, 3),
        ([12, 50], [1, 2], Rule.NOT_COMMISSIONED, 50),
        (list(range(12, 25)), [1] * 13, Rule.OVER_CAPACITY, None),
        ([12, 13], [1, 4], Rule.NOT_PRINTED, None),
        ([12, 12], [1, 2], Rule.REPEATED, 12),
    ],
)
def test_pack_many_refuses_as_pack_does_and_changes_nothing(
    line: Line, kids: list[int], into: list[int], rule: Rule, culprit: int | None
) -> None:
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack_many(pack_refs(line.b1.batch_id, P, np.array(kids)),
                           pack_refs(line.b1.batch_id, S, np.array(into)))  # fmt: skip
    assert caught.value.rule is rule
    expected = line.c(into[-1]) if culprit is None else line.p(culprit)
    assert caught.value.code == line.name(expected)
    assert snapshot(line.store) == before


Codes = Callable[[Line], list[CodeRef]]


@pytest.mark.parametrize(
    ("kids", "into", "rule"),
    [
        (lambda x: [x.c(0)], lambda x: [x.c(1)], Rule.WRONG_LEVEL),
        (lambda x: [x.p(12)], lambda x: [x.t(1)], Rule.WRONG_LEVEL),
        (lambda x: [x.p(12)], lambda x: [x.p(13)], Rule.WRONG_LEVEL),
        (lambda x: [x.p(12, x.b2)], lambda x: [x.c(1)], Rule.OTHER_BATCH),
        (lambda x: [x.p(6, x.b3)], lambda x: [x.c(1)], Rule.BATCH_CLOSED),
    ],
)
def test_pack_many_refuses_the_levels_and_batches_pack_refuses(
    line: Line, kids: Codes, into: Codes, rule: Rule
) -> None:
    before = snapshot(line.store)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack_many(np.array([packed(c) for c in kids(line)], dtype=np.uint64),
                           np.array([packed(c) for c in into(line)], dtype=np.uint64))  # fmt: skip
    assert caught.value.rule is rule
    assert snapshot(line.store) == before


def test_pack_many_wants_one_container_for_each_child(line: Line) -> None:
    with pytest.raises(ValueError, match=r"^Invalid bulk links: 2 children for 1 containers;"):
        line.agg.pack_many(pack_refs(line.b1.batch_id, P, np.array([12, 13])),
                           pack_refs(line.b1.batch_id, S, np.array([1])))  # fmt: skip


def test_mixed_pallets_hold_cases_of_two_batches_where_the_site_allows(line: Line) -> None:
    store, b2_case = line.store, line.c(0, line.b2)
    with pytest.raises(AggregationRefused) as caught:
        line.agg.pack(line.t(0), [b2_case])
    assert caught.value.rule is Rule.OTHER_BATCH
    mixed = Aggregation(store, actor="qa", mixed_pallets=True)
    assert mixed.pack(line.t(0), [b2_case]) == 1
    assert children(store, line.t(0)) == [line.c(0), b2_case]
    assert parent(store, b2_case) == line.t(0)
    with pytest.raises(AggregationRefused) as caught:  # cases never mix batches
        mixed.pack(line.c(1), [line.p(12, line.b2)])
    assert caught.value.rule is Rule.OTHER_BATCH
    assert kinds(store, b2_case) == ["agg.pack", "agg.pack"]  # its packs, then its pallet


# Rework --------------------------------------------------------------------------------------


def test_unpack_frees_the_packs_and_opens_the_case(line: Line) -> None:
    store = line.store
    assert line.agg.unpack([line.p(3), line.p(0)]) == 2
    assert [parent(store, line.p(i)) for i in (0, 1, 3)] == [None, line.c(0), None]
    assert children(store, line.c(0)) == [line.p(i) for i in (1, 2, *range(4, 12))]
    assert seal(store, line.c(0)) is Seal.OPEN
    assert state(store, line.p(0)) is A.COMMISSIONED
    event = store.events()[-1]
    assert event.what is EventKind.AGG_UNPACK
    for code in (line.p(0), line.p(3), line.c(0)):
        assert kinds(store, code)[-1] == "agg.unpack"
    assert kinds(store, line.p(1)) == ["agg.pack"]
    assert line.agg.pack(line.c(1), [line.p(0)]) == 1  # free to be packed again
    assert line.agg.unpack([]) == 0


def test_replace_puts_the_new_pack_in_the_old_ones_place(line: Line) -> None:
    store = line.store
    assert line.agg.replace(line.p(5), line.p(20)) == line.c(0)
    assert parent(store, line.p(5)) is None
    assert parent(store, line.p(20)) == line.c(0)
    assert children(store, line.c(0)) == [line.p(i) for i in (*range(5), *range(6, 12), 20)]
    assert seal(store, line.c(0)) is Seal.FULL
    data = store.events()[-1].data
    assert (data["parent"], data["old"], data["new"]) == (
        line.name(line.c(0)), line.name(line.p(5)), line.name(line.p(20)))  # fmt: skip
    for code in (line.p(5), line.p(20), line.c(0)):
        assert kinds(store, code)[-1] == "agg.replace"


def test_a_partial_case_stays_partial_through_replace_and_reset(line: Line) -> None:
    store, c1 = line.store, line.c(1)
    line.agg.pack(c1, [line.p(12)], partial=True)
    line.agg.replace(line.p(12), line.p(13))  # its only pack: empty in between
    assert seal(store, c1) is Seal.PARTIAL
    line.agg.reset(c1, [line.p(14), line.p(15)])
    assert seal(store, c1) is Seal.PARTIAL
    line.agg.reset(c1, [line.p(i) for i in range(12, 24)])
    assert seal(store, c1) is Seal.FULL
    line.agg.reset(c1, [])
    assert (seal(store, c1), children(store, c1)) == (Seal.OPEN, [])


def test_sample_takes_the_pack_out_of_its_case_as_sampled(line: Line) -> None:
    store = line.store
    assert line.agg.sample([line.p(4), line.p(30)]) == 2  # one in a case, one free
    assert (state(store, line.p(4)), state(store, line.p(30))) == (A.SAMPLED, A.SAMPLED)
    assert parent(store, line.p(4)) is None
    assert line.p(4) not in children(store, line.c(0))
    assert seal(store, line.c(0)) is Seal.OPEN
    for code in (line.p(4), line.p(30), line.c(0)):
        assert kinds(store, code)[-1] == "agg.sample"
    with pytest.raises(AggregationRefused) as caught:  # a sample is never packed again
        line.agg.pack(line.c(0), [line.p(4)])
    assert (caught.value.rule, caught.value.code) == (Rule.NOT_COMMISSIONED,
                                                      line.name(line.p(4)))  # fmt: skip
    assert line.agg.sample([]) == 0


def test_reset_replaces_all_of_a_cases_packs_at_once(line: Line) -> None:
    store = line.store
    kept, new = [line.p(i) for i in range(6)], [line.p(i) for i in range(20, 26)]
    assert line.agg.reset(line.c(0), kept + new) == 12
    assert children(store, line.c(0)) == kept + new
    assert [parent(store, line.p(i)) for i in (5, 6, 11, 20)] == [line.c(0), None, None,
                                                                  line.c(0)]  # fmt: skip
    assert seal(store, line.c(0)) is Seal.FULL
    assert store.events()[-1].data["removed"] == 12
    for code in (line.p(6), line.p(0), line.p(20), line.c(0)):
        assert kinds(store, code)[-1] == "agg.reset"


def test_dissolve_empties_a_case_which_stays_on_its_pallet(line: Line) -> None:
    store = line.store
    assert line.agg.dissolve(line.c(0)) == 12
    assert children(store, line.c(0)) == []
    assert all(parent(store, line.p(i)) is None for i in range(12))
    assert (seal(store, line.c(0)), state(store, line.c(0))) == (Seal.OPEN, A.COMMISSIONED)
    assert parent(store, line.c(0)) == line.t(0)
    assert kinds(store, line.p(11))[-1] == kinds(store, line.c(0))[-1] == "agg.dissolve"


def test_move_takes_a_case_from_its_pallet_to_another(line: Line) -> None:
    store = line.store
    line.agg.move(line.c(0), line.t(1))
    assert parent(store, line.c(0)) == line.t(1)
    assert (children(store, line.t(0)), children(store, line.t(1))) == ([], [line.c(0)])
    assert state(store, line.t(1)) is A.COMMISSIONED
    assert store.events()[-1].data["from"] == line.name(line.t(0))
    for code in (line.c(0), line.t(0), line.t(1)):
        assert kinds(store, code)[-1] == "agg.move"
    assert kinds(store, line.p(0)) == ["agg.pack"]  # what is inside moved with it
    line.agg.pack(line.c(1), [line.p(12)])
    line.agg.move(line.c(1), line.t(1))  # from no pallet
    assert children(store, line.t(1)) == [line.c(0), line.c(1)]
    line.agg.pack(line.c(2), [line.p(13)])
    line.agg.pack(line.c(3), [line.p(14)])
    with pytest.raises(AggregationRefused) as caught:  # 4 cases on a pallet of 3
        line.agg.pack(line.t(1), [line.c(2), line.c(3)])
    assert (caught.value.rule, caught.value.code) == (Rule.OVER_CAPACITY, line.name(line.t(1)))


def test_destroy_cascades_down_the_tree(line: Line) -> None:
    store = line.store
    assert line.agg.destroy(line.c(0)) == 13
    assert {state(store, c) for c in [line.c(0), *(line.p(i) for i in range(12))]} == {
        A.DESTROYED}  # fmt: skip
    assert children(store, line.c(0)) == []
    assert children(store, line.t(0)) == []
    assert all(parent(store, c) is None for c in [line.c(0), *(line.p(i) for i in range(12))])
    assert seal(store, line.c(0)) is Seal.OPEN
    assert store.events()[-1].data["from"] == line.name(line.t(0))
    for code in (line.c(0), line.p(7), line.t(0)):
        assert kinds(store, code)[-1] == "agg.destroy"


def test_destroy_a_pallet_destroys_its_cases_and_their_packs(line: Line) -> None:
    store = line.store
    line.agg.pack(line.c(1), [line.p(i) for i in range(12, 15)])
    line.agg.pack(line.t(0), [line.c(1)])
    assert line.agg.destroy(line.t(0)) == 1 + 2 + 15
    assert store.counts("B1")[P][A.DESTROYED] == 15
    assert store.counts("B1")[S][A.DESTROYED] == 2
    assert store.counts("B1")[T] == {A.DESTROYED: 1, A.ENCODED: 1}
    with store.view() as view:
        assert view.containers(line.b1, S) == view.containers(line.b1, T) == {}
        assert not view.column(PARENTS, line.b1, P).any()


def test_a_pack_is_destroyed_alone_out_of_its_case(line: Line) -> None:
    store = line.store
    assert line.agg.destroy(line.p(2)) == 1
    assert state(store, line.p(2)) is A.DESTROYED
    assert len(children(store, line.c(0))) == 11
    assert seal(store, line.c(0)) is Seal.OPEN
    with pytest.raises(AggregationRefused) as caught:
        line.agg.destroy(line.p(2))
    assert str(caught.value).startswith(
        f"Cannot aggregate {line.name(line.p(2))!r}: it is Destroyed and cannot be destroyed;"
    )


def test_rework_never_changes_a_closed_batch_on_a_mixed_pallet(line: Line) -> None:
    """A pallet of B1 holding a case of B2, and a pallet of B2 holding a case of B1; B2
    closes. Every rework that would change one of B2's links is refused, and changes
    nothing."""
    store, b2_case, b2_pallet = line.store, line.c(0, line.b2), line.t(0, line.b2)
    mixed = Aggregation(store, actor="qa", mixed_pallets=True)
    mixed.pack(line.t(0), [b2_case])
    mixed.pack(line.c(1), [line.p(12)])
    mixed.pack(b2_pallet, [line.c(1)])
    store.close_batch("B2", actor="qa")
    before = snapshot(store)
    refused: list[Callable[[], object]] = [
        lambda: mixed.dissolve(line.t(0)),  # would free B2's case
        lambda: mixed.reset(line.t(0), [line.c(0)]),
        lambda: mixed.destroy(line.t(0)),  # would destroy B2's case and its packs
        lambda: mixed.unpack([b2_case]),
        lambda: mixed.move(b2_case, line.t(1)),
        lambda: mixed.unpack([line.c(1)]),  # would change B2's pallet
        lambda: mixed.move(line.c(1), line.t(1)),
        lambda: mixed.destroy(line.c(1)),
    ]
    for operation in refused:
        with pytest.raises(AggregationRefused) as caught:
            operation()
        assert caught.value.rule is Rule.BATCH_CLOSED
        assert snapshot(store) == before
    assert mixed.unpack([line.c(0)]) == 1  # B1's own links still change

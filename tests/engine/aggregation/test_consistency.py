"""`check` finds every way a batch's links can disagree (each played by writing the store
behind aggregation's back), and `tally` counts the cases and pallets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import hri, open_printed, packed, ref, refs

from jejak.engine.aggregation import Aggregation, Seal, check, tally
from jejak.engine.aggregation.consistency import TALLY_KEYS
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.store import CONTAINERS, PARENTS, CodeRef, Store, UnitOfWork

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY


@pytest.fixture
def b1(store: Store) -> BatchRecord:
    """60 packs, 5 cases of 12, 2 pallets of 3. Case 0: packs 0-11 (full); case 1: 12-16
    (partial); case 2: 17-19 (open); all three on pallet 0 (full). Case 3: pack 20
    (partial), alone on pallet 1 (partial). Case 4 and packs 21- are free."""
    record = open_printed(store, "B1", 60, max_per_tertiary=3)
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(record, S, 0), refs(record, P, range(12)))
    agg.pack(ref(record, S, 1), refs(record, P, range(12, 17)), partial=True)
    agg.pack(ref(record, S, 2), refs(record, P, range(17, 20)))
    agg.pack(ref(record, S, 3), [ref(record, P, 20)], partial=True)
    agg.pack(ref(record, T, 0), refs(record, S, range(3)))
    agg.pack(ref(record, T, 1), [ref(record, S, 3)], partial=True)
    return record


def problems(store: Store, record: BatchRecord) -> list[str]:
    with store.view() as view:
        return check(view, record)


def counted(store: Store, record: BatchRecord) -> dict[str, int]:
    with store.view() as view:
        return tally(view, record)


def test_links_aggregation_made_are_consistent_and_counted(store: Store, b1: BatchRecord) -> None:
    assert problems(store, b1) == []
    assert counted(store, b1) == {
        "cases": 4, "cases_full": 1, "cases_partial": 2, "pallets": 2, "pallets_full": 1,
        "pallets_partial": 1, "packs_aggregated": 21, "cases_aggregated": 4,
    }  # fmt: skip
    assert tuple(counted(store, b1)) == TALLY_KEYS


def test_a_batch_with_no_links_counts_nothing(store: Store) -> None:
    record = open_printed(store, "B2", 30)
    assert problems(store, record) == []
    assert counted(store, record) == dict.fromkeys(TALLY_KEYS, 0)
    store.add_product(Product.parse(nie="DBL2012345678A1", name="Parasetamol",
                                    packaging="Dus"), actor="qa")  # fmt: skip
    otc = store.open_identification(nie="DBL2012345678A1", batch="I1", packs=5,
                                    validity=Gs1Date.parse_iso("2027-12-31"),
                                    expiry=Gs1Date.parse_iso("2028-06-30"), actor="qa")  # fmt: skip
    assert problems(store, otc) == []
    assert counted(store, otc) == dict.fromkeys(TALLY_KEYS, 0)


def test_the_counts_follow_rework(store: Store, b1: BatchRecord) -> None:
    agg = Aggregation(store, actor="qa")
    agg.destroy(ref(b1, S, 0))  # 12 packs and a full case gone; pallet 0 now 2 of 3
    agg.dissolve(ref(b1, S, 3))  # an empty case stays on pallet 1
    assert counted(store, b1) == {
        "cases": 2, "cases_full": 0, "cases_partial": 1, "pallets": 2, "pallets_full": 0,
        "pallets_partial": 1, "packs_aggregated": 8, "cases_aggregated": 3,
    }  # fmt: skip
    assert problems(store, b1) == []


def test_released_codes_stay_in_their_cases(store: Store, b1: BatchRecord) -> None:
    store.transition("B1", P, np.arange(12), A.RELEASED, actor="qa")
    store.transition("B1", S, np.array([0]), A.RELEASED, actor="qa")
    assert problems(store, b1) == []


# Corruptions: each a write aggregation never makes -----------------------------------------

Corrupt = Callable[[Store, UnitOfWork, BatchRecord], object]


def set_parent(uow: UnitOfWork, record: BatchRecord, code: CodeRef, to: CodeRef | None) -> None:
    value = 0 if to is None else packed(to)
    uow.pages(PARENTS, record, code.level).set(np.array([code.index]),
                                               np.array([value], dtype=np.uint64))  # fmt: skip


def set_seal(uow: UnitOfWork, record: BatchRecord, code: CodeRef, seal: Seal) -> None:
    uow.pages(CONTAINERS, record, code.level).set(np.array([code.index]),
                                                  np.array([seal], dtype=np.uint8))  # fmt: skip


def put(uow: UnitOfWork, code: CodeRef, kids: list[CodeRef]) -> None:
    uow.put_children(code, np.array([packed(k) for k in kids], dtype=np.uint64))


def pallet_a_pack(uow: UnitOfWork, record: BatchRecord) -> None:
    put(uow, ref(record, T, 1), [ref(record, S, 3), ref(record, P, 30)])
    set_parent(uow, record, ref(record, P, 30), ref(record, T, 1))


def overfill(uow: UnitOfWork, record: BatchRecord) -> None:
    """Pack 12 moves from case 1 into case 0, a 13th."""
    put(uow, ref(record, S, 0), refs(record, P, range(13)))
    set_parent(uow, record, ref(record, P, 12), ref(record, S, 0))
    put(uow, ref(record, S, 1), refs(record, P, range(13, 17)))


CORRUPTIONS: list[tuple[str, Corrupt, list[str]]] = [
    ("a pack names a case that does not list it",
     lambda s, u, r: set_parent(u, r, ref(r, P, 30), ref(r, S, 2)),
     ["{P30} names {C2} as its container, whose children do not include it"]),
    ("a pack names a case but is listed in another",
     lambda s, u, r: set_parent(u, r, ref(r, P, 17), ref(r, S, 4)),
     ["{P17} names {C4} as its container, whose children do not include it",
      "{C2} holds {P17}, whose container is {C4}"]),
    ("a case lists a free pack",
     lambda s, u, r: put(u, ref(r, S, 2), refs(r, P, [17, 18, 19, 30])),
     ["{C2} holds {P30}, whose container is none"]),
    ("a case names a pack as its container",
     lambda s, u, r: set_parent(u, r, ref(r, S, 4), ref(r, P, 0)),
     ["{C4} is Encoded but in {P0}: only Commissioned or Released codes are in a container",
      "{C4} (secondary) names {P0} as its container: not the level above"]),
    ("a pallet lists a pack",
     lambda s, u, r: pallet_a_pack(u, r),
     ["{P30} (primary) names {T1} as its container: not the level above",
      "{T1} holds {P30}: not of the level below"]),
    ("a pack holds a pack",
     lambda s, u, r: put(u, ref(r, P, 0), [ref(r, P, 40)]),
     ["{P0} is a primary code but holds 1 codes"]),
    ("a case over its capacity",
     lambda s, u, r: overfill(u, r),
     ["{C0} holds 13 codes, over its capacity of 12",
      "{C0} is sealed full but holds 13 of 12"]),
    ("a full case short of its capacity",
     lambda s, u, r: set_seal(u, r, ref(r, S, 2), Seal.FULL),
     ["{C2} is sealed full but holds 3 of 12"]),
    ("a partial case at its capacity",
     lambda s, u, r: set_seal(u, r, ref(r, S, 0), Seal.PARTIAL),
     ["{C0} is sealed partial but holds 12 of 12"]),
    ("an empty case sealed partial",
     lambda s, u, r: set_seal(u, r, ref(r, S, 4), Seal.PARTIAL),
     ["{C4} is sealed partial but holds 0 of 12"]),
    ("a full pallet marked open",
     lambda s, u, r: set_seal(u, r, ref(r, T, 0), Seal.OPEN),
     ["{T0} is sealed open but holds 3 of 3"]),
]  # fmt: skip


def names(store: Store, record: BatchRecord) -> dict[str, str]:
    found = {}
    for kind, level in (("P", P), ("C", S), ("T", T)):
        for index in range(record.level(level).count):
            found[f"{kind}{index}"] = repr(hri(store, ref(record, level, index)))
    return found


@pytest.mark.parametrize(("what", "corrupt", "expected"), CORRUPTIONS,
                         ids=[case[0] for case in CORRUPTIONS])  # fmt: skip
def test_check_names_each_disagreement(
    store: Store, b1: BatchRecord, what: str, corrupt: Corrupt, expected: list[str]
) -> None:
    with store.unit_of_work("intruder") as uow:
        corrupt(store, uow, b1)
    found = problems(store, b1)
    assert found == [line.format(**names(store, b1)) for line in expected]


@pytest.mark.parametrize("target", [A.SAMPLED, A.DESTROYED, A.INACTIVE])
def test_a_linked_code_that_left_the_line_is_a_problem(
    store: Store, b1: BatchRecord, target: CodeState
) -> None:
    """`codes mark` moves a code without regard to its case: `check` finds it."""
    store.transition("B1", P, np.array([3]), target, actor="qa")
    store.transition("B1", S, np.array([3]), target, actor="qa")
    name = names(store, b1)
    assert problems(store, b1) == [
        (
            f"{name['P3']} is {target.label} but in {name['C0']}: only Commissioned or Released "
            "codes are in a container"
        ),
        (
            f"{name['C3']} is {target.label} but in {name['T1']}: only Commissioned or Released "
            "codes are in a container"
        ),
        f"{name['C3']} is {target.label} but holds 1 codes",
    ]


def test_a_mixed_pallet_is_checked_from_both_batches(store: Store, b1: BatchRecord) -> None:
    b2 = open_printed(store, "B2", 24, max_per_tertiary=3)
    mixed = Aggregation(store, actor="qa", mixed_pallets=True)
    mixed.pack(ref(b2, S, 0), refs(b2, P, range(12)))
    mixed.pack(ref(b1, T, 1), [ref(b2, S, 0)])
    assert problems(store, b1) == problems(store, b2) == []
    assert counted(store, b1)["pallets"] == 2
    assert (counted(store, b2)["cases_aggregated"], counted(store, b2)["pallets"]) == (1, 0)
    store.transition("B2", S, np.array([0]), A.INACTIVE, actor="qa")
    case, pallet = (repr(hri(store, c)) for c in (ref(b2, S, 0), ref(b1, T, 1)))
    assert problems(store, b1) == [f"{pallet} holds {case}, which is Inactive"]
    assert problems(store, b2) == [
        (
            f"{case} is Inactive but in {pallet}: only Commissioned or Released codes are in a "
            "container"
        ),
        f"{case} is Inactive but holds 12 codes",
    ]

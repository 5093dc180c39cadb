"""Code references (batch id, level, index in one u64) and each container's children, as the
store keeps them."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.codes import Level
from jejak.engine.store import (
    NO_PARENT,
    PARENTS,
    CodeRef,
    Store,
    pack_ref,
    pack_refs,
    unpack_ref,
    unpack_refs,
)
from jejak.testing import FORMAT, make_request

batch_ids = st.integers(1, (1 << 24) - 1)
levels = st.sampled_from([int(level) for level in Level])
indices = st.integers(0, (1 << 32) - 1)


@given(batch_id=batch_ids, level=levels, index=indices)
def test_a_reference_unpacks_to_what_was_packed(batch_id: int, level: int, index: int) -> None:
    ref = pack_ref(batch_id, level, index)
    assert 0 < ref < 1 << 64
    assert ref != NO_PARENT
    assert unpack_ref(ref) == (batch_id, level, index)


@given(a=st.tuples(batch_ids, levels, indices), b=st.tuples(batch_ids, levels, indices))
def test_references_sort_by_batch_then_level_then_index(
    a: tuple[int, int, int], b: tuple[int, int, int]
) -> None:
    assert (pack_ref(*a) < pack_ref(*b)) == (a < b)


@given(batch_id=batch_ids, level=levels, picks=st.lists(indices, max_size=50))
def test_references_in_bulk_are_the_single_ones(
    batch_id: int, level: int, picks: list[int]
) -> None:
    packed = pack_refs(batch_id, level, np.array(picks, dtype=np.int64))
    assert packed.dtype == np.uint64
    assert packed.tolist() == [pack_ref(batch_id, level, i) for i in picks]
    unpacked = unpack_refs(packed)
    assert unpacked.shape == (len(picks), 3)
    assert unpacked.tolist() == [[batch_id, level, i] for i in picks]


def test_no_references_unpack_to_an_empty_table() -> None:
    assert unpack_refs(np.zeros(0, dtype=np.uint64)).shape == (0, 3)
    assert pack_refs(1, 1, np.zeros(0, dtype=np.int64)).tolist() == []


@given(st.lists(st.tuples(batch_ids, levels, indices), max_size=30))
def test_mixed_references_unpack_each_to_its_own(parts: list[tuple[int, int, int]]) -> None:
    packed = np.array([pack_ref(*p) for p in parts], dtype=np.uint64)
    assert [tuple(row) for row in unpack_refs(packed).tolist()] == parts


def test_children_are_written_sorted_and_read_back_through_a_unit_of_work(
    store: Store,
) -> None:
    record = store.open_batch(make_request("B1", 100), serial_format=FORMAT, actor="qa")
    other = store.open_batch(make_request("B2", 100), serial_format=FORMAT, actor="qa")
    case, pallet = CodeRef(record.batch_id, Level.SECONDARY, 3), CodeRef(
        record.batch_id, Level.TERTIARY, 0)  # fmt: skip
    kids = pack_refs(record.batch_id, Level.PRIMARY, np.array([9, 2, 40, 5]))
    with store.unit_of_work("qa") as uow:
        assert uow.children(case).tolist() == []
        uow.put_children(case, kids)
        uow.put_children(CodeRef(record.batch_id, Level.SECONDARY, 1), kids[:1])
        uow.put_children(pallet, pack_refs(record.batch_id, Level.SECONDARY, np.array([3, 1])))
        uow.put_children(CodeRef(other.batch_id, Level.SECONDARY, 0), kids[:2])
        assert uow.children(case).tolist() == sorted(kids.tolist())  # its own writes
    with store.view() as view:
        assert view.children(case).tolist() == pack_refs(
            record.batch_id, Level.PRIMARY, np.array([2, 5, 9, 40])).tolist()  # fmt: skip
        assert view.children(case).dtype == np.uint64
        assert view.containers(record, Level.SECONDARY) == {1: 1, 3: 4}
        assert view.containers(record, Level.TERTIARY) == {0: 2}
        assert view.containers(record, Level.PRIMARY) == {}
        assert view.containers(other, Level.SECONDARY) == {0: 2}
        assert view.parent_of(case) is None  # the parents column is written apart
    with store.unit_of_work("qa") as uow:
        uow.put_children(case, np.zeros(0, dtype=np.uint64))  # none: the entry goes
        uow.put_children(CodeRef(record.batch_id, Level.SECONDARY, 0), np.zeros(0, np.uint64))
    with store.view() as view:
        assert view.children(case).tolist() == []
        assert view.containers(record, Level.SECONDARY) == {1: 1}


def test_a_codes_container_is_its_parents_entry(store: Store) -> None:
    record = store.open_batch(make_request("B1", 70_000, max_per_secondary=100),
                              serial_format=FORMAT, actor="qa")  # fmt: skip
    case = pack_ref(record.batch_id, Level.SECONDARY, 699)
    with store.unit_of_work("qa") as uow:
        uow.pages(PARENTS, record, Level.PRIMARY).set(
            np.array([0, 65_537]), np.array([case, case], np.uint64)
        )
    with store.view() as view:
        found = CodeRef(record.batch_id, Level.SECONDARY, 699)
        assert view.parent_of(CodeRef(record.batch_id, Level.PRIMARY, 0)) == found
        assert view.parent_of(CodeRef(record.batch_id, Level.PRIMARY, 65_537)) == found
        assert view.parent_of(CodeRef(record.batch_id, Level.PRIMARY, 1)) is None
        assert view.parent_of(CodeRef(record.batch_id, Level.PRIMARY, 69_999)) is None
        assert view.parent_of(CodeRef(record.batch_id, Level.SECONDARY, 0)) is None

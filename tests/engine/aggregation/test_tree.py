"""The tree under a code, the path up from it, `jejak agg show`'s JSON and code names."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import open_printed, packed, ref, refs

from jejak.engine.aggregation import Aggregation, Seal, as_json, code_names, path, tree
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.store import CodeRef, Store

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY


@pytest.fixture
def b1(store: Store) -> BatchRecord:
    """Pallet 0 holds case 0 (packs 0-2) and case 1 (pack 3, closed as partial)."""
    record = open_printed(store, "B1", 60, max_per_tertiary=3)
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(record, S, 0), refs(record, P, range(3)))
    agg.pack(ref(record, S, 1), [ref(record, P, 3)], partial=True)
    agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    return record


def names(store: Store, codes: list[CodeRef]) -> list[str]:
    with store.view() as view:
        return [view.code(view.batch_by_id(c.batch_id), c.level, c.index).hri for c in codes]


def test_the_tree_of_a_pallet_is_breadth_first(store: Store, b1: BatchRecord) -> None:
    with store.view() as view:
        found = tree(view, ref(b1, T, 0))
    expected = [ref(b1, T, 0), *refs(b1, S, range(2)), *refs(b1, P, range(4))]
    assert found.refs.tolist() == [packed(c) for c in expected]
    assert found.up.tolist() == [-1, 0, 0, 1, 1, 1, 2]
    assert found.states.tolist() == [A.COMMISSIONED] * 7
    assert found.seals.tolist() == [Seal.OPEN, Seal.OPEN, Seal.PARTIAL, 0, 0, 0, 0]
    assert len(found) == 7
    assert found.counts() == {P: 4, S: 2, T: 1}
    assert found.children_of(0).tolist() == [1, 2]
    assert found.children_of(2).tolist() == [6]
    assert found.children_of(6).tolist() == []


def test_a_pack_and_an_empty_case_are_trees_of_one(store: Store, b1: BatchRecord) -> None:
    with store.view() as view:
        for code, state in ((ref(b1, P, 0), A.COMMISSIONED), (ref(b1, S, 2), A.ENCODED)):
            found = tree(view, code)
            assert found.refs.tolist() == [packed(code)]
            assert (found.up.tolist(), found.states.tolist()) == ([-1], [state])
            assert found.counts() == {P: int(code.level is P), S: int(code.level is S), T: 0}


def test_the_path_goes_from_the_codes_container_up_to_the_outermost(
    store: Store, b1: BatchRecord
) -> None:
    with store.view() as view:
        assert path(view, ref(b1, P, 3)) == [ref(b1, S, 1), ref(b1, T, 0)]
        assert path(view, ref(b1, S, 0)) == [ref(b1, T, 0)]
        assert path(view, ref(b1, T, 0)) == []
        assert path(view, ref(b1, P, 4)) == []  # in no case
    Aggregation(store, actor="qa").unpack([ref(b1, S, 1)])
    with store.view() as view:
        assert path(view, ref(b1, P, 3)) == [ref(b1, S, 1)]
        assert len(tree(view, ref(b1, T, 0))) == 1 + 1 + 3


def test_as_json_nests_the_tree_with_each_nodes_path(store: Store, b1: BatchRecord) -> None:
    t0, c0, c1 = ref(b1, T, 0), ref(b1, S, 0), ref(b1, S, 1)
    t0_, c0_, c1_, *p_ = names(store, [t0, c0, c1, *refs(b1, P, range(4))])

    def pack(name: str, up: list[str]) -> dict[str, object]:
        return {"code": name, "level": "primary", "state": "Commissioned", "children": [],
                "path": up}  # fmt: skip

    with store.view() as view:
        shown = as_json(view, tree(view, t0), path(view, t0))
        case = as_json(view, tree(view, c1), path(view, c1))
        one = as_json(view, tree(view, ref(b1, P, 0)), path(view, ref(b1, P, 0)))
    assert shown == {
        "code": t0_, "level": "tertiary", "state": "Commissioned", "seal": "open",
        "children": [
            {"code": c0_, "level": "secondary", "state": "Commissioned", "seal": "open",
             "children": [pack(p_[i], [c0_, t0_]) for i in range(3)], "path": [t0_]},
            {"code": c1_, "level": "secondary", "state": "Commissioned", "seal": "partial",
             "children": [pack(p_[3], [c1_, t0_])], "path": [t0_]},
        ],
        "path": [],
    }  # fmt: skip
    assert case == {"code": c1_, "level": "secondary", "state": "Commissioned",
                    "seal": "partial", "children": [pack(p_[3], [c1_, t0_])],
                    "path": [t0_]}  # fmt: skip
    assert one == pack(p_[0], [c0_, t0_])
    assert all(name.startswith("(01)08991234567891(10)B1(17)281031(21)") for name in p_)
    assert json.loads(json.dumps(shown)) == shown


def test_code_names_keep_the_order_across_batches_and_levels(store: Store) -> None:
    b1 = open_printed(store, "B1", 30)
    b2 = open_printed(store, "B2", 30)
    codes = [ref(b2, P, 5), ref(b1, S, 1), ref(b1, P, 7), ref(b2, P, 0), ref(b1, P, 2)]
    packed_refs = np.array([packed(c) for c in codes], dtype=np.uint64)
    with store.view() as view:
        hri = code_names(view, packed_refs)
        raw = code_names(view, packed_refs, CodeForm.RAW)
        serials = code_names(view, packed_refs, CodeForm.SERIAL)
        expected_raw = [code_texts(view, view.batch_by_id(c.batch_id), c.level,
                                   np.array([c.index]))[0].decode() for c in codes]  # fmt: skip
        expected_serials = [view.serial(view.batch_by_id(c.batch_id), c.level, c.index)
                            for c in codes]  # fmt: skip
        assert code_names(view, np.zeros(0, dtype=np.uint64)) == []
    assert hri == names(store, codes)
    assert [h.split("(10)")[1][:2] for h in hri] == ["B2", "B1", "B1", "B2", "B1"]
    assert raw == expected_raw
    assert serials == expected_serials
    assert len(set(serials)) == 5

"""What is inside a code and what it is inside: the tree under it and the path up from it.

A tree is kept as arrays, level by level (a full pallet of 60 cases of 100 packs is 6,061
codes: one children read per container and one state read per batch level, no object per
code); `as_json` nests it for `jejak agg show`. The path is one ``parents`` page read a level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.aggregation._links import by_level, code_ref
from jejak.engine.aggregation.rules import Seal
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.store import (
    CONTAINERS,
    STATES,
    CodeRef,
    StoreView,
    pack_ref,
    unpack_refs,
)

__all__ = ["Tree", "code_names", "path", "tree"]

Refs = npt.NDArray[np.uint64]
_NO_CHILDREN = np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Tree:
    """The codes under a root, breadth first: `refs[0]` is the root; `up[i]` is the position
    of code i's container (-1 for the root); `states` and `seals` (containers; 0 for packs)
    one for each."""

    refs: Refs
    up: npt.NDArray[np.int64]
    states: npt.NDArray[np.uint8]
    seals: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return int(self.refs.size)

    def counts(self) -> dict[Level, int]:
        """How many codes of each level the tree holds (its root included)."""
        levels = unpack_refs(self.refs)[:, 1]
        return {level: int(np.count_nonzero(levels == level)) for level in Level}

    def children_of(self, position: int) -> npt.NDArray[np.int64]:
        return np.flatnonzero(self.up == position)


def tree(view: StoreView, root: CodeRef) -> Tree:
    """The tree under `root` (a pack is a tree of one)."""
    refs = [np.array([pack_ref(root.batch_id, root.level, root.index)], dtype=np.uint64)]
    ups = [np.array([-1], dtype=np.int64)]
    frontier, offset = refs[0], 0
    while frontier.size and int(frontier[0]) >> 32 & 0xFF != Level.PRIMARY:
        below, up = [], []
        for at, ref in enumerate(frontier.tolist()):
            kids = view.children(code_ref(ref))
            below.append(kids)
            up.append(np.full(kids.size, offset + at, dtype=np.int64))
        offset += frontier.size
        frontier = np.concatenate(below) if below else _NO_CHILDREN
        refs.append(frontier)
        ups.append(np.concatenate(up) if up else np.zeros(0, dtype=np.int64))
    all_refs = np.concatenate(refs)
    return Tree(all_refs, np.concatenate(ups), _column(view, STATES, all_refs),
                _column(view, CONTAINERS, all_refs))  # fmt: skip


def path(view: StoreView, code: CodeRef) -> list[CodeRef]:
    """The containers of `code`, from its own up to the outermost."""
    found = []
    ref = view.parent_of(code)
    while ref is not None:
        found.append(ref)
        ref = view.parent_of(ref)
    return found


def code_names(view: StoreView, refs: Refs, form: CodeForm = CodeForm.HRI) -> list[str]:
    """The codes `refs` name, in that order, as text (HRI by default)."""
    out = [""] * int(refs.size)
    for first, positions, indices in by_level(refs):
        code = code_ref(first)
        texts = code_texts(view, view.batch_by_id(code.batch_id), code.level, indices, form=form)
        for at, text in zip(np.arange(refs.size)[positions].tolist(), texts, strict=True):
            out[at] = text.decode("ascii", errors="replace")
    return out


def as_json(view: StoreView, found: Tree, code_path: list[CodeRef]) -> dict[str, Any]:
    """The nested node `jejak agg show --json` prints: code, level, state, seal (containers),
    children (nodes of the same shape) and path (the codes of its containers, from its own
    up to the outermost)."""
    names = code_names(view, found.refs)
    levels = unpack_refs(found.refs)[:, 1]
    below: dict[int, list[int]] = {}
    for position, up in enumerate(found.up.tolist()):
        below.setdefault(up, []).append(position)

    def node(position: int, up: list[str]) -> dict[str, Any]:
        level = Level(int(levels[position]))
        out: dict[str, Any] = {"code": names[position], "level": level.name.lower(),
                               "state": CodeState(int(found.states[position])).label}  # fmt: skip
        if level is not Level.PRIMARY:
            out["seal"] = Seal(int(found.seals[position])).label
        inner = [names[position], *up]
        out["children"] = [node(p, inner) for p in below.get(position, [])]
        out["path"] = up
        return out

    return node(0, code_names(view, np.array([pack_ref(r.batch_id, r.level, r.index)
                                              for r in code_path], dtype=np.uint64)))  # fmt: skip


def _column(view: StoreView, column: Any, refs: Refs) -> Any:
    out = np.zeros(refs.size, dtype=column.dtype)
    for first, positions, indices in by_level(refs):
        code = code_ref(first)
        out[positions] = view.values(column, view.batch_by_id(code.batch_id), code.level, indices)
    return out

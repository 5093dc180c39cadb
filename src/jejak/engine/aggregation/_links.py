"""Aggregation reads and writes inside one unit of work: the rules checked on whole arrays of
code references, the ``parents`` column and each container's children written together."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.aggregation.rules import Rule, Seal, capacity, refusal
from jejak.engine.batch_record import BatchRecord, BatchStatus, CodeSource
from jejak.engine.codes import TRANSITIONS, CodeState, Level
from jejak.engine.errors import StoreCorrupted
from jejak.engine.store import (
    CONTAINERS,
    NO_PARENT,
    PARENTS,
    STATES,
    CodeRef,
    Event,
    EventKind,
    UnitOfWork,
    pack_ref,
    unpack_ref,
)

__all__ = ["LISTED", "Links", "Refs", "as_refs", "by_level", "code_ref", "distinct"]

Refs = npt.NDArray[np.uint64]
_HEAD = np.uint64(32)
_INDEX = np.uint64(0xFFFFFFFF)  # a reference shifted by this is (batch id, level): one group
LISTED = 16  # events name up to this many codes by code; a payload of pairs lists them all
_PRINTED = (CodeState.ENCODED, CodeState.COMMISSIONED)
_LEVELS = frozenset(int(level) for level in Level)
_DESTROYABLE = tuple(s for s, targets in TRANSITIONS.items() if CodeState.DESTROYED in targets)


def distinct(refs: Refs) -> Refs:
    """Sorted distinct references: by sorting (numpy 2's hash-based `np.unique` is about 30
    times slower on a million references; see `store.sorted_unique`)."""
    if refs.size < 2 or bool(np.all(refs[1:] > refs[:-1])):
        return refs
    if not bool(np.all(refs[1:] >= refs[:-1])):
        refs = np.sort(refs)
    return refs[np.concatenate(([True], refs[1:] != refs[:-1]))]


def _in_runs(children: Refs, parents: Refs) -> bool:
    """Whether the pairs are in (parent, child) order already: no sort needed."""
    if parents.size < 2:
        return True
    same = parents[1:] == parents[:-1]
    return bool(np.all((parents[1:] > parents[:-1]) | (same & (children[1:] > children[:-1]))))


def code_ref(ref: int) -> CodeRef:
    """The code a packed reference names."""
    batch_id, level, index = unpack_ref(ref)
    return CodeRef(batch_id, Level(level), index)


def by_level(refs: Refs) -> Iterator[tuple[int, Any, Any]]:
    """(one reference of the group, positions in `refs`, indices) for each (batch, level)
    `refs` name: what one column read or one code-text call takes."""
    heads = refs >> _HEAD
    if refs.size and int(heads.min()) == int(heads.max()):  # one batch level: no grouping
        yield int(refs[0]), slice(None), (refs & _INDEX).astype(np.int64)
        return
    for head in distinct(heads).tolist():
        positions = np.flatnonzero(heads == head)
        yield int(refs[positions[0]]), positions, (refs[positions] & _INDEX).astype(np.int64)


def as_refs(refs: list[CodeRef] | Refs) -> Refs:
    if isinstance(refs, np.ndarray):
        return refs.astype(np.uint64)
    return np.array([pack_ref(r.batch_id, r.level, r.index) for r in refs], dtype=np.uint64)


class Links:
    """The aggregation of one unit of work. `mixed_pallets`: a pallet may hold cases of other
    batches (a site setting)."""

    __slots__ = ("_records", "mixed_pallets", "uow")

    def __init__(self, uow: UnitOfWork, *, mixed_pallets: bool = False) -> None:
        self.uow, self.mixed_pallets = uow, mixed_pallets
        self._records: dict[int, BatchRecord] = {}

    # Reads -----------------------------------------------------------------------------------

    def record(self, batch_id: int) -> BatchRecord:
        found = self._records.get(batch_id)
        if found is None:
            found = self._records[batch_id] = self.uow.batch_by_id(batch_id)
        return found

    def hri(self, ref: int) -> str:
        record, level = self._batch_level(ref)
        return self.uow.code(record, level, ref & 0xFFFFFFFF).hri

    def groups(self, refs: Refs) -> Iterator[tuple[BatchRecord, Level, Any, Any]]:
        """(batch, level, positions in `refs`, indices) for each batch level `refs` name."""
        for first, positions, indices in by_level(refs):
            record, level = self._batch_level(first)
            if int(indices.max()) >= record.level(level).count:
                wrong = int(refs[positions][int(np.argmax(indices))])
                raise refusal(Rule.UNKNOWN, f"{record.batch}/{level.name.lower()}/"
                              f"{wrong & 0xFFFFFFFF}", "no such code")  # fmt: skip
            yield record, level, positions, indices

    def _batch_level(self, ref: int) -> tuple[BatchRecord, Level]:
        """The batch and level a reference names; a refusal when the store has no such
        batch or level (a reference made up, or from another store)."""
        batch_id, level, index = unpack_ref(ref)
        if level not in _LEVELS:
            raise refusal(Rule.UNKNOWN, f"{batch_id}/{level}/{index}", "no such level")
        try:
            return self.record(batch_id), Level(level)
        except StoreCorrupted:
            raise refusal(Rule.UNKNOWN, f"{batch_id}/{Level(level).name.lower()}/{index}",
                          "no such batch") from None  # fmt: skip

    def column(self, column: Any, refs: Refs) -> Any:
        out = np.zeros(refs.shape[0], dtype=column.dtype)
        for record, level, positions, indices in self.groups(refs):
            if column is STATES:
                out[positions] = self.uow.values(STATES, record, level, indices)
            else:
                out[positions] = self.uow.pages(column, record, level).get(indices)
        return out

    def children(self, parent: int) -> Refs:
        batch_id, level, index = unpack_ref(parent)
        return self.uow.children(CodeRef(batch_id, Level(level), index))

    def subtree(self, root: int) -> Refs:
        """Every code inside `root`, level by level down (not `root` itself)."""
        found, frontier = [], [root]
        while frontier:
            below = [self.children(ref) for ref in frontier]
            layer = np.concatenate(below) if below else np.zeros(0, dtype=np.uint64)
            if layer.size:
                found.append(layer)
            frontier = layer.tolist()
        return np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)

    # Checks ---------------------------------------------------------------------------------

    def check_open(self, refs: Refs) -> None:
        for record, _, positions, _ in self.groups(refs):
            if record.status is not BatchStatus.OPEN:
                raise refusal(Rule.BATCH_CLOSED, self.hri(int(refs[positions][0])),
                              f"batch {record.batch!r} is closed")  # fmt: skip
            if record.level(Level.PRIMARY).source is CodeSource.IDENTIFICATION:
                raise refusal(Rule.NOT_SERIALIZED, self.hri(int(refs[positions][0])),
                              f"batch {record.batch!r} is an identification batch")  # fmt: skip

    def check_distinct(self, refs: Refs) -> None:
        if refs.size < 2 or bool(np.all(refs[1:] > refs[:-1])):
            return
        ordered = np.sort(refs)
        repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
        if repeated.size:
            raise refusal(Rule.REPEATED, self.hri(int(ordered[repeated[0]])),
                          "it appears more than once")  # fmt: skip

    def check_container(self, containers: Refs) -> None:
        """Each of `containers` is a container: a secondary or tertiary code."""
        levels = (containers >> _HEAD) & np.uint64(0xFF)
        wrong = np.flatnonzero((levels != Level.SECONDARY) & (levels != Level.TERTIARY))
        if wrong.size:
            ref = int(containers[wrong[0]])
            raise refusal(Rule.WRONG_LEVEL, self.hri(ref), f"it is a "
                          f"{Level(int(levels[wrong[0]])).name.lower()} code, not a "
                          "container")  # fmt: skip

    def check_destroyable(self, refs: Refs) -> None:
        """Each of `refs` may become Destroyed (it is Commissioned, Sampled or Inactive)."""
        states = self.column(STATES, refs)
        bad = np.flatnonzero(~np.isin(states, _DESTROYABLE))
        if bad.size:
            raise refusal(Rule.NOT_COMMISSIONED, self.hri(int(refs[bad[0]])),
                          f"it is {CodeState(int(states[bad[0]])).label} and cannot be "
                          "destroyed")  # fmt: skip

    def check_free(self, children: Refs, parents: Refs, *, taken: Refs | None = None) -> None:
        """Each of `children` may go into its container in `parents` (one for each): the
        level below it, Commissioned, of its batch (or any batch on a mixed pallet), in no
        container (or in `taken`: being emptied by the same operation)."""
        self.check_container(distinct(parents))
        below = ((children >> _HEAD) & np.uint64(0xFF)).astype(np.int64)
        above = ((parents >> _HEAD) & np.uint64(0xFF)).astype(np.int64)
        wrong = np.flatnonzero(below != above - 1)
        if wrong.size:
            at = int(wrong[0])
            raise refusal(Rule.WRONG_LEVEL, self.hri(int(children[at])),
                          f"it is a {Level(int(below[at])).name.lower()} code and "
                          f"{self.hri(int(parents[at]))!r} a "
                          f"{Level(int(above[at])).name.lower()}")  # fmt: skip
        other = (children >> np.uint64(40)) != (parents >> np.uint64(40))
        if self.mixed_pallets:
            other &= above != Level.TERTIARY
        if other.any():
            at = int(np.argmax(other))
            child, parent = int(children[at]), int(parents[at])
            raise refusal(Rule.OTHER_BATCH, self.hri(child), f"it is of batch "
                          f"{self.record(child >> 40).batch!r}, its container of "
                          f"{self.record(parent >> 40).batch!r}")  # fmt: skip
        states = self.column(STATES, children)
        bad = np.flatnonzero(states != CodeState.COMMISSIONED)
        if bad.size:
            raise refusal(Rule.NOT_COMMISSIONED, self.hri(int(children[bad[0]])),
                          f"it is {CodeState(int(states[bad[0]])).label}")  # fmt: skip
        held = self.column(PARENTS, children)
        inside = held != NO_PARENT
        if taken is not None:
            inside &= ~np.isin(children, taken)
        if inside.any():
            at = int(np.argmax(inside))
            raise refusal(Rule.HAS_PARENT, self.hri(int(children[at])),
                          f"it is in {self.hri(int(held[at]))!r}")  # fmt: skip

    def check_printed(self, containers: Refs) -> None:
        states = self.column(STATES, containers)
        bad = np.flatnonzero(~np.isin(states, _PRINTED))
        if bad.size:
            raise refusal(Rule.NOT_PRINTED, self.hri(int(containers[bad[0]])),
                          f"it is {CodeState(int(states[bad[0]])).label}")  # fmt: skip

    def check_capacity(self, containers: Refs, counts: npt.NDArray[np.int64]) -> None:
        """Each of `containers` may hold its number of children in `counts`."""
        over = np.flatnonzero(counts > self.capacities(containers))
        if over.size:
            at = int(over[0])
            parent = int(containers[at])
            raise refusal(Rule.OVER_CAPACITY, self.hri(parent), f"{int(counts[at])} children "
                          f"for a capacity of {int(self.capacities(containers)[at])}")  # fmt: skip

    def capacities(self, containers: Refs) -> npt.NDArray[np.int64]:
        """The capacity of each of `containers` (its batch's, at its level)."""
        most = np.zeros(containers.size, dtype=np.int64)
        for record, level, positions, _ in self.groups(containers):
            most[positions] = capacity(record, level)
        return most

    # Writes ---------------------------------------------------------------------------------

    def set_column(self, column: Any, refs: Refs, values: Any) -> None:
        values = np.broadcast_to(np.asarray(values, dtype=column.dtype), refs.shape)
        for record, level, positions, indices in self.groups(refs):
            self.uow.pages(column, record, level).set(indices, values[positions])

    def move(self, refs: Refs, target: CodeState) -> None:
        for record, level, _, indices in self.groups(refs):
            self.uow.move(record, level, np.sort(indices), target)

    def put(self, parent: int, children: Refs) -> None:
        """`parent` holds exactly `children` now; its seal follows its fill."""
        batch_id, level, index = unpack_ref(parent)
        self.uow.put_children(CodeRef(batch_id, Level(level), index), children)
        self.reseal(np.array([parent], dtype=np.uint64), np.array([children.size]))

    def reseal(self, containers: Refs, counts: npt.NDArray[np.int64]) -> None:
        """Full at capacity, open when empty or short (unless closed as partial before)."""
        current = self.column(CONTAINERS, containers)
        seals = np.where(current == Seal.PARTIAL, Seal.PARTIAL, Seal.OPEN)
        seals[counts == self.capacities(containers)] = Seal.FULL
        seals[counts == 0] = Seal.OPEN
        self.set_column(CONTAINERS, containers, seals)

    def attach(self, children: Refs, parents: Refs) -> None:
        """Put checked `children` into their `parents` (one for each; commissioning a
        container whose printed label the station read): every container's children list
        written in one batched put, the children it held already kept."""
        held = self.uow.children_of(distinct(parents))
        kids, into = children, parents
        if held:
            kids = np.concatenate([children, *held.values()])
            into = np.concatenate([parents, *(np.full(refs.size, ref, dtype=np.uint64)
                                              for ref, refs in held.items())])  # fmt: skip
        if not _in_runs(kids, into):
            order = np.lexsort((kids, into))
            kids, into = kids[order], into[order]
        starts = np.flatnonzero(np.concatenate(([True], into[1:] != into[:-1])))
        starts = starts[starts < into.size]  # none when nothing is attached
        containers = into[starts]
        totals = np.diff(np.append(starts, into.size))
        self.check_printed(containers)
        self.check_capacity(containers, totals)
        self.uow.put_children_runs(containers, kids, starts.astype(np.uint64))
        encoded = containers[self.column(STATES, containers) == CodeState.ENCODED]
        if encoded.size:
            self.move(encoded, CodeState.COMMISSIONED)
        self.set_column(PARENTS, children, parents)
        self.reseal(containers, totals)

    def detach(self, children: Refs) -> dict[int, Refs]:
        """Take `children` out of their containers; {container: the children it lost}.
        Both the children and their containers must be of open batches (on a mixed pallet
        they need not be of the same one)."""
        parents = self.column(PARENTS, children)
        held = np.flatnonzero(parents == NO_PARENT)
        if held.size:
            raise refusal(Rule.NOT_PACKED, self.hri(int(children[held[0]])),
                          "it is in no container")  # fmt: skip
        self.check_open(np.concatenate((distinct(parents), children)))
        lost: dict[int, Refs] = {}
        for parent in distinct(parents).tolist():
            gone = children[parents == parent]
            left = np.setdiff1d(self.children(parent), gone, assume_unique=True)
            self.put(parent, left)
            lost[parent] = gone
        self.set_column(PARENTS, children, NO_PARENT)
        return lost

    # Events ---------------------------------------------------------------------------------

    def event(self, kind: EventKind, data: Mapping[str, Any], touched: Refs, *,
              pairs: Refs | None = None) -> Event:  # fmt: skip
        """Record an operation: in the history of every code it `touched`; its payload the
        (child, container) pairs it linked or unlinked, when given."""
        body = dict(data)
        if 0 < touched.size <= LISTED:
            body.setdefault("codes", [self.hri(int(ref)) for ref in np.sort(touched)])
        body.setdefault("count", int(touched.size))
        payload = None if pairs is None else pairs.astype(">u8").tobytes()
        event = self.uow.event(kind, body, payload=payload)
        for record, level, _, indices in self.groups(distinct(touched)):
            self.uow.index(event, record, level, np.sort(indices))
        return event

"""Packing and rework: every change to what is inside what, each one unit of work with its event.

Packing puts Commissioned codes into a container of the level above (packs into a case, cases
into a pallet) up to the batch's capacity; the container's label was printed (Encoded) and is
commissioned by the packing, or was verified already. The rework operations are the ones a
line's QA needs (TraceLink's SOM calls them the same): unpack, replace, take a sample out,
reset, dissolve, move and destroy (the decommission cascades down the tree). A refused
operation raises `AggregationRefused` naming the code and the rule, and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from jejak.engine.aggregation._links import LISTED, Links, Refs, as_refs, code_ref, distinct
from jejak.engine.aggregation.rules import Rule, Seal, capacity, refusal
from jejak.engine.codes import CodeState, Level
from jejak.engine.store import (
    CONTAINERS,
    PARENTS,
    STATES,
    CodeRef,
    EventKind,
    Store,
    UnitOfWork,
    pack_ref,
)

__all__ = ["Aggregation"]

_CHUNK = 1 << 20  # links a bulk pack checks, writes and records (one event) at a time


def _ref(code: CodeRef) -> int:
    return pack_ref(code.batch_id, code.level, code.index)


def _pairs(children: Refs, parents: Refs) -> Refs:
    return np.column_stack((children, parents)).ravel()


class Aggregation:
    """Aggregation in one store, by one actor. `mixed_pallets`: a pallet may hold cases of
    several batches (a site setting; off by default, as one batch a pallet is the rule)."""

    def __init__(self, store: Store, *, actor: str, mixed_pallets: bool = False) -> None:
        self.store, self.actor, self.mixed_pallets = store, actor, mixed_pallets

    def _links(self, uow: UnitOfWork) -> Links:
        return Links(uow, mixed_pallets=self.mixed_pallets)

    # Packing ------------------------------------------------------------------------------

    def pack(self, parent: CodeRef, children: Sequence[CodeRef], *,
             partial: bool = False) -> int:  # fmt: skip
        """Put `children` into `parent`; with `partial`, close it short of its capacity (the
        last case or pallet of a batch). How many were packed."""
        kids = as_refs(list(children))
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            container = _ref(parent)
            parents = np.full(kids.size, container, dtype=np.uint64)
            one = np.array([container], dtype=np.uint64)
            links.check_open(np.concatenate((one, kids)))
            links.check_container(one)
            links.check_distinct(kids)
            links.check_free(kids, parents)
            if not kids.size:
                links.check_printed(one)
            links.attach(kids, parents)
            if partial:
                _close_partial(links, container)
            links.event(EventKind.AGG_PACK, {"parent": links.hri(container),
                                             "partial": partial},
                        np.concatenate((one, kids)), pairs=_pairs(kids, parents))  # fmt: skip
        return int(kids.size)

    def pack_many(self, children: Refs, parents: Refs) -> int:
        """Bulk links: each of `children` into its container in `parents` (packed references,
        see `jejak.engine.store.links`), checked as `pack` checks: all of them in one unit of
        work, or none (a third-party case packer's file, a station's backlog). Packs go into
        their cases before cases onto their pallets, so one call may hold both levels: a
        case's label is commissioned by its packing, and then it may be palletised."""
        children, parents = as_refs(children), as_refs(parents)
        if children.shape != parents.shape or children.ndim != 1:
            raise ValueError(f"Invalid bulk links: {children.shape[0]} children for "
                             f"{parents.shape[0]} containers; expected one container for each "
                             "child.")  # fmt: skip
        levels = (children >> np.uint64(32)) & np.uint64(0xFF)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            links.check_distinct(children)
            for level in np.unique(levels).tolist():
                mine = levels == level
                both = (children, parents) if mine.all() else (children[mine], parents[mine])
                for kids, into in _chunks(*both):
                    _link(links, kids, into)
        return int(children.size)

    def seal(self, parent: CodeRef) -> None:
        """Close a container short of its capacity: the partial last case or pallet."""
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            container = _ref(parent)
            one = np.array([container], dtype=np.uint64)
            links.check_open(one)
            links.check_container(one)
            _close_partial(links, container)
            seal = Seal(int(links.column(CONTAINERS, one)[0]))
            links.event(EventKind.AGG_SEAL, {"parent": links.hri(container),
                                             "seal": seal.label}, one)  # fmt: skip

    # Rework -------------------------------------------------------------------------------

    def unpack(self, children: Sequence[CodeRef]) -> int:
        """Take codes out of their containers: they are free to be packed again (or
        destroyed). The containers need not be named."""
        kids = as_refs(list(children))
        if not kids.size:
            return 0
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            links.check_open(kids)
            links.check_distinct(kids)
            lost = links.detach(kids)
            parents = np.concatenate([np.full(v.size, k, dtype=np.uint64)
                                      for k, v in lost.items()])  # fmt: skip
            kids = np.concatenate(list(lost.values()))
            links.event(EventKind.AGG_UNPACK, {}, np.concatenate((distinct(parents), kids)),
                        pairs=_pairs(kids, parents))  # fmt: skip
        return int(kids.size)

    def replace(self, old: CodeRef, new: CodeRef) -> CodeRef:
        """`new` takes the place of `old` in its container; `old` is free. The container."""
        gone, coming = _ref(old), _ref(new)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            pair = np.array([gone, coming], dtype=np.uint64)
            links.check_open(pair)
            links.check_distinct(pair)
            container = _container_of(links, gone)
            parents = np.array([container], dtype=np.uint64)
            links.check_free(pair[1:], parents)
            partial = _is_partial(links, container)
            links.detach(pair[:1])
            links.attach(pair[1:], parents)
            _keep_partial(links, container, partial)
            links.event(EventKind.AGG_REPLACE, {"parent": links.hri(container),
                                                "old": links.hri(gone), "new": links.hri(coming)},
                        np.array([container, gone, coming], dtype=np.uint64),
                        pairs=_pairs(pair[1:], parents))  # fmt: skip
        return code_ref(container)

    def sample(self, codes: Sequence[CodeRef]) -> int:
        """Take packs as retained samples: out of their cases (if in one) and Sampled."""
        kids = as_refs(list(codes))
        if not kids.size:
            return 0
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            links.check_open(kids)
            links.check_distinct(kids)
            levels = (kids >> np.uint64(32)) & np.uint64(0xFF)
            if (levels != Level.PRIMARY).any():
                ref = int(kids[np.argmax(levels != Level.PRIMARY)])
                raise refusal(Rule.WRONG_LEVEL, links.hri(ref), "a retained sample is a pack "
                              "(a primary code)")  # fmt: skip
            states = links.column(STATES, kids)
            if (states != CodeState.COMMISSIONED).any():
                at = int(np.argmax(states != CodeState.COMMISSIONED))
                raise refusal(Rule.NOT_COMMISSIONED, links.hri(int(kids[at])),
                              f"it is {CodeState(int(states[at])).label}")  # fmt: skip
            packed = kids[links.column(PARENTS, kids) != 0]
            parents = links.column(PARENTS, packed)
            if packed.size:
                links.detach(packed)
            links.move(kids, CodeState.SAMPLED)
            # Each event names its every sample: the packed ones by their (pack, case) pairs,
            # the loose ones by code, a few to an event (an event lists up to 16 codes).
            if packed.size:
                links.event(EventKind.AGG_SAMPLE, {}, np.concatenate((distinct(parents), packed)),
                            pairs=_pairs(packed, parents))  # fmt: skip
            loose = np.setdiff1d(kids, packed)
            for lo in range(0, loose.size, LISTED):
                links.event(EventKind.AGG_SAMPLE, {}, loose[lo : lo + LISTED])
        return int(kids.size)

    def reset(self, parent: CodeRef, children: Sequence[CodeRef]) -> int:
        """Replace all of a container's children at once with `children` (some may be its
        own already). How many it holds now."""
        kids, container = as_refs(list(children)), _ref(parent)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            one = np.array([container], dtype=np.uint64)
            links.check_open(np.concatenate((one, kids)))
            links.check_container(one)
            links.check_distinct(kids)
            held = links.children(container)
            parents = np.full(kids.size, container, dtype=np.uint64)
            links.check_free(kids, parents, taken=held)
            partial = _is_partial(links, container)
            if held.size:
                links.detach(held)
            links.attach(kids, parents)
            _keep_partial(links, container, partial)
            links.event(EventKind.AGG_RESET, {"parent": links.hri(container),
                                              "removed": int(held.size)},
                        distinct(np.concatenate((one, held, kids))),
                        pairs=_pairs(kids, parents))  # fmt: skip
        return int(kids.size)

    def dissolve(self, parent: CodeRef) -> int:
        """Empty a container: its children are free. How many it held."""
        container = _ref(parent)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            one = np.array([container], dtype=np.uint64)
            links.check_open(one)
            links.check_container(one)
            held = links.children(container)
            if not held.size:
                raise refusal(Rule.NOT_PACKED, links.hri(container), "it holds nothing")
            links.detach(held)
            parents = np.full(held.size, container, dtype=np.uint64)
            links.event(EventKind.AGG_DISSOLVE, {"parent": links.hri(container)},
                        np.concatenate((one, held)), pairs=_pairs(held, parents))  # fmt: skip
        return int(held.size)

    def move(self, code: CodeRef, to: CodeRef) -> None:
        """Move a container (a case) into another (a pallet), out of the one it was in."""
        moving, target = _ref(code), _ref(to)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            one, into = (np.array([r], dtype=np.uint64) for r in (moving, target))
            links.check_open(np.concatenate((one, into)))
            was = int(links.column(PARENTS, one)[0])
            if was == target:
                raise refusal(Rule.HAS_PARENT, links.hri(moving),
                              f"it is in {links.hri(target)!r} already")  # fmt: skip
            links.check_free(one, into, taken=one)
            if was:
                links.detach(one)
            links.attach(one, into)
            data = {"parent": links.hri(target), "from": links.hri(was) if was else None}
            touched = distinct(np.array([r for r in (moving, target, was) if r], np.uint64))
            links.event(EventKind.AGG_MOVE, data, touched, pairs=_pairs(one, into))

    def destroy(self, code: CodeRef) -> int:
        """Destroy a code with everything inside it (a damaged case and its packs): all of
        them Destroyed and out of every container. How many codes were destroyed."""
        root = _ref(code)
        with self.store.unit_of_work(self.actor) as uow:
            links = self._links(uow)
            one = np.array([root], dtype=np.uint64)
            links.check_open(one)
            inside = links.subtree(root)
            doomed = np.concatenate((one, inside))
            links.check_open(doomed)
            links.check_destroyable(doomed)
            was = int(links.column(PARENTS, one)[0])
            if was:
                links.detach(one)
            if inside.size:
                links.set_column(PARENTS, inside, 0)
            _empty(links, doomed)
            links.move(doomed, CodeState.DESTROYED)
            data = {"root": links.hri(root), "from": links.hri(was) if was else None}
            touched = distinct(np.concatenate((doomed, [was] if was else [])).astype(np.uint64))
            links.event(EventKind.AGG_DESTROY, data, touched)
        return int(doomed.size)


def _chunks(children: Refs, parents: Refs) -> Iterator[tuple[Refs, Refs]]:
    for lo in range(0, children.size, _CHUNK):
        yield children[lo : lo + _CHUNK], parents[lo : lo + _CHUNK]


def _link(links: Links, kids: Refs, into: Refs) -> None:
    """Check and make one chunk of bulk links, with its ``agg.pack`` event."""
    links.check_open(np.concatenate((distinct(into), kids)))
    links.check_free(kids, into)
    links.attach(kids, into)
    containers = distinct(into)
    first = links.hri(int(containers[0]))
    links.event(EventKind.AGG_PACK, {"containers": int(containers.size), "first": first,
                                     "links": int(kids.size)},
                np.concatenate((containers, kids)), pairs=_pairs(kids, into))  # fmt: skip


def _empty(links: Links, codes: Refs) -> None:
    """Every container among `codes` holds nothing now."""
    for ref in codes.tolist():
        if ref >> 32 & 0xFF != Level.PRIMARY and links.children(ref).size:
            links.put(ref, np.zeros(0, dtype=np.uint64))


def _container_of(links: Links, ref: int) -> int:
    found = int(links.column(PARENTS, np.array([ref], dtype=np.uint64))[0])
    if not found:
        raise refusal(Rule.NOT_PACKED, links.hri(ref), "it is in no container")
    return found


def _close_partial(links: Links, container: int) -> None:
    """Close a container short of its capacity (a full one is closed already)."""
    held = links.children(container).size
    if not held:
        raise refusal(Rule.NOT_PACKED, links.hri(container), "it holds nothing to close")
    if held < capacity(links.record(container >> 40), Level(container >> 32 & 0xFF)):
        links.set_column(CONTAINERS, np.array([container], dtype=np.uint64), Seal.PARTIAL)


def _is_partial(links: Links, container: int) -> bool:
    one = np.array([container], dtype=np.uint64)
    return bool(links.column(CONTAINERS, one)[0] == Seal.PARTIAL)


def _keep_partial(links: Links, container: int, partial: bool) -> None:
    """A container closed as partial stays so through a rework that leaves it short of its
    capacity and not empty (a replaced pack, a reset case)."""
    if partial and links.children(container).size:
        _close_partial(links, container)

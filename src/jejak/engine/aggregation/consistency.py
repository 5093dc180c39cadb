"""Whether a batch's aggregation holds together, and how much of it there is.

`check` lists what is wrong with a batch's links (nothing: an empty list): the ``parents``
column and the containers' children lists must agree, a container holds at most its
capacity, only Commissioned (or shipped: Released) codes are linked (or, back from a
return or recall, Inactive ones in a Released or Inactive container), and a container's seal
follows its fill. The store writes the links so that this always holds; `check` is for the
tests, `jejak audit` and a store restored from backup. `tally` counts cases and pallets for
reconciliation and the demo's report.

Both read one batch's levels whole (one read a page) and each of its containers' children
lists; codes of other batches appear where a mixed pallet holds them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from jejak.engine.aggregation._links import code_ref
from jejak.engine.aggregation.rules import Seal, capacity
from jejak.engine.aggregation.tree import _column, code_names
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.store import (
    CONTAINERS,
    NO_PARENT,
    PARENTS,
    STATES,
    CodeRef,
    StoreView,
    pack_ref,
    pack_refs,
)

__all__ = ["TALLY_KEYS", "check", "tally"]

TALLY_KEYS = ("cases", "cases_full", "cases_partial", "pallets", "pallets_full",
              "pallets_partial", "packs_aggregated", "cases_aggregated")  # fmt: skip
_LINKED = (CodeState.COMMISSIONED, CodeState.RELEASED)  # states a linked code may be in
# ... and Inactive, back from a return or recall, in a shipped or recalled container (a pack
# returned keeps its case: the case was broken up downstream, out of the store's sight); an
# Inactive container holds only Inactive codes.
_RETURNED_IN = (CodeState.RELEASED, CodeState.INACTIVE)
_EMPTY = np.zeros(0, dtype=np.int64)


def check(view: StoreView, record: BatchRecord) -> list[str]:
    """What is wrong with the links of `record`'s codes, one sentence each (none: [])."""
    problems: list[str] = []
    for allocation in record.levels:
        if allocation.count:
            problems += _child_side(view, record, allocation.level)
            problems += _container_side(view, record, allocation.level)
    return problems


def tally(view: StoreView, record: BatchRecord) -> dict[str, int]:
    """How many of the batch's cases and pallets hold codes (and of those, how many are
    full and how many closed partial), and how many of its packs are in a case and of its
    cases on a pallet."""
    counts = {allocation.level: allocation.count for allocation in record.levels}
    out: dict[str, int] = {}
    for level, name in ((Level.SECONDARY, "cases"), (Level.TERTIARY, "pallets")):
        held = view.containers(record, level) if counts.get(level) else {}
        indices = np.fromiter(held, dtype=np.int64, count=len(held))
        seals = view.values(CONTAINERS, record, level, indices) if indices.size else _EMPTY
        out[name] = len(held)
        out[f"{name}_full"] = int(np.count_nonzero(seals == Seal.FULL))
        out[f"{name}_partial"] = int(np.count_nonzero(seals == Seal.PARTIAL))
    for level, name in ((Level.PRIMARY, "packs_aggregated"), (Level.SECONDARY,
                                                             "cases_aggregated")):  # fmt: skip
        linked = view.column(PARENTS, record, level) if counts.get(level) else _EMPTY
        out[name] = int(np.count_nonzero(linked != NO_PARENT))
    return out


def _child_side(view: StoreView, record: BatchRecord, level: Level) -> list[str]:
    """Each code of the level that names a container: linked in a state that may be, to a
    container of the level above, and in that container's children."""
    parents = view.column(PARENTS, record, level)
    linked = np.flatnonzero(parents != NO_PARENT)
    if not linked.size:
        return []
    problems = []
    states = view.values(STATES, record, level, linked)
    wrong = ~np.isin(states, _LINKED)
    returned = states == CodeState.INACTIVE
    if returned.any():
        around = _column(view, STATES, parents[linked[returned]])
        wrong[np.flatnonzero(returned)[np.isin(around, _RETURNED_IN)]] = False
    for at in np.flatnonzero(wrong).tolist():
        child = pack_ref(record.batch_id, level, int(linked[at]))
        problems.append(f"{_name(view, child)!r} is {CodeState(int(states[at])).label} but "
                        f"in {_name(view, int(parents[linked[at]]))!r}: only Commissioned "
                        "or Released codes are in a container")  # fmt: skip
    refs, containers = pack_refs(record.batch_id, level, linked), parents[linked]
    for container in np.unique(containers).tolist():
        mine = refs[containers == container]
        if container >> 32 & 0xFF != level + 1:
            problems += [f"{_name(view, int(ref))!r} ({level.name.lower()}) names "
                         f"{_name(view, container)!r} as its container: not the level "
                         "above" for ref in mine.tolist()]  # fmt: skip
            continue
        listed = view.children(code_ref(container))
        problems += [f"{_name(view, int(ref))!r} names {_name(view, container)!r} as its "
                     "container, whose children do not include it"
                     for ref in mine[~np.isin(mine, listed)].tolist()]  # fmt: skip
    return problems


def _container_side(view: StoreView, record: BatchRecord, level: Level) -> list[str]:
    """Each container of the level (a primary code holds nothing): within its capacity,
    Commissioned or Released if it holds anything, its children of the level below and
    naming it, its seal its fill."""
    held = view.containers(record, level)
    if level is Level.PRIMARY:
        return [f"{_name(view, pack_ref(record.batch_id, level, index))!r} is a primary code "
                f"but holds {count} codes" for index, count in held.items()]  # fmt: skip
    problems = []
    most = capacity(record, level)
    counts = np.zeros(record.level(level).count, dtype=np.int64)
    counts[list(held)] = list(held.values())
    states = view.states(record, level)
    for index in sorted(held):
        ref = pack_ref(record.batch_id, level, index)
        name = _name(view, ref)
        if counts[index] > most:
            problems.append(f"{name!r} holds {counts[index]} codes, over its capacity of {most}")
        kids = view.children(CodeRef(record.batch_id, level, index))
        if states[index] not in _LINKED and not _all_returned(view, int(states[index]), kids):
            problems.append(f"{name!r} is {CodeState(int(states[index])).label} but holds "
                            f"{counts[index]} codes")  # fmt: skip
        wrong = kids[(kids >> np.uint64(32)) & np.uint64(0xFF) != level - 1]
        problems += [f"{name!r} holds {_name(view, int(kid))!r}: not of the level below"
                     for kid in wrong.tolist()]  # fmt: skip
        kids = kids[(kids >> np.uint64(32)) & np.uint64(0xFF) == level - 1]
        named = _column(view, PARENTS, kids)
        for kid, parent in zip(kids.tolist(), named.tolist(), strict=True):
            if parent != ref:
                where = f"{_name(view, parent)!r}" if parent else "none"
                problems.append(f"{name!r} holds {_name(view, kid)!r}, whose container is "
                                f"{where}")  # fmt: skip
        others = kids[(kids >> np.uint64(40)) != record.batch_id]  # the child side checks ours
        other_states = _column(view, STATES, others)
        for at in np.flatnonzero(~np.isin(other_states, _LINKED)).tolist():
            problems.append(f"{name!r} holds {_name(view, int(others[at]))!r}, which is "
                            f"{CodeState(int(other_states[at])).label}")  # fmt: skip
    seals = view.column(CONTAINERS, record, level)
    for index in np.flatnonzero((seals != Seal.OPEN) | (counts > 0)).tolist():
        seal, count = Seal(int(seals[index])), int(counts[index])
        fits = {Seal.FULL: count == most, Seal.PARTIAL: 0 < count < most,
                Seal.OPEN: count < most}[seal]  # fmt: skip
        if not fits:
            problems.append(f"{_name(view, pack_ref(record.batch_id, level, index))!r} is "
                            f"sealed {seal.label} but holds {count} of {most}")  # fmt: skip
    return problems


def _all_returned(view: StoreView, state: int, kids: npt.NDArray[np.uint64]) -> bool:
    """An Inactive container whose children are all Inactive: a return or a recall."""
    return state == CodeState.INACTIVE and bool(
        (_column(view, STATES, kids) == CodeState.INACTIVE).all()
    )


def _name(view: StoreView, ref: int) -> str:
    return code_names(view, np.array([ref], dtype=np.uint64))[0]

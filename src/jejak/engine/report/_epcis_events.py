"""What each audit event is in EPCIS 2.0 terms: the `Draft`s of the EPCIS events it maps to.

One table (`_HANDLERS`) says it, by event kind:

========================  ==================================================================
``line.verify`` (good)    ObjectEvent ADD, commissioning, active: the verified codes
``codes.transition``      to Commissioned: as above; to Inactive: ObjectEvent DELETE,
                          decommissioning, inactive; to Destroyed: DELETE, destroying,
                          destroyed; to Sampled: as a sample; to Released: as a shipment
``line.sample``           ObjectEvent OBSERVE, sampling, non_sellable_other
``agg.pack``              containers not commissioned before: commissioning (the packing
                          commissions a printed case label); then an AggregationEvent ADD,
                          packing, in_progress, for each container with its new children
``agg.unpack/dissolve``   AggregationEvent DELETE, unpacking, for each container with the
                          children it lost
``agg.replace``           DELETE of the old child, ADD of the new one
``agg.sample``            DELETE of the packs from their cases, then the packs as a sample
``agg.reset``             DELETE with no children (all of them), then ADD of the new ones
``agg.move``              DELETE from the old container, ADD into the new one
``agg.destroy``           DELETE from its container, then ObjectEvent DELETE, destroying,
                          destroyed: the code and everything that was inside it
``ship.send``             ObjectEvent OBSERVE, shipping, in_transit: the outermost codes, to
                          the partner (``destinationList``, owning_party)
``ship.return``           ObjectEvent OBSERVE, receiving, returned (``sourceList``: the
                          partner they came from, when known)
``ship.recall``           ObjectEvent OBSERVE, disposition recalled (CBV has no recall step)
========================  ==================================================================

Other kinds (printing, line runs, seals, ...) report nothing. Whether a container was
commissioned before an event is a question of its history: an `Oracle` answers it, from the
event index one code at a time (`HistoryOracle`: one event on its own), or by replaying the
log in order (`ReplayOracle`: the writer of a whole document); both say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import ReportRefused
from jejak.engine.report.event_hash import EventType
from jejak.engine.store import CodeRef, Event, EventKind, StoreView, pack_ref, pack_refs, resolve

__all__ = [
    "Action",
    "Disposition",
    "Draft",
    "HistoryOracle",
    "Oracle",
    "ReplayOracle",
    "Step",
    "What",
    "concerns",
    "drafts",
]

Refs = npt.NDArray[np.uint64]
_NONE = np.zeros(0, dtype=np.uint64)
_HEAD, _INDEX = np.uint64(32), np.uint64(0xFFFFFFFF)
_NAMING = ("parent", "root", "from", "old", "new")  # the data keys of agg.* events naming a code


class Action(StrEnum):
    ADD = "ADD"
    OBSERVE = "OBSERVE"
    DELETE = "DELETE"


class Step(StrEnum):
    """The CBV 2.0 business steps Jejak reports."""

    COMMISSIONING = "commissioning"
    PACKING = "packing"
    UNPACKING = "unpacking"
    SAMPLING = "sampling"
    DECOMMISSIONING = "decommissioning"
    DESTROYING = "destroying"
    SHIPPING = "shipping"
    RECEIVING = "receiving"


class Disposition(StrEnum):
    """The CBV 2.0 dispositions Jejak reports."""

    ACTIVE = "active"
    IN_PROGRESS = "in_progress"
    NON_SELLABLE_OTHER = "non_sellable_other"
    INACTIVE = "inactive"
    DESTROYED = "destroyed"
    IN_TRANSIT = "in_transit"
    RETURNED = "returned"
    RECALLED = "recalled"


@dataclass(frozen=True, slots=True)
class What:
    """An EPCIS event's business meaning: its type, action, step and disposition."""

    type: EventType
    action: Action
    step: Step | None
    disposition: Disposition | None


_OBJECT, _AGGREGATION = EventType.OBJECT, EventType.AGGREGATION
COMMISSION = What(_OBJECT, Action.ADD, Step.COMMISSIONING, Disposition.ACTIVE)
PACK = What(_AGGREGATION, Action.ADD, Step.PACKING, Disposition.IN_PROGRESS)
UNPACK = What(_AGGREGATION, Action.DELETE, Step.UNPACKING, None)
SAMPLE = What(_OBJECT, Action.OBSERVE, Step.SAMPLING, Disposition.NON_SELLABLE_OTHER)
DECOMMISSION = What(_OBJECT, Action.DELETE, Step.DECOMMISSIONING, Disposition.INACTIVE)
DESTROY = What(_OBJECT, Action.DELETE, Step.DESTROYING, Disposition.DESTROYED)
SHIP = What(_OBJECT, Action.OBSERVE, Step.SHIPPING, Disposition.IN_TRANSIT)
RETURN = What(_OBJECT, Action.OBSERVE, Step.RECEIVING, Disposition.RETURNED)
RECALL = What(_OBJECT, Action.OBSERVE, None, Disposition.RECALLED)
_TRANSITIONS = {CodeState.COMMISSIONED.label: COMMISSION, CodeState.INACTIVE.label: DECOMMISSION,
                CodeState.DESTROYED.label: DESTROY, CodeState.SAMPLED.label: SAMPLE,
                CodeState.RELEASED.label: SHIP}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Draft:
    """The EPCIS events of one business fact, before their identifiers are written out.

    An ObjectEvent names `refs` (packed code references, ascending). An AggregationEvent
    names, for each container in `parents`, the children at the same positions in `refs`
    (grouped by container, ascending); with no `refs`, each of `parents` (distinct) loses
    all of its children. `party`: the partner a shipment went to (``destinationList``) or
    came back from (``sourceList``), by its partner ID."""

    what: What
    refs: Refs
    parents: Refs | None = None
    party: tuple[str, str] | None = None


class Oracle(Protocol):
    """Which containers had been commissioned before an event."""

    def fresh(self, view: StoreView, containers: Refs, seq: int) -> Refs:
        """Those of `containers` (distinct) commissioned by no event before event `seq`."""

    def observe(self, view: StoreView, event: Event) -> None:
        """Learn from `event`, the next in log order (a replaying oracle)."""


def _commissioning(view: StoreView, event: Event) -> bool:
    """Whether an event in a container's history shows it commissioned by then."""
    what, data = event.what, event.data
    if what is EventKind.LINE_VERIFY:
        return bool(data.get("verdict") == "good")
    if what is EventKind.CODES_TRANSITION:
        return bool(data.get("to") == CodeState.COMMISSIONED.label)
    if what is EventKind.AGG_PACK:
        return bool(view.payload(event.seq))  # an empty pack commissions nothing
    return what.value.startswith(("agg.", "ship."))


class HistoryOracle:
    """The oracle of one event on its own: each container's history, from the event index."""

    __slots__ = ()

    def fresh(self, view: StoreView, containers: Refs, seq: int) -> Refs:
        found = [ref for ref in containers.tolist()
                 if not any(e.seq < seq and _commissioning(view, e)
                            for e in view.history(_code_ref(ref)))]  # fmt: skip
        return np.array(found, dtype=np.uint64)

    def observe(self, view: StoreView, event: Event) -> None:
        return None


class ReplayOracle:
    """The oracle of a walk through the whole log: which containers (secondary and tertiary
    codes) every event so far commissioned or showed commissioned."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[int, npt.NDArray[np.bool_]] = {}  # (batch id, level) -> by index

    def fresh(self, view: StoreView, containers: Refs, seq: int) -> Refs:
        if not containers.size:
            return containers
        known = np.zeros(containers.size, dtype=np.bool_)
        for head, positions, indices in _by_level(containers):
            seen = self._seen.get(head)
            if seen is not None:
                known[positions] = seen[indices]
        return containers[~known]

    def observe(self, view: StoreView, event: Event) -> None:
        what = event.what
        if what in (EventKind.LINE_VERIFY, EventKind.CODES_TRANSITION):
            if _commissioning(view, event) and event.data.get("level", "primary") != "primary":
                self._mark(view, own_codes(view, event))
        elif what.value.startswith("agg."):
            children, parents = _pairs(view, event)
            self._mark(view, np.concatenate((children, parents)))

    def _mark(self, view: StoreView, refs: Refs) -> None:
        refs = refs[((refs >> _HEAD) & np.uint64(0xFF)) > Level.PRIMARY]
        for head, _, indices in _by_level(refs):
            seen = self._seen.get(head)
            if seen is None:
                record = view.batch_by_id(head >> 8)
                count = record.level(Level(head & 0xFF)).count
                seen = self._seen[head] = np.zeros(count, dtype=np.bool_)
            seen[indices] = True


# Which events concern a batch --------------------------------------------------------------


def concerns(view: StoreView, event: Event, batches: Mapping[str, int]) -> bool:
    """Whether an audit event is about codes of `batches` (name -> batch id)."""
    data = event.data
    if event.what is EventKind.SHIP_SEND and any(b in batches for b in data.get("batches", ())):
        return True
    if "batch" in data:
        return data["batch"] in batches
    if event.what not in _HANDLERS or not event.what.value.startswith("agg."):
        return False
    ids = set(batches.values())
    children, parents = _pairs(view, event)
    touched = np.concatenate((children, parents)) >> np.uint64(40)
    if any(int(b) in ids for b in np.unique(touched).tolist()):
        return True
    if event.what in (EventKind.AGG_PACK, EventKind.AGG_UNPACK, EventKind.AGG_DISSOLVE):
        return False  # their pairs name every code they touched
    return any(ref.batch_id in ids for ref in _named(view, data))


def _named(view: StoreView, data: Mapping[str, Any]) -> list[CodeRef]:
    """The codes an agg.* event names by their HRI."""
    texts = [data[k] for k in _NAMING if data.get(k)] + list(data.get("codes", ()))
    return [resolve(view, text).ref for text in texts]


# The table ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    view: StoreView
    event: Event
    oracle: Oracle

    def fresh(self, containers: Refs) -> list[Draft]:
        """Commissioning of those of `containers` commissioned by nothing before."""
        found = self.oracle.fresh(self.view, _distinct(containers), self.event.seq)
        return [Draft(COMMISSION, found)] if found.size else []

    def one(self, key: str) -> Refs:
        return np.array([_packed(resolve(self.view, self.event.data[key]).ref)], np.uint64)


def drafts(view: StoreView, event: Event, oracle: Oracle) -> list[Draft]:
    """The EPCIS events an audit event maps to, in order (none for a kind that reports
    nothing)."""
    handler = _HANDLERS.get(event.what)
    found = [] if handler is None else handler(_Context(view, event, oracle))
    return [d for d in found if d.refs.size or d.parents is not None]


def _verify(c: _Context) -> list[Draft]:
    if c.event.data.get("verdict") != "good":
        return []  # a rejected label never entered the supply chain
    return [Draft(COMMISSION, own_codes(c.view, c.event))]


def _transition(c: _Context) -> list[Draft]:
    what = _TRANSITIONS.get(c.event.data.get("to", ""))
    return [] if what is None else [Draft(what, own_codes(c.view, c.event))]


def _line_sample(c: _Context) -> list[Draft]:
    return [Draft(SAMPLE, own_codes(c.view, c.event))]


def _ship(c: _Context) -> list[Draft]:
    data = c.event.data
    own = own_codes(c.view, c.event)
    if c.event.what is EventKind.SHIP_SEND:
        return [Draft(SHIP, own, party=("destinationList", str(data["to"])))]
    if c.event.what is EventKind.SHIP_RETURN:
        source = data.get("from")
        return [Draft(RETURN, own, party=None if not source else ("sourceList", str(source)))]
    return [Draft(RECALL, own)]


def _pack(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    if not children.size:
        return []
    return [*c.fresh(parents), Draft(PACK, children, parents)]


def _unpack(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    return [Draft(UNPACK, children, parents)] if children.size else []


def _replace(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    return [Draft(UNPACK, c.one("old"), parents), Draft(PACK, children, parents)]


def _reset(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    found = [Draft(UNPACK, _NONE, c.one("parent"))] if c.event.data.get("removed") else []
    if children.size:
        found += [*c.fresh(parents), Draft(PACK, children, parents)]
    return found


def _move(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    found = [Draft(UNPACK, children, c.one("from"))] if c.event.data.get("from") else []
    return [*found, *c.fresh(parents), Draft(PACK, children, parents)]


def _sample(c: _Context) -> list[Draft]:
    children, parents = _pairs(c.view, c.event)
    found = [Draft(UNPACK, children, parents)] if children.size else []
    data = c.event.data
    if "codes" in data:  # an event names every code it touched, up to 16
        named = np.array([_packed(r) for r in _named(c.view, {"codes": data["codes"]})],
                         dtype=np.uint64)  # fmt: skip
        packs = named[((named >> _HEAD) & np.uint64(0xFF)) == Level.PRIMARY]
    elif children.size + _distinct(parents).size == int(data["count"]):
        packs = children  # every sample was in a case
    else:
        raise _unnamed(c.event, "retained samples")
    return [*found, Draft(SAMPLE, _distinct(packs))]


def _destroy(c: _Context) -> list[Draft]:
    data = c.event.data
    root = c.one("root")
    found = [Draft(UNPACK, root, c.one("from"))] if data.get("from") else []
    if "codes" in data:
        named = [_packed(r) for r in _named(c.view, {"codes": data["codes"]})]
        was = set(c.one("from").tolist()) if data.get("from") else set()
        doomed = np.array([r for r in named if r not in was], dtype=np.uint64)
    else:
        doomed = _destroyed_with(c, int(root[0]), int(data["count"]) - len(found))
    return [*found, Draft(DESTROY, _distinct(doomed))]


def _destroyed_with(c: _Context, root: int, count: int) -> Refs:
    """The codes of the root's batch that this event destroyed: Destroyed now (a final
    state) with the event in their history."""
    view, seq = c.view, c.event.seq
    record = view.batch_by_id(root >> 40)
    found = []
    for allocation in record.levels:
        states = view.states(record, allocation.level)
        for index in np.flatnonzero(states == CodeState.DESTROYED).tolist():
            ref = CodeRef(record.batch_id, allocation.level, index)
            if any(e.seq == seq for e in view.history(ref)):
                found.append(_packed(ref))
    if len(found) != count:
        raise _unnamed(c.event, "destroyed codes")
    return np.array(found, dtype=np.uint64)


def _unnamed(event: Event, what: str) -> ReportRefused:
    return ReportRefused(
        f"Cannot name the {what} of event {event.seq} ({event.what.value}, "
        f"{event.data.get('count')!r} codes touched): expected them in its data or found "
        "through the store. Hint: report the codes one operation at a time, or run "
        "`jejak audit verify`."
    )


_Handler = Callable[[_Context], list[Draft]]
_HANDLERS: dict[EventKind, _Handler] = {
    EventKind.LINE_VERIFY: _verify,
    EventKind.CODES_TRANSITION: _transition,
    EventKind.LINE_SAMPLE: _line_sample,
    EventKind.AGG_PACK: _pack,
    EventKind.AGG_UNPACK: _unpack,
    EventKind.AGG_DISSOLVE: _unpack,
    EventKind.AGG_REPLACE: _replace,
    EventKind.AGG_SAMPLE: _sample,
    EventKind.AGG_RESET: _reset,
    EventKind.AGG_MOVE: _move,
    EventKind.AGG_DESTROY: _destroy,
    EventKind.SHIP_SEND: _ship,
    EventKind.SHIP_RETURN: _ship,
    EventKind.SHIP_RECALL: _ship,
}


# Codes of events ------------------------------------------------------------------------------


def own_codes(view: StoreView, event: Event) -> Refs:
    """The codes an event about codes of one batch level names (not those only entered in
    its history), as packed references, ascending."""
    data = event.data
    if "level" not in data:
        return _NONE  # an event about no codes (a change of none)
    record = view.batch(data["batch"])
    return pack_refs(record.batch_id, Level.parse(data["level"]), view.event_indices(event))


def _pairs(view: StoreView, event: Event) -> tuple[Refs, Refs]:
    """The (child, container) pairs an agg.* event linked or unlinked, grouped by container
    (ascending), each group's children ascending; read-only. The last event's are kept, by
    its hash (which covers its payload): the writer asks for them three times."""
    found = _last_pairs.get(event.hash)
    if found is not None:
        return found
    raw = view.payload(event.seq) or b""
    pairs = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 2)
    children, parents = pairs[:, 0], pairs[:, 1]
    same = parents[1:] == parents[:-1]
    if not bool(np.all((parents[1:] > parents[:-1]) | (same & (children[1:] > children[:-1])))):
        order = np.lexsort((children, parents))
        children, parents = children[order], parents[order]
    children, parents = np.ascontiguousarray(children), np.ascontiguousarray(parents)
    for part in (children, parents):
        part.flags.writeable = False
    _last_pairs.clear()
    _last_pairs[event.hash] = children, parents
    return children, parents


_last_pairs: dict[str, tuple[Refs, Refs]] = {}


def _by_level(refs: Refs) -> list[tuple[int, npt.NDArray[np.intp], npt.NDArray[np.int64]]]:
    """(batch id << 8 | level, positions, indices) for each batch level `refs` name."""
    heads = refs >> _HEAD
    found = []
    for head in np.unique(heads).tolist():
        positions = np.flatnonzero(heads == head)
        found.append((int(head), positions, (refs[positions] & _INDEX).astype(np.int64)))
    return found


def _distinct(refs: Refs) -> Refs:
    ordered = np.sort(refs)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if refs.size \
        else ordered  # fmt: skip


def _packed(ref: CodeRef) -> int:
    return pack_ref(ref.batch_id, ref.level, ref.index)


def _code_ref(ref: int) -> CodeRef:
    return CodeRef(ref >> 40, Level(ref >> 32 & 0xFF), ref & 0xFFFFFFFF)

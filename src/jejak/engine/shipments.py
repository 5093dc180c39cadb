"""Shipments, returns and recalls (Regulation 33/2018 annex H, K, L; Art. 12(2)(d)).

- `Shipping.ship`: outermost codes (a pallet, a loose case, a loose pack) leave for a partner;
  each, and everything inside it, becomes Released. A code inside a container is refused: ship
  its container, or take it out first (`jejak agg unpack`). The shipping report names the
  outermost codes only, as annex H asks when aggregation is used (`shipping_rows`).
- `Shipping.take_back`: shipped codes come back (a return, with its reason); each and
  everything inside it becomes Inactive. A pack returned out of a shipped case keeps its link:
  the manufacturer does not see the case broken up downstream.
- `Shipping.recall`: a batch is recalled (its reason, the recall letter); every Commissioned or
  Released code of the batch becomes Inactive, and `Recall.shipped` lists every shipped
  outermost code of the batch with its destination, for the notices.

Each operation is one unit of work: every code checked first, then all moved, or nothing. One
``ship.*`` event is written for each batch level of the codes named, about those codes (its
``batch``, ``level`` and indices); the codes inside them are entered in its history too. These
moves are the ones a closed batch still allows (`DISTRIBUTION_TARGETS`): products ship after
their batch is closed.

>>> PartnerId.parse(" PBF-0042 ").value
'PBF-0042'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import InvalidFormat, ShipmentRefused
from jejak.engine.store import (
    NO_PARENT,
    PARENTS,
    STATES,
    CodeRef,
    EventKind,
    Store,
    StoreView,
    UnitOfWork,
    pack_ref,
    sorted_unique,
)

__all__ = [
    "DISTRIBUTION_TARGETS",
    "PartnerId",
    "Reason",
    "Recall",
    "Refusal",
    "Return",
    "Shipment",
    "ShippedCode",
    "Shipping",
    "shipped",
]

DISTRIBUTION_TARGETS = frozenset({CodeState.RELEASED, CodeState.INACTIVE})
"""The states codes of a closed batch may still move to: shipped, returned or recalled."""

Refs = npt.NDArray[np.uint64]
_PARTNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")
_RECALLABLE = (CodeState.COMMISSIONED, CodeState.RELEASED)


class Refusal(IntEnum):
    """Why a shipment, return or recall is refused."""

    INSIDE_CONTAINER = 1  # a code in a case or pallet: ship the outermost container
    NOT_COMMISSIONED = 2  # a code (or one inside it) that is not Commissioned: not verified,
    # sampled, destroyed, or already shipped
    NOT_SHIPPED = 3  # a return of a code that is not Released
    REPEATED = 4  # the same code twice (or a code and its container)
    NOT_SERIALIZED = 5  # an identification batch: its packs share one code
    NOTHING = 6  # no codes named; a recall of a batch with nothing to recall
    UNKNOWN = 7  # a reference to no code of the store

    @property
    def label(self) -> str:
        return self.name.lower()


_HINTS = {
    Refusal.INSIDE_CONTAINER: "ship its outermost container (see it with `jejak agg show`), or "
    "take it out first with `jejak agg unpack`",
    Refusal.NOT_COMMISSIONED: "ship only verified (Commissioned) codes; see the code with "
    "`jejak codes lookup`",
    Refusal.NOT_SHIPPED: "only shipped (Released) codes come back; see the code with "
    "`jejak codes lookup`",
    Refusal.REPEATED: "name each code once, and a container without the codes inside it",
    Refusal.NOT_SERIALIZED: "identification products carry no serial to track",
    Refusal.NOTHING: "name at least one code",
    Refusal.UNKNOWN: "name codes of this store (see them with `jejak codes list`)",
}


def refusal(reason: Refusal, code: str, detail: str) -> ShipmentRefused:
    return ShipmentRefused(f"Cannot ship or take back {code!r}: {detail}. Hint: "
                           f"{_HINTS[reason]}.", reason=reason, code=code)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PartnerId:
    """A trading partner's ID as TTAC knows it (the ``ID rekanan`` of the reports)."""

    value: str

    @classmethod
    def parse(cls, value: object) -> PartnerId:
        text = value.strip() if isinstance(value, str) else None
        if text is None or not _PARTNER.fullmatch(text):
            raise InvalidFormat(
                f"Invalid partner ID {value!r}: expected 1 to 64 characters of letters, digits "
                "and . _ / -, beginning with a letter or digit. Hint: use the partner's ID "
                "from TTAC (ID rekanan)."
            )
        return cls(text)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why codes were returned or recalled: one line of text."""

    value: str

    @classmethod
    def parse(cls, value: object, *, what: str = "reason") -> Reason:
        text = value.strip() if isinstance(value, str) else None
        if not text or len(text) > 500 or not text.isprintable():
            shown = value if not isinstance(value, str) or len(value) < 80 else value[:60] + "…"
            raise InvalidFormat(
                f"Invalid {what} {shown!r}: expected 1 to 500 printable characters on one "
                "line. Hint: say it in a short sentence."
            )
        return cls(text)


@dataclass(frozen=True, slots=True)
class Shipment:
    """A shipment made: to whom, the outermost codes (HRI), how many codes became Released
    with them, the events that record it."""

    to: PartnerId
    outermost: tuple[str, ...]
    released: int
    events: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Return:
    codes: tuple[str, ...]
    inactivated: int
    events: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ShippedCode:
    """An outermost code as it was shipped: its HRI, its destination, when."""

    code: str
    to: str
    at: str
    event: int


@dataclass(frozen=True, slots=True)
class Recall:
    batch: str
    reason: str
    inactivated: int
    shipped: tuple[ShippedCode, ...]
    events: tuple[int, ...]


class Shipping:
    """Shipments, returns and recalls over a store, each one unit of work by `actor`."""

    def __init__(self, store: Store, *, actor: str) -> None:
        self.store, self.actor = store, actor

    def ship(self, codes: Sequence[CodeRef], to: PartnerId) -> Shipment:
        """Ship outermost `codes` to `to`: they and everything inside them become Released."""
        with self.store.unit_of_work(self.actor) as uow:
            named = _named(uow, codes)
            parents = _column(uow, PARENTS, named)
            inside = np.flatnonzero(parents != NO_PARENT)
            if inside.size:
                at = int(inside[0])
                raise refusal(Refusal.INSIDE_CONTAINER, _hri(uow, int(named[at])),
                              f"it is in {_hri(uow, int(parents[at]))!r}")  # fmt: skip
            below = _below(uow, named)
            every = np.concatenate((named, below))
            _require(uow, every, (CodeState.COMMISSIONED,), Refusal.NOT_COMMISSIONED)
            batch_ids = np.unique(every >> np.uint64(40)).tolist()
            batches = sorted(uow.batch_by_id(int(b)).batch for b in batch_ids)
            data = {"to": to.value, "batches": batches}
            events = _record(uow, EventKind.SHIP_SEND, data, named, below)
            _move(uow, every, CodeState.RELEASED)
            outermost = tuple(_hri(uow, int(ref)) for ref in named)
        return Shipment(to, outermost, int(named.size + below.size), events)

    def take_back(self, codes: Sequence[CodeRef], reason: Reason, *,
                  from_partner: PartnerId | None = None) -> Return:  # fmt: skip
        """Shipped `codes` come back: they and everything inside them become Inactive."""
        with self.store.unit_of_work(self.actor) as uow:
            named = _named(uow, codes)
            below = _below(uow, named)
            _require(uow, np.concatenate((named, below)), (CodeState.RELEASED,),
                     Refusal.NOT_SHIPPED)  # fmt: skip
            data = {"reason": reason.value,
                    "from": from_partner.value if from_partner else None}  # fmt: skip
            events = _record(uow, EventKind.SHIP_RETURN, data, named, below)
            _move(uow, np.concatenate((named, below)), CodeState.INACTIVE)
            returned = tuple(_hri(uow, int(ref)) for ref in named)
        return Return(returned, int(named.size + below.size), events)

    def recall(self, batch: str, reason: Reason, *, letter: str | None = None) -> Recall:
        """Recall `batch`: its Commissioned and Released codes become Inactive."""
        with self.store.unit_of_work(self.actor) as uow:
            record = uow.batch(batch)
            _check_serialized(record, batch)
            data = {"reason": reason.value, "letter": letter}
            events, count = [], 0
            for allocation in record.levels:
                states = uow.states(record, allocation.level)
                indices = np.flatnonzero(np.isin(states, _RECALLABLE)).astype(np.int64)
                if not indices.size:
                    continue
                uow.move(record, allocation.level, indices, CodeState.INACTIVE, check_open=False)
                events.append(uow.event(EventKind.SHIP_RECALL, data, batch=record,
                                        level=allocation.level, indices=indices).seq)  # fmt: skip
                count += int(indices.size)
            if not events:
                raise refusal(Refusal.NOTHING, batch, "it has no Commissioned or Released code "
                              "to recall")  # fmt: skip
            listing = tuple(shipped(uow, record))
        return Recall(record.batch, reason.value, count, listing, tuple(events))


# Reads ----------------------------------------------------------------------------------------


def shipped(view: StoreView, record: BatchRecord) -> Iterator[ShippedCode]:
    """Every outermost code shipped with codes of `record` in it, with its destination, in
    the order they were shipped (this walks the audit log: a recall is rare)."""
    for event in view.events():
        if event.what is not EventKind.SHIP_SEND or record.batch not in event.data["batches"]:
            continue
        shipped_batch = view.batch(event.data["batch"])
        level = Level.parse(event.data["level"])
        for index in view.event_indices(event).tolist():
            yield ShippedCode(view.code(shipped_batch, level, index).hri, event.data["to"],
                              event.time, event.seq)  # fmt: skip


# Plumbing -------------------------------------------------------------------------------------


def _named(uow: UnitOfWork, codes: Sequence[CodeRef]) -> Refs:
    """The codes named, as packed references in order; refused when none, repeated, or of an
    identification batch."""
    if not codes:
        raise refusal(Refusal.NOTHING, "", "no codes were named")
    named = np.array([pack_ref(c.batch_id, c.level, c.index) for c in codes], dtype=np.uint64)
    ordered = np.sort(named)
    repeated = np.flatnonzero(ordered[1:] == ordered[:-1])
    if repeated.size:
        raise refusal(Refusal.REPEATED, _hri(uow, int(ordered[repeated[0]])), "it is named "
                      "twice")  # fmt: skip
    for batch_id, level, indices, _ in _groups(named):
        record = uow.batch_by_id(batch_id)
        _check_serialized(record, record.batch)
        count = record.level(level).count
        if int(indices[-1]) >= count:
            raise refusal(Refusal.UNKNOWN, f"{record.batch}/{level.name.lower()}/"
                          f"{int(indices[-1])}", f"the batch has {count:,} {level.name.lower()} "
                          "codes")  # fmt: skip
    return named


def _check_serialized(record: BatchRecord, name: str) -> None:
    if record.level(Level.PRIMARY).source is CodeSource.IDENTIFICATION:
        raise refusal(Refusal.NOT_SERIALIZED, name, f"batch {record.batch!r} is an "
                      "identification batch")  # fmt: skip


def _below(uow: UnitOfWork, named: Refs) -> Refs:
    """Every code inside `named`, level by level down; refused when one is named too."""
    found, frontier = [], named[(named >> np.uint64(32) & np.uint64(0xFF)) != Level.PRIMARY]
    while frontier.size:
        held = uow.children_of(np.unique(frontier))
        layer = np.concatenate(list(held.values())) if held else np.zeros(0, np.uint64)
        found.append(layer)
        frontier = layer[(layer >> np.uint64(32) & np.uint64(0xFF)) != Level.PRIMARY]
    below = np.concatenate(found) if found else np.zeros(0, dtype=np.uint64)
    both = np.flatnonzero(np.isin(named, below))
    if both.size:
        raise refusal(Refusal.REPEATED, _hri(uow, int(named[both[0]])), "it is named with "
                      "its container")  # fmt: skip
    return below


def _groups(refs: Refs) -> Iterator[tuple[int, Level, npt.NDArray[np.int64],
                                          npt.NDArray[np.intp]]]:  # fmt: skip
    """(batch id, level, sorted indices, their positions in `refs`) for each batch level."""
    heads = refs >> np.uint64(32)
    for head in np.unique(heads).tolist():
        positions = np.flatnonzero(heads == head)
        indices = (refs[positions] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        order = np.argsort(indices, kind="stable")
        yield head >> 8, Level(head & 0xFF), indices[order], positions[order]


def _column(uow: UnitOfWork, column: Any, refs: Refs) -> Any:
    out = np.zeros(refs.size, dtype=column.dtype)
    for batch_id, level, indices, positions in _groups(refs):
        out[positions] = uow.values(column, uow.batch_by_id(batch_id), level, indices)
    return out


def _require(uow: UnitOfWork, refs: Refs, states: tuple[CodeState, ...],
             reason: Refusal) -> None:  # fmt: skip
    found = _column(uow, STATES, refs)
    bad = np.flatnonzero(~np.isin(found, states))
    if bad.size:
        at = int(bad[0])
        want = " or ".join(s.label for s in states)
        raise refusal(reason, _hri(uow, int(refs[at])),
                      f"it is {CodeState(int(found[at])).label}, not {want}")  # fmt: skip


def _record(uow: UnitOfWork, kind: EventKind, data: dict[str, Any], named: Refs,
            below: Refs) -> tuple[int, ...]:  # fmt: skip
    """One event for each batch level of `named`, about those codes; the codes below are
    entered in the history of the first (a shipment of codes of one batch level, the usual
    case, has one event)."""
    events = []
    for batch_id, level, indices, _ in _groups(named):
        events.append(uow.event(kind, data, batch=uow.batch_by_id(batch_id), level=level,
                                indices=sorted_unique(indices)))  # fmt: skip
    for batch_id, level, indices, _ in _groups(below):
        uow.index(events[0], uow.batch_by_id(batch_id), level, sorted_unique(indices))
    return tuple(event.seq for event in events)


def _move(uow: UnitOfWork, refs: Refs, target: CodeState) -> None:
    """Move codes to one of `DISTRIBUTION_TARGETS`, in open and closed batches alike."""
    for batch_id, level, indices, _ in _groups(refs):
        uow.move(uow.batch_by_id(batch_id), level, indices, target, check_open=False)


def _hri(view: StoreView, ref: int) -> str:
    record = view.batch_by_id(ref >> 40)
    return view.code(record, Level(ref >> 32 & 0xFF), ref & 0xFFFFFFFF).hri

"""What an outbox record says: the facts of one reportable activity, read inside the unit of
work that records it, as the JSON body the regulator's API receives (see `jejak.engine.outbox`).

`report(view, event, codes, form)` reads the event (its data, the (child, container) pairs of
its payload) and the codes it was entered under, and returns a `Report`: the topic, the rows
(usage-report facts keyed by `usage.FIELDS`; shipping facts keyed by `shipping.KEYS`), the
aggregation links added and removed, and the facts of a recall. Codes are written in the
site's form (HRI by default), formatted a batch level at a time. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.report.shipping import KEYS as SHIPPING_KEYS
from jejak.engine.report.usage import FIELDS, STATUS_OF, UsageStatus
from jejak.engine.store import NO_PARENT, PARENTS, STATES, Event, EventKind, StoreView
from jejak.engine.store.unit_of_work import Codes

__all__ = ["REPORTED", "Report", "Topic", "report"]

Refs = npt.NDArray[np.uint64]
_Indices = npt.NDArray[np.int64]
FEW = 40  # codes formatted one at a time (about 0.1 ms each); more in one bulk call
_USAGE_KEYS = tuple(f.key for f in FIELDS)
_RETURN_KEYS = tuple(k for k in SHIPPING_KEYS if k != "destination_id")
_LEVEL_KEY = {Level.PRIMARY: "primary_code", Level.SECONDARY: "secondary_code",
              Level.TERTIARY: "tertiary_code"}  # fmt: skip
_LEVEL_NAMES = np.array(
    [Level(i).name.lower() if i in {int(v) for v in Level} else "" for i in range(256)],
    dtype=object,
)  # level byte -> its name
_FLAGS = {status: {"active": status is UsageStatus.ACTIVE,
                   "retained_sample": status is UsageStatus.RETAINED_SAMPLE,
                   "reject": status is UsageStatus.REJECT} for status in UsageStatus}  # fmt: skip


class Topic(StrEnum):
    """What a record reports; the API operation it goes to (``POST <base>/<topic>``)."""

    USAGE = "usage"  # codes' status: active, retained sample or reject (annex G)
    AGGREGATION = "aggregation"  # parent-child links added and removed (annex G)
    SHIPMENT = "shipment"  # outermost codes sent to a trading partner (annex H)
    RETURN = "return"  # shipped codes come back, with the reason (annex K)
    RECALL = "recall"  # a batch recalled, with the reason and the letter (annex L)


@dataclass(slots=True)
class Report:
    """One activity's report: its topic and facts (before it is cut into parts)."""

    topic: Topic
    rows: list[dict[str, Any]] = field(default_factory=list)
    add: list[dict[str, str]] = field(default_factory=list)
    remove: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.rows or self.add or self.remove or self.facts)


_Builder = Callable[[StoreView, Event, Codes, CodeForm], Report | None]


def report(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report | None:
    """The report of `event` (None: it reports nothing, as a reject of no code)."""
    builder = _BUILDERS.get(event.what)
    if builder is None:
        return None
    found = builder(view, event, codes, form)
    return None if found is None or found.empty else found


# Usage: codes' status ------------------------------------------------------------------------


def _verify(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    status = UsageStatus.ACTIVE if event.data["verdict"] == "good" else UsageStatus.REJECT
    return Report(Topic.USAGE, _usage_rows(view, codes, form, status=status))


def _sample(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    return Report(Topic.USAGE, _usage_rows(view, codes, form, status=UsageStatus.RETAINED_SAMPLE))


def _print_failed(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    """A failed print scraps the label (LabelScrapped): a reject in the usage report."""
    scrapped = _in_state(view, codes, (CodeState.LABEL_SCRAPPED,))
    return Report(Topic.USAGE, _usage_rows(view, scrapped, form, status=UsageStatus.REJECT))


def _transition(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report | None:
    """A change made by hand (`jejak codes mark`): reported when its target is a status the
    usage report says (a release without a destination is no shipment: not reported)."""
    target = CodeState.parse(event.data["to"])
    status = STATUS_OF.get(target)
    if status is None or target is CodeState.RELEASED:
        return None
    return Report(Topic.USAGE, _usage_rows(view, codes, form, status=status,
                                           containers=status is UsageStatus.ACTIVE))  # fmt: skip


def _agg_sample(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    """Packs taken out of their cases as retained samples: their status, and the links gone."""
    children, parents = _pairs(view, event)
    packs: Codes = [(r, lv, i) for r, lv, i in codes if lv is Level.PRIMARY]
    found = Report(Topic.USAGE, _usage_rows(view, packs, form, status=UsageStatus.RETAINED_SAMPLE))
    found.remove = _links(view, children, parents, form)
    return found


def _agg_destroy(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    """A code destroyed with everything inside it: the packs as rejects, and the link to the
    container it was in (the links inside went with the codes)."""
    destroyed = _in_state(view, codes, (CodeState.DESTROYED,))
    packs: Codes = [(r, lv, i) for r, lv, i in destroyed if lv is Level.PRIMARY]
    found = Report(Topic.USAGE, _usage_rows(view, packs, form, status=UsageStatus.REJECT))
    touched = _refs(codes)
    gone = _refs(destroyed)
    was = np.setdiff1d(touched, gone)
    if was.size:
        root = _ref_of(view, event.data["root"], gone)
        found.remove = _links(view, np.array([root], dtype=np.uint64), was[:1], form)
    found.facts = {"destroyed": _code_list(view, gone, form)}
    return found


def _usage_rows(view: StoreView, codes: Codes, form: CodeForm, *, status: UsageStatus,
                containers: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """A usage row for each primary code of `codes`; their case and pallet when `containers`
    (else none: a code just commissioned, sampled or rejected is in no case)."""
    rows: list[dict[str, Any]] = []
    for record, level, indices in codes:
        if level is not Level.PRIMARY or not indices.size or record.identification is not None:
            continue
        facts = _batch_facts(view, record)
        texts = _texts(view, record, level, indices, form)
        cases: list[str | None] = [None] * len(texts)
        pallets: list[str | None] = [None] * len(texts)
        if containers:
            cases, pallets = _containers(view, record, indices, form)
        for text, case, pallet in zip(texts, cases, pallets, strict=True):
            row = {"partner_id": None, "packaging": facts["packaging"], "primary_code": text,
                   "secondary_code": case, "tertiary_code": pallet, "nie": facts["nie"],
                   "expiry": facts["expiry"], "batch": facts["batch"], "gtin": facts["gtin"],
                   **_FLAGS[status]}  # fmt: skip
            rows.append({key: row[key] for key in _USAGE_KEYS})
    return rows


def _containers(view: StoreView, record: BatchRecord, indices: _Indices,
                form: CodeForm) -> tuple[list[str | None], list[str | None]]:  # fmt: skip
    cases = view.values(PARENTS, record, Level.PRIMARY, indices).astype(np.uint64)
    pallets = _parents(view, cases)
    return _optional_texts(view, cases, form), _optional_texts(view, pallets, form)


# Aggregation -----------------------------------------------------------------------------------


def _agg_links(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    """Links added (pack, reset, replace, move) and removed (unpack, dissolve, replace, move,
    reset): a reset adds every child the container holds now."""
    children, parents = _pairs(view, event)
    found = Report(Topic.AGGREGATION)
    if event.what in (EventKind.AGG_UNPACK, EventKind.AGG_DISSOLVE):
        found.remove = _links(view, children, parents, form)
        return found
    found.add = _links(view, children, parents, form)
    touched = _refs(codes)
    if event.what is EventKind.AGG_REPLACE or event.what is EventKind.AGG_RESET:
        left = np.setdiff1d(touched, np.concatenate((children, parents[:1])))
        found.remove = _links(view, left, np.full(left.size, parents[0], np.uint64), form)
    elif event.what is EventKind.AGG_MOVE:
        was = np.setdiff1d(touched, np.concatenate((children, parents)))
        if was.size:
            found.remove = _links(view, children, was, form)
    return found


def _links(view: StoreView, children: Refs, parents: Refs, form: CodeForm) -> list[dict[str, str]]:
    if not children.size:
        return []
    kids, holders = _code_list(view, children, form), _code_list(view, parents, form)
    below, above = (_LEVEL_NAMES[(refs >> np.uint64(32)) & np.uint64(0xFF)].tolist()
                    for refs in (children, parents))  # fmt: skip
    return [
        {"parent": holder, "parent_level": up, "child": kid, "child_level": down}
        for kid, holder, down, up in zip(kids, holders, below, above, strict=True)
    ]


def _pairs(view: StoreView, event: Event) -> tuple[Refs, Refs]:
    """The (child, container) pairs an aggregation event's payload lists."""
    raw = view.payload(event.seq) or b""
    pairs = np.frombuffer(raw, dtype=">u8").astype(np.uint64).reshape(-1, 2)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


# Shipments, returns, recalls --------------------------------------------------------------------


def _ship(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    """The outermost codes shipped (the codes inside them are in the event's history, not in
    its report: annex H names the outermost only)."""
    own = codes[:1]  # the event's own codes; the rest were entered under it with `index`
    rows = _shipping_rows(view, own, form, SHIPPING_KEYS, {"destination_id": event.data["to"]})
    return Report(Topic.SHIPMENT, rows, facts={"destination_id": event.data["to"]})


def _return(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report:
    rows = _shipping_rows(view, codes[:1], form, _RETURN_KEYS, {})
    return Report(Topic.RETURN, rows, facts={"reason": event.data["reason"],
                                             "from": event.data.get("from")})  # fmt: skip


def _recall(view: StoreView, event: Event, codes: Codes, form: CodeForm) -> Report | None:
    if not codes:
        return None
    record, level, indices = codes[0]
    facts = _batch_facts(view, record)
    return Report(Topic.RECALL, facts={
        "batch": record.batch, "nie": facts["nie"], "gtin": facts["gtin"],
        "expiry": facts["expiry"], "reason": event.data["reason"],
        "letter": event.data.get("letter"), "level": level.name.lower(),
        "count": int(indices.size)})  # fmt: skip


def _shipping_rows(view: StoreView, codes: Codes, form: CodeForm, keys: Sequence[str],
                   extra: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    for record, level, indices in codes:
        facts = _batch_facts(view, record)
        for text in _texts(view, record, level, indices, form):
            row: dict[str, Any] = dict.fromkeys(_LEVEL_KEY.values())
            row.update(facts, partner_id=None, **extra)
            row[_LEVEL_KEY[level]] = text
            rows.append({key: row[key] for key in keys})
    return rows


_BUILDERS: dict[EventKind, _Builder] = {
    EventKind.LINE_VERIFY: _verify,
    EventKind.LINE_SAMPLE: _sample,
    EventKind.PRINT_FAILED: _print_failed,
    EventKind.CODES_TRANSITION: _transition,
    EventKind.AGG_PACK: _agg_links,
    EventKind.AGG_UNPACK: _agg_links,
    EventKind.AGG_REPLACE: _agg_links,
    EventKind.AGG_RESET: _agg_links,
    EventKind.AGG_DISSOLVE: _agg_links,
    EventKind.AGG_MOVE: _agg_links,
    EventKind.AGG_SAMPLE: _agg_sample,
    EventKind.AGG_DESTROY: _agg_destroy,
    EventKind.SHIP_SEND: _ship,
    EventKind.SHIP_RETURN: _return,
    EventKind.SHIP_RECALL: _recall,
}
REPORTED = frozenset(_BUILDERS)
"""The event kinds that may report something (`report` decides on the event itself)."""


# Plumbing ---------------------------------------------------------------------------------------


def _batch_facts(view: StoreView, record: BatchRecord) -> dict[str, Any]:
    product = view.product(record.nie)
    return {"packaging": product.packaging, "nie": record.nie,
            "expiry": record.expiry.isoformat(), "batch": record.batch,
            "gtin": product.gtin or None}  # fmt: skip


def _texts(view: StoreView, record: BatchRecord, level: Level, indices: _Indices,
           form: CodeForm) -> list[str]:  # fmt: skip
    """The codes at `indices` in `form`: one at a time for a few (the line's group commits:
    the bulk formatter's parallel launch costs milliseconds), in bulk for many."""
    if form is CodeForm.SERIAL:
        return [view.serial(record, level, int(i)) for i in indices.tolist()]
    if indices.size <= FEW:
        codes = [view.code(record, level, int(i)) for i in indices.tolist()]
        return [c.hri if form is CodeForm.HRI else c.raw for c in codes]
    return [t.decode("ascii") for t in code_texts(view, record, level, indices, form=form)]


def _groups(refs: Refs) -> Iterator[tuple[int, Level, npt.NDArray[np.intp], _Indices]]:
    """(batch id, level, positions in `refs`, indices) for each batch level `refs` name."""
    heads = refs >> np.uint64(32)
    for head in np.unique(heads).tolist():
        positions = np.flatnonzero(heads == head)
        yield head >> 8, Level(head & 0xFF), positions, (refs[positions] & np.uint64(
            0xFFFFFFFF)).astype(np.int64)  # fmt: skip


def _code_list(view: StoreView, refs: Refs, form: CodeForm) -> list[str]:
    """The code each of `refs` (packed references) names, in order."""
    out = [""] * refs.size
    for batch_id, level, positions, indices in _groups(refs):
        record = view.batch_by_id(batch_id)
        for at, text in zip(positions.tolist(), _texts(view, record, level, indices, form),
                            strict=True):  # fmt: skip
            out[at] = text
    return out


def _optional_texts(view: StoreView, refs: Refs, form: CodeForm) -> list[str | None]:
    texts: list[str | None] = [None] * refs.size
    held = np.flatnonzero(refs != NO_PARENT)
    for at, text in zip(held.tolist(), _code_list(view, refs[held], form), strict=True):
        texts[at] = text
    return texts


def _parents(view: StoreView, refs: Refs) -> Refs:
    out = np.zeros(refs.size, dtype=np.uint64)
    held = np.flatnonzero(refs != NO_PARENT)
    for batch_id, level, positions, indices in _groups(refs[held]):
        record = view.batch_by_id(batch_id)
        out[held[positions]] = view.values(PARENTS, record, level, indices)
    return out


def _refs(codes: Codes) -> Refs:
    """The codes as packed references, sorted and distinct."""
    parts = [(np.uint64(r.batch_id) << np.uint64(40)) | (np.uint64(int(lv)) << np.uint64(32))
             | i.astype(np.uint64) for r, lv, i in codes]  # fmt: skip
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.uint64)


def _in_state(view: StoreView, codes: Codes, states: tuple[CodeState, ...]) -> Codes:
    """The part of `codes` in one of `states` now."""
    found = []
    for record, level, indices in codes:
        now = view.values(STATES, record, level, indices)
        keep = indices[np.isin(now, states)]
        if keep.size:
            found.append((record, level, keep))
    return found


def _ref_of(view: StoreView, hri: str, candidates: Refs) -> int:
    """The reference among `candidates` whose HRI is `hri` (the root of a destruction)."""
    texts = _code_list(view, candidates, CodeForm.HRI)
    return int(candidates[texts.index(hri)]) if hri in texts else int(candidates[0])

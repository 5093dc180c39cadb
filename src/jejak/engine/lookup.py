"""Find a scanned code in the store: its batch, level, index, state and complete history.

The store resolves the read (`Store.resolve`: inverse permutation and a range scan for
self-issued serials, the ``issued`` index for BPOM-issued codes) and the event index gives every
event about the code: its batch opened, drawn for a printer, printed / failed / unknown, and
each later state. A code whose batch or expiry differs from its batch's record is found, with a
warning: that is a misprint or a counterfeit.
"""

from __future__ import annotations

from dataclasses import dataclass

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.gs1 import AI, ElementString
from jejak.engine.store import CodeRef, Event, Store, resolve

__all__ = ["CodeInfo", "lookup"]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    batch: BatchRecord
    level: Level
    index: int
    state: CodeState
    code: ElementString
    history: tuple[Event, ...]
    warnings: tuple[str, ...]
    ref: CodeRef


def lookup(store: Store, data: str) -> CodeInfo:
    """Look up raw, HRI or symbology-prefixed data, or a bare serial (searched in every scope)."""
    with store.view() as view:
        found = resolve(view, data)
        record, ref = found.record, found.ref
        state = view.state_of(record, ref.level, ref.index)
        history = view.history(ref)
    code = found.code
    warnings = []
    for ai in (AI.BATCH, AI.EXPIRY):
        scanned = found.scanned.get(ai.value)
        if scanned is not None and ai in code and scanned != code[ai]:
            warnings.append(
                f"Mismatch: the scanned code carries ({ai.value}) {scanned!r}, but its "
                f"serial belongs to batch {record.batch!r} with {code[ai]!r}."
            )
    return CodeInfo(record, ref.level, ref.index, state, code, history, tuple(warnings), ref)

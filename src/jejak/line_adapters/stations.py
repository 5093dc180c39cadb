"""Aggregation stations: the case packer and the palletizer.

A station closes one container at a time. Its labeller (a print-and-apply Zebra, over ZPL)
prints the container's label: the next code of the level is drawn through the print ledger
(Encoded, sent) and confirmed printed by the printer's ``~HS`` counters, as on the line. A
camera over the open container photographs each layer — one frame with many labels, decoded at
once by the software reader (zxing-cpp reads every symbol in a frame) — and, with the last
layer, the container's own label. Closing the container resolves every read through the store
and verifies it before anything is linked:

- every child the packer put in was read (a label not read is a pack nobody can account for);
- exactly one label of the container's level was read, and it is the one the labeller printed;
- each child is a code of this store (`unknown`: a counterfeit alarm), of the level below, of
  this batch (pallets of several batches only where the site allows), Commissioned, in no
  other container, and they fit the batch's capacity (Art. 8).

A refusal raises an alarm (logged, counted, returned with its `Rule`) and links nothing: the
container goes to QA for rework. The case packer packs primaries into secondaries, the
palletizer secondaries into tertiaries; the last container of a batch closes as partial.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from jejak.engine.aggregation import Aggregation, Rule
from jejak.engine.codes import Level
from jejak.engine.errors import AggregationRefused, DeviceFault, JejakError
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import CodeRef, Store
from jejak.line_adapters.camera.reader import SoftwareReader
from jejak.printers.device import Failed, Job, PrintDevice, Printed
from jejak.printers.symbols import Decoded, SymbolKind

__all__ = ["Closed", "Labeller", "Station", "StationKind"]

_log = logging.getLogger(__name__)


class StationKind(StrEnum):
    CASE_PACKER = "case_packer"  # packs into cases
    PALLETIZER = "palletizer"  # cases onto pallets

    @property
    def level(self) -> Level:
        """The level of the containers it closes."""
        return Level.SECONDARY if self is StationKind.CASE_PACKER else Level.TERTIARY


@dataclass(frozen=True, slots=True)
class Closed:
    """What closing one container came to: linked, or refused (with the rule and why)."""

    container: str  # its code (HRI); empty when its label was not read
    children: int
    partial: bool = False
    refused: Rule | None = None
    detail: str = ""

    @property
    def linked(self) -> bool:
        return self.refused is None


class Labeller:
    """A station's label printer: one container code at a time, drawn and confirmed through
    the print ledger (so a container code, like a pack's, is never printed twice)."""

    def __init__(self, store: Store, batch: str, level: Level, device: PrintDevice, *,
                 name: str, actor: str) -> None:  # fmt: skip
        self.store, self.level, self.device, self.name, self.actor = (
            store, level, device, name, actor)  # fmt: skip
        self.record = store.batch(batch)
        self.ledger = PrintLedger(store, batch, level)
        self.loaded: int | None = None  # the code index in the printer, not printed yet

    def load(self) -> CodeRef:
        """Send the next container code to the printer (Encoded, sent)."""
        drawn = self.ledger.take([(self.name, 1)], actor=self.actor)[0]
        if not drawn.size:
            raise DeviceFault(
                f"The {self.level.name.lower()} codes of batch {self.record.batch!r} are used "
                f"up: no label for the next container. Hint: open the batch with a larger "
                "overage, or close it."
            )
        index = int(drawn[0])
        with self.store.view() as view:
            raw = code_texts(view, self.record, self.level, drawn)[0]
        self.device.send([Job(index, raw)])
        self.loaded = index
        return CodeRef(self.record.batch_id, self.level, index)

    def confirm(self, timeout: float = 10.0) -> bool:
        """Wait for the printer's answer for the loaded label; whether it printed."""
        index, deadline = self.loaded, time.monotonic() + timeout
        if index is None:
            return False
        outcome = PrintOutcome.UNKNOWN
        while time.monotonic() < deadline:
            events = self.device.poll(0.05)
            done = [e for e in events if isinstance(e, Printed | Failed) and e.job == index]
            if done:
                answer = done[0]
                outcome = PrintOutcome.PRINTED if isinstance(answer, Printed) else \
                    PrintOutcome.FAILED if answer.known else PrintOutcome.UNKNOWN  # fmt: skip
                break
        self.ledger.settle([(self.name, outcome, np.array([index]))], actor=self.actor)
        self.loaded = None
        return outcome is PrintOutcome.PRINTED


@dataclass(slots=True)
class _Open:
    """The container being filled: its label's code and what the camera read so far."""

    code: CodeRef
    reads: list[Decoded] = field(default_factory=list)


class Station:
    """A case packer or palletizer of one batch (see the module). `children_symbol` is the
    kind of symbol on the children's labels, `label_symbol` on the container's."""

    def __init__(self, store: Store, batch: str, kind: StationKind, labeller: Labeller, *,
                 children_symbol: SymbolKind, label_symbol: SymbolKind, actor: str,
                 mixed_pallets: bool = False) -> None:  # fmt: skip
        self.store, self.kind, self.labeller, self.actor = store, kind, labeller, actor
        self.record = store.batch(batch)
        self.aggregation = Aggregation(store, actor=actor, mixed_pallets=mixed_pallets)
        kinds = {children_symbol, label_symbol}
        self._readers = [SoftwareReader(k) for k in sorted(kinds, key=lambda k: k.value)]
        self._open: _Open | None = None
        self.linked: list[Closed] = []
        self.refused: list[Closed] = []

    def open(self) -> CodeRef:
        """Start a container: its label goes to the labeller."""
        self._open = _Open(self.labeller.load())
        return self._open.code

    def photograph(self, frame: NDArray[np.uint8], *, expect: int) -> int:
        """A frame of the open container (a layer, with its label on the last): decode every
        symbol in it; how many were read."""
        if self._open is None:
            raise DeviceFault(f"The {self.kind.value} has no open container to photograph. "
                              "Hint: open() one first.")  # fmt: skip
        found: list[Decoded] = []
        for reader in self._readers:
            found += reader.read(frame, expect=expect)
        self._open.reads.extend(found)
        return len(found)

    def close(self, packed: int, *, partial: bool = False) -> Closed:
        """Verify what was read against the `packed` children the packer put in, and link
        them; or refuse, link nothing and raise the alarm."""
        current, self._open = self._open, None
        if current is None:
            raise DeviceFault(f"The {self.kind.value} has no open container to close.")
        try:
            closed = self._link(current, packed, partial)
        except AggregationRefused as refusal:
            rule = refusal.rule if isinstance(refusal.rule, Rule) else Rule.UNKNOWN
            closed = self._refuse(current, packed, rule, str(refusal))
        (self.linked if closed.linked else self.refused).append(closed)
        return closed

    def _link(self, current: _Open, packed: int, partial: bool) -> Closed:
        label = self.kind.level
        container: CodeRef | None = None
        children: list[CodeRef] = []
        for read in current.reads:
            ref = self._resolve(read)
            if ref.level is label:
                if container is not None and ref != container:
                    return self._refuse(current, packed, Rule.REPEATED,
                                        "two container labels in one container")  # fmt: skip
                container = ref
            else:
                children.append(ref)
        if container != current.code:
            what = "no container label was read" if container is None else \
                "the container label read is not the one its labeller printed"  # fmt: skip
            return self._refuse(current, packed, Rule.NO_READ, what)
        if len(children) != packed:
            return self._refuse(current, packed, Rule.NO_READ,
                                f"{len(children)} labels read of {packed} packed")  # fmt: skip
        self.aggregation.pack(container, children, partial=partial)
        with self.store.view() as view:
            name = view.code(self.record, label, container.index).hri
        return Closed(name, len(children), partial=partial)

    def _resolve(self, read: Decoded) -> CodeRef:
        text = read.data.decode("ascii", errors="replace")
        try:
            prefix = "" if read.symbology is None else read.symbology.value
            return self.store.resolve(prefix + text).ref
        except (JejakError, ValueError):  # UnknownCode among them
            raise AggregationRefused(
                f"Cannot aggregate {text!r}: no code of this store; only codes this store "
                "issued are aggregated. Hint: a counterfeit suspect; take the container to QA.",
                rule=Rule.UNKNOWN, code=text,
            ) from None  # fmt: skip

    def _refuse(self, current: _Open, packed: int, rule: Rule, detail: str) -> Closed:
        with self.store.view() as view:
            name = view.code(self.record, self.kind.level, current.code.index).hri
        _log.warning("%s alarm on %s: %s (%s); nothing linked", self.kind.value, name,
                     rule.label, detail)  # fmt: skip
        return Closed(name, packed, refused=rule, detail=detail)

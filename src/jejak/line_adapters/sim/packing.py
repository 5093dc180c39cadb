"""The end of a simulated line: a case packer and a palletizer with real labellers and pixels.

Packs leave the line's good bin for the case packer; the retained samples the line took are
pulled out first (QA reads their labels, as a sampling operator does). For each case the
case packer's labeller — a Zebra simulator on loopback, driven over ZPL like the line's printer
— prints the next case code on the case; the camera over the open case photographs each layer
of pack labels (the labels the line's printer put on those very packs, as pixels, with sensor
noise), the case label with the last layer, and the station verifies and links them. Every
`per_pallet` linked cases the palletizer does the same with the case labels and a pallet
label. The last case and pallet of the run close as partial.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

import numpy as np
from numpy.typing import NDArray

from jejak.engine.aggregation import capacity
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import JejakError
from jejak.engine.store import Store
from jejak.line_adapters import _devices
from jejak.line_adapters.config import Address, PrinterConfig
from jejak.line_adapters.sim.conveyor import Pack
from jejak.line_adapters.sim.scene import label_pixels
from jejak.line_adapters.stations import Closed, Labeller, Station, StationKind
from jejak.printers.device import DeviceKind
from jejak.printers.sim.imprint import Imprint
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.symbols import SymbolKind

__all__ = ["PackingCell", "PackingTally", "layer_photo"]

_log = logging.getLogger(__name__)
_SCALE = 3  # camera pixels per module over the open case
_QUIET = 12  # white pixels around each label
_LAYER = 30  # labels in one layer photograph, at most


@dataclass(slots=True)
class PackingTally:
    """What the cell did: containers linked and refused, packs set aside as samples."""

    cases: int = 0
    pallets: int = 0
    partial_cases: int = 0
    partial_pallets: int = 0
    refused: list[Closed] = field(default_factory=list)
    samples_pulled: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cases": self.cases, "pallets": self.pallets,
                "partial_cases": self.partial_cases, "partial_pallets": self.partial_pallets,
                "refused": len(self.refused), "samples_pulled": self.samples_pulled}  # fmt: skip


def layer_photo(labels: list[NDArray[np.uint8]], rng: np.random.Generator) -> NDArray[np.uint8]:
    """One photograph of labels side by side, with a dim, noisy sensor's view."""
    tiles = [np.pad(lab.repeat(_SCALE, 0).repeat(_SCALE, 1), _QUIET, constant_values=255)
             for lab in labels]  # fmt: skip
    h, w = max(t.shape[0] for t in tiles), max(t.shape[1] for t in tiles)
    columns = min(6, len(tiles))
    rows = -(-len(tiles) // columns)
    grid = np.full((rows * h, columns * w), 255, dtype=np.uint8)
    for at, tile in enumerate(tiles):
        r, c = divmod(at, columns)
        grid[r * h : r * h + tile.shape[0], c * w : c * w + tile.shape[1]] = tile
    noisy = grid.astype(np.float32) * 0.8 + 20 + rng.normal(0, 10, grid.shape)
    frame: NDArray[np.uint8] = np.clip(noisy, 0, 255).astype(np.uint8)
    return frame


class _Cell:
    """One station with its labeller simulator."""

    def __init__(self, store: Store, batch: str, kind: StationKind, *, children: SymbolKind,
                 actor: str) -> None:  # fmt: skip
        self.printer = ZplSimulator(triggered=True)
        self.printer.start()
        config = PrinterConfig(DeviceKind.ZPL, Address("127.0.0.1", self.printer.port))
        self.device = _devices.printer_for(config)
        self.device.connect()
        labeller = Labeller(store, batch, kind.level, self.device, name=f"{kind.value}-labeller",
                            actor=actor)  # fmt: skip
        self.station = Station(store, batch, kind, labeller, children_symbol=children,
                               label_symbol=SymbolKind.GS1_DATAMATRIX, actor=actor)  # fmt: skip

    def close(self) -> None:
        with contextlib.suppress(OSError, JejakError):
            self.device.close()
        self.printer.stop()

    def _print_go(self, timeout: float = 10.0) -> Imprint | None:
        """The container at the labeller: it prints once its label has arrived (None: it
        never did)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            imprint = self.printer.print_go()
            if imprint is not None:
                return imprint
            time.sleep(0.005)
        return None

    def pack(self, labels: list[NDArray[np.uint8]], rng: np.random.Generator, *,
             partial: bool) -> tuple[Closed, NDArray[np.uint8] | None]:  # fmt: skip
        """Label a container, photograph its children's labels layer by layer (its own
        label with the last) and close it; what closing came to and its label's pixels."""
        station = self.station
        station.open()
        imprint = self._print_go()
        station.labeller.confirm()
        own = None if imprint is None else label_pixels(imprint.data, SymbolKind.GS1_DATAMATRIX)
        for start in range(0, len(labels), _LAYER):
            layer = labels[start : start + _LAYER]
            last = start + _LAYER >= len(labels)
            shown = [*layer, own] if last and own is not None else layer
            station.photograph(layer_photo(shown, rng), expect=len(shown))
        return station.close(len(labels), partial=partial), own


class PackingCell:
    """The case packer and palletizer of one simulated line run (see the module). Feed it
    the good bin with `take`; `finish` closes the last, partial, case and pallet."""

    def __init__(self, store: Store, batch: str, *, symbol: SymbolKind, actor: str,
                 seed: int | None = None) -> None:  # fmt: skip
        self.store, self.batch = store, batch
        record = store.batch(batch)
        self.per_case = capacity(record, Level.SECONDARY)
        self.per_pallet = capacity(record, Level.TERTIARY)
        self.symbol = symbol
        self.tally = PackingTally()
        self._rng = np.random.default_rng(seed)
        self._cases = _Cell(store, batch, StationKind.CASE_PACKER, children=symbol, actor=actor)
        self._pallets = _Cell(store, batch, StationKind.PALLETIZER,
                              children=SymbolKind.GS1_DATAMATRIX, actor=actor)  # fmt: skip
        self._packs: list[NDArray[np.uint8]] = []  # labels of packs waiting for a case
        self._case_labels: list[NDArray[np.uint8]] = []  # of linked cases waiting for a pallet
        self._seen = 0
        self._lock = threading.Lock()

    def take(self, good: list[Pack]) -> None:
        """The packs of the good bin not taken yet: samples pulled, the rest cased."""
        with self._lock:
            fresh, self._seen = good[self._seen :], len(good)
            for pack in fresh:
                if pack.imprint is None:
                    continue
                if self._sampled(pack.imprint.data):
                    self.tally.samples_pulled += 1
                    continue
                self._packs.append(label_pixels(pack.imprint.data, self.symbol))
                if len(self._packs) == self.per_case:
                    self._close_case(partial=False)

    def finish(self) -> PackingTally:
        """The run is over: the last case and pallet close as partial."""
        with self._lock:
            if self._packs:
                self._close_case(partial=len(self._packs) < self.per_case)
            if self._case_labels:
                self._close_pallet(partial=len(self._case_labels) < self.per_pallet)
        return self.tally

    def _sampled(self, data: bytes) -> bool:
        try:
            found = self.store.resolve(data.decode("ascii"))
        except (JejakError, ValueError, UnicodeDecodeError):
            return False
        with self.store.view() as view:
            return view.state_of(found.record, found.ref.level, found.ref.index) in (
                CodeState.SAMPLED, CodeState.LABEL_SAMPLED)  # fmt: skip

    def _close_case(self, *, partial: bool) -> None:
        labels, self._packs = self._packs, []
        closed, own = self._cases.pack(labels, self._rng, partial=partial)
        if not closed.linked or own is None:
            self.tally.refused.append(closed)
            return
        self.tally.cases += 1
        self.tally.partial_cases += partial
        self._case_labels.append(own)
        if len(self._case_labels) == self.per_pallet:
            self._close_pallet(partial=False)

    def _close_pallet(self, *, partial: bool) -> None:
        labels, self._case_labels = self._case_labels, []
        closed, _ = self._pallets.pack(labels, self._rng, partial=partial)
        if not closed.linked:
            self.tally.refused.append(closed)
            return
        self.tally.pallets += 1
        self.tally.partial_pallets += partial

    def close(self) -> None:
        self._cases.close()
        self._pallets.close()

    def __enter__(self) -> PackingCell:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:  # fmt: skip
        self.close()

    def follow(self, good: Callable[[], list[Pack]], stop: threading.Event) -> threading.Thread:
        """Take from the good bin every tenth of a second on a thread until `stop`."""

        def run() -> None:
            while not stop.wait(0.1):
                try:
                    self.take(good())
                except JejakError:
                    _log.exception("the packing cell stopped")
                    return

        thread = threading.Thread(target=run, name="packing-cell", daemon=True)
        thread.start()
        return thread

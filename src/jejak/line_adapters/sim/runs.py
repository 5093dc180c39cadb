"""Runs of batches on simulated lines, recorded in the store so that a crash can be resumed.

A run starts with a ``line.run`` event that holds everything needed to run it again (the line,
its simulator settings, how many packs) and ends with one that holds its summary. A run with a
start and no end was interrupted (a power loss, a SIGKILL): `interrupted` finds them and
`resume` finishes each — the print ledger's jobs in flight become unknown (never printed
again), printed codes without a verdict are rejected as `late` (nobody can tell what happened
to their packs), the packs still due run on a fresh simulated line, and the batch closes.

A run with `aggregate` has a packing cell at the end of its line (`packing`): the good packs
go into cases and the cases onto pallets, verified and linked, before the batch closes. (A
resumed run closes its batch without: the cases of the packs still due are packed by QA.)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchStatus
from jejak.engine.codes import Level
from jejak.engine.errors import Duplicate
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.product import Product
from jejak.engine.serials import SerialAlphabet, SerialFormat
from jejak.engine.store import PRINTS, EventKind, Store
from jejak.line_adapters.batch_run import finish_batch
from jejak.line_adapters.camera.result import CameraKind
from jejak.line_adapters.config import TriggerMode
from jejak.line_adapters.line import LineController, LineOptions
from jejak.line_adapters.sim.line import SimSettings, SimulatedLine
from jejak.line_adapters.sim.packing import PackingCell
from jejak.line_adapters.summary import LineSummary, count_batch
from jejak.printers.device import DeviceKind
from jejak.printers.symbols import SymbolKind

__all__ = ["DEMO_OTC", "DEMO_PRODUCT", "Run", "demo_batch", "interrupted", "run_line"]

DEMO_PRODUCT = {
    "nie": "DKL2012345678A1",
    "name": "Amoksisilin 500 mg kapsul",
    "packaging": "Dus, 10 strip @ 10 kapsul",
    "dosage_form": "Kapsul",
    "gtin": "08991234567891",
}
_FORMAT = SerialFormat.parse(alphabet=SerialAlphabet.UPPER_NO_LOOKALIKES.value, length=12)
DEMO_OTC = {  # an over-the-counter drug (class bebas): identification, Art. 3(3)
    "nie": "DBL2012345678A1",
    "name": "Parasetamol 500 mg tablet",
    "packaging": "Dus, 10 strip @ 10 tablet",
    "dosage_form": "Tablet",
}


@dataclass(frozen=True, slots=True)
class Run:
    """One run of a batch on a simulated line, as its ``line.run`` event records it."""

    line: str
    batch: str
    units: int
    settings: SimSettings
    sample_every: int | None = None
    aggregate: bool = False  # a case packer and a palletizer at the end of the line

    def to_json(self) -> dict[str, Any]:
        s = self.settings
        settings = asdict(s)
        settings.update(printer=s.printer.value, camera=s.camera.value, symbol=s.symbol.value,
                        record=None if s.record is None else str(s.record),
                        trigger=s.trigger.value)  # fmt: skip
        return {"phase": "start", "line": self.line, "units": self.units, "settings": settings,
                "sample_every": self.sample_every, "aggregate": self.aggregate}  # fmt: skip

    @classmethod
    def from_json(cls, batch: str, data: dict[str, Any]) -> Run:
        settings = dict(data["settings"])
        record = settings.pop("record")
        return cls(
            line=data["line"], batch=batch, units=int(data["units"]),
            settings=SimSettings(**{**settings, "printer": DeviceKind(settings["printer"]),
                                    "camera": CameraKind(settings["camera"]),
                                    "symbol": SymbolKind(settings["symbol"]),
                                    "trigger": TriggerMode(settings.get("trigger", "hardware")),
                                    "record": None if record is None else Path(record)}),
            sample_every=data.get("sample_every"), aggregate=bool(data.get("aggregate")),
        )  # fmt: skip


def demo_batch(store: Store, batch: str, units: int, *, today: dt.date, actor: str,
               identification: bool = False) -> None:  # fmt: skip
    """The demo product (added once) and a batch of `units` packs for it: serialized codes, or
    with `identification` the OTC product's one code, its NIE valid for two more years."""
    product = DEMO_OTC if identification else DEMO_PRODUCT
    with contextlib.suppress(Duplicate):  # added by an earlier demo in this store
        store.add_product(Product.parse(**product), actor=actor)
    if identification:
        validity = Gs1Date.from_date(dt.date(today.year + 2, today.month, 1))
        expiry = Gs1Date.from_date(dt.date(today.year + 3, today.month, 1))
        store.open_identification(nie=DEMO_OTC["nie"], batch=batch, packs=units,
                                  validity=validity, expiry=expiry, actor=actor)  # fmt: skip
        return
    cases = max(1, -(-units // 120))
    request = CodeRequest.parse(
        nie=DEMO_PRODUCT["nie"], batch=batch, gtin=DEMO_PRODUCT["gtin"],
        expiry=(today.replace(day=1) + dt.timedelta(days=2 * 366)).replace(day=1).isoformat(),
        primary_count=units, max_per_secondary=120, max_per_tertiary=max(1, min(40, cases)),
        requested_on=today,
    )  # fmt: skip
    store.open_batch(request, serial_format=_FORMAT, overage_pct=2, actor=actor)


def run_line(
    store: Store, run: Run, *, actor: str, stop: threading.Event | None = None,
    started: Callable[[LineController], None] | None = None, resuming: bool = False,
    simulated: Callable[[SimulatedLine], None] | None = None,
) -> LineSummary:  # fmt: skip
    """Run (or finish) `run` on a simulated line; the summary, counted from the store."""
    record = store.batch(run.batch)
    if not resuming:
        with store.unit_of_work(actor) as uow:
            uow.event(EventKind.LINE_RUN, run.to_json(), batch=record)
    left = max(0, run.units - _used(store, run.batch))
    summary = LineSummary(run.line, run.batch, str(store.path), run.units)
    if left and record.status is BatchStatus.OPEN:
        with SimulatedLine(run.line, left, run.settings) as sim, \
                _packing(store, run, actor, resuming) as cell:  # fmt: skip
            following = threading.Event()

            def pack_the_rest() -> None:
                following.set()
                if cell is not None:
                    cell.take(sim.conveyor.good)
                    cell.finish()

            options = LineOptions(units=left, symbology=run.settings.symbol.symbology,
                                  sample_every=run.sample_every, actor=actor,
                                  before_close=pack_the_rest)  # fmt: skip
            controller = LineController(store, run.batch, sim.config(), options)
            follower = None if cell is None else cell.follow(lambda: sim.conveyor.good,
                                                             following)  # fmt: skip
            if started is not None:
                started(controller)
            try:
                summary = controller.run(stop)
            finally:
                following.set()
                if follower is not None:
                    follower.join()
            summary.units = run.units
            if simulated is not None:
                simulated(sim)
    elif record.status is BatchStatus.OPEN:
        finish_batch(store, run.batch, actor=actor, summary=summary)
    else:
        count_batch(store, run.batch, summary)
        summary.reconciled, summary.audit_ok = True, store.verify_audit().ok
    if summary.reconciled:
        with store.unit_of_work(actor) as uow:
            uow.event(EventKind.LINE_RUN, {"phase": "end", "line": run.line,
                                           **summary.as_dict()}, batch=record)  # fmt: skip
    return summary


@contextlib.contextmanager
def _packing(store: Store, run: Run, actor: str, resuming: bool) -> Iterator[PackingCell | None]:
    """The run's packing cell, when it aggregates (serialized products only)."""
    record = store.batch(run.batch)
    if not run.aggregate or resuming or record.identification is not None:
        yield None
        return
    with PackingCell(store, run.batch, symbol=run.settings.symbol, actor=actor,
                     seed=run.settings.seed) as cell:  # fmt: skip
        yield cell


def _used(store: Store, batch: str) -> int:
    """Codes of the batch that went to a printer already (any outcome)."""
    record = store.batch(batch)
    with store.view() as view:
        prints = view.column(PRINTS, record, Level.PRIMARY)
    return int(np.count_nonzero(prints != PrintOutcome.NONE))


def interrupted(store: Store) -> list[Run]:
    """Runs that started and never ended, oldest first."""
    started: dict[str, Run] = {}
    for event in store.events():
        if event.what is not EventKind.LINE_RUN:
            continue
        batch = str(event.data["batch"])
        if event.data.get("phase") == "start":
            started[batch] = Run.from_json(batch, dict(event.data))
        else:
            started.pop(batch, None)
    return list(started.values())

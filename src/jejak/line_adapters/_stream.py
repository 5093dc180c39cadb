"""The line's print stream: the ZeroMQ print engine and the printer's driver, on their own
threads, and the printer answers they settle, kept in order for the line's shift register."""

from __future__ import annotations

import threading
import time

import numpy as np

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import Level
from jejak.engine.errors import DeviceFault
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import PRINTS, Store
from jejak.line_adapters import _devices
from jejak.line_adapters._tracking import Outcomes
from jejak.line_adapters.config import LineConfig
from jejak.printers.device import DeviceState
from jejak.printers.stream import PrintEngine
from jejak.printers.stream.driver import PrinterDriver
from jejak.printers.stream.engine import Settlement

__all__ = ["LineStream"]


class LineStream:
    """The engine serving one batch level to the line's one printer, at most `units` jobs."""

    def __init__(self, store: Store, record: BatchRecord, config: LineConfig, *, units: int,
                 actor: str, level: Level = Level.PRIMARY) -> None:  # fmt: skip
        self.store, self.record, self.config, self.level = store, record, config, level
        self.outcomes = Outcomes()
        self.stop = threading.Event()
        self.done = threading.Event()  # the engine's serve ended (DONE: the run is printed)
        self.engine = PrintEngine(store, record.batch, actor=actor, publish=config.publish,
                                  on_settle=self._settled, budget={level: units})  # fmt: skip
        self.units = units
        driver = PrinterDriver(_devices.printer_for(config.printer), self.engine.endpoint,
                               printer=config.name, low=config.printer.low,
                               high=config.printer.high)  # fmt: skip

        def serve() -> None:
            try:
                self.engine.serve(stop=self.stop)
            finally:
                self.done.set()

        def drive() -> None:
            with driver:
                driver.run(stop=self.stop)

        self._threads = [threading.Thread(target=serve, name=f"{config.name}-engine"),
                         threading.Thread(target=drive, name=f"{config.name}-driver")]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def _settled(self, settlement: Settlement) -> None:
        """The engine's thread: printer answers, in the order they came, with the raw bytes
        each code's pack should carry."""
        if settlement.level is not self.level:
            return
        if settlement.outcome in (PrintOutcome.PRINTED, PrintOutcome.FAILED):
            indices = settlement.indices
            with self.store.view() as view:
                data = code_texts(view, self.record, self.level, indices)
            self.outcomes.add(indices.tolist(), settlement.outcome, data)

    @property
    def sent(self) -> int:
        return self.engine.sent_total(self.level)

    def printer_up(self) -> bool:
        """Whether the line's printer is connected and says it prints."""
        state = self.engine.printer_states().get(self.config.name)
        return state in (DeviceState.READY, DeviceState.WARNING)

    def prime(self, timeout: float) -> None:
        """Wait for the printer to hold its first jobs, so the first packs get labels."""
        deadline = time.monotonic() + timeout
        while self.sent < min(self.config.printer.low, self.units):
            if time.monotonic() > deadline or self.done.is_set():
                raise DeviceFault(
                    f"The printer at {self.config.printer.address} took no jobs within "
                    f"{timeout:g} s. Hint: is it on, connected and ready?"
                )
            time.sleep(0.01)

    def highest_printed(self) -> int:
        """The highest code index a printer answered printed or failed for (-1: none)."""
        with self.store.view() as view:
            prints = view.column(PRINTS, self.record, self.level)
        done = np.flatnonzero((prints == PrintOutcome.PRINTED) | (prints == PrintOutcome.FAILED))
        return int(done[-1]) if done.size else -1

    def end(self) -> None:
        """Stop the engine and the driver (jobs still in flight become unknown)."""
        self.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def close(self) -> None:
        self.end()
        self.engine.close()

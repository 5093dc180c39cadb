"""The demo's print run: real simulators on loopback, a real driver, the real ZeroMQ stream."""

from __future__ import annotations

import threading
import time

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import Level
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import Store
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import PrintDevice
from jejak.printers.label import ZplLabelFormat
from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.stream import PrintEngine, StreamReport
from jejak.printers.stream.driver import PrinterDriver
from jejak.printers.symbols import read
from jejak.printers.zpl.client import ZplPrinter

__all__ = ["print_cases", "print_packs"]


def _stream(
    store: Store, batch: str, device: PrintDevice, *, level: Level, printer: str, target: int,
    actor: str, watermarks: tuple[int, int] = (50, 150),
) -> tuple[StreamReport, float]:  # fmt: skip
    """Stream `level` to one driver until `target` jobs are printed, then drain: no new jobs,
    every job in flight answered, DONE."""
    stop = threading.Event()
    reports: list[StreamReport] = []
    started = time.perf_counter()
    with PrintEngine(store, batch, actor=actor) as engine:

        def enough(served: PrintEngine) -> None:
            if served.report.printed >= target:
                served.drain()

        serving = threading.Thread(
            target=lambda: reports.append(engine.serve(stop=stop, timeout=60, on_turn=enough)),
            name="demo-engine",
        )
        serving.start()
        try:  # the driver returns after DONE, with nothing left in flight
            low, high = watermarks
            with PrinterDriver(device, engine.endpoint, printer=printer, level=level, low=low,
                               high=high) as driver:  # fmt: skip
                driver.run(stop=stop)
        finally:
            stop.set()
            serving.join(timeout=30)
    return reports[0], time.perf_counter() - started


def print_packs(store: Store, batch: str, packs: int, *, actor: str) -> npt.NDArray[np.int64]:
    """Print `packs` primary codes on a coder simulator; the indices confirmed printed."""
    with CoderSimulator(capacity=200, rate=20_000) as coder:
        device = CoderClient("127.0.0.1", coder.port)
        report, took = _stream(store, batch, device, level=Level.PRIMARY, printer="coder-1",
                               target=packs, actor=actor)  # fmt: skip
        print(
            f"coder-1 (inkjet coder, TCP {coder.port}): sent {report.sent:,}, printed "
            f"{report.printed:,} in {took:.2f} s; the device printed {coder.printed_count:,} "
            f"records, {len(set(coder.printed)):,} distinct"
        )
    outcomes = PrintLedger(store, batch, Level.PRIMARY).outcomes()
    return np.flatnonzero(outcomes == PrintOutcome.PRINTED).astype(np.int64)


def print_cases(store: Store, batch: str, cases: int, *, actor: str) -> bytes:
    """Print `cases` case labels on a ZPL printer simulator; the last label's decoded pixels."""
    with ZplSimulator(rate=200) as zebra:
        device = ZplPrinter("127.0.0.1", zebra.port, label_format=ZplLabelFormat.for_printer(300))
        report, took = _stream(store, batch, device, level=Level.SECONDARY, printer="zebra-1",
                               target=cases, actor=actor, watermarks=(1, 3))  # fmt: skip
        print(
            f"zebra-1 (ZPL thermal printer, TCP {zebra.port}, 300 dpi): sent {report.sent:,}, "
            f"printed {report.printed:,} in {took:.2f} s"
        )
        if report.recovered:
            print(f"engine restart: {report.recovered} jobs left in flight became unknown")
        image = zebra.render(len(zebra.printed) - 1)
    decoded = read(image)
    height, width = image.shape
    for symbol in decoded:
        print(
            f"camera: the last case label ({width}x{height} px) decodes as "
            f"{symbol.symbology.value if symbol.symbology else '?'} "
            f"{symbol.data.decode('ascii').replace(chr(29), '<GS>')}"
        )
    return decoded[0].data if decoded else b""

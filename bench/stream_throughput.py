"""End-to-end print-job stream throughput: engine -> ZeroMQ -> driver -> coder simulator -> store.

Three processes on loopback TCP, as on a line: the engine (this process: ROUTER, print ledger in
LMDB with durable group commits), a printer driver (DEALER + coder client), and a coder
simulator printing as fast as it can (a zero-latency device). Reports jobs/s from the first JOB
to the last answer settled in the store, and the send-to-settle latency percentiles.

    .venv/bin/python bench/stream_throughput.py [--codes 500000] [--drivers 1]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import tempfile
import threading
import time
from pathlib import Path

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import Level
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import PrintDevice
from jejak.printers.label import ZplLabelFormat
from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.stream import PrintEngine
from jejak.printers.stream.driver import PrinterDriver
from jejak.printers.zpl.client import ZplPrinter

NIE, GTIN = "DKL1234567890A1", "08991234567891"


def simulator_process(
    kind: str, capacity: int, ports: mp.Queue[int], stop: threading.Event
) -> None:
    sim = (CoderSimulator(capacity=capacity, keep_printed=False) if kind == "coder"
           else ZplSimulator(keep=False, buffer_formats=capacity))  # fmt: skip
    with sim:
        ports.put(sim.port)
        stop.wait()


def driver_process(
    kind: str, endpoint: str, port: int, name: str, watermarks: tuple[int, int, int]
) -> None:
    capacity, low, high = watermarks
    device: PrintDevice = (
        CoderClient("127.0.0.1", port, timeout=5.0) if kind == "coder"
        else ZplPrinter("127.0.0.1", port, label_format=ZplLabelFormat.for_printer(300),
                        capacity=capacity, timeout=5.0)
    )  # fmt: skip
    with PrinterDriver(device, endpoint, printer=name, low=low, high=high) as driver:
        driver.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codes", type=int, default=500_000)
    parser.add_argument("--drivers", type=int, default=1)
    parser.add_argument("--kind", choices=["coder", "zpl"], default="coder")
    parser.add_argument("--capacity", type=int, default=20_000, help="coder buffer, records")
    parser.add_argument("--low", type=int, default=5_000)
    parser.add_argument("--high", type=int, default=15_000)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as folder,
        Store(Path(folder) / "s", map_size=1 << 33) as store,
    ):
        store.add_product(Product.parse(nie=NIE, name="Bench", packaging="Dus", gtin=GTIN),
                          actor="bench")  # fmt: skip
        request = CodeRequest.parse(nie=NIE, batch="BENCH", expiry="2028-10-31",
                                    primary_count=args.codes, max_per_secondary=12,
                                    max_per_tertiary=40, gtin=GTIN)  # fmt: skip
        store.open_batch(request, serial_format=SerialFormat.parse(
            alphabet="upper_no_lookalikes", length=12), actor="bench")  # fmt: skip
        ctx = mp.get_context("spawn")
        ports: mp.Queue[int] = ctx.Queue()
        stop = ctx.Event()
        sims = [ctx.Process(target=simulator_process, args=(args.kind, args.capacity, ports, stop))
                for _ in range(args.drivers)]  # fmt: skip
        for sim in sims:
            sim.start()
        sim_ports = [ports.get(timeout=60) for _ in sims]
        with PrintEngine(store, "BENCH", max_jobs_per_message=5_000, sample_every=101) as engine:
            drivers = [ctx.Process(target=driver_process,
                                   args=(args.kind, engine.endpoint, port, f"{args.kind}-{i}",
                                         (args.capacity, args.low, args.high)))
                       for i, port in enumerate(sim_ports)]  # fmt: skip
            for driver in drivers:
                driver.start()
            first: list[float] = []

            failed = threading.Event()

            def note_first(e: PrintEngine) -> None:
                if not first and e.report.sent:
                    first.append(time.perf_counter())
                if any(d.exitcode not in (None, 0) for d in drivers):
                    failed.set()  # a driver died: stop rather than wait for its jobs

            report = engine.serve(timeout=600, on_turn=note_first, stop=failed)
            if failed.is_set():
                raise SystemExit("a driver process failed; see its traceback above")
            ended = time.perf_counter()
            for driver in drivers:
                driver.join(timeout=30)
        stop.set()
        for sim in sims:
            sim.join(timeout=30)
        outcomes = PrintLedger(store, "BENCH", Level.PRIMARY).counts()
        elapsed = ended - first[0]
        summary = report.as_dict()
        print(f"{args.kind}: codes {args.codes:,}, drivers {args.drivers}, device buffer "
              f"{args.capacity:,}, watermarks {args.low:,}/{args.high:,}")  # fmt: skip
        confirmed = outcomes[PrintOutcome.PRINTED]
        print(f"sent {report.sent:,}  printed {report.printed:,}  failed {report.failed:,}  "
              f"unknown {report.unknown:,}  ledger printed {confirmed:,}")  # fmt: skip
        print(f"end to end: {elapsed:.2f} s -> {report.printed / elapsed:,.0f} jobs/s")
        lat = summary["latency_ms"]
        print(f"latency send -> settled: p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms, "
              f"max {lat['max']:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()

"""Engine -> ZeroMQ -> driver -> device simulator over TCP -> answers -> store, with faults.

Thousands of jobs go through the real stream to a real TCP simulator while faults are injected.
Afterwards: nothing was printed twice, every code drawn is settled, every code the device printed
is confirmed or (its answer lost with the connection) unknown, and the batch closes with every
unknown outcome scrapped.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.store import Store
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import PrintDevice
from jejak.printers.label import ZplLabelFormat
from jejak.printers.sim.coder import CoderSimulator
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.stream import PrintEngine, StreamReport
from jejak.printers.stream.driver import PrinterDriver
from jejak.printers.symbols import SymbolKind, read
from jejak.printers.zpl.client import ZplPrinter
from jejak.testing import StartCoder, StartZpl

CODES = BATCH_CODES = 3000  # the `store` fixture (conftest.py) opens B1 with this many


@dataclass
class Run:
    report: StreamReport
    printed: list[bytes]  # what the device printed, in order, over every connection
    skipped: list[bytes]


Simulator = CoderSimulator | ZplSimulator


def device_for(simulator: Simulator, hs_timeout: float) -> PrintDevice:
    if isinstance(simulator, ZplSimulator):
        form = ZplLabelFormat.for_printer(300)
        return ZplPrinter("127.0.0.1", simulator.port, label_format=form, timeout=hs_timeout)
    return CoderClient("127.0.0.1", simulator.port, timeout=2.0)


def printed_codes(simulator: Simulator) -> list[bytes]:
    if isinstance(simulator, ZplSimulator):
        return simulator.codes()
    return simulator.printed


def run_line(
    store: Store, simulator: Simulator, faults: Callable[[Simulator], None] | None, *,
    hs_timeout: float = 10.0,
) -> Run:  # fmt: skip
    """Serve the batch to one driver feeding `simulator`; inject `faults` from a thread. The ZPL
    client's ~HS timeout is long unless a test makes the printer fall silent: a loaded machine
    must not look like a hung printer."""
    stop = threading.Event()
    with PrintEngine(store, "B1", driver_timeout=5.0) as engine:
        result: dict[str, StreamReport] = {}
        serving = threading.Thread(
            target=lambda: result.setdefault("r", engine.serve(stop=stop, timeout=60))
        )
        serving.start()
        device = device_for(simulator, hs_timeout)
        driver = PrinterDriver(device, engine.endpoint, printer="printer-1", low=50, high=150)
        injector = None
        if faults is not None:
            injector = threading.Thread(target=faults, args=(simulator,))
            injector.start()
        try:
            driver_report = driver.run(stop=stop)
        finally:
            stop.set()
            serving.join(timeout=30)
            if injector is not None:
                injector.join(timeout=30)
            driver.close()
    assert not serving.is_alive()
    assert driver_report.done, driver_report
    skipped = simulator.skipped if isinstance(simulator, CoderSimulator) else []
    return Run(result["r"], printed_codes(simulator), skipped)


def all_codes(store: Store) -> list[bytes]:
    with store.view() as view:
        record = view.batch("B1")
        return code_texts(view, record, Level.PRIMARY, np.arange(CODES, dtype=np.int64),
                          form=CodeForm.RAW)  # fmt: skip


def check_invariants(store: Store, run: Run) -> dict[PrintOutcome, int]:
    codes = all_codes(store)
    index_of = {code: i for i, code in enumerate(codes)}
    outcomes = PrintLedger(store, "B1", Level.PRIMARY).outcomes()
    # Never printed twice, and only codes of this batch.
    repeats = [code for code, n in Counter(run.printed).items() if n > 1]
    assert repeats == []
    assert all(code in index_of for code in run.printed)
    # Every code was drawn, and every drawn code is settled: nothing lost, nothing pending.
    tally = Counter(PrintOutcome(int(o)) for o in outcomes)
    assert tally[PrintOutcome.NONE] == 0
    assert tally[PrintOutcome.SENT] == 0
    # A confirmed print was printed; a printed code is confirmed or unknown, never "failed".
    printed_idx = np.array(sorted(index_of[c] for c in run.printed), dtype=np.int64)
    confirmed = np.flatnonzero(outcomes == PrintOutcome.PRINTED)
    assert set(confirmed.tolist()) <= set(printed_idx.tolist())
    assert set(outcomes[printed_idx].tolist()) <= {PrintOutcome.PRINTED, PrintOutcome.UNKNOWN}
    # The close scraps every unknown outcome and every failure; confirmed prints stay Encoded
    # until the camera verifies them, so they are scrapped too at close: nothing stays open.
    report = store.close_batch("B1", actor="qa")
    after = report["levels"]["primary"]["after"]
    assert after == {CodeState.LABEL_SCRAPPED.label: CODES}
    assert store.verify_audit().ok
    return dict(tally)


@pytest.mark.parametrize("kind", ["coder", "zpl"])
def test_thousands_of_jobs_without_faults(
    store: Store, kind: str, coder_simulator: StartCoder, zpl_simulator: StartZpl
) -> None:
    simulator: Simulator = coder_simulator(capacity=200) if kind == "coder" else zpl_simulator()
    run = run_line(store, simulator, None)
    assert len(run.printed) == CODES
    assert run.report.printed == CODES
    tally = check_invariants(store, run)
    assert tally[PrintOutcome.PRINTED] == CODES


def test_faults_lose_nothing_and_print_nothing_twice(
    store: Store, coder_simulator: StartCoder
) -> None:
    def faults(sim: CoderSimulator) -> None:
        assert sim.wait_until(lambda s: s.printed_count >= 400, timeout=20)
        sim.drop_connection()  # the buffer is lost with the connection
        assert sim.wait_until(lambda s: s.printed_count >= 900, timeout=20)
        sim.skip_next(5)
        assert sim.wait_until(lambda s: s.printed_count >= 1500, timeout=20)
        sim.run_out_of_ink()
        threading.Event().wait(0.3)
        sim.refill_ink()
        assert sim.wait_until(lambda s: s.printed_count >= 2200, timeout=20)
        sim.refuse_next(3)
        sim.drop_connection()

    run = run_line(store, coder_simulator(capacity=200), faults)
    tally = check_invariants(store, run)
    assert len(run.skipped) == 5
    assert tally[PrintOutcome.UNKNOWN] > 0  # the dropped connections took jobs with them
    assert tally[PrintOutcome.FAILED] >= 5  # the skipped records, known not printed
    assert (
        tally[PrintOutcome.PRINTED] + tally[PrintOutcome.FAILED] + tally[PrintOutcome.UNKNOWN]
        == CODES
    )


def test_zpl_faults_lose_nothing_and_print_nothing_twice(
    store: Store, zpl_simulator: StartZpl
) -> None:
    def faults(sim: Simulator) -> None:
        assert isinstance(sim, ZplSimulator)
        assert sim.wait_until(lambda s: s.printed_count >= 400, timeout=20)
        sim.drop_connection()  # formats in the printer's buffer are lost with it
        assert sim.wait_until(lambda s: s.printed_count >= 1000, timeout=20)
        sim.set_head_open()
        threading.Event().wait(0.3)
        sim.set_head_open(on=False)
        assert sim.wait_until(lambda s: s.printed_count >= 1800, timeout=20)
        sim.set_silent()  # ~HS goes unanswered: the client must call it a fault
        threading.Event().wait(1.0)
        sim.set_silent(on=False)

    simulator = zpl_simulator(rate=20_000)
    run = run_line(store, simulator, faults, hs_timeout=0.5)
    label = simulator.render(len(simulator.printed) - 1)
    tally = check_invariants(store, run)
    assert tally[PrintOutcome.UNKNOWN] > 0
    # The last label the printer made decodes, from its pixels, to the code it was sent.
    assert [(d.symbology, d.data) for d in read(label)] == [
        (SymbolKind.GS1_DATAMATRIX.symbology, run.printed[-1])
    ]

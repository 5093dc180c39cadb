"""Triggered printing (print-go): both simulators print one record per product-detect signal,
with the same effects as timed printing (notifications, ``~HS`` counters, `printed`, the record
file), and the faults of the simulated line: misprints, double prints, skips, halts. Real TCP
clients (`CoderClient`, `ZplPrinter`) on loopback, real pixels read back with zxing-cpp.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jejak.engine.errors import InvalidQuantity
from jejak.engine.gs1 import GS
from jejak.engine.symbology import Symbology
from jejak.printers import symbols
from jejak.printers.coder import Condition
from jejak.printers.coder.client import CoderClient
from jejak.printers.device import DeviceEvent, Failed, Job, Printed
from jejak.printers.label import LabelSpec, ZplLabelFormat, recall_label, stored_format, template
from jejak.printers.sim import CoderSimulator, ZplSimulator
from jejak.printers.sim.imprint import Imprint
from jejak.printers.zpl.client import ZplPrinter
from jejak.testing import StartCoder, StartZpl

WAIT = 10.0  # seconds: a failure guard only
QUIET = 0.3  # seconds of polling that must bring nothing more
CODES = [f"01089912345678911728103110B1{GS}21SER{i:04d}".encode() for i in range(12)]

Device = CoderClient | ZplPrinter


def jobs(first: int, count: int) -> list[Job]:
    return [Job(i, CODES[i]) for i in range(first, first + count)]


def events_until(device: Device, done: Callable[[list[DeviceEvent]], bool]) -> list[DeviceEvent]:
    """Poll the client until `done(events)`; fail (never hang) after `WAIT` seconds."""
    events: list[DeviceEvent] = []
    deadline = time.monotonic() + WAIT
    while not done(events):
        assert time.monotonic() < deadline, f"gave up waiting; got {events}"
        events += device.poll(0.02)
    return events


def answers(device: Device, count: int) -> list[DeviceEvent]:
    """The next `count` Printed / Failed events, then a quiet spell with no more of them."""
    events = events_until(device, lambda e: len(settled(e)) >= count)
    deadline = time.monotonic() + QUIET
    while time.monotonic() < deadline:
        events += device.poll(0.02)
    return settled(events)


def settled(events: list[DeviceEvent]) -> list[DeviceEvent]:
    return [event for event in events if isinstance(event, Printed | Failed)]


def wait(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def shown(code: bytes) -> bytes:
    return code.replace(GS.encode(), b"<GS>") + b"\n"


# The coder ----------------------------------------------------------------------------------


@contextmanager
def coder(sim: CoderSimulator) -> Iterator[CoderClient]:
    with CoderClient("127.0.0.1", sim.port, timeout=WAIT) as client:
        yield client


def buffered(sim: CoderSimulator | ZplSimulator, count: int) -> None:
    wait(lambda: sim.buffered == count)


def test_a_triggered_coder_prints_one_record_per_print_go(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(triggered=True, rate=1000)  # the rate is ignored
    assert sim.print_go() is None  # no host, nothing buffered
    with coder(sim) as client:
        client.send(jobs(0, 5))
        buffered(sim, 5)
        assert answers(client, 0) == []  # nothing prints on its own
        got = [sim.print_go() for _ in range(3)]
        assert got == [Imprint(code) for code in CODES[:3]]
        assert answers(client, 3) == [Printed(0), Printed(1), Printed(2)]
        assert (sim.printed, sim.printed_count, sim.buffered) == (CODES[:3], 3, 2)
        assert [sim.print_go(), sim.print_go(), sim.print_go()] == [
            Imprint(CODES[3]), Imprint(CODES[4]), None,
        ]  # fmt: skip
        assert answers(client, 2) == [Printed(3), Printed(4)]
        assert client.last_printed() == 5
    assert (sim.printed, sim.unprinted, sim.misprinted) == (CODES[:5], [], [])


def test_print_go_from_another_thread(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(triggered=True)
    got: list[Imprint | None] = []
    with coder(sim) as client:
        client.send(jobs(0, 4))
        buffered(sim, 4)
        conveyor = threading.Thread(target=lambda: got.extend(sim.print_go() for _ in range(5)))
        conveyor.start()
        conveyor.join(WAIT)
        assert got == [*(Imprint(code) for code in CODES[:4]), None]
        assert answers(client, 4) == [Printed(job) for job in range(4)]


def test_a_coder_fault_prints_nothing_until_cleared(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(triggered=True)
    with coder(sim) as client:
        client.send(jobs(0, 2))
        buffered(sim, 2)
        sim.run_out_of_ink()
        assert sim.print_go() is None
        assert sim.buffered == 2
        sim.raise_condition(Condition.INK_LOW, "ink low")  # a warning does not stop printing
        sim.refill_ink()
        assert sim.print_go() == Imprint(CODES[0])
        assert answers(client, 1) == [Printed(0)]


def test_a_skipped_record_leaves_the_pack_unlabelled(
    coder_simulator: StartCoder, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = coder_simulator(triggered=True, record=record)
    with coder(sim) as client:
        client.send(jobs(0, 3))
        buffered(sim, 3)
        sim.skip_next(1, "no product")
        assert [sim.print_go(), sim.print_go()] == [None, Imprint(CODES[1])]
        assert answers(client, 2) == [Failed(0, "skipped by the coder: no product", True),
                                      Printed(1)]  # fmt: skip
        assert (sim.skipped, sim.printed, sim.buffered) == ([CODES[0]], [CODES[1]], 1)
    assert record.read_bytes() == shown(CODES[1])


def test_a_coder_misprint_is_damaged_and_still_confirmed(coder_simulator: StartCoder) -> None:
    sim = coder_simulator(triggered=True)
    with coder(sim) as client:
        client.send(jobs(0, 4))
        buffered(sim, 4)
        sim.misprint_next(2)
        got = [sim.print_go() for _ in range(3)]
        assert got == [Imprint(CODES[0], damaged=True), Imprint(CODES[1], damaged=True),
                       Imprint(CODES[2])]  # fmt: skip
        assert answers(client, 3) == [Printed(0), Printed(1), Printed(2)]
        assert (sim.printed, sim.misprinted) == (CODES[:3], CODES[:2])


def test_a_coder_double_print_puts_the_previous_code_on_the_next_pack(
    coder_simulator: StartCoder, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = coder_simulator(triggered=True, record=record)
    with coder(sim) as client:
        client.send(jobs(0, 4))
        buffered(sim, 4)
        sim.double_print_next()  # with nothing printed yet, it waits for the second print
        got = [sim.print_go() for _ in range(4)]
        assert got == [Imprint(CODES[0]), Imprint(CODES[0]), Imprint(CODES[2]),
                       Imprint(CODES[3])]  # fmt: skip
        assert answers(client, 4) == [Printed(job) for job in range(4)]  # one per pack
        assert client.last_printed() == 4
    assert sim.printed == [CODES[0], CODES[0], CODES[2], CODES[3]]  # what is on the packs
    assert sim.unprinted == [CODES[1]]  # confirmed, on no pack
    assert record.read_bytes() == b"".join(map(shown, sim.printed))  # the double print shows


def test_a_timed_coder_prints_through_the_same_faults(coder_simulator: StartCoder) -> None:
    sim = coder_simulator()  # not triggered: prints as fast as it can
    sim.double_print_next()
    sim.misprint_next()
    with coder(sim) as client:
        client.send(jobs(0, 3))
        assert answers(client, 3) == [Printed(job) for job in range(3)]
    assert (sim.printed, sim.unprinted, sim.misprinted) == (
        [CODES[0], CODES[0], CODES[2]], [CODES[1]], [CODES[0]],
    )  # fmt: skip


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_fault_counts_are_checked(count: object, coder_simulator: StartCoder) -> None:
    sim = coder_simulator(triggered=True)
    for inject, what in [(sim.misprint_next, "misprints"), (sim.double_print_next,
                                                              "double prints")]:  # fmt: skip
        with pytest.raises(InvalidQuantity) as caught:
            inject(count)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"Invalid count of {what} {count!r}: expected a positive integer. "
            "Hint: 1 for the next print."
        )


# The Zebra printer --------------------------------------------------------------------------

FORM = ZplLabelFormat.for_printer(203)


@contextmanager
def zebra(sim: ZplSimulator) -> Iterator[ZplPrinter]:
    with ZplPrinter("127.0.0.1", sim.port, label_format=FORM, timeout=WAIT,
                    idle_interval=0.05) as client:  # fmt: skip
        yield client


def read(imprint: Imprint | None) -> list[symbols.Decoded]:
    assert imprint is not None
    assert imprint.render is not None
    return symbols.read(imprint.render())


def decoded(code: bytes) -> list[symbols.Decoded]:
    return [symbols.Decoded(Symbology.GS1_DATAMATRIX, code)]


@pytest.mark.parametrize("keep", [True, False])
def test_a_triggered_zebra_prints_one_label_per_print_go(
    keep: bool, zpl_simulator: StartZpl, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = zpl_simulator(triggered=True, rate=50, keep=keep, record=record)  # rate ignored
    assert sim.print_go() is None
    with zebra(sim) as client:
        client.send(jobs(0, 4))
        buffered(sim, 4)
        assert answers(client, 0) == []  # nothing prints on its own
        assert sim.status().formats_in_buffer == 4
        first = sim.print_go()
        assert first is not None
        assert (first.data, first.damaged) == (CODES[0], False)
        assert read(first) == decoded(CODES[0])  # real pixels of that label
        assert answers(client, 1) == [Printed(0)]  # the client read it off ~HS
        assert sim.status().formats_in_buffer == 3
        rest = [sim.print_go() for _ in range(4)]
        assert rest[-1] is None
        assert [imprint.data for imprint in rest[:-1] if imprint] == CODES[1:4]
        assert [read(imprint) for imprint in rest[:-1]] == [decoded(c) for c in CODES[1:4]]
        assert answers(client, 3) == [Printed(job) for job in range(1, 4)]
    assert sim.printed_count == 4
    assert sim.codes() == (CODES[:4] if keep else [])
    assert record.read_bytes() == b"".join(map(shown, CODES[:4]))


@pytest.mark.parametrize("halt", ["set_paper_out", "set_head_open", "set_paused"])
def test_a_halted_zebra_prints_nothing_until_resumed(halt: str, zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator(triggered=True)
    with zebra(sim) as client:
        client.send(jobs(0, 2))
        buffered(sim, 2)
        getattr(sim, halt)(True)
        assert sim.print_go() is None
        assert sim.buffered == 2
        getattr(sim, halt)(False)
        imprint = sim.print_go()
        assert imprint is not None
        assert imprint.data == CODES[0]
        assert answers(client, 1) == [Printed(0)]


def test_a_zebra_misprint_is_damaged_and_still_counted(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator(triggered=True)
    with zebra(sim) as client:
        client.send(jobs(0, 2))
        buffered(sim, 2)
        sim.misprint_next()
        got = [sim.print_go(), sim.print_go()]
        assert [(i.data, i.damaged) for i in got if i] == [(CODES[0], True), (CODES[1], False)]
        assert read(got[0]) == decoded(CODES[0])  # the damage is the camera's to draw
        assert answers(client, 2) == [Printed(0), Printed(1)]
    assert (sim.codes(), sim.misprinted, sim.unprinted) == (CODES[:2], [CODES[0]], [])


def test_a_zebra_double_print_puts_the_previous_label_on_the_next_pack(
    zpl_simulator: StartZpl, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = zpl_simulator(triggered=True, record=record)
    with zebra(sim) as client:
        client.send(jobs(0, 3))
        buffered(sim, 3)
        assert sim.print_go() is not None
        sim.double_print_next()
        again, third = sim.print_go(), sim.print_go()
        assert again is not None
        assert third is not None
        assert (again.data, third.data) == (CODES[0], CODES[2])
        assert read(again) == decoded(CODES[0])  # the previous label's pixels
        assert answers(client, 3) == [Printed(job) for job in range(3)]  # one per pack
    assert sim.codes() == [CODES[0], CODES[0], CODES[2]]
    assert [sim.render(i).tobytes() for i in (0, 1)] == [sim.render(0).tobytes()] * 2
    assert sim.unprinted == [CODES[1]]
    assert record.read_bytes() == b"".join(map(shown, [CODES[0], CODES[0], CODES[2]]))


def test_a_label_of_two_copies_takes_two_print_gos(zpl_simulator: StartZpl) -> None:
    sim = zpl_simulator(triggered=True)
    stored = stored_format(template(LabelSpec(dpi=203))).encode()
    label = recall_label(CODES[0].decode()).replace("^PQ1^XZ", "^PQ2^XZ").encode()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=WAIT) as link:
        link.sendall(stored + label)
        buffered(sim, 1)
        first = sim.print_go()
        assert sim.status().labels_remaining == 1
        second, third = sim.print_go(), sim.print_go()
    assert [i.data if i else None for i in (first, second, third)] == [CODES[0], CODES[0], None]
    assert (sim.printed_count, sim.buffered, sim.unprinted) == (2, 0, [])

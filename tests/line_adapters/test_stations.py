"""The case packer and the palletizer: a real Zebra labeller simulator over ZPL, frames of many
real labels decoded at once, verification through the store, and the alarms."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from jejak.engine.aggregation import Rule, Seal, consistency, tree
from jejak.engine.codes import CodeState, Level
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.store import PRINTS, CodeRef, Store
from jejak.line_adapters import _devices
from jejak.line_adapters.config import Address, PrinterConfig
from jejak.line_adapters.sim.packing import layer_photo
from jejak.line_adapters.sim.scene import label_pixels
from jejak.line_adapters.stations import Labeller, Station, StationKind
from jejak.printers.device import DeviceKind
from jejak.printers.sim.zpl import ZplSimulator
from jejak.printers.symbols import SymbolKind
from jejak.testing import FORMAT, StartZpl, make_request

DM = SymbolKind.GS1_DATAMATRIX


def commissioned(store: Store, batch: str, count: int) -> None:
    store.transition(batch, Level.PRIMARY, np.arange(count), CodeState.ENCODED, actor="qa")
    store.transition(batch, Level.PRIMARY, np.arange(count), CodeState.COMMISSIONED, actor="qa")


def labels(store: Store, batch: str, level: Level, indices: list[int]) -> list[np.ndarray]:
    record = store.batch(batch)
    with store.view() as view:
        raw = code_texts(view, record, level, np.array(indices, dtype=np.int64))
    return [label_pixels(r, DM) for r in raw]


@pytest.fixture
def packer(store: Store, zpl_simulator: StartZpl) -> Iterator[tuple[Station, ZplSimulator]]:
    """A case packer of batch B1 (30 packs, 12 a case; packs 0..23 commissioned)."""
    store.open_batch(make_request("B1", quantity=30), serial_format=FORMAT, actor="qa")
    commissioned(store, "B1", 24)
    printer = zpl_simulator(triggered=True)
    address = Address("127.0.0.1", printer.port)
    device = _devices.printer_for(PrinterConfig(DeviceKind.ZPL, address))
    device.connect()
    labeller = Labeller(store, "B1", Level.SECONDARY, device, name="cases", actor="qa")
    try:
        yield Station(store, "B1", StationKind.CASE_PACKER, labeller, children_symbol=DM,
                      label_symbol=DM, actor="qa"), printer  # fmt: skip
    finally:
        device.close()


def print_label(printer: ZplSimulator) -> np.ndarray:
    for _ in range(2000):
        imprint = printer.print_go()
        if imprint is not None:
            return label_pixels(imprint.data, DM)
        time.sleep(0.005)
    raise AssertionError("the labeller never got its label")


def close_case(
    station: Station, printer: ZplSimulator, packs: list[np.ndarray], packed: int,
    *, with_label: bool = True, partial: bool = False,
) -> Any:  # fmt: skip
    station.open()
    own = print_label(printer)
    assert station.labeller.confirm() is True
    rng = np.random.default_rng(0)
    shown = [*packs, own] if with_label else packs
    station.photograph(layer_photo(shown, rng), expect=len(shown))
    return station.close(packed, partial=partial)


def test_a_full_case_is_read_in_one_frame_and_linked(
    store: Store, packer: tuple[Station, ZplSimulator]
) -> None:
    station, printer = packer
    closed = close_case(station, printer, labels(store, "B1", Level.PRIMARY, list(range(12))), 12)
    assert (closed.linked, closed.children, closed.refused) == (True, 12, None)
    record = store.batch("B1")
    case = CodeRef(record.batch_id, Level.SECONDARY, 0)
    with store.view() as view:
        found = tree(view, case)
        assert found.counts()[Level.PRIMARY] == 12
        assert Seal(int(found.seals[0])) is Seal.FULL
        assert view.state_of(record, Level.SECONDARY, 0) is CodeState.COMMISSIONED
        assert view.column(PRINTS, record, Level.SECONDARY)[0] == PrintOutcome.PRINTED
        assert consistency.check(view, record) == []
    assert closed.container.startswith("(01)08991234567891(10)B1")


def test_the_last_case_closes_partial(store: Store, packer: tuple[Station, ZplSimulator]) -> None:
    station, printer = packer
    closed = close_case(station, printer, labels(store, "B1", Level.PRIMARY, list(range(5))), 5,
                        partial=True)  # fmt: skip
    assert closed.linked
    assert closed.partial
    record = store.batch("B1")
    with store.view() as view:
        found = tree(view, CodeRef(record.batch_id, Level.SECONDARY, 0))
    assert Seal(int(found.seals[0])) is Seal.PARTIAL


Faulty = Callable[[Store], tuple[list[np.ndarray], int]]


def _unknown(store: Store) -> tuple[list[np.ndarray], int]:
    fake = label_pixels(b"010899123456789117281031" + b"10B1\x1d21NOTOURS00001", DM)
    return [*labels(store, "B1", Level.PRIMARY, list(range(11))), fake], 12


def _not_commissioned(store: Store) -> tuple[list[np.ndarray], int]:
    return labels(store, "B1", Level.PRIMARY, [*range(11), 25]), 12  # 25: still Allocated


def _in_another_case(store: Store) -> tuple[list[np.ndarray], int]:
    from jejak.engine.aggregation import Aggregation

    record = store.batch("B1")
    store.transition("B1", Level.SECONDARY, np.array([2]), CodeState.ENCODED, actor="qa")
    Aggregation(store, actor="qa").pack(CodeRef(record.batch_id, Level.SECONDARY, 2),
                                        [CodeRef(record.batch_id, Level.PRIMARY, 20)])  # fmt: skip
    return labels(store, "B1", Level.PRIMARY, [*range(11), 20]), 12


def _over_capacity(store: Store) -> tuple[list[np.ndarray], int]:
    return labels(store, "B1", Level.PRIMARY, list(range(13))), 13


def _a_label_not_read(store: Store) -> tuple[list[np.ndarray], int]:
    return labels(store, "B1", Level.PRIMARY, list(range(11))), 12  # the packer put in 12


def _other_batch(store: Store) -> tuple[list[np.ndarray], int]:
    store.open_batch(make_request("B2", quantity=12), serial_format=FORMAT, actor="qa")
    commissioned(store, "B2", 1)
    mixed = labels(store, "B1", Level.PRIMARY, list(range(11)))
    return [*mixed, *labels(store, "B2", Level.PRIMARY, [0])], 12


@pytest.mark.parametrize(
    ("fault", "rule"),
    [
        (_unknown, Rule.UNKNOWN),
        (_not_commissioned, Rule.NOT_COMMISSIONED),
        (_in_another_case, Rule.HAS_PARENT),
        (_over_capacity, Rule.OVER_CAPACITY),
        (_a_label_not_read, Rule.NO_READ),
        (_other_batch, Rule.OTHER_BATCH),
    ],
)
def test_a_bad_case_raises_the_alarm_and_links_nothing(
    store: Store, packer: tuple[Station, ZplSimulator], fault: Faulty, rule: Rule
) -> None:
    station, printer = packer
    packs, packed = fault(store)
    record = store.batch("B1")
    with store.view() as view:
        before = view.containers(record, Level.SECONDARY)
    closed = close_case(station, printer, packs, packed)
    assert (closed.linked, closed.refused) == (False, rule)
    assert station.refused == [closed]
    with store.view() as view:
        assert view.containers(record, Level.SECONDARY) == before
        assert view.state_of(record, Level.SECONDARY, 0) is CodeState.ENCODED  # not commissioned
        assert consistency.check(view, record) == []


def test_a_case_whose_label_was_not_read_is_refused(
    store: Store, packer: tuple[Station, ZplSimulator]
) -> None:
    station, printer = packer
    closed = close_case(station, printer, labels(store, "B1", Level.PRIMARY, list(range(12))), 12,
                        with_label=False)  # fmt: skip
    assert closed.refused is Rule.NO_READ
    assert "no container label was read" in closed.detail
    record = store.batch("B1")
    with store.view() as view:  # its printed label stays Encoded: scrapped at close, never reused
        assert view.state_of(record, Level.SECONDARY, 0) is CodeState.ENCODED

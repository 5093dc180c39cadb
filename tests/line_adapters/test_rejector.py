"""The rejector as the line controller drives it, by exact encoder sequences: every pack not
judged good is fired once, at its own reject point, as early as its fate is known; a fire the
belt has outrun is never sent to hit the pack behind.

Offset 500 counts from the product detect to the actuator, pitch 200 (so 100 is half a pitch:
the actuator's reach either side of a pack's reject point)."""

from __future__ import annotations

import pytest

from jejak.engine.errors import DeviceFault
from jejak.line_adapters._rejector import Rejector
from jejak.line_adapters.reject import Decision

OFFSET, PITCH = 500, 200


class Io:
    """The line I/O's actuator: the encoder counts it was armed for, in order."""

    def __init__(self, *, broken: bool = False) -> None:
        self.fires: list[int] = []
        self.broken = broken

    def fire(self, encoder: int) -> None:
        if self.broken:
            raise DeviceFault("Cannot send FIRE to line I/O '127.0.0.1:1': not connected.")
        self.fires.append(encoder)


def rejector(io: Io | None = None) -> tuple[Rejector, Io]:
    io = io or Io()
    return Rejector(io, offset=OFFSET, pitch=PITCH), io


def test_a_reject_armed_at_its_verdict_is_not_fired_again_at_the_decision_point() -> None:
    line, io = rejector()
    pack = line.fifo.detect(1000)
    assert pack == 0
    assert line.fifo.decide(pack, reject=True) is Decision.ON_TIME
    line.reject(pack, 1000 + OFFSET, position=1200)  # armed as soon as judged
    assert io.fires == [1500]
    passed = line.advance(1500, position=1300)
    assert [(p.pack, p.fire, p.late) for p in passed] == [(0, True, False)]
    assert (io.fires, line.fired, line.missed) == ([1500], 1, [])


def test_a_pack_with_no_verdict_is_fired_at_its_decision_point_and_a_verdict_then_is_late() -> None:
    """The camera's result comes in the very turn the pack reaches its decision point (after
    the FIFO passed it): the pack was fired as late, the verdict is late, nothing fires twice."""
    line, io = rejector()
    line.fifo.detect(1000)
    assert line.advance(1499, position=1299) == []  # one count short: no decision yet
    (passed,) = line.advance(1500, position=1300)  # exactly at the decision point
    assert (passed.fire, passed.late) == (True, True)
    assert line.fifo.decide(0, reject=False) is Decision.LATE
    line.advance(2000, position=1800)
    assert (io.fires, line.fired) == ([1500], 1)


def test_a_verdict_one_count_before_the_decision_point_is_on_time() -> None:
    line, io = rejector()
    line.fifo.detect(1000)
    line.advance(1499, position=1299)
    assert line.fifo.decide(0, reject=False) is Decision.ON_TIME
    assert [p.fire for p in line.advance(1500, position=1300)] == [False]
    assert io.fires == []


def test_a_result_for_a_pack_already_rejected_fires_nothing_more() -> None:
    """A pack cleared from the line (its reject armed), then its result, then its decision
    point: one fire."""
    line, io = rejector()
    line.fifo.detect(1000)
    line.reject(0, 1500, position=1100)  # cleared: armed
    line.reject(0, 1500, position=1150)  # its result came, a reject: armed already
    line.advance(1500, position=1300)
    assert (io.fires, line.fired) == ([1500], 1)


def test_double_triggers_during_a_camera_outage_fire_each_pack_once_at_its_own_point() -> None:
    """No verdict comes at all (the camera is away) while the product detect bounces: every
    real pack is fired once as late, at its own reject point; no bounce makes a phantom."""
    line, io = rejector()
    detects = [1000, 1004, 1200, 1230, 1400, 1401, 1499, 1600]
    ids = [line.fifo.detect(at) for at in detects]
    assert ids == [0, None, 1, None, 2, None, None, 3]
    passed = []
    for position in range(1000, 2301, 50):  # the encoder as the I/O reports it
        passed += line.advance(position + 200, position=position)
    assert [(p.pack, p.late) for p in passed] == [(0, True), (1, True), (2, True), (3, True)]
    assert io.fires == [1500, 1700, 1900, 2100]
    assert line.fifo.double_triggers == 4


@pytest.mark.parametrize(("position", "fired"), [(1599, [1500]), (1600, [])])
def test_a_fire_the_belt_outran_is_not_sent_to_the_pack_behind(
    position: int, fired: list[int]
) -> None:
    """The loop was held up past the lead: at 1599 the pack is still within the actuator's
    reach (half a pitch past its point), at 1600 it is out of it, in front of the actuator is
    the next pack: no fire, the pack counted as missed."""
    line, io = rejector()
    line.fifo.detect(1000)
    (passed,) = line.advance(position + 200, position=position)
    assert (passed.fire, passed.late) == (True, True)
    assert io.fires == fired
    assert line.missed == ([] if fired else [0])


def test_a_fire_the_io_refuses_is_not_counted() -> None:
    line, io = rejector(Io(broken=True))
    line.fifo.detect(1000)
    line.advance(1500, position=1300)
    assert (io.fires, line.fired, line.missed) == ([], 0, [])

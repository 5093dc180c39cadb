"""The reject FIFO driven by encoder streams: which packs are pushed off, with missed and double
triggers, late verdicts and a wrapping counter; and a Hypothesis oracle over random streams."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import InvalidQuantity, LineError
from jejak.line_adapters.reject import Decision, Passed, RejectFifo


def play(fifo: RejectFifo, stream: str) -> str:
    """Run a stream of events — ``d300`` a product detect at encoder count 300, ``v2+`` / ``v2-``
    the verdict reject / good for pack 2, ``a800`` the encoder read at 800 — and write what came
    back: a detect's pack id or ``x`` (double trigger), ``ok`` or ``late`` for a verdict, and
    each pack at the reject point as ``P2`` (passes), ``R2`` (rejected by its verdict) or ``L2``
    (rejected, no verdict in time)."""
    out: list[str] = []
    for event in stream.split():
        kind, rest = event[0], event[1:]
        if kind == "d":
            pack = fifo.detect(int(rest))
            out.append("x" if pack is None else str(pack))
        elif kind == "v":
            decision = fifo.decide(int(rest[:-1]), reject=rest[-1] == "+")
            out.append({Decision.ON_TIME: "ok", Decision.LATE: "late"}[decision])
        else:
            for p in fifo.advance(int(rest)):
                out.append(("L" if p.late else "R" if p.fire else "P") + str(p.pack))
    return " ".join(out)


STREAMS = [
    ("d0 d200 v0- v1+ a499 a500 a700", "0 1 ok ok P0 R1"),
    # No verdict by the reject point: rejected; the verdict that comes afterwards is late.
    ("d0 d200 v1- a750 v0-", "0 1 ok L0 P1 late"),
    # Bounces within the pitch (80) are double triggers.
    ("d100 d104 d110 d300 d301 v0+ v1- a10000", "0 x x 1 x ok ok R0 P1"),
    # The pitch counts from the last accepted detect: 179 is a bounce, 180 a pack.
    ("d100 d179 d180 v0- v1- a680", "0 x 1 ok ok P0 P1"),
    # A pack is reported once, at the first read at or past detect + offset (500).
    ("d0 v0+ a100 d150 a500 a500 v1- a649 a650 a5000", "0 ok 1 R0 ok P1"),
    # Latched detects read after the encoder moved on: reported at the next read.
    ("a900 d300 d400 v1- a900", "0 1 ok L0 P1"),
    # Verdicts out of order; two come after their packs passed.
    ("d0 d100 d200 a600 v2+ v1+ v0- a800", "0 1 2 L0 L1 ok late late R2"),
    # Nothing detected, nothing passes.
    ("a0 a1000", ""),
]


@pytest.mark.parametrize(("stream", "expected"), STREAMS)
def test_streams(stream: str, expected: str) -> None:
    assert play(RejectFifo(offset=500, min_pitch=80), stream) == expected


def test_passed_carries_the_actuator_window() -> None:
    fifo = RejectFifo(offset=500, min_pitch=80, window=40)
    fifo.detect(1000)
    fifo.decide(0, reject=True)
    assert fifo.pending == 1
    assert fifo.advance(2000) == [Passed(0, 1000, True, False, reject_at=1500, release_at=1540)]
    assert (fifo.pending, fifo.detected) == (0, 1)


# Physical packs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pack:
    """A physical pack on the conveyor: where its leading edge crosses the sensor, and whether
    its code reads bad."""

    at: int
    bad: bool = False


OFFSET, CAMERA = 500, 200  # counts from the sensor to the rejector, and to the camera
LINE = [Pack(1000), Pack(1200), Pack(1400, bad=True), Pack(1600, bad=True), Pack(1800), Pack(2000)]


def pushed_off(fifo: RejectFifo, passed: list[Passed], line: Sequence[Pack]) -> list[int]:
    """The physical packs (indices into `line`) in front of the actuator when it fires."""
    return [i for p in passed if p.fire for i, pack in enumerate(line) if pack.at == p.detected_at]


def run(line: Sequence[Pack], detects: Sequence[int], verdicts: str) -> tuple[list[int], int]:
    """Feed the detect positions the sensor reported; camera verdicts either bound to the id of
    the detect that triggered the camera (``"by id"``), or matched to ids by order from a camera
    that triggers itself on every physical pack (``"by order"``). Returns the physical packs
    pushed off and the number of verdicts the FIFO refused."""
    fifo = RejectFifo(offset=OFFSET, min_pitch=150)
    ids: dict[int, int] = {}  # detect position -> pack id
    for position in detects:
        pack = fifo.detect(position)
        if pack is not None:
            ids[position] = pack
    refused = 0
    if verdicts == "by id":
        for position, pack in ids.items():
            bad = next(p.bad for p in line if p.at == position)
            fifo.decide(pack, reject=bad)
    else:
        for order, physical in enumerate(line):
            try:
                fifo.decide(order, reject=physical.bad)
            except LineError:
                refused += 1
    passed = fifo.advance(max(p.at for p in line) + OFFSET)
    assert [p.pack for p in passed] == sorted(ids.values())  # each detected pack once
    return pushed_off(fifo, passed, line), refused


def test_every_detect_seen_the_bad_packs_are_pushed_off() -> None:
    assert run(LINE, [p.at for p in LINE], "by id") == ([2, 3], 0)


def test_double_triggers_are_filtered_and_change_nothing() -> None:
    bouncy = [1000, 1004, 1200, 1400, 1401, 1430, 1600, 1800, 1990 + 10, 2003]
    assert run(LINE, bouncy, "by id") == ([2, 3], 0)


def test_a_missed_trigger_with_verdicts_by_id_lets_that_pack_through_unverified() -> None:
    """Pack 2 (bad) passes the sensor unseen: the camera is never triggered for it and nothing
    fires for it; every other pack is handled exactly right."""
    detects = [p.at for i, p in enumerate(LINE) if i != 2]
    assert run(LINE, detects, "by id") == ([3], 0)


def test_a_missed_trigger_with_verdicts_by_order_shifts_every_verdict_after_it() -> None:
    """Pack 1 (good) is missed; the camera reads all six. The verdicts of packs 2 and 3 (bad)
    land on the ids of packs 3 and 4: good pack 4 is pushed off, bad pack 2 goes on, and the
    FIFO refuses the sixth verdict, for an id it never issued: the only sign of the miss."""
    detects = [p.at for i, p in enumerate(LINE) if i != 1]
    assert run(LINE, detects, "by order") == ([3, 4], 1)


def test_a_phantom_pack_from_an_unfiltered_double_trigger() -> None:
    """With the pitch filter off, a bounce at pack 3 is a second id: bound to ids, the camera
    reads pack 3 for both, so the actuator fires twice on the same pack, and no verdict moves."""
    fifo = RejectFifo(offset=OFFSET, min_pitch=0)
    for position in (1000, 1600, 1603, 1800):
        fifo.detect(position)
    for pack, bad in enumerate([False, True, True, False]):
        fifo.decide(pack, reject=bad)
    passed = fifo.advance(3000)
    assert [(p.detected_at, p.fire) for p in passed] == [
        (1000, False),
        (1600, True),
        (1603, True),
        (1800, False),
    ]
    assert fifo.double_triggers == 0


# Wrapping encoder -----------------------------------------------------------------------------


def test_a_32_bit_counter_that_wraps() -> None:
    top = 2**32
    fifo = RejectFifo(offset=500, min_pitch=80, window=30, modulus=top)
    assert fifo.detect(top - 300) == 0
    assert fifo.detect(top - 290) is None  # a double trigger
    assert fifo.detect(top - 100) == 1
    assert fifo.detect(50) == 2  # the counter wrapped: 150 counts after the last detect
    fifo.decide(0, reject=True)
    fifo.decide(1, reject=False)
    assert fifo.advance(top - 1) == []
    assert fifo.advance(199) == []
    assert fifo.advance(200) == [Passed(0, top - 300, True, False, 200, 230)]
    assert fifo.advance(400) == [Passed(1, top - 100, False, False, 400, 430)]
    assert fifo.advance(549) == []
    assert fifo.advance(550) == [Passed(2, 50, True, True, 550, 580)]
    with pytest.raises(LineError) as caught:
        fifo.advance(549)
    assert str(caught.value) == (
        "Backward encoder position 549: expected 550 or more (the encoder only counts forward). "
        "Hint: check the encoder's direction, or set the modulus of a counter that wraps."
    )


def test_a_wrapping_window_wraps() -> None:
    fifo = RejectFifo(offset=10, min_pitch=5, window=10, modulus=100)
    fifo.detect(85)
    assert fifo.advance(95) == [Passed(0, 85, True, True, 95, 5)]


# Refusals -------------------------------------------------------------------------------------


COUNTS = "expected encoder counts,"
OFFSET_HINT = "Hint: the encoder counts from the product-detect sensor to the reject actuator."
HALF = "and below 50 (half the modulus)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"offset": -1, "min_pitch": 0},
            f"Invalid reject offset -1: {COUNTS} 0 or more. {OFFSET_HINT}",
        ),
        (
            {"offset": 500, "min_pitch": 1.5},
            (
                f"Invalid minimum pitch 1.5: {COUNTS} 0 or more. Hint: a little less than the "
                "shortest distance between two packs; 0 turns the double-trigger filter off."
            ),
        ),
        (
            {"offset": 500, "min_pitch": 0, "window": True},
            (
                f"Invalid reject window True: {COUNTS} 0 or more. Hint: how many counts the "
                "actuator stays on for a reject."
            ),
        ),
        (
            {"offset": 500, "min_pitch": 0, "modulus": 2},
            f"Invalid encoder modulus 2: {COUNTS} 4 or more. Hint: e.g. 2**32 for 32 bits.",
        ),
        (
            {"offset": 50, "min_pitch": 0, "modulus": 100},
            f"Invalid reject offset 50: {COUNTS} 0 or more {HALF}. {OFFSET_HINT}",
        ),
        (
            {"offset": 40, "min_pitch": 0, "window": 10, "modulus": 100},
            (
                "Invalid reject offset 40 with window 10: expected less than 50 counts together "
                f"(half the modulus). {OFFSET_HINT}"
            ),
        ),
    ],
)
def test_settings_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        RejectFifo(**options)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("position", "shown", "bounds"),
    [("10", "'10'", ""), (1.0, "1.0", ""), (None, "None", ""), (True, "True", "")],
)
def test_positions_are_whole_counts(position: object, shown: str, bounds: str) -> None:
    fifo = RejectFifo(offset=500, min_pitch=0)
    with pytest.raises(InvalidQuantity) as caught:
        fifo.detect(position)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"Invalid product detect position {shown}: expected a whole encoder count{bounds}. "
        "Hint: pass the counter's value as an int."
    )


def test_positions_within_the_modulus() -> None:
    fifo = RejectFifo(offset=5, min_pitch=0, modulus=100)
    with pytest.raises(InvalidQuantity) as caught:
        fifo.advance(100)
    assert str(caught.value) == (
        "Invalid encoder position 100: expected a whole encoder count from 0 to 99. Hint: pass "
        "the counter's value as an int."
    )


def test_detects_do_not_go_backwards_and_a_refusal_changes_nothing() -> None:
    fifo = RejectFifo(offset=500, min_pitch=0)
    fifo.detect(1000)
    with pytest.raises(LineError) as caught:
        fifo.detect(999)
    assert str(caught.value) == (
        "Backward product detect position 999: expected 1000 or more (the encoder only counts "
        "forward). Hint: check the encoder's direction, or set the modulus of a counter that "
        "wraps."
    )
    assert (fifo.detected, fifo.pending) == (1, 1)
    assert fifo.detect(1000) == 1


@pytest.mark.parametrize(
    ("pack", "message"),
    [
        (2, "Unknown pack 2: expected a pack id that detect returned (0 to 1)."),
        (-1, "Unknown pack -1: expected a pack id that detect returned (0 to 1)."),
        (True, "Unknown pack True: expected a pack id that detect returned (0 to 1)."),
        ("0", "Unknown pack '0': expected a pack id that detect returned (0 to 1)."),
    ],
)
def test_verdicts_for_unknown_packs(pack: object, message: str) -> None:
    fifo = RejectFifo(offset=500, min_pitch=0)
    fifo.detect(0)
    fifo.detect(10)
    with pytest.raises(LineError) as caught:
        fifo.decide(pack, reject=True)  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"{message} Hint: more verdicts than detects means a missed product detect."
    )


def test_a_verdict_before_any_detect() -> None:
    with pytest.raises(LineError) as caught:
        RejectFifo(offset=500, min_pitch=0).decide(0, reject=False)
    assert str(caught.value) == (
        "Unknown pack 0: expected a pack id that detect returned (none yet). Hint: more verdicts "
        "than detects means a missed product detect."
    )


def test_one_verdict_a_pack() -> None:
    fifo = RejectFifo(offset=500, min_pitch=0)
    for position in (0, 100, 200):
        fifo.detect(position)
    fifo.decide(0, reject=False)
    fifo.decide(1, reject=True)
    with pytest.raises(LineError) as caught:
        fifo.decide(1, reject=False)
    assert str(caught.value) == (
        "Second verdict for pack 1: expected one verdict a pack, and it has one. Hint: a camera "
        "that answered twice for one trigger; the first verdict stands."
    )
    fifo.advance(700)
    with pytest.raises(LineError) as caught:  # passed with its verdict
        fifo.decide(0, reject=True)
    assert "and it passed the reject point with one" in str(caught.value)
    assert fifo.decide(2, reject=False) is Decision.LATE
    with pytest.raises(LineError):  # a late pack gets its late verdict once too
        fifo.decide(2, reject=False)
    assert [p.fire for p in fifo.advance(10_000)] == []


# Random streams -------------------------------------------------------------------------------


@st.composite
def streams(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int, str, int | bool]]]:
    """Packs at random gaps (some closer than the pitch), each decided after a random delay or
    never, and encoder reads at random positions; the events in position order."""
    offset, pitch = draw(st.integers(0, 300)), draw(st.integers(0, 50))
    events: list[tuple[int, int, str, int | bool]] = []  # (position, tie, kind, payload)
    position = draw(st.integers(0, 1000))
    for index in range(draw(st.integers(0, 40))):
        position += draw(st.integers(0, 120))
        events.append((position, 0, "detect", index))
        delay = draw(st.none() | st.integers(1, 2 * offset + 10))
        if delay is not None:
            events.append((position + delay, draw(st.integers(0, 2)), "decide", index))
    for read in draw(st.lists(st.integers(0, 6000), max_size=30)):
        events.append((read, draw(st.integers(0, 2)), "advance", 0))
    events.sort(key=lambda e: (e[0], e[1]))
    events.append((10**9, 0, "advance", 0))
    return offset, pitch, events


def oracle(
    offset: int, pitch: int, events: list[tuple[int, int, str, int | bool]]
) -> tuple[list[tuple[int, int, bool, int]], dict[int, Decision]]:
    """What the FIFO must do, computed apart: the accepted detects; for each, the step at which
    it passes (the first read at or past its reject point, after its detect) and whether its
    verdict came before that step."""
    passes: list[tuple[int, int, bool, int]] = []  # (pack id, detected at, on time, step)
    decisions: dict[int, Decision] = {}
    decided = {int(e[3]): step for step, e in enumerate(events) if e[2] == "decide"}
    last: int | None = None
    for detect_step, (at, _, kind, index) in enumerate(events):
        if kind != "detect" or (last is not None and at - last < pitch):
            continue
        last = at
        passed_step = next(
            step
            for step, e in enumerate(events)
            if step > detect_step and e[2] == "advance" and e[0] >= at + offset
        )
        verdict_step = decided.get(int(index))
        on_time = verdict_step is not None and verdict_step < passed_step
        passes.append((len(passes), at, on_time, passed_step))
        if verdict_step is not None:
            decisions[int(index)] = Decision.ON_TIME if on_time else Decision.LATE
    return passes, decisions


@given(streams(), st.data())
def test_random_streams_every_pack_passes_once_in_order(
    stream: tuple[int, int, list[tuple[int, int, str, int | bool]]], data: st.DataObject
) -> None:
    offset, pitch, events = stream
    rejects = {e[3]: data.draw(st.booleans()) for e in events if e[2] == "decide"}
    fifo = RejectFifo(offset=offset, min_pitch=pitch)
    ids: dict[int, int | None] = {}
    passed: list[tuple[int, Passed]] = []
    decisions: dict[int, Decision] = {}
    for step, (position, _, kind, index) in enumerate(events):
        if kind == "detect":
            ids[int(index)] = fifo.detect(position)
        elif kind == "advance":
            passed.extend((step, p) for p in fifo.advance(position))
        elif (pack := ids[int(index)]) is not None:
            decisions[int(index)] = fifo.decide(pack, reject=rejects[index])
    expected, expected_decisions = oracle(offset, pitch, events)
    assert [p.pack for _, p in passed] == list(range(len(expected)))  # each once, in order
    by_pack = {pack: index for index, pack in ids.items() if pack is not None}
    for (step, p), (pack, at, on_time, passed_step) in zip(passed, expected, strict=True):
        index = by_pack[pack]
        assert (p.pack, p.detected_at, step) == (pack, at, passed_step)
        assert p.late is not on_time
        assert p.fire is (not on_time or rejects[index])
    assert decisions == expected_decisions
    assert fifo.pending == 0
    assert fifo.double_triggers == sum(1 for pack in ids.values() if pack is None)


@given(streams(), st.integers(0, 20_000))
def test_a_wrapping_counter_gives_the_same_answer(
    stream: tuple[int, int, list[tuple[int, int, str, int | bool]]], before_top: int
) -> None:
    """The same stream on an unbounded count and on a 32-bit counter started close to its top
    (most streams wrap it): the same packs pass at the same reads, with the same decisions."""
    offset, pitch, events = stream
    top = 2**32
    base = top - before_top

    def drive(fifo: RejectFifo, shift: int, modulus: int | None) -> list[object]:
        out: list[object] = []
        ids: dict[int, int | None] = {}
        for position, _, kind, index in events[:-1]:
            at = position + shift if modulus is None else (position + shift) % modulus
            if kind == "detect":
                ids[int(index)] = fifo.detect(at)
                out.append(ids[int(index)])
            elif kind == "advance":
                out.append(
                    [(p.pack, p.fire, p.late, p.detected_at % top) for p in fifo.advance(at)]
                )
            elif (pack := ids[int(index)]) is not None:
                out.append(fifo.decide(pack, reject=index % 2 == 0))
        return out

    plain = drive(RejectFifo(offset=offset, min_pitch=pitch), base, None)
    wrapped = drive(RejectFifo(offset=offset, min_pitch=pitch, modulus=top), base, top)
    assert wrapped == plain

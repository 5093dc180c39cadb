"""Code lifecycle: OPEN-SCS numbering, parsing, the whole transition table, and its invariants."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from jejak.engine.codes import (
    CLOSE_RESOLUTION,
    OPEN_STATES,
    TERMINAL_STATES,
    TRANSITIONS,
    CodeState,
    Level,
    check_transition,
)
from jejak.engine.errors import IllegalTransition, InvalidFormat
from jejak.engine.store.unit_of_work import allowed_mask

S = CodeState
# OPC 30260 (OPEN-SCS PSS) serial-number states, written out independently of the module.
OPEN_SCS = [
    (0, "Unassigned"), (1, "Unallocated"), (2, "Allocated"), (3, "SNInvalid"), (4, "Encoded"),
    (5, "LabelSampled"), (6, "LabelScrapped"), (7, "Commissioned"), (8, "Sampled"),
    (9, "Inactive"), (10, "Destroyed"), (11, "Released"),
]  # fmt: skip
STATE_NAMES = ", ".join(label for _, label in OPEN_SCS)
ISSUED_BEFORE_PRINTING = {S.UNASSIGNED, S.UNALLOCATED, S.ALLOCATED}


def reachable(start: CodeState) -> set[CodeState]:
    """Every state some sequence of one or more allowed transitions leads to from `start`."""
    seen: set[CodeState] = set()
    todo = list(TRANSITIONS[start])
    while todo:
        state = todo.pop()
        if state not in seen:
            seen.add(state)
            todo.extend(TRANSITIONS[state])
    return seen


def test_states_are_numbered_and_named_as_open_scs() -> None:
    assert [(int(s), s.label) for s in CodeState] == OPEN_SCS


def test_the_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(CodeState)


@pytest.mark.parametrize(
    "value",
    [
        "LabelScrapped",
        "label_scrapped",
        "LABEL_SCRAPPED",
        "labelscrapped",
        6,
        "6",
        S.LABEL_SCRAPPED,
    ],
)
def test_parse_state_accepts_label_name_and_number(value: object) -> None:
    assert CodeState.parse(value) is S.LABEL_SCRAPPED


@pytest.mark.parametrize(("number", "label"), OPEN_SCS)
def test_parse_state_round_trips_every_label_and_number(number: int, label: str) -> None:
    state = CodeState(number)
    assert (
        CodeState.parse(label) is CodeState.parse(number) is CodeState.parse(str(number)) is state
    )
    assert CodeState.parse(state.name) is CodeState.parse(state.name.lower()) is state


@pytest.mark.parametrize(
    "junk",
    ["", " ", "Label Scrapped", "Label-Scrapped", " Encoded", "Encoded ", "12", "-1", "06",
     12, -1, 255, None, b"Encoded", "Ｅｎｃｏｄｅｄ", [], "Unassigned\x00"],
)  # fmt: skip
def test_parse_state_refuses_junk(junk: object) -> None:
    message = (
        f"Invalid code state {junk!r}: expected one of {STATE_NAMES}. Hint: use the OPEN-SCS "
        "name, e.g. 'Commissioned'."
    )
    with pytest.raises(InvalidFormat, match=re.escape(message)):
        CodeState.parse(junk)


@pytest.mark.parametrize("junk", [True, False])
def test_parse_state_refuses_bools(junk: object) -> None:
    # True == 1 in Python; a JSON `true` is not the state Unallocated.
    with pytest.raises(InvalidFormat, match=re.escape(f"Invalid code state {junk!r}:")):
        CodeState.parse(junk)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Level.PRIMARY, Level.PRIMARY), ("primary", Level.PRIMARY), (1, Level.PRIMARY),
     ("secondary", Level.SECONDARY), (2, Level.SECONDARY),
     ("tertiary", Level.TERTIARY), (3, Level.TERTIARY)],
)  # fmt: skip
def test_parse_level(value: object, expected: Level) -> None:
    assert Level.parse(value) is expected


@pytest.mark.parametrize("junk", ["", "pallet", "case", "quaternary", 0, 4, -1, None, "primary "])
def test_parse_level_refuses_junk(junk: object) -> None:
    message = (
        f"Invalid level {junk!r}: expected 'primary', 'secondary' or 'tertiary'. "
        "Hint: primary is the pack, secondary the case, tertiary the pallet."
    )
    with pytest.raises(InvalidFormat, match=re.escape(message)):
        Level.parse(junk)


@pytest.mark.parametrize("junk", [True, False])
def test_parse_level_refuses_bools(junk: object) -> None:
    with pytest.raises(InvalidFormat, match=re.escape(f"Invalid level {junk!r}:")):
        Level.parse(junk)


ALL_PAIRS = list(itertools.product(CodeState, CodeState))


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: s.label)
def test_check_transition_follows_the_table(current: CodeState, target: CodeState) -> None:
    allowed = TRANSITIONS[current]
    if target in allowed:
        assert check_transition("(21)ABC", current, target) is None
        return
    names = ", ".join(sorted(s.label for s in allowed)) or "none (final)"
    message = (
        f"Illegal transition for code '(21)ABC': from {current.label} to {target.label}. "
        f"Expected one of: {names}. Hint: a code that may have been printed is never issued again."
    )
    with pytest.raises(IllegalTransition, match=re.escape(message)) as caught:
        check_transition("(21)ABC", current, target)
    assert (caught.value.code, caught.value.current, caught.value.target) == (
        "(21)ABC", current, target
    )  # fmt: skip


def test_check_transition_from_a_final_state_says_so() -> None:
    message = (
        "Illegal transition for code 'X': from Destroyed to Commissioned. Expected one of: "
        "none (final)."
    )
    with pytest.raises(IllegalTransition, match=re.escape(message)):
        check_transition("X", S.DESTROYED, S.COMMISSIONED)


@pytest.mark.parametrize("target", list(CodeState), ids=lambda s: s.label)
def test_allowed_mask_agrees_with_the_table(target: CodeState) -> None:
    mask = allowed_mask(target)
    expected = [byte <= 11 and target in TRANSITIONS[CodeState(byte)] for byte in range(256)]
    assert (mask.shape, mask.dtype) == ((256,), np.dtype(np.bool_))
    assert mask.tolist() == expected
    assert not mask[12:].any()


def test_nothing_printed_is_issued_again() -> None:
    after_printing = reachable(S.ENCODED)
    assert after_printing.isdisjoint(ISSUED_BEFORE_PRINTING)
    assert S.ENCODED not in after_printing  # a printed code is never printed a second time
    for state in after_printing:
        assert reachable(state).isdisjoint(ISSUED_BEFORE_PRINTING | {S.ENCODED}), state


def test_only_issued_codes_reach_the_printer() -> None:
    assert {s for s, targets in TRANSITIONS.items() if S.ENCODED in targets} == {S.ALLOCATED}


def test_close_resolution_settles_every_open_state() -> None:
    assert set(CLOSE_RESOLUTION) == OPEN_STATES
    assert OPEN_STATES.isdisjoint(TERMINAL_STATES)
    for open_state, settled in CLOSE_RESOLUTION.items():
        assert settled in TRANSITIONS[open_state], open_state  # a legal move, not a bypass
        assert settled in TERMINAL_STATES, open_state
        assert TRANSITIONS[settled] == frozenset(), open_state
        assert reachable(settled).isdisjoint(OPEN_STATES), open_state


def test_terminal_states() -> None:
    assert {
        S.SN_INVALID, S.LABEL_SCRAPPED, S.DESTROYED,  # final: no way out
        S.COMMISSIONED, S.SAMPLED, S.INACTIVE, S.RELEASED,  # resting states of a closed batch
    } == TERMINAL_STATES  # fmt: skip

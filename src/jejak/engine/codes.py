"""Code lifecycle: the OPEN-SCS states (OPC 30260), packaging levels, and the transition table.

States are numbered as OPEN-SCS numbers them, so a state is one byte in the store's dense arrays.
A transition not in the table is an error, never silently applied.

>>> check_transition("01…21ABC", CodeState.ALLOCATED, CodeState.ENCODED)
>>> check_transition("01…21ABC", CodeState.RELEASED, CodeState.ALLOCATED)
Traceback (most recent call last):
...
jejak.engine.errors.IllegalTransition: Illegal transition for code '01…21ABC': from Released to \
Allocated. Expected one of: Inactive. Hint: a code that may have been printed is never issued again.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from jejak.engine.errors import IllegalTransition

__all__ = [
    "OPEN_STATES",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "CodeForm",
    "CodeState",
    "Level",
    "check_transition",
]


class CodeState(IntEnum):
    """The serial-number states of OPEN-SCS PSS, with their numbers."""

    UNASSIGNED = 0
    UNALLOCATED = 1
    ALLOCATED = 2
    SN_INVALID = 3
    ENCODED = 4
    LABEL_SAMPLED = 5
    LABEL_SCRAPPED = 6
    COMMISSIONED = 7
    SAMPLED = 8
    INACTIVE = 9
    DESTROYED = 10
    RELEASED = 11

    @property
    def label(self) -> str:
        """The OPEN-SCS name, e.g. ``LabelScrapped``."""
        return _LABELS[self]

    @classmethod
    def parse(cls, value: object) -> CodeState:
        """A state from its OPEN-SCS name (``LabelScrapped``), enum name or number."""
        names = ", ".join(s.label for s in cls)
        if isinstance(value, bool):  # True == 1 in Python; a JSON true is no state
            raise IllegalTransition.invalid_state(value, names)
        for state in cls:
            if value in (state.label, state.name, state.value, str(state.value)):
                return state
            if isinstance(value, str) and value.replace("_", "").lower() == state.label.lower():
                return state
        raise IllegalTransition.invalid_state(value, names)


_LABELS = {
    CodeState.UNASSIGNED: "Unassigned",
    CodeState.UNALLOCATED: "Unallocated",
    CodeState.ALLOCATED: "Allocated",
    CodeState.SN_INVALID: "SNInvalid",
    CodeState.ENCODED: "Encoded",
    CodeState.LABEL_SAMPLED: "LabelSampled",
    CodeState.LABEL_SCRAPPED: "LabelScrapped",
    CodeState.COMMISSIONED: "Commissioned",
    CodeState.SAMPLED: "Sampled",
    CodeState.INACTIVE: "Inactive",
    CodeState.DESTROYED: "Destroyed",
    CodeState.RELEASED: "Released",
}


class Level(IntEnum):
    """Packaging levels (annex C.2.b-d)."""

    PRIMARY = 1
    SECONDARY = 2
    TERTIARY = 3

    @classmethod
    def parse(cls, value: object) -> Level:
        if isinstance(value, bool):
            raise IllegalTransition.invalid_level(value)
        for level in cls:
            if value in (level, level.name.lower(), level.value):
                return level
        raise IllegalTransition.invalid_level(value)


class CodeForm(StrEnum):
    """How a code is written out (`jejak codes list --form`, reports)."""

    HRI = "hri"
    RAW = "raw"
    SERIAL = "serial"


S = CodeState
TRANSITIONS: dict[CodeState, frozenset[CodeState]] = {
    S.UNASSIGNED: frozenset({S.UNALLOCATED, S.ALLOCATED}),
    S.UNALLOCATED: frozenset({S.ALLOCATED, S.SN_INVALID}),
    # Sent to a printer (Encoded), or never used and voided at batch close (SNInvalid).
    S.ALLOCATED: frozenset({S.ENCODED, S.SN_INVALID}),
    S.SN_INVALID: frozenset(),
    # Printed: verified and activated, taken as a label sample, or scrapped (rejected, or an
    # outcome never confirmed: a code that may have been printed is never issued again).
    S.ENCODED: frozenset({S.COMMISSIONED, S.LABEL_SAMPLED, S.LABEL_SCRAPPED}),
    S.LABEL_SAMPLED: frozenset({S.LABEL_SCRAPPED, S.COMMISSIONED}),
    S.LABEL_SCRAPPED: frozenset(),
    S.COMMISSIONED: frozenset({S.SAMPLED, S.INACTIVE, S.DESTROYED, S.RELEASED}),
    S.SAMPLED: frozenset({S.DESTROYED}),
    S.INACTIVE: frozenset({S.COMMISSIONED, S.DESTROYED}),
    S.DESTROYED: frozenset(),
    # Shipped; a recall or return makes it inactive.
    S.RELEASED: frozenset({S.INACTIVE}),
}
del S

TERMINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets) | {
    CodeState.COMMISSIONED,
    CodeState.SAMPLED,
    CodeState.INACTIVE,
    CodeState.RELEASED,
}
"""States a code may rest in when its batch closes."""
OPEN_STATES = frozenset({CodeState.ALLOCATED, CodeState.ENCODED, CodeState.LABEL_SAMPLED})
"""States that batch close settles: unused codes are voided, unconfirmed prints scrapped."""
CLOSE_RESOLUTION = {
    CodeState.ALLOCATED: CodeState.SN_INVALID,
    CodeState.ENCODED: CodeState.LABEL_SCRAPPED,
    CodeState.LABEL_SAMPLED: CodeState.LABEL_SCRAPPED,
}


def check_transition(code: str, current: CodeState, target: CodeState) -> None:
    """Raise `IllegalTransition` unless `current` may become `target`."""
    allowed = TRANSITIONS[current]
    if target not in allowed:
        raise IllegalTransition(code, current, target, allowed)

"""The rules of aggregation, as a closed set, and what a container holds.

A refusal names its rule (`Rule`: the station's alarm and the CLI's error say which), the
offending code, and what to do; nothing of the refused operation is written.

>>> str(refusal(Rule.NOT_COMMISSIONED, "(01)08991234567891(21)A", "it is Encoded"))[:62]
"Cannot aggregate '(01)08991234567891(21)A': it is Encoded; onl"
"""

from __future__ import annotations

from enum import IntEnum

from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.codes import Level
from jejak.engine.errors import AggregationRefused

__all__ = ["Rule", "Seal", "capacity", "refusal"]


class Rule(IntEnum):
    """Why an aggregation operation is refused."""

    NOT_COMMISSIONED = 1  # a child that is not Commissioned (not verified, sampled, destroyed)
    HAS_PARENT = 2  # a child already in a container
    WRONG_LEVEL = 3  # levels nest strictly: packs in cases, cases in pallets
    OVER_CAPACITY = 4  # more children than the batch's max per secondary / tertiary (Art. 8)
    OTHER_BATCH = 5  # a child of another batch (mixed pallets only where the site allows)
    NOT_PRINTED = 6  # a container whose label was never printed
    NOT_PACKED = 7  # a code that is in no container, where the operation needs one
    REPEATED = 8  # the same code twice in one operation
    UNKNOWN = 9  # not a code of this store (counterfeit alarm)
    NOT_SERIALIZED = 10  # an identification batch: its packs share one code
    BATCH_CLOSED = 11  # a closed batch never changes
    NO_READ = 12  # a station read fewer labels than were packed (or not its container's)

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def rule(self) -> str:
        return _RULES[self]

    @property
    def hint(self) -> str:
        return _HINTS[self]


_RULES = {
    Rule.NOT_COMMISSIONED: "only Commissioned codes (verified on the line) are aggregated",
    Rule.HAS_PARENT: "a code is in at most one container",
    Rule.WRONG_LEVEL: "levels nest strictly: primary codes in a secondary, secondaries in a "
    "tertiary",
    Rule.OVER_CAPACITY: "a container holds at most the batch's maximum (Art. 8)",
    Rule.OTHER_BATCH: "a container holds codes of its own batch only",
    Rule.NOT_PRINTED: "a container's label is printed (Encoded) or verified (Commissioned)",
    Rule.NOT_PACKED: "the operation needs a code that is in a container",
    Rule.REPEATED: "each code appears once in an operation",
    Rule.UNKNOWN: "only codes this store issued are aggregated",
    Rule.NOT_SERIALIZED: "identification packs share one code and cannot be aggregated",
    Rule.BATCH_CLOSED: "a closed batch never changes",
    Rule.NO_READ: "a station links only what its camera read, every label of the container",
}
_HINTS = {
    Rule.NOT_COMMISSIONED: "verify the pack on the line first, or leave it out",
    Rule.HAS_PARENT: "unpack it first (`jejak agg unpack`), or move it (`jejak agg move`)",
    Rule.WRONG_LEVEL: "see the code's level with `jejak agg show`",
    Rule.OVER_CAPACITY: "use another container, or unpack some of its children first",
    Rule.OTHER_BATCH: "use a container of the code's batch; pallets mix batches only with "
    "--mixed-pallets where the site allows it",
    Rule.NOT_PRINTED: "print its label first, or mark it printed with `jejak codes mark "
    "--to Encoded`",
    Rule.NOT_PACKED: "see where it is with `jejak agg show`",
    Rule.REPEATED: "remove the repeated code",
    Rule.UNKNOWN: "check the code; an unknown code on a pack is a counterfeit suspect",
    Rule.NOT_SERIALIZED: "aggregate serialized (authentication) products only",
    Rule.BATCH_CLOSED: "aggregate while the batch is open",
    Rule.NO_READ: "take the container to QA: read its labels by hand and pack it with "
    "`jejak agg pack`",
}


class Seal(IntEnum):
    """What a container's fill says, one byte a code in the store's ``containers`` column."""

    OPEN = 0  # empty, or short of its capacity and not closed as partial
    FULL = 1  # holds its capacity
    PARTIAL = 2  # closed short of its capacity: the last case or pallet of a batch

    @property
    def label(self) -> str:
        return self.name.lower()


def refusal(rule: Rule, code: str, detail: str) -> AggregationRefused:
    """The error for `code` breaking `rule`: the code, what is wrong, the rule and a hint."""
    return AggregationRefused(
        f"Cannot aggregate {code!r}: {detail}; {rule.rule}. Hint: {rule.hint}.",
        rule=rule, code=code,
    )  # fmt: skip


def capacity(record: BatchRecord, level: Level) -> int:
    """How many children a container of `level` holds (the batch's request, Art. 8)."""
    if record.level(Level.PRIMARY).source is CodeSource.IDENTIFICATION:
        return 0
    if level is Level.SECONDARY:
        return int(record.request["per_secondary"])
    if level is Level.TERTIARY:
        return int(record.request["per_tertiary"])
    return 0

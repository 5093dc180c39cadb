"""A link file for `jejak agg import`: a third-party case packer's ``parent,child`` rows, read a
line at a time and resolved in one view, with the line of every problem (see `jejak.cli.agg`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jejak.engine.errors import (
    AggregationRefused,
    InvalidFormat,
    InvalidQuantity,
    JejakError,
    UnknownCode,
    ValidationError,
)

if TYPE_CHECKING:
    from jejak.engine.batch_record import BatchRecord
    from jejak.engine.store import Resolution, StoreView

__all__ = ["LinkFile", "link_rows", "refused_at", "rejected"]

MAX_REPORTED = 20  # problems of a link file listed in one message; the count says how many
_HEADER = ["parent", "child"]


def link_rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """The rows of a link file, (line number, cells), without blank lines and the header."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]  # never split at a GS
    limit = csv.field_size_limit()
    for number, line in enumerate(lines, start=1):
        if "\r" in line or len(line) > limit:
            what = "a carriage return inside it" if "\r" in line else f"{len(line):,} characters"
            raise InvalidFormat(
                f"Invalid link file {source!r}: line {number} has {what}; expected a "
                f"parent,child row a line, of at most {limit:,} characters. Hint: fix that line."
            )
    sample = next((line for line in lines if line.strip()), "")
    delimiter = next((c for c in ",;\t" if c in sample), ",")
    rows = []
    for number, line in enumerate(lines, start=1):
        try:  # a line at a time: no quoted cell goes on to the next line
            cells = next(csv.reader([line], delimiter=delimiter, strict=True), [])
        except csv.Error:
            raise InvalidFormat(
                f"Invalid link file {source!r}: line {number} has a quote that is never closed; "
                "expected quoted cells to end on their line. Hint: fix the quotes on that line."
            ) from None
        if "".join(cells).strip():
            rows.append((number, [cell.strip() for cell in cells]))
    if rows and [cell.lower() for cell in rows[0][1]] == _HEADER:
        rows = rows[1:]
    if not rows:
        raise InvalidQuantity(
            f"Invalid link file {source!r}: expected at least one parent,child row, found none. "
            "Hint: export the case packer's aggregation as a CSV of parent,child rows."
        )
    return rows


@dataclass(frozen=True, slots=True)
class _Problem:
    line: int
    message: str
    malformed: bool  # bad whatever the store holds (exit 2), or refused by the store (exit 1)
    rule: object = None
    code: str = ""


class LinkFile:
    """A link file's rows resolved in one view: the bulk pack's packed references in file
    order, the line of each code (to name the line of a refusal), and the problems found."""

    def __init__(self, view: StoreView, record: BatchRecord) -> None:
        from jejak.engine.aggregation import Rule
        from jejak.engine.store import pack_ref, resolve

        self.view, self.record = view, record
        self.children: list[int] = []
        self.parents: list[int] = []
        self.child_line: dict[int, int] = {}
        self.parent_lines: dict[int, list[int]] = {}
        self.problems: list[_Problem] = []
        self._found: dict[str, tuple[int, Resolution] | _Problem] = {}
        self._resolve, self._pack_ref, self._rule = resolve, pack_ref, Rule

    def add(self, number: int, cells: list[str]) -> bool:
        """Take one row; False, with its problem noted, when it is no valid link."""
        if len(cells) != 2 or not all(cells):
            found = f"{len(cells)} cells" if len(cells) != 1 else "one"
            filled = sum(map(bool, cells))
            found += f", {filled} filled" if 1 < len(cells) != filled else ""
            self._note(number, f"expected two codes, parent,child; found {found}")
            return False
        parent, child = (
            self._code(number, cells[0], "parent"),
            self._code(number, cells[1], "child"),
        )
        if parent is None or child is None:
            return False
        if child in self.child_line:
            self._note(number, f"child {cells[1]!r} is linked on line {self.child_line[child]} "
                       "already; a code is in at most one container")  # fmt: skip
            return False
        self.children.append(child)
        self.parents.append(parent)
        self.child_line[child] = number
        self.parent_lines.setdefault(parent, []).append(number)
        return True

    def _note(self, number: int, message: str) -> None:
        self.problems.append(_Problem(number, message, malformed=True))

    def _code(self, number: int, text: str, role: str) -> int | None:
        """The packed reference of a row's code (each text resolved once), or None."""
        found = self._found.get(text)
        if found is None:
            try:
                resolution = self._resolve(self.view, text)
                ref = resolution.ref
                found = (self._pack_ref(ref.batch_id, ref.level, ref.index), resolution)
            except ValidationError as error:
                found = _Problem(number, str(error), malformed=True)
            except UnknownCode as error:
                found = _Problem(number, str(error), False, self._rule.UNKNOWN, text)
            self._found[text] = found
        if isinstance(found, _Problem):
            message = f"{role}: {found.message}"
            self.problems.append(_Problem(number, message, found.malformed, found.rule, found.code))
            return None
        batch = found[1].record.batch
        if role == "parent" and batch != self.record.batch:
            hri = found[1].code.hri
            self.problems.append(_Problem(
                number, f"parent {hri!r} is of batch {batch!r}, not {self.record.batch!r}; a link "
                "file's parents are containers of the batch it is imported for. Hint: import "
                "those rows with that batch's --batch.", False, self._rule.OTHER_BATCH, hri,
            ))  # fmt: skip
            return None
        return found[0]

    def line_of(self, error: AggregationRefused, view: StoreView) -> int | None:
        """The line a refusal is about: the row of the child it names or, for a rule about
        containers, a row of the parent (the first beyond its capacity)."""
        from jejak.engine.aggregation import Rule, capacity
        from jejak.engine.codes import Level

        try:
            code = self._resolve(view, error.code).ref
        except JejakError:  # not a code (the model names an unknown one by its index)
            return None
        ref = self._pack_ref(code.batch_id, code.level, code.index)
        rows = self.parent_lines.get(ref)
        about_container = error.rule in (Rule.OVER_CAPACITY, Rule.NOT_PRINTED) or (
            error.rule is Rule.WRONG_LEVEL and code.level is Level.PRIMARY
        )
        if not rows or (ref in self.child_line and not about_container):
            return self.child_line.get(ref)
        if error.rule is not Rule.OVER_CAPACITY:
            return rows[0]
        room = capacity(view.batch_by_id(code.batch_id), code.level) - view.children(code).size
        return rows[min(max(int(room), 0), len(rows) - 1)]


def rejected(problems: list[_Problem], bad: int, total: int, source: str) -> Exception:
    shown = "\n  ".join(f"line {p.line}: {p.message}" for p in problems[:MAX_REPORTED])
    if len(problems) > MAX_REPORTED:
        shown += f"\n  ... and {len(problems) - MAX_REPORTED} more"
    hint = "Hint: fix or remove those rows (a header row is parent,child), then import the file."
    if any(p.malformed for p in problems):
        return InvalidFormat(
            f"Invalid link file {source!r}: {bad:,} of {total:,} rows are not "
            f"valid links; nothing was linked.\n  {shown}\n{hint}"
        )
    return AggregationRefused(
        f"Cannot import link file {source!r}: {bad:,} of {total:,} rows are refused; nothing "
        f"was linked.\n  {shown}\n{hint}",
        rule=problems[0].rule,
        code=problems[0].code,
    )


def refused_at(
    error: AggregationRefused, line: int | None, total: int, source: str
) -> AggregationRefused:
    """The bulk pack's refusal, on the line of the code it names."""
    where = "" if line is None else f"line {line}: "
    return AggregationRefused(
        f"Cannot import link file {source!r}: a row of {total:,} is refused; nothing was "
        f"linked.\n  {where}{error}\nHint: fix or remove that row, then import the file.",
        rule=error.rule,
        code=error.code,
    )

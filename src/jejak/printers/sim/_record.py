"""The print record of a simulator: every code it prints, one a line, flushed as it prints.

So a run can be checked from outside the process (`jejak printer sim --record FILE`): no line
twice means no code printed twice. A line is the printed data as text: each GS (0x1D) as
``<GS>``, the form `jejak codes parse` and `codes lookup` read back (`jejak.engine.gs1.GS_ESCAPE`);
any other byte outside printable ASCII, and the backslash, as ``\\xHH``. GS1 data has neither,
and no value may hold ``<GS>``, so a line stands for exactly one code.

What is physically printed can differ from what the printer confirms: `PackFaults` holds the
faults of the simulated line that a printer cannot see itself, a misprint (the label comes out
damaged) and a double print (the previous label's content goes on the pack again while the next
record is consumed and confirmed). Both simulators print through it, so their records show what
went on the packs.

>>> record_line(b"0108991234567891\\x1d21AB\\\\C\\n")
b'0108991234567891<GS>21AB\\\\x5cC\\\\x0a\\n'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Generic, TypeVar

from jejak.engine.errors import InvalidQuantity
from jejak.engine.gs1 import GS, GS_ESCAPE
from jejak.engine.text import describe

__all__ = ["PackFaults", "PrintRecord", "record_line"]

T = TypeVar("T")

_GS, _GS_TEXT = GS.encode("ascii"), GS_ESCAPE.encode("ascii")
_OTHER = re.compile(rb"[^\x20-\x5b\x5d-\x7e]")  # not printable ASCII, or a backslash


def record_line(data: bytes) -> bytes:
    """One printed code as a record line, newline included."""
    line = data.replace(_GS, _GS_TEXT)
    if _OTHER.search(line):
        line = _OTHER.sub(lambda m: b"\\x%02x" % m[0][0], line)
    return line + b"\n"


class PrintRecord:
    """An append-only file of printed codes; `write` flushes what it is given."""

    __slots__ = ("_file", "path")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = None

    def open(self) -> None:
        """Open for appending; a new file is private (0600): it lists printed codes."""
        if self._file is None:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._file = os.fdopen(fd, "ab")

    def write(self, codes: Iterable[bytes]) -> None:
        """Append `codes`, one a line, and flush them to the file."""
        if self._file is None:
            return
        lines = b"".join(map(record_line, codes))
        if lines:
            self._file.write(lines)
            self._file.flush()

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()


class PackFaults(Generic[T]):
    """Misprints and double prints to come, and what they did; `T` is what the printer prints
    (a coder's record fields, a ZPL label). Not thread-safe: the coder touches it in its server
    thread only, the Zebra printer under its lock.

    `put(consumed)` is called once per record (label) printed, in order, with the record the
    printer consumed; it returns what physically goes on the pack and whether it is damaged:

    - a misprint: the consumed record, damaged (`misprinted` lists it);
    - a double print: the previous physical print again, and the consumed record joins
      `unprinted` (the printer confirms it, nothing shows it). With nothing printed before,
      the double print waits for the print after the first one.

    >>> faults = PackFaults[str]()
    >>> faults.double(), faults.misprint()
    (None, None)
    >>> [faults.put(one) for one in "ABC"]
    [('A', True), ('A', False), ('C', False)]
    >>> faults.unprinted, faults.misprinted
    (['B'], ['A'])
    """

    __slots__ = ("_doubles", "_misprints", "misprinted", "previous", "unprinted")

    def __init__(self) -> None:
        self._misprints = self._doubles = 0
        self.previous: T | None = None  # the last thing physically printed
        self.unprinted: list[T] = []  # consumed and confirmed, never physically printed
        self.misprinted: list[T] = []  # physically printed damaged

    def misprint(self, count: int = 1) -> None:
        self._misprints += _count(count, "misprints")

    def double(self, count: int = 1) -> None:
        self._doubles += _count(count, "double prints")

    @property
    def pending(self) -> bool:
        """Whether a misprint or a double print is still to come."""
        return bool(self._misprints or self._doubles)

    def put(self, consumed: T) -> tuple[T, bool]:
        """What goes on the pack when the printer prints `consumed`, and whether damaged."""
        physical = consumed
        if self._doubles and self.previous is not None:
            self._doubles -= 1
            self.unprinted.append(consumed)
            physical = self.previous
        damaged = self._misprints > 0
        if damaged:
            self._misprints -= 1
            self.misprinted.append(physical)
        self.previous = physical
        return physical, damaged


def _count(count: int, what: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidQuantity(
            f"Invalid count of {what} {describe(count)}: expected a positive integer. "
            "Hint: 1 for the next print."
        )
    return count

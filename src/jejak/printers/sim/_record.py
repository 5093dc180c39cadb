"""The print record of a simulator: every code it prints, one a line, flushed as it prints.

So a run can be checked from outside the process (`jejak printer sim --record FILE`): no line
twice means no code printed twice. A line is the printed data as text: each GS (0x1D) as
``<GS>``, the form `jejak codes parse` and `codes lookup` read back (`jejak.engine.gs1.GS_ESCAPE`);
any other byte outside printable ASCII, and the backslash, as ``\\xHH``. GS1 data has neither,
and no value may hold ``<GS>``, so a line stands for exactly one code.

>>> record_line(b"0108991234567891\\x1d21AB\\\\C\\n")
b'0108991234567891<GS>21AB\\\\x5cC\\\\x0a\\n'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from jejak.engine.gs1 import GS, GS_ESCAPE

__all__ = ["PrintRecord", "record_line"]

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
        if self._file is None:
            self._file = self.path.open("ab")

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

"""Files a user hands a command (BPOM code lists, CSV): read whole, as UTF-8 text, or refused;
and files a command writes (reports): whole or not at all.

The refusals are `InvalidFormat` errors (bad input, exit 2) that name the file, say what was
expected and what to do: a missing path, a directory, a file too large to be a code list, a
binary file, UTF-16 or another encoding than UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from jejak.engine.errors import InvalidFormat

__all__ = ["MAX_BYTES", "read_text", "written"]

MAX_BYTES = 1 << 30  # 1 GiB: some 40 M codes a line; a larger file is not a code list
_UTF16 = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def read_text(name: str, *, what: str = "code file") -> str:
    """The text of the file `name` (UTF-8, with or without a byte-order mark)."""
    path = Path(name)
    if not name:
        raise InvalidFormat(f"Invalid {what} '': expected a file name. Hint: pass the file.")
    if not path.exists():
        raise InvalidFormat(
            f"Invalid {what} {name!r}: it does not exist, expected a file. Hint: check the path."
        )
    if not path.is_file():
        raise InvalidFormat(
            f"Invalid {what} {name!r}: it is not a regular file (a directory?), expected a "
            "file. Hint: name the file inside it."
        )
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InvalidFormat(
            f"Invalid {what} {name!r}: {size:,} bytes, expected at most {MAX_BYTES:,}. Hint: "
            "split it, or check it is the right file."
        )
    data = path.read_bytes()
    if data.startswith(_UTF16):
        raise InvalidFormat(
            f"Invalid {what} {name!r}: it is UTF-16 or UTF-32 text, expected UTF-8. Hint: save "
            "it as UTF-8 (CSV UTF-8 in a spreadsheet)."
        )
    if b"\x00" in data:
        raise InvalidFormat(
            f"Invalid {what} {name!r}: it holds NUL bytes (a binary file?), expected text. "
            "Hint: export the codes as text or CSV."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidFormat(
            f"Invalid {what} {name!r}: byte {data[error.start]:#04x} on line {line} is not "
            "UTF-8, expected UTF-8 text. Hint: save it as UTF-8 (CSV UTF-8 in a spreadsheet)."
        ) from None


@contextlib.contextmanager
def written(name: str, *, what: str = "output file") -> Iterator[BinaryIO]:
    """A binary file to write `name` through: a temporary file beside it, synced and renamed
    over `name` only when the block ends without an error (so a failed or interrupted report
    leaves no half-written file, and an earlier one stays whole). ``-`` is stdout."""
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    path = Path(name)
    if not name or path.is_dir():
        raise InvalidFormat(
            f"Invalid {what} {name!r}: expected a file name (not a folder). Hint: name the file "
            "to write, or - for stdout."
        )
    if not path.parent.is_dir():
        raise InvalidFormat(
            f"Invalid {what} {name!r}: its folder {str(path.parent)!r} does not exist, expected "
            "a path in an existing folder. Hint: create the folder first."
        )
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise

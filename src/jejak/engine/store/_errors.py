"""LMDB's and the file system's failures as the store's own errors, with the store's path.

LMDB reports a full disk on commit as an input/output error; the store says what it most likely
is (the free space on the store's disk tells) and that nothing of the change was written, which
LMDB's copy-on-write commit guarantees.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lmdb

from jejak.engine.errors import StoreFull, StoreUnavailable

__all__ = ["LOW_SPACE", "opening", "writing"]

LOW_SPACE = 16 << 20  # below this much free space, a failed commit is taken for a full disk


@contextmanager
def opening(path: Path) -> Iterator[None]:
    """Failures of opening the store at `path`."""
    try:
        yield
    except (lmdb.Error, OSError) as error:
        raise StoreUnavailable(
            f"Cannot open the store {str(path)!r}: {_reason(error)}; expected a directory this "
            "user may read and write (created if it does not exist). Hint: pass --store DIR "
            "(or set JEJAK_STORE) with a directory of your own."
        ) from None


@contextmanager
def writing(path: Path, map_size: int) -> Iterator[None]:
    """Failures of a write transaction on the store at `path` (its body and its commit)."""
    try:
        yield
    except lmdb.MapFullError:
        raise StoreFull(
            f"The store {str(path)!r} is full: its map of {map_size:,} bytes is used up. Nothing "
            "of this change was stored. Hint: open it with a larger map (JEJAK_MAP_SIZE, in "
            "bytes) and run the command again."
        ) from None
    except lmdb.Error as error:
        free = _free(path)
        what = "the disk is full" if free is not None and free < LOW_SPACE else _reason(error)
        raise StoreFull(
            f"Could not write the store {str(path)!r}: {what} ({free:,} bytes free). Nothing of "
            "this change was stored. Hint: free some space on that disk, or check it, then run "
            "the command again."
            if free is not None
            else f"Could not write the store {str(path)!r}: {what}. Nothing of this change was "
            "stored. Hint: check the disk, then run the command again."
        ) from None


def _free(path: Path) -> int | None:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    text = str(error)
    return text.split(": ", 1)[-1] if ": " in text else text or type(error).__name__

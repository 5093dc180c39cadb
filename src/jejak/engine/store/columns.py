"""Paged columns: per-code data of fixed width, dense per batch level, in pages of 64 Ki codes.

A column is one LMDB database whose keys are (batch id, level, page) and whose values are the
page's codes' values back to back: ``STATES`` (one `CodeState` byte a code), ``PRINTS`` (one
`PrintOutcome` byte), ``VERDICTS`` (one `Verdict` byte: the line's camera verification),
``PARENTS`` (the code's container as a packed reference, u64; 0: none) and ``CONTAINERS``
(one `Seal` byte of a case or pallet); activity times are a column of the same kind.
A code with no page yet reads as zero. ``SYMBOLS`` uses the same keys for opaque pages of
pre-generated symbols (their size differs from code to code).

Opening a 10 M-code batch writes 153 pages; changing codes rewrites only the pages they are on.
Only the store package reads or writes pages: through a `StoreView` or a `UnitOfWork`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.store._layout import PAGE, page_key, unpack_page_key

__all__ = [
    "COLUMNS", "CONTAINERS", "PAGE", "PARENTS", "PRINTS", "STATES", "SYMBOLS", "VERDICTS",
    "PageSet", "PagedColumn",
]  # fmt: skip

Indices = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PagedColumn:
    """A per-code column: its database and the numpy type of one code's value (None: the pages
    are opaque blobs, read and written whole)."""

    name: str
    dtype: np.dtype[Any] | None

    @property
    def fixed(self) -> bool:
        return self.dtype is not None

    def value_type(self) -> np.dtype[Any]:
        if self.dtype is None:
            raise TypeError(f"Column {self.name!r} has opaque pages: read them whole.")
        return self.dtype


STATES = PagedColumn("states", np.dtype(np.uint8))
PRINTS = PagedColumn("prints", np.dtype(np.uint8))
SYMBOLS = PagedColumn("symbols", None)
VERDICTS = PagedColumn("verdicts", np.dtype(np.uint8))
PARENTS = PagedColumn("parents", np.dtype(np.uint64))
CONTAINERS = PagedColumn("containers", np.dtype(np.uint8))
COLUMNS = (STATES, PRINTS, SYMBOLS, VERDICTS, PARENTS, CONTAINERS)


def group_by_page(indices: Indices) -> list[tuple[int, Indices, Indices]]:
    """(page, positions in `indices`, offsets within the page) for each page `indices` touch.

    Sorted indices (what bulk changes pass) are cut at page boundaries by binary search; any
    other order is grouped by a stable sort.

    >>> [(p, pos.tolist(), off.tolist()) for p, pos, off in group_by_page(np.array([65537, 3]))]
    [(0, [1], [3]), (1, [0], [1])]
    """
    if not indices.size:
        return []
    first, last = int(indices.min()) // PAGE, int(indices.max()) // PAGE
    if first == last:
        return [(first, np.arange(indices.size), indices - first * PAGE)]
    if bool(np.all(indices[1:] >= indices[:-1])):
        bounds = np.searchsorted(indices, np.arange(first, last + 2) * PAGE)
        return [
            (page, np.arange(lo, hi), indices[lo:hi] - page * PAGE)
            for page, lo, hi in zip(range(first, last + 1), bounds[:-1].tolist(),
                                    bounds[1:].tolist(), strict=True)
            if hi > lo
        ]  # fmt: skip
    pages = indices // PAGE
    order = np.argsort(pages, kind="stable")
    cuts = np.flatnonzero(np.diff(pages[order])) + 1
    groups = []
    for part in np.split(order, cuts):
        page = int(pages[part[0]])
        groups.append((page, part, indices[part] - page * PAGE))
    return groups


class PageSet:
    """The pages of one column for one batch level, within one transaction.

    Reads of whole levels and of single pages go straight to LMDB; `get`, `set` and `page`
    work on pages read once and kept, and `flush` writes the changed ones back (a write
    transaction's read-modify-write)."""

    __slots__ = ("_batch_id", "_column", "_db", "_dirty", "_level", "_pages", "_txn", "count")

    def __init__(
        self, txn: Any, db: Any, column: PagedColumn, *, batch_id: int, level: int, count: int
    ) -> None:
        self._txn, self._db, self._column = txn, db, column
        self._batch_id, self._level, self.count = batch_id, level, count
        self._pages: dict[int, npt.NDArray[Any]] = {}
        self._dirty: set[int] = set()

    def _key(self, page: int) -> bytes:
        return page_key(self._batch_id, self._level, page)

    # Straight reads and opaque pages --------------------------------------------------------

    def whole(self) -> Any:
        """Every code's value, in index order (a fresh array; zero where no page)."""
        dtype = self._column.value_type()
        out = np.zeros(self.count, dtype=dtype)
        cursor = self._txn.cursor(self._db)
        if self.count and cursor.set_range(self._key(0)):
            for key, value in cursor:
                batch_id, level, page = unpack_page_key(bytes(key))
                if batch_id != self._batch_id or level != self._level:
                    break
                values = np.frombuffer(value, dtype=dtype)
                start = page * PAGE
                out[start : start + values.shape[0]] = values[: max(0, self.count - start)]
        return out

    def read(self, indices: Indices) -> npt.NDArray[Any]:
        """The values of codes `indices` (any order): one LMDB read per page they touch."""
        out = np.zeros(indices.shape[0], dtype=self._column.value_type())
        for page, positions, offsets in group_by_page(indices):
            raw = self._txn.get(self._key(page), db=self._db)
            if raw is not None:
                values = np.frombuffer(raw, dtype=out.dtype)
                inside = offsets < values.shape[0]
                out[positions[inside]] = values[offsets[inside]]
        return out

    def raw_page(self, page: int) -> bytes | None:
        raw = self._txn.get(self._key(page), db=self._db)
        return None if raw is None else bytes(raw)

    def put_raw_page(self, page: int, data: bytes) -> None:
        self._txn.put(self._key(page), data, db=self._db)

    def put_whole(self, values: npt.NDArray[Any]) -> None:
        """Write the whole level's values, page by page, in one cursor call."""
        data = np.ascontiguousarray(values, dtype=self._column.value_type())
        items = [(self._key(start // PAGE), data[start : start + PAGE].tobytes())
                 for start in range(0, data.shape[0], PAGE)]  # fmt: skip
        self._txn.cursor(self._db).putmulti(items, overwrite=True)

    # Read-modify-write -------------------------------------------------------------------

    def page(self, page: int) -> npt.NDArray[Any]:
        """A page's values (writable; changes are kept with `mark`)."""
        found = self._pages.get(page)
        if found is None:
            dtype = self._column.value_type()
            size = min(PAGE, self.count - page * PAGE)
            raw = self._txn.get(self._key(page), db=self._db)
            found = np.zeros(size, dtype=dtype)
            if raw is not None:
                stored = np.frombuffer(raw, dtype=dtype)
                found[: min(size, stored.shape[0])] = stored[:size]
            self._pages[page] = found
        return found

    def get(self, indices: Indices) -> npt.NDArray[Any]:
        out = np.empty(indices.shape[0], dtype=self._column.value_type())
        for page, positions, offsets in group_by_page(indices):
            out[positions] = self.page(page)[offsets]
        return out

    def set(self, indices: Indices, values: int | npt.NDArray[Any]) -> None:
        many = not isinstance(values, int)
        for page, positions, offsets in group_by_page(indices):
            self.page(page)[offsets] = values[positions] if many else values  # type: ignore[index]
            self._dirty.add(page)

    def mark(self, page: int) -> None:
        """Keep the changes made to `page(page)` in place."""
        self._dirty.add(page)

    def flush(self) -> None:
        for page in sorted(self._dirty):
            self._txn.put(self._key(page), self._pages[page].tobytes(), db=self._db)
        self._dirty.clear()

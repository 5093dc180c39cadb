"""The range seam: a source the store is given, reserving before the batch's transaction; a level
owning several ranges; key epochs beyond one byte."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import StoreCorrupted, StoreError
from jejak.engine.listing import iter_code_lines
from jejak.engine.lookup import lookup
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import CounterRange, Store
from jejak.testing import FORMAT, GTIN, NIE, make_request


class Authority:
    """A central range authority as several lines would share it: grants in blocks of `block`
    counters from one counter per (scope, epoch), interleaving the lines' blocks, so that a
    batch's level comes in several ranges. (In-process here; behind the protocol it could be a
    PostgreSQL table with one row a grant.)"""

    def __init__(self, block: int) -> None:
        self.block = block
        self.counters: dict[tuple[bytes, int], int] = {}
        self.calls: list[tuple[bytes, int, int]] = []
        self.in_transaction = threading.local()

    def issued(self, scope: bytes, epoch: int) -> int:
        return self.counters.get((scope, epoch), 0)

    def reserve(
        self, scope: bytes, epoch: int, count: int, *, actor: str
    ) -> Sequence[CounterRange]:
        self.calls.append((scope, epoch, count))
        granted = []
        while count:
            start = self.counters.get((scope, epoch), 0)
            size = min(self.block, count)
            granted.append(CounterRange(scope, epoch, start, size))
            # another line takes the next block: our ranges are not contiguous
            self.counters[(scope, epoch)] = start + size + self.block
            count -= size
        return granted


def open_store(path: Path, source: object) -> Store:
    store = Store(path, map_size=1 << 30, ranges=source)  # type: ignore[arg-type]
    store.add_product(Product.parse(nie=NIE, name="A", packaging="Dus", gtin=GTIN), actor="qa")
    return store


def serials(store: Store, batch: str, level: Level) -> list[bytes]:
    return b"".join(iter_code_lines(store, batch, level, form=CodeForm.SERIAL)).split()


def test_a_level_owns_several_ranges_from_the_source(tmp_path: Path) -> None:
    authority = Authority(block=300)
    with open_store(tmp_path / "s", authority) as store:
        record = store.open_batch(make_request("B1", 1000), serial_format=FORMAT, actor="qa")
        scope = f"01:{GTIN}".encode()
        assert authority.calls == [(scope, 0, 1000 + 84 + 3)]  # one reservation a scope
        primary = record.level(Level.PRIMARY)
        assert primary.ranges == ((0, 300), (600, 300), (1200, 300), (1800, 100))
        assert record.level(Level.SECONDARY).ranges == ((1900, 84),)
        assert record.level(Level.TERTIARY).ranges == ((1984, 3),)
        # Every code lists, looks up to its own index, and changes state, across the ranges.
        texts = serials(store, "B1", Level.PRIMARY)
        assert len(texts) == len(set(texts)) == 1000
        for index in (0, 299, 300, 899, 900, 999):
            assert lookup(store, texts[index].decode()).index == index
        store.transition("B1", Level.PRIMARY, np.arange(250, 350), CodeState.ENCODED, actor="p")
        report = store.close_batch("B1", actor="qa")  # reconciles every range
        assert report["levels"]["primary"]["scrapped"] == 100
        second = store.open_batch(make_request("B2", 10), serial_format=FORMAT, actor="qa")
        assert not set(serials(store, "B2", Level.PRIMARY)) & set(texts)
        assert second.level(Level.PRIMARY).ranges[0][0] >= 2287


def test_no_reservation_happens_inside_a_write_transaction(tmp_path: Path) -> None:
    """The source is called with no store transaction open: it could block on I/O."""

    class Watching(Authority):
        def reserve(self, scope: bytes, epoch: int, count: int, *,
                    actor: str) -> Sequence[CounterRange]:  # fmt: skip
            # Another thread can write: nobody holds the store's write transaction now.
            probe = threading.Thread(
                target=lambda: store.add_product(
                    Product.parse(nie="DKL2012345678A1", name="B", packaging="Botol"), actor="p"
                )
            )
            probe.start()
            probe.join(timeout=30)
            assert not probe.is_alive(), "reserve was called inside a write transaction"
            return super().reserve(scope, epoch, count, actor=actor)

    watching = Watching(block=10_000)
    store = open_store(tmp_path / "s", watching)
    with store:
        store.open_batch(make_request("B1", 100), serial_format=FORMAT, actor="qa")
    assert len(watching.calls) == 1


@pytest.mark.parametrize(
    ("granted", "error", "message"),
    [
        ([CounterRange(b"01:08991234567891", 0, 0, 5)], StoreError,
         ("The range source granted [(0, 5)] for 1087 counters of scope '01:08991234567891': "
          "expected ranges of that scope adding up to 1087. Hint: check the range source.")),
        ([CounterRange(b"01:00000000000000", 0, 0, 1087)], StoreError,
         "expected ranges of that scope adding up to 1087"),
    ],
)  # fmt: skip
def test_a_wrong_grant_is_refused_and_records_nothing(
    tmp_path: Path, granted: list[CounterRange], error: type[Exception], message: str
) -> None:
    class Wrong(Authority):
        def reserve(self, scope: bytes, epoch: int, count: int, *,
                    actor: str) -> Sequence[CounterRange]:  # fmt: skip
            return granted

    with open_store(tmp_path / "s", Wrong(1)) as store:
        with pytest.raises(error, match=re.escape(message)):
            store.open_batch(make_request("B1", 1000), serial_format=FORMAT, actor="qa")
        assert store.batches() == []


def test_a_range_granted_twice_is_refused(tmp_path: Path) -> None:
    class Forgetful(Authority):
        def reserve(self, scope: bytes, epoch: int, count: int, *,
                    actor: str) -> Sequence[CounterRange]:  # fmt: skip
            return [CounterRange(scope, epoch, 0, count)]  # always from 0

    with open_store(tmp_path / "s", Forgetful(1)) as store:
        store.open_batch(make_request("B1", 100), serial_format=FORMAT, actor="qa")
        with pytest.raises(
            StoreCorrupted,
            match=r"Counter range at 0 of scope '01:0899.*' is "
            r"already recorded\. Hint: the range source",
        ):
            store.open_batch(make_request("B2", 100), serial_format=FORMAT, actor="qa")
        assert [r.batch for r in store.batches()] == ["B1"]


def test_key_epochs_beyond_one_byte(store: Store) -> None:
    wide = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12, epoch_width=2)
    store.open_batch(make_request("E0", 50), serial_format=wide, actor="qa")
    for _ in range(300):
        store.rotate_key(actor="qa")
    late = store.open_batch(make_request("E300", 50), serial_format=wide, actor="qa")
    assert late.epoch == 300
    old, new = serials(store, "E0", Level.PRIMARY), serials(store, "E300", Level.PRIMARY)
    assert not set(old) & set(new)
    assert late.level(Level.PRIMARY).start == 0  # its own counter: (scope, 300), not (scope, 44)
    assert lookup(store, new[7].decode()).batch.batch == "E300"
    assert lookup(store, old[7].decode()).batch.batch == "E0"
    assert store.ranges.issued(f"01:{GTIN}".encode(), 300) == 50 + 5 + 1  # packs, cases, one pallet
    assert store.ranges.issued(f"01:{GTIN}".encode(), 44) == 0

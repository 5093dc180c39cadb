"""The big batch the report benchmarks export: every pack verified, packed in cases, the cases
on pallets, so that each report row or event carries a case and a pallet."""

from __future__ import annotations

import numpy as np

from jejak.engine.aggregation import Aggregation
from jejak.engine.batch import CodeRequest
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeState, Level
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store, pack_refs

__all__ = ["FORMAT", "NIE", "add_product", "packed_batch"]

NIE = "DKL1234567890A1"
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)


def add_product(store: Store) -> None:
    store.add_product(Product.parse(nie=NIE, name="Bench", packaging="Dus",
                                    gtin="8991234567891"), actor="bench")  # fmt: skip


def packed_batch(store: Store, batch: str, codes: int, *, per_case: int, per_pallet: int,
                 group: int | None = None) -> BatchRecord:  # fmt: skip
    """A batch of `codes` packs, verified (in transitions of `group` codes, or all at once),
    packed `per_case` to a case and `per_pallet` cases to a pallet."""
    request = CodeRequest.parse(nie=NIE, batch=batch, expiry="2029-12-31", primary_count=codes,
                                max_per_secondary=per_case,
                                max_per_tertiary=per_pallet)  # fmt: skip
    record = store.open_batch(request, serial_format=FORMAT, actor="bench")
    for level in Level:
        store.transition(batch, level, None, CodeState.ENCODED, actor="bench")
    step = group or codes
    for start in range(0, codes, step):
        verified = np.arange(start, min(start + step, codes), dtype=np.int64)
        store.transition(batch, Level.PRIMARY, verified, CodeState.COMMISSIONED, actor="bench")
    packs = np.arange(codes, dtype=np.int64)
    cases = np.arange(-(-codes // per_case), dtype=np.int64)
    agg = Aggregation(store, actor="bench")
    agg.pack_many(pack_refs(record.batch_id, Level.PRIMARY, packs),
                  pack_refs(record.batch_id, Level.SECONDARY, packs // per_case))  # fmt: skip
    agg.pack_many(pack_refs(record.batch_id, Level.SECONDARY, cases),
                  pack_refs(record.batch_id, Level.TERTIARY, cases // per_pallet))  # fmt: skip
    return store.batch(batch)

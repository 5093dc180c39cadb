"""Schema versions and forward migrations: a newer Jejak opens an older store and moves it on.

Opening a store runs, in one write transaction, every migration from the store's schema to
`SCHEMA_VERSION` and records each as a ``store.migrate`` event; a crash part-way leaves the
store as it was, and the next open migrates it again. A store written by a newer Jejak is
refused (its layout is unknown here); nothing is changed.

Schema 1 → 2 (the store kernel):
- the key epoch in ``counters`` and ``ranges`` keys widens from one byte to four;
- a level's counter ranges are a list (``ranges``) instead of one ``start``;
- the ``event_index`` is built from the whole log (the events themselves, and so the hash
  chain, are untouched), and the ``outbox`` is created empty.

Schema 2 → 3 (the line): the ``verdicts`` column (one `Verdict` byte a code: what the line's
camera verification decided) is created empty; no code had a verdict before.

Schema 3 → 4 (aggregation): the ``parents`` and ``containers`` columns and the ``children``
database are created empty; no code was in a case before.

Schema 4 → 5 (delivery): every outbox record enters the ``outbox_queue`` (nothing was ever
delivered before); ``outbox_attempts`` is created empty.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from jejak.engine.codes import Level
from jejak.engine.errors import StoreError
from jejak.engine.store import _event_index, _layout
from jejak.engine.store.events import Chain, EventKind, decode, payload

__all__ = ["open_databases"]

_BATCH_WIDE = frozenset({EventKind.BATCH_OPEN, EventKind.BATCH_CLOSE})
_CODE_EVENTS = frozenset({
    EventKind.CODES_IMPORT, EventKind.CODES_TRANSITION, EventKind.PRINT_SENT,
    EventKind.PRINT_PRINTED, EventKind.PRINT_FAILED, EventKind.PRINT_UNKNOWN,
    EventKind.PRINT_RECOVER,
})  # fmt: skip


def open_databases(env: Any, path: str) -> dict[str, Any]:
    """Open (creating) every database and migrate the store to the current schema."""
    with env.begin(write=True) as txn:
        dbs = {name: env.open_db(name.encode(), txn=txn) for name in _layout.DATABASES}
        found = txn.get(b"schema", db=dbs["meta"])
        if found is None:
            txn.put(b"schema", str(_layout.SCHEMA_VERSION).encode(), db=dbs["meta"])
            return dbs
        text = bytes(found).decode(errors="replace")
        version = int(text) if text.isascii() and text.isdigit() else -1
        if version == _layout.SCHEMA_VERSION:
            return dbs
        if not 1 <= version < _layout.SCHEMA_VERSION:
            raise StoreError(
                f"Store {path!r} has schema {text!r}: expected {_layout.SCHEMA_VERSION} or "
                "older. Hint: it was written by a newer Jejak; use that version."
            )
        chain = Chain(txn, dbs["events"], dbs["event_data"])
        for step in range(version, _layout.SCHEMA_VERSION):
            _MIGRATIONS[step](txn, dbs)
            chain.append(txn, actor="jejak", what=EventKind.STORE_MIGRATE,
                         data={"from": step, "to": step + 1})  # fmt: skip
        txn.put(b"schema", str(_layout.SCHEMA_VERSION).encode(), db=dbs["meta"])
        generation = txn.get(b"generation", db=dbs["meta"])
        txn.put(b"generation", str(int(generation or b"0") + 1).encode(), db=dbs["meta"])
    return dbs


def _v1_to_v2(txn: Any, dbs: dict[str, Any]) -> None:
    txn.delete(b"key_epoch", db=dbs["meta"])  # derived from the key:<epoch> entries now
    _widen_epochs(txn, dbs["counters"], tail=0)
    _widen_epochs(txn, dbs["ranges"], tail=8)
    batch_ids: dict[str, int] = {}
    for key, value in list(txn.cursor(dbs["batches"])):
        record = json.loads(bytes(value))
        for level in record["levels"]:
            start = level.pop("start", None)
            level["ranges"] = [] if start is None else [[start, level["count"]]]
        txn.put(bytes(key), json.dumps(record, sort_keys=True).encode(), db=dbs["batches"])
        batch_ids[record["batch"]] = record["batch_id"]
    for _, value in txn.cursor(dbs["events"]):
        _index_v1_event(txn, dbs, batch_ids, value)


def _widen_epochs(txn: Any, db: Any, *, tail: int) -> None:
    """Re-key ``scope | epoch (u8) [tail bytes]`` as ``scope | epoch (u32) [tail bytes]``."""
    items = [(bytes(k), bytes(v)) for k, v in txn.cursor(db)]
    for key, value in items:
        head, rest = key[: len(key) - tail], key[len(key) - tail :]
        if len(head) < 2 or head[-2:-1] != b"|":
            raise StoreError(f"Unexpected schema-1 key {key!r}: expected scope|epoch.")
        txn.delete(key, db=db)
        txn.put(head[:-1] + int(head[-1]).to_bytes(4, "big") + rest, value, db=db)


def _index_v1_event(txn: Any, dbs: dict[str, Any], batch_ids: dict[str, int], value: Any) -> None:
    event = decode(value)
    batch_id = batch_ids.get(str(event.data.get("batch")))
    if batch_id is None:
        return
    index_db = dbs["event_index"]
    if event.what in _BATCH_WIDE:
        _event_index.add_batch_wide(txn, index_db, batch_id, event.seq)
        return
    if event.what not in _CODE_EVENTS:
        return
    level = Level.parse(event.data["level"])
    listed = payload(txn, dbs["event_data"], event.seq)
    if event.what is EventKind.PRINT_RECOVER or (
        event.what is not EventKind.CODES_IMPORT and event.payload_sha256 is not None
    ):
        indices = np.frombuffer(listed or b"", dtype=">u8").astype(np.int64)
        if indices.size:
            _event_index.add(txn, index_db, batch_id, level, event.seq, first=int(indices[0]),
                             last=int(indices[-1]), listed=indices)  # fmt: skip
        return
    first = int(event.data["first"])
    last = int(event.data.get("last", first + int(event.data.get("count", 1)) - 1))
    _event_index.add(txn, index_db, batch_id, level, event.seq, first=first, last=last)


def _v2_to_v3(txn: Any, dbs: dict[str, Any]) -> None:
    """Nothing to move: opening created the empty ``verdicts`` database."""


def _v3_to_v4(txn: Any, dbs: dict[str, Any]) -> None:
    """Nothing to move: opening created the empty aggregation databases."""


def _v4_to_v5(txn: Any, dbs: dict[str, Any]) -> None:
    """Queue every outbox record for delivery: no schema-4 Jejak delivered any."""
    queue = dbs["outbox_queue"]
    for key in txn.cursor(dbs["outbox"]).iternext(values=False):
        txn.put(bytes(key), b"", db=queue, append=True)


_MIGRATIONS: dict[int, Callable[[Any, dict[str, Any]], None]] = {
    1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5,
}  # fmt: skip

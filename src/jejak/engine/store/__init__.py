"""The store: the one package that owns LMDB.

Everything Jejak knows about codes lives here, and every change goes through one `UnitOfWork`:
states checked against the lifecycle table, typed events on the hash chain and in the event
index, outbox records, all in one transaction. Reads go through a `StoreView`. Nothing outside
this package opens a transaction, touches a database or the key layout (import-linter checks).

- `store.Store`: products, keys, batches (open, import, transition, close), resolve, history
- `view.StoreView` / `unit_of_work.UnitOfWork`: typed reads / the writes of one transaction
- `columns`: paged per-code columns (states, print outcomes, symbols, verdicts, parents,
  container seals); `links`: code references and each container's children
- `events`: event kinds, the hash chain, audit verification; `_event_index` finds a code's
- `resolve`: a read to (batch, level, index), the camera's hot path
- `ranges`: the range-source seam; `scopes`, `reconcile`, `migrations`
"""

from jejak.engine.store._records import OutboxRecord
from jejak.engine.store.columns import (
    CONTAINERS,
    PAGE,
    PARENTS,
    PRINTS,
    STATES,
    SYMBOLS,
    VERDICTS,
    PagedColumn,
    PageSet,
)
from jejak.engine.store.events import AuditReport, Event, EventKind, index_payload
from jejak.engine.store.links import NO_PARENT, pack_ref, pack_refs, unpack_ref, unpack_refs
from jejak.engine.store.ranges import CounterRange, LocalRangeSource, RangeSource
from jejak.engine.store.resolve import Resolution, resolve
from jejak.engine.store.store import DEFAULT_MAP_SIZE, Store, sorted_unique
from jejak.engine.store.unit_of_work import Hook, UnitOfWork
from jejak.engine.store.view import CodeRef, StoreView

__all__ = [
    "CONTAINERS",
    "DEFAULT_MAP_SIZE",
    "NO_PARENT",
    "PAGE",
    "PARENTS",
    "PRINTS",
    "STATES",
    "SYMBOLS",
    "VERDICTS",
    "AuditReport",
    "CodeRef",
    "CounterRange",
    "Event",
    "EventKind",
    "Hook",
    "LocalRangeSource",
    "OutboxRecord",
    "PageSet",
    "PagedColumn",
    "RangeSource",
    "Resolution",
    "Store",
    "StoreView",
    "UnitOfWork",
    "index_payload",
    "pack_ref",
    "pack_refs",
    "resolve",
    "sorted_unique",
    "unpack_ref",
    "unpack_refs",
]

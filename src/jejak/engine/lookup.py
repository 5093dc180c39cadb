"""Find a scanned code in the store: its batch, level, index, state and history.

A self-issued serial maps back to its counter through the inverse permutation (no index), and
the counter to its batch through the ``ranges`` database (a range scan). A BPOM-issued code is
found in the ``issued`` index. A code whose batch or expiry differs from its batch's record is
found, with a warning: that is a misprint or a counterfeit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from jejak.engine import _lmdb_layout as layout
from jejak.engine import audit
from jejak.engine.batch_record import BatchRecord, scope_of
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import JejakError, ValidationError
from jejak.engine.gs1 import AI, Element, ElementString, is_cset82
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import Store
from jejak.engine.symbology import parse_read

__all__ = ["CodeInfo", "UnknownCode", "lookup"]


class UnknownCode(JejakError):
    """A code that no batch of this store issued."""


@dataclass(frozen=True, slots=True)
class CodeInfo:
    batch: BatchRecord
    level: Level
    index: int
    state: CodeState
    code: ElementString
    history: tuple[audit.Event, ...]
    warnings: tuple[str, ...]


def lookup(store: Store, data: str) -> CodeInfo:
    """Look up raw, HRI or symbology-prefixed data, or a bare serial (searched in every scope)."""
    scanned: ElementString | None = None
    try:
        scanned = parse_read(data).code
    except ValidationError as error:
        try:
            Element.parse(AI.SERIAL, data)  # not an element string: maybe a bare serial
        except ValidationError:
            raise error from None
    if scanned is not None and AI.SSCC in scanned and AI.SERIAL not in scanned:
        return _lookup_sscc(store, data, scanned)
    key = None if scanned is None else _key_of(scanned)
    if scanned is not None and (AI.SERIAL not in scanned or key is None):
        if not is_cset82(data) or len(data) > 20:
            if AI.SERIAL not in scanned:
                raise UnknownCode(
                    f"Code {data!r} has no serial (21): expected a serialized code. Hint: "
                    "identification codes are not tracked per pack."
                )
            raise UnknownCode(
                f"Code {data!r} has no product key: expected (01) GTIN or (90) NIE. "
                "Hint: pass the whole scanned code, or the serial alone."
            )
        scanned = None  # text that also reads as an element string ('21ABC'): a bare serial
    if scanned is None and len(data) == 18 and data.isascii() and data.isdigit():
        try:  # 18 bare digits: maybe a case or pallet SSCC, as `codes list --form serial` shows
            return _lookup_sscc(store, data, parse_read("00" + data).code)
        except (UnknownCode, ValidationError):
            pass
    with store.read() as txn:
        if scanned is not None and key is not None:
            scopes = [scope_of(key)]
            serial = scanned[AI.SERIAL]
        else:
            scopes = [bytes(k) for k, _ in txn.cursor(store.db["scopes"])
                      if not bytes(k).startswith(b"00:")]  # fmt: skip
            serial = data
        for scope in scopes:
            found = _find(store, txn, scope, serial.encode("ascii"))
            if found is not None:
                return _info(store, txn, *found, scanned=scanned, serial=serial)
    raise UnknownCode(
        f"Unknown code {data!r}: no batch in this store issued it. Hint: check the product key "
        "(GTIN or NIE) and the serial; a code printed elsewhere is a counterfeit suspect."
    )


def _key_of(code: ElementString) -> Element | None:
    return next((e for e in code.elements if e.ai in (AI.GTIN, AI.NIE)), None)


def _epochs(store: Store, txn: Any) -> list[int]:
    prefix = b"key:"
    cursor = txn.cursor(store.db["meta"])
    found = []
    if cursor.set_range(prefix):
        for key, _ in cursor:
            if not bytes(key).startswith(prefix):
                break
            found.append(int(bytes(key)[len(prefix) :]))
    return found


def _find(store: Store, txn: Any, scope: bytes, serial: bytes) -> tuple[int, int, int] | None:
    hit = txn.get(layout.issued_key(scope, serial), db=store.db["issued"])
    if hit is not None:
        return layout.unpack_index_value(bytes(hit))
    fmt_json = txn.get(scope, db=store.db["scopes"])
    if fmt_json is None:
        return None
    alphabet, length, prefix, epoch_width = json.loads(bytes(fmt_json))
    fmt = SerialFormat.parse(
        alphabet=alphabet, length=length, prefix=prefix, epoch_width=epoch_width
    )
    for epoch in _epochs(store, txn):
        counter = store.permutation_of(fmt, scope, epoch).counter_of(serial)
        if counter is None:
            continue
        found = _in_range(store, txn, scope, epoch, counter)
        if found is not None:
            return found
    return None


def _in_range(
    store: Store, txn: Any, scope: bytes, epoch: int, counter: int
) -> tuple[int, int, int] | None:
    """The (batch id, level, index) whose counter range holds `counter`: one range scan."""
    cursor = txn.cursor(store.db["ranges"])
    base = layout.counter_key(scope, epoch)
    if cursor.set_range(layout.range_key(scope, epoch, counter + 1)):
        moved = cursor.prev()
    else:
        moved = cursor.last()
    if not moved or not bytes(cursor.key()).startswith(base):
        return None
    start = layout.range_start(bytes(cursor.key()))
    batch_id, level, offset, count = layout.unpack_range_value(bytes(cursor.value()))
    if start <= counter < start + count:
        return batch_id, level, offset + counter - start
    return None


def _lookup_sscc(store: Store, data: str, scanned: ElementString) -> CodeInfo:
    """A case or pallet SSCC: find the site scope whose extension and prefix it starts with."""
    digits = scanned[AI.SSCC]
    with store.read() as txn:
        cursor = txn.cursor(store.db["scopes"])
        if cursor.set_range(b"00:"):
            for scope, value in cursor:
                if not bytes(scope).startswith(b"00:"):
                    break
                fmt = SsccFormat.from_json(bytes(value))
                counter = None if fmt is None else fmt.counter_of(digits)
                found = None if counter is None else _in_range(store, txn, bytes(scope), 0,
                                                                counter)  # fmt: skip
                if found is not None:
                    return _info(store, txn, *found, scanned=scanned, serial=digits)
    raise UnknownCode(
        f"Unknown SSCC {data!r}: no batch in this store issued it. Hint: check the extension "
        "digit and company prefix; an SSCC printed elsewhere is not this site's."
    )


def _info(
    store: Store, txn: Any, batch_id: int, level: int, index: int, *,
    scanned: ElementString | None, serial: str,
) -> CodeInfo:  # fmt: skip
    record = store.batch_by_id(txn, batch_id)
    lv = Level(level)
    state = store.state_of(txn, record, lv, index)
    code = record.level_code(lv, serial)
    warnings = []
    if scanned is not None:
        for ai in (AI.BATCH, AI.EXPIRY):
            if ai in scanned and ai in code and scanned[ai] != code[ai]:
                warnings.append(
                    f"Mismatch: the scanned code carries ({ai.value}) {scanned[ai]!r}, but its "
                    f"serial belongs to batch {record.batch!r} with {code[ai]!r}."
                )
    history = tuple(_history(store, txn, record, lv, index))
    return CodeInfo(record, lv, index, state, code, history, tuple(warnings))


def _history(store: Store, txn: Any, record: BatchRecord, level: Level, index: int) -> list[Any]:
    events = []
    for event in audit.events(txn, store.db["events"]):
        data = event.data
        if data.get("batch") != record.batch:
            continue
        if event.what != "codes.transition" or data.get("level") != level.name.lower():
            if event.what in ("batch.open", "batch.close", "codes.import"):
                events.append(event)
            continue
        if not data["first"] <= index <= data["last"]:
            continue
        if not data.get("contiguous"):
            indices = np.frombuffer(audit.payload(txn, store.db["event_data"], event.seq) or b"",
                                    dtype=">u8")  # fmt: skip
            position = int(np.searchsorted(indices, index))
            if position >= indices.size or int(indices[position]) != index:
                continue
        events.append(event)
    return events

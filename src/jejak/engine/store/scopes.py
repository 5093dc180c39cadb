"""Uniqueness scopes: the ``scopes`` database remembers how each scope issues its codes.

A serial scope (``01:<gtin>`` or ``90:<nie>``) keeps one serial format forever, so that its
serials can never collide. An SSCC scope (``00:<extension><prefix>``) may not overlap another:
two company prefixes where one starts the other would issue the same 18 digits from two
counters. The checks are pure; the unit of work registers a scope after checking it again in
its own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jejak.engine.errors import InvalidCombination, StoreError
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat

__all__ = [
    "check_serial_scope",
    "check_sscc_scope",
    "register_serial_scope",
    "register_sscc_scope",
]


def _describe(fmt: SerialFormat) -> str:
    return json.dumps([fmt.alphabet.value, fmt.length, fmt.prefix, fmt.epoch_width])


def check_serial_scope(found: SerialFormat | None, scope: bytes, wanted: SerialFormat) -> None:
    """Refuse a serial format that differs from the one recorded for the scope."""
    if found is not None and found != wanted:
        raise StoreError(
            f"Serial format {_describe(wanted)} differs from {_describe(found)} already used "
            f"for scope {scope.decode()!r}. Hint: a scope keeps one format forever, so that its "
            "serials can never collide; keep the format or rotate the key."
        )


def check_sscc_scope(existing: Iterable[bytes], sscc: SsccFormat) -> None:
    """Refuse an SSCC scope whose digits could overlap another's."""
    for scope in existing:
        if scope == sscc.scope:
            return
        other = scope[3:].decode()
        if other.startswith(sscc.head) or sscc.head.startswith(other):
            raise InvalidCombination(
                f"Invalid SSCC extension {sscc.extension} with company prefix "
                f"{sscc.company_prefix!r}: its SSCCs could repeat those of extension "
                f"{other[0]} with prefix {other[1:]!r}, already used here. Hint: a site "
                "has one GS1 company prefix; use it with the same length every time."
            )


def register_serial_scope(txn: Any, db: Any, scope: bytes, fmt: SerialFormat) -> None:
    """Record the scope's serial format, or refuse a format that differs from the recorded one."""
    found = txn.get(scope, db=db)
    if found is None:
        txn.put(scope, _describe(fmt).encode(), db=db)
        return
    alphabet, length, prefix, epoch_width = json.loads(bytes(found))
    recorded = SerialFormat.parse(alphabet=alphabet, length=length, prefix=prefix,
                                  epoch_width=epoch_width)  # fmt: skip
    check_serial_scope(recorded, scope, fmt)


def register_sscc_scope(txn: Any, db: Any, sscc: SsccFormat) -> None:
    """Record an SSCC scope; refuse one whose digits could overlap another's."""
    if txn.get(sscc.scope, db=db) is not None:
        return
    existing = []
    cursor = txn.cursor(db)
    if cursor.set_range(b"00:"):
        for scope in cursor.iternext(values=False):
            if not bytes(scope).startswith(b"00:"):
                break
            existing.append(bytes(scope))
    check_sscc_scope(existing, sscc)
    txn.put(sscc.scope, sscc.to_json().encode(), db=db)

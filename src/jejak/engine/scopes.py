"""Uniqueness scopes: the ``scopes`` database remembers how each scope issues its codes.

A serial scope (``01:<gtin>`` or ``90:<nie>``) keeps one serial format forever, so that its
serials can never collide. An SSCC scope (``00:<extension><prefix>``) may not overlap another:
two company prefixes where one starts the other would issue the same 18 digits from two
counters.
"""

from __future__ import annotations

import json
from typing import Any

from jejak.engine.errors import InvalidCombination, StoreError
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat

__all__ = ["register_serial_scope", "register_sscc_scope"]


def register_serial_scope(txn: Any, db: Any, scope: bytes, fmt: SerialFormat) -> None:
    """Record the scope's serial format, or refuse a format that differs from the recorded one."""
    wanted = json.dumps([fmt.alphabet.value, fmt.length, fmt.prefix, fmt.epoch_width])
    found = txn.get(scope, db=db)
    if found is None:
        txn.put(scope, wanted.encode(), db=db)
    elif bytes(found).decode() != wanted:
        raise StoreError(
            f"Serial format {wanted} differs from {bytes(found).decode()} already used for "
            f"scope {scope.decode()!r}. Hint: a scope keeps one format forever, so that its "
            "serials can never collide; keep the format or rotate the key."
        )


def register_sscc_scope(txn: Any, db: Any, sscc: SsccFormat) -> None:
    """Record an SSCC scope; refuse one whose digits could overlap another's."""
    if txn.get(sscc.scope, db=db) is not None:
        return
    cursor = txn.cursor(db)
    if cursor.set_range(b"00:"):
        for scope in cursor.iternext(values=False):
            head = bytes(scope)
            if not head.startswith(b"00:"):
                break
            other = head[3:].decode()
            if other.startswith(sscc.head) or sscc.head.startswith(other):
                raise InvalidCombination(
                    f"Invalid SSCC extension {sscc.extension} with company prefix "
                    f"{sscc.company_prefix!r}: its SSCCs could repeat those of extension "
                    f"{other[0]} with prefix {other[1:]!r}, already used here. Hint: a site "
                    "has one GS1 company prefix; use it with the same length every time."
                )
    txn.put(sscc.scope, sscc.to_json().encode(), db=db)

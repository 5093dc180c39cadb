"""Codes as people type them on a command line or in a file: the GS separator of a raw code
typed as ``\\x1d`` or ``\\u001d`` (a shell passes no control character), and codes of the store
resolved from any form `jejak codes parse` reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jejak.engine.store import Resolution, Store

__all__ = ["resolved", "untyped"]

TYPED_GS = (r"\x1d", r"\u001d", r"\x1D", r"\u001D")
_GS = "\x1d"


def untyped(text: str) -> str:
    """`text` with each typed GS (``\\x1d``, ``\\u001d``) made the GS character."""
    for typed in TYPED_GS:
        text = text.replace(typed, _GS)
    return text


def resolved(store: Store, texts: list[str]) -> list[Resolution]:
    """The store's codes that `texts` name, in any form (raw, HRI, ``]d2``/``]Q3``, a bare
    serial, 18 SSCC digits; a typed GS too), read in one view."""
    from jejak.engine.store import resolve

    with store.view() as view:
        return [resolve(view, untyped(text)) for text in texts]

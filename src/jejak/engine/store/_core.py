"""What every view and unit of work of one store shares: the LMDB environment and its
databases, the cache, and the serial keys with their permutations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jejak.engine.serial_keys import SerialKey, SerialKeyring
from jejak.engine.serials import SerialFormat, SerialPermutation
from jejak.engine.store._cache import StoreCache

__all__ = ["StoreCore"]


class StoreCore:
    __slots__ = ("cache", "dbs", "env", "keyring", "path", "permutations")

    def __init__(self, path: Path, env: Any, dbs: dict[str, Any]) -> None:
        self.path, self.env, self.dbs = path, env, dbs
        self.keyring = SerialKeyring(path)
        self.cache = StoreCache()
        self.permutations: dict[tuple[SerialFormat, bytes, int], SerialPermutation] = {}

    def key(self, epoch: int, key_id: str | None) -> SerialKey:
        """The key of `epoch`, checked against the key id the store recorded for it."""
        return self.keyring.load(epoch, key_id=key_id)

    def permutation_of(
        self, fmt: SerialFormat, scope: bytes, epoch: int, key_id: str | None
    ) -> SerialPermutation:
        """The permutation of (format, scope, epoch), cached: keys never change once written."""
        cache_key = (fmt, scope, epoch)
        found = self.permutations.get(cache_key)
        if found is None:
            secret = self.key(epoch, key_id).secret
            found = SerialPermutation(fmt, key=secret, scope=scope, epoch=epoch)
            self.permutations[cache_key] = found
        return found

"""The site's serial keys: one secret per key epoch, in files only the owner can read.

The first allocation generates the key of epoch 0. Rotating starts the next epoch with a new key;
serials of different epochs differ in their epoch tag, so they can never collide. A key is known
by its id (the first 16 hex digits of its SHA-256), which every allocation records.

Keys live beside the LMDB environment in ``keys/epoch-<n>.key`` (mode 0600), not inside it, so
that a copy of the database for reporting carries no key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from jejak.engine.errors import StoreError

__all__ = ["KEY_BYTES", "SerialKey", "SerialKeyring"]

KEY_BYTES = 16


@dataclass(frozen=True, slots=True)
class SerialKey:
    epoch: int
    secret: bytes

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.secret).hexdigest()[:16]

    def __repr__(self) -> str:  # never print the secret
        return f"SerialKey(epoch={self.epoch}, key_id={self.key_id!r})"


class SerialKeyring:
    """The key files of one store directory."""

    __slots__ = ("_folder",)

    def __init__(self, store_dir: Path) -> None:
        self._folder = store_dir / "keys"

    def _path(self, epoch: int) -> Path:
        return self._folder / f"epoch-{epoch}.key"

    def epochs(self) -> list[int]:
        if not self._folder.is_dir():
            return []
        found = []
        for path in self._folder.glob("epoch-*.key"):
            suffix = path.stem.removeprefix("epoch-")
            if suffix.isascii() and suffix.isdigit():
                found.append(int(suffix))
        return sorted(found)

    def load(self, epoch: int, *, key_id: str | None = None) -> SerialKey:
        path = self._path(epoch)
        try:
            secret = bytes.fromhex(path.read_text().strip())
        except FileNotFoundError:
            raise StoreError(
                f"Missing serial key file {str(path)!r} for key epoch {epoch}. Hint: restore "
                "the store's keys/ folder from backup; without it, serials of this epoch "
                "cannot be formatted or looked up."
            ) from None
        except ValueError:
            raise StoreError(
                f"Unreadable serial key file {str(path)!r}: expected 32 hex digits. Hint: "
                "restore it from backup."
            ) from None
        key = SerialKey(epoch, secret)
        if len(secret) != KEY_BYTES or (key_id is not None and key.key_id != key_id):
            raise StoreError(
                f"Serial key file {str(path)!r} does not match key id {key_id!r} recorded in "
                "the store. Hint: restore the matching keys/ folder from backup."
            )
        return key

    def create(self, epoch: int) -> SerialKey:
        """Generate and save the key of a new epoch (refusing to overwrite one)."""
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_bytes(KEY_BYTES)
        path = self._path(epoch)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise StoreError(
                f"Serial key file {str(path)!r} already exists. Hint: a key is never replaced; "
                "rotate to a new epoch instead."
            ) from None
        with os.fdopen(fd, "w") as handle:
            handle.write(secret.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        folder = os.open(self._folder, os.O_RDONLY)  # make the new directory entry durable too
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        return SerialKey(epoch, secret)

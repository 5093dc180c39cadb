"""Serial keys: one secret per key epoch, in owner-only files that are never overwritten."""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path

import pytest

from jejak.engine.errors import StoreError
from jejak.engine.serial_keys import KEY_BYTES, SerialKey, SerialKeyring


def key_file(store_dir: Path, epoch: int) -> Path:
    return store_dir / "keys" / f"epoch-{epoch}.key"


def test_create_writes_an_owner_only_file_of_16_bytes(tmp_path: Path) -> None:
    key = SerialKeyring(tmp_path).create(0)
    path = key_file(tmp_path, 0)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert (key.epoch, len(key.secret), KEY_BYTES) == (0, 16, 16)
    assert path.read_text() == key.secret.hex() + "\n"


def test_key_id_is_16_hex_digits_of_the_sha256(tmp_path: Path) -> None:
    key = SerialKeyring(tmp_path).create(0)
    assert re.fullmatch(r"[0-9a-f]{16}", key.key_id)
    assert key.key_id == hashlib.sha256(key.secret).hexdigest()[:16]
    assert SerialKey(0, bytes(16)).key_id == "374708fff7719dd5"


def test_keys_are_random(tmp_path: Path) -> None:
    keyring = SerialKeyring(tmp_path)
    secrets = {keyring.create(epoch).secret for epoch in range(8)}
    assert len(secrets) == 8


def test_repr_never_shows_the_secret() -> None:
    key = SerialKey(3, bytes(range(16)))
    expected = f"SerialKey(epoch=3, key_id={key.key_id!r})"
    assert repr(key) == str(key) == f"{key}" == expected
    for shown in (repr(key), repr([key]), repr({"key": key})):
        assert key.secret.hex() not in shown
        assert repr(key.secret) not in shown


def test_load_returns_the_created_key(tmp_path: Path) -> None:
    created = SerialKeyring(tmp_path).create(2)
    fresh = SerialKeyring(tmp_path)  # a new process opening the same store
    assert fresh.load(2) == created
    assert fresh.load(2, key_id=created.key_id) == created


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    keyring = SerialKeyring(tmp_path)
    first = keyring.create(0)
    path = key_file(tmp_path, 0)
    message = (
        f"Serial key file {str(path)!r} already exists. Hint: a key is never replaced; "
        "rotate to a new epoch instead."
    )
    with pytest.raises(StoreError, match=re.escape(message)):
        keyring.create(0)
    assert keyring.load(0) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_detects_a_wrong_key_id(tmp_path: Path) -> None:
    keyring = SerialKeyring(tmp_path)
    keyring.create(0)
    message = (
        f"Serial key file {str(key_file(tmp_path, 0))!r} does not match key id "
        "'0123456789abcdef' recorded in the store. Hint: restore the matching keys/ folder "
        "from backup."
    )
    with pytest.raises(StoreError, match=re.escape(message)):
        keyring.load(0, key_id="0123456789abcdef")


@pytest.mark.parametrize("folder_exists", [False, True])
def test_load_detects_a_missing_file(tmp_path: Path, folder_exists: bool) -> None:
    keyring = SerialKeyring(tmp_path)
    if folder_exists:
        keyring.create(0)
    message = (
        f"Missing serial key file {str(key_file(tmp_path, 1))!r} for key epoch 1. Hint: restore "
        "the store's keys/ folder from backup; without it, serials of this epoch cannot be "
        "formatted or looked up."
    )
    with pytest.raises(StoreError, match=re.escape(message)):
        keyring.load(1)


@pytest.mark.parametrize("content", ["not hex\n", "0g" * 16, "0" * 31])
def test_load_detects_an_unreadable_file(tmp_path: Path, content: str) -> None:
    path = key_file(tmp_path, 0)
    path.parent.mkdir()
    path.write_text(content)
    message = (
        f"Unreadable serial key file {str(path)!r}: expected 32 hex digits. Hint: "
        "restore it from backup."
    )
    with pytest.raises(StoreError, match=re.escape(message)):
        SerialKeyring(tmp_path).load(0)


@pytest.mark.parametrize("content", ["", "00" * 15, "00" * 17])
def test_load_refuses_a_key_of_the_wrong_length(tmp_path: Path, content: str) -> None:
    path = key_file(tmp_path, 0)
    path.parent.mkdir()
    path.write_text(content + "\n")
    with pytest.raises(StoreError, match=re.escape(f"Serial key file {str(path)!r}")):
        SerialKeyring(tmp_path).load(0)


def test_epochs_lists_key_files_in_numeric_order(tmp_path: Path) -> None:
    keyring = SerialKeyring(tmp_path)
    assert keyring.epochs() == []
    for epoch in (10, 0, 2, 1):
        keyring.create(epoch)
    for stray in ("epoch-x.key", "epoch-.key", "epoch-3.key.tmp", "epoch-٣.key", "notes.txt"):
        (tmp_path / "keys" / stray).write_text("")
    assert keyring.epochs() == [0, 1, 2, 10]
    assert SerialKeyring(tmp_path).epochs() == [0, 1, 2, 10]

"""Plumbing for commands that touch the store: `--store DIR`, `--actor NAME`, and the site's
outbox hook on every store a command opens (so that each reportable activity a command or a
line records is queued for the regulator in the same unit of work)."""

from __future__ import annotations

import argparse
import functools
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe

if TYPE_CHECKING:
    from jejak.engine.store import Event, Hook, Store, UnitOfWork

DEFAULT_STORE = ".jejak"


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=os.environ.get("JEJAK_STORE", DEFAULT_STORE),
        help="store directory (default: $JEJAK_STORE or ./.jejak)",
    )
    parser.add_argument(
        "--actor", default=None, help="who does this, for the audit trail (default: login name)"
    )


def open_store(args: argparse.Namespace) -> Store:
    return open_store_at(Path(args.store))


def open_store_at(path: Path) -> Store:
    from jejak.engine.store import Store

    return Store(path, map_size=map_size(), hooks=[site_outbox])


def site_outbox(uow: UnitOfWork, event: Event) -> None:
    """The site's outbox hook (`engine.outbox.Outbox`, its settings from the environment),
    imported with the EPCIS mapping at the first event of the process: a command that writes
    nothing pays nothing for it."""
    _outbox()(uow, event)


@functools.cache
def _outbox() -> Hook:
    from jejak.engine.outbox import Outbox, OutboxSettings

    return Outbox(OutboxSettings.from_env())


def map_size() -> int:
    """The store's map size: $JEJAK_MAP_SIZE, or the default."""
    from jejak.engine.store import DEFAULT_MAP_SIZE

    return _map_size(DEFAULT_MAP_SIZE)


def _map_size(default: int) -> int:
    """$JEJAK_MAP_SIZE: the store's map in bytes (the most it may grow to)."""
    text = os.environ.get("JEJAK_MAP_SIZE", "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 16 and int(text) >= 1 << 20):
        raise InvalidQuantity(
            f"Invalid JEJAK_MAP_SIZE {describe(text)}: expected a number of bytes of at least "
            f"{1 << 20:,}, e.g. {default}. Hint: unset it for the default of {default:,}."
        )
    return int(text)


def actor(args: argparse.Namespace) -> str:
    if args.actor:
        return str(args.actor)
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"

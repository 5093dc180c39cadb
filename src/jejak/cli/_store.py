"""Plumbing for commands that touch the store: `--store DIR`, `--actor NAME`."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jejak.engine.store import Store

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
    from jejak.engine.store import Store

    return Store(Path(args.store))


def actor(args: argparse.Namespace) -> str:
    if args.actor:
        return str(args.actor)
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"

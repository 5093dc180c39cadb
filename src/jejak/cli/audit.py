"""`jejak audit verify` and `jejak keys rotate`: the audit chain and the serial keys."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jejak.cli._output import print_json
from jejak.cli._store import actor, add_store_arguments, open_store

if TYPE_CHECKING:
    from jejak.cli._output import Commands

EXIT_BROKEN = 1


def register(commands: Commands) -> None:
    group = commands.add_parser("audit", help="check the audit trail")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify",
        help="walk the hash chain and report the first broken link",
        description="Exit 0 when every event verifies, 1 at the first broken link.",
    )
    verify.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(verify)
    verify.set_defaults(handler=_verify)

    keys = commands.add_parser("keys", help="manage serial keys")
    key_actions = keys.add_subparsers(title="actions", metavar="ACTION", required=True)
    rotate = key_actions.add_parser(
        "rotate",
        help="start a new key epoch",
        description="Generate a new serial key. Serials allocated afterwards carry the new "
        "epoch's tag, so they can never collide with earlier ones.",
    )
    add_store_arguments(rotate)
    rotate.set_defaults(handler=_rotate)


def _verify(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        report = store.verify_audit()
    if args.json:
        print_json({"ok": report.ok, "checked": report.checked, "broken_at": report.broken_at,
                    "reason": report.reason})  # fmt: skip
    elif report.ok:
        print(f"audit chain verified: {report.checked} events")
    else:
        print(f"audit chain BROKEN at event {report.broken_at}: {report.reason} "
              f"({report.checked} events verified before it)")  # fmt: skip
    return 0 if report.ok else EXIT_BROKEN


def _rotate(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        key = store.rotate_key(actor=actor(args))
    print(f"serial key epoch {key.epoch} (key id {key.key_id})")
    return 0

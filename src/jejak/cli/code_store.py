"""`jejak codes list | import | lookup | mark`: the codes a store holds.

(`codes build` and `codes parse` need no store; they live in `codes.py`, which registers these
actions under the same `codes` command.)
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from jejak.cli._files import read_text
from jejak.cli._output import print_json, print_warnings
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.engine.codes import CodeForm, CodeState, Level

if TYPE_CHECKING:
    from jejak.engine.lookup import CodeInfo

_LEVELS = [level.name.lower() for level in Level]


def register_actions(actions: Any) -> None:
    listing = actions.add_parser(
        "list",
        help="stream a batch's codes, one a line",
        description="Write every code of a batch level (optionally only those in one state) to "
        "stdout, one a line, in index order.",
    )
    listing.add_argument("--batch", required=True)
    listing.add_argument("--level", choices=_LEVELS, default="primary")
    listing.add_argument("--state", help="only codes in this state, e.g. Commissioned")
    listing.add_argument("--form", choices=[f.value for f in CodeForm], default="hri")
    add_store_arguments(listing)
    listing.set_defaults(handler=_list)

    importing = actions.add_parser(
        "import",
        help="import BPOM-issued codes into a batch",
        description="Read FILE (one code a line, or CSV) of codes BPOM issued for the batch. "
        "Every line is validated first; any bad line, duplicate, or code of another batch "
        "rejects the whole file and nothing is imported.",
    )
    importing.add_argument("--batch", required=True)
    importing.add_argument("--level", choices=_LEVELS, default="primary")
    importing.add_argument("file", metavar="FILE")
    add_store_arguments(importing)
    importing.set_defaults(handler=_import)

    looking = actions.add_parser(
        "lookup",
        help="find a scanned code: batch, level, state, history",
        description="DATA is a scanned code (raw, HRI, with a symbology identifier) or a bare "
        "serial, searched in every product.",
    )
    looking.add_argument("data", metavar="DATA")
    looking.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(looking)
    looking.set_defaults(handler=_lookup)

    marking = actions.add_parser(
        "mark",
        help="move codes to a new state",
        description="Move each code in DATA to STATE, checked against the lifecycle table; an "
        "illegal transition changes nothing.",
    )
    marking.add_argument("data", metavar="DATA", nargs="+")
    marking.add_argument("--state", required=True, help="target state, e.g. Commissioned")
    add_store_arguments(marking)
    marking.set_defaults(handler=_mark)


def _list(args: argparse.Namespace) -> int:
    from jejak.engine.listing import iter_code_lines

    state = None if args.state is None else CodeState.parse(args.state)
    out = sys.stdout.buffer
    with open_store(args) as store:
        for block in iter_code_lines(
            store, args.batch, Level.parse(args.level), state=state, form=CodeForm(args.form)
        ):
            out.write(block)
    out.flush()
    return 0


def _import(args: argparse.Namespace) -> int:
    from jejak.engine.issued_codes import parse_issued_codes

    text = read_text(args.file)
    with open_store(args) as store:
        record = store.batch(args.batch)
        serials = parse_issued_codes(
            text, key=record.key, batch=record.batch, expiry=record.expiry, source=args.file
        )
        record = store.import_codes(args.batch, Level.parse(args.level), serials, actor=actor(args))
    print(f"imported {len(serials):,} codes into batch {record.batch} ({args.level})")
    return 0


def _info_json(info: CodeInfo) -> dict[str, Any]:
    return {
        "batch": info.batch.batch,
        "level": info.level.name.lower(),
        "index": info.index,
        "state": info.state.label,
        "hri": info.code.hri,
        "raw": info.code.raw,
        "warnings": list(info.warnings),
        "history": [
            {"seq": e.seq, "time": e.time, "actor": e.actor, "what": e.what.value,
             "to": e.data.get("to"), "printer": e.data.get("printer")}
            for e in info.history
        ],
    }  # fmt: skip


def _lookup(args: argparse.Namespace) -> int:
    from jejak.engine.lookup import lookup

    with open_store(args) as store:
        info = lookup(store, args.data)
    facts = _info_json(info)
    if args.json:
        print_json(facts)
        return 0
    print(f"{facts['hri']}\n  batch {facts['batch']}, {facts['level']} #{facts['index']}, "
          f"state {facts['state']}")  # fmt: skip
    for event in facts["history"]:
        to = f" -> {event['to']}" if event["to"] else ""
        printer = f" ({event['printer']})" if event["printer"] else ""
        print(f"  {event['time']}  {event['what']}{to}{printer}  by {event['actor']}")
    print_warnings(info.warnings)
    return 0


def _mark(args: argparse.Namespace) -> int:
    from jejak.cli._typed import untyped
    from jejak.engine.store import resolve

    target = CodeState.parse(args.state)
    with open_store(args) as store:
        with store.view() as view:
            found = [resolve(view, untyped(data)) for data in args.data]
            before = [view.state_of(r.record, r.ref.level, r.ref.index) for r in found]
        # One unit of work for every code: one illegal transition changes none.
        store.mark([r.ref for r in found], target, actor=actor(args))
    for resolution, state in zip(found, before, strict=True):
        print(f"{resolution.code.hri}: {state.label} -> {target.label}")
    return 0

"""`jejak agg ...`: packs in cases, cases in pallets: show, pack, rework and import (issue 11).

Every CODE is any form `jejak codes parse` accepts (raw, HRI, with ``]d2``/``]Q3``, a bare
serial, 18 SSCC digits), resolved in the store; codes are printed in HRI form. `agg show` prints
the tree under a code and the path up from it; its JSON is the node `aggregation.as_json` makes:
``{"code", "level", "state", "seal" (containers only), "children": [node, ...], "path": [the
codes of its containers, from its own up to the outermost]}``.

Each write command is one operation of `engine.aggregation.Aggregation`: all of it or, when a
rule refuses it, nothing (exit 1, the message naming the code and the rule). Its ``--json``
object always has ``"operation"`` (the action's name: ``"pack"``, ``"unpack"`` ...) and then:

- pack: ``parent``, ``packed`` (children put in), ``seal``, ``held``, ``capacity`` (the
  container's fill after it);
- seal: ``parent``, ``seal``, ``held``, ``capacity``;
- unpack, sample: ``unpacked`` / ``sampled`` (how many), ``from`` (the containers they left);
- replace: ``parent``, ``old``, ``new``;
- reset: ``parent``, ``removed`` (children it lost), ``seal``, ``held``, ``capacity``;
- dissolve: ``parent``, ``freed`` (children it held);
- move: ``code``, ``parent`` (where it is now), ``from`` (where it was, or null);
- destroy: ``code``, ``destroyed`` (it and every code inside it), ``from`` (or null);
- import: ``batch``, ``file``, ``linked`` (links made), ``containers`` (how many got children).

`agg import --batch B FILE` reads a third-party case packer's links, a CSV of ``parent,child``
rows (an optional header row ``parent,child``; comma, semicolon or tab), and makes them all in
one bulk pack or none: a malformed file (a row of other than two cells, a bad code, a child
twice) is bad input (exit 2); codes the store refuses (unknown, a parent of another batch than
B, any aggregation rule) exit 1; either way the message names the line of every problem.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from jejak.cli._files import read_text
from jejak.cli._link_file import LinkFile, link_rows, refused_at, rejected
from jejak.cli._output import print_json
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.cli._typed import resolved
from jejak.engine.errors import (
    AggregationRefused,
)

if TYPE_CHECKING:
    from jejak.cli._output import Commands, Handler
    from jejak.engine.aggregation import Aggregation
    from jejak.engine.store import CodeRef, Resolution, Store, StoreView

__all__ = ["register"]

_PARTIAL = "close it short of its capacity: the last case or pallet of a batch"
_MIXED = "a pallet may hold cases of other batches (only where the site allows mixed pallets)"


def register(commands: Commands) -> None:
    group = commands.add_parser("agg", help="aggregate packs into cases and pallets, and rework")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    add = _Actions(actions)
    add(
        "show",
        _show,
        "CODE",
        "the tree under a code and the path up from it",
        "Print every code inside CODE (level, state, a container's seal), indented, and the "
        "containers CODE is in, from its own up to the outermost.",
    )
    pack = add(
        "pack",
        _pack,
        "CODE...",
        "put codes into a container",
        "Put each CODE (Commissioned, in no container, one level below) into PARENT, up "
        "to the batch's capacity; a container whose label was printed is commissioned by "
        "the packing.",
        into="parent",
        mixed=True,
    )
    pack.add_argument("--partial", action="store_true", help=_PARTIAL)
    add(
        "seal",
        _seal,
        "CODE",
        "close a container short of its capacity",
        "Close CODE, a case or pallet holding fewer than its capacity, as partial (the last of "
        "a batch).",
    )
    add(
        "unpack",
        _unpack,
        "CODE...",
        "take codes out of their containers",
        "Take each CODE out of the container it is in: free to be packed again, or destroyed.",
    )
    add(
        "replace",
        _replace,
        "OLD NEW",
        "put a code in another's place",
        "NEW takes the place of OLD in OLD's container; OLD is free.",
        mixed=True,
    )
    add(
        "sample",
        _sample,
        "CODE...",
        "take packs as retained samples",
        "Each CODE, a Commissioned pack, becomes Sampled and leaves its case.",
    )
    add(
        "reset",
        _reset,
        "CODE...",
        "replace all of a container's children at once",
        "PARENT holds exactly the CODEs afterwards (some may be its own already); the children "
        "it held and is not given are free.",
        into="parent",
        mixed=True,
    )
    add(
        "dissolve",
        _dissolve,
        "CODE",
        "empty a container",
        "Take every child out of CODE, a case or pallet: they are free.",
    )
    add(
        "move",
        _move,
        "CODE",
        "move a container into another",
        "Move CODE (a case) into TO (a pallet), out of the one it was in.",
        into="to",
        mixed=True,
    )
    add(
        "destroy",
        _destroy,
        "CODE",
        "destroy a code and everything inside it",
        "CODE and every code inside it (a damaged case and its packs) become Destroyed and "
        "leave every container.",
    )
    importing = add(
        "import",
        _import,
        "FILE",
        "import a case packer's parent,child links",
        "Read FILE, a CSV of parent,child rows (an optional header row "
        "parent,child), and link each child into its parent, a container of BATCH. "
        "Every row is checked first: any bad row rejects the whole file, naming its "
        "line, and nothing is linked.",
        mixed=True,
    )
    importing.add_argument("--batch", required=True, help="the batch of every parent")


class _Actions:
    """Adds an action: its positional `words` (``CODE...``: one or more), ``--parent`` or
    ``--to`` when it puts codes `into` a container, ``--mixed-pallets``, ``--json`` and the
    store's options."""

    def __init__(self, actions: Any) -> None:
        self.actions = actions

    def __call__(
        self,
        name: str,
        handler: Handler,
        words: str,
        summary: str,
        description: str,
        *,
        into: str | None = None,
        mixed: bool = False,
    ) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self.actions.add_parser(
            name, help=summary, description=description
        )
        if into is not None:
            parser.add_argument(
                f"--{into}",
                required=True,
                metavar=into.upper(),
                help="the container: a case or a pallet",
            )
        for word in words.split():
            metavar = word.removesuffix("...")
            many = metavar != word
            parser.add_argument(
                metavar.lower() + "s" * many, metavar=metavar, nargs="+" if many else None
            )
        if mixed:
            parser.add_argument("--mixed-pallets", action="store_true", help=_MIXED)
        parser.add_argument("--json", action="store_true", help="print JSON")
        add_store_arguments(parser)
        parser.set_defaults(handler=handler)
        return parser


# Reads and output ----------------------------------------------------------------------------


def _hri(view: StoreView, ref: CodeRef) -> str:
    return view.code(view.batch_by_id(ref.batch_id), ref.level, ref.index).hri


def _containers(store: Store, found: list[Resolution]) -> list[str]:
    """The containers `found` are in, each once: read before the operation takes them out."""
    with store.view() as view:
        parents = [view.parent_of(r.ref) for r in found]
        return list(dict.fromkeys(_hri(view, p) for p in parents if p is not None))


def _fill(store: Store, container: Resolution) -> dict[str, Any]:
    """A container's seal, how many children it holds, and its capacity."""
    import numpy as np

    from jejak.engine.aggregation import Seal, capacity
    from jejak.engine.store import CONTAINERS

    ref = container.ref
    with store.view() as view:
        record = view.batch_by_id(ref.batch_id)
        seal = view.values(CONTAINERS, record, ref.level, np.array([ref.index], dtype=np.int64))
        held = int(view.children(ref).size)
    return {"seal": Seal(int(seal[0])).label, "held": held, "capacity": capacity(record, ref.level)}


def _aggregation(store: Store, args: argparse.Namespace) -> Aggregation:
    from jejak.engine.aggregation import Aggregation

    mixed = bool(getattr(args, "mixed_pallets", False))
    return Aggregation(store, actor=actor(args), mixed_pallets=mixed)


def _done(args: argparse.Namespace, facts: dict[str, Any], line: str) -> int:
    if args.json:
        print_json(facts)
    else:
        print(line)
    return 0


def _count(count: int, what: str = "code") -> str:
    return f"{count:,} {what}" + ("" if count == 1 else "s")


def _of(fill: dict[str, Any]) -> str:
    return f"{fill['seal']}, {fill['held']:,} of {fill['capacity']:,}"


# Show ----------------------------------------------------------------------------------------


def _show(args: argparse.Namespace) -> int:
    from jejak.engine.aggregation import as_json, path, tree

    with open_store(args) as store:
        (found,) = resolved(store, [args.code])
        with store.view() as view:
            node = as_json(view, tree(view, found.ref), path(view, found.ref))
    if args.json:
        print_json(node)
        return 0
    print("\n".join(_tree_lines(node, 0)))
    print(f"path: {' > '.join(node['path']) if node['path'] else 'none (in no container)'}")
    return 0


def _tree_lines(node: dict[str, Any], depth: int) -> list[str]:
    seal = f"  {node['seal']}" if "seal" in node else ""
    lines = [f"{'  ' * depth}{node['code']}  {node['level']}  {node['state']}{seal}"]
    for child in node["children"]:
        lines.extend(_tree_lines(child, depth + 1))
    return lines


# Packing and rework --------------------------------------------------------------------------


def _pack(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        parent, *children = resolved(store, [args.parent, *args.codes])
        refs = [c.ref for c in children]
        packed = _aggregation(store, args).pack(parent.ref, refs, partial=args.partial)
        fill = _fill(store, parent)
    hri = parent.code.hri
    facts = {"operation": "pack", "parent": hri, "packed": packed, **fill}
    return _done(args, facts, f"packed {_count(packed)} into {hri} ({_of(fill)})")


def _seal(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        (container,) = resolved(store, [args.code])
        _aggregation(store, args).seal(container.ref)
        fill = _fill(store, container)
    hri = container.code.hri
    return _done(args, {"operation": "seal", "parent": hri, **fill}, f"closed {hri} ({_of(fill)})")


def _unpack(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        found = resolved(store, args.codes)
        was = _containers(store, found)
        count = _aggregation(store, args).unpack([r.ref for r in found])
    facts = {"operation": "unpack", "unpacked": count, "from": was}
    return _done(args, facts, f"unpacked {_count(count)} from {', '.join(was)}")


def _replace(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        old, new = resolved(store, [args.old, args.new])
        container = _aggregation(store, args).replace(old.ref, new.ref)
        with store.view() as view:
            parent = _hri(view, container)
    facts = {"operation": "replace", "parent": parent, "old": old.code.hri, "new": new.code.hri}
    return _done(args, facts, f"replaced {old.code.hri} with {new.code.hri} in {parent}")


def _sample(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        found = resolved(store, args.codes)
        was = _containers(store, found)
        count = _aggregation(store, args).sample([r.ref for r in found])
    facts = {"operation": "sample", "sampled": count, "from": was}
    out = f", taken out of {', '.join(was)}" if was else ""
    return _done(args, facts, f"sampled {_count(count)} (now Sampled){out}")


def _reset(args: argparse.Namespace) -> int:
    from jejak.engine.store import pack_ref

    with open_store(args) as store:
        parent, *children = resolved(store, [args.parent, *args.codes])
        with store.view() as view:
            before = set(view.children(parent.ref).tolist())
        _aggregation(store, args).reset(parent.ref, [c.ref for c in children])
        fill = _fill(store, parent)
    removed = len(before - {pack_ref(c.ref.batch_id, c.ref.level, c.ref.index) for c in children})
    hri = parent.code.hri
    facts = {"operation": "reset", "parent": hri, "removed": removed, **fill}
    return _done(args, facts, f"reset {hri}: {_count(removed)} taken out ({_of(fill)})")


def _dissolve(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        (container,) = resolved(store, [args.code])
        freed = _aggregation(store, args).dissolve(container.ref)
    hri = container.code.hri
    facts = {"operation": "dissolve", "parent": hri, "freed": freed}
    return _done(args, facts, f"dissolved {hri}: {_count(freed)} freed")


def _move(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        moving, target = resolved(store, [args.code, args.to])
        was = _containers(store, [moving])
        _aggregation(store, args).move(moving.ref, target.ref)
    hri, into = moving.code.hri, target.code.hri
    facts = {"operation": "move", "code": hri, "parent": into, "from": was[0] if was else None}
    return _done(args, facts, f"moved {hri}{f' from {was[0]}' if was else ''} into {into}")


def _destroy(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        (root,) = resolved(store, [args.code])
        was = _containers(store, [root])
        count = _aggregation(store, args).destroy(root.ref)
    hri = root.code.hri
    facts = {
        "operation": "destroy",
        "code": hri,
        "destroyed": count,
        "from": was[0] if was else None,
    }
    inside = f" and {_count(count - 1)} inside it" if count > 1 else ""
    where = f" (taken out of {was[0]})" if was else ""
    return _done(args, facts, f"destroyed {hri}{inside}{where}")


# Import --------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    import numpy as np

    source = args.file
    rows = link_rows(read_text(source, what="link file"), source)
    with open_store(args) as store:
        record = store.batch(args.batch)
        with store.view() as view:
            links = LinkFile(view, record)
            bad = sum(not links.add(number, cells) for number, cells in rows)
        if links.problems:
            raise rejected(links.problems, bad, len(rows), source)
        children = np.array(links.children, dtype=np.uint64)
        try:
            linked = _aggregation(store, args).pack_many(
                children, np.array(links.parents, dtype=np.uint64)
            )
        except AggregationRefused as error:
            with store.view() as view:
                at = links.line_of(error, view)
            raise refused_at(error, at, len(rows), source) from None
    containers = len(links.parent_lines)
    facts = {
        "operation": "import",
        "batch": record.batch,
        "file": source,
        "linked": linked,
        "containers": containers,
    }
    line = (
        f"linked {_count(linked)} into {_count(containers, 'container')} of batch "
        f"{record.batch} from {source}"
    )
    return _done(args, facts, line)

"""`jejak nie NIE`: what a BPOM registration number says about its product."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jejak.cli._output import print_json
from jejak.engine.nie import Nie

if TYPE_CHECKING:
    from jejak.cli._output import Commands


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "nie",
        help="classify a BPOM registration number (NIE)",
        description="Tell the product category, drug class, origin and the coding method the "
        "regulation requires (Art. 3) for an NIE.",
    )
    parser.add_argument("nie", metavar="NIE")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=_show)


def _show(args: argparse.Namespace) -> int:
    nie = Nie.parse(args.nie)
    facts = {
        "nie": nie.value,
        "category": nie.category.value,
        "drug_class": nie.drug_class.value if nie.drug_class else None,
        "origin": nie.origin.value,
        "method": nie.method.value,
    }
    if args.json:
        print_json(facts)
    else:
        for name, value in facts.items():
            print(f"{name:<11}{value if value is not None else '-'}")
    return 0

"""`jejak product add` and `jejak product list`: the product master."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jejak.cli._output import print_json
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.engine.product import Product

if TYPE_CHECKING:
    from jejak.cli._output import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("product", help="manage the product master")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add a product",
        description="Add a product by its NIE. The coding method follows from the NIE's class "
        "(Art. 3); --method authentication with --reason raises an OTC drug or a food for "
        "special dietary use to authentication (Art. 3(4)).",
    )
    add.add_argument("--nie", required=True, help="BPOM registration number")
    add.add_argument("--name", required=True, help="product name")
    add.add_argument("--packaging", required=True, help="packaging, as in BPOM's registry")
    add.add_argument("--gtin", help="GTIN-8/12/13/14, if the product has one")
    add.add_argument("--dosage-form", help="dosage form, e.g. Tablet")
    add.add_argument("--method", choices=("authentication", "identification"))
    add.add_argument("--reason", help="why --method overrides the NIE's class (required with it)")
    add.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(add)
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="list products")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(listing)
    listing.set_defaults(handler=_list)


def _facts(product: Product) -> dict[str, object]:
    return {
        "nie": product.nie.value,
        "name": product.name,
        "packaging": product.packaging,
        "gtin": product.gtin,
        "dosage_form": product.dosage_form,
        "category": product.nie.category.value,
        "method": product.method.value,
        "method_reason": product.method_reason,
    }


def _add(args: argparse.Namespace) -> int:
    product = Product.parse(
        nie=args.nie,
        name=args.name,
        packaging=args.packaging,
        gtin=args.gtin,
        dosage_form=args.dosage_form,
        method=args.method,
        reason=args.reason,
    )
    with open_store(args) as store:
        store.add_product(product, actor=actor(args))
    if args.json:
        print_json(_facts(product))
    else:
        print(f"added {product.nie.value} {product.name!r} ({product.method.value})")
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        products = store.products()
    if args.json:
        print_json([_facts(p) for p in products])
        return 0
    for p in products:
        print(f"{p.nie.value:<16} {p.gtin or '-':<14} {p.method.value:<14} {p.name}")
    return 0

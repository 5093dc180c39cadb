"""`jejak ship`, `jejak return`, `jejak recall`: codes leave, come back, are called back.

Every CODE is any form `jejak codes parse` accepts, resolved in the store; codes are printed in
HRI form. Each command is one unit of work: all of it, or, when a rule refuses it, nothing
(exit 1, naming the code and the rule).

- ``ship --to PARTNER_ID CODE...``: the outermost codes (pallets, loose cases, loose packs)
  and everything inside them become Released; ``--out FILE`` writes the shipping report (annex
  H: the outermost codes, one row each; ``--partner`` or ``$JEJAK_PARTNER_ID`` is ours).
  ``--json``: ``{"to", "shipped" (outermost codes), "released" (codes in all), "codes": [the
  outermost codes], "events": [event numbers], "out" (the report file, or null)}``.
- ``return CODE... --reason TEXT [--from PARTNER_ID]``: shipped codes come back, Inactive with
  everything inside. ``--json``: ``{"returned", "inactivated", "codes", "events"}``.
- ``recall --batch B --reason TEXT [--letter REF]``: every Commissioned or Released code of the
  batch becomes Inactive, and every shipped outermost code of the batch is listed with its
  destination. ``--json``: ``{"batch", "reason", "inactivated", "shipped": [{"code", "to",
  "shipped_at"}], "events"}``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jejak.cli._output import print_json
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.cli._typed import resolved
from jejak.cli.report import PARTNER_ENV, partner

if TYPE_CHECKING:
    from jejak.cli._output import Commands, Handler
    from jejak.engine.report.usage import UsageSettings
    from jejak.engine.store import Store

__all__ = ["register"]


def register(commands: Commands) -> None:
    ship = commands.add_parser(
        "ship",
        help="ship codes to a trading partner (Released)",
        description="Ship outermost codes (pallets, loose cases, loose packs) to a partner: "
        "each and everything inside it becomes Released. A code inside a container is "
        "refused: ship the container.",
    )
    ship.add_argument("--to", required=True, metavar="PARTNER_ID",
                      help="the destination's TTAC partner ID")  # fmt: skip
    ship.add_argument("codes", metavar="CODE", nargs="+")
    ship.add_argument("--out", metavar="FILE", default=None,
                      help="write the shipping report (annex H CSV), '-' for stdout")  # fmt: skip
    ship.add_argument("--partner", metavar="ID", default=None,
                      help=f"our TTAC partner ID (default: ${PARTNER_ENV})")  # fmt: skip
    ship.add_argument("--code-form", choices=("hri", "raw", "serial"), default="hri",
                      help="how codes are written in the report (default: hri)")  # fmt: skip
    _common(ship, _ship)

    back = commands.add_parser(
        "return",
        help="take shipped codes back (Inactive)",
        description="Shipped codes come back from a partner: each and everything inside it "
        "becomes Inactive, and the return enters the usage report.",
    )
    back.add_argument("codes", metavar="CODE", nargs="+")
    back.add_argument("--reason", required=True, help="why they came back")
    back.add_argument("--from", dest="from_partner", metavar="PARTNER_ID", default=None,
                      help="the partner who returned them")  # fmt: skip
    _common(back, _return)

    recall = commands.add_parser(
        "recall",
        help="recall a batch (Inactive) and list where it was shipped",
        description="Every Commissioned or Released code of the batch becomes Inactive; every "
        "shipped outermost code of the batch is listed with its destination.",
    )
    recall.add_argument("--batch", required=True)
    recall.add_argument("--reason", required=True, help="why the batch is recalled")
    recall.add_argument("--letter", default=None, metavar="REF",
                        help="the reference of the recall letter")  # fmt: skip
    _common(recall, _recall)


def _common(parser: argparse.ArgumentParser, handler: Handler) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(parser)
    parser.set_defaults(handler=handler)


def _ship(args: argparse.Namespace) -> int:
    from jejak.engine.report.usage import UsageSettings
    from jejak.engine.shipments import PartnerId, Shipping

    to = PartnerId.parse(args.to)
    settings = None
    if args.out is not None:
        settings = UsageSettings.parse(partner_id=partner(args.partner), form=args.code_form)
    with open_store(args) as store:
        found = resolved(store, args.codes)
        shipment = Shipping(store, actor=actor(args)).ship([r.ref for r in found], to)
        if settings is not None:
            _write_report(store, shipment.events, settings, args.out)
    where = None if args.out is None else ("stdout" if args.out == "-" else args.out)
    facts = {"to": to.value, "shipped": len(shipment.outermost), "released": shipment.released,
             "codes": list(shipment.outermost), "events": list(shipment.events),
             "out": where}  # fmt: skip
    if args.json:
        print_json(facts)
    elif args.out != "-":
        print(f"Shipped {len(shipment.outermost):,} outermost codes to {to.value} "
              f"({shipment.released:,} codes Released)"
              + (f"; shipping report {args.out}" if args.out else ""))  # fmt: skip
    return 0


def _write_report(store: Store, events: tuple[int, ...], settings: UsageSettings,
                  out: str) -> None:  # fmt: skip
    from jejak.cli._files import written
    from jejak.engine.report.shipping import ShippingReport

    with store.view() as view, written(out, what="shipping report") as stream:
        stream.write(ShippingReport(view, events, settings).csv().encode())


def _return(args: argparse.Namespace) -> int:
    from jejak.engine.shipments import PartnerId, Reason, Shipping

    reason = Reason.parse(args.reason)
    origin = None if args.from_partner is None else PartnerId.parse(args.from_partner)
    with open_store(args) as store:
        found = resolved(store, args.codes)
        back = Shipping(store, actor=actor(args)).take_back([r.ref for r in found], reason,
                                                            from_partner=origin)  # fmt: skip
    if args.json:
        print_json({"returned": len(back.codes), "inactivated": back.inactivated,
                    "codes": list(back.codes), "events": list(back.events)})  # fmt: skip
    else:
        print(f"Returned {len(back.codes):,} codes ({back.inactivated:,} codes Inactive)")
    return 0


def _recall(args: argparse.Namespace) -> int:
    from jejak.engine.shipments import Reason, Shipping

    reason = Reason.parse(args.reason)
    letter = None if args.letter is None else Reason.parse(args.letter, what="recall letter").value
    with open_store(args) as store:
        recall = Shipping(store, actor=actor(args)).recall(args.batch, reason, letter=letter)
    shipped = [{"code": s.code, "to": s.to, "shipped_at": s.at} for s in recall.shipped]
    if args.json:
        print_json({"batch": recall.batch, "reason": recall.reason,
                    "inactivated": recall.inactivated, "shipped": shipped,
                    "events": list(recall.events)})  # fmt: skip
        return 0
    print(f"Recalled batch {recall.batch}: {recall.inactivated:,} codes Inactive; "
          f"{len(shipped):,} shipped outermost codes to notify")  # fmt: skip
    for item in shipped:
        print(f"  {item['code']}  to {item['to']}  shipped {item['shipped_at']}")
    return 0

"""`jejak batch ...`: code requests for a batch (Art. 7-10, annex F).

`jejak batch plan` checks a request and prints the counts and deadlines. The store-backed
`batch open / show / close` commands build on the same arguments.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from jejak.cli._output import print_json, print_warnings
from jejak.engine.batch import CodeRequest, RequestSchedule
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.working_days import WorkingDays

if TYPE_CHECKING:
    from jejak.cli._output import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("batch", help="plan and manage batches")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    plan = actions.add_parser(
        "plan",
        help="check a code request and show its counts and Art. 9-10 deadlines",
        description="Validate a batch's code request (annex F): derive the secondary and "
        "tertiary counts and the deadlines in Indonesian working days. A late request is a "
        "warning, not an error.",
    )
    add_request_arguments(plan)
    plan.add_argument(
        "--requested-on", metavar="YYYY-MM-DD", help="date the request is sent (default: today)"
    )
    plan.add_argument("--json", action="store_true", help="print JSON")
    plan.set_defaults(handler=_plan)


def add_request_arguments(parser: argparse.ArgumentParser) -> None:
    """The request flags shared by `batch plan` and `batch open`."""
    parser.add_argument("--nie", required=True, help="the product's NIE")
    parser.add_argument("--batch", required=True, help="batch number (AI 10)")
    parser.add_argument("--expiry", required=True, metavar="YYYY-MM-DD", help="expiry date")
    parser.add_argument("--quantity", required=True, help="primary codes requested")
    parser.add_argument("--per-secondary", required=True, help="max primaries per secondary")
    parser.add_argument("--per-tertiary", required=True, help="max secondaries per tertiary")
    parser.add_argument("--gtin", help="GTIN, if the product has one")
    parser.add_argument("--production-start", metavar="YYYY-MM-DD", help="planned start")


def request_from(args: argparse.Namespace) -> CodeRequest:
    requested_on = getattr(args, "requested_on", None)
    return CodeRequest.parse(
        nie=args.nie,
        batch=args.batch,
        expiry=args.expiry,
        primary_count=args.quantity,
        max_per_secondary=args.per_secondary,
        max_per_tertiary=args.per_tertiary,
        gtin=args.gtin,
        production_start=args.production_start,
        requested_on=None
        if requested_on is None
        else Gs1Date.parse_iso(requested_on, what="request date (--requested-on)").as_date(),
    )


def _plan(args: argparse.Namespace) -> int:
    request = request_from(args)
    schedule = request.schedule(WorkingDays())
    if args.json:
        print_json(_as_json(request, schedule))
    else:
        _print_plan(request, schedule)
    print_warnings(schedule.warnings)
    return 0


def _iso(value: object) -> str | None:
    return None if value is None else str(value)


def _as_json(request: CodeRequest, schedule: RequestSchedule) -> dict[str, object]:
    return {
        "nie": request.nie.value,
        "method": request.nie.method.value,
        "batch": request.batch,
        "expiry": request.expiry.isoformat(),
        "gtin": request.gtin,
        "counts": {
            "primary": request.primary_count,
            "secondary": request.secondary_count,
            "tertiary": request.tertiary_count,
        },
        "max_per_secondary": request.max_per_secondary,
        "max_per_tertiary": request.max_per_tertiary,
        "requested_on": schedule.requested_on.isoformat(),
        "production_start": _iso(schedule.production_start),
        "latest_request": _iso(schedule.latest_request),
        "issuance_due": schedule.issuance_due.isoformat(),
        "working_days_before_production": schedule.working_days_before_production,
        "warnings": list(schedule.warnings),
    }


def _print_plan(request: CodeRequest, schedule: RequestSchedule) -> None:
    rows = [
        ("NIE", f"{request.nie.value} ({request.nie.method.value})"),
        ("batch", request.batch),
        ("expiry", request.expiry.isoformat()),
        ("GTIN", request.gtin or "-"),
        ("primary codes", f"{request.primary_count:,}"),
        ("secondary codes", f"{request.secondary_count:,} (max {request.max_per_secondary} each)"),
        ("tertiary codes", f"{request.tertiary_count:,} (max {request.max_per_tertiary} each)"),
        ("requested on", schedule.requested_on.isoformat()),
        ("production start", _iso(schedule.production_start) or "-"),
        ("request by (Art. 9)", _iso(schedule.latest_request) or "-"),
        ("issuance due (Art. 10)", schedule.issuance_due.isoformat()),
    ]
    for name, value in rows:
        print(f"{name:<24}{value}")

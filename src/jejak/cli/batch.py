"""`jejak batch ...`: plan, open, show and close batches (Art. 7-10, annex F).

`batch plan` checks a code request and prints its counts and deadlines; `batch open` does the same
checks, then allocates (or imports) the codes of every level in the store; `batch show` counts
codes by level and state; `batch close` reconciles and closes.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from jejak.cli._files import read_text
from jejak.cli._output import print_json, print_warnings
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.engine.errors import InvalidCombination, InvalidQuantity
from jejak.engine.gs1 import AI, Element
from jejak.engine.serials import SerialAlphabet

if TYPE_CHECKING:
    from jejak.cli._output import Commands
    from jejak.engine.batch import CodeRequest, RequestSchedule
    from jejak.engine.batch_record import BatchRecord
    from jejak.engine.codes import CodeState, Level


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

    opening = actions.add_parser(
        "open",
        help="open a batch and allocate (or import) its codes",
        description="Open a batch of a product in the master: allocate unique, unguessable "
        "serials for its primary, secondary and tertiary codes (with an overage for rejects), or "
        "import the primary codes BPOM issued (--codes-from).",
    )
    add_request_arguments(opening)
    opening.add_argument("--overage", default="0", metavar="PCT", help="extra codes, percent")
    opening.add_argument("--codes-from", metavar="FILE", help="BPOM-issued primary codes")
    opening.add_argument(
        "--serial-alphabet",
        default=SerialAlphabet.UPPER_NO_LOOKALIKES.value,
        choices=[a.value for a in SerialAlphabet],
        help="characters of self-issued serials (default: %(default)s)",
    )
    opening.add_argument(
        "--serial-length", default=12, type=int, help="serial length, 6-20 (default: 12)"
    )
    opening.add_argument(
        "--sscc-prefix",
        metavar="PREFIX",
        help="GS1 company prefix: cases and pallets get SSCCs (00) instead of serials",
    )
    opening.add_argument(
        "--sscc-extension", metavar="DIGIT", help="SSCC extension digit (default 0)"
    )
    opening.add_argument("--json", action="store_true", help="print JSON (as batch show)")
    add_store_arguments(opening)
    opening.set_defaults(handler=_open)

    show = actions.add_parser("show", help="count a batch's codes by level and state")
    show.add_argument("batch", metavar="BATCH")
    show.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(show)
    show.set_defaults(handler=_show)

    close = actions.add_parser(
        "close",
        help="reconcile and close a batch",
        description="Check that every code is accounted for; void unused codes (SNInvalid, never "
        "reissued) and scrap codes whose print was never confirmed (LabelScrapped); close.",
    )
    close.add_argument("batch", metavar="BATCH")
    close.add_argument("--json", action="store_true", help="print JSON")
    add_store_arguments(close)
    close.set_defaults(handler=_close)

    pregen = actions.add_parser(
        "pregen",
        help="encode and verify every symbol of a batch ahead of the line",
        description="A pool of worker processes encodes the symbol of every primary, secondary "
        "and tertiary code, reads each back with zxing-cpp, and stores the module matrices. "
        "Pages already stored are kept, so an interrupted run resumes.",
    )
    pregen.add_argument("batch", metavar="BATCH")
    pregen.add_argument("--symbology", default="datamatrix", choices=["datamatrix", "qr"])
    pregen.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    add_store_arguments(pregen)
    pregen.set_defaults(handler=_pregen)


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
    from jejak.engine.batch import CodeRequest
    from jejak.engine.gs1_date import Gs1Date

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


def _parse_overage(value: str) -> float:
    try:
        overage = float(value)
    except ValueError:
        overage = -1.0
    if not 0 <= overage <= 100:
        raise InvalidQuantity(
            f"Invalid overage {value!r}: expected a percentage from 0 to 100. Hint: 2 to 5 "
            "percent covers the usual rejects."
        )
    return overage


def _open(args: argparse.Namespace) -> int:
    from jejak.engine.issued_codes import parse_issued_codes
    from jejak.engine.serials import SerialFormat
    from jejak.engine.sscc import SsccFormat

    request = request_from(args)
    fmt = SerialFormat.parse(alphabet=args.serial_alphabet, length=args.serial_length)
    overage = _parse_overage(args.overage)
    sscc = None
    if args.sscc_prefix is not None:
        extension = "0" if args.sscc_extension is None else args.sscc_extension
        sscc = SsccFormat.parse(company_prefix=args.sscc_prefix, extension=extension)
    elif args.sscc_extension is not None:
        raise InvalidCombination(
            f"Invalid --sscc-extension {args.sscc_extension!r} without --sscc-prefix: expected "
            "both. Hint: the extension digit goes with the site's GS1 company prefix."
        )
    with open_store(args) as store:
        product = store.product(request.nie.value)
        imported = None
        if args.codes_from is not None:
            gtin = request.gtin or product.gtin
            key = Element.parse(AI.GTIN, gtin) if gtin else Element.parse(AI.NIE, product.nie.value)
            text = read_text(args.codes_from)
            imported = parse_issued_codes(
                text, key=key, batch=request.batch, expiry=request.expiry, source=args.codes_from
            )
        record = store.open_batch(
            request,
            serial_format=fmt,
            overage_pct=overage,
            imported=imported,
            sscc=sscc,
            actor=actor(args),
        )
        summary = batch_summary(store.counts(record.batch), record)
    if imported is not None and request.production_start is not None:
        from jejak.engine.working_days import WorkingDays

        # Art. 9-10 concern codes requested from BPOM; a late request still opens, with a warning.
        print_warnings(request.schedule(WorkingDays()).warnings)
    if args.json:
        print_json(summary)
    else:
        _print_summary(summary)
    return 0


def batch_summary(counts: dict[Level, dict[CodeState, int]], record: BatchRecord) -> dict[str, Any]:
    return {
        "batch": record.batch,
        "nie": record.nie,
        "gtin": record.key.value if record.key.ai is AI.GTIN else None,
        "expiry": record.expiry.isoformat(),
        "status": record.status.value,
        "levels": {
            a.level.name.lower(): {
                "allocated": a.count,
                "source": a.source.value,
                "states": {s.label: n for s, n in counts.get(a.level, {}).items()},
            }
            for a in record.levels
        },
    }


def _print_summary(summary: dict[str, Any]) -> None:
    print(f"batch {summary['batch']}  NIE {summary['nie']}  GTIN {summary['gtin'] or '-'}  "
          f"expiry {summary['expiry']}  {summary['status']}")  # fmt: skip
    for name, level in summary["levels"].items():
        states = ", ".join(f"{label} {n:,}" for label, n in level["states"].items())
        print(f"  {name:<10}{level['allocated']:>12,}  {level['source']:<5} {states}")


def _show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        record = store.batch(args.batch)
        summary = batch_summary(store.counts(args.batch), record)
    if args.json:
        print_json(summary)
    else:
        _print_summary(summary)
    return 0


def _close(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        report = store.close_batch(args.batch, actor=actor(args))
    if args.json:
        print_json(report)
        return 0
    print(f"batch {report['batch']} closed")
    for name, level in report["levels"].items():
        after = ", ".join(f"{label} {n:,}" for label, n in level["after"].items())
        print(
            f"  {name:<10}{level['allocated']:>12,}  voided {level['voided']:,}, scrapped "
            f"{level['scrapped']:,} -> {after}"
        )
    return 0


def _plan(args: argparse.Namespace) -> int:
    from jejak.engine.working_days import WorkingDays

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


def _pregen(args: argparse.Namespace) -> int:
    from jejak.printers.pregen import pregenerate
    from jejak.printers.symbols import SymbolKind

    kind = SymbolKind.GS1_QR if args.symbology == "qr" else SymbolKind.GS1_DATAMATRIX
    with open_store(args) as store:
        report = pregenerate(store, args.batch, kind=kind, workers=args.workers)
    levels = ", ".join(f"{name} {count:,}" for name, count in report.per_level.items())
    print(
        f"batch {args.batch}: {report.symbols:,} symbols encoded and verified ({levels}) in "
        f"{report.seconds:.1f} s with {report.workers} workers"
    )
    return 0

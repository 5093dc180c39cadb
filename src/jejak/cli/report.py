"""`jejak report`: the reports a NIE holder files with BPOM and sends its trading partners.

- ``report usage --batch B [--format csv|json] --out FILE``: BPOM's usage report (annex G), the
  CSV bulk-upload template or the same facts as JSON; the partner ID from ``--partner`` or
  ``$JEJAK_PARTNER_ID``, the form of the codes (``--code-form``, HRI by default) and the header
  row (``--header``) are the site's settings.

A report is written to a temporary file beside FILE and renamed over it when complete: an
interrupted report leaves no half-written file.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from jejak.cli._output import print_json
from jejak.cli._store import add_store_arguments, open_store

if TYPE_CHECKING:
    from jejak.cli._output import Commands

PARTNER_ENV = "JEJAK_PARTNER_ID"


def register(commands: Commands) -> None:
    group = commands.add_parser("report", help="usage reports for BPOM, EPCIS for partners")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    usage = actions.add_parser(
        "usage",
        help="write a batch's usage report (BPOM's CSV template, or JSON)",
        description="One row for every printed primary code of the batch: its case and pallet "
        "codes (0 when in none), NIE, expiry, batch, GTIN and exactly one of active, retained "
        "sample and reject TRUE. Codes printed but not yet verified (an open batch's packs "
        "still on the line) are left for a later report.",
    )
    usage.add_argument(
        "--batch",
        required=True,
        action="append",
        help="the batch to report (again for more batches in one report)",
    )
    usage.add_argument(
        "--format",
        choices=("csv", "json"),
        default="csv",
        help="csv: BPOM's bulk-upload template (default); json: for the API",
    )
    usage.add_argument("--out", required=True, metavar="FILE", help="output file, '-' for stdout")
    usage.add_argument(
        "--partner",
        default=None,
        metavar="ID",
        help=f"the NIE holder's TTAC partner ID (default: ${PARTNER_ENV})",
    )
    usage.add_argument(
        "--code-form",
        choices=("hri", "raw", "serial"),
        default="hri",
        help="how codes are written in the code columns (default: hri)",
    )
    usage.add_argument("--header", default=None, metavar="NAMES",
                       help="the CSV header row: 12 comma-separated names (default: BPOM's "
                       "id_rekanan,kemasan,kode_primer,...)")  # fmt: skip
    usage.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_store_arguments(usage)
    usage.set_defaults(handler=_usage)


def _usage(args: argparse.Namespace) -> int:
    from jejak.cli._files import written
    from jejak.engine.report.usage import UsageReport, UsageSettings

    settings = UsageSettings.parse(partner_id=_partner(args.partner), form=args.code_form,
                                   header=args.header)  # fmt: skip
    with open_store(args) as store, store.view() as view:
        report = UsageReport(view, [view.batch(b) for b in args.batch], settings)
        with written(args.out, what="report file") as out:
            counts = report.write_csv(out) if args.format == "csv" else report.write_json(out)
    where = "stdout" if args.out == "-" else args.out
    if args.json:
        print_json({"batches": args.batch, "format": args.format, "out": where,
                    **counts.as_json()})  # fmt: skip
    else:
        stream = sys.stderr if args.out == "-" else sys.stdout
        print(
            f"Wrote {where} ({args.format}): {counts.rows:,} codes of "
            f"{', '.join(args.batch)}: {counts.active:,} active, {counts.retained_sample:,} "
            f"retained samples, {counts.reject:,} rejects",
            file=stream,
        )
    return 0


def _partner(given: str | None) -> str | None:
    return given if given is not None else os.environ.get(PARTNER_ENV)

"""`jejak report`: the reports a NIE holder files with BPOM and sends its trading partners.

- ``report usage --batch B [--format csv|json] --out FILE``: BPOM's usage report (annex G), the
  CSV bulk-upload template or the same facts as JSON; the partner ID from ``--partner`` or
  ``$JEJAK_PARTNER_ID``, the form of the codes (``--code-form``, HRI by default) and the header
  row (``--header``) are the site's settings. ``--since TIME [--until TIME]``: only the codes
  of the activities in that window (`engine.report.window`), of every batch with any unless
  ``--batch`` names some.
- ``report submit [--url URL] [--config FILE] [--json]``: deliver the outbox (every reportable
  activity, queued when it was recorded) to the regulator's API, exactly once;
- ``report pending [--json]``: what is still to deliver, with its deadline (24 hours).
- ``report epcis --batch B --out FILE``: the EPCIS 2.0 JSON-LD document of the batch for
  trading partners and L4 systems (commissioning, packing, rework, samples, destruction,
  shipments, returns, recalls, as they happened), codes as GS1 Digital Link URIs; codes keyed
  by NIE need ``--nie-template`` (a site URI template such as
  ``https://id.example.co.id/90/{nie}/21/{serial}``). Each setting not given is the site's,
  from the environment (`engine.outbox.SITE_ENV`: ``JEJAK_EPCIS_OFFSET``, default +07:00,
  ``JEJAK_NIE_URI_TEMPLATE`` ...), as the outbox keys are made: so the document's event IDs
  are the keys the outbox delivers.

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
from jejak.engine.errors import InvalidFormat

if TYPE_CHECKING:
    from jejak.cli._output import Commands
    from jejak.regulator.client import SubmitReport

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
        default=None,
        action="append",
        help="the batch to report (again for more batches in one report; with --since: "
        "every batch with activity in the window by default)",
    )
    usage.add_argument("--since", default=None, metavar="TIME",
                       help="report only the codes of the activities from TIME (ISO 8601, "
                       "e.g. 2026-12-01T00:00:00+07:00) ...")  # fmt: skip
    usage.add_argument("--until", default=None, metavar="TIME",
                       help="... to before TIME (default: now)")  # fmt: skip
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
    _register_epcis(actions)
    _register_outbox(actions)


def _register_epcis(actions: Commands) -> None:
    epcis = actions.add_parser(
        "epcis",
        help="write a batch's EPCIS 2.0 document (JSON-LD) for trading partners",
        description="Every event about the batch's codes, as it happened: ObjectEvent ADD / "
        "commissioning, AggregationEvent ADD / packing for each case and pallet, rework, "
        "samples, destruction, shipments, returns and recalls; eventID the CBV 2.0 event hash.",
    )
    epcis.add_argument("--batch", required=True, action="append",
                       help="the batch (again for more batches in one document)")  # fmt: skip
    epcis.add_argument("--out", required=True, metavar="FILE", help="output file, '-' for stdout")
    epcis.add_argument("--nie-template", default=None, metavar="URI",
                       help="the site's URI template for NIE-keyed codes, e.g. "
                       "https://id.example.co.id/90/{nie}/21/{serial}")  # fmt: skip
    epcis.add_argument("--offset", default=None, metavar="+HH:MM",
                       help="eventTimeZoneOffset ($JEJAK_EPCIS_OFFSET, or +07:00)")  # fmt: skip
    epcis.add_argument("--read-point", default=None, metavar="GLN",
                       help="the read point: a GS1 Digital Link URI or SGLN URN")  # fmt: skip
    epcis.add_argument("--biz-location", default=None, metavar="GLN",
                       help="the business location: Digital Link URI or SGLN URN")  # fmt: skip
    epcis.add_argument("--partner-template", default=None, metavar="URI",
                       help="URI template for partner IDs in shipments, e.g. "
                       "https://id.example.co.id/partner/{partner}")  # fmt: skip
    epcis.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_store_arguments(epcis)
    epcis.set_defaults(handler=_epcis)


def _epcis(args: argparse.Namespace) -> int:
    from jejak.cli._files import written
    from jejak.engine.outbox import site_epcis
    from jejak.engine.report.epcis import write_epcis

    settings = site_epcis(nie_template=args.nie_template, read_point=args.read_point,
                          biz_location=args.biz_location, offset=args.offset,
                          partner_template=args.partner_template)  # fmt: skip
    with open_store(args) as store, store.view() as view:
        records = [view.batch(b) for b in args.batch]
        with written(args.out, what="EPCIS document") as out:
            counts = write_epcis(view, records, out, settings)
    where = "stdout" if args.out == "-" else args.out
    if args.json:
        print_json({"batches": args.batch, "out": where, **counts.as_json()})
    else:
        print(f"Wrote {where}: EPCIS 2.0 document of {', '.join(args.batch)}: "
              f"{counts.events:,} events ({counts.object_events:,} object, "
              f"{counts.aggregation_events:,} aggregation), {counts.epcs:,} EPCs",
              file=sys.stderr if args.out == "-" else sys.stdout)  # fmt: skip
    return 0


def _usage(args: argparse.Namespace) -> int:
    from jejak.cli._files import written
    from jejak.engine.report.usage import UsageReport, UsageSettings
    from jejak.engine.report.window import Window

    settings = UsageSettings.parse(partner_id=partner(args.partner), form=args.code_form,
                                   header=args.header)  # fmt: skip
    window = None
    if args.since is not None or args.until is not None:
        window = Window.parse(since=args.since, until=args.until)
    with open_store(args) as store, store.view() as view:
        if not args.batch and window is None:
            raise InvalidFormat("Nothing to report: no --batch and no --since. Hint: name a "
                                "batch (--batch B), or a window (--since TIME [--until "
                                "TIME]).")  # fmt: skip
        records = [view.batch(b) for b in args.batch] if args.batch else None
        report = UsageReport(view, records, settings, window=window)
        with written(args.out, what="report file") as out:
            counts = report.write_csv(out) if args.format == "csv" else report.write_json(out)
    batches = [record.batch for record in report.records]
    where = "stdout" if args.out == "-" else args.out
    if args.json:
        facts = {"batches": batches, "format": args.format, "out": where, **counts.as_json()}
        if window is not None:
            facts.update(since=window.since.isoformat(), until=window.until.isoformat())
        print_json(facts)
    else:
        stream = sys.stderr if args.out == "-" else sys.stdout
        print(
            f"Wrote {where} ({args.format}): {counts.rows:,} codes of "
            f"{', '.join(batches) or 'no batch'}: {counts.active:,} active, "
            f"{counts.retained_sample:,} retained samples, {counts.reject:,} rejects",
            file=stream,
        )
    return 0


def partner(given: str | None) -> str | None:
    """The NIE holder's partner ID: `given` (``--partner``), else ``$JEJAK_PARTNER_ID``."""
    return given if given is not None else os.environ.get(PARTNER_ENV)


# The outbox: delivery to the regulator's API ---------------------------------------------------


def _register_outbox(actions: Commands) -> None:
    submit = actions.add_parser(
        "submit",
        help="deliver the queued reports to the regulator's API, exactly once",
        description="Send every queued record, oldest first, with its idempotency key; retry "
        "failures with exponential backoff and jitter; mark a record sent only when the "
        "server confirms it. The API's base URL, the partner ID and the token come from --url, "
        "$JEJAK_REGULATOR_URL, $JEJAK_REGULATOR_TOKEN, $JEJAK_PARTNER_ID, or the [regulator] "
        "table (url, partner_id, token_file, timeout) of --config. Exit 0 when the queue is "
        "empty, 1 when records stay queued.",
    )
    submit.add_argument("--url", default=None, help="the API's base URL (https; http to loopback)")
    submit.add_argument("--config", default=None, metavar="FILE",
                        help="the site's TOML file with a [regulator] table")  # fmt: skip
    submit.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="per request (default 10)")  # fmt: skip
    submit.add_argument(
        "--attempts",
        type=int,
        default=5,
        metavar="N",
        help="tries of one record in this run before giving up (default 5)",
    )
    submit.add_argument("--limit", type=int, default=None, metavar="N",
                        help="deliver at most N records")  # fmt: skip
    submit.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_store_arguments(submit)
    submit.set_defaults(handler=_submit)
    pending = actions.add_parser(
        "pending",
        help="list the reports not yet confirmed by the regulator: due and overdue",
        description="Every queued record, oldest first: its topic, key, deadline (24 hours "
        "after the activity), whether it is overdue, its attempts and the last answer.",
    )
    pending.add_argument("--limit", type=int, default=None, metavar="N", help="list at most N")
    pending.add_argument("--json", action="store_true", help="a JSON list of objects")
    add_store_arguments(pending)
    pending.set_defaults(handler=_pending)


def _submit(args: argparse.Namespace) -> int:
    from pathlib import Path

    from jejak.cli._signals import stop_on_signals
    from jejak.cli._store import actor
    from jejak.engine.errors import DeliveryFailed, InvalidQuantity
    from jejak.regulator.client import RetryPolicy, Submitter
    from jejak.regulator.config import RegulatorConfig

    if args.limit is not None and args.limit < 1:
        raise InvalidQuantity(f"Invalid --limit {args.limit}: expected 1 or more. Hint: leave "
                              "it out to deliver everything queued.")  # fmt: skip
    config = RegulatorConfig.load(
        url=args.url, timeout=args.timeout, config_file=Path(args.config) if args.config else None
    )
    policy = RetryPolicy.parse(attempts=args.attempts)
    with (
        open_store(args) as store,
        stop_on_signals() as stop,
        Submitter(store, config, policy=policy, actor=actor(args), stop=stop) as submitter,
    ):
        report = submitter.run(limit=args.limit)  # fmt: skip
    if args.json:
        print_json(report.as_json())
    else:
        print(f"Sent {report.sent:,} records ({report.accepted:,} accepted, "
              f"{report.duplicates:,} already received) in {report.attempts:,} attempts; "
              f"{report.pending:,} still queued")  # fmt: skip
    if report.interrupted:
        print("jejak: interrupted", file=sys.stderr)
        return 130
    problem = _delivery_problem(report, config.url)
    if problem is not None:
        raise DeliveryFailed(problem, outcome=report.stopped)
    return 0


def _delivery_problem(report: SubmitReport, url: str) -> str | None:
    from jejak.engine.store.view import AttemptOutcome

    left = f"{report.pending:,} records stay queued (`jejak report pending` lists them)"
    if report.stopped is AttemptOutcome.UNAUTHORIZED:
        return (f"The regulator's API at {url} refused the token or the partner ID; expected "
                f"the site's credentials. Hint: check $JEJAK_REGULATOR_TOKEN and "
                f"$JEJAK_PARTNER_ID; {left}.")  # fmt: skip
    if report.stopped is not None:
        return (
            f"Delivery to {url} failed: {report.stopped.value.replace('_', ' ')} until the "
            f"retries ran out; expected the API to confirm each record. Hint: nothing is "
            f"lost: {left}; run `jejak report submit` again when the API is back."
        )
    if report.refused:
        shown = ", ".join(str(seq) for seq in report.refused[:10])
        return (f"The regulator's API refused {len(report.refused):,} records (outbox "
                f"{shown}); expected payloads it accepts. Hint: `jejak report pending --json` "
                f"shows each answer; {left}.")  # fmt: skip
    return None


def _pending(args: argparse.Namespace) -> int:
    from jejak.engine.errors import InvalidQuantity
    from jejak.engine.outbox import pending

    if args.limit is not None and args.limit < 1:
        raise InvalidQuantity(f"Invalid --limit {args.limit}: expected 1 or more. Hint: leave "
                              "it out to list everything queued.")  # fmt: skip
    with open_store(args) as store, store.view() as view:
        found = pending(view, limit=args.limit)
        total = view.queued_count()
    if args.json:
        print_json([item.as_json() for item in found])
        return 0
    for item in found:
        last = item.last
        answer = "never tried" if last is None else (
            f"{item.attempts} attempts, last {last.outcome.value}"
            + (f" ({last.detail})" if last.detail else ""))  # fmt: skip
        flag = "OVERDUE" if item.overdue else "due"
        print(f"{item.record.seq:>8}  {item.record.topic:<11}  {flag} {item.record.due}  "
              f"{answer}  {item.record.key}")  # fmt: skip
    overdue = sum(item.overdue for item in found)
    print(f"{total:,} records queued, {overdue:,} overdue" + (
        f" (first {len(found):,} listed)" if len(found) < total else ""))  # fmt: skip
    return 0

"""`jejak demo`: a walk through what Jejak does today, on embedded defaults.

It grows with the engine into the full simulated line; today it classifies a product's NIE,
plans its batch's code request, opens the batch in a real LMDB store (unique, unguessable serials
for every level), shows the codes a printer would receive, looks up a scanned code, marks what a
line run would mark, closes the batch with its reconciliation and verifies the audit chain.
The store is a temporary folder unless `--store DIR` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from jejak.cli._demo_print import print_cases, print_packs
from jejak.cli._output import print_warnings
from jejak.engine.batch import CodeRequest
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.gs1 import GS, GS_ESCAPE
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.listing import iter_code_lines
from jejak.engine.lookup import lookup
from jejak.engine.product import Product
from jejak.engine.serials import SerialAlphabet, SerialFormat
from jejak.engine.store import Store
from jejak.engine.symbology import Symbology, parse_read
from jejak.engine.working_days import WorkingDays

if TYPE_CHECKING:
    from jejak.cli._output import Commands

_PRODUCT = {
    "nie": "DKL2012345678A1",
    "name": "Amoksisilin 500 mg kapsul",
    "packaging": "Dus, 10 strip @ 10 kapsul",
    "dosage_form": "Kapsul",
    "gtin": "8991234567891",
}
_ACTOR = "demo"


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "demo", help="run the demonstration on embedded defaults", description=__doc__
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="pretend today is this date (default: today)"
    )
    parser.add_argument(
        "--store", metavar="DIR", help="keep the demo's store here (default: a temporary folder)"
    )
    parser.set_defaults(handler=_demo)


def _section(title: str) -> None:
    print(f"\n== {title} ==")


def _demo(args: argparse.Namespace) -> int:
    today = (Gs1Date.parse_iso(args.today, what="date (--today)").as_date() if args.today
             else dt.date.today())  # fmt: skip
    product = Product.parse(**_PRODUCT)
    _section("Product master")
    print(f"{product.name}  NIE {product.nie.value}  GTIN {product.gtin}")
    print(
        f"category {product.nie.category.value}, class {product.nie.drug_class}, "
        f"origin {product.nie.origin.value} -> {product.method.value} required (Art. 3)"
    )

    _section("Code request (Art. 7-10)")
    calendar = WorkingDays()
    start = calendar.add(today, 12)
    request = CodeRequest.parse(
        nie=product.nie,
        batch="B" + today.strftime("%y%m") + "01",
        expiry=(today.replace(day=1) + dt.timedelta(days=2 * 366)).replace(day=1).isoformat(),
        primary_count=24_000,
        max_per_secondary=120,
        max_per_tertiary=40,
        gtin=product.gtin,
        production_start=start,
        requested_on=today,
    )
    schedule = request.schedule(calendar)
    print(
        f"batch {request.batch}: {request.primary_count:,} primary, "
        f"{request.secondary_count:,} secondary, {request.tertiary_count:,} tertiary codes"
    )
    print(
        f"production starts {start}; request by {schedule.latest_request}; "
        f"BPOM issues by {schedule.issuance_due}"
    )
    print_warnings(schedule.warnings)

    if args.store:
        return _run_store(Path(args.store), product, request)
    with tempfile.TemporaryDirectory(prefix="jejak-demo-") as folder:
        return _run_store(Path(folder) / "store", product, request)


def _run_store(path: Path, product: Product, request: CodeRequest) -> int:
    with Store(path) as store:
        _section(f"Batch open: serials allocated in the store ({path})")
        store.add_product(product, actor=_ACTOR)
        fmt = SerialFormat.parse(alphabet=SerialAlphabet.UPPER_NO_LOOKALIKES.value, length=12)
        started = time.perf_counter()
        record = store.open_batch(request, serial_format=fmt, overage_pct=2, actor=_ACTOR)
        took = time.perf_counter() - started
        for allocation in record.levels:
            print(f"{allocation.level.name.lower():9} {allocation.count:7,} codes")
        print(f"allocated in {took * 1000:.0f} ms, key {record.key_id}")

        _section("Primary codes, as the printers receive them")
        first = next(iter_code_lines(store, request.batch, Level.PRIMARY, form=CodeForm.RAW))
        raws = [line.decode() for line in islice(iter(first.splitlines()), 3)]
        for raw in raws:
            print(f"{parse_read(raw).code.hri}\n    raw {raw.replace(GS, GS_ESCAPE)}")

        _section("Reads, as a camera reports them")
        for data in (
            Symbology.GS1_DATAMATRIX.value + raws[0],
            Symbology.DATAMATRIX.value + raws[0],
        ):
            read = parse_read(data)
            verdict = "OK" if not read.warnings else "DEFECT: " + read.warnings[0]
            print(f"{data[:3]} -> {read.code.hri}  {verdict}")

        _section("Print run: the ZeroMQ stream to simulated devices over TCP")
        printed = print_packs(store, request.batch, 1000, actor=_ACTOR)
        print_cases(store, request.batch, 9, actor=_ACTOR)

        _section(f"Verification: {printed.size - 10:,} packs read back, 10 rejected")
        store.transition(request.batch, Level.PRIMARY, printed[:-10], CodeState.COMMISSIONED,
                         actor=_ACTOR)  # fmt: skip
        store.transition(request.batch, Level.PRIMARY, printed[-10:], CodeState.LABEL_SCRAPPED,
                         actor=_ACTOR)  # fmt: skip
        info = lookup(store, Symbology.GS1_DATAMATRIX.value + raws[-1])
        print(
            f"scanned {info.code.hri}: batch {info.batch.batch}, {info.level.name.lower()} "
            f"#{info.index}, {info.state.label}"
        )

        _section("Batch close: reconciliation")
        report = store.close_batch(request.batch, actor=_ACTOR)
        for level, numbers in report["levels"].items():
            after = ", ".join(f"{name} {count:,}" for name, count in numbers["after"].items())
            print(f"{level:9} {after}")

        _section("The scanned code's history, from the event index")
        for event in lookup(store, Symbology.GS1_DATAMATRIX.value + raws[-1]).history:
            detail = event.data.get("to") or event.data.get("printer") or ""
            print(f"{event.time}  {event.what.value:17} {detail}")

        _section("Audit trail")
        audit = store.verify_audit()
        print(f"{audit.checked} events, hash chain {'intact' if audit.ok else 'BROKEN'}")
        return 0 if audit.ok else 1

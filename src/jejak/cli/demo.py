"""`jejak demo`: a walk through what Jejak does today, on embedded defaults.

It grows with the engine into the full simulated line; today it classifies a product's NIE,
plans its batch's code request, builds codes and reads them back as a scanner would.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from jejak.cli._output import print_warnings
from jejak.engine.batch import CodeRequest
from jejak.engine.gs1 import AI, GS, GS_ESCAPE, Element, ElementString
from jejak.engine.product import Product
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
_SAMPLE_SERIALS = ("7KQ2M9XW4T", "H3V8ZC5NRD", "P6JY2LB7QF")


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "demo", help="run the demonstration on embedded defaults", description=__doc__
    )
    parser.add_argument(
        "--today", metavar="YYYY-MM-DD", help="pretend today is this date (default: today)"
    )
    parser.set_defaults(handler=_demo)


def _section(title: str) -> None:
    print(f"\n== {title} ==")


def _demo(args: argparse.Namespace) -> int:
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
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

    _section("Primary codes (GS1 element strings)")
    key = Element.parse(AI.GTIN, _PRODUCT["gtin"])
    for serial in _SAMPLE_SERIALS:
        code = ElementString.authentication(
            key=key,
            batch=request.batch,
            expiry=request.expiry,
            serial=serial,
        )
        print(f"{code.hri}\n    raw {code.raw.replace(GS, GS_ESCAPE)}")

    _section("Reads, as a camera reports them")
    last = code.raw
    for data in (Symbology.GS1_DATAMATRIX.value + last, Symbology.DATAMATRIX.value + last):
        read = parse_read(data)
        verdict = "OK" if not read.warnings else "DEFECT: " + read.warnings[0]
        print(f"{data[:3]} -> {read.code.hri}  {verdict}")
    return 0

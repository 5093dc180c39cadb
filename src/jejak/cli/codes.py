"""`jejak codes build` and `jejak codes parse`: GS1 element strings in the BPOM profile."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING

from jejak.cli import code_store
from jejak.cli._output import print_json, print_warnings
from jejak.cli._typed import untyped
from jejak.engine.errors import IncompleteCode, InvalidCombination
from jejak.engine.gs1 import AI, GS, GS_ESCAPE, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.nie import Nie
from jejak.engine.symbology import Symbology, parse_read

if TYPE_CHECKING:
    from jejak.cli._output import Commands


def register(commands: Commands) -> None:
    group = commands.add_parser("codes", help="build and parse 2D-barcode element strings")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    build = actions.add_parser(
        "build",
        help="build a code from its parts",
        description="Build an authentication code ((01)GTIN or (90)NIE, (10), (17), (21)) or, "
        "with --nie-expiry, an identification code ((90)NIE (91)).",
    )
    key = build.add_mutually_exclusive_group(required=True)
    key.add_argument("--gtin", help="GTIN-8/12/13/14 (AI 01)")
    key.add_argument("--nie", help="BPOM registration number, NIE (AI 90)")
    build.add_argument("--batch", help="batch / lot (AI 10), 1-20 GS1 characters")
    build.add_argument("--expiry", metavar="YYYY-MM-DD", help="expiry date (AI 17)")
    build.add_argument("--serial", help="serial number (AI 21), 1-20 GS1 characters")
    build.add_argument(
        "--nie-expiry", metavar="YYYY-MM-DD", help="NIE validity (AI 91): identification code"
    )
    build.add_argument("--json", action="store_true", help="print JSON")
    build.set_defaults(handler=_build)

    parse = actions.add_parser(
        "parse",
        help="parse a scanned or typed code",
        description="Parse DATA: raw (with a GS character, <GS> or \\x1d between fields), "
        "with or without a symbology identifier (]d2 ]Q3 ]C1 ]d1 ]Q1), or HRI ((01)...).",
    )
    parse.add_argument("data", metavar="DATA")
    parse.add_argument("--json", action="store_true", help="print JSON")
    parse.set_defaults(handler=_parse)
    code_store.register_actions(actions)


def _build(args: argparse.Namespace) -> int:
    if args.nie_expiry is not None:
        extra = [f"--{n}" for n in ("gtin", "batch", "expiry", "serial") if getattr(args, n)]
        if args.nie is None or extra:
            raise InvalidCombination(
                f"Invalid options {' '.join(extra) or '--gtin'} with --nie-expiry: an "
                "identification code carries only (90) NIE and (91) NIE validity. Hint: "
                "jejak codes build --nie NIE --nie-expiry YYYY-MM-DD."
            )
        code = ElementString.identification(
            nie=Nie.parse(args.nie).value,
            validity=Gs1Date.parse_iso(args.nie_expiry, what="NIE validity (--nie-expiry)"),
        )
        _emit(code, None, (), as_json=args.json)
        return 0
    missing = [f"--{n}" for n in ("batch", "expiry", "serial") if getattr(args, n) is None]
    if missing:
        raise IncompleteCode(
            f"Missing {', '.join(missing)}: an authentication code needs --batch, --expiry and "
            "--serial. Hint: for an identification code pass --nie and --nie-expiry instead."
        )
    key = (
        Element.parse(AI.GTIN, args.gtin)
        if args.gtin is not None
        else Element.parse(AI.NIE, Nie.parse(args.nie).value)
    )
    expiry = Gs1Date.parse_iso(args.expiry, what="expiry (--expiry)")
    code = ElementString.authentication(
        key=key, batch=args.batch, expiry=expiry, serial=args.serial
    )
    warnings = []
    if expiry.as_date() < dt.date.today():
        warnings.append(f"Expiry {expiry.isoformat()} is in the past.")
    _emit(code, None, tuple(warnings), as_json=args.json)
    return 0


def _parse(args: argparse.Namespace) -> int:
    read = parse_read(untyped(args.data))
    _emit(read.code, read.symbology, read.warnings, as_json=args.json)
    return 0


def _emit(
    code: ElementString, symbology: Symbology | None, warnings: tuple[str, ...], *, as_json: bool
) -> None:
    if as_json:
        print_json(
            {
                "hri": code.hri,
                "raw": code.raw,
                "symbology": symbology.value if symbology else None,
                "ai": {element.ai.value: element.value for element in code.elements},
                "warnings": list(warnings),
                "kind": code.kind.value,
            }
        )
        return
    print(f"HRI        {code.hri}")
    print(f"raw        {code.raw.replace(GS, GS_ESCAPE)}")
    if symbology is not None:
        print(f"symbology  {symbology.value}")
    print(f"kind       {code.kind.value}")
    for element in code.elements:
        print(f"  ({element.ai.value}) {element.ai.rule.title:<18} {element.value}")
    print_warnings(warnings)

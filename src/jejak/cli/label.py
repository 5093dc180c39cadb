"""`jejak label render`: lay out a pack label and write it as PNG, SVG or ZPL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jejak.cli._output import print_warnings
from jejak.cli._typed import untyped
from jejak.engine.errors import InvalidCombination, InvalidFormat
from jejak.printers.label import LabelCode, LabelFormat, LabelSpec, layout, render

if TYPE_CHECKING:
    from jejak.cli._output import Commands

_SUFFIXES = {f".{fmt.value}": fmt for fmt in LabelFormat}


def register(commands: Commands) -> None:
    group = commands.add_parser("label", help="lay out and render pack labels")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    render_ = actions.add_parser(
        "render",
        help="render one pack label as PNG, SVG or ZPL",
        description="Lay out the label of one code: the symbol sized for the printer (at least "
        "6 mm, module 0.254-0.495 mm where possible), black on white, with its text lines "
        "(GTIN or NIE, BATCH, EXP, SN; or NIE and VALID). With --two-codes the code BPOM "
        "issued is a QR captioned 'BPOM RI' (Art. 23).",
    )
    render_.add_argument(
        "--code",
        required=True,
        metavar="DATA",
        help="the code as `jejak codes parse` takes it (raw with GS or <GS>, HRI, with or "
        "without ]d2 ]Q3 ...); with --symbology qr also a plain BPOM-issued text",
    )
    render_.add_argument(
        "--symbology",
        choices=("datamatrix", "qr"),
        help="GS1 DataMatrix, or QR (GS1 QR; plain QR for a text that is not GS1). Default: "
        "datamatrix, or qr for a ]Q read and for a BPOM-issued code alone (--two-codes "
        "without --bpom-code)",
    )
    render_.add_argument("--dpi", type=int, default=300, help="printer resolution (default 300)")
    render_.add_argument(
        "--two-codes",
        action="store_true",
        help="the pack carries two codes (Art. 23): with --bpom-code the label draws both; "
        "without, --code is the BPOM-issued one. The BPOM-issued code is captioned 'BPOM RI'",
    )
    render_.add_argument(
        "--bpom-code",
        metavar="DATA",
        help="the code BPOM issued for this pack (needs --two-codes), drawn as a QR to the right",
    )
    render_.add_argument(
        "--format",
        choices=[fmt.value for fmt in LabelFormat],
        help="output format (default: from the --out suffix, else png)",
    )
    render_.add_argument("--out", required=True, metavar="FILE", help="output file, '-' for stdout")
    render_.set_defaults(handler=_render)


def _render(args: argparse.Namespace) -> int:
    if args.bpom_code is not None and not args.two_codes:
        raise InvalidCombination(
            f"Invalid option --bpom-code {args.bpom_code!r} without --two-codes: expected "
            "--two-codes for a label with two codes. Hint: Art. 23 captions the BPOM-issued "
            "code 'BPOM RI' on a pack that carries two codes; add --two-codes."
        )
    data = untyped(args.code)
    symbology = args.symbology
    if symbology is None:
        alone_bpom = args.two_codes and args.bpom_code is None
        symbology = "qr" if data.startswith("]Q") or alone_bpom else "datamatrix"
    code = LabelCode.parse(data, plain=symbology == "qr")
    bpom = None if args.bpom_code is None else LabelCode.parse(untyped(args.bpom_code), plain=True)
    label = layout(
        code, LabelSpec(dpi=args.dpi, symbology=symbology, two_codes=args.two_codes),
        bpom_code=bpom,
    )  # fmt: skip
    suffix = Path(args.out).suffix.lower()
    fmt = LabelFormat(args.format) if args.format else _SUFFIXES.get(suffix, LabelFormat.PNG)
    warnings = list(label.notes)
    if suffix in _SUFFIXES and _SUFFIXES[suffix] is not fmt:
        warnings.append(f"Writing {fmt.value} to {args.out!r}, whose suffix says {suffix[1:]}.")
    content = render(label, fmt)
    if args.out == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        try:
            Path(args.out).write_bytes(content)
        except OSError as error:
            raise InvalidFormat(
                f"Invalid output file {args.out!r}: {error.strerror or error}; expected a "
                "writable path. Hint: create the folder first, or pass --out - for stdout."
            ) from error
    where = "stdout" if args.out == "-" else args.out
    print(
        f"Wrote {where} ({fmt.value}, {len(content)} bytes): {label.summary}",
        file=sys.stderr if args.out == "-" else sys.stdout,
    )
    print_warnings(warnings)
    return 0

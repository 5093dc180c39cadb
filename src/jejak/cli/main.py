"""`jejak` entry point: the parser of every command group, and error handling.

Exit codes: 0 success, 1 a refused operation (an error Jejak raises on purpose that is not about
input), 2 bad input (a `ValidationError` or an argument the parser refuses).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

from jejak.cli import audit, batch, codes, demo, label, nie, printer, product
from jejak.cli._output import Handler
from jejak.engine.errors import JejakError, ValidationError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jejak",
        description="Serialization engine for BPOM 2D barcodes (Regulation 33/2018).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('jejak')}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for group in (codes, nie, product, batch, audit, label, printer, demo):
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse reports bad arguments and --help this way
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    handler: Handler = args.handler
    try:
        return handler(args)
    except ValidationError as error:
        print(f"jejak: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except JejakError as error:
        print(f"jejak: error: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        # The reader of our stdout went away (`jejak codes list | head`): stop quietly, and keep
        # the interpreter from failing again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())

"""`jejak` entry point: the command table, lazy command groups, and every failure as one line.

A command's module is imported only when that command runs (or shows its help); each module
imports what its handlers need inside them. So `jejak --help` loads no command module at all and
`jejak nie` loads only its own: a command pays for numpy, LMDB, numba, ZeroMQ or the image
libraries only when it uses them.

Exit codes, one rule: 0 success; 2 bad input — a value, file or argument that is malformed
whatever the store holds (a `ValidationError`, or one the parser refuses); 1 a refused or
failed operation — well-formed, but refused by the store or the world (an unknown batch, NIE or
code, a duplicate, an illegal transition, a closed batch, a full disk, an unreachable device);
130 interrupted (Ctrl-C); 141 the reader of stdout went away. Every failure is one line on
stderr, ``jejak: error: <what>, <expected>. Hint: <what to do>``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from jejak import __version__

if TYPE_CHECKING:
    from jejak.cli._output import Handler

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer whose reader went away

# Every top-level command: the module that registers it (with `register(commands)`), and its
# line in `jejak --help` (the module's parser carries the same text: a test holds them equal).
COMMANDS: dict[str, tuple[str, str]] = {
    "codes": ("jejak.cli.codes", "build and parse 2D-barcode element strings"),
    "nie": ("jejak.cli.nie", "classify a BPOM registration number (NIE)"),
    "product": ("jejak.cli.product", "manage the product master"),
    "batch": ("jejak.cli.batch", "plan and manage batches"),
    "audit": ("jejak.cli.audit", "check the audit trail"),
    "keys": ("jejak.cli.audit", "manage serial keys"),
    "label": ("jejak.cli.label", "lay out and render pack labels"),
    "printer": ("jejak.cli.printer", "print-job stream, drivers and simulators"),
    "camera": ("jejak.cli.camera", "smart-camera simulators"),
    "line": ("jejak.cli.line", "run, watch and command a packaging line"),
    "agg": ("jejak.cli.agg", "aggregate packs into cases and pallets, and rework"),
    "report": ("jejak.cli.report", "usage reports for BPOM, EPCIS for partners"),
    "regulator": ("jejak.cli.regulator", "a test server that plays the regulator's API"),
    "ship": ("jejak.cli.ship", "ship codes to a trading partner (Released)"),
    "return": ("jejak.cli.ship", "take shipped codes back (Inactive)"),
    "recall": ("jejak.cli.ship", "recall a batch (Inactive) and list where it was shipped"),
    "demo": ("jejak.cli.demo", "run a simulated packaging line on embedded defaults"),
}


class Parser(argparse.ArgumentParser):
    """Refuses a bad command line in one line too (argparse prints the usage block first)."""

    def error(self, message: str) -> NoReturn:
        if len(message) > 300:  # argparse quotes the whole offending value
            message = f"{message[:200]}… ({len(message):,} characters)"
        self.exit(EXIT_BAD_INPUT, f"jejak: error: {self.prog}: {message}. Hint: see "
                                  f"`{self.prog} --help`.\n")  # fmt: skip


def _command_of(argv: Sequence[str]) -> str | None:
    """The command a command line names: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def make_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser, with the full parser of `command`'s module (all modules when None is
    given only for the help listing: the others are one-line entries)."""
    parser = Parser(
        prog="jejak",
        description="Serialization engine for BPOM 2D barcodes (Regulation 33/2018).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a traceback on errors")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    wanted = COMMANDS[command][0] if command in COMMANDS else None
    for name, (module, line) in COMMANDS.items():
        if module == wanted:
            importlib.import_module(module).register(commands)
            wanted = None  # a module registers all of its commands at once
        elif name not in commands.choices:
            commands.add_parser(name, help=line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = make_parser(_command_of(words))
    try:
        args = parser.parse_args(words)
    except SystemExit as exit_:  # argparse reports bad arguments and --help this way
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a one-line entry was chosen: the parser above knows the command
        parser.print_usage(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return handler(args)
    except BaseException as error:
        return _fail(error, debug=args.debug)


def _fail(error: BaseException, *, debug: bool) -> int:
    if isinstance(error, BrokenPipeError):
        # The reader of our stdout went away (`jejak codes list | head`): stop quietly, and keep
        # the interpreter from failing again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    if isinstance(error, KeyboardInterrupt):
        print("jejak: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    if isinstance(error, SystemExit):
        raise error
    from jejak.cli._failures import describe_failure

    message, code = describe_failure(error)
    if debug:
        import traceback

        traceback.print_exception(error)
    print(f"jejak: error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())

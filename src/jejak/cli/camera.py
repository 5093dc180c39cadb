"""`jejak camera sim`: one smart-camera simulator on loopback, in the foreground.

``jejak camera sim --kind cognex|keyence --port P --codes FILE [--no-read-rate R] [--seed N]``
listens on HOST:P (0: any free port) as a Cognex DataMan (DMCC) or a Keyence SR reader, and
prints one ready line on stdout: ``cognex camera simulator listening on 127.0.0.1:PORT (N
codes)``. Trigger n photographs code n of FILE: the code is printed as a GS1 DataMatrix (or
GS1 QR with ``--symbology qr``), the pixels are photographed (rotation, blur, noise, fading,
smear: `jejak.line_adapters.sim.scene.code_scene`, seeded with ``--seed``) and decoded by the
software reader, and the camera answers as that reader does: its command response where the
protocol has one (``||[0]``, ``OK,LON``), then ``]d2`` + the raw bytes as decoded, or the
no-read string (``NoRead``, ``ERROR``) when the photograph did not read. After the last code
every trigger photographs a pack without a label: a no-read.

FILE holds one code a line in any form `jejak codes parse` accepts: HRI ``(01)…(21)…``, raw
with GS (or ``<GS>``, ``\\x1d`` typed), with or without a symbology identifier (which is not
kept: ``--symbology`` says how the codes are printed). Blank lines are skipped. ``--grade``
grades every read symbol (ISO/IEC 15415, from the photograph) and appends the grade after
``--grade-separator``; ``--no-responses`` is a Cognex at ``COM.DMCC-RESPONSE 0`` or a Keyence
in SR-600 compatible mode. The simulator runs until SIGTERM or SIGINT, then prints
``… stopped: T triggers, R no-reads`` and exits 0; a bad file, code, port or host is one
``jejak: error:`` line and exit 2.
"""

from __future__ import annotations

import argparse
import errno
import sys
from typing import TYPE_CHECKING

from jejak.cli._files import read_text
from jejak.cli._signals import stop_on_signals
from jejak.engine.errors import InvalidFormat, InvalidQuantity, ValidationError

if TYPE_CHECKING:
    from jejak.cli._output import Commands
    from jejak.line_adapters.sim.camera import CameraSimulator

_KINDS = ("cognex", "keyence")  # CameraKind's values; a test holds them equal
_SYMBOLOGIES = ("datamatrix", "qr")


def register(commands: Commands) -> None:
    group = commands.add_parser("camera", help="smart-camera simulators")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    sim = actions.add_parser(
        "sim",
        help="run a smart-camera simulator (a real TCP server) until Ctrl-C",
        description="A Cognex DataMan (DMCC) or Keyence SR reader on loopback: trigger n "
        "photographs code n of FILE and answers in the reader's wire format, until SIGTERM or "
        "Ctrl-C. After the last code, every trigger is a no-read.",
    )
    sim.add_argument("--kind", required=True, choices=_KINDS)
    sim.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    sim.add_argument("--codes", required=True, metavar="FILE",
                     help="one code a line, in any form `jejak codes parse` accepts")  # fmt: skip
    sim.add_argument("--no-read-rate", type=float, default=0.0, metavar="R",
                     help="fraction of triggers turned into no-reads (seeded)")  # fmt: skip
    sim.add_argument("--seed", type=int, metavar="N", help="seed of photographs and no-reads")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--symbology", choices=_SYMBOLOGIES, default="datamatrix",
                     help="how the codes are printed: GS1 DataMatrix or GS1 QR")  # fmt: skip
    sim.add_argument("--grade", action="store_true",
                     help="append the ISO/IEC 15415 grade of every read")  # fmt: skip
    sim.add_argument("--grade-separator", default=",", metavar="SEP")
    sim.add_argument("--no-read-string", metavar="TEXT",
                     help="default: NoRead for Cognex, ERROR for Keyence")  # fmt: skip
    sim.add_argument("--no-responses", action="store_true",
                     help="no command responses (DMCC-RESPONSE 0, SR-600 mode)")  # fmt: skip
    sim.set_defaults(handler=_sim)


def read_codes(name: str) -> list[bytes]:
    """The raw element strings of the code file `name`, one a line, in file order."""
    from jejak.cli._typed import untyped
    from jejak.engine.symbology import parse_read

    codes: list[bytes] = []
    # Only line ends split lines: str.splitlines() would also split at the GS of raw codes,
    # and str.strip() would take a GS for white space.
    for number, line in enumerate(read_text(name).split("\n"), start=1):
        text = line.removesuffix("\r").strip(" \t")
        if not text:
            continue
        text = untyped(text)
        try:
            code = parse_read(text).code
        except ValidationError as error:
            raise type(error)(f"Invalid code file {name!r}, line {number}: {error}") from None
        codes.append(code.raw.encode("ascii"))
    if not codes:
        raise InvalidQuantity(
            f"Invalid code file {name!r}: no code in it, expected one code a line. Hint: e.g. "
            "`jejak codes list --batch B1 > codes.txt`."
        )
    return codes


def _port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise InvalidQuantity(
            f"Invalid port {port}: expected 0 to 65535 (0: any free port). Hint: readers use 23 "
            "(Cognex) and 9004 (Keyence); on a test machine pick one above 1023, or 0."
        )
    return port


def _seed(seed: int | None) -> int | None:
    if seed is not None and seed < 0:
        raise InvalidQuantity(
            f"Invalid seed {seed}: expected an integer >= 0. Hint: the same seed gives the same "
            "photographs and no-reads."
        )
    return seed


def _listen(simulator: CameraSimulator, host: str, port: int) -> None:
    """Start the simulator; a port or host it cannot listen on is bad input."""
    try:
        simulator.start()
    except OSError as error:
        simulator.stop()
        if error.errno == errno.EADDRINUSE:
            raise InvalidQuantity(
                f"Invalid port {port}: it is in use on {host}, expected a free port. Hint: "
                "stop what listens there, pick another port, or 0 for any free port."
            ) from None
        if error.errno in (errno.EACCES, errno.EPERM):
            raise InvalidQuantity(
                f"Invalid port {port}: permission denied on {host}, expected a port this user "
                "may listen on. Hint: ports below 1024 need privileges; pick one above 1023."
            ) from None
        raise InvalidFormat(
            f"Invalid host {host!r}: cannot listen there ({error.strerror or error}), expected "
            "an address of this machine. Hint: 127.0.0.1 for a simulator on this machine."
        ) from None


def _sim(args: argparse.Namespace) -> int:
    from jejak.line_adapters.camera.result import CameraKind
    from jejak.line_adapters.sim.camera import CameraSimulator
    from jejak.line_adapters.sim.scene import code_scene
    from jejak.printers.symbols import SymbolKind

    kind = CameraKind.parse(args.kind)
    port, seed = _port(args.port), _seed(args.seed)
    codes = read_codes(args.codes)
    symbol = SymbolKind.GS1_DATAMATRIX if args.symbology == "datamatrix" else SymbolKind.GS1_QR
    responses = not args.no_responses
    simulator = CameraSimulator(
        kind,
        code_scene(codes, symbol, seed=seed, grade=args.grade),
        host=args.host,
        port=port,
        no_read_string=args.no_read_string,
        extended_response=responses,
        command_response=responses,
        grade_output=args.grade,
        grade_separator=args.grade_separator,
        no_read_rate=args.no_read_rate,
        seed=seed,
    )
    with stop_on_signals() as stop:
        _listen(simulator, args.host, port)
        try:
            print(f"{kind.value} camera simulator listening on {args.host}:{simulator.port} "
                  f"({len(codes)} codes)", flush=True)  # fmt: skip
            while not stop.wait(0.1):
                pass
        finally:
            simulator.stop()
    print(f"{kind.value} camera simulator stopped: {simulator.triggers} triggers, "
          f"{simulator.no_reads} no-reads", flush=True)  # fmt: skip
    if simulator.scene_errors:
        error = simulator.scene_errors[0]
        print(f"jejak: warning: {len(simulator.scene_errors)} photographs failed, the first: "
              f"{type(error).__name__}: {error}", file=sys.stderr)  # fmt: skip
    return 0

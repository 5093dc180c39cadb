"""`jejak regulator serve`: a test server that plays the regulator's API on loopback, so that a
site rehearses its reporting (`jejak report submit --url http://127.0.0.1:P/`) before going live.

It expects the token of ``$JEJAK_REGULATOR_TOKEN`` (or ``--token-file``) and the partner ID of
``--partner`` or ``$JEJAK_PARTNER_ID``; it validates every payload, keeps what it accepted (in
``--record FILE`` too, read back when it starts again) and can be told to misbehave: at random
rates (``--fail-rate`` 503, ``--stall-rate`` slow past the client's timeout then accept,
``--hang-rate`` slow then no answer, ``--hold-rate`` accept then answer slowly,
``--drop-rate`` accept and close without an answer,
``--twice-rate`` answer twice; ``--seed``) or in a fixed order (``--script fail,drop,...``).
``GET /accepted`` and ``GET /stats`` (with the token) show what it took.

It prints a ready line with its URL on stdout, and stops on SIGTERM or SIGINT (Ctrl-C), exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from jejak.cli._signals import stop_on_signals
from jejak.engine.errors import InvalidFormat

if TYPE_CHECKING:
    from jejak.cli._output import Commands

_RATES = ("fail", "stall", "hang", "hold", "drop", "twice")


def register(commands: Commands) -> None:
    group = commands.add_parser("regulator", help="a test server that plays the regulator's API")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="play the regulator's API on loopback (real HTTP), with faults on request",
        description="Validate and keep what `jejak report submit` delivers; answer a repeated "
        "key as a duplicate. Faults at random rates or in a scripted order. Stops on SIGTERM.",
    )
    serve.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    serve.add_argument("--partner", default=None, metavar="ID",
                       help="the partner ID it expects (default: $JEJAK_PARTNER_ID)")  # fmt: skip
    serve.add_argument("--token-file", default=None, metavar="FILE",
                       help="file holding the token it expects (default: "
                       "$JEJAK_REGULATOR_TOKEN)")  # fmt: skip
    serve.add_argument(
        "--record",
        default=None,
        metavar="FILE",
        help="keep what it accepts in this JSON-lines file (read back at start)",
    )
    for fault in _RATES:
        serve.add_argument(f"--{fault}-rate", type=float, default=0.0, metavar="P",
                           help=f"probability of a {fault} fault on each delivery")  # fmt: skip
    serve.add_argument("--stall", type=float, default=5.0, metavar="SECONDS",
                       help="how long a stall or hang lasts (default 5)")  # fmt: skip
    serve.add_argument(
        "--script",
        default="",
        metavar="FAULTS",
        help="faults for the first deliveries, in order: e.g. fail,drop,none",
    )
    serve.add_argument("--seed", type=int, default=None, help="seed of the random faults")
    serve.add_argument("--json", action="store_true",
                       help="print the ready line as one line of JSON")  # fmt: skip
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from jejak.engine.shipments import PartnerId
    from jejak.regulator.config import PARTNER_ENV, TOKEN_ENV, RegulatorConfig
    from jejak.regulator.server import RegulatorServer, plan_of

    partner = PartnerId.parse(args.partner or os.environ.get(PARTNER_ENV)).value
    token = (Path(args.token_file).read_text().strip() if args.token_file
             else os.environ.get(TOKEN_ENV, ""))  # fmt: skip
    if not token:
        raise InvalidFormat(
            f"No token for the test server: expected ${TOKEN_ENV} or --token-file. Hint: "
            f"export {TOKEN_ENV}=... in the shells of the server and of `jejak report submit`."
        )
    RegulatorConfig.parse(
        url=f"http://{args.host}:{max(args.port, 1)}/", token=token, partner_id=partner
    )  # loopback only, a well-formed token
    script = [word.strip() for word in args.script.split(",") if word.strip()]
    rates = {fault: getattr(args, f"{fault}_rate") for fault in _RATES}
    plan = plan_of(script=script, rates={k: v for k, v in rates.items() if v}, stall=args.stall,
                   seed=args.seed)  # fmt: skip
    record = Path(args.record) if args.record else None
    server = RegulatorServer(token=token, partner_id=partner, host=args.host, port=args.port,
                             plan=plan, record=record)  # fmt: skip
    with stop_on_signals() as stop, server:
        if args.json:
            print(
                json.dumps({"url": server.url, "port": server.port, "partner_id": partner}),
                flush=True,
            )  # one line: a supervisor reads it
        else:
            print(f"regulator test server listening on {server.url}", flush=True)
        while not stop.wait(0.1):
            pass
    print(f"regulator test server stopped: accepted {len(server.accepted())}", flush=True)
    return 0

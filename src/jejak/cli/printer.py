"""`jejak printer ...`: the print-job stream's engine, printer drivers, simulators and keys.

`printer serve` streams a batch's codes to the drivers that connect (the engine side);
`printer drive` runs one driver between the engine and a device; `printer sim` runs a device
simulator on loopback; `printer keys` writes CurveZMQ key pairs.

The three long-running commands print a ready line once they are up (serve and drive on stderr,
sim on stdout), and end cleanly on SIGTERM or SIGINT (Ctrl-C) within a second or two, exit 0:
serve records the answers it has and settles every job still in flight as unknown, then prints
its report (`"ended": "stopped"`); drive sends the answers it holds, reports the jobs still in
the device as unknown, says BYE and prints its report (`"done": false`); sim stops and closes
its record file. A second signal is not caught: SIGINT then exits 130, SIGTERM kills.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jejak.cli._output import print_json, print_warnings
from jejak.cli._signals import stop_on_signals
from jejak.cli._store import actor, add_store_arguments, open_store
from jejak.engine.codes import Level
from jejak.engine.errors import InvalidCombination, InvalidFormat
from jejak.printers.device import DeviceKind, PrintDevice

if TYPE_CHECKING:
    from jejak.cli._output import Commands
    from jejak.printers.sim.coder import CoderSimulator
    from jejak.printers.sim.zpl import ZplSimulator
    from jejak.printers.stream.curve import CurveClient, CurveServer
    from jejak.printers.stream.endpoint import Endpoint, Role


def register(commands: Commands) -> None:
    group = commands.add_parser("printer", help="print-job stream, drivers and simulators")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)
    _register_serve(actions)
    _register_drive(actions)
    _register_sim(actions)
    keys = actions.add_parser("keys", help="write a CurveZMQ key pair (NAME.key, NAME.key_secret)")
    keys.add_argument("--out", required=True, metavar="DIR")
    keys.add_argument("--name", required=True)
    keys.set_defaults(handler=_keys)


def _register_serve(actions: Commands) -> None:
    serve = actions.add_parser(
        "serve",
        help="stream a batch's codes to printer drivers (the engine side)",
        description="Bind the ZeroMQ ROUTER, accept drivers, and send each the jobs its credit "
        "allows until every code of the levels in use is printed or settled, or SIGTERM/Ctrl-C "
        "(jobs in flight then settle as unknown). Prints the report. Endpoints beyond loopback "
        "need CurveZMQ for --bind and --insecure for --publish.",
    )
    serve.add_argument("--batch", required=True, metavar="BATCH")
    serve.add_argument("--bind", default="tcp://127.0.0.1:5555",
                       help="ROUTER endpoint (beyond loopback: needs --curve-secret)")  # fmt: skip
    serve.add_argument("--publish", metavar="ENDPOINT",
                       help="PUB endpoint for line events, in clear: loopback")  # fmt: skip
    serve.add_argument("--timeout", type=float, help="stop after this many seconds")
    serve.add_argument("--driver-timeout", type=float, default=5.0,
                       help="seconds of silence after which a driver loses its jobs")  # fmt: skip
    serve.add_argument("--curve-secret", metavar="FILE",
                       help="the engine's .key_secret file: turns CurveZMQ on")  # fmt: skip
    serve.add_argument("--curve-clients", metavar="DIR",
                       help="folder of drivers' .key files allowed to connect")  # fmt: skip
    serve.add_argument("--insecure", action="store_true",
                       help="allow endpoints beyond loopback without encryption")  # fmt: skip
    add_store_arguments(serve)
    serve.set_defaults(handler=_serve)


def _register_drive(actions: Commands) -> None:
    drive = actions.add_parser(
        "drive",
        help="run a printer driver between the engine and a device",
        description="Connect to the device and to the engine, and keep the device fed until the "
        "engine says the batch is done, or SIGTERM/Ctrl-C (jobs still in the device are then "
        "reported unknown, and BYE). Prints the report.",
    )
    drive.add_argument("--kind", required=True, choices=[k.value for k in DeviceKind])
    drive.add_argument("--device", required=True, metavar="HOST:PORT")
    drive.add_argument("--engine", required=True, metavar="ENDPOINT", help="e.g. tcp://host:5555")
    drive.add_argument("--printer-id", help="name the engine knows this printer by")
    drive.add_argument("--level", default="primary", choices=[lv.name.lower() for lv in Level])
    drive.add_argument("--dpi", type=int, default=300, help="ZPL printer resolution")
    drive.add_argument("--low", type=int, default=50, help="credit low watermark (records)")
    drive.add_argument("--high", type=int, default=150, help="credit high watermark (records)")
    drive.add_argument("--curve-secret", metavar="FILE", help="this driver's .key_secret file")
    drive.add_argument("--curve-server", metavar="FILE", help="the engine's public .key file")
    drive.add_argument("--json", action="store_true", help="print the report as JSON")
    drive.set_defaults(handler=_drive)


def _register_sim(actions: Commands) -> None:
    sim = actions.add_parser(
        "sim",
        help="run a device simulator (a real TCP server) until Ctrl-C",
        description="A ZPL printer or a coder on loopback, speaking the device protocol, until "
        "SIGTERM or Ctrl-C.",
    )
    sim.add_argument("--kind", required=True, choices=[k.value for k in DeviceKind])
    sim.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--rate", type=float, help="prints per second (default: as fast as it can)")
    sim.add_argument("--buffer", type=int, default=200, help="record buffer size (coder)")
    sim.add_argument("--record", metavar="FILE",
                     help="append every code printed to FILE, one a line, GS as <GS>")  # fmt: skip
    sim.set_defaults(handler=_sim)


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidFormat(
            f"Invalid device address {value!r}: expected HOST:PORT, e.g. 10.0.0.21:9100. "
            "Hint: Zebra printers listen on raw TCP port 9100."
        )
    return host, int(port)


def make_device(
    kind: DeviceKind, address: str, *, dpi: int = 300, stop: threading.Event | None = None
) -> PrintDevice:
    host, port = _address(address)
    if kind is DeviceKind.ZPL:
        from jejak.printers.label.zpl import ZplLabelFormat
        from jejak.printers.zpl.client import ZplPrinter

        # The label format the printer stores: the template for its resolution, what
        # `jejak label render --format zpl --dpi DPI` writes.
        form = ZplLabelFormat.for_printer(dpi)
        return ZplPrinter(host, port, label_format=form, stop=stop)
    from jejak.printers.coder.client import CoderClient

    return CoderClient(host, port, stop=stop)


def _curve_server(args: argparse.Namespace) -> CurveServer | None:
    from jejak.printers.stream.curve import CurveKeys, CurveServer, allowed_keys

    if not (args.curve_secret or args.curve_clients):
        return None
    if not (args.curve_secret and args.curve_clients):
        given, missing = (("--curve-secret", "--curve-clients") if args.curve_secret
                          else ("--curve-clients", "--curve-secret"))  # fmt: skip
        raise InvalidFormat(
            f"Invalid {given} without {missing}: expected the engine's .key_secret file and the "
            "folder of driver public keys together. Hint: `jejak printer keys` writes them."
        )
    return CurveServer(CurveKeys.load(args.curve_secret), allowed_keys(args.curve_clients))


def _insecure_warning(exposed: list[tuple[Endpoint, Role]]) -> str:
    what = " and ".join(f"{endpoint} ({role.value})" for endpoint, role in exposed)
    return (
        f"--insecure: serving {what} beyond loopback without encryption: any host that reaches "
        "it can connect. Hint: CurveZMQ (--curve-secret, --curve-clients) for print jobs, "
        "loopback for line events."
    )


def _serve(args: argparse.Namespace) -> int:
    from jejak.printers.stream import PrintEngine
    from jejak.printers.stream.endpoint import Endpoint, check_exposure

    bind = Endpoint.parse(args.bind)
    publish = None if args.publish is None else Endpoint.parse(args.publish)
    curve = _curve_server(args)
    exposed = check_exposure(bind, publish, curve=curve is not None, insecure=args.insecure)
    print_warnings([_insecure_warning(exposed)] if exposed else [])
    with (
        stop_on_signals() as stop,
        open_store(args) as store,
        PrintEngine(store, args.batch, bind=args.bind, publish=args.publish, curve=curve,
                    actor=actor(args), driver_timeout=args.driver_timeout,
                    insecure=args.insecure) as engine,
    ):  # fmt: skip
        where = f", events on {engine.pub_endpoint}" if engine.pub_endpoint else ""
        print(f"jejak: engine on {engine.endpoint}{where}", file=sys.stderr, flush=True)
        report = engine.serve(stop=stop, timeout=args.timeout)
    print_json({"batch": args.batch, **report.as_dict()})
    return 0


def _curve_client(args: argparse.Namespace) -> CurveClient | None:
    from jejak.printers.stream.curve import CurveClient, CurveKeys, public_key

    if not (args.curve_secret or args.curve_server):
        return None
    if not (args.curve_secret and args.curve_server):
        raise InvalidCombination(
            "Invalid CurveZMQ options: expected both --curve-secret and --curve-server. "
            "Hint: the engine's public key is its NAME.key file."
        )
    return CurveClient(CurveKeys.load(args.curve_secret), public_key(args.curve_server))


def _drive(args: argparse.Namespace) -> int:
    from jejak.printers.stream.driver import PrinterDriver
    from jejak.printers.stream.endpoint import Endpoint

    Endpoint.parse(args.engine, bind=False)
    kind = DeviceKind(args.kind)
    curve = _curve_client(args)
    printer = args.printer_id or f"{kind.value}@{args.device}"

    def welcomed(body: dict[str, Any]) -> None:
        print(f"jejak: driver {printer} welcomed: batch {body['batch']}, level "
              f"{body['level']}", file=sys.stderr, flush=True)  # fmt: skip

    with stop_on_signals() as stop:
        device = make_device(kind, args.device, dpi=args.dpi, stop=stop)
        with PrinterDriver(device, args.engine, printer=printer, level=Level.parse(args.level),
                           low=args.low, high=args.high, curve=curve,
                           on_welcome=welcomed) as driver:  # fmt: skip
            print(f"jejak: driver {printer} connecting to {args.engine}, {kind.value} device at "
                  f"{args.device}", file=sys.stderr, flush=True)  # fmt: skip
            report = driver.run(stop=stop)
    summary = {"printer": printer, "received": report.received, "printed": report.printed,
               "failed": report.failed, "unknown": report.unknown,
               "reconnects": report.reconnects, "done": report.done}  # fmt: skip
    if args.json:
        print_json(summary)
    else:
        print(", ".join(f"{key} {value}" for key, value in summary.items()))
    return 0


def _sim(args: argparse.Namespace) -> int:
    kind = DeviceKind(args.kind)
    if kind is DeviceKind.ZPL:
        from jejak.printers.sim.zpl import ZplSimulator

        simulator: ZplSimulator | CoderSimulator = ZplSimulator(
            host=args.host, port=args.port, rate=args.rate, keep=False, record=args.record
        )
    else:
        from jejak.printers.sim.coder import CoderSimulator

        simulator = CoderSimulator(host=args.host, port=args.port, rate=args.rate,
                                   capacity=args.buffer, keep_printed=False,
                                   record=args.record)  # fmt: skip
    with stop_on_signals() as stop, simulator:
        print(f"{kind.value} simulator listening on {args.host}:{simulator.port}", flush=True)
        while not stop.wait(0.1):
            pass
    print(f"{kind.value} simulator stopped: printed {simulator.printed_count}", flush=True)
    return 0


def _keys(args: argparse.Namespace) -> int:
    from jejak.printers.stream.curve import create_keys

    public, secret = create_keys(Path(args.out), args.name)
    print(f"public {public}\nsecret {secret} (mode 0600: keep it on this machine)")
    return 0

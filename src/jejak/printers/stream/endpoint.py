"""ZeroMQ endpoints of the print-job stream, parsed, and who can reach them.

An engine bound beyond loopback hands print jobs to any host that reaches it, and its PUB
socket tells them what the line does: `check_exposure` refuses both unless CurveZMQ guards the
ROUTER (the PUB socket is never encrypted) or the caller says `insecure`. Loopback is
``tcp://127.0.0.1`` (any 127.x.x.x), ``tcp://[::1]``, ``tcp://localhost``, ``ipc://`` and
``inproc://``; ``tcp://*``, ``tcp://0.0.0.0`` and ``tcp://[::]`` are everywhere, and any other
address, host or interface name is beyond loopback too.

>>> Endpoint.parse("tcp://127.0.0.1:5555").loopback, Endpoint.parse("tcp://*:5555").everywhere
(True, True)
>>> Endpoint.parse("tcp://[::1]:*")
Endpoint(transport=<Transport.TCP: 'tcp'>, host='::1', port=None)
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum

from jejak.engine.errors import InvalidCombination, InvalidFormat
from jejak.engine.text import describe

__all__ = ["Endpoint", "Role", "Transport", "check_exposure"]

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})", re.ASCII)  # a host or interface
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_EVERYWHERE = frozenset({"*", "0.0.0.0", "::"})  # noqa: S104 - names of the wildcard, not a bind
_EXPECTED = "expected tcp://HOST:PORT, ipc://PATH or inproc://NAME"


class Transport(StrEnum):
    """The ZeroMQ transports the stream accepts."""

    TCP = "tcp"
    IPC = "ipc"  # a Unix domain socket: this machine only
    INPROC = "inproc"  # this process only


class Role(StrEnum):
    """What an engine endpoint carries, as a refusal names it."""

    JOBS = "print jobs"  # the ROUTER, `--bind`
    EVENTS = "line events"  # the PUB socket, `--publish`


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One ZeroMQ endpoint: tcp (host and port, None for ``*``), ipc (path) or inproc (name)."""

    transport: Transport
    host: str  # tcp: an address, a name or "*"; ipc: the path; inproc: the name
    port: int | None = None  # tcp only; None: "*", a free port the system picks (bind only)

    @classmethod
    def parse(cls, value: object, *, bind: bool = True) -> Endpoint:
        """Parse ``tcp://HOST:PORT`` (IPv6 in brackets), ``ipc://PATH`` or ``inproc://NAME``.
        A bind may use ``*`` for the host (every interface) and the port (any free one)."""
        if not isinstance(value, str) or "://" not in value:
            raise InvalidFormat(
                f"Invalid ZeroMQ endpoint {describe(value)}: {_EXPECTED}. Hint: e.g. "
                "tcp://127.0.0.1:5555."
            )
        scheme, _, rest = value.partition("://")
        try:
            transport = Transport(scheme)
        except ValueError:
            raise InvalidFormat(
                f"Invalid ZeroMQ endpoint {describe(value)}: transport {scheme!r} is not one the "
                f"stream uses; {_EXPECTED}. Hint: tcp:// between machines, ipc:// on one."
            ) from None
        if transport is not Transport.TCP:
            if not rest or any(c.isspace() for c in rest):
                noun = "path" if transport is Transport.IPC else "name"
                raise InvalidFormat(
                    f"Invalid ZeroMQ endpoint {describe(value)}: expected a {noun} without spaces "
                    f"after '{transport.value}://'. Hint: e.g. ipc:///run/jejak/engine.sock or "
                    "inproc://engine."
                )
            return cls(transport, rest)
        return cls._tcp(value, rest, bind=bind)

    @classmethod
    def _tcp(cls, value: str, rest: str, *, bind: bool) -> Endpoint:
        host, colon, port = rest.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            try:
                ipaddress.IPv6Address(host)
            except ValueError:
                raise InvalidFormat(
                    f"Invalid ZeroMQ endpoint {describe(value)}: {host!r} in brackets is not an "
                    "IPv6 address. Hint: e.g. tcp://[::1]:5555."
                ) from None
        elif not (host == "*" or _HOST.fullmatch(host)):
            hint = ("put an IPv6 address in brackets, e.g. tcp://[::1]:5555" if ":" in host
                    else "e.g. tcp://127.0.0.1:5555")  # fmt: skip
            raise InvalidFormat(
                f"Invalid ZeroMQ endpoint {describe(value)}: expected tcp://HOST:PORT with HOST "
                f"an address, a host name or an interface{', or *' if bind else ''}. Hint: {hint}."
            )
        if not colon or not (port == "*" or (_PORT.fullmatch(port) and 0 < int(port) < 65536)):
            raise InvalidFormat(
                f"Invalid ZeroMQ endpoint {describe(value)}: expected a TCP port from 1 to 65535"
                f"{' (or *: any free port)' if bind else ''} after the host. Hint: e.g. "
                "tcp://127.0.0.1:5555."
            )
        if not bind and "*" in (host, port):
            raise InvalidFormat(
                f"Invalid ZeroMQ endpoint {describe(value)} to connect to: '*' only binds. "
                "Hint: name the engine's host and port, e.g. tcp://10.0.0.5:5555."
            )
        return cls(Transport.TCP, host, None if port == "*" else int(port))

    def __str__(self) -> str:
        if self.transport is not Transport.TCP:
            return f"{self.transport.value}://{self.host}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{'*' if self.port is None else self.port}"

    @property
    def loopback(self) -> bool:
        """Whether only this machine can reach it (ipc, inproc, a loopback address)."""
        if self.transport is not Transport.TCP:
            return True
        if self.host.lower() in _LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host.partition("%")[0]).is_loopback
        except ValueError:  # a host or interface name: it may be anything
            return False

    @property
    def ipv6(self) -> bool:
        """Whether the host is an IPv6 address (a ZeroMQ socket then needs `zmq.IPV6` on)."""
        return self.transport is Transport.TCP and ":" in self.host

    @property
    def everywhere(self) -> bool:
        """Whether it is bound on every interface (``*``, ``0.0.0.0``, ``[::]``)."""
        return self.transport is Transport.TCP and self.host in _EVERYWHERE


def check_exposure(
    bind: Endpoint, publish: Endpoint | None, *, curve: bool, insecure: bool
) -> list[tuple[Endpoint, Role]]:
    """The endpoints an engine would expose beyond loopback without encryption, when
    `insecure` allows them; without it, `InvalidCombination` names the first one."""
    exposed: list[tuple[Endpoint, Role]] = []
    if not (bind.loopback or curve):
        exposed.append((bind, Role.JOBS))
    if publish is not None and not publish.loopback:
        exposed.append((publish, Role.EVENTS))  # PUB is never encrypted, CurveZMQ or not
    if exposed and not insecure:
        endpoint, role = exposed[0]
        where = "every interface" if endpoint.everywhere else "an address beyond loopback"
        if role is Role.JOBS:
            raise InvalidCombination(
                f"Refused to bind {str(endpoint)!r} without CurveZMQ: it listens on {where}, "
                "so any host that reaches it could take print jobs; expected a loopback "
                "endpoint (tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT, ipc://, "
                "inproc://) or CurveZMQ keys. Hint: pass --curve-secret engine.key_secret "
                "--curve-clients DIR (`jejak printer keys` writes them), or --insecure to serve "
                "in clear anyway."
            )
        raise InvalidCombination(
            f"Refused to publish on {str(endpoint)!r}: it listens on {where}, and line events "
            "go out in clear (CurveZMQ guards print jobs only); expected a loopback endpoint "
            "(tcp://127.0.0.1:PORT, ipc://PATH). Hint: publish on loopback and relay it, or "
            "pass --insecure to publish beyond loopback anyway."
        )
    return exposed

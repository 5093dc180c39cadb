"""CurveZMQ for the print-job stream: only drivers whose public key is known may connect.

Keys are ZeroMQ certificate files (``NAME.key`` public, ``NAME.key_secret`` secret), as
`zmq.auth.create_certificates` writes them; the engine allows the public keys found in a folder
of driver certificates. A driver with an unknown key never completes the handshake: the engine
does not even see its HELLO.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from jejak.engine.errors import InvalidFormat

__all__ = ["CurveClient", "CurveKeys", "CurveServer", "allowed_keys", "create_keys", "public_key"]


@dataclass(frozen=True, slots=True)
class CurveKeys:
    """A Curve25519 key pair, Z85-encoded as ZeroMQ writes it."""

    public: bytes
    secret: bytes

    @classmethod
    def load(cls, path: str | Path) -> CurveKeys:
        """Read a ``.key_secret`` certificate file (it holds both keys)."""
        try:
            public, secret = zmq.auth.load_certificate(str(path))
        except (OSError, ValueError) as error:
            raise InvalidFormat(
                f"Invalid CurveZMQ key file {str(path)!r}: {error}. Hint: create one with "
                "`jejak printer keys --out DIR --name NAME`."
            ) from None
        if secret is None:
            raise InvalidFormat(
                f"Key file {str(path)!r} holds no secret key: expected NAME.key_secret. Hint: "
                "the .key file is the public half, for the other side."
            )
        return cls(public, secret)


def create_keys(folder: str | Path, name: str) -> tuple[Path, Path]:
    """Write NAME.key (public) and NAME.key_secret (secret, mode 0600) into `folder`."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    public, secret = zmq.auth.create_certificates(str(target), name)
    Path(secret).chmod(0o600)
    return Path(public), Path(secret)


def allowed_keys(folder: str | Path) -> frozenset[bytes]:
    """The public keys of every ``*.key`` certificate in `folder`."""
    keys = zmq.auth.load_certificates(str(folder))
    return frozenset(key for key, allowed in keys.items() if allowed)


def public_key(path: str | Path) -> bytes:
    """The public key in a ``.key`` (or ``.key_secret``) certificate file."""
    public, _ = zmq.auth.load_certificate(str(path))
    return public


class CurveServer:
    """The engine's side: its key pair and the driver keys it lets in."""

    def __init__(self, keys: CurveKeys, allowed: Iterable[bytes]) -> None:
        self.keys = keys
        self.allowed = frozenset(allowed)
        self._auth: ThreadAuthenticator | None = None

    def start(self, context: zmq.Context[Any]) -> None:
        self._auth = ThreadAuthenticator(context)
        self._auth.start()
        self._auth.configure_curve_callback("*", credentials_provider=self)

    def callback(self, domain: str, key: bytes) -> bool:
        """ZAP asks: may the driver with this public key connect?"""
        return key in self.allowed

    def apply(self, socket: zmq.Socket[Any]) -> None:
        socket.curve_secretkey = self.keys.secret
        socket.curve_publickey = self.keys.public
        socket.curve_server = True

    def stop(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None


@dataclass(frozen=True, slots=True)
class CurveClient:
    """A driver's side: its key pair and the engine's public key."""

    keys: CurveKeys
    server_public: bytes

    def apply(self, socket: zmq.Socket[Any]) -> None:
        socket.curve_secretkey = self.keys.secret
        socket.curve_publickey = self.keys.public
        socket.curve_serverkey = self.server_public

"""Where and as whom reports are delivered: the API's base URL, the site's partner ID and its
token, from the command line, the environment or the site's configuration file.

Sources, the first that gives a value wins: ``--url`` (the URL only); the environment
(``JEJAK_REGULATOR_URL``, ``JEJAK_REGULATOR_TOKEN``, ``JEJAK_PARTNER_ID``); a TOML file
(``--config FILE``) with a ``[regulator]`` table::

    [regulator]
    url = "https://ttac.pom.go.id/api/v3/"
    partner_id = "IF-0042"
    token_file = "/etc/jejak/regulator.token"   # the token itself is never in a file we ship
    timeout = 10                                 # seconds, optional

The token is never shown: not in `repr`, not in an error message, not in a log. It travels only
over HTTPS, or plain HTTP to this machine's loopback (the test server).

>>> config = RegulatorConfig.parse(url="http://127.0.0.1:8080", token="s3cret",
...                                partner_id="IF-0042")
>>> config.url, config
('http://127.0.0.1:8080/', RegulatorConfig(url='http://127.0.0.1:8080/', partner_id='IF-0042', \
timeout=10.0))
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.shipments import PartnerId
from jejak.engine.text import describe

__all__ = ["PARTNER_ENV", "TOKEN_ENV", "URL_ENV", "RegulatorConfig"]

URL_ENV = "JEJAK_REGULATOR_URL"
TOKEN_ENV = "JEJAK_REGULATOR_TOKEN"  # noqa: S105 - the variable's name, not a token
PARTNER_ENV = "JEJAK_PARTNER_ID"
DEFAULT_TIMEOUT = 10.0
_WHERE = {"url": f"--url, ${URL_ENV} or url", "token": f"${TOKEN_ENV} or token_file",
          "partner_id": f"${PARTNER_ENV} or partner_id"}  # fmt: skip
_HINT = {"url": f"pass --url or set ${URL_ENV}", "token": f"set ${TOKEN_ENV}",
         "partner_id": f"set ${PARTNER_ENV}"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class RegulatorConfig:
    """A validated delivery configuration (see the module)."""

    url: str
    token: str = field(repr=False)
    partner_id: str
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(cls, *, url: object, token: object, partner_id: object,
              timeout: object = None) -> RegulatorConfig:  # fmt: skip
        return cls(_url(url), _token(token), PartnerId.parse(partner_id).value,
                   _timeout(timeout))  # fmt: skip

    @classmethod
    def load(cls, *, url: str | None = None, config_file: Path | None = None,
             timeout: float | None = None,
             env: Mapping[str, str] | None = None) -> RegulatorConfig:  # fmt: skip
        """The configuration from the sources in the module's order of precedence."""
        environ = os.environ if env is None else env
        table = _table(config_file) if config_file is not None else {}
        given = {
            "url": url or environ.get(URL_ENV) or table.get("url"),
            "token": environ.get(TOKEN_ENV) or _token_file(table, config_file),
            "partner_id": environ.get(PARTNER_ENV) or table.get("partner_id"),
        }
        for name, value in given.items():
            if value is None or (isinstance(value, str) and not value.strip()):
                raise InvalidFormat(
                    f"No regulator {name.replace('_', ' ')} is configured: expected "
                    f"{_WHERE[name]} in the [regulator] table of --config. Hint: "
                    f"{_HINT[name]}, or name a site configuration with --config."
                )
        return cls.parse(
            url=given["url"],
            token=given["token"],
            partner_id=given["partner_id"],
            timeout=timeout if timeout is not None else table.get("timeout"),
        )

    def endpoint(self, path: str) -> str:
        return urllib.parse.urljoin(self.url, path)


def _url(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    parts = urllib.parse.urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment \
            or parts.username or parts.password:  # fmt: skip
        raise InvalidFormat(
            f"Invalid regulator URL {describe(value)}: expected the API's base URL, e.g. "
            "https://ttac.pom.go.id/api/v3/. Hint: no query, fragment or credentials in it."
        )
    if parts.scheme == "http" and not _loopback(host):
        raise InvalidFormat(
            f"Invalid regulator URL {describe(value)}: expected https (a token never travels "
            "in clear beyond this machine). Hint: use the API's https address; plain http is "
            "for the test server on 127.0.0.1."
        )
    return text if text.endswith("/") else text + "/"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _token(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 4096 or not text.isascii() or not text.isprintable() \
            or " " in text:  # fmt: skip
        raise InvalidFormat(
            "Invalid regulator token (not shown): expected 1 to 4096 printable ASCII "
            f"characters without spaces. Hint: check ${TOKEN_ENV} or the token file."
        )
    return text


def _timeout(value: object) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 600:
        raise InvalidQuantity(
            f"Invalid regulator timeout {describe(value)}: expected seconds, more than 0 and "
            "at most 600. Hint: 10 suits an API on the internet."
        )
    return float(value)


def _table(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        try:
            document = tomllib.load(file)
        except tomllib.TOMLDecodeError as error:
            raise InvalidFormat(
                f"Invalid site configuration {str(path)!r}: {error}; expected TOML. Hint: "
                "see `jejak report submit --help` for the [regulator] table."
            ) from None
    table = document.get("regulator", {})
    if not isinstance(table, dict):
        raise InvalidFormat(
            f"Invalid site configuration {str(path)!r}: [regulator] is not a table; expected "
            "url, partner_id, token_file. Hint: write it as a [regulator] section."
        )
    return table


def _token_file(table: Mapping[str, Any], config_file: Path | None) -> str | None:
    name = table.get("token_file")
    if not isinstance(name, str) or not name:
        return None
    path = Path(name)
    if config_file is not None and not path.is_absolute():
        path = config_file.parent / path
    return path.read_text(encoding="ascii", errors="replace").strip()

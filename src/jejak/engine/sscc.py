"""SSCC (AI 00): the Serial Shipping Container Codes a site may choose for cases and pallets.

An SSCC is 18 digits: an extension digit the site chooses (0-9), its GS1 company prefix (7 to
10 digits), a serial reference that fills the rest, and a GS1 check digit. A site's SSCCs are
unique forever: the serial references come from a counter of the scope
``00:<extension><prefix>`` through the same range seam as serials, so two batches never share
one. SSCCs are not secret (logistic units are tracked, not authenticated), so the references
are sequential.

>>> fmt = SsccFormat.parse(company_prefix="8991234", extension=0)
>>> fmt.sscc(1)
'089912340000000015'
>>> fmt.counter_of("089912340000000015")
1
>>> fmt.format_many(np.array([0, 1], dtype=np.uint64)).tobytes()
b'089912340000000008089912340000000015'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.check_digits import gs1_check_digits
from jejak.engine.errors import InvalidFormat, InvalidLength, InvalidQuantity
from jejak.engine.text import describe

__all__ = ["SsccFormat"]

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class SsccFormat:
    """A site's SSCC layout: extension digit and GS1 company prefix."""

    company_prefix: str
    extension: int = 0

    @classmethod
    def parse(cls, *, company_prefix: object, extension: object = 0) -> SsccFormat:
        if not isinstance(company_prefix, str) or not _DIGITS.fullmatch(company_prefix):
            raise InvalidFormat(
                f"Invalid GS1 company prefix {describe(company_prefix)}: expected digits. Hint: "
                "GS1 Indonesia assigns it; it starts the site's GTINs (e.g. 8991234)."
            )
        if not 7 <= len(company_prefix) <= 10:
            raise InvalidLength(
                f"Invalid GS1 company prefix {company_prefix!r}: expected 7 to 10 digits, got "
                f"{len(company_prefix)}. Hint: an SSCC needs at least 6 digits of serial "
                "reference after the prefix."
            )
        if isinstance(extension, str) and len(extension) == 1 and _DIGITS.fullmatch(extension):
            extension = int(extension)
        if isinstance(extension, bool) or not isinstance(extension, int) or not 0 <= extension <= 9:
            raise InvalidFormat(
                f"Invalid SSCC extension digit {describe(extension)}: expected one digit, 0-9. "
                "Hint: the site chooses it, e.g. one per packaging line."
            )
        return cls(company_prefix, extension)

    @property
    def head(self) -> str:
        """The digits before the serial reference."""
        return f"{self.extension}{self.company_prefix}"

    @property
    def reference_width(self) -> int:
        return 16 - len(self.company_prefix)

    @property
    def capacity(self) -> int:
        """How many SSCCs the site can ever issue with this extension and prefix."""
        return int(10**self.reference_width)

    @property
    def scope(self) -> bytes:
        """The counter scope: ``00:<extension><prefix>``."""
        return f"00:{self.head}".encode("ascii")

    def check_capacity(self, issued: int, count: int) -> None:
        if issued + count > self.capacity:
            raise InvalidQuantity(
                f"Invalid SSCC count {count}: {issued:,} of the {self.capacity:,} SSCCs of "
                f"extension {self.extension} and prefix {self.company_prefix!r} are issued, so "
                f"at most {self.capacity - issued:,} remain. Hint: use another extension digit."
            )

    def sscc(self, counter: int) -> str:
        """The SSCC of serial reference `counter`, with its check digit."""
        payload = f"{self.head}{counter:0{self.reference_width}d}"
        return payload + str(gs1_check_digit(payload))

    def format_many(self, counters: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
        """SSCCs of many serial references as an (n, 18) matrix of ASCII digits."""
        n = counters.shape[0]
        out = np.empty((n, 18), dtype=np.uint8)
        out[:, : len(self.head)] = np.frombuffer(self.head.encode(), np.uint8)
        rest = counters.astype(np.uint64).copy()
        for column in range(16, len(self.head) - 1, -1):
            out[:, column] = (rest % np.uint64(10)).astype(np.uint8) + ord("0")
            rest //= np.uint64(10)
        payloads = np.ascontiguousarray(out[:, :17]).view("S17").reshape(n)
        out[:, 17] = gs1_check_digits(payloads) + ord("0")
        return out

    def counter_of(self, sscc: str) -> int | None:
        """The serial reference of an SSCC of this format, or None if it is not one."""
        if len(sscc) != 18 or not _DIGITS.fullmatch(sscc) or not sscc.startswith(self.head):
            return None
        if int(sscc[17]) != gs1_check_digit(sscc[:17]):
            return None
        return int(sscc[len(self.head) : 17])

    def to_json(self) -> str:
        return json.dumps({"sscc": {"company_prefix": self.company_prefix,
                                    "extension": self.extension}})  # fmt: skip

    @classmethod
    def from_json(cls, text: str | bytes) -> SsccFormat | None:
        """The format a ``scopes`` record holds, or None for a serial scope."""
        raw = json.loads(text)
        if not isinstance(raw, dict) or "sscc" not in raw:
            return None
        return cls.parse(**raw["sscc"])

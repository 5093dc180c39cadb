"""A batch as the store keeps it: its key, expiry, status and the codes of each level.

Self-issued levels own one contiguous counter range of their scope (``start``, ``count``);
BPOM-issued levels hold an imported list. Codes are numbered 0..count-1 within their level.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from jejak.engine.codes import Level
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.serials import SerialFormat

__all__ = ["BatchRecord", "BatchStatus", "CodeForm", "CodeSource", "LevelAllocation", "scope_of"]


class BatchStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CodeSource(StrEnum):
    SELF = "self"  # serials from the site's keyed permutation
    BPOM = "bpom"  # codes issued by BPOM through TTAC and imported (Art. 5)


class CodeForm(StrEnum):
    """How `jejak codes list` writes a code."""

    HRI = "hri"
    RAW = "raw"
    SERIAL = "serial"


def scope_of(key: Element) -> bytes:
    """The uniqueness scope of a key element: ``01:<gtin>`` or ``90:<nie>``."""
    return f"{key.ai.value}:{key.value}".encode("ascii")


@dataclass(frozen=True, slots=True)
class LevelAllocation:
    level: Level
    count: int
    source: CodeSource
    start: int | None = None  # counter of code 0 (self-issued levels)


@dataclass(frozen=True, slots=True)
class BatchRecord:
    batch: str
    batch_id: int
    nie: str
    key: Element  # (01) GTIN or (90) NIE
    expiry: Gs1Date
    status: BatchStatus
    levels: tuple[LevelAllocation, ...]
    request: dict[str, Any]
    opened_at: str
    serial_format: SerialFormat | None = None
    epoch: int | None = None
    key_id: str | None = None
    closed_at: str | None = None

    @property
    def scope(self) -> bytes:
        return scope_of(self.key)

    def level(self, level: Level) -> LevelAllocation:
        return next(a for a in self.levels if a.level is level)

    def code(self, serial: str) -> ElementString:
        return ElementString.authentication(
            key=self.key, batch=self.batch, expiry=self.expiry, serial=serial
        )

    def line_prefix(self, form: CodeForm) -> bytes:
        """What precedes the serial on a `codes list` line: (21) is last in both forms."""
        if form is CodeForm.SERIAL:
            return b""
        sample = self.code("0")
        text = sample.raw if form is CodeForm.RAW else sample.hri
        return text[:-1].encode("ascii")

    def closed(self) -> BatchRecord:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return replace(self, status=BatchStatus.CLOSED, closed_at=now)

    def to_json(self) -> bytes:
        fmt = self.serial_format
        return json.dumps(
            {
                "batch": self.batch,
                "batch_id": self.batch_id,
                "nie": self.nie,
                "key": {"ai": self.key.ai.value, "value": self.key.value},
                "expiry": self.expiry.yymmdd,
                "expiry_iso": self.expiry.isoformat(),
                "status": self.status.value,
                "levels": [
                    {"level": a.level.name.lower(), "count": a.count, "source": a.source.value,
                     "start": a.start}
                    for a in self.levels
                ],
                "request": self.request,
                "opened_at": self.opened_at,
                "closed_at": self.closed_at,
                "serial_format": None if fmt is None else {
                    "alphabet": fmt.alphabet.value, "length": fmt.length, "prefix": fmt.prefix,
                    "epoch_width": fmt.epoch_width,
                },
                "epoch": self.epoch,
                "key_id": self.key_id,
            },
            sort_keys=True,
        ).encode()  # fmt: skip

    @classmethod
    def from_json(cls, data: bytes | memoryview) -> BatchRecord:
        raw = json.loads(bytes(data))
        fmt = raw["serial_format"]
        year = int(raw["expiry_iso"][:4])
        yymmdd = raw["expiry"]
        return cls(
            batch=raw["batch"],
            batch_id=raw["batch_id"],
            nie=raw["nie"],
            key=Element(AI(raw["key"]["ai"]), raw["key"]["value"]),
            expiry=Gs1Date(year, int(yymmdd[2:4]), int(yymmdd[4:6])),
            status=BatchStatus(raw["status"]),
            levels=tuple(
                LevelAllocation(Level.parse(a["level"]), a["count"], CodeSource(a["source"]),
                                a["start"])
                for a in raw["levels"]
            ),
            request=raw["request"],
            opened_at=raw["opened_at"],
            serial_format=None if fmt is None else SerialFormat.parse(**fmt),
            epoch=raw["epoch"],
            key_id=raw["key_id"],
            closed_at=raw["closed_at"],
        )  # fmt: skip

"""A batch as the store keeps it: its key, expiry, status and the codes of each level.

Self-issued levels own counter ranges of their scope (one or several, in index order);
BPOM-issued levels hold an imported list; SSCC levels (cases, pallets, when the site chooses)
own counter ranges of the site's SSCC scope. Codes are numbered 0..count-1 within their level.

>>> level = LevelAllocation(Level.PRIMARY, 5, CodeSource.SELF, ((100, 2), (900, 3)))
>>> level.counters(np.arange(5)).tolist(), level.start
([100, 101, 900, 901, 902], 100)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import StoreCorrupted
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat

__all__ = ["BatchRecord", "BatchStatus", "CodeForm", "CodeSource", "LevelAllocation", "scope_of"]


class BatchStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CodeSource(StrEnum):
    SELF = "self"  # serials from the site's keyed permutation
    BPOM = "bpom"  # codes issued by BPOM through TTAC and imported (Art. 5)
    SSCC = "sscc"  # (00) SSCCs from the site's GS1 company prefix (cases and pallets)
    IDENTIFICATION = "identification"  # one code on every pack, (90)NIE (91)validity (Art. 14-16)


def scope_of(key: Element) -> bytes:
    """The uniqueness scope of a key element: ``01:<gtin>`` or ``90:<nie>``."""
    return f"{key.ai.value}:{key.value}".encode("ascii")


@dataclass(frozen=True, slots=True)
class LevelAllocation:
    level: Level
    count: int
    source: CodeSource
    ranges: tuple[tuple[int, int], ...] = ()  # (first counter, count), in index order

    @property
    def start(self) -> int | None:
        """The counter of code 0 (levels that own counter ranges)."""
        return self.ranges[0][0] if self.ranges else None

    def counters(self, indices: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
        """The counters of codes `indices` of a level that owns counter ranges."""
        if len(self.ranges) == 1:
            return indices.astype(np.uint64) + np.uint64(self.ranges[0][0])
        starts = np.array([start for start, _ in self.ranges], dtype=np.uint64)
        ends = np.cumsum([count for _, count in self.ranges], dtype=np.int64)
        position = np.searchsorted(ends, indices, side="right")
        firsts = ends - np.array([count for _, count in self.ranges], dtype=np.int64)
        return starts[position] + (indices - firsts[position]).astype(np.uint64)

    def counter(self, index: int) -> int:
        return int(self.counters(np.array([index], dtype=np.int64))[0])


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
    sscc: SsccFormat | None = None
    validity: Gs1Date | None = None  # an identification batch's NIE validity, AI (91)

    @property
    def identification(self) -> ElementString | None:
        """The one code every pack of an identification batch carries; None for others.
        Its "codes" are pack slots: one state, print outcome and verdict for each pack."""
        if self.validity is None:
            return None
        return ElementString.identification(nie=self.nie, validity=self.validity)

    @property
    def scope(self) -> bytes:
        return scope_of(self.key)

    def level(self, level: Level) -> LevelAllocation:
        return next(a for a in self.levels if a.level is level)

    def code(self, serial: str) -> ElementString:
        """The batch's authentication code with this serial (validated; the key, batch and
        expiry were validated when the batch was opened, and are in canonical order)."""
        return ElementString((self.key, Element(AI.BATCH, self.batch),
                              Element(AI.EXPIRY, self.expiry.yymmdd),
                              Element.parse(AI.SERIAL, serial)))  # fmt: skip

    def level_code(self, level: Level, serial: str) -> ElementString:
        """The element string of a level's code from its serial (or its SSCC digits)."""
        if self.identification is not None:
            return self.identification
        if self.level(level).source is CodeSource.SSCC:
            return ElementString.of((Element.parse(AI.SSCC, serial),))
        return self.code(serial)

    def sscc_format(self, level: Level) -> tuple[SsccFormat, int]:
        """The SSCC format and first serial reference of an SSCC level."""
        allocation = self.level(level)
        if self.sscc is None or allocation.start is None:
            raise StoreCorrupted(
                f"Batch {self.batch!r} has SSCC {level.name.lower()} codes but no SSCC format "
                "or range. Hint: run `jejak audit verify` and restore the store from backup."
            )
        return self.sscc, allocation.start

    def sscc_digits(self, level: Level, index: int) -> str:
        """The 18 digits of code `index` of an SSCC level."""
        fmt, _ = self.sscc_format(level)
        return fmt.sscc(self.level(level).counter(index))

    def level_prefix(self, level: Level, form: CodeForm) -> bytes:
        """What precedes a level's serial (or SSCC digits) on a `codes list` line (the whole
        code, for an identification batch: it has no serials)."""
        code = self.identification
        if code is not None:
            return {CodeForm.SERIAL: b"", CodeForm.RAW: code.raw.encode("ascii"),
                    CodeForm.HRI: code.hri.encode("ascii")}[form]  # fmt: skip
        if self.level(level).source is CodeSource.SSCC:
            return {CodeForm.SERIAL: b"", CodeForm.RAW: b"00", CodeForm.HRI: b"(00)"}[form]
        return self.line_prefix(form)

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
                     "ranges": [list(r) for r in a.ranges]}
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
                "sscc": None if self.sscc is None else {
                    "company_prefix": self.sscc.company_prefix, "extension": self.sscc.extension,
                },
                "validity": None if self.validity is None else self.validity.isoformat(),
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
                                tuple((start, count) for start, count in a["ranges"]))
                for a in raw["levels"]
            ),
            request=raw["request"],
            opened_at=raw["opened_at"],
            serial_format=None if fmt is None else SerialFormat.parse(**fmt),
            epoch=raw["epoch"],
            key_id=raw["key_id"],
            closed_at=raw["closed_at"],
            sscc=None if raw.get("sscc") is None else SsccFormat.parse(**raw["sscc"]),
            validity=None if raw.get("validity") is None else Gs1Date.parse_iso(
                raw["validity"], what="NIE validity"),
        )  # fmt: skip

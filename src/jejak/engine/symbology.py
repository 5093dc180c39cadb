"""What a reader sends: a symbology identifier (ISO/IEC 15424), then the data.

`parse_read` accepts raw data with GS (or ``<GS>`` as typed), HRI, with or without an identifier,
and reports a lost FNC1 (``]d1`` or ``]Q1`` on a code meant to be GS1) as a warning.

>>> read = parse_read("]d2010950600013435217261231")
>>> read.symbology, read.code.hri
(<Symbology.GS1_DATAMATRIX: ']d2'>, '(01)09506000134352(17)261231')
>>> read.warnings
('Not a complete BPOM code: missing (10) batch, (21) serial number.',)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from jejak.engine.errors import InvalidFormat, ValidationError
from jejak.engine.gs1 import CodeKind, ElementString
from jejak.engine.text import describe

__all__ = ["Read", "Symbology", "parse_read"]


class Symbology(StrEnum):
    """Symbology identifiers (ISO/IEC 15424) a reader prefixes to its data."""

    GS1_DATAMATRIX = "]d2"
    DATAMATRIX = "]d1"  # ECC 200 without FNC1 in first position
    GS1_QR = "]Q3"
    QR = "]Q1"  # QR model 2 without FNC1
    GS1_128 = "]C1"

    @property
    def is_gs1(self) -> bool:
        return self in (Symbology.GS1_DATAMATRIX, Symbology.GS1_QR, Symbology.GS1_128)


@dataclass(frozen=True, slots=True)
class Read:
    """A parsed reader result: the element string, how it was carried, and what looked wrong."""

    code: ElementString
    symbology: Symbology | None
    warnings: tuple[str, ...]


def parse_read(data: object, *, today: dt.date | None = None) -> Read:
    """Parse what a reader or a person sends: raw with GS (or ``<GS>``), HRI, with or without a
    symbology identifier.

    >>> read = parse_read("]d1010950600013435217261231")
    >>> read.symbology, read.warnings[0][:40]
    (<Symbology.DATAMATRIX: ']d1'>, 'FNC1 lost: read as ]d1 (Data Matrix with')
    """
    if not isinstance(data, str):
        raise InvalidFormat(
            f"Invalid read {describe(data)}: expected text, got {type(data).__name__}. "
            "Hint: decode the reader's bytes as ASCII first."
        )
    symbology: Symbology | None = None
    body = data
    if data.startswith("]"):
        prefix = data[:3]
        try:
            symbology = Symbology(prefix)
        except ValueError:
            known = ", ".join(s.value for s in Symbology)
            raise InvalidFormat(
                f"Unsupported symbology identifier {prefix!r} in {describe(data)}: expected one "
                f"of {known}. Hint: configure the reader for Data Matrix, QR or GS1-128."
            ) from None
        body = data[3:]
    warnings: list[str] = []
    if symbology is not None and not symbology.is_gs1:
        name = "Data Matrix" if symbology is Symbology.DATAMATRIX else "QR"
        warnings.append(
            f"FNC1 lost: read as {symbology.value} ({name} without FNC1), not GS1. The printed "
            "symbol is defective unless it is a plain BPOM-issued QR code."
        )
    try:
        code = ElementString.parse(body, today=today)
    except ValidationError as error:
        if symbology is not None:
            raise type(error)(f"{error} (read as {symbology.value})") from error
        raise
    if code.kind is CodeKind.INCOMPLETE:
        need = ", ".join(f"({ai.value}) {ai.rule.title}" for ai in code.missing())
        found = "".join(f"({e.ai.value})" for e in code.elements)
        detail = f"missing {need}" if need else f"unexpected combination {found}"
        warnings.append(f"Not a complete BPOM code: {detail}.")
    return Read(code, symbology, tuple(warnings))

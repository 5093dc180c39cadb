"""Codes issued by BPOM for a batch (Art. 5, annex F): read and validate an import file.

The file is plain text with one code per line, or CSV. A CSV header row that names a ``code``,
``kode``, ``barcode`` or ``serial`` column selects that column; otherwise the first column is
read. Each code is a bare serial (GS1 CSET 82, 1-20 characters) or a whole element string (raw,
HRI or with a symbology identifier) whose (21) is the serial; its product key, batch and expiry,
where present, must be this batch's, since BPOM's codes are valid only for the batch they were
requested for (Art. 10(2)).

Every line is checked before anything is stored. One bad line rejects the whole file, with the
line numbers of every problem found, so that nothing is ever half-imported.
"""

from __future__ import annotations

import csv

from jejak.engine.errors import InvalidFormat, InvalidQuantity, ValidationError
from jejak.engine.gs1 import AI, GS, GS_ESCAPE, Element
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.symbology import parse_read

__all__ = ["MAX_REPORTED", "parse_issued_codes"]

MAX_REPORTED = 20  # problems listed in one message; the count says how many there were
_HEADERS = ("code", "kode", "barcode", "serial", "kode_primer", "primary_code")


def parse_issued_codes(
    text: str, *, key: Element, batch: str, expiry: Gs1Date, source: str = "file"
) -> list[bytes]:
    """The serials of an import file, in file order; raise if any line is invalid."""
    rows = _rows(text)
    problems: list[str] = []
    seen: dict[str, int] = {}
    serials: list[bytes] = []
    for number, value in rows:
        try:
            serial = _serial_of(value, key=key, batch=batch, expiry=expiry)
        except ValidationError as error:
            problems.append(f"line {number}: {error}")
            continue
        if serial in seen:
            problems.append(f"line {number}: duplicate of line {seen[serial]} ({serial!r})")
            continue
        seen[serial] = number
        serials.append(serial.encode("ascii"))
    if problems:
        shown = "\n  ".join(problems[:MAX_REPORTED])
        more = f"\n  ... and {len(problems) - MAX_REPORTED} more" if len(problems) > 20 else ""
        raise InvalidFormat(
            f"Invalid import {source!r}: {len(problems)} of {len(rows)} lines are not valid "
            f"codes of batch {batch!r}; nothing was imported.\n  {shown}{more}\nHint: fix or "
            "remove those lines and import the whole file again."
        )
    if not serials:
        raise InvalidQuantity(
            f"Invalid import {source!r}: expected at least one code, found none. Hint: export "
            "the batch's codes from TTAC's barcode management menu."
        )
    return serials


def _rows(text: str) -> list[tuple[int, str]]:
    # Only line ends split lines: str.splitlines() would also split at the GS (0x1D) of raw codes.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not any(line.strip() for line in lines):
        return []
    dialect_chars = ",;\t"
    sample = next(line for line in lines if line.strip())
    delimiter = next((c for c in dialect_chars if c in sample), None)
    column = 0
    rows: list[tuple[int, str]] = []
    records = _csv_records(lines, delimiter) if delimiter else [[line] for line in lines]
    header_done = False
    for number, record in enumerate(records, start=1):
        if not record or not "".join(record).strip():
            continue
        if not header_done:
            header_done = True
            names = [cell.strip().lower() for cell in record]
            named = next((i for i, name in enumerate(names) if name in _HEADERS), None)
            if named is not None:
                column = named
                continue
        if column >= len(record):
            rows.append((number, ""))
            continue
        rows.append((number, record[column].strip()))
    return rows


def _csv_records(lines: list[str], delimiter: str) -> list[list[str]]:
    # The lines, split at "\n" only: a carriage return left inside one is refused, not taken
    # for a line end that would cut a code in two.
    limit = csv.field_size_limit()
    for number, line in enumerate(lines, start=1):
        if "\r" in line or len(line) > limit:
            what = "a carriage return inside it" if "\r" in line else f"{len(line):,} characters"
            raise InvalidFormat(
                f"Invalid CSV line {number}: {what}; expected one code a cell and lines of at "
                f"most {limit:,} characters. Hint: fix that line, or export the codes one a line."
            )
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        return list(reader)
    except csv.Error:
        raise InvalidFormat(
            f"Invalid CSV on line {reader.line_num}: a quote that is never closed; expected "
            "quoted cells to end on their line. Hint: fix the quotes on that line, or export the "
            "codes one a line."
        ) from None


def _serial_of(value: str, *, key: Element, batch: str, expiry: Gs1Date) -> str:
    if not value:
        raise InvalidFormat(
            "Invalid code '': expected a serial or an element string. Hint: remove empty cells."
        )
    element_string = value[:1] in "(]" or GS in value or GS_ESCAPE in value or len(value) > 20
    if not element_string:
        return Element.parse(AI.SERIAL, value).value
    code = parse_read(value).code
    if AI.SERIAL not in code:
        raise InvalidFormat(
            f"Invalid code {value!r}: expected a serial (21). Hint: import authentication codes."
        )
    for ai, expected in ((key.ai, key.value), (AI.BATCH, batch), (AI.EXPIRY, expiry.yymmdd)):
        found = code.get(ai)
        if found is not None and found != expected:
            raise InvalidFormat(
                f"Invalid code {value!r}: its ({ai.value}) {found!r} is not this batch's "
                f"{expected!r}. Hint: BPOM codes are valid only for the batch they were "
                "requested for (Art. 10(2))."
            )
    other_key = AI.NIE if key.ai is AI.GTIN else AI.GTIN
    if other_key not in code or key.ai in code:
        return code[AI.SERIAL]
    raise InvalidFormat(
        f"Invalid code {value!r}: keyed by ({other_key.value}), but this batch is keyed by "
        f"({key.ai.value}) {key.value!r}. Hint: import the codes requested for this product."
    )

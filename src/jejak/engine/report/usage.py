"""BPOM's usage report (Regulation 33/2018 Art. 12, annex G): one row for every printed primary
code of a batch, as the CSV bulk-upload template or as JSON for the API.

A row holds the partner ID, the packaging, the primary code, its secondary (case) and tertiary
(pallet) codes (``0`` when it is in none), the NIE, the expiry ``yyyy-mm-dd``, the batch, the
GTIN (empty when none) and three flags, exactly one of them TRUE: active (Commissioned or
Released), retained sample (Sampled) or reject (scrapped, inactive or destroyed). A rejected or
sampled code is in no case. Codes printed but not yet verified (Encoded or LabelSampled: the
packs of an open batch still on the line) are in no row: their status is not known yet, and a
later report carries them. `FIELDS` is the one mapping of these facts to CSV columns and JSON
keys; `UsageStatus` the closed set of statuses.

Rows are assembled a page (64 Ki codes) at a time as one byte matrix: each field a block of
columns, a shorter value padded with `PAD`, the padding dropped in one pass. A page whose codes
hold a character that CSV quotes (GS1's CSET 82 has ``,`` and ``"``) or JSON escapes (the GS of
the raw form) is written by Python's csv or json module instead, row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from jejak.engine._byte_kernels import drop_padding, holds_any
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import InvalidFormat, ReportRefused
from jejak.engine.listing import PAD, code_matrix
from jejak.engine.report.window import Window, window_codes
from jejak.engine.store import NO_PARENT, PAGE, PARENTS, StoreView

__all__ = [
    "DEFAULT_HEADER",
    "FIELDS",
    "Field",
    "UsageCounts",
    "UsageReport",
    "UsageSettings",
    "UsageStatus",
]

Matrix = npt.NDArray[np.uint8]
Refs = npt.NDArray[np.uint64]


class UsageStatus(IntEnum):
    """The status a row reports: which of its three flags is TRUE."""

    ACTIVE = 0
    RETAINED_SAMPLE = 1
    REJECT = 2


STATUS_OF: dict[CodeState, UsageStatus] = {
    CodeState.COMMISSIONED: UsageStatus.ACTIVE,
    CodeState.RELEASED: UsageStatus.ACTIVE,  # shipped: still an active code
    CodeState.SAMPLED: UsageStatus.RETAINED_SAMPLE,
    CodeState.LABEL_SCRAPPED: UsageStatus.REJECT,  # rejected on the line, or never confirmed
    CodeState.INACTIVE: UsageStatus.REJECT,  # decommissioned: returned, recalled
    CodeState.DESTROYED: UsageStatus.REJECT,
}
"""The printed states a report row can say; the others are in no row."""

_NOT_REPORTED = -1
_NONE = np.zeros(0, dtype=np.int64)
_STATUS_TABLE = np.full(256, _NOT_REPORTED, dtype=np.int8)
for _state, _status in STATUS_OF.items():
    _STATUS_TABLE[_state] = _status


@dataclass(frozen=True, slots=True)
class Field:
    """One fact of a row: its JSON key and its default CSV column name."""

    key: str
    header: str


FIELDS = (
    Field("partner_id", "id_rekanan"),
    Field("packaging", "kemasan"),
    Field("primary_code", "kode_primer"),
    Field("secondary_code", "kode_sekunder"),
    Field("tertiary_code", "kode_tersier"),
    Field("nie", "nie"),
    Field("expiry", "tanggal_kedaluwarsa"),
    Field("batch", "nomor_bets"),
    Field("gtin", "gtin"),
    Field("active", "aktif"),
    Field("retained_sample", "retained_sample"),
    Field("reject", "reject"),
)
"""The template's columns, in annex G's order."""

DEFAULT_HEADER = tuple(field.header for field in FIELDS)
_FLAGS = ("TRUE,FALSE,FALSE", "FALSE,TRUE,FALSE", "FALSE,FALSE,TRUE")  # by UsageStatus
_JSON_FLAGS = tuple(
    ",".join(f'"{FIELDS[9 + i].key}":{"true" if i == status else "false"}' for i in range(3))
    for status in UsageStatus
)
_CSV_SPECIAL = np.zeros(256, dtype=np.bool_)  # the bytes that make CSV quote a field
_CSV_SPECIAL[np.frombuffer(b',"\r\n', dtype=np.uint8)] = True
_JSON_SPECIAL = np.zeros(256, dtype=np.bool_)  # the bytes a JSON string escapes (not PAD)
_JSON_SPECIAL[1:0x20] = _JSON_SPECIAL[ord('"')] = _JSON_SPECIAL[ord("\\")] = True
_HEADER_HINT = f"give the {len(FIELDS)} names comma-separated, e.g. {','.join(DEFAULT_HEADER)}."


@dataclass(frozen=True, slots=True)
class UsageSettings:
    """A site's settings for its usage reports: its TTAC partner ID, the form of the codes in
    the code columns (HRI by default) and the header row."""

    partner_id: str
    form: CodeForm = CodeForm.HRI
    header: tuple[str, ...] = DEFAULT_HEADER

    @classmethod
    def parse(cls, *, partner_id: object, form: object = None,
              header: object = None) -> UsageSettings:  # fmt: skip
        """Validate settings as given on the command line, in the environment or a file."""
        text = partner_id.strip() if isinstance(partner_id, str) else None
        if not text or len(text) > 64 or not text.isprintable():
            raise InvalidFormat(
                f"Invalid partner ID {partner_id!r}: expected the ID TTAC gave the NIE holder "
                "(1 to 64 printable characters). Hint: pass --partner or set JEJAK_PARTNER_ID."
            )
        return cls(text, _form(form), _header(header))


def _form(value: object) -> CodeForm:
    if value is None:
        return CodeForm.HRI
    try:
        return CodeForm(str(value))
    except ValueError:
        raise InvalidFormat(
            f"Invalid code form {value!r}: expected one of "
            f"{', '.join(f.value for f in CodeForm)}. Hint: hri is what BPOM's template shows."
        ) from None


def _header(value: object) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_HEADER
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, Sequence) or isinstance(names, bytes):
        names = ()
    cleaned = tuple(n.strip() for n in names if isinstance(n, str))
    if (
        len(cleaned) != len(FIELDS)
        or len(names) != len(FIELDS)
        or not all(n and n.isprintable() for n in cleaned)
        or len(set(cleaned)) != len(cleaned)
    ):
        raise InvalidFormat(
            f"Invalid usage-report header {value!r}: expected {len(FIELDS)} distinct column "
            f"names in the template's order. Hint: {_HEADER_HINT}"
        )
    return cleaned


@dataclass(frozen=True, slots=True)
class UsageCounts:
    """Rows written, by status."""

    active: int
    retained_sample: int
    reject: int

    @property
    def rows(self) -> int:
        return self.active + self.retained_sample + self.reject

    def as_json(self) -> dict[str, int]:
        return {"rows": self.rows, "active": self.active,
                "retained_sample": self.retained_sample, "reject": self.reject}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Page:
    """One page of rows: the status of each, and its codes as byte matrices (``0`` for the
    container codes of a row in none)."""

    status: npt.NDArray[np.int8]
    primary: Matrix
    secondary: Matrix
    tertiary: Matrix
    packed: npt.NDArray[np.bool_]  # the row's code is in a case (else its containers are 0)
    palleted: npt.NDArray[np.bool_]


class _Batch:
    """One batch's part of a report: its facts (the same on every row) and each primary
    code's status (`_NOT_REPORTED` for a code in no row)."""

    __slots__ = ("facts", "record", "status")

    def __init__(self, view: StoreView, record: BatchRecord, partner_id: str,
                 only: npt.NDArray[np.int64] | None = None) -> None:  # fmt: skip
        if record.identification is not None:
            raise ReportRefused(
                f"Batch {record.batch!r} is an identification batch: identification products "
                "need no code request and no usage report (TTAC's FAQ). Hint: usage reports "
                "are for batches with authentication codes."
            )
        product = view.product(record.nie)
        self.record = record
        self.facts = {"partner_id": partner_id, "packaging": product.packaging,
                      "nie": record.nie, "expiry": record.expiry.isoformat(),
                      "batch": record.batch, "gtin": product.gtin or ""}  # fmt: skip
        self.status = _STATUS_TABLE[view.states(record, Level.PRIMARY)]
        if only is not None:  # a window's codes: the others are in no row
            keep = np.zeros(self.status.size, dtype=np.bool_)
            keep[only] = True
            self.status[~keep] = _NOT_REPORTED


class UsageReport:
    """The usage report of one or more batches, read in one store view (hold the view open
    while the report is written). An identification batch is refused: it needs no report.
    With a `window`, only the codes its activities named (`report.window`), as they are now;
    `records` None then means every batch the window names (`records` lists them)."""

    def __init__(self, view: StoreView, records: Sequence[BatchRecord] | None,
                 settings: UsageSettings, *, window: Window | None = None) -> None:  # fmt: skip
        self.view, self.settings = view, settings
        named = None if window is None else window_codes(view, window, records)
        if records is None:
            records = [] if named is None else [view.batch_by_id(b) for b in named]
        self.records = list(records)
        self._batches = [
            _Batch(view, record, settings.partner_id,
                   None if named is None else named.get(record.batch_id, _NONE))
            for record in records
        ]  # fmt: skip

    def counts(self) -> UsageCounts:
        """How many rows the report has, by status."""
        found = np.zeros(len(UsageStatus), dtype=np.int64)
        for batch in self._batches:
            found += np.bincount(batch.status[batch.status >= 0], minlength=len(UsageStatus))
        return UsageCounts(*(int(n) for n in found))

    # Writers --------------------------------------------------------------------------------

    def write_csv(self, out: BinaryIO) -> UsageCounts:
        """The CSV bulk-upload file: the header row, then one row a printed primary code."""
        out.write(_csv_line(self.settings.header))
        flags = [f",{f}\r\n".encode() for f in _FLAGS]
        for batch in self._batches:
            facts = batch.facts
            head = _csv_line([facts["partner_id"], facts["packaging"]])[:-2] + b","
            tail = b"," + _csv_line([facts[k] for k in ("nie", "expiry", "batch", "gtin")])[:-2]
            for page in self._pages(batch):
                if any(holds_any(m, _CSV_SPECIAL) for m in _codes(page)):
                    out.write(self._csv_rows(batch, page))
                    continue
                out.write(_assemble(len(page.status), head, page.primary, b",",
                                    page.secondary, b",", page.tertiary, tail,
                                    _rows(flags, page.status)))  # fmt: skip
        return self.counts()

    def write_json(self, out: BinaryIO, *, generated_at: str | None = None) -> UsageCounts:
        """One JSON document: the counts, the batch's facts (of a report of one batch) and
        ``rows``, one object a code with the keys of `FIELDS` (``null`` for no container and
        no GTIN), streamed."""
        counts = self.counts()
        when = generated_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        top: dict[str, Any] = {"report": "usage", "generated_at": when,
                               "counts": counts.as_json(),
                               "batches": [b.record.batch for b in self._batches]}  # fmt: skip
        if len(self._batches) == 1:
            top.update({k: v or None for k, v in self._batches[0].facts.items()})
        out.write(json.dumps(top)[:-1].encode() + b', "rows": [')
        first = True
        for batch in self._batches:
            for block in self._json_blocks(batch):
                out.write(b"\n" if first else b",\n")
                out.write(block)
                first = False
        out.write(b"\n]}\n")
        return counts

    def _json_blocks(self, batch: _Batch) -> Iterator[bytes | memoryview]:
        """The rows of a batch as JSON objects, a page at a time (no trailing comma)."""
        facts = batch.facts
        gtin = json.dumps(facts["gtin"] or None)
        head = "{" + _json_members(facts, ("partner_id", "packaging")) + ',"primary_code":'
        tail = "," + _json_members(facts, ("nie", "expiry", "batch")) + f',"gtin":{gtin},'

        flags = [f"{f}}},\n".encode() for f in _JSON_FLAGS]
        for page in self._pages(batch):
            block: bytes | memoryview
            if any(_json_escapes(m) for m in _codes(page)):
                block = self._json_rows(batch, page)
            else:
                block = _assemble(len(page.status), head.encode(), _quoted(page.primary, None),
                                  b',"secondary_code":', _quoted(page.secondary, page.packed),
                                  b',"tertiary_code":', _quoted(page.tertiary, page.palleted),
                                  tail.encode(), _rows(flags, page.status))  # fmt: skip
            yield block[:-2]

    # Rows -----------------------------------------------------------------------------------

    def _pages(self, batch: _Batch) -> Iterator[_Page]:
        record, view, form = batch.record, self.view, self.settings.form
        for start in range(0, batch.status.size, PAGE):
            status = batch.status[start : start + PAGE]
            keep = status >= 0
            indices = np.flatnonzero(keep).astype(np.int64) + start
            if not indices.size:
                continue
            status = status[keep]
            cases = view.values(PARENTS, record, Level.PRIMARY, indices).astype(np.uint64)
            cases[status != UsageStatus.ACTIVE] = NO_PARENT  # a rejected or sampled code: none
            case_rows, distinct_cases = _distinct(cases)
            pallets = _parents(view, distinct_cases)[case_rows]
            pallets[cases == NO_PARENT] = NO_PARENT
            yield _Page(status, code_matrix(view, record, Level.PRIMARY, indices, form=form),
                        _code_rows(view, cases, form), _code_rows(view, pallets, form),
                        cases != NO_PARENT, pallets != NO_PARENT)  # fmt: skip

    @staticmethod
    def _row_values(batch: _Batch, page: _Page) -> Iterator[list[Any]]:
        """Each row as its values, in `FIELDS` order (the slow path)."""
        facts = batch.facts
        for at, status in enumerate(page.status.tolist()):
            flags = [status == s for s in UsageStatus]
            yield [facts["partner_id"], facts["packaging"], _text(page.primary[at]),
                   _text(page.secondary[at]), _text(page.tertiary[at]), facts["nie"],
                   facts["expiry"], facts["batch"], facts["gtin"], *flags]  # fmt: skip

    def _csv_rows(self, batch: _Batch, page: _Page) -> bytes:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        for values in self._row_values(batch, page):
            writer.writerow([("TRUE" if v else "FALSE") if isinstance(v, bool) else v
                             for v in values])  # fmt: skip
        return buffer.getvalue().encode()

    def _json_rows(self, batch: _Batch, page: _Page) -> bytes:
        keys = [field.key for field in FIELDS]
        lines = []
        for at, values in enumerate(self._row_values(batch, page)):
            row = dict(zip(keys, values, strict=True))
            row["secondary_code"] = row["secondary_code"] if page.packed[at] else None
            row["tertiary_code"] = row["tertiary_code"] if page.palleted[at] else None
            row["gtin"] = row["gtin"] or None
            lines.append(json.dumps(row, separators=(",", ":")).encode() + b",\n")
        return b"".join(lines)


# Plumbing -------------------------------------------------------------------------------------


def _csv_line(values: Sequence[str]) -> bytes:
    """One CSV record, quoted where CSV needs it, ending CR LF (as Python's csv writes)."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow(values)
    return buffer.getvalue().encode()


def _json_members(facts: dict[str, str], keys: tuple[str, ...]) -> str:
    return ",".join(f"{json.dumps(k)}:{json.dumps(facts[k])}" for k in keys)


def _codes(page: _Page) -> tuple[Matrix, Matrix, Matrix]:
    return page.primary, page.secondary, page.tertiary


def _json_escapes(matrix: Matrix) -> bool:
    """Whether a code needs escaping in a JSON string (a quote, a backslash, a control)."""
    return holds_any(matrix, _JSON_SPECIAL)


def _text(row: Matrix) -> str:
    text: str = row[row != PAD].tobytes().decode("ascii")
    return text


def _rows(choices: list[bytes], picks: npt.NDArray[np.int8]) -> Matrix:
    """One of `choices` for each row, as a padded matrix."""
    width = max(len(c) for c in choices)
    table = np.full((len(choices), width), PAD, dtype=np.uint8)
    for at, choice in enumerate(choices):
        table[at, : len(choice)] = np.frombuffer(choice, dtype=np.uint8)
    return table[picks.astype(np.intp)]


def _quoted(codes: Matrix, present: npt.NDArray[np.bool_] | None) -> Matrix:
    """Codes as JSON strings; ``null`` where `present` is False."""
    rows, width = codes.shape
    out = np.full((rows, max(width + 2, 4)), PAD, dtype=np.uint8)  # room for a null
    quote = np.uint8(ord('"'))
    out[:, 0] = quote
    out[:, 1 : width + 1] = codes
    widths = (codes != PAD).sum(axis=1)
    out[np.arange(rows), widths + 1] = quote
    if present is not None and not present.all():
        absent = ~present
        out[absent] = PAD
        out[absent, :4] = np.frombuffer(b"null", dtype=np.uint8)
    return out


def _assemble(rows: int, *blocks: bytes | Matrix) -> memoryview:
    """Rows made of `blocks` side by side (constant bytes, or a matrix row each), with the
    padding dropped."""
    widths = [len(b) if isinstance(b, bytes) else b.shape[1] for b in blocks]
    out = np.empty((rows, sum(widths)), dtype=np.uint8)  # every column is written below
    at = 0
    for block, width in zip(blocks, widths, strict=True):
        if width:
            out[:, at : at + width] = (
                np.frombuffer(block, dtype=np.uint8) if isinstance(block, bytes) else block
            )
        at += width
    return drop_padding(out, PAD)


def _distinct(refs: Refs) -> tuple[npt.NDArray[np.intp], Refs]:
    """(position of each of `refs` among the distinct ones, the distinct ones ascending)."""
    ordered = np.sort(refs)
    distinct = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))] if refs.size \
        else ordered  # fmt: skip
    return np.searchsorted(distinct, refs), distinct


def _parents(view: StoreView, refs: Refs) -> Refs:
    """The container of each of `refs` (`NO_PARENT` for none, and for `NO_PARENT`)."""
    out = np.zeros(refs.size, dtype=np.uint64)
    for record, level, positions, indices in _groups(view, refs):
        out[positions] = view.values(PARENTS, record, level, indices)
    return out


def _code_rows(view: StoreView, refs: Refs, form: CodeForm) -> Matrix:
    """The code each of `refs` names, as a padded matrix; ``0`` for `NO_PARENT`."""
    rows, distinct = _distinct(refs)
    texts: list[Matrix] = []
    for record, level, _, indices in _groups(view, distinct):
        texts.append(code_matrix(view, record, level, indices, form=form))
    width = max([1, *(m.shape[1] for m in texts)])
    table = np.full((distinct.size, width), PAD, dtype=np.uint8)
    at = 0
    if distinct.size and distinct[0] == NO_PARENT:
        table[0, 0], at = ord("0"), 1
    for matrix in texts:  # the groups come in ascending order of reference, as `distinct`
        table[at : at + matrix.shape[0], : matrix.shape[1]] = matrix
        at += matrix.shape[0]
    return table[rows]


def _groups(view: StoreView, refs: Refs) -> Iterator[tuple[BatchRecord, Level, Any, Any]]:
    """(batch, level, positions, indices) for each batch level that `refs` (ascending) name,
    in ascending order; `NO_PARENT` entries are left out."""
    heads = refs >> np.uint64(32)
    for head in np.unique(heads[refs != NO_PARENT]).tolist():
        positions = np.flatnonzero(heads == head)
        record = view.batch_by_id(head >> 8)
        indices = (refs[positions] & np.uint64(0xFFFFFFFF)).astype(np.int64)
        yield record, Level(head & 0xFF), positions, indices

"""The shipping report (annex H): one row for each outermost code a shipment sent.

Columns, in the order of the annex: partner ID (ours), destination partner ID, packaging, the
2D barcode in the column of its level (primary, secondary, tertiary; ``0`` in the other two:
with aggregation only the outermost code is reported), NIE, expiry ``yyyy-mm-dd``, batch, GTIN
(empty when none). The header row is a site setting (`DEFAULT_HEADER` by default), as the form
of the codes is (HRI by default). The same facts as JSON objects, keyed as `KEYS` says, for the
API. A shipment names a few pallets or cases: rows are written with Python's csv module.

The rows come from the ``ship.send`` events of the shipment (`shipments.Shipment.events`), so a
shipment's report can be written again at any later time from the audit trail.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import ReportRefused
from jejak.engine.report.usage import UsageSettings
from jejak.engine.store import EventKind, StoreView

__all__ = ["DEFAULT_HEADER", "KEYS", "ShippingReport"]

KEYS = ("partner_id", "destination_id", "packaging", "primary_code", "secondary_code",
        "tertiary_code", "nie", "expiry", "batch", "gtin")  # fmt: skip
DEFAULT_HEADER = ("id_rekanan", "id_rekanan_tujuan", "kemasan", "kode_primer", "kode_sekunder",
                  "kode_tersier", "nie", "tanggal_kedaluwarsa", "nomor_bets", "gtin")  # fmt: skip
_LEVEL_KEY = {Level.PRIMARY: "primary_code", Level.SECONDARY: "secondary_code",
              Level.TERTIARY: "tertiary_code"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ShippingReport:
    """The rows of the shipments recorded by `events` (``ship.send`` event numbers)."""

    view: StoreView
    events: Sequence[int]
    settings: UsageSettings
    header: tuple[str, ...] = DEFAULT_HEADER

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as a dict keyed by `KEYS` (codes in the settings' form; ``None`` for a
        level column other than the code's and for no GTIN)."""
        for seq in self.events:
            event = next(self.view.events(start=seq), None)
            if event is None or event.seq != seq or event.what is not EventKind.SHIP_SEND:
                what = (
                    "no event"
                    if event is None or event.seq != seq
                    else (f"a {event.what.value!r} event")
                )
                raise ReportRefused(
                    f"Event {seq!r} is {what}, not a shipment. Hint: name the events "
                    "`jejak ship` printed."
                )
            record = self.view.batch(event.data["batch"])
            level = Level.parse(event.data["level"])
            product = self.view.product(record.nie)
            for index in self.view.event_indices(event).tolist():
                code = self.view.code(record, level, index)
                text = {CodeForm.HRI: code.hri, CodeForm.RAW: code.raw,
                        CodeForm.SERIAL: self.view.serial(record, level, index)}  # fmt: skip
                row: dict[str, Any] = dict.fromkeys(_LEVEL_KEY.values())
                row.update({"partner_id": self.settings.partner_id,
                            "destination_id": event.data["to"],
                            "packaging": product.packaging, _LEVEL_KEY[level]:
                            text[self.settings.form], "nie": record.nie,
                            "expiry": record.expiry.isoformat(), "batch": record.batch,
                            "gtin": product.gtin or None})  # fmt: skip
                yield {key: row[key] for key in KEYS}

    def csv(self) -> str:
        """The CSV: the header row, then the rows (``0`` in the other level columns)."""
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow(self.header)
        for row in self.rows():
            writer.writerow(["0" if row[k] is None and k in _LEVEL_KEY.values() else row[k] or ""
                             for k in KEYS])  # fmt: skip
        return out.getvalue()

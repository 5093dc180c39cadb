"""The reports `jejak demo` writes when its lines are done: the usage report as BPOM's CSV
template and as JSON, and the EPCIS 2.0 document, of every batch the demo ran, in the store's
``reports`` folder. Paths (or None when a report does not apply: an identification batch needs
no usage report) go in the demo's summary as ``"reports": {"csv", "json", "epcis"}``."""

from __future__ import annotations

import os
from pathlib import Path

from jejak.cli._files import written
from jejak.engine.outbox import site_epcis
from jejak.engine.report.epcis import write_epcis
from jejak.engine.report.usage import UsageReport, UsageSettings
from jejak.engine.store import Store

__all__ = ["DEMO_PARTNER_ID", "write_reports"]

DEMO_PARTNER_ID = "JEJAK-DEMO"  # the demo's TTAC partner ID ($JEJAK_PARTNER_ID overrides it)


def write_reports(store: Store, root: Path, batches: list[str]) -> dict[str, str | None]:
    """Write the demo's reports under ``root/reports``; their paths by kind. The EPCIS
    document has the site's settings (`engine.outbox.site_epcis`: times at WIB's +07:00
    unless the environment says otherwise), as the outbox's keys do."""
    folder = root / "reports"
    folder.mkdir(mode=0o700, exist_ok=True)
    stem = batches[0] if len(batches) == 1 else f"{batches[0]}-and-{len(batches) - 1}-more"
    partner = os.environ.get("JEJAK_PARTNER_ID") or DEMO_PARTNER_ID
    settings = UsageSettings.parse(partner_id=partner)
    paths: dict[str, str | None] = {"csv": None, "json": None, "epcis": None}
    with store.view() as view:
        records = [view.batch(batch) for batch in batches]
        if all(record.identification is None for record in records):
            report = UsageReport(view, records, settings)
            for kind in ("csv", "json"):
                path = folder / f"usage-{stem}.{kind}"
                with written(str(path), what="report file") as out:
                    if kind == "csv":
                        report.write_csv(out)
                    else:
                        report.write_json(out)
                paths[kind] = str(path)
            path = folder / f"epcis-{stem}.jsonld"
            with written(str(path), what="EPCIS document") as out:
                write_epcis(view, records, out, site_epcis())
            paths["epcis"] = str(path)
    return paths

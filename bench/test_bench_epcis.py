"""EPCIS 2.0 export: the streamed document of a 10 M-code batch, its speed and its memory,
against the json module dumping the whole document built in memory.

Target (issue 12, DESIGN §7): streamed, memory flat in batch size; codes/s reported. The batch:
``JEJAK_BENCH_EPCIS_CODES`` packs (10 M by default), verified in group commits of 64 Ki codes
(one ``codes.transition`` event each, as a line writes its verdicts in groups), packed into
cases of 100 on pallets of 60 through bulk links (`Aggregation.pack_many`, a million links an
event). Its document holds a commissioning ObjectEvent for every 10 000 codes and an
AggregationEvent for every case and pallet: about two URIs a pack, 150 bytes a pack.

- ``file``: the document to a file on disk, synced (``fsync``) at the end; ``nodisk``: to
  ``/dev/null``, what the export itself costs. Codes/s counts the batch's packs.
- memory: each export run again in a process of its own (the store opened there), to
  ``/dev/null``, under `tracemalloc` (numpy reports its buffers to it): the peak of what the
  export allocated, for the whole batch and for a small one (a tenth of it, at most 200 k
  packs: flat, about the same), with the process's peak RSS (which also counts the store's
  pages it mapped, and the interpreter's and libraries' own ~200 MiB).
- baseline: the same document made the plain way, for the small batch: every EPCIS event a dict
  built code by code from the store's own reads (``view.code``, `digital_link.code_uri`,
  `event_hash.event_id`), the whole document one object, written by ``json.dump``. Its
  events must equal ours (checked): it is an oracle too. Its peak memory is its process's
  peak RSS (tracemalloc would take minutes over its millions of small objects).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bench._batches import add_product, packed_batch
from bench._summary import write_summary
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import Level
from jejak.engine.report._epcis_render import event_time
from jejak.engine.report.digital_link import DigitalLinks
from jejak.engine.report.epcis import CONTEXT, EpcisSettings, write_epcis
from jejak.engine.report.event_hash import event_id
from jejak.engine.store import EventKind, Store, StoreView

CODES = int(os.environ.get("JEJAK_BENCH_EPCIS_CODES", "10000000"))
SMALL = max(min(CODES // 10, 200_000), 1_000)  # the baseline's size: 7 k codes/s
PER_CASE, PER_PALLET, GROUP = 100, 60, 1 << 16
SETTINGS = EpcisSettings()
CREATED = "2026-12-03T00:00:00.000Z"
ROOT = Path(__file__).resolve().parents[1]
_figures: dict[str, float] = {}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Path]]:
    """A store with batch E1 of CODES packs and the small batch E2 of SMALL packs."""
    path = tmp_path_factory.mktemp("epcis") / "store"
    store = Store(path, map_size=1 << 36)
    add_product(store)
    for batch, count in (("E1", CODES), ("E2", SMALL)):
        packed_batch(store, batch, count, per_case=PER_CASE, per_pallet=PER_PALLET, group=GROUP)
    _export(store, "E2", Path(os.devnull))  # compiles the serial kernels before any clock
    yield store, path
    store.close()


def _export(store: Store, batch: str, out_path: Path) -> int:
    """Our document of `batch` to `out_path`: how many bytes it has."""
    with store.view() as view, out_path.open("wb") as out:
        write_epcis(view, [view.batch(batch)], out, SETTINGS, created=CREATED)
        out.flush()
        if out_path != Path(os.devnull):
            os.fsync(out.fileno())
        return out.tell()


@pytest.mark.parametrize("how", ["nodisk", "file"])
def test_epcis_export(benchmark: BenchmarkFixture, stores: tuple[Store, Path], tmp_path: Path,
                      how: str) -> None:  # fmt: skip
    store, _ = stores
    out = Path(os.devnull) if how == "nodisk" else tmp_path / "epcis.jsonld"
    written = benchmark.pedantic(_export, args=(store, "E1", out), rounds=2 if how == "nodisk"
                                 else 1, iterations=1)  # fmt: skip
    if how == "file":
        assert written == out.stat().st_size > 100 * CODES
        out.unlink()
        _figures["bytes"] = written
    _record(benchmark, how, CODES)


# Memory, in processes of their own -------------------------------------------------------------


def measure(store_path: str, batch: str, how: str) -> None:
    """Run in a child process: one export of `batch` (ours, or the baseline) to /dev/null,
    ours under tracemalloc (the baseline's millions of small objects would take it minutes
    there: its peak is its RSS); print the traced peak (bytes), the process's peak RSS (KiB)
    and the time."""
    store = Store(Path(store_path), map_size=1 << 36)
    if how == "ours":
        tracemalloc.start()
    started = time.perf_counter()
    with store.view() as view, Path(os.devnull).open("wb") as out:
        record = view.batch(batch)
        if how == "ours":
            write_epcis(view, [record], out, SETTINGS, created=CREATED)
        else:
            out.write(json.dumps(plain_document(view, record)).encode())
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()  # (0, 0) when not tracing
    print(json.dumps({"peak": peak, "rss_kib": _peak_rss_kib(), "seconds": seconds}))
    store.close()


def _peak_rss_kib() -> int:
    """This process's peak RSS: the kernel's high-water mark of its memory map (``ru_maxrss``
    would report the parent's, inherited through the fork before the exec)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child(store_path: Path, batch: str, how: str) -> dict[str, float]:
    code = (f"from bench.test_bench_epcis import measure; "
            f"measure({str(store_path)!r}, {batch!r}, {how!r})")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=1800)  # fmt: skip
    found: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return found


def test_epcis_memory_is_flat_in_batch_size(benchmark: BenchmarkFixture,
                                            stores: tuple[Store, Path]) -> None:  # fmt: skip
    """Timed: the child process of the whole batch (start-up, store opening and tracemalloc's
    overhead included)."""
    _, path = stores
    big = benchmark.pedantic(_child, args=(path, "E1", "ours"), rounds=1, iterations=1)
    small, baseline = _child(path, "E2", "ours"), _child(path, "E2", "plain")
    for key, found in (("big", big), ("small", small), ("plain", baseline)):
        _figures[f"peak_{key}"], _figures[f"rss_{key}"] = found["peak"], found["rss_kib"] * 1024
    assert big["peak"] < 2 * small["peak"] + (64 << 20)  # flat, give or take a chunk


# The baseline ----------------------------------------------------------------------------------


def plain_document(view: StoreView, record: BatchRecord) -> dict[str, Any]:
    """The document of a batch built the plain way: each event a dict, code by code."""
    links = DigitalLinks()
    uri = {level: [links.code_uri(view.code(record, level, i))
                   for i in range(record.level(level).count)] for level in Level}  # fmt: skip
    events: list[dict[str, Any]] = []
    commissioned: dict[Level, set[int]] = {Level.SECONDARY: set(), Level.TERTIARY: set()}
    for event in view.events():
        if event.data.get("batch") == record.batch and event.what is EventKind.CODES_TRANSITION \
                and event.data["to"] == "Commissioned":  # fmt: skip
            codes = range(int(event.data["first"]), int(event.data["last"]) + 1)
            for start in range(0, len(codes), SETTINGS.chunk):
                chunk = sorted(uri[Level.PRIMARY][i] for i in codes[start : start + SETTINGS.chunk])
                events.append(_plain_event(event.time, "ObjectEvent", None, chunk))
        elif event.what is EventKind.AGG_PACK:
            events += _plain_packing(view, record, event, uri, commissioned)
    return {"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": CREATED, "epcisBody": {"eventList": events}}  # fmt: skip


def _plain_packing(view: StoreView, record: BatchRecord, event: Any, uri: dict[Level, list[str]],
                   commissioned: dict[Level, set[int]]) -> list[dict[str, Any]]:  # fmt: skip
    pairs = np.frombuffer(view.payload(event.seq) or b"", dtype=">u8").reshape(-1, 2)
    if not pairs.size or int(pairs[0, 1]) >> 40 != record.batch_id:
        return []
    held: dict[int, list[int]] = {}
    for child, parent in pairs.tolist():
        held.setdefault(parent, []).append(child)
    level = Level(int(pairs[0, 1]) >> 32 & 0xFF)
    fresh = sorted(p & 0xFFFFFFFF for p in held if p & 0xFFFFFFFF not in commissioned[level])
    commissioned[level].update(fresh)
    found = [_plain_event(event.time, "ObjectEvent", None, sorted(uri[level][i] for i in
                                                                  fresh[s : s + SETTINGS.chunk]))
             for s in range(0, len(fresh), SETTINGS.chunk)]  # fmt: skip
    below = Level(level - 1)
    for parent in sorted(held):
        kids = sorted(uri[below][c & 0xFFFFFFFF] for c in held[parent])
        found.append(_plain_event(event.time, "AggregationEvent", uri[level][parent & 0xFFFFFFFF],
                                  kids))  # fmt: skip
    return found


def _plain_event(time: str, kind: str, parent: str | None, codes: list[str]) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "eventTime": event_time(time),
                             "eventTimeZoneOffset": "+00:00", "eventID": ""}  # fmt: skip
    if parent is None:
        event.update({"epcList": codes, "action": "ADD", "bizStep": "commissioning",
                      "disposition": "active"})  # fmt: skip
    else:
        event.update({"parentID": parent, "childEPCs": codes, "action": "ADD",
                      "bizStep": "packing", "disposition": "in_progress"})  # fmt: skip
    event["eventID"] = event_id(event)
    return event


def test_epcis_json_baseline(benchmark: BenchmarkFixture, stores: tuple[Store, Path],
                             tmp_path: Path) -> None:  # fmt: skip
    store, _ = stores
    theirs = tmp_path / "plain.jsonld"

    def plain() -> None:
        with store.view() as view, theirs.open("w", encoding="utf-8") as out:
            json.dump(plain_document(view, view.batch("E2")), out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())

    benchmark.pedantic(plain, rounds=1, iterations=1)
    ours = tmp_path / "ours.jsonld"
    _figures["ours_small"] = _timed(lambda: _export(store, "E2", ours))
    assert json.loads(ours.read_bytes()) == json.loads(theirs.read_bytes())
    _record(benchmark, "plain", SMALL)


def _timed(job: Any) -> float:
    started = time.perf_counter()
    job()
    return time.perf_counter() - started


def _record(benchmark: BenchmarkFixture, name: str, codes: int) -> None:
    if benchmark.stats is not None:
        median = float(benchmark.stats.stats.median)
        _figures[name] = median
        benchmark.extra_info["codes_per_s"] = round(codes / median)


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if not _figures:
        return
    f, mib = _figures, 1 << 20
    lines = [f"EPCIS 2.0 export (medians; batch of {CODES:,} packs, small batch {SMALL:,}):"]
    for name, codes in (("nodisk", CODES), ("file", CODES), ("ours_small", SMALL),
                        ("plain", SMALL)):  # fmt: skip
        if name in f:
            lines.append(f"  {name:<11} {codes / f[name]:>12,.0f} codes/s   {f[name]:.2f} s")
    if "bytes" in f and "file" in f:
        rate = f["bytes"] / f["file"] / mib
        lines.append(f"  document    {f['bytes'] / mib:,.0f} MiB, {rate:,.0f} MiB/s to disk")
    if "plain" in f and "ours_small" in f:
        lines.append(f"  ratio       {f['plain'] / f['ours_small']:.1f}x (plain time / ours, "
                     "small batch)")  # fmt: skip
    for key, label in (("big", f"{CODES:,}"), ("small", f"{SMALL:,}"), ("plain", "plain")):
        if f"peak_{key}" in f:
            traced = f"{f[f'peak_{key}'] / mib:8,.0f} MiB" if f[f"peak_{key}"] else "       -    "
            lines.append(f"  peak memory {label:<11} traced {traced}   RSS "
                         f"{f[f'rss_{key}'] / mib:8,.0f} MiB")  # fmt: skip
    write_summary(request, lines)

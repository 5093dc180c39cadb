"""A store written by Jejak before the store kernel (schema 1) opens, migrates once, keeps working.

The fixture `tests/fixtures/schema1/` was written by the code of commit 8b9c69f (its `make.py`
says how): products keyed by GTIN and by NIE, self-issued, SSCC and BPOM-imported levels, a
print run with printed, failed and unknown outcomes, transitions, pre-generated symbols, a key
rotation, a closed batch. `expected.json` holds what that code read back from it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.engine.conftest import raw

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import StoreError, StoreUnavailable
from jejak.engine.listing import iter_code_lines
from jejak.engine.lookup import lookup
from jejak.engine.print_jobs import PrintLedger
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store, migrations
from jejak.engine.store import _layout as layout
from jejak.printers.pregen import load_symbols

FIXTURE = Path(__file__).parents[2] / "fixtures" / "schema1"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text())
FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A private copy of the schema-1 store (migrating changes it in place)."""
    path = tmp_path / "store"
    shutil.copytree(FIXTURE / "store", path)
    return path


def schema_of(path: Path) -> bytes:
    import lmdb

    env = lmdb.open(str(path), max_dbs=layout.MAX_DATABASES, readonly=True, lock=False)
    try:
        meta = env.open_db(b"meta", create=False)
        with env.begin() as txn:
            return bytes(txn.get(b"schema", db=meta))
    finally:
        env.close()


def test_the_fixture_is_schema_1(old_store: Path) -> None:
    assert schema_of(old_store) == b"1"


def test_opening_migrates_once_and_keeps_the_audit_chain(old_store: Path) -> None:
    with Store(old_store) as store:
        events = store.events()
        report = store.verify_audit()
    assert schema_of(old_store) == b"5"
    assert (report.ok, report.checked) == (True, EXPECTED["audit"]["checked"] + 4)
    old, migrated = events[:-4], events[-4:]
    assert old[-1].hash == EXPECTED["audit"]["last_hash"]  # the old events are untouched
    assert [(e.what, dict(e.data)) for e in migrated] == [
        ("store.migrate", {"from": 1, "to": 2}), ("store.migrate", {"from": 2, "to": 3}),
        ("store.migrate", {"from": 3, "to": 4}), ("store.migrate", {"from": 4, "to": 5}),
    ]  # fmt: skip
    assert (migrated[0].prev, migrated[1].prev) == (old[-1].hash, migrated[0].hash)
    with Store(old_store) as again:  # the second open finds schema 5: nothing to do
        assert len(again.events()) == len(events)


def test_batches_states_and_counters_survive(old_store: Path) -> None:
    with Store(old_store) as store:
        for name, facts in EXPECTED["batches"].items():
            record = store.batch(name)
            assert (record.batch_id, record.status.value, record.epoch) == (
                facts["batch_id"], facts["status"], facts["epoch"]
            )  # fmt: skip
            assert {a.level.name.lower(): [a.source.value, a.start, a.count]
                    for a in record.levels} == facts["levels"]  # fmt: skip
            counts = {lv.name.lower(): {s.label: n for s, n in states.items()}
                      for lv, states in store.counts(name).items()}  # fmt: skip
            assert counts == facts["counts"]
        gtin_scope, sscc_scope = b"01:08991234567891", b"00:38991234"
        assert [store.ranges.issued(gtin_scope, e) for e in (0, 1)] == EXPECTED["issued"][
            gtin_scope.decode()
        ]
        assert store.ranges.issued(sscc_scope, 0) == EXPECTED["issued"][sscc_scope.decode()]
        prints = PrintLedger(store, "G1", Level.PRIMARY).counts()
        assert {o.label: n for o, n in prints.items()} == EXPECTED["prints"]
    with Store(old_store) as store, raw(store) as (txn, dbs):
        assert txn.get(b"key_epoch", db=dbs["meta"]) is None  # derived from key:<n> now


def test_every_sampled_code_looks_up_with_a_complete_history(old_store: Path) -> None:
    with Store(old_store) as store:
        for code in EXPECTED["codes"]:
            info = lookup(store, code["raw"])
            assert (info.batch.batch, info.level.name.lower(), info.index) == (
                code["batch"], code["level"], code["index"]
            )  # fmt: skip
            assert (info.code.hri, info.state.label) == (code["hri"], code["state"])
            history = [e.what for e in info.history]
            # Everything the old lookup listed is still there, in order, but for the import of
            # BPX00001-2 (codes 60-61 of N1): the old lookup listed it for every code of the
            # batch, the index only for the codes it imported ...
            imported = (code["batch"], code["level"]) == ("N1", "primary") and code["index"] >= 60
            old = [w for w in code["history"] if w != "codes.import" or imported]
            assert [w for w in history if w in old] == old
            # ... and now the print events too (make.py: coder-1 took 0-199, printed 0-179,
            # failed 180-189, and the restart left 190-199 unknown).
            if (code["batch"], code["level"]) == ("G1", "primary") and code["index"] < 200:
                outcome = ["print.printed", "print.failed", "print.recover"][
                    (code["index"] >= 180) + (code["index"] >= 190)
                ]
                assert history[1:3] == ["print.sent", outcome], history


def test_the_printed_commissioned_code_history_lists_its_print_events(old_store: Path) -> None:
    with Store(old_store) as store:
        code = next(c for c in EXPECTED["codes"] if (c["batch"], c["index"]) == ("G1", 0))
        info = lookup(store, code["raw"])
    assert info.state is CodeState.COMMISSIONED
    assert [(e.what, e.data.get("printer"), e.data.get("to")) for e in info.history] == [
        ("batch.open", None, None),
        ("print.sent", "coder-1", None),
        ("print.printed", "coder-1", None),
        ("codes.transition", None, "Commissioned"),
    ]


def test_the_migrated_store_keeps_working(old_store: Path) -> None:
    with Store(old_store) as store:
        symbols = load_symbols(store, "G1", Level.SECONDARY, np.arange(84, dtype=np.int64))
        assert len(symbols) == 84  # pre-generated pages are kept
        before = {line for level in Level
                  for line in b"".join(iter_code_lines(store, "G2", level)).split()}  # fmt: skip
        request = CodeRequest.parse(nie="DKL1234567890A1", batch="G3", expiry="2028-10-31",
                                    primary_count=500, max_per_secondary=12,
                                    max_per_tertiary=40)  # fmt: skip
        record = store.open_batch(request, serial_format=FORMAT, actor="qa")
        assert (record.epoch, record.level(Level.PRIMARY).start) == (1, 326)  # after G2
        new = {line for level in Level
               for line in b"".join(iter_code_lines(store, "G3", level)).split()}  # fmt: skip
        assert len(new) == 500 + 42 + 2
        assert not new & before
        store.transition("G1", Level.PRIMARY, np.array([150, 151]), CodeState.COMMISSIONED,
                         actor="line")  # fmt: skip
        store.import_codes("N1", Level.PRIMARY, [b"BPX00003"], actor="qa")
        assert lookup(store, "BPX00003").index == 62
        store.rotate_key(actor="qa")
        assert store.open_batch(request.__class__.parse(
            nie="DKL1234567890A1", batch="G4", expiry="2028-10-31", primary_count=10,
            max_per_secondary=12, max_per_tertiary=40,
        ), serial_format=FORMAT, actor="qa").epoch == 2  # fmt: skip
        report = store.close_batch("G1", actor="qa")
        assert report["levels"]["primary"]["after"]["Commissioned"] == 149
        assert store.verify_audit().ok


def test_a_failed_migration_changes_nothing(
    old_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = migrations._MIGRATIONS[1]

    def half(txn: Any, dbs: dict[str, Any]) -> None:
        real(txn, dbs)
        raise OSError("disk gone")

    monkeypatch.setitem(migrations._MIGRATIONS, 1, half)
    with pytest.raises(StoreUnavailable, match=r"Cannot open the store '.*': disk gone; "):
        Store(old_store)
    assert schema_of(old_store) == b"1"
    monkeypatch.setitem(migrations._MIGRATIONS, 1, real)
    with Store(old_store) as store:
        assert store.verify_audit().checked == EXPECTED["audit"]["checked"] + 4


def test_a_newer_schema_is_refused_unchanged(tmp_path: Path) -> None:
    Store(tmp_path / "s").close()
    with Store(tmp_path / "s") as store, raw(store) as (txn, dbs):
        txn.put(b"schema", b"6", db=dbs["meta"])
    with pytest.raises(StoreError, match=r"has schema '6': expected 5 or older\. Hint: it was "):
        Store(tmp_path / "s")
    assert schema_of(tmp_path / "s") == b"6"

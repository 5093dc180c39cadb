"""The usage report: every decided printed primary code exactly once, with its case and pallet,
its facts and exactly one flag TRUE; the vectorised CSV byte for byte what Python's csv writer
writes from the store code by code; the JSON the same facts; the settings and refusals."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pytest
from tests.engine.aggregation.test_operations import open_printed, ref, refs

from jejak.engine.aggregation import Aggregation
from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import CodeForm, CodeState, Level
from jejak.engine.errors import InvalidFormat, ReportRefused
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.report.usage import (
    DEFAULT_HEADER,
    FIELDS,
    STATUS_OF,
    UsageCounts,
    UsageReport,
    UsageSettings,
    UsageStatus,
)
from jejak.engine.store import CodeRef, Store
from jejak.testing import FORMAT, GTIN, NIE, make_request

A = CodeState
P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
SETTINGS = UsageSettings.parse(partner_id="P-0001")
FLAG = {True: "TRUE", False: "FALSE"}


@pytest.fixture
def plant(store: Store) -> BatchRecord:
    """B1, 60 packs: 0-49 verified, 50-54 rejected, 55-59 printed and not yet verified; cases
    0 and 1 (packs 0-23) on pallet 0, case 2 (packs 24-29) on none; pack 30 a retained sample,
    pack 31 destroyed, pack 32 decommissioned."""
    record = open_printed(store, "B1", 60, packs=50, cases=3, pallets=1)
    agg = Aggregation(store, actor="qa")
    agg.pack(ref(record, S, 0), refs(record, P, range(12)))
    agg.pack(ref(record, S, 1), refs(record, P, range(12, 24)))
    agg.pack(ref(record, S, 2), refs(record, P, range(24, 30)))
    agg.pack(ref(record, T, 0), refs(record, S, range(2)))
    agg.sample([ref(record, P, 30)])
    store.transition("B1", P, np.array([31]), A.DESTROYED, actor="qa")
    store.transition("B1", P, np.array([32]), A.INACTIVE, actor="qa")
    store.transition("B1", P, np.arange(50, 55), A.LABEL_SCRAPPED, actor="qa")
    return record


def expected_rows(store: Store, record: BatchRecord, form: CodeForm = CodeForm.HRI,
                  partner: str = "P-0001") -> list[list[str]]:  # fmt: skip
    """The report as a person would make it: code by code, from the store's own reads."""
    rows = []
    with store.view() as view:
        product = view.product(record.nie)
        for index in range(record.level(P).count):
            status = STATUS_OF.get(view.state_of(record, P, index))
            if status is None:
                continue
            case = view.parent_of(CodeRef(record.batch_id, P, index))
            pallet = None if case is None else view.parent_of(case)
            rows.append([partner, product.packaging, text(view, record, P, index, form),
                         name(view, case, form), name(view, pallet, form), record.nie,
                         record.expiry.isoformat(), record.batch, product.gtin or "",
                         *(FLAG[status is s] for s in UsageStatus)])  # fmt: skip
    return rows


def text(view: Any, record: BatchRecord, level: Level, index: int, form: CodeForm) -> str:
    if form is CodeForm.SERIAL:
        return str(view.serial(record, level, index))
    code = view.code(record, level, index)
    return str(code.hri if form is CodeForm.HRI else code.raw)


def name(view: Any, code: CodeRef | None, form: CodeForm) -> str:
    if code is None:
        return "0"
    return text(view, view.batch_by_id(code.batch_id), code.level, code.index, form)


def write(store: Store, batches: list[str], how: str = "csv",
          settings: UsageSettings = SETTINGS) -> tuple[bytes, UsageCounts]:  # fmt: skip
    out = io.BytesIO()
    with store.view() as view:
        report = UsageReport(view, [view.batch(b) for b in batches], settings)
        counts = report.write_csv(out) if how == "csv" else report.write_json(out)
    return out.getvalue(), counts


def python_csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


# CSV ------------------------------------------------------------------------------------------


def test_the_csv_is_what_pythons_csv_writes_from_the_store_code_by_code(
    store: Store, plant: BatchRecord
) -> None:
    data, counts = write(store, ["B1"])
    rows = expected_rows(store, plant)
    assert data == python_csv(DEFAULT_HEADER, rows)
    assert counts == UsageCounts(active=47, retained_sample=1, reject=7)
    assert counts.rows == len(rows) == 55


def test_every_decided_printed_code_once_one_flag_and_no_case_unless_active(
    store: Store, plant: BatchRecord
) -> None:
    data, _ = write(store, ["B1"])
    table = list(csv.DictReader(io.StringIO(data.decode())))
    assert list(table[0]) == list(DEFAULT_HEADER)
    with store.view() as view:
        printed = [view.code(plant, P, i).hri for i in range(55)]  # index order, none twice
    assert [r["kode_primer"] for r in table] == printed
    for row in table:
        flags = [row["aktif"], row["retained_sample"], row["reject"]]
        assert sorted(flags) == ["FALSE", "FALSE", "TRUE"]
        if row["aktif"] == "FALSE":
            assert (row["kode_sekunder"], row["kode_tersier"]) == ("0", "0")
        assert row["tanggal_kedaluwarsa"] == "2028-10-31"
        assert (row["nie"], row["nomor_bets"], row["gtin"]) == (NIE, "B1", GTIN)
    in_cases = [r for r in table if r["kode_sekunder"] != "0"]
    assert len(in_cases) == 30
    assert sum(r["kode_tersier"] != "0" for r in in_cases) == 24


@pytest.mark.parametrize("form", list(CodeForm))
def test_each_code_form_in_the_code_columns(
    store: Store, plant: BatchRecord, form: CodeForm
) -> None:
    settings = UsageSettings.parse(partner_id="P-0001", form=form.value)
    data, _ = write(store, ["B1"], settings=settings)
    assert data == python_csv(DEFAULT_HEADER, expected_rows(store, plant, form))


def test_a_site_header_and_a_partner_that_csv_must_quote(store: Store, plant: BatchRecord) -> None:
    header = ",".join(f"c{n}" for n in range(12))
    settings = UsageSettings.parse(partner_id='P "1", Jakarta', header=header)
    data, _ = write(store, ["B1"], settings=settings)
    rows = expected_rows(store, plant, partner='P "1", Jakarta')
    assert data == python_csv(tuple(header.split(",")), rows)


def test_bpom_codes_of_any_length_and_codes_that_csv_must_quote(store: Store) -> None:
    serials = [b"A1", b"BPOM12345678", b'Q"7,', b"XYZ"]
    store.open_batch(make_request("N1", 4), serial_format=FORMAT, imported=serials, actor="qa")
    store.transition("N1", P, None, A.ENCODED, actor="qa")
    store.transition("N1", P, np.array([0, 1, 2]), A.COMMISSIONED, actor="qa")
    store.transition("N1", P, np.array([3]), A.LABEL_SCRAPPED, actor="qa")
    data, counts = write(store, ["N1"])
    record = store.batch("N1")
    assert data == python_csv(DEFAULT_HEADER, expected_rows(store, record))
    assert [r[2][-len(s):] for r, s in zip(csv.reader(io.StringIO(data.decode())),
                                           [b"", *serials], strict=False)][1:] == [
        s.decode() for s in serials]  # fmt: skip
    assert counts.rows == 4


def test_many_pages_and_two_batches_in_one_report(store: Store) -> None:
    big = open_printed(store, "B1", 70_000, packs=69_000)
    Aggregation(store, actor="qa").pack_many(
        np.arange(65_530, 65_542, dtype=np.uint64) | np.uint64(big.batch_id << 40 | P << 32),
        np.full(12, big.batch_id << 40 | S << 32 | 7, dtype=np.uint64))  # fmt: skip
    small = open_printed(store, "B2", 30)
    data, counts = write(store, ["B1", "B2"])
    rows = expected_rows(store, big) + expected_rows(store, small)
    assert data == python_csv(DEFAULT_HEADER, rows)
    assert counts.rows == 69_030


def test_a_case_on_another_batchs_pallet_names_that_pallet(store: Store) -> None:
    one = open_printed(store, "B1", 12)
    two = open_printed(store, "B2", 12)
    agg = Aggregation(store, actor="qa", mixed_pallets=True)
    agg.pack(ref(one, S, 0), refs(one, P, range(12)))
    agg.pack(ref(two, T, 0), [ref(one, S, 0)])
    data, _ = write(store, ["B1"])
    assert data == python_csv(DEFAULT_HEADER, expected_rows(store, one))
    with store.view() as view:
        assert view.code(two, T, 0).hri in data.decode()


# JSON -----------------------------------------------------------------------------------------


def json_rows(rows: list[list[str]]) -> list[dict[str, Any]]:
    keys = [field.key for field in FIELDS]
    out = []
    for row in rows:
        item: dict[str, Any] = dict(zip(keys, row, strict=True))
        for key in ("secondary_code", "tertiary_code", "gtin"):
            item[key] = None if item[key] in ("0", "") else item[key]
        for key in ("active", "retained_sample", "reject"):
            item[key] = item[key] == "TRUE"
        out.append(item)
    return out


@pytest.mark.parametrize("form", list(CodeForm))
def test_the_json_holds_the_same_facts(store: Store, plant: BatchRecord, form: CodeForm) -> None:
    settings = UsageSettings.parse(partner_id="P-0001", form=form.value)
    data, counts = write(store, ["B1"], "json", settings)
    document = json.loads(data)
    assert document["rows"] == json_rows(expected_rows(store, plant, form))
    totals = {"rows": 55, "active": 47, "retained_sample": 1, "reject": 7}
    assert document["counts"] == counts.as_json() == totals
    assert (document["batch"], document["nie"], document["gtin"]) == ("B1", NIE, GTIN)
    assert document["report"] == "usage"
    assert document["batches"] == ["B1"]


def test_the_json_of_a_product_without_gtin_and_of_no_rows(store: Store) -> None:
    store.add_product(Product.parse(nie="DKL9876543210A1", name="X", packaging="Botol"),
                      actor="qa")  # fmt: skip
    store.open_batch(make_request("N1", 5, nie="DKL9876543210A1"), serial_format=FORMAT,
                     actor="qa")  # fmt: skip
    data, counts = write(store, ["N1"], "json")
    assert json.loads(data)["rows"] == []
    assert counts.rows == 0
    store.transition("N1", P, None, A.ENCODED, actor="qa")
    store.transition("N1", P, None, A.COMMISSIONED, actor="qa")
    data, _ = write(store, ["N1"], "json")
    document = json.loads(data)
    assert document["gtin"] is None
    assert {r["gtin"] for r in document["rows"]} == {None}
    assert all(r["primary_code"].startswith("(90)DKL9876543210A1") for r in document["rows"])


# Settings and refusals -------------------------------------------------------------------------

BAD_SETTINGS: list[tuple[dict[str, Any], str]] = [
    ({"partner_id": None}, r"^Invalid partner ID None: expected the ID TTAC gave"),
    ({"partner_id": "  "}, r"^Invalid partner ID '  ': expected the ID TTAC gave"),
    ({"partner_id": "P\n1"}, r"^Invalid partner ID 'P\\n1': expected .* Hint: pass --partner"),
    ({"partner_id": "P" * 65}, r"^Invalid partner ID 'P{65}': expected"),
    ({"partner_id": "P", "form": "qr"}, r"^Invalid code form 'qr': expected one of hri, raw, "),
    (
        {"partner_id": "P", "header": "a,b,c"},
        (
            r"^Invalid usage-report header 'a,b,c': expected "
            r"12 distinct column names"
        ),
    ),
    ({"partner_id": "P", "header": ",".join("a" * 12)}, r"^Invalid usage-report header"),
    ({"partner_id": "P", "header": ",".join(["a"] * 11 + [""])}, r"Hint: give the 12 names"),
    ({"partner_id": "P", "header": 12}, r"^Invalid usage-report header 12: expected"),
]


@pytest.mark.parametrize(("given", "message"), BAD_SETTINGS)
def test_bad_settings_name_the_value_and_what_was_expected(
    given: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidFormat, match=message):
        UsageSettings.parse(**given)


def test_settings_defaults_and_a_header_given_as_names() -> None:
    settings = UsageSettings.parse(partner_id=" P-1 ")
    assert (settings.partner_id, settings.form, settings.header) == ("P-1", CodeForm.HRI,
                                                                     DEFAULT_HEADER)  # fmt: skip
    names = tuple(f"k{n}" for n in range(12))
    assert UsageSettings.parse(partner_id="P", header=list(names)).header == names


def test_an_identification_batch_needs_no_usage_report(store: Store) -> None:
    store.add_product(Product.parse(nie="DBL2012345678A1", name="P", packaging="Dus"),
                      actor="qa")  # fmt: skip
    store.open_identification(nie="DBL2012345678A1", batch="I1", packs=5,
                              validity=Gs1Date.parse_iso("2027-12-31"),
                              expiry=Gs1Date.parse_iso("2028-06-30"), actor="qa")  # fmt: skip
    with pytest.raises(
        ReportRefused,
        match=r"^Batch 'I1' is an identification batch: "
        r"identification products need no code request and no usage report",
    ):
        write(store, ["I1"])


def test_the_statuses_are_a_closed_table_of_printed_states() -> None:
    printed = {A.COMMISSIONED, A.RELEASED, A.SAMPLED, A.LABEL_SCRAPPED, A.INACTIVE, A.DESTROYED}
    assert set(STATUS_OF) == printed
    assert {STATUS_OF[A.COMMISSIONED], STATUS_OF[A.RELEASED]} == {UsageStatus.ACTIVE}
    assert STATUS_OF[A.SAMPLED] is UsageStatus.RETAINED_SAMPLE

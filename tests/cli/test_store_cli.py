"""The store commands of issue 3, driven through the real CLI against a real LMDB store.

`product add|list`, `batch open|show|close`, `codes import|list|lookup|mark`, `audit verify` and
`keys rotate`, each with `--store DIR` in a temporary folder (one test uses ``$JEJAK_STORE``).
Output is captured as bytes: `codes list` writes to ``sys.stdout.buffer``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import lmdb
import pytest

from jejak.cli.main import main
from jejak.engine.store import _layout as layout

NIE = "DKL1234567890A1"  # obat keras: authentication
GTIN = "08991234567891"
NIE_OTC = "DTL1234567890A1"  # obat bebas terbatas: identification unless raised (Art. 3(4))
EXPIRY = "2030-01-31"
YYMMDD = "300131"
GS = "\x1d"
SCOPE = f"01:{GTIN}"
SELF_SERIAL = re.compile(r"[2-9A-HJ-NP-Z]{12}")  # upper_no_lookalikes, length 12 (the default)


@dataclass(frozen=True)
class Result:
    code: int
    stdout: bytes
    err: str

    @property
    def out(self) -> str:
        return self.stdout.decode()

    def json(self) -> Any:
        return json.loads(self.stdout)

    def lines(self) -> list[str]:
        """Output lines. `bytes.splitlines` splits at LF and CR only, not at GS."""
        return [line.decode() for line in self.stdout.splitlines()]


Jejak = Callable[..., Result]


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def jejak(capsysbinary: pytest.CaptureFixture[bytes], store_dir: Path) -> Jejak:
    """`main([...])` in-process with ``--store DIR --actor qa`` appended."""

    def _run(*argv: str) -> Result:
        code = main([*argv, "--store", str(store_dir), "--actor", "qa"])
        captured = capsysbinary.readouterr()
        return Result(code, captured.out, captured.err.decode())

    return _run


def ok(result: Result) -> Result:
    assert (result.code, result.err) == (0, ""), result.err
    return result


def error_of(result: Result) -> str:
    """The one error message on stderr, without the ``jejak: error:`` prefix."""
    assert result.out == ""
    assert result.err.startswith("jejak: error: "), result.err
    return result.err.removeprefix("jejak: error: ")


@pytest.fixture
def product(jejak: Jejak) -> None:
    ok(jejak("product", "add", "--nie", NIE, "--name", "Amoxicillin 500 mg",
             "--packaging", "Dus, 10 strip @ 10 kapsul", "--gtin", "8991234567891"))  # fmt: skip


def open_batch(
    jejak: Jejak, batch: str = "B1", quantity: int = 120, *extra: str, nie: str = NIE
) -> Result:
    return jejak(
        "batch", "open", "--nie", nie, "--batch", batch, "--expiry", EXPIRY,
        "--quantity", str(quantity), "--per-secondary", "12", "--per-tertiary", "4", *extra,
    )  # fmt: skip


def write_file(path: Path, text: str, encoding: str = "utf-8") -> str:
    path.write_bytes(text.encode(encoding))
    return str(path)


def serials(jejak: Jejak, batch: str, *extra: str) -> list[str]:
    return ok(jejak("codes", "list", "--batch", batch, "--form", "serial", *extra)).lines()


def hri(batch: str, serial: str) -> str:
    return f"(01){GTIN}(10){batch}(17){YYMMDD}(21){serial}"


def raw(batch: str, serial: str) -> str:
    return f"01{GTIN}17{YYMMDD}10{batch}{GS}21{serial}"


def events_checked(jejak: Jejak) -> int:
    report = ok(jejak("audit", "verify", "--json")).json()
    assert report["ok"] is True
    checked: int = report["checked"]
    return checked


def snapshot(jejak: Jejak, *batches: str) -> tuple[object, ...]:
    """What a refused command must leave alone: the audit chain, batches and their codes."""
    shown = []
    for batch in batches:
        result = jejak("batch", "show", batch, "--json")
        listed = jejak("codes", "list", "--batch", batch, "--form", "serial")
        shown.append((result.code, result.stdout, result.err, listed.stdout))
    products = ok(jejak("product", "list", "--json")).json()
    return events_checked(jejak), products, shown


# Products ----------------------------------------------------------------------------------


def test_product_add_text(jejak: Jejak) -> None:
    result = ok(jejak("product", "add", "--nie", "dkl 1234567890 a1", "--name", "Amoxicillin",
                      "--packaging", "Dus"))  # fmt: skip
    assert result.out == f"added {NIE} 'Amoxicillin' (authentication)\n"


def test_product_add_json_with_a_raised_method(jejak: Jejak) -> None:
    result = ok(jejak("product", "add", "--nie", NIE_OTC, "--name", "Paracetamol 500 mg",
                      "--packaging", "Strip", "--dosage-form", "Tablet", "--method",
                      "authentication", "--reason", "Listed by BPOM decree", "--json"))  # fmt: skip
    assert result.json() == {
        "nie": NIE_OTC,
        "name": "Paracetamol 500 mg",
        "packaging": "Strip",
        "gtin": None,
        "dosage_form": "Tablet",
        "category": "drug",
        "method": "authentication",
        "method_reason": "Listed by BPOM decree",
    }


@pytest.mark.usefixtures("product")
def test_product_add_duplicate_nie_is_refused(jejak: Jejak) -> None:
    before = snapshot(jejak)
    result = jejak("product", "add", "--nie", NIE, "--name", "Other", "--packaging", "Box")
    assert result.code == 1  # refused by the store (the NIE is well-formed)
    assert error_of(result) == (
        f"Product with NIE {NIE!r} already exists. Hint: list products with `jejak product "
        "list`; an NIE is registered once.\n"
    )
    assert snapshot(jejak) == before


def test_product_add_method_without_reason_is_refused(jejak: Jejak, store_dir: Path) -> None:
    result = jejak("product", "add", "--nie", NIE_OTC, "--name", "Paracetamol",
                   "--packaging", "Strip", "--method", "authentication")  # fmt: skip
    assert result.code == 2
    assert error_of(result).startswith(
        f"Invalid method override 'authentication' for NIE {NIE_OTC!r}: expected a non-blank "
        "reason with the override, got None. Hint: cite the BPOM decision"
    )
    assert ok(jejak("product", "list", "--json")).json() == []
    assert events_checked(jejak) == 0


def test_product_list(jejak: Jejak) -> None:
    assert ok(jejak("product", "list", "--json")).json() == []
    ok(jejak("product", "add", "--nie", NIE_OTC, "--name", "Paracetamol", "--packaging", "Strip"))
    ok(jejak("product", "add", "--nie", NIE, "--name", "Amoxicillin", "--packaging", "Dus",
             "--gtin", GTIN))  # fmt: skip
    assert ok(jejak("product", "list", "--json")).json() == [
        {"nie": NIE, "name": "Amoxicillin", "packaging": "Dus", "gtin": GTIN,
         "dosage_form": None, "category": "drug", "method": "authentication",
         "method_reason": None},
        {"nie": NIE_OTC, "name": "Paracetamol", "packaging": "Strip", "gtin": None,
         "dosage_form": None, "category": "drug", "method": "identification",
         "method_reason": None},
    ]  # fmt: skip
    assert ok(jejak("product", "list")).lines() == [
        f"{NIE}  {GTIN} authentication Amoxicillin",
        f"{NIE_OTC}  -              identification Paracetamol",
    ]


def test_store_directory_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_store = tmp_path / "from-env"
    monkeypatch.setenv("JEJAK_STORE", str(env_store))
    monkeypatch.chdir(tmp_path)
    argv = ["product", "add", "--nie", NIE, "--name", "Amoxicillin", "--packaging", "Dus"]
    assert main(argv) == 0
    assert main(["product", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out[out.index("[") :])[0]["nie"] == NIE
    assert (env_store / "data.mdb").is_file()
    assert not (tmp_path / ".jejak").exists()
    # --store still wins over the environment.
    assert main(["product", "list", "--json", "--store", str(tmp_path / "other")]) == 0
    assert json.loads(capsys.readouterr().out) == []


# Batches -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("product")
def test_batch_open_json_is_batch_show_json(jejak: Jejak) -> None:
    opened = ok(open_batch(jejak, "B1", 120, "--json")).json()
    shown = ok(jejak("batch", "show", "B1", "--json")).json()
    assert opened == shown
    assert {k: shown[k] for k in ("batch", "nie", "gtin", "expiry", "status", "levels")} == {
        "batch": "B1",
        "nie": NIE,
        "gtin": GTIN,
        "expiry": EXPIRY,
        "status": "open",
        "levels": shown["levels"],
    }
    required = {
        name: {"allocated": level["allocated"], "states": level["states"]}
        for name, level in shown["levels"].items()
    }
    assert required == {
        "primary": {"allocated": 120, "states": {"Allocated": 120}},
        "secondary": {"allocated": 10, "states": {"Allocated": 10}},  # ceil(120 / 12)
        "tertiary": {"allocated": 3, "states": {"Allocated": 3}},  # ceil(10 / 4)
    }
    assert list(shown["levels"]) == ["primary", "secondary", "tertiary"]
    assert {level["source"] for level in shown["levels"].values()} == {"self"}


@pytest.mark.usefixtures("product")
def test_batch_open_and_show_text(jejak: Jejak) -> None:
    opened = ok(open_batch(jejak, "B1", 1200))
    assert opened.lines() == [
        f"batch B1  NIE {NIE}  GTIN {GTIN}  expiry {EXPIRY}  open",
        "  primary          1,200  self  Allocated 1,200",
        "  secondary          100  self  Allocated 100",
        "  tertiary            25  self  Allocated 25",
    ]
    assert ok(jejak("batch", "show", "B1")).out == opened.out


def test_batch_show_unknown_batch(jejak: Jejak) -> None:
    result = jejak("batch", "show", "B9", "--json")
    assert result.code == 1
    assert error_of(result).startswith("Unknown batch 'B9'. Hint:")


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["--nie", "DKL1234567890A2", "--batch", "B2"], 1,
            ("Unknown NIE 'DKL1234567890A2': expected a product of the master. Hint: add it "
             "first with `jejak product add --nie ...`."),
        ),
        (
            ["--nie", NIE, "--batch", "B1"], 1,
            ("Batch 'B1' already exists. Hint: batch numbers are unique in a store; see it "
             "with `jejak batch show`."),
        ),
        (
            ["--nie", NIE, "--batch", "B2", "--gtin", "09506000134352"], 2,
            (f"Invalid GTIN '09506000134352' for NIE {NIE!r}: expected the product's GTIN "
             f"{GTIN!r}."),
        ),
        (
            ["--nie", NIE, "--batch", "B2", "--overage", "101"], 2,
            "Invalid overage '101': expected a percentage from 0 to 100.",
        ),
        (
            ["--nie", NIE, "--batch", "B 2"], 2,
            "Invalid (10) batch 'B 2': expected only GS1 CSET 82 characters",
        ),
    ],
)  # fmt: skip
def test_batch_open_refusals_change_nothing(
    jejak: Jejak, argv: list[str], code: int, message: str
) -> None:
    ok(open_batch(jejak, "B1", 50))
    before = snapshot(jejak, "B1", "B2")
    result = jejak("batch", "open", *argv, "--expiry", EXPIRY, "--quantity", "70",
                   "--per-secondary", "12", "--per-tertiary", "4")  # fmt: skip
    assert result.code == code
    assert error_of(result).startswith(message)
    assert snapshot(jejak, "B1", "B2") == before
    assert jejak("batch", "show", "B2").code == 1


def _with_overage(count: int, pct: str) -> int:
    return math.ceil(count * (1 + Fraction(pct) / 100))


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("quantity", "overage", "expected"),
    [
        (1000, "5", (1050, 89, 23)),  # ceil(84 * 1.05) secondaries, ceil(21 * 1.05) tertiaries
        (1000, "0", (1000, 84, 21)),
        (100, "10", (110, 10, 4)),  # 100 codes and 10 percent more are 110, not 111
        (200, "10", (220, 19, 6)),
    ],
)
def test_batch_open_overage(
    jejak: Jejak, quantity: int, overage: str, expected: tuple[int, int, int]
) -> None:
    secondary = -(-quantity // 12)
    assert expected == (
        _with_overage(quantity, overage),
        _with_overage(secondary, overage),
        _with_overage(-(-secondary // 4), overage),
    )
    shown = ok(open_batch(jejak, "B1", quantity, "--overage", overage, "--json")).json()
    counts = tuple(shown["levels"][name]["allocated"] for name in ("primary", "secondary",
                                                                   "tertiary"))  # fmt: skip
    assert counts == expected
    assert [len(serials(jejak, "B1", "--level", name))
            for name in ("primary", "secondary", "tertiary")] == list(expected)  # fmt: skip


# BPOM-issued codes -------------------------------------------------------------------------

CODES = ["BP0001", "BP0002", "BP0003", "BP0004"]


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("BP0001\nBP0002\nBP0003\nBP0004\n", "utf-8"),
        ("BP0001\r\nBP0002\r\n\r\nBP0003\r\nBP0004", "utf-8"),
        ("no,kode,status\n1,BP0001,new\n2,BP0002,new\n3,BP0003,new\n4,BP0004,new\n", "utf-8"),
        ("no,kode,status\n1,BP0001,new\n2,BP0002,new\n3,BP0003,new\n4,BP0004,new\n", "utf-8-sig"),
        ("No;Kode\n1;BP0001\n2;BP0002\n3;BP0003\n4;BP0004\n", "utf-8-sig"),
        (f"{hri('B2', 'BP0001')}\n{hri('B2', 'BP0002')}\nBP0003\n(21)BP0004\n", "utf-8"),
        (f"{raw('B2', 'BP0001')}\n]d2{raw('B2', 'BP0002')}\nBP0003\nBP0004\n", "utf-8"),
    ],
    ids=["lines", "crlf-blank", "csv-kode", "csv-kode-bom", "semicolon-bom", "hri", "raw"],
)
def test_batch_open_codes_from_file(jejak: Jejak, tmp_path: Path, text: str, encoding: str) -> None:
    path = write_file(tmp_path / "bpom.csv", text, encoding)
    shown = ok(open_batch(jejak, "B2", 4, "--codes-from", path, "--json")).json()
    assert shown["levels"]["primary"] == {
        "allocated": 4, "source": "bpom", "states": {"Allocated": 4}
    }  # fmt: skip
    assert shown["levels"]["secondary"]["source"] == shown["levels"]["tertiary"]["source"] == "self"
    assert serials(jejak, "B2") == CODES
    assert ok(jejak("codes", "list", "--batch", "B2")).lines() == [hri("B2", c) for c in CODES]


@pytest.mark.usefixtures("product")
def test_batch_open_codes_from_takes_the_file_count(jejak: Jejak, tmp_path: Path) -> None:
    """BPOM issued what it issued: the primary count is the file's, not --quantity."""
    path = write_file(tmp_path / "bpom.txt", "\n".join(CODES[:3]))
    shown = ok(open_batch(jejak, "B2", 100, "--codes-from", path, "--json")).json()
    assert shown["levels"]["primary"]["allocated"] == 3
    assert shown["levels"]["secondary"]["allocated"] == 9  # from the request: ceil(100 / 12)


@pytest.mark.usefixtures("product")
def test_batch_open_refuses_a_bad_file_with_every_line_number(jejak: Jejak, tmp_path: Path) -> None:
    lines = [
        "BP0001",  # 1
        "",  # 2 blank: skipped, not counted
        "BP 0002",  # 3 a space inside
        "BP0003",  # 4
        "BP0001",  # 5 duplicate of line 1
        hri("B7", "BP0004"),  # 6 a code of batch B7
        hri("B2", "BP0005"),  # 7
    ]
    path = write_file(tmp_path / "bad.txt", "\n".join(lines) + "\n")
    before = snapshot(jejak, "B2")
    result = open_batch(jejak, "B2", 6, "--codes-from", path)
    assert result.code == 2
    message = error_of(result)
    assert message.startswith(
        f"Invalid import {path!r}: 3 of 6 lines are not valid codes of batch 'B2'; nothing was "
        "imported.\n  line 3: Invalid (21) serial number 'BP 0002': expected only GS1 CSET 82 "
        "characters"
    )
    assert "\n  line 5: duplicate of line 1 ('BP0001')\n" in message
    assert (
        f"\n  line 6: Invalid code {hri('B7', 'BP0004')!r}: its (10) 'B7' is not this batch's "
        "'B2'. Hint: BPOM codes are valid only for the batch they were requested for "
        "(Art. 10(2)).\n"
    ) in message
    assert message.endswith("Hint: fix or remove those lines and import the whole file again.\n")
    assert re.findall(r"line (\d+):", message) == ["3", "5", "6"]
    assert snapshot(jejak, "B2") == before


@pytest.mark.usefixtures("product")
def test_batch_open_refuses_codes_already_issued_in_the_scope(jejak: Jejak, tmp_path: Path) -> None:
    ok(open_batch(jejak, "B2", 2, "--codes-from", write_file(tmp_path / "a.txt", "BP0001\n")))
    before = snapshot(jejak, "B2", "B3")
    again = write_file(tmp_path / "b.txt", "BP0009\nBP0001\n")
    result = open_batch(jejak, "B3", 2, "--codes-from", again)
    assert result.code == 1  # each line is a valid code: the store refuses a repeat
    assert error_of(result).startswith(
        f"Duplicate code 'BP0001': already issued in scope {SCOPE!r}. Hint: BPOM issues each "
        "code once; check the file."
    )
    assert snapshot(jejak, "B2", "B3") == before


@pytest.mark.usefixtures("product")
def test_codes_import_appends_to_a_bpom_level(jejak: Jejak, tmp_path: Path) -> None:
    ok(open_batch(jejak, "B2", 2, "--codes-from", write_file(tmp_path / "a.txt", "BP0001\nBP0002")))
    events = events_checked(jejak)
    extra = write_file(tmp_path / "more.csv", "kode\nBP0003\nBP0004\n", "utf-8-sig")
    result = ok(jejak("codes", "import", "--batch", "B2", extra))
    assert result.out == "imported 2 codes into batch B2 (primary)\n"
    assert serials(jejak, "B2") == CODES
    shown = ok(jejak("batch", "show", "B2", "--json")).json()
    assert shown["levels"]["primary"] == {
        "allocated": 4, "source": "bpom", "states": {"Allocated": 4}
    }  # fmt: skip
    assert events_checked(jejak) == events + 1
    found = ok(jejak("codes", "lookup", "BP0004", "--json")).json()
    assert (found["batch"], found["level"], found["index"]) == ("B2", "primary", 3)
    assert [e["what"] for e in found["history"]] == ["batch.open", "codes.import"]


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("batch", "argv", "text", "code", "message"),
    [
        (
            "B1", [], "BP0003\n", 1,
            ("Batch 'B1' has self-issued primary codes: expected a level that holds "
             "BPOM-issued codes. Hint: open the batch with --codes-from to use BPOM's codes; one "
             "level never mixes both."),
        ),
        (
            "B2", ["--level", "secondary"], "BP0003\n", 1,
            ("Batch 'B2' has self-issued secondary codes: expected a level that holds "
             "BPOM-issued codes."),
        ),
        (
            "B2", [], "BP0003\nBP0002\n", 1,
            (f"Duplicate code 'BP0002': already issued in scope {SCOPE!r}. Hint: BPOM issues "
             "each code once; check the file."),
        ),
        (
            "B2", [], "BP0003\nBP0004\nBP0003\n", 2,
            ("Invalid import {path!r}: 1 of 3 lines are not valid codes of batch 'B2'; "
             "nothing was imported.\n  line 3: duplicate of line 1 ('BP0003')"),
        ),
        (
            "B2", [], f"{hri('B1', 'BP0003')}\n", 2,
            ("Invalid import {path!r}: 1 of 1 lines are not valid codes of batch 'B2'; "
             "nothing was imported.\n  line 1: Invalid code "
             "'(01)08991234567891(10)B1(17)300131(21)BP0003': its (10) 'B1' is not this "
             "batch's 'B2'."),
        ),
        (
            "B9", [], "BP0003\n", 1,
            "Unknown batch 'B9'. Hint:",
        ),
    ],
    ids=["self-issued", "self-issued-level", "in-store", "in-file", "other-batch", "no-batch"],
)  # fmt: skip
def test_codes_import_refusals_change_nothing(
    jejak: Jejak, tmp_path: Path, *, batch: str, argv: list[str], text: str, code: int,
    message: str,
) -> None:  # fmt: skip
    ok(open_batch(jejak, "B1", 24))
    ok(open_batch(jejak, "B2", 2, "--codes-from", write_file(tmp_path / "a.txt", "BP0001\nBP0002")))
    path = write_file(tmp_path / "more.txt", text)
    before = snapshot(jejak, "B1", "B2")
    result = jejak("codes", "import", "--batch", batch, *argv, path)
    assert result.code == code
    assert error_of(result).startswith(message.replace("{path!r}", repr(path)))
    assert snapshot(jejak, "B1", "B2") == before


# Listing -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(("level", "count"), [("primary", 120), ("secondary", 10), ("tertiary", 3)])
def test_codes_list_forms(jejak: Jejak, level: str, count: int) -> None:
    ok(open_batch(jejak, "B1", 120))
    listed = serials(jejak, "B1", "--level", level)
    assert len(listed) == len(set(listed)) == count
    assert all(SELF_SERIAL.fullmatch(s) for s in listed), listed
    as_hri = ok(jejak("codes", "list", "--batch", "B1", "--level", level)).lines()
    assert as_hri == [hri("B1", s) for s in listed]
    as_raw = ok(jejak("codes", "list", "--batch", "B1", "--level", level, "--form", "raw"))
    assert as_raw.stdout.count(b"\x1d") == count
    assert as_raw.stdout == b"".join(f"{raw('B1', s)}\n".encode() for s in listed)


@pytest.mark.usefixtures("product")
def test_codes_list_default_level_is_primary_and_levels_never_share_a_serial(
    jejak: Jejak,
) -> None:
    ok(open_batch(jejak, "B1", 120))
    everything = [s for level in ("primary", "secondary", "tertiary")
                  for s in serials(jejak, "B1", "--level", level)]  # fmt: skip
    assert len(set(everything)) == len(everything) == 133
    assert serials(jejak, "B1") == everything[:120]


@pytest.mark.usefixtures("product")
def test_codes_list_state_filter(jejak: Jejak) -> None:
    ok(open_batch(jejak, "B1", 120))
    listed = serials(jejak, "B1")
    ok(jejak("codes", "mark", hri("B1", listed[3]), listed[7], "--state", "Encoded"))
    ok(jejak("codes", "mark", listed[7], "--state", "Commissioned"))
    assert serials(jejak, "B1", "--state", "Encoded") == [listed[3]]
    assert serials(jejak, "B1", "--state", "commissioned") == [listed[7]]
    assert serials(jejak, "B1", "--state", "Allocated") == [
        s for i, s in enumerate(listed) if i not in (3, 7)
    ]
    assert serials(jejak, "B1", "--state", "Released") == []
    assert serials(jejak, "B1", "--level", "secondary", "--state", "Encoded") == []
    raw_lines = ok(jejak("codes", "list", "--batch", "B1", "--state", "Encoded", "--form", "raw"))
    assert raw_lines.stdout == f"{raw('B1', listed[3])}\n".encode()


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["--batch", "B9"], 1, "Unknown batch 'B9'. Hint:"),
        (["--batch", "B1", "--state", "Bogus"], 2, ("Invalid code state 'Bogus': expected one "
         "of Unassigned, Unallocated, Allocated, SNInvalid, Encoded,")),
    ],
)  # fmt: skip
def test_codes_list_refusals(jejak: Jejak, argv: list[str], code: int, message: str) -> None:
    ok(open_batch(jejak, "B1", 12))
    result = jejak("codes", "list", *argv)
    assert result.code == code
    assert error_of(result).startswith(message)


@pytest.mark.usefixtures("product")
def test_codes_list_200k_codes_through_the_console_script(jejak: Jejak, store_dir: Path) -> None:
    ok(open_batch(jejak, "BIG", 200_000))
    script = str(Path(sys.executable).with_name("jejak"))
    started = time.perf_counter()
    listed = subprocess.run(
        [script, "codes", "list", "--batch", "BIG", "--store", str(store_dir)],
        capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert (listed.returncode, listed.stderr) == (0, b"")
    lines = listed.stdout.splitlines()
    print(f"\njejak codes list: {len(lines):,} codes in {elapsed:.2f} s (process included)")  # noqa: T201
    assert len(lines) == len(set(lines)) == 200_000
    head = hri("BIG", "").encode()
    assert all(line.startswith(head) and len(line) == len(head) + 12 for line in lines)


@pytest.mark.usefixtures("product")
def test_codes_list_into_a_closed_pipe_stops_quietly(jejak: Jejak, store_dir: Path) -> None:
    """`jejak codes list | head -1`: no traceback, the shell's SIGPIPE status."""
    ok(open_batch(jejak, "BIG", 200_000))
    script = str(Path(sys.executable).with_name("jejak"))
    with subprocess.Popen(
        [script, "codes", "list", "--batch", "BIG", "--store", str(store_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as listing:  # fmt: skip
        assert listing.stdout is not None
        assert listing.stderr is not None
        first = listing.stdout.readline()
        listing.stdout.close()
        err = listing.stderr.read()
        code = listing.wait(timeout=60)
    assert first.startswith(hri("BIG", "").encode())
    assert (code, err) == (141, b"")


# Lookup and marking ------------------------------------------------------------------------


@pytest.fixture
def marked(jejak: Jejak, product: None) -> list[str]:
    """Batch B1 (120 codes) with its primary code 5 Encoded; its primary serials."""
    ok(open_batch(jejak, "B1", 120))
    listed = serials(jejak, "B1")
    ok(jejak("codes", "mark", listed[5], "--state", "Encoded"))
    return listed


@pytest.mark.parametrize(
    "form",
    [
        lambda s: raw("B1", s),
        lambda s: hri("B1", s),
        lambda s: "]d2" + raw("B1", s),
        lambda s: "]Q3" + raw("B1", s).replace(GS, "<GS>"),
        lambda s: s,
    ],
    ids=["raw", "hri", "d2", "Q3-typed-gs", "serial"],
)
def test_codes_lookup_json(jejak: Jejak, marked: list[str], form: Callable[[str], str]) -> None:
    serial = marked[5]
    found = ok(jejak("codes", "lookup", form(serial), "--json")).json()
    history = found.pop("history")
    assert found == {
        "batch": "B1",
        "level": "primary",
        "index": 5,
        "state": "Encoded",
        "hri": hri("B1", serial),
        "raw": raw("B1", serial),
        "warnings": [],
    }
    assert [(e["what"], e["to"], e["actor"]) for e in history] == [
        ("batch.open", None, "qa"),
        ("codes.transition", "Encoded", "qa"),
    ]
    assert [e["seq"] for e in history] == [4, 5]  # after product.add, range, key


@pytest.mark.usefixtures("product")
def test_codes_lookup_secondary_and_text(jejak: Jejak) -> None:
    ok(open_batch(jejak, "B1", 120))
    serial = serials(jejak, "B1", "--level", "tertiary")[2]
    found = ok(jejak("codes", "lookup", serial, "--json")).json()
    assert (found["level"], found["index"], found["state"]) == ("tertiary", 2, "Allocated")
    text = ok(jejak("codes", "lookup", hri("B1", serial))).lines()
    assert text[:2] == [hri("B1", serial), "  batch B1, tertiary #2, state Allocated"]
    assert text[2].endswith("  batch.open  by qa")


@pytest.mark.usefixtures("product")
def test_codes_lookup_warns_when_the_scanned_batch_differs(jejak: Jejak) -> None:
    ok(open_batch(jejak, "B1", 12))
    serial = serials(jejak, "B1")[0]
    found = ok(jejak("codes", "lookup", hri("B7", serial), "--json")).json()
    assert (found["batch"], found["index"]) == ("B1", 0)
    assert found["warnings"] == [
        (
            "Mismatch: the scanned code carries (10) 'B7', but its serial belongs to batch 'B1' "
            "with 'B1'."
        )
    ]


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize("serial", ["BP0002", "21ABC", "10ABC", "1234567"])
def test_codes_lookup_bpom_code_by_bare_serial(jejak: Jejak, tmp_path: Path, serial: str) -> None:
    """Any serial BPOM issued, imported as a bare serial, is found again by that serial,
    including one that also reads as an element string, such as ``21ABC``."""
    path = write_file(tmp_path / "bpom.txt", f"BP0001\n{serial}\n")
    ok(open_batch(jejak, "B2", 2, "--codes-from", path))
    assert serials(jejak, "B2") == ["BP0001", serial]
    found = ok(jejak("codes", "lookup", serial, "--json")).json()
    assert (found["batch"], found["level"], found["index"]) == ("B2", "primary", 1)
    assert found["hri"] == hri("B2", serial)
    assert [e["what"] for e in found["history"]] == ["batch.open"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hri("B1", "ZZZZZZZZZZZZ"), (f"Unknown code {hri('B1', 'ZZZZZZZZZZZZ')!r}: no batch "
         "in this store issued it. Hint: check the product key (GTIN or NIE) and the serial;")),
        ("ZZZZZZZZZZZZ", "Unknown code 'ZZZZZZZZZZZZ': no batch in this store issued it."),
        (f"(01)09506000134352(10)B1(17){YYMMDD}(21)ABC", "Unknown code "),
        ("(90)DKL1234567890A1(91)300115", ("Code '(90)DKL1234567890A1(91)300115' has no "
         "serial (21): expected a serialized code.")),
    ],
)  # fmt: skip
def test_codes_lookup_unknown_code(
    jejak: Jejak, marked: list[str], data: str, message: str
) -> None:
    result = jejak("codes", "lookup", data, "--json")
    assert result.code == 1
    assert error_of(result).startswith(message)


def test_codes_mark_lifecycle(jejak: Jejak, marked: list[str]) -> None:
    serial = marked[9]
    code = hri("B1", serial)
    assert ok(jejak("codes", "mark", serial, "--state", "Encoded")).out == (
        f"{code}: Allocated -> Encoded\n"
    )
    assert ok(jejak("codes", "mark", raw("B1", serial), "--state", "Commissioned")).out == (
        f"{code}: Encoded -> Commissioned\n"
    )
    shown = ok(jejak("batch", "show", "B1", "--json")).json()
    assert shown["levels"]["primary"]["states"] == {
        "Allocated": 118, "Encoded": 1, "Commissioned": 1
    }  # fmt: skip
    found = ok(jejak("codes", "lookup", code, "--json")).json()
    assert found["state"] == "Commissioned"
    assert [(e["what"], e["to"]) for e in found["history"]] == [
        ("batch.open", None),
        ("codes.transition", "Encoded"),
        ("codes.transition", "Commissioned"),
    ]


def test_codes_mark_illegal_transition_changes_nothing(jejak: Jejak, marked: list[str]) -> None:
    before = snapshot(jejak, "B1")
    result = jejak("codes", "mark", marked[0], "--state", "Released")
    assert result.code == 1
    assert error_of(result) == (
        f"Illegal transition for code {hri('B1', marked[0])!r}: from Allocated to Released. "
        "Expected one of: Encoded, SNInvalid. Hint: a code that may have been printed is never "
        "issued again.\n"
    )
    assert snapshot(jejak, "B1") == before
    assert ok(jejak("codes", "lookup", marked[0], "--json")).json()["state"] == "Allocated"


def test_codes_mark_with_one_illegal_code_changes_none(jejak: Jejak, marked: list[str]) -> None:
    """`codes mark A B --state S` is one command: when B may not move, A stays too."""
    before = snapshot(jejak, "B1")
    result = jejak("codes", "mark", marked[0], marked[5], "--state", "Encoded")
    assert result.code == 1
    assert f"Illegal transition for code {hri('B1', marked[5])!r}: from Encoded to Encoded" in (
        result.err
    )
    assert snapshot(jejak, "B1") == before


@pytest.mark.parametrize(
    ("data", "state", "code", "message"),
    [
        ("ZZZZZZZZZZZZ", "Encoded", 1, "Unknown code 'ZZZZZZZZZZZZ'"),
        (None, "Bogus", 2, "Invalid code state 'Bogus'"),
    ],
)
def test_codes_mark_refusals(
    jejak: Jejak, marked: list[str], *, data: str | None, state: str, code: int, message: str
) -> None:
    before = snapshot(jejak, "B1")
    result = jejak("codes", "mark", data or marked[1], "--state", state)
    assert result.code == code
    assert error_of(result).startswith(message)
    assert snapshot(jejak, "B1") == before


# Close -------------------------------------------------------------------------------------


def test_batch_close_reconciles_then_refuses_changes(jejak: Jejak, marked: list[str]) -> None:
    # Primary: code 5 Encoded (from the fixture), code 6 LabelSampled, code 7 Commissioned.
    ok(jejak("codes", "mark", marked[6], marked[7], "--state", "Encoded"))
    ok(jejak("codes", "mark", marked[6], "--state", "LabelSampled"))
    ok(jejak("codes", "mark", marked[7], "--state", "Commissioned"))
    report = ok(jejak("batch", "close", "B1", "--json")).json()
    assert report == {
        "batch": "B1",
        "levels": {
            "primary": {
                "allocated": 120,
                "before": {"Allocated": 117, "Encoded": 1, "LabelSampled": 1, "Commissioned": 1},
                "after": {"SNInvalid": 117, "LabelScrapped": 2, "Commissioned": 1},
                "voided": 117,
                "scrapped": 2,
            },
            "secondary": {"allocated": 10, "before": {"Allocated": 10},
                          "after": {"SNInvalid": 10}, "voided": 10, "scrapped": 0},
            "tertiary": {"allocated": 3, "before": {"Allocated": 3},
                         "after": {"SNInvalid": 3}, "voided": 3, "scrapped": 0},
        },
    }  # fmt: skip
    shown = ok(jejak("batch", "show", "B1", "--json")).json()
    assert shown["status"] == "closed"
    assert {name: level["states"] for name, level in shown["levels"].items()} == {
        name: level["after"] for name, level in report["levels"].items()
    }
    events = events_checked(jejak)

    again = jejak("batch", "close", "B1")
    assert again.code == 1
    assert re.fullmatch(
        r"Batch 'B1' is already closed \(at [0-9T:+-]+\)\. Hint: a closed batch is final; its "
        r"codes are never reissued\.\n",
        error_of(again),
    )
    for data, state in ((marked[7], "Released"), (marked[0], "Encoded")):
        refused = jejak("codes", "mark", data, "--state", state)
        assert refused.code == 1
        assert error_of(refused) == "Batch 'B1' is closed. Hint: a closed batch never changes.\n"
    assert events_checked(jejak) == events
    assert ok(jejak("batch", "show", "B1", "--json")).json() == shown
    assert ok(jejak("codes", "lookup", marked[0], "--json")).json()["state"] == "SNInvalid"


@pytest.mark.usefixtures("product")
def test_batch_close_text_and_closed_bpom_batch_refuses_imports(
    jejak: Jejak, tmp_path: Path
) -> None:
    ok(open_batch(jejak, "B2", 2, "--codes-from", write_file(tmp_path / "a.txt", "BP0001\nBP0002")))
    assert ok(jejak("batch", "close", "B2")).lines() == [
        "batch B2 closed",
        "  primary              2  voided 2, scrapped 0 -> SNInvalid 2",
        "  secondary            1  voided 1, scrapped 0 -> SNInvalid 1",
        "  tertiary             1  voided 1, scrapped 0 -> SNInvalid 1",
    ]
    before = snapshot(jejak, "B2")
    result = jejak("codes", "import", "--batch", "B2", write_file(tmp_path / "b.txt", "BP0003"))
    assert result.code == 1
    assert error_of(result) == "Batch 'B2' is closed. Hint: a closed batch never changes.\n"
    assert snapshot(jejak, "B2") == before


# Audit and keys ----------------------------------------------------------------------------


@pytest.mark.usefixtures("product")
def test_audit_verify(jejak: Jejak, tmp_path: Path) -> None:
    assert ok(jejak("audit", "verify")).out == "audit chain verified: 1 events\n"
    ok(open_batch(jejak, "B1", 12))
    ok(open_batch(jejak, "B2", 2, "--codes-from", write_file(tmp_path / "a.txt", "BP0001")))
    ok(jejak("codes", "import", "--batch", "B2", write_file(tmp_path / "b.txt", "BP0002")))
    ok(jejak("codes", "mark", "BP0002", "--state", "Encoded"))
    ok(jejak("keys", "rotate"))
    ok(jejak("batch", "close", "B2"))
    # product.add; B1: range.reserve, key.create, batch.open; B2: range.reserve, batch.open;
    # codes.import, codes.transition, key.rotate, the close's scrap of BP0002 (never confirmed
    # printed), batch.close
    assert ok(jejak("audit", "verify", "--json")).json() == {
        "ok": True, "checked": 11, "broken_at": None, "reason": None
    }  # fmt: skip


def _rewrite_actor(txn: Any, events: Any, data: Any) -> None:
    key = layout.seq_key(2)
    record = json.loads(bytes(txn.get(key, db=events)))
    record["actor"] = "mallory"
    txn.put(key, json.dumps(record, sort_keys=True).encode(), db=events)


def _drop_event(txn: Any, events: Any, data: Any) -> None:
    assert txn.delete(layout.seq_key(2), db=events)


def _garble_event(txn: Any, events: Any, data: Any) -> None:
    txn.put(layout.seq_key(2), b"{not json", db=events)


def _alter_payload(txn: Any, events: Any, data: Any) -> None:
    key = layout.seq_key(5)  # the codes.import event: its payload is the imported serials
    assert json.loads(bytes(txn.get(key, db=events)))["what"] == "codes.import"
    assert bytes(txn.get(key, db=data)) == b"BP0002"
    txn.put(key, b"BP0003", db=data)


def _rechain_after_edit(txn: Any, events: Any, data: Any) -> None:
    """Edit event 2 and recompute its own hash: the next event's link still breaks."""
    key = layout.seq_key(2)
    record = json.loads(bytes(txn.get(key, db=events)))
    record["actor"] = "mallory"
    body = {k: v for k, v in record.items() if k != "hash"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    record["hash"] = hashlib.sha256(canonical.encode()).hexdigest()
    txn.put(key, json.dumps(record, sort_keys=True).encode(), db=events)


def tamper(store_dir: Path, change: Callable[[Any, Any, Any], None]) -> None:
    """Change the store's LMDB file directly, after the CLI closed it."""
    env = lmdb.open(str(store_dir), max_dbs=layout.MAX_DATABASES, map_size=1 << 36)
    try:
        events = env.open_db(b"events")  # before the write transaction: open_db starts its own
        data = env.open_db(b"event_data")
        with env.begin(write=True) as txn:
            change(txn, events, data)
    finally:
        env.close()


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("change", "broken_at", "checked", "reason"),
    [
        (_rewrite_actor, 2, 1, "its content does not match its hash"),
        (_drop_event, 3, 1, "expected event 2, found 3"),
        (_garble_event, 2, 1, "event 2 is not a readable record ("),
        (_alter_payload, 5, 4, "its payload is missing or altered"),
        (_rechain_after_edit, 3, 2, "its previous-hash does not match event before"),
    ],
    ids=["content", "removed", "garbled", "payload", "rehashed"],
)
def test_audit_verify_catches_tampering(
    jejak: Jejak, store_dir: Path, tmp_path: Path, *,
    change: Callable[[Any, Any, Any], None], broken_at: int, checked: int, reason: str,
) -> None:  # fmt: skip
    ok(open_batch(jejak, "B2", 1, "--codes-from", write_file(tmp_path / "a.txt", "BP0001")))
    ok(jejak("codes", "import", "--batch", "B2", write_file(tmp_path / "b.txt", "BP0002")))
    ok(jejak("codes", "mark", "BP0002", "--state", "Encoded"))
    # product.add, range.reserve, key.create, batch.open, codes.import, codes.transition
    assert events_checked(jejak) == 6
    tamper(store_dir, change)
    result = jejak("audit", "verify")
    assert result.code == 1
    assert result.out.startswith(f"audit chain BROKEN at event {broken_at}: {reason}")
    assert result.out.endswith(f" ({checked} events verified before it)\n")
    report = jejak("audit", "verify", "--json")
    assert report.code == 1
    payload = report.json()
    assert payload["reason"].startswith(reason)
    assert {**payload, "reason": reason} == {
        "ok": False, "checked": checked, "broken_at": broken_at, "reason": reason
    }  # fmt: skip


@pytest.mark.usefixtures("product")
def test_keys_rotate_starts_a_new_epoch_tag(jejak: Jejak) -> None:
    ok(open_batch(jejak, "B1", 2000))
    old = {level: serials(jejak, "B1", "--level", level)
           for level in ("primary", "secondary", "tertiary")}  # fmt: skip
    rotated = ok(jejak("keys", "rotate"))
    assert re.fullmatch(r"serial key epoch 1 \(key id [0-9a-f]{16}\)\n", rotated.out)
    ok(open_batch(jejak, "B2", 2000))
    new = {level: serials(jejak, "B2", "--level", level) for level in old}
    old_all = [s for codes in old.values() for s in codes]
    new_all = [s for codes in new.values() for s in codes]
    assert {s[0] for s in old_all} == {"2"}  # epoch 0 is the alphabet's first character
    assert {s[0] for s in new_all} == {"3"}
    assert not set(old_all) & set(new_all)
    assert len(set(new_all)) == len(new_all) == 2000 + 167 + 42
    # Both epochs' codes are still found, each in its own batch.
    assert ok(jejak("codes", "lookup", old["primary"][0], "--json")).json()["batch"] == "B1"
    assert ok(jejak("codes", "lookup", new["primary"][0], "--json")).json()["batch"] == "B2"
    second = ok(jejak("keys", "rotate"))
    assert second.out.startswith("serial key epoch 2 (key id ")
    # product.add; B1: range.reserve, key.create, batch.open; key.rotate; B2: range.reserve,
    # batch.open; key.rotate
    assert events_checked(jejak) == 8


@pytest.mark.usefixtures("product")
def test_batch_pregen_encodes_every_level(jejak: Jejak) -> None:
    ok(open_batch(jejak, "B1", 120))
    result = ok(jejak("batch", "pregen", "B1", "--workers", "1"))
    assert result.out.startswith(
        "batch B1: 133 symbols encoded and verified (primary 120, secondary 10, tertiary 3)"
    )
    again = ok(jejak("batch", "pregen", "B1", "--workers", "1"))
    assert again.out.startswith("batch B1: 0 symbols encoded")

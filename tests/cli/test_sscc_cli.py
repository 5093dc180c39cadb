"""`jejak batch open --sscc-prefix P [--sscc-extension D]`: cases and pallets get SSCCs (00).

Driven through the real CLI against a real LMDB store, with the helpers of test_store_cli.py.
Every SSCC printed is checked with biip, an independent GS1 parser.
"""

from __future__ import annotations

import pytest
from biip.sscc import Sscc
from tests.cli import test_store_cli as base
from tests.cli.test_store_cli import (
    EXPIRY,
    GTIN,
    NIE,
    SELF_SERIAL,
    Jejak,
    error_of,
    events_checked,
    ok,
    open_batch,
    serials,
    snapshot,
)

from jejak.engine.sscc import SsccFormat

# The fixtures of test_store_cli.py: a temporary store, `main([...])` with it, and one product.
store_dir, jejak, product = base.store_dir, base.jejak, base.product

SSCC = SsccFormat.parse(company_prefix="8991234")
PREFIX = ("--sscc-prefix", "8991234")


def sscc_batch(jejak: Jejak, batch: str = "B1", quantity: int = 120, *extra: str) -> None:
    """120 packs: 10 cases (SSCCs 0-9) and 3 pallets (SSCCs 10-12) of the scope's counter."""
    ok(open_batch(jejak, batch, quantity, *PREFIX, *extra))


@pytest.mark.usefixtures("product")
def test_batch_open_with_sscc_json_is_batch_show_json(jejak: Jejak) -> None:
    opened = ok(open_batch(jejak, "B1", 120, *PREFIX, "--json")).json()
    shown = ok(jejak("batch", "show", "B1", "--json")).json()
    assert opened == shown
    assert shown["levels"] == {
        "primary": {"allocated": 120, "source": "self", "states": {"Allocated": 120}},
        "secondary": {"allocated": 10, "source": "sscc", "states": {"Allocated": 10}},
        "tertiary": {"allocated": 3, "source": "sscc", "states": {"Allocated": 3}},
    }
    assert (shown["gtin"], shown["status"]) == (GTIN, "open")


@pytest.mark.usefixtures("product")
def test_batch_open_with_sscc_text(jejak: Jejak) -> None:
    assert ok(open_batch(jejak, "B1", 1200, *PREFIX)).lines() == [
        f"batch B1  NIE {NIE}  GTIN {GTIN}  expiry {EXPIRY}  open",
        "  primary          1,200  self  Allocated 1,200",
        "  secondary          100  sscc  Allocated 100",
        "  tertiary            25  sscc  Allocated 25",
    ]


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(("level", "first", "count"), [("secondary", 0, 10), ("tertiary", 10, 3)])
def test_codes_list_of_sscc_levels(jejak: Jejak, level: str, first: int, count: int) -> None:
    sscc_batch(jejak)
    digits = serials(jejak, "B1", "--level", level)
    assert digits == [SSCC.sscc(first + i) for i in range(count)]
    for sscc in digits:
        assert Sscc.parse(sscc).company_prefix is not None  # biip: a valid check digit
    hri = ok(jejak("codes", "list", "--batch", "B1", "--level", level)).lines()
    assert hri == [f"(00){s}" for s in digits]
    raw = ok(jejak("codes", "list", "--batch", "B1", "--level", level, "--form", "raw"))
    assert raw.stdout == b"".join(f"00{s}\n".encode() for s in digits)
    assert b"\x1d" not in raw.stdout  # (00) is fixed-length: no separator


@pytest.mark.usefixtures("product")
def test_codes_list_secondary_starts_at_the_first_sscc(jejak: Jejak) -> None:
    sscc_batch(jejak)
    lines = ok(jejak("codes", "list", "--batch", "B1", "--level", "secondary")).lines()
    assert lines[:3] == [
        "(00)089912340000000008",
        "(00)089912340000000015",
        "(00)089912340000000022",
    ]
    assert all(SELF_SERIAL.fullmatch(s) for s in serials(jejak, "B1")), "primary: self-issued"


@pytest.mark.usefixtures("product")
def test_ssccs_never_repeat_across_batches_and_extensions(jejak: Jejak) -> None:
    sscc_batch(jejak, "B1")
    sscc_batch(jejak, "B2", 60)
    sscc_batch(jejak, "B3", 24, "--sscc-extension", "4")
    by_batch = {
        batch: [s for lv in ("secondary", "tertiary") for s in serials(jejak, batch, "--level", lv)]
        for batch in ("B1", "B2", "B3")
    }
    assert by_batch["B2"] == [SSCC.sscc(n) for n in range(13, 13 + 5 + 2)]  # after B1's 13
    four = SsccFormat.parse(company_prefix="8991234", extension=4)
    assert by_batch["B3"] == [four.sscc(n) for n in range(3)]  # its own counter: 2 + 1
    everything = [s for codes in by_batch.values() for s in codes]
    assert len(everything) == len(set(everything)) == 13 + 7 + 3


@pytest.mark.usefixtures("product")
def test_codes_lookup_of_an_sscc(jejak: Jejak) -> None:
    sscc_batch(jejak)
    sscc = SSCC.sscc(11)  # tertiary #1
    for data in (f"(00){sscc}", f"00{sscc}", f"]d200{sscc}"):
        found = ok(jejak("codes", "lookup", data, "--json")).json()
        history = found.pop("history")
        assert found == {
            "batch": "B1",
            "level": "tertiary",
            "index": 1,
            "state": "Allocated",
            "hri": f"(00){sscc}",
            "raw": f"00{sscc}",
            "warnings": [],
        }
        assert [(e["what"], e["actor"]) for e in history] == [("batch.open", "qa")]
    text = ok(jejak("codes", "lookup", f"(00){sscc}")).lines()
    assert text[:2] == [f"(00){sscc}", "  batch B1, tertiary #1, state Allocated"]
    assert text[2].endswith("  batch.open  by qa")


@pytest.mark.usefixtures("product")
def test_codes_lookup_of_an_unknown_sscc(jejak: Jejak) -> None:
    sscc_batch(jejak)
    data = f"(00){SSCC.sscc(13)}"  # the next one: not issued yet
    result = jejak("codes", "lookup", data)
    assert result.code == 1
    assert error_of(result) == (
        f"Unknown SSCC {data!r}: no batch in this store issued it. Hint: check the extension "
        "digit and company prefix; an SSCC printed elsewhere is not this site's.\n"
    )


@pytest.mark.usefixtures("product")
def test_codes_mark_an_sscc_then_close_the_batch(jejak: Jejak) -> None:
    sscc_batch(jejak)
    case = f"(00){SSCC.sscc(2)}"
    assert ok(jejak("codes", "mark", case, "--state", "Encoded")).lines() == [
        f"{case}: Allocated -> Encoded"
    ]
    ok(jejak("codes", "mark", f"00{SSCC.sscc(2)}", "--state", "Commissioned"))
    illegal = jejak("codes", "mark", f"(00){SSCC.sscc(3)}", "--state", "Released")
    assert illegal.code == 1
    assert error_of(illegal) == (
        f"Illegal transition for code '(00){SSCC.sscc(3)}': from Allocated to Released. "
        "Expected one of: Encoded, SNInvalid. Hint: a code that may have been printed is never "
        "issued again.\n"
    )
    closed = ok(jejak("batch", "close", "B1", "--json")).json()
    assert closed["levels"]["secondary"] == {
        "allocated": 10,
        "before": {"Allocated": 9, "Commissioned": 1},
        "after": {"SNInvalid": 9, "Commissioned": 1},
        "voided": 9,
        "scrapped": 0,
    }
    # product, two range reservations (serials, SSCCs), key, open, two marks, close
    assert events_checked(jejak) == 8


PREFIX_LENGTH = (
    "Invalid GS1 company prefix {!r}: expected 7 to 10 digits, got {}. Hint: an SSCC needs at "
    "least 6 digits of serial reference after the prefix.\n"
)
PREFIX_DIGITS = (
    "Invalid GS1 company prefix {!r}: expected digits. Hint: GS1 Indonesia assigns it; it starts "
    "the site's GTINs (e.g. 8991234).\n"
)
EXTENSION = (
    "Invalid SSCC extension digit {}: expected one digit, 0-9. Hint: the site chooses it, e.g. "
    "one per packaging line.\n"
)


@pytest.mark.usefixtures("product")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sscc-prefix", "899123"], PREFIX_LENGTH.format("899123", 6)),
        (["--sscc-prefix", "89912345678"], PREFIX_LENGTH.format("89912345678", 11)),
        (["--sscc-prefix", "899-1234"], PREFIX_DIGITS.format("899-1234")),
        (["--sscc-prefix", ""], PREFIX_DIGITS.format("")),
        ([*PREFIX, "--sscc-extension", "10"], EXTENSION.format("'10'")),
        ([*PREFIX, "--sscc-extension", "x"], EXTENSION.format("'x'")),
        ([*PREFIX, "--sscc-extension", "-1"], EXTENSION.format("'-1'")),
        (
            ["--sscc-extension", "3"],
            (
                "Invalid --sscc-extension '3' without --sscc-prefix: expected both. Hint: the "
                "extension digit goes with the site's GS1 company prefix.\n"
            ),
        ),
    ],
)
def test_batch_open_refuses_a_bad_sscc_prefix_or_extension(jejak: Jejak, argv: list[str],
                                                           message: str) -> None:  # fmt: skip
    sscc_batch(jejak, "B1", 12)
    before = snapshot(jejak, "B1", "B2")
    result = open_batch(jejak, "B2", 12, *argv)
    assert result.code == 2
    assert error_of(result) == message
    assert snapshot(jejak, "B1", "B2") == before


@pytest.mark.usefixtures("product")
def test_without_sscc_prefix_nothing_changes(jejak: Jejak) -> None:
    sscc_batch(jejak, "B1", 12)
    shown = ok(open_batch(jejak, "B2", 120, "--json")).json()
    assert {name: level["source"] for name, level in shown["levels"].items()} == {
        "primary": "self", "secondary": "self", "tertiary": "self",
    }  # fmt: skip
    cases = serials(jejak, "B2", "--level", "secondary")
    assert len(cases) == 10
    assert all(SELF_SERIAL.fullmatch(s) for s in cases)
    assert ok(jejak("codes", "lookup", cases[4], "--json")).json()["index"] == 4


@pytest.mark.usefixtures("product")
def test_batch_pregen_encodes_sscc_levels(jejak: Jejak) -> None:
    sscc_batch(jejak)
    result = ok(jejak("batch", "pregen", "B1", "--workers", "1"))
    assert result.out.startswith(
        "batch B1: 133 symbols encoded and verified (primary 120, secondary 10, tertiary 3)"
    )

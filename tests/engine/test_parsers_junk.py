"""Junk at every parser: random text and bytes, Unicode digits and look-alikes, control
characters, very long strings, and one-character mutations of valid codes and files. A parser
returns a valid object or raises one of Jejak's own errors, never anything else.

Each parser gets 1,000 generated inputs (more than 10^4 in all, with the command-line junk in
tests/cli/test_commands_junk.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import CodeState, Level
from jejak.engine.errors import JejakError
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.issued_codes import parse_issued_codes
from jejak.engine.nie import Nie
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.sscc import SsccFormat
from jejak.engine.store.resolve import split_read
from jejak.engine.symbology import parse_read
from jejak.printers.coder._lines import CommandDecoder, ReplyDecoder
from jejak.printers.label import LabelCode
from jejak.printers.stream import wire
from jejak.printers.zpl.host_status import parse_host_status

EXAMPLES = 1000
VALID = [
    "]d201089912345678911728103110B2611001\x1d21AB3CD4EF5GH6",
    "(01)08991234567891(10)B2611001(17)281031(21)AB3CD4EF5GH6",
    "(90)DKL1234567890A1(91)291231",
    "90DKL1234567890A1\x1d10B1\x1d17281031\x1d21X1",
    "(00)089912340000000015",
    "]Q3010950600013435217261231",
    "DKL1234567890A1",
    "2028-10-31",
    "281031",
]
UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९０１２３４５６７８９𝟎𝟏𝟐"
CONTROL = "".join(map(chr, range(32))) + "\x7f\x85\u2028\u2029\ufeff\u200b"


def _mutate(value: str, position: int, char: str, how: int) -> str:
    i = position % (len(value) + 1)
    if how == 0:
        return value[:i] + char + value[i + 1 :]  # replace
    if how == 1:
        return value[:i] + char + value[i:]  # insert
    return value[:i] + value[i + 1 :]  # delete


mutations = st.builds(
    _mutate,
    st.sampled_from(VALID),
    st.integers(0, 80),
    st.one_of(st.characters(), st.sampled_from(UNICODE_DIGITS + CONTROL + "()<>\x1d]")),
    st.integers(0, 2),
)
junk_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=UNICODE_DIGITS + "0123456789-", max_size=30),
    st.text(alphabet=CONTROL + "AZaz09()]\x1d", max_size=40),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.integers(1, 20_000).map(lambda n: "9" * n),
    st.integers(1, 5000).map(lambda n: "A1" * n),
    mutations,
)
junk_values = st.one_of(junk_text, st.none(), st.integers(), st.floats(), st.booleans(),
                        st.binary(max_size=20), st.lists(st.integers(), max_size=3))  # fmt: skip

KEY = Element.parse(AI.GTIN, "08991234567891")
EXPIRY = Gs1Date.parse_iso("2028-10-31")


def _request(value: object) -> object:
    return CodeRequest.parse(nie="DKL1234567890A1", batch=value, expiry="2028-10-31",
                             primary_count=value, max_per_secondary=12, max_per_tertiary=40,
                             requested_on=dt.date(2026, 11, 25))  # fmt: skip


def _line_decoders(value: object) -> object:
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b""
    for decoder in (CommandDecoder(), ReplyDecoder()):
        decoder.feed(data + b"\r")
    return None


PARSERS: dict[str, Callable[[object], object]] = {
    "ElementString.parse": ElementString.parse,
    "parse_read": parse_read,
    "Element.parse (21)": lambda v: Element.parse(AI.SERIAL, v),
    "Element.parse (01)": lambda v: Element.parse(AI.GTIN, v),
    "Element.parse (AI)": lambda v: Element.parse(v, "1"),  # type: ignore[arg-type]
    "Nie.parse": Nie.parse,
    "Gs1Date.parse": Gs1Date.parse,
    "Gs1Date.parse_iso": Gs1Date.parse_iso,
    "Product.parse": lambda v: Product.parse(nie=v, name=v, packaging=v, gtin=v),
    "CodeRequest.parse": _request,
    "SerialFormat.parse": lambda v: SerialFormat.parse(alphabet=v, length=v, prefix=v),
    "SsccFormat.parse": lambda v: SsccFormat.parse(company_prefix=v, extension=v),
    "CodeState.parse": CodeState.parse,
    "Level.parse": Level.parse,
    "split_read": lambda v: split_read(v) if isinstance(v, str) else None,
    "parse_issued_codes": lambda v: parse_issued_codes(
        v if isinstance(v, str) else "", key=KEY, batch="B1", expiry=EXPIRY
    ),
    "LabelCode.parse": LabelCode.parse,
    "wire.unpack": lambda v: wire.unpack([b"JOB", v if isinstance(v, bytes) else b"\x80"]),
    "parse_host_status": lambda v: parse_host_status(
        v.encode("latin-1", "replace") if isinstance(v, str) else b""
    ),
    "coder line decoders": _line_decoders,
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_junk_gets_only_jejak_errors(name: str) -> None:
    parse = PARSERS[name]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(value=junk_values)
    def check(value: object) -> None:
        try:
            parse(value)
        except JejakError:
            pass
        except RecursionError as error:  # pragma: no cover - a real bug, shown plainly
            pytest.fail(f"{name}({value!r}) recursed: {error}")

    check()


def _file_mutation(base: str, position: int, char: str) -> str:
    i = position % (len(base) + 1)
    return base[:i] + char + base[i:]


FILES = ["code\nBP0001\nBP0002\n", "kode;x\nBP1;1\nBP2;2\n",
         "(01)08991234567891(10)B1(17)281031(21)BP1\n"]  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=None, database=None)
@given(
    text=st.builds(
        _file_mutation,
        st.sampled_from(FILES),
        st.integers(0, 60),
        st.sampled_from(list(CONTROL + '",;\t\r\n"') + list(UNICODE_DIGITS)),
    )
)
def test_mutated_import_files_get_only_jejak_errors(text: str) -> None:
    try:
        serials = parse_issued_codes(text, key=KEY, batch="B1", expiry=EXPIRY)
    except JejakError:
        return
    for serial in serials:  # what is accepted is a valid serial
        Element.parse(AI.SERIAL, serial.decode("ascii"))

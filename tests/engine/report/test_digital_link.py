"""Codes as GS1 Digital Link URIs: percent-encoding that round-trips through an independent URI
parser, the vectorised URIs of a batch level equal to the ones made code by code (self-issued,
BPOM-issued with characters to encode, SSCCs, NIE templates), and the templates', locations' and
refusals' exact messages."""

from __future__ import annotations

import contextlib
import urllib.parse

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.engine.aggregation.test_operations import OTC

from jejak.engine.batch_record import BatchRecord
from jejak.engine.codes import Level
from jejak.engine.errors import InvalidChecksum, InvalidCombination, InvalidFormat
from jejak.engine.gs1 import GS, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.product import Product
from jejak.engine.report.digital_link import (
    DigitalLinks,
    Location,
    NoGs1Key,
    PartnerTemplate,
    UriTemplate,
    code_uri,
    percent_encode,
)
from jejak.engine.sscc import SsccFormat
from jejak.engine.store import Store
from jejak.testing import FORMAT, GTIN, make_request

P, S, T = Level.PRIMARY, Level.SECONDARY, Level.TERTIARY
TEMPLATE = "https://id.example.co.id/90/{nie}/10/{batch}/17/{expiry}/21/{serial}"
UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
GS1_LINKS = DigitalLinks()
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@given(st.text())
def test_percent_encoding_round_trips_through_urllib(value: str) -> None:
    encoded = percent_encode(value)
    assert urllib.parse.unquote(encoded, errors="strict") == value
    assert set(encoded) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%"
    )
    assert urllib.parse.quote(value, safe="") == encoded  # the same as Python's own quoting


@given(st.text(CSET82, min_size=1, max_size=20))
def test_a_code_uri_carries_its_serial_and_gtin(serial: str) -> None:
    code = ElementString.parse(f"01{GTIN}17281031" + f"10B1{GS}21{serial}")  # raw: ( ) too
    uri = code_uri(code)
    parsed = urllib.parse.urlsplit(uri)
    assert (parsed.scheme, parsed.netloc, parsed.query, parsed.fragment) == (
        "https", "id.gs1.org", "", "")  # fmt: skip
    segments = parsed.path.split("/")
    assert segments[:4] == ["", "01", GTIN, "21"]
    assert urllib.parse.unquote(segments[4]) == serial


def level_uris(store: Store, record: BatchRecord, level: Level,
               links: DigitalLinks = GS1_LINKS) -> tuple[list[str], list[str]]:  # fmt: skip
    """The URIs of every code of a level: vectorised, and code by code."""
    count = record.level(level).count
    with store.view() as view:
        fast = links.uris(view, record, level, np.arange(count, dtype=np.int64)[::-1].copy())
        slow = [links.code_uri(view.code(record, level, i)) for i in reversed(range(count))]
    return fast, slow


def test_the_uris_of_self_issued_codes(store: Store) -> None:
    record = store.open_batch(make_request("B1", 30), serial_format=FORMAT, actor="qa")
    for level in (P, S, T):
        fast, slow = level_uris(store, record, level)
        assert fast == slow
        assert all(u.startswith(f"https://id.gs1.org/01/{GTIN}/21/") for u in fast)


def test_the_uris_of_bpom_codes_with_characters_to_encode(store: Store) -> None:
    serials = [b"A1", b"BPOM12345678", b'Q"7,', b"X/Y%Z", b"(a)*+"]
    record = store.open_batch(make_request("B2", 5), serial_format=FORMAT, imported=serials,
                              actor="qa")  # fmt: skip
    fast, slow = level_uris(store, record, P)
    assert fast == slow
    assert fast[::-1][2:4] == [f"https://id.gs1.org/01/{GTIN}/21/Q%227%2C",
                               f"https://id.gs1.org/01/{GTIN}/21/X%2FY%25Z"]  # fmt: skip


def test_the_uris_of_sscc_containers(store: Store) -> None:
    sscc = SsccFormat.parse(company_prefix="8991234", extension=0)
    record = store.open_batch(make_request("B3", 30), serial_format=FORMAT, sscc=sscc,
                              actor="qa")  # fmt: skip
    fast, slow = level_uris(store, record, S)
    assert fast == slow
    assert all(len(u) == len("https://id.gs1.org/00/") + 18 for u in fast)


def test_the_uris_of_codes_keyed_by_nie(store: Store) -> None:
    store.add_product(Product.parse(nie=OTC, name="P", packaging="Strip"), actor="qa")
    record = store.open_batch(make_request("N/1", 3, nie=OTC), serial_format=FORMAT, actor="qa")
    links = DigitalLinks.parse(nie_template=TEMPLATE)
    fast, slow = level_uris(store, record, P, links)
    assert fast == slow
    with store.view() as view:
        serial = view.serial(record, P, 2)
    assert fast[0] == f"https://id.example.co.id/90/{OTC}/10/N%2F1/17/281031/21/{serial}"
    with pytest.raises(NoGs1Key), store.view() as view:
        DigitalLinks().uris(view, record, P, np.arange(3, dtype=np.int64))


def test_an_identification_batch_has_no_uris(store: Store) -> None:
    store.add_product(Product.parse(nie=OTC, name="P", packaging="Dus"), actor="qa")
    record = store.open_identification(nie=OTC, batch="I1", packs=5,
                                       validity=Gs1Date.parse_iso("2027-12-31"),
                                       expiry=Gs1Date.parse_iso("2028-06-30"),
                                       actor="qa")  # fmt: skip
    with pytest.raises(InvalidCombination) as raised:
        DigitalLinks().affixes(record, P)
    assert str(raised.value) == (
        "Invalid code for a GS1 Digital Link URI: batch 'I1' is an identification batch, whose "
        "one code names no single pack. Hint: EPCIS events need serialised codes."
    )
    with pytest.raises(InvalidCombination, match=r"^Invalid code '\(90\)DBL2012345678A1"):
        code_uri(ElementString.identification(nie=OTC, validity=Gs1Date(2029, 12, 31)))


# Templates, partners, locations -------------------------------------------------------------


def test_a_template_names_its_placeholders() -> None:
    template = UriTemplate.parse(TEMPLATE)
    assert template.host == "id.example.co.id"
    assert [str(s) for s in template.segments] == ["90", "nie", "10", "batch", "17", "expiry",
                                                   "21", "serial"]  # fmt: skip


HINT = (
    "Hint: name each value after a path segment of its own, e.g. "
    "https://id.example.co.id/90/{nie}/10/{batch}/21/{serial}."
)


@pytest.mark.parametrize(("value", "expected"), [
    (None, "an https URI of printable ASCII with no space"),
    ("https://x.id/90/{nie}/21/{serial} ", "an https URI of printable ASCII with no space"),
    ("http://x.id/90/{nie}/21/{serial}", "an https URI (one that starts with 'https://')"),
    ("https://x.id/90/{nie}/21/{serial}?a=1", "a path with no query or fragment"),
    ("https://x_y/90/{nie}/21/{serial}", "a host name and a path"),
    ("https://x.id/{nie}/21/{serial}", "a literal path segment before {nie}"),
    ("https://x.id/90/{nie}/{serial}", "a literal path segment before {serial}"),
    ("https://x.id/90/{nie}/21/{serial}/22/{serial}", "{serial} at most once"),
    ("https://x.id/90/{nie}/10/{batch}", ("a {serial} placeholder (a code is unique by NIE and "
     "serial)")),
    ("https://x.id/90/{nie}/21/{lot}", ("placeholders among {nie}, {batch}, {expiry}, {serial}, "
     "got '{lot}'")),
    ("https://x.id/90/{nie}/21/s{serial}", ("each placeholder a whole path segment, got "
     "'s{serial}'")),
    ("https://x.id/90/{nie}/a b/{serial}", "an https URI of printable ASCII with no space"),
    ("https://x.id/90/{nie}/a!/{serial}", ("literal path segments of A-Z a-z 0-9 - . _ ~, got "
     "'a!'")),
    ("https://x.id/gtin/{nie}/21/{serial}", ("no GS1 key and no four leading digits in a literal "
     "segment, got 'gtin'")),
    ("https://x.id/1234x/{nie}/21/{serial}", ("no GS1 key and no four leading digits in a "
     "literal segment, got '1234x'")),
])  # fmt: skip
def test_template_refusals(value: object, expected: str) -> None:
    with pytest.raises(InvalidFormat) as raised:
        UriTemplate.parse(value)
    assert str(raised.value) == f"Invalid URI template {value!r}: expected {expected}. {HINT}"


@given(st.text(min_size=1, max_size=30))
def test_partner_uris_round_trip(partner: str) -> None:
    template = PartnerTemplate.parse("https://id.example.co.id/partner/{partner}/v1")
    uri = template.uri(partner)
    head, tail = "https://id.example.co.id/partner/", "/v1"
    assert uri.startswith(head)
    assert uri.endswith(tail)
    assert urllib.parse.unquote(uri[len(head) : -len(tail)]) == partner


@pytest.mark.parametrize("value", [
    "http://x.id/{partner}", "https://x.id/p/{partner}/{partner}", "https://x.id/p/{partner}?q",
    "https://x.id/p!/{partner}", 7,
])  # fmt: skip
def test_partner_template_refusals(value: object) -> None:
    with pytest.raises(InvalidFormat) as raised:
        PartnerTemplate.parse(value)
    assert str(raised.value) == (
        f"Invalid partner URI template {value!r}: expected an https URI whose path has one "
        "{partner} segment and literal segments of A-Z a-z 0-9 - . _ ~. Hint: e.g. "
        "https://id.example.co.id/partner/{partner}."
    )


@pytest.mark.parametrize(("value", "uri"), [
    ("urn:epc:id:sgln:8991234.00001.0", "https://id.gs1.org/414/8991234000015"),
    ("urn:epc:id:sgln:8991234.00001.L%2F1", "https://id.gs1.org/414/8991234000015/254/L%2F1"),
    ("https://example.com/414/8991234000015/254/A1", "https://id.gs1.org/414/8991234000015/254/A1"),
    (" https://id.gs1.org/414/8991234000015 ", "https://id.gs1.org/414/8991234000015"),
])  # fmt: skip
def test_locations_become_canonical_uris(value: str, uri: str) -> None:
    assert Location.parse(value).uri == uri


def test_location_refusals() -> None:
    with pytest.raises(InvalidFormat) as raised:
        Location.parse("urn:epc:id:sgln:8991234.0001.0")
    assert str(raised.value) == (
        "Invalid location 'urn:epc:id:sgln:8991234.0001.0': expected an SGLN URN or a GS1 "
        "Digital Link URI of a GLN. Hint: e.g. urn:epc:id:sgln:8991234.00001.0 or "
        "https://id.gs1.org/414/8991234000015."
    )
    with pytest.raises(InvalidChecksum) as checksum:
        Location.parse("https://id.gs1.org/414/8991234000016")
    assert str(checksum.value) == (
        "Invalid GLN check digit for '8991234000016' in 'https://id.gs1.org/414/8991234000016': "
        "expected 5, got 6. Hint: copy the site's GLN from its GS1 registration."
    )


@given(st.one_of(st.none(), st.integers(), st.text(), st.binary()))
def test_junk_is_refused_as_a_template_or_a_location_never_a_crash(value: object) -> None:
    for parse in (UriTemplate.parse, PartnerTemplate.parse, Location.parse):
        with contextlib.suppress(InvalidFormat, InvalidChecksum):
            parse(value)

"""GS1 element strings over generated codes: round trips, and biip as an independent oracle.

biip (https://github.com/jodal/biip) parses GS1 messages on its own: `biip.parse(data, config=
biip.ParseConfig(separator_chars=[GS]))` gives a `ParseResult` whose `gs1_message.element_strings`
hold each element's `ai.ai`, `value` and, for date AIs, `date`; `GS1Message.parse_hri` reads HRI.
biip resolves two-digit years against the current UTC year, so the oracle tests do too.
"""

from __future__ import annotations

import datetime as dt
import string
from calendar import monthrange

import biip
from biip.checksums import gs1_standard_check_digit
from biip.gs1_messages import GS1Message
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.gs1 import AI, GS, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.symbology import Read, Symbology, parse_read

TODAY = dt.date(2026, 6, 15)  # fixed reference for the round trips: window 1977-2076
NOW = dt.datetime.now(tz=dt.UTC).date()  # biip's reference for the oracle tests
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@st.composite
def gs1_dates(draw: st.DrawFn, today: dt.date, day_zero: bool = True) -> Gs1Date:
    year = draw(st.integers(today.year - 49, today.year + 50))  # the GS1 century window
    month = draw(st.integers(1, 12))
    return Gs1Date(year, month, draw(st.integers(0 if day_zero else 1, monthrange(year, month)[1])))


TEXT = st.text(CSET82, min_size=1, max_size=20).filter(
    lambda text: "<GS>" not in text  # the GS escape, refused inside a value by design
)
GTINS = st.text(string.digits, min_size=13, max_size=13).map(
    lambda payload: Element(AI.GTIN, f"{payload}{gs1_standard_check_digit(payload)}")
)
NIES = st.text(string.ascii_letters + string.digits, min_size=1, max_size=16).map(
    lambda nie: Element(AI.NIE, nie)
)


def codes(keys: st.SearchStrategy[Element], today: dt.date) -> st.SearchStrategy[ElementString]:
    return st.builds(
        lambda key, batch, expiry, serial: ElementString.authentication(
            key=key, batch=batch, expiry=expiry, serial=serial
        ),
        keys, TEXT, gs1_dates(today), TEXT,
    )  # fmt: skip


IDENTIFICATIONS = st.builds(
    lambda nie, validity: ElementString.identification(nie=nie.value, validity=validity),
    NIES, gs1_dates(TODAY, day_zero=False),
)  # fmt: skip


def _hri_safe(code: ElementString) -> bool:
    return not any(c in "()" for e in code.elements for c in e.value)


@given(st.one_of(codes(GTINS | NIES, TODAY), IDENTIFICATIONS))
def test_round_trips(code: ElementString) -> None:
    assert ElementString.parse(code.raw, today=TODAY) == code
    assert parse_read(f"]d2{code.raw}", today=TODAY) == Read(code, Symbology.GS1_DATAMATRIX, ())
    if "<GS>" not in code.raw:
        assert ElementString.parse(code.raw.replace(GS, "<GS>"), today=TODAY) == code
    if _hri_safe(code):
        assert ElementString.parse(code.hri, today=TODAY) == code


def _biip(data: str, *, hri: bool = False) -> list[tuple[str, str, dt.date | None]]:
    if hri:
        message = GS1Message.parse_hri(data)
    else:
        result = biip.parse(data, config=biip.ParseConfig(separator_chars=[GS]))
        assert result.gs1_message is not None, result.gs1_message_error
        message = result.gs1_message
    assert [s.gtin_error for s in message.element_strings if s.ai.ai == "01"] in ([], [None])
    return [(s.ai.ai, s.value, s.date) for s in message.element_strings]


def _ours(code: ElementString, order: list[Element]) -> list[tuple[str, str, dt.date | None]]:
    def date(e: Element) -> dt.date | None:
        return Gs1Date.parse(e.value, today=NOW).as_date() if e.ai is AI.EXPIRY else None

    return [(e.ai.value, e.value, date(e)) for e in order]


@settings(deadline=None, max_examples=300)
@given(codes(GTINS, NOW))
def test_biip_reads_our_gtin_codes_alike(code: ElementString) -> None:
    raw_order = sorted(code.elements, key=lambda e: not e.ai.rule.predefined_length)
    assert _biip(code.raw) == _ours(code, raw_order)
    assert _biip(f"]d2{code.raw}") == _ours(code, raw_order)
    if _hri_safe(code):
        assert _biip(code.hri, hri=True) == _ours(code, list(code.elements))


@settings(deadline=None)
@given(st.one_of(codes(NIES, NOW), IDENTIFICATIONS))
def test_biip_accepts_the_bpom_ais_90_and_91(code: ElementString) -> None:
    # GS1 leaves (90) "mutually agreed" and (91) "company internal": biip knows them as
    # X..30 and X..90 text; it gives (91) no date meaning, so only (17) carries a date.
    raw_order = sorted(code.elements, key=lambda e: not e.ai.rule.predefined_length)
    assert _biip(code.raw) == _ours(code, raw_order)

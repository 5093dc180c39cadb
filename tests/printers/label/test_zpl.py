"""The ZPL writer's stored format and recalls: the format exact, what the interpreter stores,
exact labels, refusals, `ZplLabelFormat` as the Zebra client is given it, and labels read back
through the printer's interpreter. (The ^BX escapes and the interpreter: tests/printers/zpl.)"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import (
    InvalidCombination,
    InvalidFormat,
    InvalidQuantity,
    ValidationError,
)
from jejak.engine.gs1 import AI, GS, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.printers.label import (
    LabelSpec,
    LabelSymbology,
    RecallWriter,
    ZplLabelFormat,
    module_dots,
    recall_label,
    stored_format,
    template,
)
from jejak.printers.zpl import (
    FORMAT_NAME,
    Control,
    Interpreter,
    Label,
    StoredFormat,
    escape_datamatrix,
    unescape_datamatrix,
)

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GTIN_RAW = f"01095060001343521726123110ABC123{GS}21X7Y8Z9"
NIE_RAW = f"1726123190DKL1234567890A1{GS}10ABC123{GS}21X7Y8Z9"
ID_RAW = f"90DKL1234567890A1{GS}91291231"


def interpret(data: bytes) -> tuple[Interpreter, list[Label | Control]]:
    interpreter = Interpreter()
    return interpreter, interpreter.feed(data)


def printed_raw(label: Label) -> bytes:
    content = unescape_datamatrix(label.data[1])
    assert content.gs1
    return content.data


# --- Stored format and labels ------------------------------------------------------------------


def stored(dpi: int = 203, *, escape: str = "_") -> str:
    """The stored format of the DataMatrix label template at `dpi`."""
    return stored_format(template(LabelSpec(dpi=dpi)), escape=escape)


def test_stored_format_exact_at_203_dpi() -> None:
    assert stored(203) == (
        "^XA^DFR:JEJAK.ZPL^FS^LH0,0^FO11,11^BXN,3,200,,,,_^FN1^FS"
        "^FT122,22^A0N,17,17^FN2^FS^FT122,44^A0N,17,17^FN3^FS^FT122,66^A0N,17,17^FN4^FS"
        "^FT122,88^A0N,17,17^FN5^FS^XZ"
    )


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_stored_format_is_what_the_interpreter_stores(dpi: int) -> None:
    interpreter, events = interpret(stored(dpi).encode())
    assert events == []
    stored_ = interpreter.formats["R:JEJAK.ZPL"]
    assert stored_.source == stored(dpi).encode()
    symbol, *texts = stored_.fields
    assert (symbol.number, symbol.command) == (1, "BX")
    assert symbol.params == f"N,{module_dots(dpi)},200,,,,_"
    assert [(f.number, f.command, f.data) for f in texts] == [
        (2, "A", ""), (3, "A", ""), (4, "A", ""), (5, "A", ""),
    ]  # fmt: skip
    assert len({f.y for f in texts}) == len(texts)  # one line each
    assert min(f.x for f in texts) > symbol.x + 32 * module_dots(dpi)  # beside the symbol


def test_stored_format_of_two_codes_holds_the_caption_and_no_qr() -> None:
    spec = LabelSpec(dpi=300, two_codes=True)
    two = template(spec, bpom_code=True)
    interpreter, _ = interpret(stored_format(two).encode())
    symbol, *texts, caption = interpreter.formats["R:JEJAK.ZPL"].fields
    assert (symbol.number, symbol.command, symbol.x, symbol.y) == (1, "BX", two.slots[0].x,
                                                                  two.slots[0].y)  # fmt: skip
    assert [f.number for f in texts] == [2, 3, 4, 5]
    assert (caption.number, caption.data) == (None, "BPOM RI")
    bpom = two.slots[1]
    assert caption.x == bpom.x - bpom.quiet  # a ^FB as wide as the QR and its quiet zone
    alone = template(LabelSpec(symbology=LabelSymbology.QR, two_codes=True))
    interpreter, _ = interpret(stored_format(alone).encode())
    assert [f.command for f in interpreter.formats["R:JEJAK.ZPL"].fields] == ["A"] * 5


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        (GTIN_RAW, ("^XA^XFR:JEJAK.ZPL^FS^FN1^FD_101095060001343521726123110ABC123_121X7Y8Z9^FS"
                   "^FN2^FDGTIN: 09506000134352^FS^FN3^FDBATCH: ABC123^FS"
                   "^FN4^FDEXP: 2026-12-31^FS^FN5^FDSN: X7Y8Z9^FS^PQ1^XZ")),
        (NIE_RAW, ("^XA^XFR:JEJAK.ZPL^FS^FN1^FD_11726123190DKL1234567890A1_110ABC123_121X7Y8Z9"
                  "^FS^FN2^FDNIE: DKL1234567890A1^FS^FN3^FDBATCH: ABC123^FS"
                  "^FN4^FDEXP: 2026-12-31^FS^FN5^FDSN: X7Y8Z9^FS^PQ1^XZ")),
        (ID_RAW, ("^XA^XFR:JEJAK.ZPL^FS^FN1^FD_190DKL1234567890A1_191291231^FS"
                 "^FN2^FDNIE: DKL1234567890A1^FS^FN4^FDVALID: 2029-12-31^FS^PQ1^XZ")),
        # Day 00 is the month's end; an underscore in data is doubled, GS becomes _1.
        (f"01095060001343521726120010A_1{GS}21_", ("^XA^XFR:JEJAK.ZPL^FS^FN1^FD"
         "_101095060001343521726120010A__1_121__^FS^FN2^FDGTIN: 09506000134352^FS"
         "^FN3^FDBATCH: A_1^FS^FN4^FDEXP: 2026-12^FS^FN5^FDSN: _^FS^PQ1^XZ")),
        # HRI, a leading GS (FNC1 as a reader sends it) and a non-canonical order are normalised.
        ("(01)09506000134352(10)ABC123(17)261231(21)X7Y8Z9", None),
        (f"{GS}{GTIN_RAW}", None),
        (f"0109506000134352{GS}10ABC123{GS}21X7Y8Z9{GS}17261231", None),
    ],
)  # fmt: skip
def test_recall_label_exact(raw: str, label: str | None) -> None:
    expected = label or recall_label(GTIN_RAW)
    assert recall_label(raw) == expected


def test_recall_writer_with_another_format_name_and_escape() -> None:
    write = RecallWriter(name="E:LINE2.ZPL", escape="!")
    assert write(f"0109506000134352{GS}21A!_") == (
        "^XA^XFE:LINE2.ZPL^FS^FN1^FD!1010950600013435221A!!_^FS"
        "^FN2^FDGTIN: 09506000134352^FS^FN5^FDSN: A!_^FS^PQ1^XZ"
    )


@pytest.mark.parametrize(
    ("raw", "kind", "message"),
    [
        ("10AB^XZ", InvalidFormat,
         ("Invalid DataMatrix data '10AB^XZ': character '^' at 4 cannot go into a ZPL field. "
         "Expected printable ASCII without '^' and '~' (GS only between GS1 fields). "
         "Hint: codes use GS1 CSET 82 characters.")),
        ("10AB~HS", InvalidFormat, None),
        ("10AB\n", InvalidFormat, None),
        ("10ABé", InvalidFormat, None),
        ("ABC", ValidationError, None),
        ("", ValidationError, None),
        ("99ABC", ValidationError, None),
        ("10", ValidationError, None),
        ("0109506", ValidationError, None),
        (f"10AB{GS}{GS}21X", ValidationError, None),
    ],
)  # fmt: skip
def test_recall_label_refuses(raw: str, kind: type[Exception], message: str | None) -> None:
    with pytest.raises(kind) as caught:
        recall_label(raw)
    if message is not None:
        assert str(caught.value) == message
    assert "Hint:" in str(caught.value)


def test_recall_label_trusts_the_engine_with_values() -> None:
    # Structure and ZPL safety are checked per label; check digits and CSET 82 were checked
    # when the engine built the code, and are not paid for again on the hot path.
    assert recall_label("0109506000134353").startswith("^XA^XFR:JEJAK.ZPL^FS^FN1^FD_10109")
    assert "SN: A B" in recall_label("21A B")


def test_the_writers_refuse_an_unusable_escape_character() -> None:
    with pytest.raises(InvalidFormat) as caught:
        RecallWriter(escape="^")
    assert str(caught.value) == (
        "Invalid ^BX escape character '^': expected one punctuation character other than '^', "
        "'~' and ','. Hint: Jejak uses '_'."
    )
    for bad in ("", "__", "A", "1", ",", "~"):
        with pytest.raises(InvalidFormat):
            stored(203, escape=bad)


# --- ZplLabelFormat: what the Zebra client is given -------------------------------------------


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_label_format_for_a_printer_is_the_spec_template(dpi: int) -> None:
    form = ZplLabelFormat.for_printer(dpi)
    assert isinstance(form, StoredFormat)
    assert form.template == template(LabelSpec(dpi=dpi), module=module_dots(dpi))
    assert form.definition == stored(dpi)  # the size rule's module is the template's default
    assert form.recall(GTIN_RAW) == recall_label(GTIN_RAW)
    assert (form.name, form.escape) == (FORMAT_NAME, "_")


def test_label_format_with_another_module_name_and_escape() -> None:
    form = ZplLabelFormat.for_printer(300, module=7, name="E:LINE2.ZPL", escape="!")
    assert form.definition.startswith("^XA^DFE:LINE2.ZPL^FS^LH0,0^FO")
    assert "^BXN,7,200,,,,!^FN1^FS" in form.definition
    assert form.recall("0109506000134352") == RecallWriter(name="E:LINE2.ZPL", escape="!")(
        "0109506000134352"
    )
    assert form == ZplLabelFormat(form.template, "E:LINE2.ZPL", "!")  # the writer is derived


def test_label_format_refuses() -> None:
    with pytest.raises(InvalidQuantity) as caught:
        ZplLabelFormat.for_printer(152)  # no module both in range and 6 mm for 16 modules
    assert str(caught.value).startswith("Invalid printer resolution 152 for a 16-module symbol")
    for dpi in (50, 2000, True, "300"):
        with pytest.raises(InvalidQuantity):
            ZplLabelFormat.for_printer(dpi)  # type: ignore[arg-type]
    with pytest.raises(InvalidFormat):
        ZplLabelFormat.for_printer(300, escape="^")
    with pytest.raises(InvalidQuantity):
        ZplLabelFormat.for_printer(300, module=0)
    qr = template(LabelSpec(symbology=LabelSymbology.QR))
    with pytest.raises(InvalidCombination) as refused:
        ZplLabelFormat(qr)
    assert "expected a Template whose first symbol is a GS1 DataMatrix" in str(refused.value)
    assert "Hint: a QR label is written whole by render_zpl(label)" in str(refused.value)
    with pytest.raises(InvalidFormat) as caught:
        ZplLabelFormat("^XA^XZ")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "Invalid template '^XA^XZ': expected a label Template. Hint: "
        "ZplLabelFormat.for_printer(dpi), or template(LabelSpec(dpi=...))."
    )


# --- Read back by the printer's interpreter ----------------------------------------------------


VALUE = st.text(st.sampled_from(CSET82), min_size=1, max_size=20)


@st.composite
def codes(draw: st.DrawFn) -> ElementString:
    if draw(st.booleans()):
        key = Element.parse("01", "09506000134352")
    else:
        key = Element.parse("90", draw(st.from_regex(r"[A-Z0-9]{1,16}", fullmatch=True)))
    day = draw(st.sampled_from(["00", "01", "15", "28"]))
    expiry = Gs1Date.parse(f"{draw(st.integers(26, 40))}{draw(st.integers(1, 12)):02d}{day}")
    return ElementString.authentication(
        key=key, batch=draw(VALUE), expiry=expiry, serial=draw(VALUE)
    )


@settings(max_examples=200, deadline=None)
@given(code=codes())
def test_label_round_trip_through_the_interpreter(code: ElementString) -> None:
    zpl = stored(300) + recall_label(code.raw)
    _, events = interpret(zpl.encode())
    (label,) = events
    assert isinstance(label, Label)
    assert printed_raw(label) == code.raw.encode()
    key = code.get(AI.GTIN) or code[AI.NIE]
    expiry = code[AI.EXPIRY]
    day = "" if expiry.endswith("00") else f"-{expiry[4:]}"
    assert label.data == {
        1: escape_datamatrix(code.raw),
        2: f"{'GTIN' if AI.GTIN in code else 'NIE'}: {key}",
        3: f"BATCH: {code[AI.BATCH]}",
        4: f"EXP: 20{expiry[:2]}-{expiry[2:4]}{day}",
        5: f"SN: {code[AI.SERIAL]}",
    }

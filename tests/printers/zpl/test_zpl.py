"""ZPL builders and the printer's reading: the stored format, exact labels, ^BX escape rules, the
interpreter on real-world-like ZPL, and junk that must raise `ProtocolError` with a useful
message. (~HS: test_host_status.py.)"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, ProtocolError, ValidationError
from jejak.engine.gs1 import AI, GS, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.printers.label import LabelSpec, LabelSymbology, module_dots, template
from jejak.printers.zpl import (
    DataMatrixData,
    LabelWriter,
    escape_datamatrix,
    recall_label,
    stored_format,
    unescape_datamatrix,
)
from jejak.printers.zpl.interpreter import (
    Command,
    Control,
    FieldDef,
    Format,
    Interpreter,
    Label,
    tokenize,
)

CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GTIN_RAW = f"01095060001343521726123110ABC123{GS}21X7Y8Z9"
NIE_RAW = f"1726123190DKL1234567890A1{GS}10ABC123{GS}21X7Y8Z9"
ID_RAW = f"90DKL1234567890A1{GS}91291231"
# A label of the kind label designers write: comments, defaults, boxes, ^FH, two barcodes.
DESIGNER_LABEL = b"""^XA
^FX Header: a box, the company name and a rule.
^CF0,40
^FO40,40^GB120,120,120^FS
^FO200,50^FDPT Contoh Farma^FS
^FO40,180^GB700,3,3^FS
^BY3,2,120
^FO60,220^BCN,120,Y,N,N^FD1234567890^FS
^FO500,220^BXN,6,200,,,,_^FD_10109506000134352^FS
^FO60,400^A0N,30,30^FH\\^FDLot\\5F7^FS
^PQ2
^XZ
"""
# Printer setup as ZebraDesigner writes it before a label: ~ commands inside a format.
DESIGNER_SETUP = b"^XA~TA000~JSN^LT0^MNW^MTT^PON^PMN^LH0,0^JMA^PR4,4~SD15^JUS^LRN^CI0^XZ"


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


def test_label_writer_with_another_format_name_and_escape() -> None:
    write = LabelWriter(name="E:LINE2.ZPL", escape="!")
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


def test_escape_character_must_be_usable() -> None:
    with pytest.raises(InvalidFormat) as caught:
        LabelWriter(escape="^")
    assert str(caught.value) == (
        "Invalid ^BX escape character '^': expected one punctuation character other than '^', "
        "'~' and ','. Hint: Jejak uses '_'."
    )
    for bad in ("", "__", "A", "1", ",", "~"):
        with pytest.raises(InvalidFormat):
            stored(203, escape=bad)


# --- ^BX escape rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "gs1", "escaped"),
    [
        (f"10A_B{GS}21X", True, "_110A__B_121X"),
        ("0109506000134352", True, "_10109506000134352"),
        ("__1", True, "_1____1"),
        ("_1", False, "__1"),
        (f"A{GS}B", False, "A_]B"),
        ("plain text, spaces: ok", False, "plain text, spaces: ok"),
    ],
)
def test_escape_datamatrix(data: str, gs1: bool, escaped: str) -> None:
    assert escape_datamatrix(data, gs1=gs1) == escaped
    assert unescape_datamatrix(escaped) == DataMatrixData(data.encode(), gs1)


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("_d065_d000B", b"A\x00B"),  # _dNNN: a byte by its decimal value
        ("_@_G_[_^", b"\x00\x07\x1b\x1e"),  # _X: control characters
        ("_1", b""),
        ("", b""),
        ("a_]b", b"a\x1db"),
    ],
)
def test_unescape_zebra_sequences(text: str, data: bytes) -> None:
    assert unescape_datamatrix(text).data == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10A_2X", ("Invalid escape '_2X' at 3 in ^BX data '10A_2X': expected __, _1 (FNC1), "
                   "_dNNN (NNN ≤ 255) or _@ to _^. Hint: FNC2, FNC3, PAD and code pages are "
                   "outside Jejak's ZPL subset.")),
        ("_d256", None), ("_d1", None), ("AB_", None), ("_x", None), ("_5009", None),
        ("_0", None), ("_3", None),
    ],
)  # fmt: skip
def test_unescape_refuses_what_jejak_does_not_send(text: str, message: str | None) -> None:
    with pytest.raises(ProtocolError) as caught:
        unescape_datamatrix(text)
    assert message is None or str(caught.value) == message


ZPL_SAFE = st.text(st.sampled_from([chr(c) for c in range(0x20, 0x7F) if chr(c) not in "^~"]
                                   + [GS]), max_size=60)  # fmt: skip


@given(data=ZPL_SAFE, gs1=st.booleans(), escape=st.sampled_from(["_", "!", "\\", "{"]))
def test_escape_round_trip(data: str, gs1: bool, escape: str) -> None:
    escaped = escape_datamatrix(data, gs1=gs1, escape=escape)
    assert "^" not in escaped
    assert "~" not in escaped
    assert GS not in escaped
    assert unescape_datamatrix(escaped, escape=escape) == DataMatrixData(data.encode(), gs1)


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


# --- Tokenizer and interpreter -----------------------------------------------------------------


def test_tokenize_a_designer_label() -> None:
    commands = tokenize(DESIGNER_LABEL)
    assert commands[:4] == [
        Command("^", "XA", "\n"),
        Command("^", "FX", " Header: a box, the company name and a rule.\n"),
        Command("^", "CF", "0,40\n"),
        Command("^", "FO", "40,40"),
    ]
    assert Command("^", "A", "0N,30,30") in commands
    assert Command("^", "FD", "Lot\\5F7") in commands
    assert [c.name for c in commands].count("FS") == 6
    assert tokenize(b"~CC^^XA^CT~~HS") == [
        Command("~", "CC", "^"), Command("^", "XA", ""), Command("^", "CT", "~"),
        Command("~", "HS", ""),
    ]  # fmt: skip


def test_interpreter_prints_an_inline_designer_label() -> None:
    interpreter, events = interpret(DESIGNER_LABEL)
    assert interpreter.formats == {}
    (label,) = events
    assert isinstance(label, Label)
    assert label.quantity == 2
    assert label.format == Format("", (
        FieldDef(None, 40, 40, "GB", "120,120,120", ""),
        FieldDef(None, 200, 50, "", "", "PT Contoh Farma"),
        FieldDef(None, 40, 180, "GB", "700,3,3", ""),
        FieldDef(None, 60, 220, "BC", "N,120,Y,N,N", "1234567890"),
        FieldDef(None, 500, 220, "BX", "N,6,200,,,,_", "_10109506000134352"),
        FieldDef(None, 60, 400, "A", "0N,30,30", "Lot_7"),  # ^FH\ decoded \5F
    ))  # fmt: skip
    assert [value for _, value in label.values()][-2:] == ["_10109506000134352", "Lot_7"]


def test_interpreter_runs_designer_setup_commands_in_order() -> None:
    _, events = interpret(DESIGNER_SETUP)
    assert events == [Control("TA", "000"), Control("JS", "N"), Control("SD", "15")]
    _, events = interpret(b"~CD,~CC^~CT~\r\n" + DESIGNER_SETUP + b"\r\n~HS~JA")
    assert events[-2:] == [Control("HS"), Control("JA")]


def test_stored_format_recall_fills_fields_and_keeps_defaults() -> None:
    stream = (
        b'^XA^DFR:SHIP.GRF^FS^FO10,10^A0N,20,20^FN1"Name"^FDnobody^FS'
        b"^FO10,40^A0N,20,20^FN2^FS^FO10,70^FDfixed^FS^XZ"
        b"^XA^XFSHIP.GRF^FN2^FDsecond^FS^PQ3^XZ"  # device and extension default to R: and .ZPL
        b"^XA^XFR:SHIP.GRF^FS^FN1^FDfirst^FS^FN2^FD^FS^XZ"
    ).replace(b".GRF", b"")
    interpreter, events = interpret(stream)
    assert list(interpreter.formats) == ["R:SHIP.ZPL"]
    one, two = events
    assert isinstance(one, Label)
    assert isinstance(two, Label)
    assert ([v for _, v in one.values()], one.quantity) == (["nobody", "second", "fixed"], 3)
    assert ([v for _, v in two.values()], two.quantity) == (["first", "", "fixed"], 1)
    assert two.data == {1: "first", 2: ""}


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(0, 10_000), max_size=12))
def test_interpreter_is_indifferent_to_chunk_boundaries(cuts: list[int]) -> None:
    stream = (
        b"~CC^" + stored(203).encode() + b"\r\n"
        + recall_label(GTIN_RAW).encode() + b"~HS" + recall_label(NIE_RAW).encode()
        + DESIGNER_SETUP + b"~JA\r\n" + recall_label(ID_RAW).encode() + b"~HS"
    )  # fmt: skip
    _, whole = interpret(stream)
    interpreter = Interpreter()
    pieces: list[Label | Control] = []
    edges = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    for start, end in itertools.pairwise(edges):
        pieces += interpreter.feed(stream[start:end])
    assert pieces == whole
    assert not interpreter.partial
    labels = [e for e in whole if isinstance(e, Label)]
    assert [printed_raw(label) for label in labels] == [
        raw.encode() for raw in (GTIN_RAW, NIE_RAW, ID_RAW)
    ]
    assert [e for e in whole if isinstance(e, Control)] == [
        Control("CC", "^"), Control("HS"), Control("TA", "000"), Control("JS", "N"),
        Control("SD", "15"),
        Control("JA"), Control("HS"),
    ]  # fmt: skip


def test_interpreter_counting_mode_shares_one_empty_label() -> None:
    interpreter = Interpreter(fields=False)
    events = interpreter.feed((stored(203) + recall_label(GTIN_RAW) * 3).encode())
    assert len(events) == 3
    assert all(isinstance(e, Label) and e.filled == [] for e in events)
    assert events[1] is events[2]


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        (b"hello^XA^XZ", ("Invalid ZPL b'hello' outside a label format: expected ^XA \u2026 ^XZ or "
                         "a ~ command. Hint: check what else writes to the printer's port.")),
        (b"^FO10,10^FDx^FS^XZ", ("Invalid ZPL b'^FO10,10^FDx^FS' outside a label format: "
                                "expected ^XA \u2026 ^XZ or a ~ command. Hint: check what else "
                                "writes to the printer's port.")),
        (b"^XA^XFR:NOPE.ZPL^FS^FN1^FDx^FS^XZ", ("Unknown stored format 'R:NOPE.ZPL' in ^XF: "
         "expected one of []. Hint: send the ^DF format first (connect() does).")),
        (b"^XA^FO10,x^FDa^FS^XZ", ("Invalid ^FO10,x in ZPL: expected a number, got 'x'. Hint: "
                                  "positions, field numbers and quantities are whole numbers.")),
        (b"^XA^CC#^XZ", ("Unsupported ^CC#: expected '^'. Hint: Jejak's ZPL keeps the default "
                        "^ ~ ,.")),
        (b"~CT+", None),
        (b"^XA" + b"A" * (1 << 20), None),
        (b"^XA^FNa^FS^XZ", None),
        (b"^XA^XZjunk^XA^XZ", None),
        (b"\x00\x01^XA^XZ", None),
    ],
)  # fmt: skip
def test_interpreter_junk(stream: bytes, message: str | None) -> None:
    with pytest.raises(ProtocolError) as caught:
        Interpreter().feed(stream)
    assert message is None or str(caught.value) == message
    assert re.search(r"Hint: .+\.$", str(caught.value))


def test_interpreter_waits_for_the_rest() -> None:
    interpreter = Interpreter()
    pieces = (b"  ^", b"X", b"A^FO1,2^FD", b"x^FS^X", b"Z", b"\r\n~H", b"S")
    events = [interpreter.feed(piece) for piece in pieces]
    assert events[:4] == [[], [], [], []]
    (label,) = events[4]
    assert isinstance(label, Label)
    assert label.values() == [(FieldDef(None, 1, 2, "", "", "x"), "x")]
    assert events[5:] == [[], [Control("HS")]]
    assert not interpreter.partial

"""The ZPL language and the printer's reading: ^BX escape rules, the interpreter on Jejak's own
stream (`jejak.printers.label.ZplLabelFormat`) and real-world-like ZPL, and junk that must raise
`ProtocolError` with a useful message. (~HS: test_host_status.py; the stored format and recalls
Jejak writes: tests/printers/label/test_zpl.py.)"""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jejak.engine.errors import InvalidFormat, ProtocolError
from jejak.engine.gs1 import GS
from jejak.printers.label import ZplLabelFormat
from jejak.printers.zpl import (
    DataMatrixData,
    check_escape,
    escape_datamatrix,
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

GTIN_RAW = f"01095060001343521726123110ABC123{GS}21X7Y8Z9"
NIE_RAW = f"1726123190DKL1234567890A1{GS}10ABC123{GS}21X7Y8Z9"
ID_RAW = f"90DKL1234567890A1{GS}91291231"
JEJAK = ZplLabelFormat.for_printer(203)  # the stored format and recalls the Zebra client sends
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


def test_escape_character_must_be_usable() -> None:
    with pytest.raises(InvalidFormat) as caught:
        check_escape("^")
    assert str(caught.value) == (
        "Invalid ^BX escape character '^': expected one punctuation character other than '^', "
        "'~' and ','. Hint: Jejak uses '_'."
    )
    for bad in ("", "__", "A", "1", ",", "~", None):
        with pytest.raises(InvalidFormat):
            check_escape(bad)  # type: ignore[arg-type]
    for good in ("_", "!", "\\", "{"):
        check_escape(good)


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
        b"~CC^" + JEJAK.definition.encode() + b"\r\n"
        + JEJAK.recall(GTIN_RAW).encode() + b"~HS" + JEJAK.recall(NIE_RAW).encode()
        + DESIGNER_SETUP + b"~JA\r\n" + JEJAK.recall(ID_RAW).encode() + b"~HS"
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
    events = interpreter.feed((JEJAK.definition + JEJAK.recall(GTIN_RAW) * 3).encode())
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

"""What a Zebra printer does with a ZPL stream: commands, stored formats, labels to print.

`tokenize` splits ZPL into `Command`s. `Interpreter` is the printer's side, used by the simulator
(`jejak.printers.sim.zpl`): fed the stream in chunks as they arrive, it stores ``^DF`` formats,
fills their ``^FN`` fields on ``^XF`` and returns the `Label`s to print and the ``~`` `Control`
commands, in stream order. No I/O. What Jejak sends is written by `jejak.printers.label.zpl` (the
label format and its recalls) with `escape`; printers/README.md, "Zebra ZPL", describes the
subset.

>>> printer = Interpreter()
>>> label, control = printer.feed(
...     b"^XA^DFR:DEMO.ZPL^FS^FO10,20^A0N,30^FN1^FS^XZ^XA^XFR:DEMO.ZPL^FS^FN1^FDHi^FS^XZ~HS"
... )
>>> label.values()
[(FieldDef(number=1, x=10, y=20, command='A', params='0N,30', data=''), 'Hi')]
>>> control
Control(name='HS', params='')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jejak.engine.errors import ProtocolError
from jejak.engine.text import describe

__all__ = ["Command", "Control", "FieldDef", "Format", "Interpreter", "Label", "tokenize"]

# A command body runs to the next prefix, but ^CC, ^CT and ^CD take exactly one character.
_COMMAND = re.compile(r"([\^~])((?i:C[CTD]).|[^\^~]*)", re.DOTALL)
_XF_FIELD = re.compile(r"\^FN([0-9]+)\^FD([^\^]*)\^FS")
_PREFIX = re.compile(rb"[\^~]")
_PREFIX_COMMANDS = ("CC", "CT", "CD")  # change caret, tilde, delimiter: only to the defaults
_DEFAULT_PREFIX = {"CC": "^", "CT": "~", "CD": ","}
_MAX_FORMAT = 1 << 20


@dataclass(frozen=True, slots=True)
class Command:
    """One ZPL command: its prefix (``^`` or ``~``), name (``FD``, ``A`` for fonts) and params."""

    prefix: str
    name: str
    params: str


def _commands(text: str) -> list[Command]:
    out = []
    for match in _COMMAND.finditer(text):
        prefix, body = match.groups()
        size = 1 if body[:1] in ("A", "a") and body[1:2] != "@" else 2
        out.append(Command(prefix, body[:size].upper(), body[size:]))
    return out


def tokenize(data: bytes) -> list[Command]:
    """Split ZPL into commands; `ProtocolError` for text that is in no command.

    >>> tokenize(b"^XA^FO10,20^A0N,30^FDHi^FS^XZ")[1:4]  # doctest: +NORMALIZE_WHITESPACE
    [Command(prefix='^', name='FO', params='10,20'), Command(prefix='^', name='A',
     params='0N,30'), Command(prefix='^', name='FD', params='Hi')]
    """
    text = data.decode("latin-1")
    first = _PREFIX.search(data)
    if text[: len(text) if first is None else first.start()].strip():
        raise ProtocolError(
            f"Invalid ZPL {describe(data)}: expected a command starting with '^' or '~'. "
            "Hint: text outside ^FD belongs to no command."
        )
    return _commands(text)


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One field of a format: where, with which barcode or font command, and its data source."""

    number: int | None  # the ^FN number, None for fixed data
    x: int
    y: int
    command: str  # "BX", "BC", "A", "GB", ... or "" for none
    params: str
    data: str  # fixed ^FD data (or the field's default)


@dataclass(frozen=True, slots=True)
class Format:
    """A label format: stored (``^DF``, with a name) or inline (name ""); a stored one keeps
    its `source`, the ZPL from ``^XA`` to ``^XZ`` exactly as the printer received it."""

    name: str
    fields: tuple[FieldDef, ...]
    source: bytes = field(default=b"", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Label:
    """A label to print: a format and the ``^FN`` data, as (number, data) text pairs."""

    format: Format
    filled: list[tuple[str, str]] = field(hash=False)
    quantity: int = 1

    @property
    def data(self) -> dict[int, str]:
        """The ``^FN`` data by field number."""
        return {int(number): text for number, text in self.filled}

    def values(self) -> list[tuple[FieldDef, str]]:
        """Each field of the format with the data it prints."""
        data = self.data
        return [(f, f.data if f.number is None else data.get(f.number, f.data))
                for f in self.format.fields]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Control:
    """A ``~`` command that acts at once: ``HS`` (host status), ``JA`` (cancel all), others."""

    name: str
    params: str = ""


def _format_name(name: str) -> str:
    name = name.strip().upper()
    name = name if ":" in name else f"R:{name}"
    return name if "." in name else f"{name}.ZPL"


def _number(command: Command, index: int = 0, default: int | None = None) -> int:
    parts = command.params.split(",")
    value = parts[index].strip() if index < len(parts) else ""
    head = value.split('"')[0] if command.name == "FN" else value
    if not head and default is not None:
        return default
    if not (head.isascii() and head.isdigit()):
        raise ProtocolError(
            f"Invalid ^{command.name}{command.params} in ZPL: expected a number, got "
            f"{head!r}. Hint: positions, field numbers and quantities are whole numbers."
        )
    return int(head)


def _outside(data: bytes) -> ProtocolError:
    return ProtocolError(
        f"Invalid ZPL {describe(data[:40])} outside a label format: expected ^XA … ^XZ or a ~ "
        "command. Hint: check what else writes to the printer's port."
    )


class Interpreter:
    """The printer's reading of a ZPL stream, fed in chunks as they arrive.

    `feed` returns the labels to print and the ``~`` commands, in stream order; stored formats
    are kept in `formats`. Text outside any command raises `ProtocolError` (a real printer
    would ignore it; Jejak's simulator is strict so that a client's mistake shows).
    With `fields=False` a recall yields one shared, empty `Label` per format (a count).
    """

    __slots__ = ("_blank", "_fields", "_pending", "_recalled", "formats")

    def __init__(self, *, fields: bool = True) -> None:
        self._fields = fields
        self._pending = b""
        self._recalled: dict[str, Format] = {}
        self._blank: dict[bytes, Label] = {}
        self.formats: dict[str, Format] = {}

    @property
    def partial(self) -> bool:
        """Whether part of a format has arrived and the rest has not."""
        return bool(self._pending.strip())

    def feed(self, data: bytes) -> list[Label | Control]:
        buffer = self._pending + data if self._pending else data
        self._pending = b""
        out: list[Label | Control] = []
        position, size = 0, len(buffer)
        while position < size:
            tilde = buffer.find(b"~", position)
            limit = size if tilde < 0 else tilde
            last = buffer.rfind(b"^XZ", position, limit)
            if last >= 0:  # whole formats before the next ~ command: the hot path
                self._whole(buffer[position:last], out)
                position = last + 3
                continue
            start = buffer.find(b"^XA", position, limit)
            rest = buffer[position : limit if start < 0 else start].strip()
            if rest and not (start < 0 and tilde < 0 and b"^XA".startswith(rest)):
                raise _outside(rest)
            if start >= 0:  # a format still arriving, or one holding a ~ command
                end = buffer.find(b"^XZ", start + 3)
                if end < 0:
                    if size - start > _MAX_FORMAT:
                        raise ProtocolError(
                            f"Invalid ZPL {describe(buffer[start : start + 40])}: expected ^XZ "
                            f"within {_MAX_FORMAT} bytes. Hint: every format ends with ^XZ."
                        )
                    position = start
                    break
                out.extend(self._format(buffer[start + 3 : end].decode("latin-1")))
                position = end + 3
                continue
            following = -1 if tilde < 0 else self._tilde(buffer, tilde, out)
            if following < 0:  # nothing but a partial command left
                position = tilde if tilde >= 0 else position if rest else size
                break
            position = following
        self._pending = buffer[position:]
        return out

    def _whole(self, chunk: bytes, out: list[Label | Control]) -> None:
        """Formats ``^XA`` … separated by ``^XZ``, with no ``~`` command among them."""
        blank = self._blank
        for block in chunk.split(b"^XZ"):
            start = block.find(b"^XA")
            if start < 0 or block[:start].strip():
                raise _outside(block if start < 0 else block[:start].strip())
            if blank and block.startswith(b"^XF", start + 3):
                label = blank.get(block[start + 6 : block.find(b"^", start + 6)])
                if label is not None:
                    out.append(label)
                    continue
            out.extend(self._format(block[start + 3 :].decode("latin-1")))

    def _tilde(self, buffer: bytes, tilde: int, out: list[Label | Control]) -> int:
        """The ``~`` command at `tilde`: where the next command starts, -1 if incomplete."""
        name = buffer[tilde + 1 : tilde + 3].decode("latin-1").upper()
        if len(buffer) - tilde < 3 + (name in _PREFIX_COMMANDS):
            return -1
        if name in ("HS", "JA"):
            out.append(Control(name))
            return tilde + 3
        if name in _PREFIX_COMMANDS:
            out.extend(self._control(Command("~", name, chr(buffer[tilde + 3]))))
            return tilde + 4
        following = _PREFIX.search(buffer, tilde + 1)
        if following is None:
            return -1
        out.extend(self._control(_commands(buffer[tilde : following.start()].decode("latin-1"))[0]))
        return following.start()

    def _control(self, command: Command) -> list[Control]:
        if command.name in _PREFIX_COMMANDS and command.params[:1] != _DEFAULT_PREFIX[
                command.name]:  # fmt: skip
            raise ProtocolError(
                f"Unsupported {command.prefix}{command.name}{command.params}: expected "
                f"{_DEFAULT_PREFIX[command.name]!r}. Hint: Jejak's ZPL keeps the default ^ ~ ,."
            )
        return [Control(command.name, command.params)] if command.prefix == "~" else []

    def _fast_label(self, text: str) -> Label | None:
        """``^XF`` name ``^FS``, then ``^FN`` n ``^FD`` data ``^FS`` …: the hot path."""
        filled: list[tuple[str, str]] = _XF_FIELD.findall(text)
        tail = text[text.rfind("^") :]
        quantity = int(tail[3:]) if tail[:3] == "^PQ" and tail[3:].isdigit() else 0
        # Every caret accounted for: ^XF, its ^FS, three per field and the ^PQ.
        if text.count("^") != 2 + 3 * len(filled) + (quantity > 0) or "~" in text:
            return None
        name = text[3 : text.find("^", 3)]
        stored = self._recalled.get(name) or self._recall(name)
        if not self._fields:
            self._blank[name.encode("latin-1")] = Label(stored, [], 1)
            filled = []
        return Label(stored, filled, quantity or 1)

    def _format(self, text: str) -> list[Label | Control]:
        if text.startswith("^XF") and (label := self._fast_label(text)) is not None:
            return [label]
        out: list[Label | Control] = []
        fields: list[FieldDef] = []
        filled: list[tuple[str, str]] = []
        name, recalled, quantity = "", None, 1
        x = y = 0
        number: int | None = None
        kind = params = value = hex_char = ""
        for command in _commands(text):
            key = command.name
            if command.prefix == "~" or key in _PREFIX_COMMANDS:
                out.extend(self._control(command))
            elif key in ("FO", "FT"):
                x, y = _number(command, 0, 0), _number(command, 1, 0)
            elif key == "FN":
                number = _number(command)
            elif key == "FD":
                value = command.params
                if hex_char:
                    value = re.sub(re.escape(hex_char) + "([0-9A-Fa-f]{2})",
                                   lambda m: chr(int(m.group(1), 16)), value)  # fmt: skip
            elif key == "FH":
                hex_char = command.params[:1] or "_"
            elif key in ("A", "A@", "GB", "GC", "GD", "GE") or (key[:1] == "B" and key != "BY"):
                kind, params = key, command.params
            elif key == "FS":
                if recalled is not None and number is not None:
                    filled.append((str(number), value))
                elif kind or value or number is not None:
                    fields.append(FieldDef(number, x, y, kind, params, value))
                number, kind, params, value, hex_char = None, "", "", "", ""
            elif key == "DF":
                name = _format_name(command.params)
            elif key == "XF":
                recalled = self._recall(command.params)
            elif key == "PQ":
                quantity = _number(command)
        if name:
            source = f"^XA{text}^XZ".encode("latin-1")
            self.formats[name] = Format(name, tuple(fields), source)
            self._recalled.clear()
            self._blank.clear()
        elif recalled is not None:
            out.append(Label(recalled, filled, quantity))
        elif fields:
            out.append(Label(Format("", tuple(fields)), [], quantity))
        return out

    def _recall(self, name: str) -> Format:
        stored = self.formats.get(_format_name(name))
        if stored is None:
            raise ProtocolError(
                f"Unknown stored format {name!r} in ^XF: expected one of "
                f"{sorted(self.formats)}. Hint: send the ^DF format first (connect() does)."
            )
        self._recalled[name] = stored
        return stored

"""What the Zebra client needs of a label format: a `StoredFormat` it stores once per connection
(``^DF``) and recalls per label (``^XF`` with ``^FN`` fields). No I/O.

ZPL does not know what a pack label looks like: the label's owner writes the format
(`jejak.printers.label.ZplLabelFormat`, from the label template) and whoever builds a
`jejak.printers.zpl.client.ZplPrinter` hands it one. `check_stored_format` is the client's guard.

>>> class Blank:
...     definition = "^XA^DFR:BLANK.ZPL^FS^FO10,10^FN1^FS^XZ"
...     def recall(self, raw: str) -> str:
...         return f"^XA^XFR:BLANK.ZPL^FS^FN1^FD{raw}^FS^XZ"
>>> check_stored_format(Blank()).recall("42")
'^XA^XFR:BLANK.ZPL^FS^FN1^FD42^FS^XZ'
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from jejak.engine.errors import InvalidFormat
from jejak.engine.text import describe

__all__ = ["FORMAT_NAME", "StoredFormat", "check_stored_format"]

FORMAT_NAME = "R:JEJAK.ZPL"  # where Jejak stores its label format: printer RAM, JEJAK.ZPL


@runtime_checkable
class StoredFormat(Protocol):
    """A label format as a Zebra printer stores and recalls it."""

    @property
    def definition(self) -> str:
        """The one ``^XA^DF…^XZ`` that stores the format (ASCII): sent once per connection."""
        ...

    def recall(self, raw: str) -> str:
        """The ``^XA^XF…^XZ`` that prints one label of the raw element string `raw`; a
        `jejak.engine.errors.ValidationError` if `raw` is not a code the format can carry.
        The client calls it per label: the hot path."""
        ...


def check_stored_format(stored: object) -> StoredFormat:
    """`stored` if it is a `StoredFormat` whose definition is one ZPL ``^DF`` format in ASCII,
    else `InvalidFormat`: the client's print confirmation counts that one format first."""
    if not isinstance(stored, StoredFormat):
        raise InvalidFormat(
            f"Invalid stored format {describe(stored)}: expected a StoredFormat (a definition "
            "and a recall(raw)). Hint: jejak.printers.label.ZplLabelFormat.for_printer(300)."
        )
    definition = stored.definition
    if not (
        isinstance(definition, str)
        and definition.isascii()
        and definition.startswith("^XA^DF")
        and definition.endswith("^XZ")
        and definition.count("^XZ") == 1
    ):
        raise InvalidFormat(
            f"Invalid stored format definition {describe(definition)}: expected one ASCII "
            "^XA^DF … ^XZ format. Hint: ~HS confirmation counts the one format stored first."
        )
    return stored

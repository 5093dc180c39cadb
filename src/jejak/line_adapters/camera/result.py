"""What a smart camera tells the line: its kind, the result of a trigger, its grade, its status.

A smart camera (a Cognex DataMan, a Keyence SR) decodes the symbol itself and sends one *read
string* per trigger over TCP: the data it decoded, or its no-read string. Jejak configures the
readers to prefix the data with the symbology identifier (ISO/IEC 15424: ``]d2`` GS1 DataMatrix,
``]Q3`` GS1 QR, ``]d1``/``]Q1`` without FNC1) and to send the GS bytes (0x1D) of a GS1 element
string as they are. The two codecs (`cognex`, `keyence`) frame read strings differently; what a
read string holds is the same for both and is described by `ResultFormat`:

- a no-read is the configured no-read string alone (Cognex: configurable, ``NoRead`` in our
  configuration; Keyence: ``ERROR``, which Keyence advises not to change);
- otherwise the identifier (if any), then the raw data bytes;
- with grade output on, every read string ends in the separator and an ISO/IEC 15415 overall
  grade (`Grade`), a letter or a number. GS1 data may hold the separator itself (CSET 82 has
  ``,``), so the grade is the text after the *last* separator: a grade never contains one,
  because a separator may hold no letter, digit or ``.``.

A product's minimum grade (C unless it says otherwise: `DEFAULT_MINIMUM_GRADE`) is checked
with `Grade.meets`, which reads a letter minimum as its whole band (C: 1.5 and up).

The client turns read strings into `CameraResult`s (numbered by trigger) and reports the
camera's state as `CameraStatus`es (`CameraEvent` is either); a line it cannot use is a
`Malformed` frame of the codec.

>>> fmt = ResultFormat.parse(no_read="NoRead", grade_separator=",")
>>> fmt.no_read, fmt.grade_separator
(b'NoRead', b',')
>>> Grade.parse("B") == Grade.parse("3.0"), Grade.parse("2.5").letter, str(Grade.parse("0.4"))
(True, 'B', '0.4')
>>> Grade.parse("1.6").meets(DEFAULT_MINIMUM_GRADE), str(min(Grade.parse("A"), Grade.parse("2.5")))
(True, '2.5')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from jejak.engine.errors import InvalidFormat
from jejak.engine.symbology import Symbology
from jejak.engine.text import describe

__all__ = [
    "DEFAULT_MINIMUM_GRADE",
    "CameraEvent",
    "CameraKind",
    "CameraResult",
    "CameraState",
    "CameraStatus",
    "Grade",
    "Malformed",
    "ReadString",
    "ResultFormat",
]

MAX_NO_READ = 128  # characters; Datalogic allows a no-read string of up to 128
MAX_SEPARATOR = 8


class CameraKind(StrEnum):
    """The smart-camera families Jejak talks to."""

    COGNEX = "cognex"  # DataMan, DMCC over TCP (telnet port 23)
    KEYENCE = "keyence"  # SR series, LON/LOFF over the Ethernet command port 9004

    @classmethod
    def parse(cls, value: object) -> CameraKind:
        """
        >>> CameraKind.parse("datalogic")
        Traceback (most recent call last):
        ...
        jejak.engine.errors.InvalidFormat: Invalid camera kind 'datalogic': expected 'cognex' \
or 'keyence'. Hint: Jejak speaks Cognex DataMan DMCC and Keyence SR; set other readers to \
emulate one of them.
        """
        for kind in cls:
            if value == kind.value:
                return kind
        raise InvalidFormat(
            f"Invalid camera kind {describe(value)}: expected 'cognex' or 'keyence'. Hint: "
            "Jejak speaks Cognex DataMan DMCC and Keyence SR; set other readers to emulate one "
            "of them."
        )

    @property
    def default_port(self) -> int:
        return 23 if self is CameraKind.COGNEX else 9004

    @property
    def default_no_read(self) -> str:
        """The no-read string of our reader configuration (Keyence's own default ``ERROR``)."""
        return "NoRead" if self is CameraKind.COGNEX else "ERROR"


_LETTER_TENTHS = {"A": 40, "B": 30, "C": 20, "D": 10, "F": 0}
_BANDS = (("A", 35), ("B", 25), ("C", 15), ("D", 5))  # lowest tenths of each letter
_FLOORS = {**dict(_BANDS), "F": 0}
_NUMBER = re.compile(r"[0-4](?:\.[0-9])?", re.ASCII)


@dataclass(frozen=True, slots=True, order=True)
class Grade:
    """An ISO/IEC 15415 overall symbol grade: 0.0 (F) to 4.0 (A), in tenths.

    The overall grade is the lowest of the parameter grades; a reader sends it as a letter or
    as a number. Grades compare by value (``Grade.parse("B") == Grade.parse("3.0")``); a letter
    is the band the value falls in (A >= 3.5, B >= 2.5, C >= 1.5, D >= 0.5, F below), and
    ISO/IEC 15415 has no E. `letter_form` remembers how it was written, so that
    ``str(grade)`` gives it back as the reader sent it. The comparisons order grades by value
    (the worst of several is `min`); whether a read passes a product's minimum is `meets`,
    which reads a letter minimum as its whole band.

    >>> Grade.parse("E")
    Traceback (most recent call last):
    ...
    jejak.engine.errors.InvalidFormat: Invalid grade 'E': ISO/IEC 15415 grades are A, B, C, D \
and F, there is no E. Hint: set the reader to ISO/IEC 15415 grading, or give the grade as a \
number from 0.0 to 4.0.
    """

    value: float
    letter_form: bool = field(default=False, compare=False)

    @classmethod
    def parse(cls, value: object) -> Grade:
        """A grade from a letter (``"C"``), a number as text (``"2.5"``) or a number (2.5)."""
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if isinstance(value, str):
            letter = _LETTER_TENTHS.get(value.upper()) if len(value) == 1 else None
            if letter is not None:
                return cls(letter / 10, letter_form=True)
            if value in ("E", "e"):
                raise InvalidFormat(
                    "Invalid grade 'E': ISO/IEC 15415 grades are A, B, C, D and F, there is no "
                    "E. Hint: set the reader to ISO/IEC 15415 grading, or give the grade as a "
                    "number from 0.0 to 4.0."
                )
            if _NUMBER.fullmatch(value):
                tenths = round(float(value) * 10)
                if tenths <= 40:
                    return cls(tenths / 10)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            tenths = round(value * 10)
            if 0 <= tenths <= 40 and abs(value * 10 - tenths) < 1e-9:
                return cls(tenths / 10)
        raise InvalidFormat(
            f"Invalid grade {describe(value)}: expected a letter A, B, C, D or F, or a number "
            "from 0.0 to 4.0 with at most one decimal. Hint: ISO/IEC 15415 grades A = 4.0, "
            "B = 3.0, C = 2.0, D = 1.0, F = 0.0; e.g. 'C' or '2.5'."
        )

    @property
    def letter(self) -> str:
        """The letter band of the value: A, B, C, D or F."""
        tenths = round(self.value * 10)
        for letter, low in _BANDS:
            if tenths >= low:
                return letter
        return "F"

    def meets(self, minimum: Grade) -> bool:
        """Whether this grade is at least `minimum`, as a product's minimum grade means it: a
        minimum given as a letter is met by every value in that letter's band or above (C:
        1.5 and up), one given as a number by that number and up.

        >>> c = Grade.parse("C")
        >>> Grade.parse("1.6").meets(c), Grade.parse("1.6") >= c, Grade.parse("1.4").meets(c)
        (True, False, False)
        >>> Grade.parse("C").meets(Grade.parse("2.0")), Grade.parse("1.9").meets(Grade.parse("2"))
        (True, False)
        """
        tenths = round(self.value * 10)
        if minimum.letter_form:
            return tenths >= _FLOORS[minimum.letter]
        return tenths >= round(minimum.value * 10)

    def __str__(self) -> str:
        return self.letter if self.letter_form else f"{self.value:.1f}"


DEFAULT_MINIMUM_GRADE = Grade.parse("C")
"""The lowest overall grade a product accepts unless it says otherwise (the line's default)."""


def _ascii(value: object, what: str, hint: str) -> bytes:
    text = value.encode("ascii") if isinstance(value, str) and value.isascii() else value
    if not isinstance(text, bytes) or not text or text.translate(None, _PRINTABLE) != b"":
        raise InvalidFormat(
            f"Invalid {what} {describe(value)}: expected printable ASCII text. Hint: {hint}"
        )
    return text


_PRINTABLE = bytes(range(0x20, 0x7F))
_NOT_SEPARATOR = re.compile(rb"[0-9A-Za-z.]")
_LOOKS_LIKE_REPLY = (b"||", b"OK,", b"ER,")


@dataclass(frozen=True, slots=True)
class ResultFormat:
    """How the reader is configured to write a read string: its no-read string, and the
    separator before an appended grade (None: no grade output)."""

    no_read: bytes
    grade_separator: bytes | None = None

    @classmethod
    def parse(cls, *, no_read: object, grade_separator: object = None) -> ResultFormat:
        """
        >>> ResultFormat.parse(no_read="ERROR", grade_separator="9")
        Traceback (most recent call last):
        ...
        jejak.engine.errors.InvalidFormat: Invalid grade separator '9': expected 1 to 8 \
printable ASCII characters with no letter, digit or '.', which a grade could contain. Hint: \
use ',' or ';' as the readers do.
        """
        hint = "the reader's no-read string, e.g. 'NoRead' (Cognex) or 'ERROR' (Keyence)."
        text = _ascii(no_read, "no-read string", hint)
        if len(text) > MAX_NO_READ or text.startswith(_LOOKS_LIKE_REPLY):
            raise InvalidFormat(
                f"Invalid no-read string {describe(no_read)}: expected 1 to {MAX_NO_READ} "
                "printable ASCII characters that do not begin like a command response ('||', "
                f"'OK,', 'ER,'). Hint: {hint}"
            )
        if grade_separator is None:
            return cls(text)
        hint = "use ',' or ';' as the readers do."
        separator = _ascii(grade_separator, "grade separator", hint)
        if len(separator) > MAX_SEPARATOR or _NOT_SEPARATOR.search(separator):
            raise InvalidFormat(
                f"Invalid grade separator {describe(grade_separator)}: expected 1 to "
                f"{MAX_SEPARATOR} printable ASCII characters with no letter, digit or '.', "
                f"which a grade could contain. Hint: {hint}"
            )
        return cls(text, separator)


@dataclass(frozen=True, slots=True)
class ReadString:
    """One read string as a codec decodes it, before the client numbers it."""

    data: bytes | None  # None: the no-read string
    symbology: Symbology | None
    grade: Grade | None


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line the codec cannot use, as received, and why. `read` tells whether it stood where
    a read string stands (the trigger it answers gets no data) or where a command response
    does (the exchange with the camera can no longer be trusted)."""

    line: bytes
    reason: str
    read: bool


@dataclass(frozen=True, slots=True)
class CameraResult:
    """The camera's answer to one trigger: what it read (raw bytes, GS kept), or a no-read."""

    trigger: int  # 1-based number of the trigger this answers, counted by the client
    data: bytes | None  # the raw bytes after the symbology identifier; None: no read
    symbology: Symbology | None  # from the ]xx prefix; None on a no-read or when none was sent
    grade: Grade | None  # when the camera appends one
    received: float  # time.monotonic() when the client decoded the frame

    @property
    def no_read(self) -> bool:
        return self.data is None


class CameraState(StrEnum):
    """What the client reports of the camera; the line decides on these, never on text."""

    READY = "ready"  # connected; triggers are answered
    DISCONNECTED = "disconnected"  # the connection is gone (detail says why); connect() again
    ERROR = "error"  # the camera refused a command, or sent a line the client cannot use


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """A change of the camera's state. An `ERROR` about a trigger names it (`trigger`) and
    carries the camera's own code (`code`: a `cognex.DmccStatus` or a `keyence.KeyenceError`)
    when it sent one."""

    state: CameraState
    detail: str = ""
    trigger: int | None = None
    code: IntEnum | None = None


CameraEvent = CameraResult | CameraStatus
"""What a camera client reports: a result, or a change of the camera's state."""

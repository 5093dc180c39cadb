"""Serial numbers: a keyed format-preserving permutation of a per-scope counter.

A serial is ``prefix + epoch tag + permuted part``. The permuted part is a counter value run
through a Feistel network over the numerals of the serial alphabet (the construction of NIST
FF1: unbalanced halves in radix ``len(alphabet)``, modular addition, here 10 rounds with
SipHash-2-4 as the round function). Each half stays inside its own numeral domain, so the
permutation maps ``alphabet ** length`` onto itself exactly and no cycle-walking is needed.

- Unique by construction: distinct counters give distinct serials (a bijection), so a scope never
  repeats a serial while its counter only grows; the epoch tag separates key epochs.
- Unguessable without the key: the round function is a keyed PRF, tweaked by the scope, so two
  products' serial sequences are unrelated.
- O(1) state: the counter. A scanned serial maps back to its counter with the inverse rounds.

>>> fmt = SerialFormat.parse(alphabet="upper_no_lookalikes", length=10)
>>> perm = SerialPermutation(fmt, key=bytes(range(16)), scope=b"01:09506000134352", epoch=0)
>>> [perm.serial(counter) for counter in range(3)]
['2TWEGNB8MC', '2Y55PKJ622', '2T35DCU5PS']
>>> perm.counter_of("2Y55PKJ622"), perm.counter_of("2Y55PKJ623"), perm.counter_of("XY55PKJ623")
(1, 23316462895536, None)

Every string of the format maps back to *some* counter (the permutation is a bijection); a
serial is genuine when that counter lies in a range the store granted to a batch.
>>> fmt.capacity()  # codes per epoch at a guess probability of at most 1 in 10,000
3518437208
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from jejak.engine._feistel import ROUNDS, FeistelKey, decrypt, encrypt, halves_of, numerals_of
from jejak.engine._siphash import key_words, siphash24
from jejak.engine.errors import InvalidFormat, InvalidLength, InvalidQuantity
from jejak.engine.text import describe

__all__ = [
    "MAX_GUESS_PROBABILITY",
    "ROUNDS",
    "SerialAlphabet",
    "SerialFormat",
    "SerialPermutation",
    "load_kernels",
]

MAX_GUESS_PROBABILITY = 1e-4  # EU FMD (Reg. 2016/161 Art. 4(b)): 1 in 10,000 at most.
_GUESS_DENOMINATOR = 10_000
_COUNTER_LIMIT = 1 << 64  # counters are unsigned 64-bit in the kernels
MIN_PERMUTED = 4  # numerals of the permuted part; below this a Feistel half is too small
MAX_HALF = 10  # numerals per half, so that radix ** half fits in 64 bits for radix <= 82


class SerialAlphabet(StrEnum):
    """The character sets a serial may use. All are subsets of GS1 CSET 82."""

    DIGITS = "digits"
    UPPER_NO_LOOKALIKES = "upper_no_lookalikes"  # no 0/O, 1/I: safe to read aloud and to type
    ALPHANUMERIC = "alphanumeric"  # 0-9 A-Z a-z
    CSET82_SAFE = "cset82_safe"  # alphanumerics and CSET 82 marks that need no escaping in CSV,
    # HRI, URLs or ZPL: no quotes, parentheses, percent, ampersand, comma, angle brackets, slash

    @property
    def characters(self) -> str:
        return _ALPHABETS[self]


_ALPHABETS = {
    SerialAlphabet.DIGITS: "0123456789",
    SerialAlphabet.UPPER_NO_LOOKALIKES: "23456789ABCDEFGHJKLMNPQRSTUVWXYZ",
    SerialAlphabet.ALPHANUMERIC: ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    SerialAlphabet.CSET82_SAFE: (
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*+-.:=?"
    ),
}
_PREFIX = re.compile(r"[0-9A-Za-z\-.]*", re.ASCII)


@dataclass(frozen=True, slots=True)
class SerialFormat:
    """How serials of a scope look: alphabet, total length, fixed prefix, epoch-tag width."""

    alphabet: SerialAlphabet
    length: int
    prefix: str = ""
    epoch_width: int = 1

    @classmethod
    def parse(
        cls, *, alphabet: object, length: object, prefix: object = "", epoch_width: object = 1
    ) -> SerialFormat:
        names = ", ".join(repr(a.value) for a in SerialAlphabet)
        chosen = next((a for a in SerialAlphabet if a.value == alphabet or a is alphabet), None)
        if chosen is None:
            raise InvalidFormat(
                f"Invalid serial alphabet {describe(alphabet)}: expected one of {names}. "
                "Hint: 'upper_no_lookalikes' suits most lines."
            )
        if not isinstance(length, int) or isinstance(length, bool) or not 6 <= length <= 20:
            raise InvalidLength(
                f"Invalid serial length {describe(length)}: expected 6 to 20 (BPOM AI 21). "
                "Hint: 10 to 12 characters give room for billions of codes."
            )
        if not isinstance(prefix, str) or _PREFIX.fullmatch(prefix) is None:
            raise InvalidFormat(
                f"Invalid serial prefix {describe(prefix)}: expected letters, digits, '-' or '.'. "
                "Hint: the prefix is fixed text such as a line number, e.g. 'L1'."
            )
        if (
            not isinstance(epoch_width, int)
            or isinstance(epoch_width, bool)
            or epoch_width not in (0, 1, 2)
        ):
            raise InvalidLength(
                f"Invalid epoch width {describe(epoch_width)}: expected 0, 1 or 2 characters. "
                "Hint: 1 allows as many key rotations as the alphabet has characters."
            )
        permuted = length - len(prefix) - epoch_width
        if permuted < MIN_PERMUTED:
            raise InvalidLength(
                f"Invalid serial format: length {length} leaves {permuted} characters to permute "
                f"after prefix {prefix!r} and {epoch_width} epoch character(s); expected at least "
                f"{MIN_PERMUTED}. Hint: lengthen the serial or shorten the prefix."
            )
        return cls(chosen, length, prefix, epoch_width)

    @property
    def radix(self) -> int:
        return len(self.alphabet.characters)

    @property
    def permuted_length(self) -> int:
        return self.length - len(self.prefix) - self.epoch_width

    @property
    def domain(self) -> int:
        """How many serials one key epoch of a scope can have."""
        size: int = self.radix**self.permuted_length  # int ** int is Any to mypy
        return size

    @property
    def max_epochs(self) -> int:
        count: int = self.radix**self.epoch_width
        return count

    def capacity(self) -> int:
        """Codes one epoch may issue before the guess probability passes 1 in 10,000."""
        return self.domain // _GUESS_DENOMINATOR

    def check_capacity(self, issued: int, requested: int) -> float:
        """The guess probability after issuing `requested` more; refuse it above 1 in 10,000."""
        probability = (issued + requested) / self.domain
        if (issued + requested) * _GUESS_DENOMINATOR > self.domain:  # exact, no float rounding
            raise InvalidQuantity(
                f"Invalid allocation of {requested:,} serials: {issued:,} already issued in this "
                f"scope would make the guess probability {probability:.2e}, expected at most "
                f"{MAX_GUESS_PROBABILITY:.0e} ({self.capacity():,} serials for "
                f"{self.radix}^{self.permuted_length}). Hint: use longer serials, a larger "
                "alphabet, or rotate the serial key to start a new epoch."
            )
        return probability

    def epoch_tag(self, epoch: int) -> str:
        if not 0 <= epoch < self.max_epochs:
            raise InvalidQuantity(
                f"Invalid key epoch {epoch}: expected 0 to {self.max_epochs - 1} for "
                f"{self.epoch_width} epoch character(s). Hint: widen the epoch tag."
            )
        chars = self.alphabet.characters
        digits = []
        for _ in range(self.epoch_width):
            epoch, digit = divmod(epoch, self.radix)
            digits.append(chars[digit])
        return "".join(reversed(digits))


def _epoch_tweak(epoch: int) -> bytes:
    """The epoch in the scope tweak: one byte below 256 (as every serial printed so far was
    made), four bytes from 256 on, so that no two epochs of a scope share a tweak. (Each epoch
    has its own key too.)

    >>> _epoch_tweak(44), _epoch_tweak(300)
    (b',', b'\\x00\\x00\\x01,')
    """
    return bytes([epoch]) if epoch < 256 else epoch.to_bytes(4, "big")


class _Kernels:
    """The numba kernels (`_serial_kernels`) once imported: None until the first bulk `format` or
    `load_kernels()`, so that a process that only makes or looks up single serials never pays
    for numba."""

    module: ClassVar[ModuleType | None] = None


def _kernels() -> ModuleType:
    if _Kernels.module is None:
        # Not at the top: importing numba costs about 0.4 s, which only bulk work pays (issue 9).
        from jejak.engine import _serial_kernels  # noqa: PLC0415 - see above

        _Kernels.module = _serial_kernels
    return _Kernels.module


class SerialPermutation:
    """The keyed permutation of one (scope, key epoch): counters to serials and back.

    One serial (`serial`) is computed in pure Python (about 0.15 ms); many (`format`) by the numba
    kernels, imported on first use. `counter_of` uses the compiled inverse once the kernels are
    loaded (see `load_kernels`) and pure Python before. Both give the same results.
    """

    __slots__ = ("_alphabet", "_chars", "_head", "_key", "_lookup", "_params", "format_")

    def __init__(self, fmt: SerialFormat, *, key: bytes, scope: bytes, epoch: int) -> None:
        self.format_ = fmt
        self._head = (fmt.prefix + fmt.epoch_tag(epoch)).encode()  # refuses an epoch out of range
        k0, k1 = key_words(key)
        # The scope tweak makes each product's sequence unrelated to every other product's.
        tweak = siphash24(k0, k1, b"jejak-serial\x00" + scope + _epoch_tweak(epoch))
        self._key = FeistelKey.of(
            k0=k0, k1=k1, tweak=tweak, radix=fmt.radix, numerals=fmt.permuted_length
        )
        self._params = np.array(self._key, dtype=np.uint64)  # the kernels' parameter vector
        chars = fmt.alphabet.characters.encode()
        self._alphabet = np.frombuffer(chars, np.uint8)
        self._chars = chars.ljust(256, b"\xff")  # numeral -> its character, for bytes.translate
        table = bytearray(b"\xff" * 256)  # byte -> its numeral; 0xFF: not of the alphabet
        for i, c in enumerate(chars):
            table[c] = i
        self._lookup = bytes(table)

    def format(self, counters: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint8]:
        """Serials of `counters`, as an (n, length) array of ASCII bytes."""
        counters = np.ascontiguousarray(counters, dtype=np.uint64)
        if counters.size and int(counters.max()) >= self.format_.domain:
            raise InvalidQuantity(
                f"Invalid counter {int(counters.max())}: expected below the domain "
                f"{self.format_.domain}. Hint: the scope's epoch is exhausted; rotate the key."
            )
        out = np.empty((counters.shape[0], self.format_.length), dtype=np.uint8)
        head = np.frombuffer(self._head, np.uint8)
        _kernels().format_many(counters, self._params, self._alphabet, head, out)
        return out

    def serial(self, counter: int) -> str:
        """The serial of one counter, as text."""
        limit = min(self.format_.domain, _COUNTER_LIMIT)
        if not 0 <= counter < limit:
            raise InvalidQuantity(
                f"Invalid counter {counter}: expected below the domain {limit}. Hint: the "
                "scope's epoch is exhausted; rotate the key."
            )
        numerals = numerals_of(self._key, *encrypt(self._key, int(counter)))
        return (self._head + numerals.translate(self._chars)).decode("ascii")

    def counter_of(self, serial: bytes | str) -> int | None:
        """The counter whose serial this is, or None when it is not of this format and epoch (or
        would need a counter beyond 64 bits, which is never issued)."""
        try:
            data = serial.encode("ascii") if isinstance(serial, str) else bytes(serial)
        except UnicodeEncodeError:
            return None
        if len(data) != self.format_.length or not data.startswith(self._head):
            return None
        mapped = data[len(self._head) :].translate(self._lookup)
        if b"\xff" in mapped:
            return None
        kernels = _Kernels.module
        if kernels is None:
            a, b = decrypt(self._key, *halves_of(self._key, mapped))
        else:
            numerals = np.frombuffer(mapped, dtype=np.uint8).astype(np.uint64)
            a, b = kernels.decrypt_halves(numerals, self._params)
        # Python integers: a domain may exceed 2**64, where the kernel's product would wrap. Such
        # a counter can never have been issued (counters are 64-bit), so it is no serial of ours.
        counter = int(a) * self._key.mod_v + int(b)
        return counter if counter < _COUNTER_LIMIT else None


_WARM_UP = SerialFormat(SerialAlphabet.DIGITS, 6, "", 0)


def load_kernels() -> None:
    """Import the numba kernels and compile them (or load them from numba's cache) now.

    Without this, the first bulk `SerialPermutation.format` does it, and until then
    `counter_of` inverts in pure Python (about 0.15 ms a code), so that a command that looks one
    code up never imports numba. A long-running line process calls this at start-up: its first
    batch formats without a pause and every scan resolves through the compiled inverse (about
    2 µs). Calling it again costs next to nothing.
    """
    warm = SerialPermutation(_WARM_UP, key=bytes(16), scope=b"", epoch=0)
    serial = bytes(warm.format(np.zeros(1, dtype=np.uint64))[0])
    warm.counter_of(serial)

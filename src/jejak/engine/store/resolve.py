"""Resolve a read to the code it names: (batch, level, index), fast, without its history.

This is the camera's hot path. A read — raw with GS, with a ``]d2``/``]Q3`` identifier, HRI, a
bare serial or 18 SSCC digits — is split into its elements by a lean splitter (no validation:
a read that names a code of this store is valid by construction); the product key names the
scope; a BPOM-issued serial is found in the ``issued`` index, a self-issued one maps back to its
counter through the inverse permutation and the counter to its batch through one range scan.
Batch records, scope formats, key epochs and permutations are cached between reads.

Anything the splitter does not take, and every read it cannot resolve, goes the full way:
`parse_read` validates it (bad input raises its `ValidationError`), bare serials are searched in
every scope, and what no batch issued raises `UnknownCode`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jejak.engine.batch_record import BatchRecord
from jejak.engine.errors import UnknownCode, ValidationError
from jejak.engine.gs1 import AI, GS, Element, ElementString, is_cset82
from jejak.engine.symbology import Symbology, parse_read

if TYPE_CHECKING:
    from jejak.engine.store.view import CodeRef, StoreView

__all__ = ["Resolution", "resolve"]

_FIXED = {"00": 18, "01": 14, "17": 6, "91": 6}
_VARIABLE = frozenset({"10", "21", "90"})
_SYMBOLOGIES = {s.value: s for s in Symbology}
_HRI = re.compile(r"\(([0-9]{2})\)([^()]*)", re.ASCII)
_MAX_READ = 512


@dataclass(frozen=True, slots=True)
class Resolution:
    """A read resolved to a code of this store."""

    ref: CodeRef
    record: BatchRecord
    serial: str  # the serial, or the 18 digits of an SSCC
    scanned: Mapping[str, str]  # the read's elements by AI ('10': batch ...); empty: bare serial
    symbology: Symbology | None

    @property
    def code(self) -> ElementString:
        """The code as the store issued it."""
        return self.record.level_code(self.ref.level, self.serial)


def split_read(data: str) -> tuple[Symbology | None, dict[str, str]] | None:
    """The symbology and elements of a well-formed read, or None for anything else.

    >>> split_read("]d20108991234567891172810311" + "0B1" + chr(29) + "21ABC")
    (<Symbology.GS1_DATAMATRIX: ']d2'>, {'01': '08991234567891', '17': '281031', '10': 'B1', \
'21': 'ABC'})
    >>> split_read("(90)DKL1234567890A1(21)X1"), split_read("21ABC" + chr(29) + "99X")
    ((None, {'90': 'DKL1234567890A1', '21': 'X1'}), None)
    """
    if len(data) > _MAX_READ or not data.isascii():
        return None
    symbology = None
    if data.startswith("]"):
        symbology = _SYMBOLOGIES.get(data[:3])
        if symbology is None:
            return None
        data = data[3:]
    elements = _split_hri(data) if data.startswith("(") else _split_raw(data)
    return None if elements is None else (symbology, elements)


def _split_hri(data: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    position = 0
    for match in _HRI.finditer(data):
        if match.start() != position or match.group(1) in out or not match.group(2):
            return None
        out[match.group(1)] = match.group(2)
        position = match.end()
    return out if position == len(data) and out else None


def _split_raw(data: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    position = 1 if data.startswith(GS) else 0
    size = len(data)
    while position < size:
        ai = data[position : position + 2]
        start = position + 2
        fixed = _FIXED.get(ai)
        if fixed is not None:
            end = start + fixed
            if end > size or GS in data[start:end]:
                return None
            position = end + 1 if data[end : end + 1] == GS else end
        elif ai in _VARIABLE:
            end = data.find(GS, start)
            end = size if end == -1 else end
            position = end + 1
        else:
            return None
        if ai in out or end == start:
            return None
        out[ai] = data[start:end]
    return out or None


def resolve(view: StoreView, data: str) -> Resolution:
    """The code a read names; raise `UnknownCode` (or the read's `ValidationError`)."""
    split = split_read(data) if isinstance(data, str) else None
    if split is not None:
        symbology, elements = split
        found = _resolve_elements(view, elements)
        if found is not None:
            ref, serial = found
            return Resolution(ref, view.batch_by_id(ref.batch_id), serial, elements, symbology)
    return _resolve_slowly(view, data)


def _resolve_elements(view: StoreView, elements: Mapping[str, str]) -> tuple[CodeRef, str] | None:
    serial = elements.get("21")
    if serial is None:
        digits = elements.get("00")
        if digits is None or len(elements) != 1:
            return None
        ref = _find_sscc(view, digits)
        return None if ref is None else (ref, digits)
    gtin, nie = elements.get("01"), elements.get("90")
    if (gtin is None) == (nie is None):
        return None
    scope = f"01:{gtin}" if gtin is not None else f"90:{nie}"
    ref = _find_serial(view, scope.encode("ascii"), serial)
    return None if ref is None else (ref, serial)


def _find_serial(view: StoreView, scope: bytes, serial: str) -> CodeRef | None:
    try:
        data = serial.encode("ascii")
    except UnicodeEncodeError:
        return None
    fmt = view.cached_serial_format(scope)
    if fmt is None:
        return None
    for epoch in view.cached_epochs():  # a serial of another format or epoch fails at once
        counter = view.permutation_of(fmt, scope, epoch).counter_of(data)
        if counter is not None:
            ref = view.range_owner(scope, epoch, counter)
            if ref is not None:
                return ref
    return view.issued_ref(scope, data)  # BPOM-issued


def _find_sscc(view: StoreView, digits: str) -> CodeRef | None:
    for scope, fmt in view.cached_sscc_scopes():
        counter = fmt.counter_of(digits)
        ref = None if counter is None else view.range_owner(scope, 0, counter)
        if ref is not None:
            return ref
    return None


def _resolve_slowly(view: StoreView, data: str) -> Resolution:
    """The full way: validate the read, then search as `codes lookup` always has."""
    scanned: ElementString | None = None
    symbology = None
    try:
        read = parse_read(data)
        scanned, symbology = read.code, read.symbology
    except ValidationError as error:
        try:
            Element.parse(AI.SERIAL, data)  # not an element string: maybe a bare serial
        except ValidationError:
            raise error from None
    if scanned is not None and AI.SSCC in scanned and AI.SERIAL not in scanned:
        return _sscc_or_unknown(view, data, scanned[AI.SSCC], symbology, scanned)
    key = None if scanned is None else _key_of(scanned)
    if scanned is not None and (AI.SERIAL not in scanned or key is None):
        if not is_cset82(data) or len(data) > 20:
            if AI.SERIAL not in scanned:
                raise UnknownCode(
                    f"Code {data!r} has no serial (21): expected a serialized code. Hint: "
                    "identification codes are not tracked per pack."
                )
            raise UnknownCode(
                f"Code {data!r} has no product key: expected (01) GTIN or (90) NIE. "
                "Hint: pass the whole scanned code, or the serial alone."
            )
        scanned = None  # text that also reads as an element string ('21ABC'): a bare serial
    if scanned is None and len(data) == 18 and data.isascii() and data.isdigit():
        ref = _find_sscc(view, data)  # 18 bare digits: maybe an SSCC (`codes list --form serial`)
        if ref is not None:
            return Resolution(ref, view.batch_by_id(ref.batch_id), data, {}, None)
    if scanned is not None and key is not None:
        candidates = [f"{key.ai.value}:{key.value}".encode("ascii")]
        serial = scanned[AI.SERIAL]
    else:
        candidates = [scope for scope, _ in view.scopes(sscc=False)]
        serial = data
    for scope in candidates:
        found = _find_serial(view, scope, serial)
        if found is not None:
            elements = {} if scanned is None else {e.ai.value: e.value for e in scanned.elements}
            return Resolution(found, view.batch_by_id(found.batch_id), serial, elements,
                              symbology)  # fmt: skip
    raise UnknownCode(
        f"Unknown code {data!r}: no batch in this store issued it. Hint: check the product key "
        "(GTIN or NIE) and the serial; a code printed elsewhere is a counterfeit suspect."
    )


def _sscc_or_unknown(
    view: StoreView, data: str, digits: str, symbology: Symbology | None, scanned: ElementString
) -> Resolution:
    ref = _find_sscc(view, digits)
    if ref is None:
        raise UnknownCode(
            f"Unknown SSCC {data!r}: no batch in this store issued it. Hint: check the "
            "extension digit and company prefix; an SSCC printed elsewhere is not this site's."
        )
    return Resolution(ref, view.batch_by_id(ref.batch_id), digits,
                      {e.ai.value: e.value for e in scanned.elements}, symbology)  # fmt: skip


def _key_of(code: ElementString) -> Element | None:
    return next((e for e in code.elements if e.ai in (AI.GTIN, AI.NIE)), None)

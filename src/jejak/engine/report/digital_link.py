"""Codes as GS1 Digital Link URIs (GS1 Digital Link: URI Syntax 1.2): the EPCs of EPCIS 2.0.

- a GTIN-keyed code (AI 01 with 21): ``https://id.gs1.org/01/<gtin14>/21/<serial>``;
- an SSCC (AI 00: a case or pallet of a site that codes them so): ``https://id.gs1.org/00/<sscc>``;
- a location (a read point, a business location): ``https://id.gs1.org/414/<gln>[/254/<ext>]``,
  given as a GS1 Digital Link URI or an SGLN URN (`Location`);
- an NIE-keyed code (AI 90): BPOM's key is no GS1 key, so there is no GS1 Digital Link URI for
  it. A site that reports such codes names them with its own `UriTemplate`, e.g.
  ``https://id.example.co.id/90/{nie}/10/{batch}/21/{serial}``; without one, `NoGs1Key`;
- a trading partner, by its TTAC partner ID, through the site's `PartnerTemplate`.

These are the constrained canonical URIs of the CBV 2.0 event hash: on ``id.gs1.org``, the GTIN
in 14 digits, the serial only (no batch), no query. A value is percent-encoded, every byte of
its UTF-8 but the URI-unreserved ``A-Z a-z 0-9 - . _ ~`` (RFC 3986; what
``urllib.parse.quote(value, safe="")`` gives), so that no value needs escaping in JSON either.
Cases and pallets are coded either with the batch's key and a serial of the batch's scope
(``(01)…(21)…``, as packs are) or, where the site chose it, as SSCCs (`CodeSource.SSCC`);
`DigitalLinks.affixes` maps each form. `DigitalLinks.uri_rows` builds the URIs of many codes of
one batch level at once: the serials come from the store as one byte matrix (`code_matrix`),
the constant head and tail around them are added in numpy, and only a page holding a character
that must be percent-encoded is done code by code.

>>> links = DigitalLinks.parse(nie_template="https://id.example.co.id/90/{nie}/21/{serial}")
>>> code_uri(ElementString.parse("(01)08991234567891(10)B1(17)281031(21)A/1"))
'https://id.gs1.org/01/08991234567891/21/A%2F1'
>>> links.code_uri(ElementString.parse("(90)DKL1234567890A1(10)B1(17)281031(21)X7"))
'https://id.example.co.id/90/DKL1234567890A1/21/X7'
>>> code_uri(ElementString.parse("(00)089912340000000015"))
'https://id.gs1.org/00/089912340000000015'
>>> Location.parse("urn:epc:id:sgln:8991234.00001.0").uri
'https://id.gs1.org/414/8991234000015'
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from jejak.engine.batch_record import BatchRecord, CodeSource
from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import InvalidChecksum, InvalidCombination, InvalidFormat, ReportRefused
from jejak.engine.gs1 import AI, CodeKind, ElementString
from jejak.engine.listing import PAD, code_matrix
from jejak.engine.report._rows import Matrix, framed, from_texts, stacked, texts
from jejak.engine.store import PAGE, StoreView
from jejak.engine.text import describe

__all__ = [
    "GS1_RESOLVER",
    "DigitalLinks",
    "Location",
    "NoGs1Key",
    "PartnerTemplate",
    "Placeholder",
    "UriTemplate",
    "code_uri",
    "gtin_uri",
    "percent_encode",
    "sscc_uri",
]

GS1_RESOLVER = "https://id.gs1.org"
"""The domain of canonical GS1 Digital Link URIs."""

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ENCODED = np.ones(256, dtype=np.bool_)  # which bytes a value must carry percent-encoded
_ENCODED[list(_UNRESERVED)] = False
_ENCODED[PAD] = False  # the padding of a code matrix is dropped, never encoded
_EXAMPLE = "https://id.example.co.id/90/{nie}/10/{batch}/21/{serial}"
# GS1 primary keys and their short names as GS1 Digital Link URIs (and the CBV 2.0 event hash)
# read them: a URI with one of these as a path segment could be taken for a GS1 Digital Link
# URI and rewritten by a reader, so a site's template may not have one.
_GS1_KEYS = frozenset({
    "00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006", "8010",
    "8017", "8018", "cpid", "gcn", "gdti", "giai", "ginc", "gln", "grai", "gsin", "gsrn",
    "gsrnp", "gtin", "itip", "party", "sscc",
})  # fmt: skip
_LITERAL = re.compile(r"[A-Za-z0-9._~-]+", re.ASCII)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def percent_encode(value: str) -> str:
    """A value as a GS1 Digital Link URI carries it: every byte but the unreserved ones as
    ``%XX``.

    >>> percent_encode("AB-12/3!")
    'AB-12%2F3%21'
    """
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode())


def gtin_uri(gtin: str, serial: str) -> str:
    """The URI of a serialised trade item: a GTIN-14 (validated by the caller) and a serial."""
    return f"{GS1_RESOLVER}/01/{gtin}/21/{percent_encode(serial)}"


def sscc_uri(sscc: str) -> str:
    """The URI of a logistic unit: an SSCC's 18 digits (validated by the caller)."""
    return f"{GS1_RESOLVER}/00/{sscc}"


def code_uri(code: ElementString, *, template: UriTemplate | None = None) -> str:
    """The URI of one code: by its GS1 key, else (AI 90) through `template`."""
    return DigitalLinks(template).code_uri(code)


class NoGs1Key(InvalidCombination, ReportRefused):
    """A code with no GS1 key (BPOM's AI 90) and no site URI template to name it with: an
    invalid combination of input, and a report that cannot be made (callers that write
    reports catch `ReportRefused`)."""


class Placeholder(StrEnum):
    """What a `UriTemplate` may name: the code's NIE, batch, expiry (YYMMDD, as AI 17) and
    serial."""

    NIE = "nie"
    BATCH = "batch"
    EXPIRY = "expiry"
    SERIAL = "serial"


def _template_error(value: object, expected: str) -> InvalidFormat:
    return InvalidFormat(
        f"Invalid URI template {describe(value)}: expected {expected}. Hint: name each value "
        f"after a path segment of its own, e.g. {_EXAMPLE}."
    )


@dataclass(frozen=True, slots=True)
class UriTemplate:
    """A site's URIs for codes keyed by NIE: an https URI whose path segments are literals or
    placeholders (`Placeholder`), ``{nie}`` and ``{serial}`` required, each placeholder a whole
    segment after a literal one (``/90/{nie}``). No literal may be a GS1 key (``01``, ``gtin``
    ...) or start with four digits, so that no reader takes the URI for a GS1 Digital Link URI
    (whose key is a segment followed by one that starts with four digits) and rewrites it."""

    text: str
    host: str
    segments: tuple[str | Placeholder, ...]

    @classmethod
    def parse(cls, value: object) -> UriTemplate:
        if (
            not isinstance(value, str)
            or not value.isascii()
            or not value.isprintable()
            or (" " in value)
        ):
            raise _template_error(value, "an https URI of printable ASCII with no space")
        if not value.startswith("https://"):
            raise _template_error(value, "an https URI (one that starts with 'https://')")
        if "?" in value or "#" in value:
            raise _template_error(value, "a path with no query or fragment")
        host, _, path = value[len("https://") :].partition("/")
        if not _HOST.fullmatch(host) or not path:
            raise _template_error(value, "a host name and a path")
        segments = tuple(_segment(value, text) for text in path.split("/"))
        for at, segment in enumerate(segments):
            if isinstance(segment, Placeholder) and (
                at == 0 or isinstance(segments[at - 1], Placeholder)
            ):
                raise _template_error(value, f"a literal path segment before {{{segment}}}")
        names = [s for s in segments if isinstance(s, Placeholder)]
        for name in Placeholder:
            if names.count(name) > 1:
                raise _template_error(value, f"{{{name}}} at most once")
        for name in (Placeholder.NIE, Placeholder.SERIAL):
            if name not in names:
                raise _template_error(value, f"a {{{name}}} placeholder (a code is unique by "
                                             "NIE and serial)")  # fmt: skip
        return cls(value, host, segments)

    def expand(self, values: dict[Placeholder, str]) -> str:
        """The URI with each placeholder's value percent-encoded."""
        path = "/".join(s if not isinstance(s, Placeholder) else percent_encode(values[s])
                        for s in self.segments)  # fmt: skip
        return f"https://{self.host}/{path}"


def _segment(template: str, text: str) -> str | Placeholder:
    if text.startswith("{") and text.endswith("}"):
        try:
            return Placeholder(text[1:-1])
        except ValueError:
            names = ", ".join(f"{{{p}}}" for p in Placeholder)
            raise _template_error(template, f"placeholders among {names}, "
                                            f"got {text!r}") from None  # fmt: skip
    if "{" in text or "}" in text:
        raise _template_error(template, f"each placeholder a whole path segment, got {text!r}")
    if not _LITERAL.fullmatch(text):
        raise _template_error(template, "literal path segments of A-Z a-z 0-9 - . _ ~, got "
                                        f"{text!r}")  # fmt: skip
    if text.lower() in _GS1_KEYS or (_DIGITS.fullmatch(text[:4]) and len(text) >= 4):
        raise _template_error(template, f"no GS1 key and no four leading digits in a literal "
                                        f"segment, got {text!r}")  # fmt: skip
    return text


@dataclass(frozen=True, slots=True)
class PartnerTemplate:
    """A site's URIs for its trading partners, by the partner IDs TTAC knows them by: an https
    URI with one ``{partner}`` path segment, e.g. ``https://id.example.co.id/partner/{partner}``.
    (GS1 names a party by its GLN, ``https://id.gs1.org/417/<gln>``; a TTAC partner ID is no
    GLN.)

    >>> PartnerTemplate.parse("https://id.example.co.id/partner/{partner}").uri("PBF/42")
    'https://id.example.co.id/partner/PBF%2F42'
    """

    text: str
    head: str
    tail: str

    @classmethod
    def parse(cls, value: object) -> PartnerTemplate:
        text = value if isinstance(value, str) else ""
        host, _, path = text.removeprefix("https://").partition("/")
        segments = path.split("/")
        if (
            not text.startswith("https://")
            or not _HOST.fullmatch(host)
            or segments.count("{partner}") != 1
            or not all(_LITERAL.fullmatch(s) for s in segments if s != "{partner}")
        ):
            raise InvalidFormat(
                f"Invalid partner URI template {describe(value)}: expected an https URI whose "
                "path has one {partner} segment and literal segments of A-Z a-z 0-9 - . _ ~. "
                "Hint: e.g. https://id.example.co.id/partner/{partner}."
            )
        head, _, tail = text.partition("{partner}")
        return cls(text, head, tail)

    def uri(self, partner: str) -> str:
        """The URI of a partner, its ID percent-encoded."""
        return f"{self.head}{percent_encode(partner)}{self.tail}"


@dataclass(frozen=True, slots=True)
class Location:
    """A read point or business location as its canonical GS1 Digital Link URI: a GLN, with an
    extension (AI 254) or none."""

    uri: str

    @classmethod
    def parse(cls, value: object) -> Location:
        """From an SGLN URN (``urn:epc:id:sgln:<company prefix>.<location ref>.<extension>``,
        extension ``0`` for none) or a GS1 Digital Link URI (``https://…/414/<gln>[/254/<ext>]``,
        on any domain)."""
        text = value.strip() if isinstance(value, str) else None
        found = _sgln(text) if text and text.startswith("urn:") else _gln_link(text)
        if found is None:
            raise InvalidFormat(
                f"Invalid location {describe(value)}: expected an SGLN URN or a GS1 Digital "
                "Link URI of a GLN. Hint: e.g. urn:epc:id:sgln:8991234.00001.0 or "
                "https://id.gs1.org/414/8991234000015."
            )
        gln, extension = found
        if int(gln[-1]) != gs1_check_digit(gln[:-1]):
            raise InvalidChecksum(
                f"Invalid GLN check digit for {gln!r} in {describe(value)}: expected "
                f"{gs1_check_digit(gln[:-1])}, got {gln[-1]}. Hint: copy the site's GLN from "
                "its GS1 registration."
            )
        tail = "" if extension is None else f"/254/{percent_encode(extension)}"
        return cls(f"{GS1_RESOLVER}/414/{gln}{tail}")


_SGLN = re.compile(r"urn:epc:id:sgln:([0-9]{6,12})\.([0-9]{0,6})\.((?:[A-Za-z0-9!'()*+,\-.:;=_]"
                   r"|%[0-9A-Fa-f]{2}){1,20})", re.ASCII)  # fmt: skip
_GLN_LINK = re.compile(r"https?://[^/?#]+(?:/[^?#]*)?/414/([0-9]{13})(?:/254/([^/?#]{1,60}))?/?"
                       r"(?:\?[^#]*)?", re.ASCII)  # fmt: skip


def _sgln(text: str) -> tuple[str, str | None] | None:
    match = _SGLN.fullmatch(text)
    if match is None or len(match.group(1)) + len(match.group(2)) != 12:
        return None
    payload = match.group(1) + match.group(2)
    extension = urllib.parse.unquote(match.group(3))
    return payload + str(gs1_check_digit(payload)), None if extension == "0" else extension


def _gln_link(text: str | None) -> tuple[str, str | None] | None:
    match = _GLN_LINK.fullmatch(text or "")
    if match is None:
        return None
    extension = match.group(2)
    return match.group(1), None if extension is None else urllib.parse.unquote(extension)


@dataclass(frozen=True, slots=True)
class DigitalLinks:
    """How a site names its codes as URIs: by their GS1 key, and codes keyed by NIE through
    its template (None: such codes are refused, `NoGs1Key`)."""

    nie_template: UriTemplate | None = None

    @classmethod
    def parse(cls, *, nie_template: object = None) -> DigitalLinks:
        return cls(None if nie_template is None else UriTemplate.parse(nie_template))

    def affixes(self, record: BatchRecord, level: Level) -> tuple[str, str]:
        """What comes before and after the percent-encoded serial (or SSCC digits) of every
        code of a batch level."""
        source = record.level(level).source
        if source is CodeSource.IDENTIFICATION:
            raise InvalidCombination(
                f"Invalid code for a GS1 Digital Link URI: batch {record.batch!r} is an "
                "identification batch, whose one code names no single pack. Hint: EPCIS "
                "events need serialised codes."
            )
        if source is CodeSource.SSCC:
            return f"{GS1_RESOLVER}/00/", ""
        if record.key.ai is AI.GTIN:
            return f"{GS1_RESOLVER}/01/{record.key.value}/21/", ""
        values = {Placeholder.NIE: record.key.value, Placeholder.BATCH: record.batch,
                  Placeholder.EXPIRY: record.expiry.yymmdd, Placeholder.SERIAL: "\x00"}  # fmt: skip
        head, _, tail = self._template(record.key.value).expand(values).partition("%00")
        return head, tail

    def _template(self, nie: str) -> UriTemplate:
        if self.nie_template is None:
            raise NoGs1Key(
                f"Invalid code key (90) {nie!r} for a GS1 Digital Link URI: expected a GS1 key "
                "(a GTIN) or a site URI template for codes keyed by NIE. Hint: BPOM's AI 90 is "
                f"no GS1 key; give the site's template, e.g. {_EXAMPLE}."
            )
        return self.nie_template

    def code_uri(self, code: ElementString) -> str:
        """The URI of one code (an authentication code or an SSCC)."""
        kind = code.kind
        if kind is CodeKind.LOGISTIC:
            return sscc_uri(code[AI.SSCC])
        if kind is not CodeKind.AUTHENTICATION:
            raise InvalidCombination(
                f"Invalid code {code.hri!r} for a GS1 Digital Link URI: expected a serialised "
                "code or an SSCC. Hint: an identification code names no single pack."
            )
        gtin = code.get(AI.GTIN)
        if gtin is not None:
            return gtin_uri(gtin, code[AI.SERIAL])
        return self._template(code[AI.NIE]).expand({
            Placeholder.NIE: code[AI.NIE], Placeholder.BATCH: code[AI.BATCH],
            Placeholder.EXPIRY: code[AI.EXPIRY], Placeholder.SERIAL: code[AI.SERIAL]})  # fmt: skip

    def uri_rows(self, view: StoreView, record: BatchRecord, level: Level,
                 indices: npt.NDArray[np.int64]) -> Matrix:  # fmt: skip
        """The URIs of codes `indices` of a batch level, in that order, as byte rows (see
        `_rows`): a page of serials from the store at a time, the constant head and tail
        added in numpy; a page holding a character to percent-encode is done code by code."""
        head, tail = self.affixes(record, level)
        parts = []
        for start in range(0, int(indices.size), PAGE):
            part = indices[start : start + PAGE]
            serials = code_matrix(view, record, level, part, form=CodeForm.SERIAL)
            if _ENCODED[serials].any():
                values = (head + percent_encode(t.decode("ascii")) + tail for t in texts(serials))
                parts.append(from_texts([v.encode("ascii") for v in values]))
            else:
                parts.append(framed(serials, head.encode("ascii"), tail.encode("ascii")))
        return stacked(parts)

    def uris(self, view: StoreView, record: BatchRecord, level: Level,
             indices: npt.NDArray[np.int64]) -> list[str]:  # fmt: skip
        """The URIs of codes `indices` of a batch level, in that order."""
        return [t.decode("ascii") for t in texts(self.uri_rows(view, record, level, indices))]

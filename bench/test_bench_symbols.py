"""Symbol module matrices (`make bench`).

Targets (DESIGN §7): GS1 DataMatrix >= 10 k/s per core, beating pylibdmtx's default `encode()`;
GS1 QR >= 5 k/s per core, beating segno's default `make()`. The baselines run in the same
session and make weaker symbols: pylibdmtx's `encode()` has no FNC1 (reads as ]d1) and renders an
RGB image at 5 px per module; segno has no FNC1 mode (reads as ]Q1).

Each call encodes the next of 1,000 distinct codes, as a printer feed does.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import TypeVar

import pytest
import segno
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.printers.symbols import (
    Backend,
    Symbol,
    SymbolKind,
    encode,
    encode_raw,
    to_image,
    verify,
)

with warnings.catch_warnings():  # pylibdmtx compares versions with distutils
    warnings.simplefilter("ignore", DeprecationWarning)
    from pylibdmtx import pylibdmtx

T = TypeVar("T")
N_CODES = 1000
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GTIN = Element.parse(AI.GTIN, "09506000134352")


def _serial(n: int) -> str:
    return "".join(ALPHABET[(n * 7919 + 13 * i * i) % len(ALPHABET)] for i in range(10))


CODES = [
    ElementString.authentication(
        key=GTIN, batch="B2611001", expiry=Gs1Date(2028, 10, 31), serial=_serial(n)
    )
    for n in range(N_CODES)
]
RAWS = [code.raw.encode("ascii") for code in CODES]
TEXTS = [f"https://cekbpom.pom.go.id/id/{_serial(n)}".encode() for n in range(N_CODES)]


def _feed(items: list[T]) -> Callable[[], T]:
    return itertools.cycle(items).__next__


def test_gs1_datamatrix_libdmtx(benchmark: BenchmarkFixture) -> None:
    following = _feed(CODES)
    symbol = benchmark(lambda: encode(following()))
    verify(symbol)
    assert symbol.rows == symbol.columns


def test_gs1_datamatrix_zxing(benchmark: BenchmarkFixture) -> None:
    following = _feed(CODES)
    symbol = benchmark(lambda: encode(following(), backend=Backend.ZXING))
    verify(symbol)


def test_gs1_datamatrix_from_raw_bytes_libdmtx(benchmark: BenchmarkFixture) -> None:
    """A printer simulator's path: parse and validate the field data, then encode."""
    following = _feed(RAWS)
    symbol = benchmark(lambda: encode_raw(following(), SymbolKind.GS1_DATAMATRIX))
    verify(symbol)


def test_gs1_qr_zxing(benchmark: BenchmarkFixture) -> None:
    following = _feed(CODES)
    symbol = benchmark(lambda: encode(following(), SymbolKind.GS1_QR))
    verify(symbol)


def test_plain_qr_segno(benchmark: BenchmarkFixture) -> None:
    following = _feed(TEXTS)
    symbol = benchmark(lambda: encode_raw(following(), SymbolKind.QR))
    verify(symbol)


def test_plain_qr_zxing(benchmark: BenchmarkFixture) -> None:
    following = _feed(TEXTS)
    symbol = benchmark(lambda: encode_raw(following(), SymbolKind.QR, backend=Backend.ZXING))
    verify(symbol)


def test_baseline_pylibdmtx_encode(benchmark: BenchmarkFixture) -> None:
    """Baseline: pylibdmtx's default encode() (no FNC1, an RGB image at 5 px per module)."""
    following = _feed(RAWS)
    encoded = benchmark(lambda: pylibdmtx.encode(following()))
    assert encoded.bpp == 24


def test_baseline_segno_make(benchmark: BenchmarkFixture) -> None:
    """Baseline: segno's default make() on the raw GS1 data (no FNC1 mode)."""
    following = _feed([raw.decode("ascii") for raw in RAWS])
    qr = benchmark(lambda: segno.make(following()))
    assert qr.designator


@pytest.fixture(scope="module")
def symbol() -> Symbol:
    return encode(CODES[0])


def test_to_image_4px(benchmark: BenchmarkFixture, symbol: Symbol) -> None:
    image = benchmark(to_image, symbol, 4)
    assert image.shape == ((symbol.rows + 2) * 4, (symbol.columns + 2) * 4)


def test_verify_datamatrix(benchmark: BenchmarkFixture, symbol: Symbol) -> None:
    """Render at 2 px per module and read back with zxing-cpp (one format, pure image)."""
    benchmark(verify, symbol)

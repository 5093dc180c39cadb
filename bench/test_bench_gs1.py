"""GS1 element strings and check digits (`make bench`).

Element strings are built and parsed one code at a time at the edges (CLI, camera reads at line
rate, one per pack); bulk paths (reports, imports) check digits vectorised over numpy arrays.
The scalar-vs-numpy pair over the same 1 M GTINs shows why bulk work must not loop in Python.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.check_digit import gs1_check_digit
from jejak.engine.check_digits import gs1_check_digits, is_valid_gs1_batch
from jejak.engine.gs1 import AI, Element, ElementString
from jejak.engine.gs1_date import Gs1Date
from jejak.engine.symbology import parse_read

TODAY = dt.date(2026, 11, 25)
N_BULK = 1_000_000


@pytest.fixture(scope="module")
def payloads() -> np.ndarray:
    rng = np.random.default_rng(20261125)
    digits = rng.integers(0, 10, size=(N_BULK, 13), dtype=np.uint8) + ord("0")
    return digits.view("S13").reshape(-1)


@pytest.fixture(scope="module")
def gtins(payloads: np.ndarray) -> np.ndarray:
    checks = gs1_check_digits(payloads) + ord("0")
    matrix = np.concatenate([payloads.view(np.uint8).reshape(-1, 13), checks[:, None]], axis=1)
    return matrix.view("S14").reshape(-1)


CODE = ElementString.authentication(
    key=Element.parse(AI.GTIN, "09506000134352"),
    batch="B2611001",
    expiry=Gs1Date(2028, 10, 31),
    serial="7KQ2M9XW4T",
)


def test_build_authentication_code(benchmark: BenchmarkFixture) -> None:
    def build() -> str:
        return ElementString.authentication(
            key=Element.parse(AI.GTIN, "09506000134352"),
            batch="B2611001",
            expiry=Gs1Date(2028, 10, 31),
            serial="7KQ2M9XW4T",
        ).raw

    assert benchmark(build) == CODE.raw


def test_parse_raw(benchmark: BenchmarkFixture) -> None:
    assert benchmark(ElementString.parse, CODE.raw, today=TODAY) == CODE


def test_parse_hri(benchmark: BenchmarkFixture) -> None:
    assert benchmark(ElementString.parse, CODE.hri, today=TODAY) == CODE


def test_parse_read_with_symbology(benchmark: BenchmarkFixture) -> None:
    assert benchmark(parse_read, "]d2" + CODE.raw, today=TODAY).code == CODE


def test_check_digit_scalar(benchmark: BenchmarkFixture) -> None:
    assert benchmark(gs1_check_digit, "0950600013435") == 2


def test_check_digits_1m_python_loop(benchmark: BenchmarkFixture, payloads: np.ndarray) -> None:
    """Baseline: the scalar function over 1 M GTIN payloads, one Python call each."""
    texts = [p.decode() for p in payloads.tolist()]
    result = benchmark.pedantic(lambda: [gs1_check_digit(t) for t in texts], rounds=2)
    assert len(result) == N_BULK


def test_check_digits_1m_numpy(benchmark: BenchmarkFixture, payloads: np.ndarray) -> None:
    result = benchmark.pedantic(gs1_check_digits, args=(payloads,), rounds=5)
    assert result.shape == (N_BULK,)
    assert int(result[0]) == gs1_check_digit(payloads[0].decode())


def test_validate_1m_gtins_numpy(benchmark: BenchmarkFixture, gtins: np.ndarray) -> None:
    result = benchmark.pedantic(is_valid_gs1_batch, args=(gtins,), rounds=5)
    assert bool(result.all())

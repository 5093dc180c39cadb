"""Verification, engine only: camera result strings judged against the codes printed and
committed in group commits through the verification ledger.

Target (issue 10, DESIGN §7): >= 100 k reads/s with group commits. The baseline in the same
run: the same verdicts committed one read per unit of work (a durable commit per pack), which
is what a line without group commits would do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from jejak.engine.batch import CodeRequest
from jejak.engine.codes import Level
from jejak.engine.listing import code_texts
from jejak.engine.print_jobs import PrintLedger, PrintOutcome
from jejak.engine.product import Product
from jejak.engine.serials import SerialFormat
from jejak.engine.store import Store
from jejak.engine.symbology import Symbology
from jejak.engine.verification import Verdict
from jejak.line_adapters.camera import cognex
from jejak.line_adapters.camera.result import CameraResult, ResultFormat
from jejak.line_adapters.verify import Expected, Verifier

FORMAT = SerialFormat.parse(alphabet="upper_no_lookalikes", length=12)
READS = 100_000  # a round
GROUP = 2_000
BASELINE_READS = 300


def printed_batch(path: Path, name: str, quantity: int) -> Store:
    store = Store(path, map_size=1 << 33)
    store.add_product(Product.parse(nie="DKL1234567890A1", name="Bench", packaging="Dus",
                                    gtin="8991234567891"), actor="bench")  # fmt: skip
    request = CodeRequest.parse(nie="DKL1234567890A1", batch=name, expiry="2029-12-31",
                                primary_count=quantity, max_per_secondary=100,
                                max_per_tertiary=50)  # fmt: skip
    store.open_batch(request, serial_format=FORMAT, overage_pct=0, actor="bench")
    ledger = PrintLedger(store, name, Level.PRIMARY)
    for _ in range(quantity // 50_000):
        (taken,) = ledger.take([("coder-1", 50_000)], actor="engine")
        ledger.settle([("coder-1", PrintOutcome.PRINTED, taken)], actor="engine")
    return store


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, list[bytes]]]:
    """10 rounds' worth of printed codes, and the camera's result lines for them."""
    store = printed_batch(tmp_path_factory.mktemp("verify") / "s", "V1", 10 * READS)
    record = store.batch("V1")
    with store.view() as view:
        codes = code_texts(view, record, Level.PRIMARY, np.arange(10 * READS, dtype=np.int64))
    yield store, codes
    store.close()


def rounds_of(codes: list[bytes], fmt: ResultFormat, start: int = 0) -> list[list[CameraResult]]:
    """Each round's camera results from `start` on, decoded from Cognex result lines."""
    out = []
    for first in range(start, len(codes), READS):
        wire = b"".join(b"]d2" + code + b"\r\n" for code in codes[first : first + READS])
        _, frames = cognex.decode(bytearray(wire), fmt)
        out.append([CameraResult(first + i, f.data, f.symbology, f.grade, 0.0)
                    for i, f in enumerate(frames)])  # fmt: skip
    return out


def judge_all(verifier: Verifier, codes: list[bytes], results: list[CameraResult]) -> int:
    good = 0
    for result in results:
        index = result.trigger
        verdict = verifier.judge(Expected(index, codes[index]), result)
        verifier.submit(index, verdict)
        good += verdict is Verdict.GOOD
        if verifier.full:
            verifier.flush()
    verifier.flush()
    return good


def test_verification_with_group_commits(
    benchmark: BenchmarkFixture, batch: tuple[Store, list[bytes]]
) -> None:
    """Judge each read against its pack's code and group-commit: one round of 100 k reads."""
    store, codes = batch
    verifier = Verifier(store, "V1", line="bench", symbology=Symbology.GS1_DATAMATRIX, group=GROUP)
    rounds = iter(rounds_of(codes[: 5 * READS], ResultFormat.parse(no_read="NoRead")))
    good = benchmark.pedantic(lambda: judge_all(verifier, codes, next(rounds)), rounds=5,
                              iterations=1)  # fmt: skip
    assert good == READS
    benchmark.extra_info["reads_per_s"] = round(READS / benchmark.stats["median"])


def test_verification_from_result_lines(
    benchmark: BenchmarkFixture, batch: tuple[Store, list[bytes]]
) -> None:
    """The same, decoding the camera's result lines (the client's codec) in the round too."""
    store, codes = batch
    verifier = Verifier(store, "V1", line="bench", symbology=Symbology.GS1_DATAMATRIX, group=GROUP)
    fmt = ResultFormat.parse(no_read="NoRead")
    starts = iter(range(5 * READS, 10 * READS, READS))

    def one_round() -> int:
        first = next(starts)
        return judge_all(verifier, codes, rounds_of(codes[: first + READS], fmt, first)[0])

    good = benchmark.pedantic(one_round, rounds=5, iterations=1)
    assert good == READS
    benchmark.extra_info["reads_per_s"] = round(READS / benchmark.stats["median"])


def test_baseline_a_commit_per_read(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    """The same work with one durable unit of work per read (BASELINE_READS reads a round)."""
    store = printed_batch(tmp_path / "s", "V2", 50_000)
    record = store.batch("V2")
    with store.view() as view:
        codes = code_texts(view, record, Level.PRIMARY,
                           np.arange(5 * BASELINE_READS, dtype=np.int64))  # fmt: skip
    verifier = Verifier(store, "V2", line="bench", symbology=Symbology.GS1_DATAMATRIX, group=1)
    rounds = iter(range(5))

    def one_round() -> None:
        first = next(rounds) * BASELINE_READS
        for index in range(first, first + BASELINE_READS):
            result = CameraResult(index, codes[index], Symbology.GS1_DATAMATRIX, None, 0.0)
            verifier.submit(index, verifier.judge(Expected(index, codes[index]), result))
            verifier.flush()

    benchmark.pedantic(one_round, rounds=5, iterations=1)
    benchmark.extra_info["reads_per_s"] = round(BASELINE_READS / benchmark.stats["median"])
    store.close()

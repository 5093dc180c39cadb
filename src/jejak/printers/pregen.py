"""Pre-generation: every symbol of a batch encoded and verified ahead of the line.

A line at 600 packs a minute must never wait for an encoder. Before (and while) the line runs, a
pool of worker processes encodes the symbol of every primary, secondary and tertiary code of a
batch, reads each one back with zxing-cpp (the exact bytes and symbology identifier), and the
parent process stores the module matrices in the store's ``symbols`` column: per page of 64 Ki
codes, the symbol kind (16 bytes), the code count (u32), the matrix shapes (rows, columns: two
bytes a code) and the bit-packed matrices.
Printers that take bitmaps, the simulated line's camera and label renderers load them from
there; devices that render symbols themselves (ZPL ``^BX``, coders) get the same codes' raw
strings from the stream.

Workers receive the codes' raw strings and return packed matrices; all writing happens in the
parent, one unit of work per page (the page and its ``symbols.pregen`` event), so a crash leaves
whole pages or none.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from jejak.engine.codes import CodeForm, Level
from jejak.engine.errors import StoreError
from jejak.engine.listing import code_texts
from jejak.engine.store import PAGE, SYMBOLS, EventKind, Store
from jejak.printers.symbols import Symbol, SymbolKind, encode_raw, verify

__all__ = ["PregenReport", "Pregenerator", "load_symbols", "pregenerate"]

_TASK = 4096  # codes per worker task: big enough to amortise the pickling, small enough to share


@dataclass(slots=True)
class PregenReport:
    """What a pre-generation run did."""

    symbols: int = 0
    pages: int = 0
    seconds: float = 0.0
    workers: int = 0
    per_level: dict[str, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.symbols / self.seconds if self.seconds else 0.0


def _encode_task(texts: Sequence[bytes], kind: str, check: bool) -> tuple[bytes, bytes]:
    """Worker: encode (and verify) each code; return the shapes and the packed bits."""
    symbol_kind = SymbolKind(kind)
    shapes = np.empty((len(texts), 2), dtype=np.uint8)
    parts: list[bytes] = []
    for i, text in enumerate(texts):
        symbol = encode_raw(text, symbol_kind)
        if check:
            verify(symbol)
        shapes[i] = symbol.modules.shape
        parts.append(np.packbits(symbol.modules, axis=None).tobytes())
    return shapes.tobytes(), b"".join(parts)


def _pages_of(count: int) -> Iterator[tuple[int, int, int]]:
    for chunk in range((count + PAGE - 1) // PAGE):
        start = chunk * PAGE
        yield chunk, start, min(start + PAGE, count)


def pregenerate(
    store: Store,
    batch: str,
    *,
    kind: SymbolKind = SymbolKind.GS1_DATAMATRIX,
    levels: Sequence[Level] = tuple(Level),
    workers: int | None = None,
    check: bool = True,
    stop: threading.Event | None = None,
    actor: str = "pregen",
) -> PregenReport:
    """Encode (and verify) every code of `levels` of `batch`; store pages not already stored."""
    workers = max(1, workers or os.cpu_count() or 1)
    report = PregenReport(workers=workers)
    started = time.perf_counter()
    record = store.batch(batch)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for level in levels:
            count = record.level(level).count
            done = 0
            for chunk, start, end in _pages_of(count):
                if stop is not None and stop.is_set():
                    break
                indices = np.arange(start, end, dtype=np.int64)
                with store.view() as view:
                    if view.page(SYMBOLS, record, level, chunk) is not None:
                        continue  # an earlier run stored this page
                    texts = code_texts(view, record, level, indices, form=CodeForm.RAW)
                tasks: list[Future[tuple[bytes, bytes]]] = [
                    pool.submit(_encode_task, texts[i : i + _TASK], kind.value, check)
                    for i in range(0, len(texts), _TASK)
                ]
                results = [task.result() for task in tasks]
                shapes = b"".join(shape for shape, _ in results)
                bits = b"".join(packed for _, packed in results)
                header = kind.value.encode().ljust(16, b"\0") + (end - start).to_bytes(4, "big")
                with store.unit_of_work(actor) as uow:
                    uow.put_page(SYMBOLS, record, level, chunk, header + shapes + bits)
                    uow.event(EventKind.SYMBOLS_PREGEN, {"kind": kind.value, "page": chunk},
                              batch=record, level=level, indices=indices)  # fmt: skip
                done += end - start
                report.pages += 1
            report.per_level[level.name.lower()] = done
            report.symbols += done
    report.seconds = time.perf_counter() - started
    return report


def load_symbols(
    store: Store, batch: str, level: Level, indices: npt.NDArray[np.int64]
) -> list[Symbol]:
    """The pre-generated symbols of codes `indices` of a level, in the order asked."""
    with store.view() as view:
        record = view.batch(batch)
        texts = code_texts(view, record, level, indices, form=CodeForm.RAW)
        pages: dict[int, tuple[SymbolKind, npt.NDArray[np.uint8], npt.NDArray[np.int64], bytes]]
        pages = {}
        out: list[Symbol] = []
        for index, text in zip(indices.tolist(), texts, strict=True):
            chunk, offset = divmod(index, PAGE)
            page = pages.get(chunk)
            if page is None:
                raw = view.page(SYMBOLS, record, level, chunk)
                if raw is None:
                    raise StoreError(
                        f"Code {index} of the {level.name.lower()} codes of batch {batch!r} has "
                        "no pre-generated symbol. Hint: run `jejak batch pregen` first."
                    )
                page = _unpack_page(raw)
                pages[chunk] = page
            kind, shapes, offsets, bits = page
            rows, columns = int(shapes[offset, 0]), int(shapes[offset, 1])
            packed = np.frombuffer(bits, np.uint8, count=int(offsets[offset + 1] - offsets[offset]),
                                   offset=int(offsets[offset]))  # fmt: skip
            modules = np.unpackbits(packed, count=rows * columns).astype(bool)
            out.append(Symbol(kind, modules.reshape(rows, columns), text))
    return out


def _unpack_page(
    raw: bytes,
) -> tuple[SymbolKind, npt.NDArray[np.uint8], npt.NDArray[np.int64], bytes]:
    kind = SymbolKind(raw[:16].rstrip(b"\0").decode())
    count = int.from_bytes(raw[16:20], "big")
    shapes = np.frombuffer(raw, np.uint8, count=2 * count, offset=20).reshape(count, 2)
    sizes = (shapes[:, 0].astype(np.int64) * shapes[:, 1] + 7) // 8
    offsets = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return kind, shapes, offsets, raw[20 + 2 * count :]


class Pregenerator(threading.Thread):
    """`pregenerate` in a background thread, so the line can start while it works."""

    def __init__(self, store: Store, batch: str, **options: object) -> None:
        super().__init__(name=f"pregen-{batch}", daemon=True)
        self.store, self.batch, self.options = store, batch, options
        self.stop_event = threading.Event()
        self.report: PregenReport | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.report = pregenerate(self.store, self.batch, stop=self.stop_event,
                                      **self.options)  # type: ignore[arg-type]  # fmt: skip
        except BaseException as error:  # reported to whoever joins the thread
            self.error = error

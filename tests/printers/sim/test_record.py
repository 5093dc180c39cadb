"""A simulator's print record: every code it prints, one a line, as it prints (`--record`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from jejak.printers.coder.client import CoderClient
from jejak.printers.device import Job, Printed
from jejak.printers.label import ZplLabelFormat
from jejak.printers.sim._record import PrintRecord, record_line
from jejak.printers.zpl.client import ZplPrinter
from jejak.testing import StartCoder, StartZpl

CODES = [b"01089912345678911728103110B1\x1d21SER%04d" % i for i in range(40)]
SHOWN = [code.replace(b"\x1d", b"<GS>") + b"\n" for code in CODES]


def lines_within(path: Path, count: int, timeout: float = 10.0) -> list[bytes]:
    """The record's lines once it holds `count` (read while the simulator runs)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_bytes().splitlines(keepends=True) if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.01)


def print_all(device: CoderClient | ZplPrinter, codes: list[bytes], first: int = 0) -> None:
    """Send `codes` as jobs `first`, `first` + 1, ... and wait until each is printed."""
    jobs = list(range(first, first + len(codes)))
    device.send([Job(job, code) for job, code in zip(jobs, codes, strict=True)])
    printed: list[int] = []
    deadline = time.monotonic() + 10
    while len(printed) < len(codes) and time.monotonic() < deadline:
        printed += [e.job for e in device.poll(0.05) if isinstance(e, Printed)]
    assert printed == jobs


def test_a_coder_records_each_code_as_it_prints(
    coder_simulator: StartCoder, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = coder_simulator(keep_printed=False, record=record)
    with CoderClient("127.0.0.1", sim.port) as coder:
        print_all(coder, CODES[:25])
        assert lines_within(record, 25) == SHOWN[:25]  # flushed: readable while it runs
        print_all(coder, CODES[25:], first=25)
    assert lines_within(record, len(CODES)) == SHOWN


def test_a_zpl_printer_records_each_labels_datamatrix_data(
    zpl_simulator: StartZpl, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    sim = zpl_simulator(keep=False, record=record)  # counts only, yet the record has the data
    form = ZplLabelFormat.for_printer(300)
    with ZplPrinter("127.0.0.1", sim.port, label_format=form) as printer:
        print_all(printer, CODES)
    assert lines_within(record, len(CODES)) == SHOWN


def test_a_record_appends_and_skipped_records_are_not_in_it(
    coder_simulator: StartCoder, tmp_path: Path
) -> None:
    record = tmp_path / "printed.txt"
    record.write_bytes(b"from an earlier run\n")
    sim = coder_simulator(record=record)
    with CoderClient("127.0.0.1", sim.port) as coder:
        sim.skip_next(2)
        coder.send([Job(i, code) for i, code in enumerate(CODES[:5])])
        deadline = time.monotonic() + 10
        while sim.printed_count < 3 and time.monotonic() < deadline:
            coder.poll(0.05)
    assert lines_within(record, 4) == [b"from an earlier run\n", *SHOWN[2:5]]
    assert sim.skipped == CODES[:2]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"0109506000134352", b"0109506000134352\n"),
        (b"10A\x1d21B\x1d", b"10A<GS>21B<GS>\n"),
        (b"A\\B\nC\xff", b"A\\x5cB\\x0aC\\xff\n"),  # one code, one line, whatever its bytes
    ],
)
def test_record_lines(data: bytes, line: bytes) -> None:
    assert record_line(data) == line


def test_a_closed_record_ignores_writes(tmp_path: Path) -> None:
    record = PrintRecord(tmp_path / "r.txt")
    record.write([b"before open"])
    record.open()
    record.write([b"A", b"B"])
    record.close()
    record.write([b"after close"])
    assert (tmp_path / "r.txt").read_bytes() == b"A\nB\n"


def test_a_new_record_is_private_and_an_old_one_is_appended_to(tmp_path: Path) -> None:
    """It lists printed codes: 0600 whatever the umask, as the store's files are."""
    path = tmp_path / "r.txt"
    old = os.umask(0o022)
    try:
        record = PrintRecord(path)
        record.open()
        record.write([b"A"])
        record.close()
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    again = PrintRecord(path)
    again.open()
    again.write([b"B"])
    again.close()
    assert path.read_bytes() == b"A\nB\n"

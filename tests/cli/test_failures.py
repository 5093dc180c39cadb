"""Every bad input and fault is one line on stderr with the right exit code, never a traceback;
a command loads only what it uses; the store is private."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import Run

from jejak import __version__
from jejak.cli import main as cli_main
from jejak.cli.main import COMMANDS, make_parser
from jejak.engine.store import Store
from jejak.testing import NIE

ONE_LINE = re.compile(r"jejak: error: [^\n]+\n\Z")


def store_args(path: Path) -> list[str]:
    return ["--store", str(path)]


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def product_store(run: Run, tmp_path: Path) -> Path:
    path = tmp_path / "store"
    assert run("product", "add", "--nie", NIE, "--name", "A", "--packaging", "Dus",
               *store_args(path)).code == 0  # fmt: skip
    return path


OPEN = ["batch", "open", "--nie", NIE, "--batch", "B1", "--expiry", "2028-10-31",
        "--per-secondary", "12", "--per-tertiary", "40"]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["codes", "import", "--batch", "B1", "/nonexistent"], 2, "'/nonexistent': it does not"),
        (["codes", "import", "--batch", "B1", "{tmp}"], 2, "it is not a regular file"),
        (["codes", "import", "--batch", "B1", "{utf16}"], 2, "it is UTF-16 or UTF-32 text"),
        (["codes", "import", "--batch", "B1", "{latin1}"], 2, "byte 0xe9 on line 2 is not UTF-8"),
        (["codes", "import", "--batch", "B1", "{binary}"], 2, "it holds NUL bytes"),
        ([*OPEN, "--quantity", "10", "--codes-from", "{longfield}"], 2,
         "Invalid CSV line 2: 200,002 characters"),
        ([*OPEN, "--quantity", "10", "--codes-from", "{lonecr}"], 2, "a carriage return inside"),
        ([*OPEN, "--quantity", "9" * 5000], 2, "Invalid primary code count '99999"),
        ([*OPEN, "--quantity", "10", "--serial-length", "9" * 5000], 2, "argument --serial-l"),
        ([*OPEN, "--quantity", "10", "--codes-from", "/nonexistent"], 2, "it does not exist"),
        (["codes", "list", "--batch", ""], 1, "Unknown batch ''"),
        (["batch", "show", "B1", "--store", "/proc/1"], 1, "Cannot open the store '/proc/1'"),
        (["batch", "show", "B1", "--store", "{file}"], 1, "it is not a directory"),
        (["demo", "--today", "2026-13-01"], 2, "Invalid date (--today) '2026-13-01'"),
        (["codes", "parse", "]d2(01)"], 2, "Invalid (01) GTIN ''"),
        (["batch", "open", "--nie", "DKL1234567890A2", "--batch", "B2", "--expiry",
          "2028-10-31", "--quantity", "5", "--per-secondary", "2", "--per-tertiary", "2"], 1,
         "Unknown NIE 'DKL1234567890A2'"),
        (["nope"], 2, "invalid choice: 'nope'"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(
    run: Run, product_store: Path, tmp_path: Path, *, argv: list[str], code: int, message: str
) -> None:
    files = {
        "tmp": str(tmp_path),
        "utf16": write(tmp_path / "u16.txt", "BP1\nBP2\n".encode("utf-16")),
        "latin1": write(tmp_path / "l1.txt", "BP1\nBP\xe9\n".encode("latin-1")),
        "binary": write(tmp_path / "bin.txt", b"BP1\n\x00\x01\x02"),
        "longfield": write(tmp_path / "long.csv", b"code,x\n" + b"A" * 200_000 + b",1\n"),
        "lonecr": write(tmp_path / "cr.csv", b"code,x\nBP\r1,1\n"),
        "file": write(tmp_path / "plain", b"not a store"),
    }
    argv = [a.format(**files) for a in argv]
    if "--store" not in argv and argv[0] not in ("demo", "nope") and argv[:2] != ["codes", "parse"]:
        argv += store_args(product_store)
    result = run(*argv)
    assert (result.code, result.out) == (code, "")
    assert ONE_LINE.fullmatch(result.err), result.err
    assert message in result.err
    assert "Hint:" in result.err
    assert "Traceback" not in result.err


def test_debug_adds_the_traceback(run: Run, tmp_path: Path) -> None:
    result = run("--debug", "codes", "list", "--batch", "X", *store_args(tmp_path / "s"))
    assert result.code == 1
    assert "Traceback (most recent call last)" in result.err
    assert result.err.endswith("jejak: error: Unknown batch 'X'. Hint: open it with `jejak batch "
                               "open`, or list codes of an existing batch.\n")  # fmt: skip


def test_an_unexpected_error_is_one_line_too(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "products", broken)
    result = run("product", "list", *store_args(tmp_path / "s"))
    assert result.code == 1
    assert result.err == (
        "jejak: error: Internal error RuntimeError: boom. Nothing is stored that the command did "
        "not finish. Hint: run it again with `jejak --debug ...` and report the traceback.\n"
    )


def test_the_command_table_says_what_the_modules_say() -> None:
    for name, (_, line) in COMMANDS.items():
        parser = make_parser(name)
        (commands,) = [a for a in parser._actions if a.dest == "==SUPPRESS==" or a.choices]
        assert commands.choices is not None
        helps = {a.dest: a.help for a in commands._choices_actions}  # type: ignore[attr-defined]
        assert helps[name] == line, name


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    assert __version__ == version("jejak")


def test_help_lists_every_command(run: Run) -> None:
    result = run("--help")
    assert result.code == 0
    for name, (_, line) in COMMANDS.items():
        assert re.search(rf"\n    {name}\s+{re.escape(line)}\n", result.out), name


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["--help"], {"numpy", "numba", "lmdb", "zmq", "PIL", "holidays"}),
        (["nie", "DKL1234567890A1"], {"numpy", "numba", "lmdb", "zmq", "PIL", "holidays"}),
        (["codes", "parse", "(01)09506000134352(17)281031(10)B1(21)X1"],
         {"numpy", "numba", "lmdb", "zmq", "PIL", "holidays"}),
        (["batch", "show", "NOPE", "--store", "{store}"], {"numba", "zmq", "PIL", "holidays"}),
        (["codes", "lookup", "NOPE", "--store", "{store}"], {"numba", "zmq", "PIL", "holidays"}),
    ],
)  # fmt: skip
def test_a_command_loads_only_what_it_uses(
    tmp_path: Path, argv: list[str], absent: set[str]
) -> None:
    args = [a.format(store=tmp_path / "s") for a in argv]
    script = (
        "import sys\nfrom jejak.cli.main import main\n"
        f"code = main({args!r})\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, cwd=tmp_path)  # fmt: skip
    loaded = set(eval(done.stdout.strip().splitlines()[-1]))  # noqa: S307 - our own list
    assert not loaded & absent, loaded & absent


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_new_store_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with Store(tmp_path / "s", map_size=1 << 24):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o700
    for name in ("data.mdb", "lock.mdb"):
        assert stat.S_IMODE((tmp_path / "s" / name).stat().st_mode) == 0o600


def test_an_old_store_is_made_private(tmp_path: Path) -> None:
    with Store(tmp_path / "s", map_size=1 << 24):
        pass
    (tmp_path / "s").chmod(0o755)
    (tmp_path / "s" / "data.mdb").chmod(0o644)
    with Store(tmp_path / "s", map_size=1 << 24):
        pass
    assert stat.S_IMODE((tmp_path / "s").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "s" / "data.mdb").stat().st_mode) == 0o600


def test_a_full_map_is_one_line_and_the_store_stays(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJAK_MAP_SIZE", str(1 << 20))  # 1 MiB: a batch of 2 M codes cannot fit
    path = tmp_path / "s"
    assert run("product", "add", "--nie", NIE, "--name", "A", "--packaging", "D",
               *store_args(path)).code == 0  # fmt: skip
    result = run(*OPEN, "--quantity", "2000000", *store_args(path))
    assert result.code == 1
    assert ONE_LINE.fullmatch(result.err), result.err
    assert "is full: its map of 1,048,576 bytes is used up. Nothing of this change was stored." \
        in result.err  # fmt: skip
    assert run("audit", "verify", *store_args(path)).code == 0
    listed = run("product", "list", "--json", *store_args(path))
    assert [p["nie"] for p in listed.json()] == [NIE]  # type: ignore[union-attr]


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs (the test must run as root to mount it)."""
    mounter, unmounter = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mounter is None or unmounter is None:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run([mounter, "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    yield mount
    subprocess.run([unmounter, "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_the_store_stays(run: Run, tiny_disk: Path) -> None:
    path = tiny_disk / "s"
    assert run("product", "add", "--nie", NIE, "--name", "A", "--packaging", "D",
               *store_args(path)).code == 0  # fmt: skip
    opened = [run(*OPEN[:5], f"B{n}", *OPEN[6:], "--quantity", "500000", *store_args(path))
              for n in range(12)]  # fmt: skip
    failed = [r for r in opened if r.code != 0]
    assert failed, "the disk never filled"
    assert failed[0].code == 1
    assert ONE_LINE.fullmatch(failed[0].err), failed[0].err
    assert "the disk is full" in failed[0].err
    assert "Nothing of this change was stored." in failed[0].err
    assert run("audit", "verify", *store_args(path)).code == 0
    shown = run("batch", "show", "B0", "--json", *store_args(path))
    assert shown.code == 0
    assert cli_main.EXIT_REFUSED == 1

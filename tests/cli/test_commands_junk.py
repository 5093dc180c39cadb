"""Junk at every command: each value of each command line replaced by generated junk (random
text, Unicode digits, control characters, very long strings, mutations of valid values, files
of random bytes). Every run ends with exit 0, 1 or 2, and whatever it writes to stderr is
`jejak: error:` / `jejak: warning:` lines: never a traceback, never an internal error."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.cli.main import main
from jejak.testing import GTIN, NIE

EXAMPLES = 150  # a template; 4,200 command lines in all
UNICODE_DIGITS = "٠١٢٣٤٥٦٧٨٩０１２３４５६७"
CONTROL = "".join(map(chr, range(1, 32))) + "\x7f\u2028\ufeff"

# {J} is replaced by junk, {F} by a junk file, {T} by the test's folder.
TEMPLATES = [
    "codes build --gtin {J} --batch {J} --expiry {J} --serial {J} --json",
    "codes build --nie {J} --nie-expiry {J}",
    "codes parse {J} --json",
    "codes lookup {J} --json",
    "codes mark --state {J} {J}",
    "codes list --batch {J} --state {J}",
    "codes import --batch B1 {F}",
    "nie {J} --json",
    "product add --nie {J} --name {J} --packaging {J} --gtin {J} --method {J} --reason {J}",
    (
        "batch plan --nie {J} --batch {J} --expiry {J} --quantity {J} --per-secondary {J} "
        "--per-tertiary {J} --production-start {J} --requested-on {J}"
    ),
    (
        "batch open --nie " + NIE + " --batch {J} --expiry 2028-10-31 --quantity {J} "
        "--per-secondary {J} --per-tertiary {J} --overage {J} --serial-length {J}"
    ),
    (
        "batch open --nie " + NIE + " --batch {J} --expiry 2028-10-31 --quantity 5 "
        "--per-secondary 2 --per-tertiary 2 --codes-from {F} --sscc-prefix {J}"
    ),
    "batch show {J} --json",
    "batch close {J}",
    "label render --code {J} --dpi {J} --out {T}/label.png",
    "label render --code {J} --two-codes --bpom-code {J} --format svg --out {T}/label.svg",
    "printer keys --out {T}/keys --name {J}",
    "printer serve --batch {J} --bind {J} --timeout 0",
    "agg show {J} --json",
    "agg pack --parent {J} {J} --json",
    "ship --to {J} {J} --json",
    "ship --to PBF-1 {J} --out {T}/ship.csv --partner {J} --code-form {J}",
    "return {J} --reason {J} --from {J}",
    "recall --batch {J} --reason {J} --letter {J}",
    "report usage --batch {J} --out {T}/usage.csv --partner {J} --code-form {J} --header {J}",
    "report usage --since {J} --until {J} --format json --out {T}/usage.json --partner P",
    "report epcis --batch {J} --out {T}/b.jsonld --nie-template {J} --offset {J} --read-point {J}",
    "report pending --limit {J} --json",
]

junk = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=UNICODE_DIGITS + "0123456789", min_size=1, max_size=25),
    st.text(alphabet=CONTROL + "AZaz09-()]", max_size=30),
    st.integers(1, 6000).map(lambda n: "9" * n),
    st.sampled_from([GTIN, NIE, "B1", "2028-10-31", "Commissioned", "0", "-1", "", "--", "-h",
                     f"(01){GTIN}(10)B1(17)281031(21)X", "tcp://0.0.0.0:1", "127.0.0.1:x"]),
)  # fmt: skip
junk_file = st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the product and batch B1 (1,000 codes), shared: junk that succeeds only
    adds to it."""
    path = tmp_path_factory.mktemp("junk")
    store = ["--store", str(path / "store")]
    assert main(["product", "add", "--nie", NIE, "--name", "A", "--packaging", "Dus",
                 "--gtin", GTIN, *store]) == 0  # fmt: skip
    assert main(["batch", "open", "--nie", NIE, "--batch", "B1", "--expiry", "2028-10-31",
                 "--quantity", "1000", "--per-secondary", "12", "--per-tertiary", "40",
                 *store]) == 0  # fmt: skip
    return path


def _command_line(template: str, values: list[str], data: bytes, folder: Path) -> list[str]:
    words = []
    pending = iter(values)
    for word in template.split():
        if word == "{J}":
            words.append(next(pending))
        elif word == "{F}":
            path = folder / "junk.txt"
            path.write_bytes(data)
            words.append(str(path))
        else:
            words.append(word.replace("{T}", str(folder)))
    if words[0] not in ("nie", "label") and words[:2] not in (["codes", "parse"],
                                                            ["codes", "build"]):  # fmt: skip
        words += ["--store", str(folder / "store")]
    return words


@pytest.mark.parametrize("template", TEMPLATES)
def test_junk_command_lines_fail_in_one_line(folder: Path, template: str) -> None:
    holes = template.count("{J}")

    # The store is shared on purpose: junk that happens to be valid only adds to it.
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(values=st.lists(junk, min_size=holes, max_size=holes), data=junk_file)
    def check(values: list[str], data: bytes) -> None:
        argv = _command_line(template, values, data, folder)
        out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()  # codes list writes bytes
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        text = err.getvalue()
        assert code in (0, 1, 2), (argv, code, text)
        assert "Traceback" not in text, (argv, text)
        assert "Internal error" not in text, (argv, text)
        for line in text.splitlines():
            # (an import file's refusal lists its bad lines, indented, before its hint)
            assert line.startswith(("jejak: error: ", "jejak: warning: ", "  ", "Hint: ")), (
                argv,
                text,
            )

    check()

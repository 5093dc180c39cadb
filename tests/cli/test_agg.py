"""`jejak agg ...` through the real CLI against a real LMDB store (issue 11, part 4).

Each test builds its store with the engine (batch B1: 30 packs, 4 a case, 2 cases a pallet;
B2: 8 packs), closes it, and drives `main([...])` with ``--store DIR --actor qa``. Codes are
named by keys (``p0`` the first pack of B1, ``c0`` its first case, ``t0`` its first pallet,
``q0``/``d0``/``u0`` the same of B2) that `Codes.argv` turns into their HRI; what a command did
is read back with the engine.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jejak.cli.main import main
from jejak.engine.aggregation import Aggregation, Rule
from jejak.engine.codes import CodeState, Level
from jejak.engine.gs1 import AI, GS, ElementString
from jejak.engine.product import Product
from jejak.engine.store import Store
from jejak.testing import FORMAT, GTIN, NIE, make_request

COMMISSIONED = 28  # B1 packs p0..p27 are Commissioned; p28 and p29 only Encoded
BAD = "(01)08991234567892(21)ABC"  # a wrong check digit: bad whatever the store holds
KEY = re.compile(r"^[pctqdu][0-9]+$")
_PREFIX = {
    **{key: ("B1", level) for key, level in zip("pct", Level, strict=True)},
    **{key: ("B2", level) for key, level in zip("qdu", Level, strict=True)},
}


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass(frozen=True)
class Codes:
    """The store's folder and every code of both batches, by key."""

    path: Path
    codes: dict[str, ElementString]

    def __getitem__(self, key: str) -> str:
        return self.codes[key].hri

    def argv(self, line: str) -> list[str]:
        return [self[word] if KEY.match(word) else word for word in line.split()]

    def text(self, template: str) -> str:
        """`template` with every {key} replaced by its code's HRI."""
        return re.sub(r"\{([a-z][0-9]+)\}", lambda m: self[m.group(1)], template)

    def where(self, key: str) -> tuple[str, str | None]:
        """A code's state and the key of its container (None: in none)."""
        keys = {code.hri: k for k, code in self.codes.items()}
        with Store(self.path, map_size=1 << 30) as store, store.view() as view:
            found = store.resolve(self[key])
            state = view.state_of(found.record, found.ref.level, found.ref.index)
            parent = view.parent_of(found.ref)
            if parent is None:
                return state.label, None
            record = view.batch_by_id(parent.batch_id)
            return state.label, keys[view.code(record, parent.level, parent.index).hri]

    def events(self) -> int:
        with Store(self.path, map_size=1 << 30) as store:
            return len(store.events())


def _build(path: Path) -> dict[str, ElementString]:
    """B1 and B2 with every container printed, B1's packs p0..p27 and all of B2's verified;
    c0 holds p0..p3 (full) and is on pallet t0; c1 holds p4, p5; d0 (B2) holds q0..q3."""
    with Store(path, map_size=1 << 30) as store:
        store.add_product(Product.parse(nie=NIE, name="Amoxicillin 500 mg", packaging="Dus",
                                        gtin=GTIN), actor="qa")  # fmt: skip
        store.open_batch(make_request("B1", 30, max_per_secondary=4, max_per_tertiary=2),
                         serial_format=FORMAT, actor="qa")  # fmt: skip
        store.open_batch(make_request("B2", 8, max_per_secondary=4, max_per_tertiary=2),
                         serial_format=FORMAT, actor="qa")  # fmt: skip
        for batch in ("B1", "B2"):
            for level in Level:
                store.transition(batch, level, None, CodeState.ENCODED, actor="qa")
        store.transition("B1", Level.PRIMARY, np.arange(COMMISSIONED), CodeState.COMMISSIONED,
                         actor="qa")  # fmt: skip
        store.transition("B2", Level.PRIMARY, None, CodeState.COMMISSIONED, actor="qa")
        codes: dict[str, ElementString] = {}
        with store.view() as view:
            for prefix, (batch, level) in _PREFIX.items():
                record = view.batch(batch)
                for index in range(record.level(level).count):
                    codes[f"{prefix}{index}"] = view.code(record, level, index)
        ref = {key: store.resolve(code.hri).ref for key, code in codes.items()}
        agg = Aggregation(store, actor="qa")
        agg.pack(ref["c0"], [ref[f"p{i}"] for i in range(4)])
        agg.pack(ref["c1"], [ref["p4"], ref["p5"]])
        agg.pack(ref["t0"], [ref["c0"]])
        agg.pack(ref["d0"], [ref[f"q{i}"] for i in range(4)])
    return codes


@pytest.fixture
def codes(tmp_path: Path) -> Codes:
    return Codes(tmp_path / "store", _build(tmp_path / "store"))


Jejak = Callable[..., Result]


@pytest.fixture
def jejak(capsys: pytest.CaptureFixture[str], codes: Codes) -> Jejak:
    """`main([...])` in-process with ``--store DIR --actor ACTOR`` appended; each word of a
    string argument that is a key is replaced by its code."""

    def _run(line: str, *more: str, actor: str = "qa") -> Result:
        argv = [*codes.argv(line), *more, "--store", str(codes.path), "--actor", actor]
        code = main(argv)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


def ok(result: Result) -> Result:
    assert (result.code, result.err) == (0, ""), result.err
    return result


# Help and start-up ---------------------------------------------------------------------------

ACTIONS = {
    "show": "the tree under a code and the path up from it",
    "pack": "put codes into a container",
    "seal": "close a container short of its capacity",
    "unpack": "take codes out of their containers",
    "replace": "put a code in another's place",
    "sample": "take packs as retained samples",
    "reset": "replace all of a container's children at once",
    "dissolve": "empty a container",
    "move": "move a container into another",
    "destroy": "destroy a code and everything inside it",
    "import": "import a case packer's parent,child links",
}


def test_agg_help_lists_every_action(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agg", "--help"]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^    (\w+)\s+(.+)$", out, flags=re.MULTILINE)
    assert listed == list(ACTIONS.items())


def test_jejak_help_lists_agg(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert re.search(r"\n    agg\s+aggregate packs into cases and pallets, and rework\n",
                     capsys.readouterr().out)  # fmt: skip


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_takes_json_store_and_actor(
    capsys: pytest.CaptureFixture[str], action: str
) -> None:
    assert main(["agg", action, "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--json", "--store DIR", "--actor ACTOR"):
        assert option in out, (action, option)


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["agg", "--help"], {"numpy", "numba", "lmdb", "zmq", "PIL", "holidays"}),
        (["agg", "show", "NOPE", "--store", "{store}"], {"numba", "zmq", "PIL", "holidays"}),
    ],
)
def test_agg_loads_only_what_it_uses(tmp_path: Path, argv: list[str], absent: set[str]) -> None:
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


# Show ----------------------------------------------------------------------------------------


def _pack_node(codes: Codes, key: str, path: list[str]) -> dict[str, Any]:
    return {"code": codes[key], "level": "primary", "state": "Commissioned", "children": [],
            "path": [codes[k] for k in path]}  # fmt: skip


def test_show_json_is_the_nested_tree_with_every_path(jejak: Jejak, codes: Codes) -> None:
    shown = ok(jejak("agg show t0 --json")).json()
    assert shown == {
        "code": codes["t0"], "level": "tertiary", "state": "Commissioned", "seal": "open",
        "children": [{
            "code": codes["c0"], "level": "secondary", "state": "Commissioned", "seal": "full",
            "children": [_pack_node(codes, f"p{i}", ["c0", "t0"]) for i in range(4)],
            "path": [codes["t0"]],
        }],
        "path": [],
    }  # fmt: skip
    assert list(shown) == ["code", "level", "state", "seal", "children", "path"]
    assert list(shown["children"][0]["children"][0]) == ["code", "level", "state", "children",
                                                         "path"]  # fmt: skip


def test_show_json_of_a_pack_names_its_path_to_the_outermost(jejak: Jejak, codes: Codes) -> None:
    assert ok(jejak("agg show p2 --json")).json() == _pack_node(codes, "p2", ["c0", "t0"])


def test_show_json_of_a_code_in_nothing(jejak: Jejak, codes: Codes) -> None:
    assert ok(jejak("agg show c2 --json")).json() == {
        "code": codes["c2"], "level": "secondary", "state": "Encoded", "seal": "open",
        "children": [], "path": [],
    }  # fmt: skip


def test_show_prints_an_indented_tree_and_the_path(jejak: Jejak, codes: Codes) -> None:
    assert ok(jejak("agg show t0")).out == codes.text(
        "{t0}  tertiary  Commissioned  open\n"
        "  {c0}  secondary  Commissioned  full\n"
        "    {p0}  primary  Commissioned\n"
        "    {p1}  primary  Commissioned\n"
        "    {p2}  primary  Commissioned\n"
        "    {p3}  primary  Commissioned\n"
        "path: none (in no container)\n"
    )
    assert ok(jejak("agg show p1")).out == codes.text(
        "{p1}  primary  Commissioned\npath: {c0} > {t0}\n"
    )


@pytest.mark.parametrize(
    "form",
    [
        lambda code: code.hri,
        lambda code: code.raw,
        lambda code: "]d2" + code.raw,
        lambda code: "]Q3" + code.raw,
        lambda code: code.raw.replace(GS, "\\x1d"),
        lambda code: code.raw.replace(GS, "<GS>"),
        lambda code: code[AI.SERIAL],
    ],
    ids=["hri", "raw", "d2", "q3", "typed-gs", "escaped-gs", "serial"],
)
def test_every_code_form_codes_parse_accepts(
    jejak: Jejak, codes: Codes, form: Callable[[ElementString], str]
) -> None:
    shown = ok(jejak("agg show", form(codes.codes["c1"]), "--json"))
    assert shown.json()["code"] == codes["c1"]
    packed = ok(jejak("agg pack --parent", form(codes.codes["c2"]), form(codes.codes["p6"])))
    assert packed.out == codes.text("packed 1 code into {c2} (open, 1 of 4)\n")


def test_show_of_an_unknown_or_a_bad_code(jejak: Jejak) -> None:
    unknown = jejak("agg show NOPE")
    assert (unknown.code, unknown.out) == (1, "")
    assert unknown.err.startswith("jejak: error: Unknown code 'NOPE': no batch in this store")
    bad = jejak("agg show", BAD)
    assert (bad.code, bad.out) == (2, "")
    assert bad.err.startswith("jejak: error: Invalid (01) GTIN check digit")
    assert bad.err.count("\n") == 1


# Packing and rework: (command, its JSON, the human line, where codes are afterwards) ---------

REWORK: dict[str, tuple[str, dict[str, Any], str, dict[str, tuple[str, str | None]]]] = {
    "pack": (
        "agg pack --parent c2 p6 p7 p8 p9",
        {"operation": "pack", "parent": "{c2}", "packed": 4, "seal": "full", "held": 4,
         "capacity": 4},
        "packed 4 codes into {c2} (full, 4 of 4)",
        {"c2": ("Commissioned", None), "p6": ("Commissioned", "c2"),
         "p9": ("Commissioned", "c2")},
    ),
    "pack-partial": (
        "agg pack --partial --parent c2 p6 p7",
        {"operation": "pack", "parent": "{c2}", "packed": 2, "seal": "partial", "held": 2,
         "capacity": 4},
        "packed 2 codes into {c2} (partial, 2 of 4)",
        {"p6": ("Commissioned", "c2"), "p7": ("Commissioned", "c2")},
    ),
    "pack-a-pallet": (
        "agg pack --parent t0 c1",
        {"operation": "pack", "parent": "{t0}", "packed": 1, "seal": "full", "held": 2,
         "capacity": 2},
        "packed 1 code into {t0} (full, 2 of 2)",
        {"c1": ("Commissioned", "t0"), "p4": ("Commissioned", "c1")},
    ),
    "seal": (
        "agg seal c1",
        {"operation": "seal", "parent": "{c1}", "seal": "partial", "held": 2, "capacity": 4},
        "closed {c1} (partial, 2 of 4)",
        {"p4": ("Commissioned", "c1")},
    ),
    "unpack": (
        "agg unpack p0 p4",
        {"operation": "unpack", "unpacked": 2, "from": ["{c0}", "{c1}"]},
        "unpacked 2 codes from {c0}, {c1}",
        {"p0": ("Commissioned", None), "p4": ("Commissioned", None),
         "p1": ("Commissioned", "c0")},
    ),
    "replace": (
        "agg replace p0 p6",
        {"operation": "replace", "parent": "{c0}", "old": "{p0}", "new": "{p6}"},
        "replaced {p0} with {p6} in {c0}",
        {"p0": ("Commissioned", None), "p6": ("Commissioned", "c0")},
    ),
    "sample": (
        "agg sample p1 p10",
        {"operation": "sample", "sampled": 2, "from": ["{c0}"]},
        "sampled 2 codes (now Sampled), taken out of {c0}",
        {"p1": ("Sampled", None), "p10": ("Sampled", None), "p2": ("Commissioned", "c0")},
    ),
    "reset": (
        "agg reset --parent c0 p0 p6 p7",
        {"operation": "reset", "parent": "{c0}", "removed": 3, "seal": "open", "held": 3,
         "capacity": 4},
        "reset {c0}: 3 codes taken out (open, 3 of 4)",
        {"p0": ("Commissioned", "c0"), "p1": ("Commissioned", None),
         "p7": ("Commissioned", "c0")},
    ),
    "dissolve": (
        "agg dissolve c0",
        {"operation": "dissolve", "parent": "{c0}", "freed": 4},
        "dissolved {c0}: 4 codes freed",
        {"p0": ("Commissioned", None), "c0": ("Commissioned", "t0")},
    ),
    "move": (
        "agg move c0 --to t1",
        {"operation": "move", "code": "{c0}", "parent": "{t1}", "from": "{t0}"},
        "moved {c0} from {t0} into {t1}",
        {"c0": ("Commissioned", "t1"), "t1": ("Commissioned", None),
         "p0": ("Commissioned", "c0")},
    ),
    "move-a-free-case": (
        "agg move c1 --to t0",
        {"operation": "move", "code": "{c1}", "parent": "{t0}", "from": None},
        "moved {c1} into {t0}",
        {"c1": ("Commissioned", "t0")},
    ),
    "destroy": (
        "agg destroy c0",
        {"operation": "destroy", "code": "{c0}", "destroyed": 5, "from": "{t0}"},
        "destroyed {c0} and 4 codes inside it (taken out of {t0})",
        {"c0": ("Destroyed", None), "p0": ("Destroyed", None), "p3": ("Destroyed", None),
         "t0": ("Commissioned", None)},
    ),
    "destroy-a-pack": (
        "agg destroy p4",
        {"operation": "destroy", "code": "{p4}", "destroyed": 1, "from": "{c1}"},
        "destroyed {p4} (taken out of {c1})",
        {"p4": ("Destroyed", None), "p5": ("Commissioned", "c1")},
    ),
}  # fmt: skip


def _filled(codes: Codes, value: Any) -> Any:
    if isinstance(value, str):
        return codes.text(value)
    if isinstance(value, list):
        return [_filled(codes, v) for v in value]
    if isinstance(value, dict):
        return {k: _filled(codes, v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("name", list(REWORK))
@pytest.mark.parametrize("as_json", [False, True], ids=["human", "json"])
def test_each_operation_prints_what_it_did_and_does_it(
    jejak: Jejak, codes: Codes, name: str, as_json: bool
) -> None:
    line, facts, human, after = REWORK[name]
    result = ok(jejak(line, *(["--json"] if as_json else [])))
    if as_json:
        assert result.json() == _filled(codes, facts)
        assert next(iter(result.json())) == "operation"
    else:
        assert result.out == codes.text(human) + "\n"
    assert {key: codes.where(key) for key in after} == after


def test_write_commands_record_their_actor(jejak: Jejak, codes: Codes) -> None:
    ok(jejak("agg unpack p0", actor="line-lead"))
    with Store(codes.path, map_size=1 << 30) as store:
        last = store.events()[-1]
        assert store.verify_audit().ok
    assert (last.actor, last.what.value) == ("line-lead", "agg.unpack")


def test_mixed_pallets_only_when_asked(jejak: Jejak, codes: Codes) -> None:
    refused = jejak("agg move d0 --to t1")
    assert refused.code == 1
    assert f"Cannot aggregate {codes['d0']!r}: it is of batch 'B2'" in refused.err
    ok(jejak("agg move d0 --to t1 --mixed-pallets"))
    assert codes.where("d0") == ("Commissioned", "t1")


# Refusals: exit 1 (or 2), one line naming the code and the rule, and nothing changed ---------

REFUSED = [
    ("agg pack --parent c2 p28", Rule.NOT_COMMISSIONED, "p28", "it is Encoded"),
    ("agg pack --parent c0 p6", Rule.OVER_CAPACITY, "c0", "5 children for a capacity of 4"),
    ("agg pack --parent c2 p6 p0", Rule.HAS_PARENT, "p0", "it is in '{c0}'"),
    ("agg pack --parent p6 p7", Rule.WRONG_LEVEL, "p6", "it is a primary code, not a container"),
    ("agg pack --parent t1 p6", Rule.WRONG_LEVEL, "p6",
     "it is a primary code and '{t1}' a tertiary"),
    ("agg pack --parent c2 q4", Rule.OTHER_BATCH, "q4",
     "it is of batch 'B2', its container of 'B1'"),
    ("agg pack --parent c2 p6 p6", Rule.REPEATED, "p6", "it appears more than once"),
    ("agg unpack p6", Rule.NOT_PACKED, "p6", "it is in no container"),
    ("agg replace p6 p7", Rule.NOT_PACKED, "p6", "it is in no container"),
    ("agg replace p0 p28", Rule.NOT_COMMISSIONED, "p28", "it is Encoded"),
    ("agg sample c1", Rule.WRONG_LEVEL, "c1", "a retained sample is a pack (a primary code)"),
    ("agg dissolve c2", Rule.NOT_PACKED, "c2", "it holds nothing"),
    ("agg move c0 --to t0", Rule.HAS_PARENT, "c0", "it is in '{t0}' already"),
    ("agg seal c2", Rule.NOT_PACKED, "c2", "it holds nothing to close"),
    ("agg reset --parent c1 p0", Rule.HAS_PARENT, "p0", "it is in '{c0}'"),
]  # fmt: skip


@pytest.mark.parametrize("case", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_operation_names_code_and_rule_and_changes_nothing(
    jejak: Jejak, codes: Codes, case: tuple[str, Rule, str, str]
) -> None:
    line, rule, key, detail = case
    before = codes.events()
    result = jejak(line, "--json")
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"jejak: error: Cannot aggregate {codes[key]!r}: "
                          f"{codes.text(detail)}; {rule.rule}. Hint: {rule.hint}.\n")  # fmt: skip
    assert codes.events() == before


@pytest.mark.parametrize(
    ("line", "exit_code", "start"),
    [
        ("agg pack --parent c2 NOPE", 1, "Unknown code 'NOPE': no batch in this store issued it"),
        (f"agg unpack p0 {BAD}", 2, "Invalid (01) GTIN check digit"),
        ("agg move c0 --to 99999999", 1, "Unknown code '99999999'"),
    ],
)
def test_a_code_that_is_not_one_changes_nothing(
    jejak: Jejak, codes: Codes, line: str, exit_code: int, start: str
) -> None:
    before = codes.events()
    result = jejak(line)
    assert (result.code, result.out) == (exit_code, "")
    assert result.err.startswith(f"jejak: error: {start}"), result.err
    assert result.err.count("\n") == 1
    assert codes.events() == before
    assert codes.where("p0") == ("Commissioned", "c0")


def test_a_closed_batch_is_not_reworked(jejak: Jejak, codes: Codes) -> None:
    with Store(codes.path, map_size=1 << 30) as store:
        store.close_batch("B2", actor="qa")
    result = jejak("agg unpack q0")
    assert result.code == 1
    assert f"Cannot aggregate {codes['q0']!r}: batch 'B2' is closed" in result.err


# Import --------------------------------------------------------------------------------------


@pytest.fixture
def link_file(tmp_path: Path, codes: Codes) -> Callable[..., str]:
    """link_file(text) -> the name of a file holding `text`, {key}s replaced by codes."""

    def write(text: str, *, raw: bytes | None = None) -> str:
        path = tmp_path / "links.csv"
        path.write_bytes(codes.text(text).encode() if raw is None else raw)
        return str(path)

    return write


def test_import_links_every_row(jejak: Jejak, codes: Codes, link_file: Any) -> None:
    name = link_file("parent,child\r\n{c2},{p6}\r\n\r\n{c2},{p7}\r\n{c3},{p8}\r\n")
    result = ok(jejak("agg import --batch B1", name, "--json"))
    assert result.json() == {"operation": "import", "batch": "B1", "file": name, "linked": 3,
                             "containers": 2}  # fmt: skip
    assert [codes.where(k) for k in ("p6", "p7", "p8", "c2")] == [
        ("Commissioned", "c2"), ("Commissioned", "c2"), ("Commissioned", "c3"),
        ("Commissioned", None)]  # fmt: skip


def test_import_takes_every_code_form_and_prints_a_line(
    jejak: Jejak, codes: Codes, link_file: Any
) -> None:
    c2, p6, p7 = (codes.codes[k] for k in ("c2", "p6", "p7"))
    name = link_file(f'"]d2{c2.raw}";{p6[AI.SERIAL]}\n{c2[AI.SERIAL]};"{p7.raw}"\n')
    assert ok(jejak("agg import --batch B1", name)).out == (
        f"linked 2 codes into 1 container of batch B1 from {name}\n"
    )
    assert ok(jejak("agg import --batch B1", link_file("{t1}\t{c2}\n"))).out == (
        f"linked 1 code into 1 container of batch B1 from {name}\n"
    )
    assert [codes.where(k) for k in ("p6", "p7", "c2")] == [
        ("Commissioned", "c2"), ("Commissioned", "c2"), ("Commissioned", "t1")]  # fmt: skip


def test_import_takes_packs_into_cases_and_cases_onto_pallets_at_once(
    jejak: Jejak, codes: Codes, link_file: Any
) -> None:
    """The pallet rows come before the case's own rows, and the case is only Encoded: the
    packs go into their cases first, which commissions the case, then the cases onto pallets."""
    name = link_file("{t1},{c2}\n{c2},{p6}\n{c2},{p7}\n")
    assert ok(jejak("agg import --batch B1", name, "--json")).json()["linked"] == 3
    assert [codes.where(k) for k in ("p6", "p7", "c2")] == [
        ("Commissioned", "c2"), ("Commissioned", "c2"), ("Commissioned", "t1")]  # fmt: skip


IMPORT_REFUSED = [
    # (file, exit code, the lines of the message after its first)
    ("{c2},{p6}\n{c2}," + BAD + "\n", 2, ["line 2: child: Invalid (01) GTIN check digit"]),
    ("{c2},{p6}\n{c2},NOPE\n", 1,
     ["line 2: child: Unknown code 'NOPE': no batch in this store issued it."]),
    ("{c2},{p6}\n{d1},{q4}\n", 1,
     ["line 2: parent '{d1}' is of batch 'B2', not 'B1'; a link file's parents are containers"]),
    ("{c2},{p6}\n{c3},{p6}\n", 2,
     ["line 2: child '{p6}' is linked on line 1 already; a code is in at most one container"]),
    ("{c2}\n", 2, ["line 1: expected two codes, parent,child; found one"]),
    ("{c2},{p6},{p7}\n", 2, ["line 1: expected two codes, parent,child; found 3 cells"]),
    ("{c2},\n", 2, ["line 1: expected two codes, parent,child; found 2 cells, 1 filled"]),
    ("parent,child\n{c2},{p6}\n{c2},{p28}\n", 1,
     [f"line 3: Cannot aggregate '{{p28}}': it is Encoded; {Rule.NOT_COMMISSIONED.rule}."]),
    # t1 goes into nothing: a pallet is no child
    ("{c2},{p6}\n{c2},{t1}\n", 1, ["line 2: Cannot aggregate '{t1}': it is a tertiary code"]),
    ("{c2},{p6}\n{c2},{p0}\n", 1, ["line 2: Cannot aggregate '{p0}': it is in '{c0}';"]),
    ("parent,child\n" + "".join(f"{{c2}},{{p{i}}}\n" for i in range(6, 11)), 1,
     ["line 6: Cannot aggregate '{c2}': 5 children for a capacity of 4;"]),
    ("{c1},{p6}\n{c1},{p7}\n{c1},{p8}\n", 1,
     ["line 3: Cannot aggregate '{c1}': 5 children for a capacity of 4;"]),
    ("{p6},{p7}\n", 1, ["line 1: Cannot aggregate '{p6}': it is a primary code, not a"]),
    ("{t1},{p6}\n", 1, ["line 1: Cannot aggregate '{p6}': it is a primary code and '{t1}'"]),
    ("{c2},{q4}\n", 1, ["line 1: Cannot aggregate '{q4}': it is of batch 'B2'"]),
]  # fmt: skip


@pytest.mark.parametrize("case", IMPORT_REFUSED)
def test_import_is_all_or_nothing_with_line_numbers(
    jejak: Jejak, codes: Codes, link_file: Any, case: tuple[str, int, list[str]]
) -> None:
    text, exit_code, lines = case
    before = codes.events()
    name = link_file(text)
    result = jejak("agg import --batch B1", name, "--json")
    assert (result.code, result.out) == (exit_code, ""), result.err
    head, *rest = result.err.splitlines()
    what = "Invalid link file" if exit_code == 2 else "Cannot import link file"
    assert head.startswith(f"jejak: error: {what} {name!r}: "), head
    assert head.endswith("; nothing was linked."), head
    assert len(rest) == len(lines) + 1
    for got, want in zip(rest, lines, strict=False):
        assert got.startswith("  " + codes.text(want)), (got, want)
    assert rest[-1].startswith("Hint: fix or remove")
    assert codes.events() == before
    assert codes.where("p6") == ("Commissioned", None)


def test_import_counts_its_problems_and_lists_twenty(
    jejak: Jejak, codes: Codes, link_file: Any
) -> None:
    name = link_file("{c2},{p6}\n" + "".join(f"{{c2}},NOPE{i}\n" for i in range(25)))
    result = jejak("agg import --batch B1", name)
    assert result.code == 1
    head, *rest = result.err.splitlines()
    assert head == (f"jejak: error: Cannot import link file {name!r}: 25 of 26 rows are "
                    "refused; nothing was linked.")  # fmt: skip
    assert rest[0].startswith("  line 2: child: Unknown code 'NOPE0'")
    assert rest[19].startswith("  line 21: child: Unknown code 'NOPE19'")
    hint = "Hint: fix or remove those rows (a header row is parent,child), then import the file."
    assert rest[20:] == ["  ... and 5 more", hint]


@pytest.mark.parametrize(
    ("content", "start"),
    [
        (b"", "Invalid link file {name!r}: expected at least one parent,child row, found none."),
        (b"parent,child\n\n", "Invalid link file {name!r}: expected at least one parent,child"),
        (b"a,b\n\xff,x\n", "Invalid link file {name!r}: byte 0xff on line 2 is not UTF-8"),
        (b"\xff\xfea\x00", "Invalid link file {name!r}: it is UTF-16 or UTF-32 text"),
        (b"a,b\nc,\x00\n", "Invalid link file {name!r}: it holds NUL bytes"),
        (b'a,b\na,"b\nc,d\n', "Invalid link file {name!r}: line 2 has a quote that is never"),
        (b"a,b\n" + b"x" * 200_000 + b"\n",
         "Invalid link file {name!r}: line 2 has 200,000 characters"),
        (b"a,b\rc\n", "Invalid link file {name!r}: line 1 has a carriage return inside it"),
    ],
)  # fmt: skip
def test_import_refuses_a_file_that_is_no_link_file(
    jejak: Jejak, codes: Codes, link_file: Any, content: bytes, start: str
) -> None:
    before = codes.events()
    name = link_file("", raw=content)
    result = jejak("agg import --batch B1", name)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("jejak: error: " + start.format(name=name)), result.err
    assert result.err.count("\n") == 1
    assert codes.events() == before


def test_import_refuses_a_directory_a_missing_file_and_an_unknown_batch(
    jejak: Jejak, codes: Codes, link_file: Any, tmp_path: Path
) -> None:
    folder = jejak("agg import --batch B1", str(tmp_path))
    assert folder.code == 2
    assert folder.err.startswith(f"jejak: error: Invalid link file {str(tmp_path)!r}: it is not "
                                 "a regular file")  # fmt: skip
    missing = jejak("agg import --batch B1", str(tmp_path / "nope.csv"))
    assert missing.code == 2
    assert "it does not exist" in missing.err
    batch = jejak("agg import --batch NOPE", link_file("{c2},{p6}\n"))
    assert batch.code == 1
    assert batch.err.startswith("jejak: error: Unknown batch 'NOPE'.")


# Junk ----------------------------------------------------------------------------------------

JUNK_TEMPLATES = [
    "agg show {J} --json",
    "agg pack --parent {J} {J} {J}",
    "agg pack --partial --parent {J} {J}",
    "agg seal {J}",
    "agg unpack {J} {J}",
    "agg replace {J} {J} --mixed-pallets",
    "agg sample {J} {J}",
    "agg reset --parent {J} {J}",
    "agg dissolve {J}",
    "agg move {J} --to {J}",
    "agg destroy {J}",
    "agg import --batch {J} {F}",
]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Codes:
    """One store for every junk example: junk that happens to succeed only reworks it."""
    path = tmp_path_factory.mktemp("agg-junk") / "store"
    return Codes(path, _build(path))


@pytest.mark.parametrize("template", JUNK_TEMPLATES)
def test_junk_fails_in_one_line(shared: Codes, template: str) -> None:
    names = sorted(code.hri for code in shared.codes.values())
    word = st.one_of(
        st.sampled_from(names),
        st.sampled_from(names).map(lambda hri: hri[:-1]),
        st.text(max_size=30),
        st.text(alphabet='()0123456789]dQ3\x1d,;"\n\r AZ', max_size=40),
        st.sampled_from(["", "--", "-h", "B1", "B2", "NOPE", "9" * 3000, BAD]),
    )
    link = st.lists(st.tuples(word, word).map(",".join), max_size=6).map("\n".join)
    data = st.one_of(link.map(str.encode), st.binary(max_size=200))

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(values=st.lists(word, min_size=8, max_size=8), content=data)
    def check(values: list[str], content: bytes) -> None:
        pending = iter(values)
        argv = []
        for part in template.split():
            if part == "{F}":
                (shared.path.parent / "junk.csv").write_bytes(content)
                argv.append(str(shared.path.parent / "junk.csv"))
            else:
                argv.append(next(pending) if part == "{J}" else part)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*argv, "--store", str(shared.path)])
        text = err.getvalue()
        assert code in (0, 1, 2), (argv, code, text)
        assert "Traceback" not in text, (argv, text)
        assert "Internal error" not in text, (argv, text)
        for line in text.splitlines():  # a link file's refusal lists its rows, indented
            assert line.startswith(("jejak: error: ", "  ", "Hint: ")), (argv, text)

    check()

"""Imports: every module of Jejak imports whatever is imported first (printers.label writes its
ZPL with printers.zpl's escapes, and the Zebra client is handed printers.label's format), and
none but jejak.testing imports pytest. Checked in a fresh interpreter, where no test loaded them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jejak

SOURCE = Path(jejak.__file__).parent
MODULES = sorted(
    ".".join(("jejak", *path.relative_to(SOURCE).with_suffix("").parts)).removesuffix(".__init__")
    for path in SOURCE.rglob("*.py")
)
# Each of these first, then everything: the ones on either side of the label/zpl imports.
FIRSTS = [
    "jejak.printers.label", "jejak.printers.label.layout", "jejak.printers.label.template",
    "jejak.printers.label.zpl", "jejak.printers.label.writers", "jejak.printers.zpl",
    "jejak.printers.zpl.escape", "jejak.printers.zpl.format", "jejak.printers.zpl.client",
    "jejak.printers.sim",
    "jejak.printers.sim.zpl", "jejak.printers.stream", "jejak.printers.coder", "jejak.cli.main",
]  # fmt: skip
CHECK = """
import importlib, sys
modules, firsts = sys.argv[1].split(), sys.argv[2].split()
for first in firsts:
    for name in [name for name in sys.modules if name.split(".")[0] == "jejak"]:
        del sys.modules[name]
    importlib.import_module(first)
    for name in modules:
        if name != "jejak.testing":
            importlib.import_module(name)
    assert "pytest" not in sys.modules, f"{first}: pytest imported at run time"
print("ok", len(firsts))
"""


def test_every_module_imports_in_any_order_without_pytest() -> None:
    assert "jejak.testing" in MODULES
    assert "jejak.printers.sim.server" in MODULES
    result = subprocess.run(
        [sys.executable, "-c", CHECK, " ".join(MODULES), " ".join(FIRSTS)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["ok", str(len(FIRSTS))]

"""Plumbing shared by the command modules: handler type, JSON and warning output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from typing import TypeAlias

Handler: TypeAlias = Callable[[argparse.Namespace], int]
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def print_json(payload: object) -> None:
    """One JSON document on stdout (non-ASCII kept readable, GS as ``\\u001d``)."""
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def print_warnings(warnings: Iterable[str]) -> None:
    for warning in warnings:
        print(f"jejak: warning: {warning}", file=sys.stderr)

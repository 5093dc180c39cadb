"""Aggregation: packs in cases (secondary), cases in pallets (tertiary), and their rework.

Regulation 33/2018 asks NIE holders that aggregate to report the aggregation codes (Art.
12(3)-(4)); Regulation 22/2022 makes aggregation mandatory for the authentication method. The
links live in the store (each code's container in the ``parents`` column, each container's
children beside it, a container's seal in ``containers``), and every change is one unit of
work with its ``agg.*`` event in the history of each code it touched.

- `rules`: the closed set of rules a refusal names (`Rule`), container seals, capacities
- `operations.Aggregation`: pack (one container, or bulk links), seal, and the rework
  operations (unpack, replace, sample, reset, dissolve, move, destroy)
- `tree`: the tree under a code, the path up from it, and `jejak agg show`'s JSON
- `consistency`: what is wrong with a batch's links (`check`), and its cases and pallets
  counted (`tally`)
"""

from jejak.engine.aggregation.consistency import check, tally
from jejak.engine.aggregation.operations import Aggregation
from jejak.engine.aggregation.rules import Rule, Seal, capacity
from jejak.engine.aggregation.tree import Tree, as_json, code_names, path, tree

__all__ = ["Aggregation", "Rule", "Seal", "Tree", "as_json", "capacity", "check", "code_names",
           "path", "tally", "tree"]  # fmt: skip

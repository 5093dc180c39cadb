"""How many jobs of each level an engine may send over its life (a line run of N packs prints N
codes, not N plus the printer's buffer), and how many it has sent."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from jejak.engine.codes import Level
from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe

__all__ = ["Budget"]


class Budget:
    """The caps per level (a level without one has no limit) and the jobs sent per level."""

    __slots__ = ("caps", "sent")

    def __init__(self, budget: Mapping[Level, int] | None) -> None:
        self.caps = _checked(budget)
        self.sent = dict.fromkeys(Level, 0)  # jobs sent per level, over the engine's life

    def left(self, level: Level) -> int:
        """Jobs of `level` the budget still allows."""
        cap = self.caps.get(level)
        return sys.maxsize if cap is None else max(0, cap - self.sent[level])


def _checked(budget: Mapping[Level, int] | None) -> dict[Level, int]:
    """The budget as a dict (empty: none), each level's count checked."""
    if budget is None:
        return {}
    if not budget:
        raise InvalidQuantity(
            "Invalid budget {}: expected a count of jobs for at least one level. Hint: None "
            "sends every code of the batch."
        )
    for level, count in budget.items():
        if (not isinstance(level, Level) or isinstance(count, bool)
                or not isinstance(count, int) or count < 0):  # fmt: skip
            raise InvalidQuantity(
                f"Invalid budget {describe(level)}: {describe(count)}: expected a Level and a "
                "count of jobs >= 0. Hint: e.g. {Level.PRIMARY: 600} for a run of 600 packs."
            )
    return dict(budget)

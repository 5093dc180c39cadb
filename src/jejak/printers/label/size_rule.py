"""The size rule of a printed symbol, in whole printer dots: a module (X-dimension) within the GS1
healthcare range 0.254-0.495 mm, and a symbol at least 6.0 mm wide (BPOM Art. 22).

Integer arithmetic only, so that a boundary (0.254 mm is exactly 3 dots at 300 dpi) is exact.

>>> smallest_module_dots(300, 22), x_in_range(300, 4), x_in_range(300, 6)
(4, True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

from jejak.engine.errors import InvalidQuantity
from jejak.engine.text import describe

__all__ = [
    "MIN_SYMBOL_MM",
    "X_MAX_MM",
    "X_MIN_MM",
    "ModuleSize",
    "check_dpi",
    "min_dots",
    "module_dots",
    "module_size",
    "smallest_module_dots",
    "x_in_range",
]

X_MIN_MM, X_MAX_MM, MIN_SYMBOL_MM = 0.254, 0.495, 6.0
_DPI_RANGE = (50, 2400)


def min_dots(dpi: int) -> int:
    """The fewest dots that make a module of at least 0.254 mm: dots * 25.4 / dpi >= 0.254."""
    return -(-dpi // 100)


def smallest_module_dots(dpi: int, modules: int) -> int:
    """The fewest dots with X >= 0.254 mm that make `modules` modules >= 6.0 mm
    (modules * dots * 25.4 / dpi >= 6.0); X may then exceed 0.495 mm (see `x_in_range`)."""
    return max(min_dots(dpi), -(-30 * dpi // (127 * modules)))


def x_in_range(dpi: int, dots: int) -> bool:
    """Whether a module of `dots` dots is at most 0.495 mm (dots * 25.4 / dpi <= 0.495)."""
    return dots * 25400 <= 495 * dpi


@dataclass(frozen=True, slots=True)
class ModuleSize:
    """A symbol's module size in printer dots at a resolution, and what it makes in mm."""

    dpi: int
    modules: int  # the symbol's smaller side, in modules
    dots: int

    @property
    def x_mm(self) -> float:
        return self.dots * 25.4 / self.dpi

    @property
    def symbol_mm(self) -> float:
        return self.modules * self.x_mm

    @property
    def in_range(self) -> bool:
        """X-dimension within 0.254-0.495 mm (the size rule never picks one below)."""
        return x_in_range(self.dpi, self.dots)


def check_dpi(dpi: object) -> int:
    low, high = _DPI_RANGE
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not low <= dpi <= high:
        raise InvalidQuantity(
            f"Invalid printer resolution {describe(dpi)}: expected a whole number of dots per "
            f"inch from {low} to {high}. Hint: thermal printers have 203, 300 or 600 dpi."
        )
    if not x_in_range(dpi, min_dots(dpi)):  # the smallest module ≥ 0.254 mm is > 0.495 mm
        raise InvalidQuantity(
            f"Invalid printer resolution {dpi!r}: expected one where a whole number of dots makes "
            f"a module of {X_MIN_MM}-{X_MAX_MM} mm, but 1 dot is {25.4 / dpi:.3f} mm and 2 dots "
            f"are {50.8 / dpi:.3f} mm. Hint: use the printer's real resolution, e.g. 203 or 300."
        )
    return dpi


def module_size(dpi: int, modules: int) -> ModuleSize:
    """The size rule: the smallest number of dots with X ≥ 0.254 mm that makes `modules`
    modules ≥ 6.0 mm (Art. 22); X ≤ 0.495 mm when that is enough, else beyond (`in_range`).

    >>> [module_size(dpi, 22).dots for dpi in (150, 203, 300, 600)]
    [2, 3, 4, 7]
    >>> module_size(300, 14).in_range, module_size(600, 14).in_range
    (False, True)
    """
    dpi = check_dpi(dpi)
    if isinstance(modules, bool) or not isinstance(modules, int) or not 1 <= modules <= 1000:
        raise InvalidQuantity(
            f"Invalid symbol size {describe(modules)}: expected 1 to 1000 modules. "
            "Hint: pass the symbol's smaller side, e.g. symbol.rows."
        )
    return ModuleSize(dpi, modules, smallest_module_dots(dpi, modules))


def module_dots(dpi: int, *, modules: int = 16) -> int:
    """The module size in dots that keeps X within 0.254-0.495 mm and makes `modules` modules
    at least 6 mm, or `InvalidQuantity` where no whole number of dots does both.

    >>> module_dots(203), module_dots(300), module_dots(600)
    (3, 5, 9)
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 100 <= dpi <= 1200:
        raise InvalidQuantity(
            f"Invalid printer resolution {describe(dpi)}: expected 100 to 1200 dots per inch. "
            "Hint: Zebra printers have 203, 300 or 600 dpi."
        )
    if modules >= 1:
        dots = smallest_module_dots(dpi, modules)
        if x_in_range(dpi, dots):
            return dots
    raise InvalidQuantity(
        f"Invalid printer resolution {dpi!r} for a {modules}-module symbol: expected a module of "
        f"{X_MIN_MM}-{X_MAX_MM} mm making the symbol at least {MIN_SYMBOL_MM} mm. "
        "Hint: use a 203, 300 or 600 dpi printer."
    )

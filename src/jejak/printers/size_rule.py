"""The size rule of a printed symbol, in whole printer dots: a module (X-dimension) within the GS1
healthcare range 0.254-0.495 mm, and a symbol at least 6.0 mm wide (BPOM Art. 22).

Integer arithmetic only, so that a boundary (0.254 mm is exactly 3 dots at 300 dpi) is exact.

>>> smallest_module_dots(300, 22), x_in_range(300, 4), x_in_range(300, 6)
(4, True, False)
"""

from __future__ import annotations

__all__ = [
    "MIN_SYMBOL_MM",
    "X_MAX_MM",
    "X_MIN_MM",
    "min_dots",
    "smallest_module_dots",
    "x_in_range",
]

X_MIN_MM, X_MAX_MM, MIN_SYMBOL_MM = 0.254, 0.495, 6.0


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

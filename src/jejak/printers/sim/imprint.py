"""What a simulated printer put on one pack when its print-go input fired: an `Imprint`.

A real coder or label printer prints on a product-detect signal wired to it (print-go). The
printer simulators in triggered mode do the same: each `print_go()` prints the next buffered
record onto the pack at the print head and returns the imprint, or None when nothing was
printed (an empty buffer, a fault, a pause). The simulated line carries the imprint on the pack
to the camera, which photographs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["Imprint"]


@dataclass(frozen=True, slots=True)
class Imprint:
    """One printed pack label.

    `data` is the element string the printer printed, raw (FNC1 implied, GS between fields);
    `damaged` marks a misprint (smeared or wiped ink) that the camera's photograph shows;
    `render`, when the printer can draw its own label (the Zebra simulator renders its ZPL),
    gives its pixels (white 255, black 0); otherwise the camera renders `data` as a symbol.
    """

    data: bytes
    damaged: bool = False
    render: Callable[[], NDArray[np.uint8]] | None = None

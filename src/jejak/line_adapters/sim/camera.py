"""A smart-camera simulator: a Cognex DataMan or a Keyence SR on loopback TCP.

`Shot` is what the camera decoded from the scene in front of it at one trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.result import Grade

__all__ = ["Shot"]


@dataclass(frozen=True, slots=True)
class Shot:
    """What the camera decoded from the scene at one trigger: the raw data (None: nothing
    could be read), the symbology it saw, and the grade it measured (None: not graded)."""

    data: bytes | None
    symbology: Symbology | None
    grade: Grade | None = None

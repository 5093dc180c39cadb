"""Smart cameras: the readers that decode a pack's code on the device and send the result.

- `result`: `CameraKind`, `Grade` (ISO/IEC 15415), `ResultFormat`, `ReadString`, and what the
  line receives: `CameraResult`, `CameraStatus` with `CameraState`.

Nothing here imports zxing-cpp or numpy: the software reader (`camera.reader`) is imported by
whoever uses it.
"""

from jejak.line_adapters.camera.result import (
    DEFAULT_MINIMUM_GRADE,
    CameraKind,
    CameraResult,
    CameraState,
    CameraStatus,
    Grade,
    ReadString,
    ResultFormat,
)

__all__ = [
    "DEFAULT_MINIMUM_GRADE",
    "CameraKind",
    "CameraResult",
    "CameraState",
    "CameraStatus",
    "Grade",
    "ReadString",
    "ResultFormat",
]

"""Smart cameras: the readers that decode a pack's code on the device and send the result.

- `result`: `CameraKind`, `Grade` (ISO/IEC 15415), `ResultFormat`, `ReadString`, `Malformed`,
  and what the line receives: `CameraResult`, `CameraStatus` with `CameraState`;
- `cognex`: the Cognex DataMan DMCC wire format (``||>TRIGGER ON``, extended responses
  ``||[status]`` with `DmccStatus`, read strings), no I/O;
- `keyence`: the Keyence SR wire format (``LON``/``LOFF``, ``OK,LON``/``ER,LON,nn`` with
  `KeyenceError`, read data or ``ERROR``), no I/O;
- `client`: the `Camera` protocol the line controller drives, `CognexCamera` and
  `KeyenceCamera` over TCP, `make_camera(kind, host, port)`.

The simulator that speaks both formats is `jejak.line_adapters.sim.camera.CameraSimulator`.
Nothing here imports zxing-cpp or numpy: import the software reader (`camera.reader`) where it
is used.
"""

from jejak.line_adapters.camera.client import Camera, CognexCamera, KeyenceCamera, make_camera
from jejak.line_adapters.camera.cognex import DmccStatus
from jejak.line_adapters.camera.keyence import KeyenceError
from jejak.line_adapters.camera.result import (
    DEFAULT_MINIMUM_GRADE,
    CameraEvent,
    CameraKind,
    CameraResult,
    CameraState,
    CameraStatus,
    Grade,
    Malformed,
    ReadString,
    ResultFormat,
)

__all__ = [
    "DEFAULT_MINIMUM_GRADE",
    "Camera",
    "CameraEvent",
    "CameraKind",
    "CameraResult",
    "CameraState",
    "CameraStatus",
    "CognexCamera",
    "DmccStatus",
    "Grade",
    "KeyenceCamera",
    "KeyenceError",
    "Malformed",
    "ReadString",
    "ResultFormat",
    "make_camera",
]

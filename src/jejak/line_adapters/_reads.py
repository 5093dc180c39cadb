"""The camera as the line controller drives it: triggers for the packs that reach it, and each
read given to the pack it is of.

With the line's software trigger (``TRIGGER ON`` / ``LON`` when a pack is due) each result
names its trigger, and the trigger its pack. With the camera's own photo-eye (hardware) the
results come in pack order and carry no pack number: `Tracks.photographed` finds the pack by
the encoder, which is taken as far as the reads went first (the controller reads the line
I/O again before it hands over a camera's results). A camera that is not there takes no
trigger: that pack gets no read and is rejected as late, like the packs that pass the
camera while it is away. A lost camera is to be connected again (`reconnect_due`,
`reconnect`: the controller does it with the belt stopped, since a connect to a camera that
does not answer blocks for the client's timeout), and one whose reconnect failed is tried
again every `retry_every` seconds, so that a camera back after a longer outage is used again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from jejak.engine.errors import DeviceFault
from jejak.line_adapters._tracking import Track, Tracks
from jejak.line_adapters.camera.client import Camera
from jejak.line_adapters.camera.result import CameraEvent, CameraResult, CameraState
from jejak.line_adapters.config import IoConfig

__all__ = ["Reads"]

_log = logging.getLogger(__name__)


class Reads:
    """The reads of `camera` for the packs in `tracks` on a line laid out as `io` says."""

    __slots__ = ("_retry_at", "camera", "io", "retry_every", "software", "tracks", "triggers")

    def __init__(self, camera: Camera, tracks: Tracks, io: IoConfig, *, software: bool,
                 retry_every: float = 1.0) -> None:  # fmt: skip
        self.camera, self.tracks, self.io, self.software = camera, tracks, io, software
        self.retry_every = retry_every
        self.triggers = 0  # software triggers sent
        self._retry_at: float | None = None  # lost: when to connect again (0: at once)

    def trigger_due(self, position: int) -> None:
        """Software trigger: trigger the camera for each pack at it (the belt at `position`)."""
        if not self.software:
            return
        for track in self.tracks.due_triggers(position):
            try:
                track.trigger = self.camera.trigger()
            except DeviceFault as error:
                _log.warning("pack %d not photographed: %s", track.pack, error)
                continue
            self.tracks.by_trigger[track.trigger] = track
            self.triggers += 1

    def take(self, events: list[CameraEvent], position: int,
             judge: Callable[[Track], None]) -> None:  # fmt: skip
        """The camera's `events`, the belt at `position`: each pack that got its read is
        judged at once (a judgement may move the codes of the packs after it, which the next
        read is matched against)."""
        for event in events:
            if isinstance(event, CameraResult):
                track = self._of(event, position)
                if track is not None and track.result is None:
                    track.result = event
                    judge(track)
            elif event.state is CameraState.DISCONNECTED:
                _log.warning("camera lost: %s; packs in view are rejected as late", event.detail)
                self._retry_at = 0.0

    def reconnect_due(self) -> bool:
        """Whether the camera is lost and a connect is due now."""
        return self._retry_at is not None and time.monotonic() >= self._retry_at

    def reconnect(self, position: int) -> None:
        """Connect the lost camera again (blocks up to the client's timeout); the packs that
        passed its photo-eye meanwhile (the belt at `position`) get no read."""
        try:
            self.camera.connect()
        except DeviceFault as error:
            if not self._retry_at:  # the first attempt since it was lost
                _log.warning("camera reconnect failed: %s; trying again every %g s", error,
                             self.retry_every)  # fmt: skip
            self._retry_at = time.monotonic() + self.retry_every
        else:
            self._retry_at = None
        self._forget_unseen(position)

    def _of(self, result: CameraResult, position: int) -> Track | None:
        if self.software:
            return self.tracks.by_trigger.get(result.trigger)
        io = self.io  # the photo-eye's triggers: a pack within half a pitch of the eye
        return self.tracks.photographed(result.data, position + io.pitch // 2 - io.trigger_lead)

    def _forget_unseen(self, position: int) -> None:
        """After a camera outage: the packs that passed the photo-eye meanwhile get no result
        (they are rejected as late); results from now on are for the packs still to come."""
        if self.software:
            return
        untriggered, eye = self.tracks.untriggered, self.io.camera_at
        while untriggered and untriggered[0].detected_at + eye <= position:
            untriggered.popleft()

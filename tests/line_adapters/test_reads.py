"""The camera's reads as the line controller takes them: a trigger with no camera is no read
(not a line that dies), a lost camera is connected again and tried again after a failed
reconnect, and the packs that passed it meanwhile get no read."""

from __future__ import annotations

from jejak.engine.errors import DeviceFault
from jejak.line_adapters._reads import Reads
from jejak.line_adapters._tracking import Track, Tracks
from jejak.line_adapters.camera.result import (
    CameraEvent,
    CameraKind,
    CameraResult,
    CameraState,
    CameraStatus,
)
from jejak.line_adapters.config import Address, IoConfig

IO = IoConfig(Address("127.0.0.1", 1), 1000, 3000, 12000, 250)  # pitch, camera, reject, lead


class Camera:
    """A camera double: `up` says whether it is there (connect and trigger work)."""

    kind, host, port = CameraKind.COGNEX, "127.0.0.1", 23

    def __init__(self, *, up: bool = True) -> None:
        self.up, self.connects, self.count = up, 0, 0

    def connect(self) -> None:
        self.connects += 1
        if not self.up:
            raise DeviceFault("Cannot connect to cognex camera '127.0.0.1:23': refused.")

    def trigger(self) -> int:
        if not self.up:
            raise DeviceFault("Cannot send TRIGGER ON to cognex camera '127.0.0.1:23'.")
        self.count += 1
        return self.count

    def end(self, trigger: int) -> bool:
        return False

    def release(self) -> None:
        pass

    def poll(self, timeout: float) -> list[CameraEvent]:
        return []

    def close(self) -> None:
        pass


def on_belt(tracks: Tracks, packs: int) -> list[Track]:
    """Packs 0, 1, ... detected a pitch apart from encoder 1000, each with its printer answer."""
    added = []
    for pack in range(packs):
        at = 1000 * (pack + 1)
        track = Track(pack, at, at + IO.camera_at - IO.trigger_lead, at + IO.reject_at)
        track.data = b"code-%d" % pack
        tracks.add(track)
        added.append(track)
    return added


def read(trigger: int, data: bytes | None) -> CameraResult:
    return CameraResult(trigger, data, None, None, 0.0)


LOST = CameraStatus(CameraState.DISCONNECTED, "connection closed by the camera")


def test_a_software_trigger_with_no_camera_is_no_read() -> None:
    camera, tracks = Camera(up=False), Tracks()
    reads = Reads(camera, tracks, IO, software=True)
    first, second = on_belt(tracks, 2)
    reads.trigger_due(4000)  # pack 0 at the camera (3750), pack 1 not yet
    assert (first.trigger, reads.triggers, tracks.by_trigger) == (None, 0, {})
    camera.up = True
    reads.trigger_due(5000)
    assert (first.trigger, second.trigger, reads.triggers) == (None, 1, 1)
    assert tracks.by_trigger == {1: second}


def test_hardware_reads_go_to_the_packs_at_the_eye_in_order_each_judged_at_once() -> None:
    tracks = Tracks()
    reads = Reads(Camera(), tracks, IO, software=False)
    packs = on_belt(tracks, 3)
    judged: list[int] = []
    reads.take([read(1, b"code-0"), read(2, b"code-1")], 5000, lambda t: judged.append(t.pack))
    assert judged == [0, 1]
    assert (packs[0].result, packs[2].result) == (read(1, b"code-0"), None)
    reads.take([read(3, b"code-2")], 5000, lambda t: judged.append(t.pack))  # not at the eye
    assert (judged, packs[2].result) == ([0, 1], None)


def test_a_lost_camera_is_connected_again_and_tried_again_after_a_failed_reconnect() -> None:
    camera, tracks = Camera(), Tracks()
    reads = Reads(camera, tracks, IO, software=False, retry_every=3600)
    packs = on_belt(tracks, 4)
    assert reads.reconnect_due() is False
    reads.take([LOST], 3000, lambda _: None)
    assert reads.reconnect_due() is True  # at once
    camera.up = False
    reads.reconnect(5000)  # packs 0 and 1 passed the eye (4000, 5000) while it was away
    assert [t.pack for t in tracks.untriggered] == [2, 3]
    assert (camera.connects, reads.reconnect_due()) == (1, False)  # next try in an hour
    reads.retry_every = 0.0
    reads.reconnect(5000)  # tried again (the controller does when due): still away
    assert reads.reconnect_due() is True
    camera.up = True
    reads.reconnect(6000)
    assert (camera.connects, reads.reconnect_due()) == (3, False)
    assert [t.pack for t in tracks.untriggered] == [3]
    judged: list[int] = []
    reads.take([read(1, b"code-3")], 7000, lambda t: judged.append(t.pack))
    assert (judged, packs[3].result) == ([3], read(1, b"code-3"))

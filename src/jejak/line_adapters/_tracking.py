"""The line's shift register: each pack from product detect to the reject point, and the print
outcome that says which code it carries.

A pack is detected at the product-detect sensor, where the printer's print-go fires too; the
printer prints the records it holds in the order it got them, and jobs go to it in code-index
order, so the printer's answers taken in index order are the packs' codes taken in detect
order. `Outcomes` keeps the answers that came back (from the print engine's thread) in index
order; `Tracks` pairs them with packs as both arrive. A pack whose print failed carries no
code (it left the printer unlabelled); it is rejected, and its code was scrapped by the
printer's answer already.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field

from jejak.engine.print_jobs import PrintOutcome
from jejak.engine.verification import Verdict
from jejak.line_adapters.camera.result import CameraResult

__all__ = ["Outcomes", "Track", "Tracks"]


class Outcomes:
    """Printer answers (index, PRINTED or FAILED) waiting for their packs, smallest index
    first. `add` is called from the print engine's thread, `take` from the line's."""

    __slots__ = ("_floor", "_heap", "_lock")

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, bytes]] = []
        self._lock = threading.Lock()
        self._floor = -1  # answers for indices up to here belong to packs already cleared

    def add(self, indices: list[int], outcome: PrintOutcome, data: list[bytes]) -> None:
        """Answers for `indices`, with each code's raw bytes (what the pack should carry)."""
        with self._lock:
            for index, raw in zip(indices, data, strict=True):
                if index > self._floor:
                    heapq.heappush(self._heap, (index, int(outcome), raw))

    def take(self) -> tuple[int, PrintOutcome, bytes] | None:
        with self._lock:
            if not self._heap:
                return None
            index, outcome, raw = heapq.heappop(self._heap)
            return index, PrintOutcome(outcome), raw

    def clear_through(self, index: int) -> int:
        """Forget answers up to `index` (packs cleared from the line after a printer fault)
        and any that come for them later; how many were dropped."""
        with self._lock:
            self._floor = max(self._floor, index)
            kept = [entry for entry in self._heap if entry[0] > self._floor]
            dropped = len(self._heap) - len(kept)
            heapq.heapify(kept)
            self._heap = kept
            return dropped

    def __len__(self) -> int:
        return len(self._heap)


@dataclass(slots=True)
class Track:
    """One pack between the product-detect sensor and the reject point."""

    pack: int  # the reject FIFO's pack id (detect order)
    detected_at: int  # encoder count
    camera_at: int
    reject_at: int
    index: int | None = None  # the code it carries, once the printer's answer is paired
    outcome: PrintOutcome | None = None
    data: bytes = b""  # that code's raw bytes
    trigger: int | None = None  # the camera trigger that photographs it
    result: CameraResult | None = None
    verdict: Verdict | None = None  # GOOD, a reject reason; None: not judged yet
    sequence: int = 0  # the verifier's number for its verdict (durable once committed)
    print_failed: bool = False
    passed: bool = False


@dataclass(slots=True)
class Tracks:
    """The packs in transit, in detect order, and the pairing with printer answers."""

    by_pack: dict[int, Track] = field(default_factory=dict)
    by_trigger: dict[int, Track] = field(default_factory=dict)
    unpaired: deque[Track] = field(default_factory=deque)  # detect order
    untriggered: deque[Track] = field(default_factory=deque)  # detect order

    def add(self, track: Track) -> None:
        self.by_pack[track.pack] = track
        self.unpaired.append(track)
        self.untriggered.append(track)

    def pair(self, outcomes: Outcomes) -> list[Track]:
        """Give waiting packs their printer answers, in order; the tracks paired."""
        paired = []
        while self.unpaired:
            taken = outcomes.take()
            if taken is None:
                break
            track = self.unpaired.popleft()
            track.index, track.outcome, track.data = taken
            track.print_failed = taken[1] is PrintOutcome.FAILED
            paired.append(track)
        return paired

    def realign(self, track: Track, data: bytes | None) -> bool:
        """`track` read `data`, the code the pack after it was to carry: a product detect was
        missed before it, so it and each later pack were given the printer answer of the pack
        before. Each pack from `track` on takes the answer after its own, the last one waits
        for the next answer again, and the answer left over is the unseen pack's (no verdict:
        the batch's close rejects its code as late). False, and nothing changed, if `data` is
        not the next pack's code or a later pack has its verdict already."""
        later = [t for t in self.by_pack.values()
                 if t.pack >= track.pack and t.outcome is not None]  # fmt: skip
        if (len(later) < 2 or data is None or later[1].data != data
                or any(t.verdict is not None for t in later)):  # fmt: skip
            return False
        for this, after in itertools.pairwise(later):
            this.index, this.outcome, this.data = after.index, after.outcome, after.data
            this.print_failed = after.print_failed
        last = later[-1]
        last.index, last.outcome, last.data, last.print_failed = None, None, b"", False
        self.unpaired.appendleft(last)
        return True

    def due_triggers(self, position: int) -> list[Track]:
        """Packs that reached the camera and were not photographed yet."""
        due = []
        while self.untriggered and self.untriggered[0].camera_at <= position:
            due.append(self.untriggered.popleft())
        return due

    def photographed(self, data: bytes | None, eye_reached: int) -> Track | None:
        """The pack a photo-eye result is for, taken off `untriggered`. Results come in pack
        order but carry no pack number, and a camera that missed packs (hung, rebooting)
        sends none for them: so only packs whose camera position is at most `eye_reached`
        can be the one, the oldest of them takes the result, unless the bytes read are the
        code of a later one — then the packs before it missed their results (they pass the
        reject point without one: late). None: no pack of this run is at the eye (a pack
        left on the belt by an earlier run)."""
        waiting = self.untriggered
        if not waiting or waiting[0].camera_at > eye_reached:
            return None
        if data is not None and waiting[0].data != data:
            for missed, track in enumerate(waiting):
                if track.camera_at > eye_reached:
                    break
                if track.data == data:
                    for _ in range(missed):
                        waiting.popleft()
                    break
        return waiting.popleft()

    def forget(self, track: Track) -> None:
        self.by_pack.pop(track.pack, None)
        if track.trigger is not None:
            self.by_trigger.pop(track.trigger, None)

    def __len__(self) -> int:
        return len(self.by_pack)

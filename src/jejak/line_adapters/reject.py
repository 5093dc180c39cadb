"""Reject timing: a FIFO of product-detect encoder positions, and the reject point downstream.

A photo-eye (the product detect) sees each pack as it enters the inspection section; the PLC
latches the conveyor encoder's count at that edge. The pack reaches the reject actuator (air
blast, pusher, flap) `offset` counts later, whatever the conveyor's speed. Between the two the
printer prints it and the camera reads it, and the verdict (reject or not) for the pack comes
back from verification. `RejectFifo` keeps the packs in between, in order, and tells at each
encoder position which packs have reached the reject point and whether each must be pushed off.
It does no I/O and reads no clock: it is driven by encoder counts only, so the same stream gives
the same answer, at 600 packs/min or in a test.

- `detect(position)` registers a pack and returns its id (0, 1, 2, … in order). A detect closer
  than `min_pitch` counts to the last accepted one is a double trigger (a bouncing or flickering
  sensor, a pack with a window or a tab): it is ignored and counted in `double_triggers`. The
  distance is to the last *accepted* detect, as a minimum product pitch is.
- `decide(pack, reject)` gives a pack its verdict, once. It returns `Decision.ON_TIME`, or
  `Decision.LATE` when the pack has already passed the reject point with no verdict: it was
  rejected then, and the line must count it as a `late` reject and never commission its code.
- `advance(position)` moves the encoder on and returns, in order, every pack whose
  ``detected_at + offset <= position``: `Passed`, with ``fire`` when its verdict was reject *or it
  had none yet* (``late``): a pack that was not verified in time is rejected, never
  commissioned. ``reject_at`` and ``release_at`` (``+ window``) are where a fired actuator turns
  on and off.

What the FIFO cannot see. A *missed trigger* — a pack that passed the sensor with no detect — is
no pack to the FIFO. If the camera is triggered per detect (verdicts bound to the id that
`detect` returned), the missed pack is neither read nor rejected: it goes on unverified, and
every other pack is handled exactly right. If verdicts are matched to ids by their order (a
camera with its own trigger), every verdict after the missed pack lands one pack late: the bad
pack goes on and a good one is rejected, until a verdict names an id the FIFO never issued
(`LineError`). Only a cross-check outside the FIFO catches a miss — camera triggers against
detects, or a second sensor at the reject point counting the packs that reach it. The tests
drive both cases and show which physical packs are pushed off.

A double trigger that the pitch filter lets through (a `min_pitch` set too small) makes a phantom
pack: with verdicts bound to ids it only fires the actuator twice for one pack; a `min_pitch`
set too large swallows a real pack, which is then a missed trigger.

Encoder counters wrap (commonly 32 bits): with ``modulus=2**32`` positions are taken modulo it,
each position being read as the nearest one to the last position seen, so two calls must be less
than half the modulus apart in counts; ``modulus=None`` (the default) takes positions as plain
integers. Detect positions may lag behind the last `advance` (a latched count read late); only
detects among themselves and advances among themselves must not go backwards.

>>> fifo = RejectFifo(offset=500, min_pitch=100)
>>> fifo.detect(1000), fifo.detect(1003), fifo.detect(1200), fifo.double_triggers
(0, None, 1, 1)
>>> fifo.decide(0, reject=False).label
'on time'
>>> [(p.pack, p.fire, p.late) for p in fifo.advance(1750)]
[(0, False, False), (1, True, True)]
>>> fifo.decide(1, reject=False).label
'late'
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import IntEnum

from jejak.engine.errors import InvalidQuantity, LineError
from jejak.engine.text import describe

__all__ = ["Decision", "Passed", "RejectFifo"]


class Decision(IntEnum):
    """When a verdict came: before its pack reached the reject point, or after."""

    ON_TIME = 1
    LATE = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


@dataclass(frozen=True, slots=True)
class Passed:
    """A pack at the reject point: ``fire`` to push it off (its verdict was reject, or it had
    none: ``late``), between encoder positions ``reject_at`` and ``release_at``."""

    pack: int
    detected_at: int
    fire: bool
    late: bool
    reject_at: int
    release_at: int


class RejectFifo:
    """The packs between the product-detect sensor and the reject point (module docstring)."""

    __slots__ = (
        "_detects",
        "_doubles",
        "_last_advance",
        "_last_detect",
        "_late",
        "_modulus",
        "_next",
        "_offset",
        "_pitch",
        "_ref",
        "_verdicts",
        "_window",
    )

    def __init__(
        self, *, offset: int, min_pitch: int, window: int = 0, modulus: int | None = None
    ) -> None:
        if modulus is not None:
            modulus = _counts(modulus, "encoder modulus", 4, None, "e.g. 2**32 for 32 bits.")
        half = None if modulus is None else modulus // 2
        self._modulus = modulus
        self._offset = _counts(offset, "reject offset", 0, half, _OFFSET_HINT)
        self._pitch = _counts(min_pitch, "minimum pitch", 0, half, _PITCH_HINT)
        self._window = _counts(window, "reject window", 0, half, _WINDOW_HINT)
        if half is not None and self._offset + self._window >= half:
            raise InvalidQuantity(
                f"Invalid reject offset {offset!r} with window {window!r}: expected less than "
                f"{half} counts together (half the modulus). Hint: {_OFFSET_HINT}"
            )
        self._detects: deque[tuple[int, int, int]] = deque()  # (pack, raw, unwrapped) in order
        self._verdicts: dict[int, bool] = {}  # pending packs that have a verdict
        self._late: set[int] = set()  # passed with no verdict, still waiting for it
        self._next = 0  # the next pack id
        self._doubles = 0
        self._ref: tuple[int, int] | None = None  # (raw, unwrapped) of the last position seen
        self._last_detect: int | None = None  # unwrapped
        self._last_advance: int | None = None  # unwrapped

    @property
    def pending(self) -> int:
        """Packs detected that have not reached the reject point."""
        return len(self._detects)

    @property
    def double_triggers(self) -> int:
        """Detects ignored as double triggers."""
        return self._doubles

    @property
    def detected(self) -> int:
        """Packs detected so far (the next pack's id)."""
        return self._next

    def detect(self, position: int) -> int | None:
        """A product detect at encoder `position`: the new pack's id, or None for a double
        trigger."""
        at = self._unwrap(position, self._last_detect, "product detect")
        if self._last_detect is not None and at - self._last_detect < self._pitch:
            self._doubles += 1
            return None
        self._last_detect = at
        pack, self._next = self._next, self._next + 1
        self._detects.append((pack, position, at))
        return pack

    def decide(self, pack: int, reject: bool) -> Decision:
        """The verdict for `pack`: `Decision.ON_TIME` if it has not passed the reject point,
        `Decision.LATE` if it passed with no verdict (and was rejected). `LineError` for a pack
        never detected and for a second verdict."""
        if isinstance(pack, bool) or not isinstance(pack, int) or not 0 <= pack < self._next:
            last = f"0 to {self._next - 1}" if self._next else "none yet"
            raise LineError(
                f"Unknown pack {describe(pack)}: expected a pack id that detect returned "
                f"({last}). Hint: more verdicts than detects means a missed product detect."
            )
        if pack >= self._next - len(self._detects):  # still between sensor and reject point
            if pack in self._verdicts:
                raise LineError(_twice(pack, "it has one"))
            self._verdicts[pack] = bool(reject)
            return Decision.ON_TIME
        if pack not in self._late:
            raise LineError(_twice(pack, "it passed the reject point with one"))
        self._late.remove(pack)
        return Decision.LATE

    def advance(self, position: int) -> list[Passed]:
        """The encoder is at `position` now: every pack that has reached the reject point, in
        order."""
        at = self._unwrap(position, self._last_advance, "encoder")
        self._last_advance = at
        passed: list[Passed] = []
        detects, offset = self._detects, self._offset
        while detects and detects[0][2] + offset <= at:
            pack, raw, _ = detects.popleft()
            verdict = self._verdicts.pop(pack, None)
            if verdict is None:
                self._late.add(pack)
            reject_at = self._wrap(raw + offset)
            passed.append(
                Passed(
                    pack=pack,
                    detected_at=raw,
                    fire=verdict is not False,
                    late=verdict is None,
                    reject_at=reject_at,
                    release_at=self._wrap(reject_at + self._window),
                )
            )
        return passed

    # Plumbing --------------------------------------------------------------------------------

    def _wrap(self, position: int) -> int:
        return position if self._modulus is None else position % self._modulus

    def _unwrap(self, position: int, last: int | None, what: str) -> int:
        """`position` as an unbounded count, and a check that it did not go backwards."""
        modulus = self._modulus
        if (
            isinstance(position, bool)
            or not isinstance(position, int)
            or (modulus is not None and not 0 <= position < modulus)
        ):
            bounds = "" if modulus is None else f" from 0 to {modulus - 1}"
            raise InvalidQuantity(
                f"Invalid {what} position {describe(position)}: expected a whole encoder "
                f"count{bounds}. Hint: pass the counter's value as an int."
            )
        if self._ref is None or modulus is None:
            at = position
        else:
            raw, ref = self._ref
            half = modulus // 2
            at = ref + (position - raw + half) % modulus - half
        if last is not None and at < last:
            raise LineError(
                f"Backward {what} position {position!r}: expected {self._wrap(last)} or more "
                "(the encoder only counts forward). Hint: check the encoder's direction, or set "
                "the modulus of a counter that wraps."
            )
        self._ref = (position, at)
        return at


_OFFSET_HINT = "the encoder counts from the product-detect sensor to the reject actuator."
_PITCH_HINT = (
    "a little less than the shortest distance between two packs; 0 turns the double-trigger "
    "filter off."
)
_WINDOW_HINT = "how many counts the actuator stays on for a reject."


def _counts(value: object, what: str, least: int, below: int | None, hint: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < least
        or (below is not None and value >= below)
    ):
        bound = "" if below is None else f" and below {below} (half the modulus)"
        raise InvalidQuantity(
            f"Invalid {what} {describe(value)}: expected encoder counts, {least} or more{bound}. "
            f"Hint: {hint}"
        )
    return value


def _twice(pack: int, why: str) -> str:
    return (
        f"Second verdict for pack {pack}: expected one verdict a pack, and {why}. Hint: a camera "
        "that answered twice for one trigger; the first verdict stands."
    )

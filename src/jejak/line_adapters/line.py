"""The line controller: one batch on one line, from product detect to commissioned or rejected.

Per pack: the product-detect sensor fires (the line I/O sends ``DET``) and the printer prints
the next code on it (its print-go input is on the same sensor); the printer's answer, streamed
back through the ZeroMQ print stream, says which code that was (`_tracking`); when the pack
reaches the camera the controller triggers it; the read is judged against the code expected
on that pack (`verify`); the rejector is armed for every pack judged a reject as soon as it is
judged, and for every pack with no verdict when it reaches its decision point (`late`), once
each and never while the loop waits for anything (`_rejector`). Verdicts are group-committed
through the store's unit of work; a good verdict is committed before its pack passes the
reject point (while the store is behind, the belt waits for it), so no pack leaves the line
active in the field but inactive in the store, and one whose good verdict the store did not
take is rejected.

The controller is a PackML machine (`packml`): Reset connects the devices and starts the print
stream, Start primes the printer and runs the conveyor, Hold and Suspend stop the conveyor
(a printer that drops off the line suspends it by itself, and the packs in transit are cleared
as `late` rejects), Stop and Abort stop everything without losing a code, and when every code
of the run is printed and every pack passed, Complete drains the printer, gives every printed
code still without a verdict `late`, and closes the batch with its reconciliation. Every state
change is an audit event (``line.state``) and goes out on the print stream's PUB socket with
the verdicts (`LineEvents`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jejak.engine.codes import Level
from jejak.engine.errors import DeviceFault, JejakError, LineError
from jejak.engine.serials import load_kernels
from jejak.engine.store import EventKind, Store
from jejak.engine.symbology import Symbology
from jejak.engine.verification import Verdict
from jejak.line_adapters import _devices
from jejak.line_adapters._mailbox import Mailbox
from jejak.line_adapters._reads import Reads
from jejak.line_adapters._rejector import Rejector, run_out
from jejak.line_adapters._stream import LineStream
from jejak.line_adapters._tracking import Track, Tracks
from jejak.line_adapters.batch_run import finish_batch, run_units
from jejak.line_adapters.config import LineConfig, TriggerMode
from jejak.line_adapters.io.client import Disconnected
from jejak.line_adapters.io.codec import ConveyorState, Detect, Encoder, Frame
from jejak.line_adapters.io.codec import State as IoState
from jejak.line_adapters.packml import Change, Command, Machine, State
from jejak.line_adapters.reject import Decision
from jejak.line_adapters.samples import SamplePlan
from jejak.line_adapters.summary import LineSummary, count_batch
from jejak.line_adapters.verify import Expected, Verifier

__all__ = ["LineController", "LineOptions"]

_log = logging.getLogger(__name__)
_SETTLE = 0.2  # seconds a printer that came back is watched before the line goes on
_FLUSH_EVERY = 0.01  # seconds between group commits of verdicts, at the most
_SPEED_PACKS = 20  # CurMachSpeed is measured over the detects of this many packs


@dataclass(frozen=True, slots=True)
class LineOptions:
    """How a run goes: `units` packs (None: every code the batch has left), `symbology` the
    product's symbols read as, a retained sample every `sample_every` good packs."""

    units: int | None = None
    symbology: Symbology = Symbology.GS1_DATAMATRIX
    sample_every: int | None = None
    actor: str | None = None
    auto_start: bool = True
    start_timeout: float = 30.0
    before_close: Callable[[], None] | None = None  # the last packs are binned (stations)


@dataclass(slots=True)
class _Counts:
    packs: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    unlabelled: int = 0


class LineController:
    """Runs one batch on one line (see the module). Use as a context manager."""

    def __init__(self, store: Store, batch: str, config: LineConfig,
                 options: LineOptions | None = None) -> None:  # fmt: skip
        self.store, self.batch, self.config = store, batch, config
        self.options = options or LineOptions()
        self.actor = self.options.actor or config.name
        self.record = store.batch(batch)
        self._level = Level.PRIMARY
        self.units = run_units(store, self.record, self.options.units)
        self.machine = Machine(on_change=self._changed, design_speed=config.ppm)
        self.tracks = Tracks()
        self.verifier = Verifier(store, batch, line=config.name, symbology=self.options.symbology,
                                 min_grade=config.camera.min_grade, actor=self.actor)  # fmt: skip
        self.samples = SamplePlan(self.verifier.ledger, self.options.sample_every,
                                  actor=self.actor)  # fmt: skip
        self.verifier.committed = self.samples.committed
        self.counts = _Counts()
        self._mailbox = Mailbox()  # commands from the control socket's thread
        self._position = 0
        self._last_reject_at = 0  # the reject point of the last pack detected
        self._detect_times: deque[float] = deque(maxlen=_SPEED_PACKS)  # of the last packs
        io = config.io
        self._lead = min(2 * io.pitch, (io.reject_at - io.camera_at) // 3)  # decide ahead
        self._good_waiting: deque[Track] = deque()  # judged good, not committed, in order
        self._last_flush = time.monotonic()
        self._printer_up = False
        self._started = time.monotonic()
        self._stream: LineStream | None = None
        self._auto_suspended = False  # suspended by the line itself (the printer dropped off)
        self._sent_at_suspend = 0
        self._printer_back: float | None = None  # when the printer came back, while suspended
        self.camera = _devices.camera_for(config.camera)
        self.reads = Reads(self.camera, self.tracks, io,
                           software=config.camera.trigger is TriggerMode.SOFTWARE)  # fmt: skip
        self.io = _devices.io_for(config.io)
        self.rejector = Rejector(self.io, offset=io.reject_at, pitch=io.pitch)
        self.fifo = self.rejector.fifo
        self.summary = LineSummary(config.name, batch, str(store.path), self.units)

    # Running -------------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> LineSummary:
        """Run the batch until it is complete, or `stop` is set (Stop: the batch stays open
        and a later run goes on with it). Returns the summary, counted from the store."""
        self._started = time.monotonic()
        try:
            self.command(Command.RESET)
            if self.options.auto_start:
                self.command(Command.START)
            while self.machine.state not in (State.COMPLETE, State.STOPPED, State.ABORTED):
                if stop is not None and stop.is_set() and self.machine.state is not State.STOPPING:
                    self.command(Command.STOP, reason="stopped by the operator")
                    continue
                self._mailbox.serve(self._operator_command)
                if self.machine.state in (State.EXECUTE, State.SUSPENDED, State.HELD):
                    self._step()
                else:
                    time.sleep(0.01)
        finally:
            self._mailbox.end()
            self._shut_down()
        self.summary.elapsed_s = time.monotonic() - self._started
        return count_batch(self.store, self.batch, self.summary)

    def command(self, command: Command, *, reason: str | None = None) -> State:
        """Give the machine a PackML command and carry out its acting state."""
        self.machine.command(command, reason=reason)
        self._act()
        return self.machine.state

    def request(self, command: Command, timeout: float = 10.0) -> object:
        """From another thread (the control socket): the command, run on the line's thread;
        the new state, or the error it met."""
        return self._mailbox.request(command, timeout, self._not_running)

    def _operator_command(self, command: Command) -> State:
        return self.command(command, reason="operator command")

    def _not_running(self) -> LineError:
        return LineError(f"The line is not running: its run of batch {self.batch!r} ended in "
                         f"state {self.machine.state.label}. Hint: `jejak line status` shows "
                         "how it ended.")  # fmt: skip

    def _act(self) -> None:
        """Carry out acting states until the machine rests in a wait state."""
        while self.machine.state.is_acting:
            state = self.machine.state
            if state is State.RESETTING:
                self._reset()
            elif state is State.STARTING:
                self.stream.prime(self.options.start_timeout)
                self._printer_up = True
                self.io.run()
            elif state in (State.HOLDING, State.SUSPENDING, State.STOPPING, State.ABORTING):
                self._halt()
                if state in (State.STOPPING, State.ABORTING):
                    self._clear_line("line stopped")
            elif state in (State.UNHOLDING, State.UNSUSPENDING):
                self.io.run()
            elif state is State.COMPLETING:
                self._complete()
            self.machine.complete()

    def _reset(self) -> None:
        if self._stream is not None:
            return
        load_kernels()  # compile (or load) the serial kernels now, not on the first pack
        self.io.connect()
        self.camera.connect()
        self._stream = LineStream(self.store, self.record, self.config, units=self.units,
                                  actor=self.actor, level=self._level)  # fmt: skip

    @property
    def stream(self) -> LineStream:
        if self._stream is None:
            raise LineError("The line has not been reset: its print stream is not running. "
                            "Hint: give it the reset command first.")  # fmt: skip
        return self._stream

    def _watch_printer(self) -> None:
        """A printer that drops off the line suspends it (PackML: the machine is starved):
        the belt stops and the packs in transit are cleared as late rejects (some left the
        printer unlabelled). When the printer has been back a moment and holds new jobs (or
        the run has none left), the line goes on: every label printed so far went on a
        cleared pack, so the answers for them, even those still to come, are forgotten, and
        so are packs whose detection the I/O reported only after the clear (a loaded line
        PC): no answer is theirs, and pairing them with the next labels' answers would put
        every later pack one code out of step."""
        stream, state, now = self.stream, self.machine.state, time.monotonic()
        if stream.done.is_set():  # the run is printed: the printer's session has ended
            if state is State.SUSPENDED and self._auto_suspended:
                self._auto_suspended = False
                self.command(Command.UNSUSPEND, reason="nothing left to print")
            return
        if state is State.EXECUTE and not stream.printer_up():
            self._sent_at_suspend = stream.sent
            self._auto_suspended = True
            self._printer_back = None
            self.command(Command.SUSPEND, reason="the printer is not ready")
            self._clear_line("printer lost")
        elif state is State.SUSPENDED and self._auto_suspended:
            if not stream.printer_up():
                self._printer_back = None
            elif self._printer_back is None:
                self._printer_back = now
            elif now - self._printer_back > _SETTLE and self._printer_refilled(stream):
                stream.outcomes.clear_through(stream.highest_printed())
                if self.tracks:  # detected before the belt stopped, reported after the clear
                    self._clear_line("detected as the printer dropped off")
                self._auto_suspended = False
                self.command(Command.UNSUSPEND, reason="the printer is back")

    def _printer_refilled(self, stream: LineStream) -> bool:
        """Whether the printer that came back holds its first jobs again (or the run has no
        more to send it), so the next packs get labels."""
        wanted = min(self.config.printer.low, self.units - self._sent_at_suspend)
        return stream.sent - self._sent_at_suspend >= wanted or stream.sent >= self.units

    def _shut_down(self) -> None:
        if self._stream is not None:
            self._stream.close()
        for device in (self.camera, self.io):
            try:
                device.close()
            except OSError:
                _log.warning("closing %s failed", device)
        try:
            self.verifier.close()
        except JejakError:
            _log.exception("the last verdicts could not be committed: the resume makes them late")

    # One turn of the loop ------------------------------------------------------------------

    def _step(self) -> None:
        if not self._belt(self.io.poll(0.005)):
            return
        for track in self.tracks.pair(self.stream.outcomes):
            self._judge(track)
        self.reads.trigger_due(self._position)
        events = self.camera.poll(0)
        if events and not self._belt(self.io.poll(0)):  # the belt as far as the reads went
            return
        self.reads.take(events, self._position, self._judge)
        if self.reads.reconnect_due():
            self._paused(lambda: self.reads.reconnect(self._position))
        self._pass_packs()
        if self.verifier.queued and time.monotonic() - self._last_flush > _FLUSH_EVERY:
            self.verifier.flush_soon()
            self._last_flush = time.monotonic()
        self._watch_printer()
        if self._finished():
            self.command(Command.COMPLETE)

    def _belt(self, frames: list[Frame | Disconnected]) -> bool:
        """Take the line I/O's frames; False when they ended the run (a fault, a lost I/O)."""
        for frame in frames:
            if isinstance(frame, Detect):
                self._detected(frame.encoder)
            elif isinstance(frame, Encoder):
                self._position = frame.encoder
            elif isinstance(frame, IoState) and frame.state is ConveyorState.FAULT:
                self.command(Command.STOP, reason=f"conveyor fault: {frame.text}")
                return False
            elif isinstance(frame, Disconnected):
                self.command(Command.ABORT, reason=f"line I/O lost: {frame.reason}")
                return False
        return True

    def _detected(self, encoder: int) -> None:
        pack = self.fifo.detect(encoder)
        if pack is None:
            return
        io = self.config.io
        camera_at = encoder + io.camera_at - io.trigger_lead
        self.tracks.add(Track(pack, encoder, camera_at, encoder + io.reject_at))
        self._last_reject_at = max(self._last_reject_at, encoder + io.reject_at)
        self.counts.packs += 1
        self.machine.count(processed=1)
        now, times = time.monotonic(), self._detect_times
        times.append(now)
        if len(times) > 1 and now > times[0]:  # CurMachSpeed over the last packs detected
            self.machine.set_speed((len(times) - 1) * 60.0 / (now - times[0]))

    def _judge(self, track: Track) -> None:
        """A pack with both its printer answer and its read gets its verdict."""
        if track.verdict is not None or track.outcome is None:
            return
        if track.print_failed:
            verdict = Verdict.NO_READ  # unlabelled: rejected, and no code to give a verdict to
        elif track.result is None:
            if not track.passed:
                return
            verdict = Verdict.LATE
        else:
            result = track.result
            verdict = self.verifier.judge(Expected(track.index or 0, track.data), result)
            if verdict is Verdict.MISMATCH and self.tracks.realign(track, result.data):
                self._judge(track)  # a detect was missed before it: judged on its own code
                return
        on_time = not track.passed and (
            self.fifo.decide(track.pack, verdict.rejected) is Decision.ON_TIME)  # fmt: skip
        if not on_time:
            verdict = Verdict.LATE  # the pack passed (and was fired) before its verdict
        elif verdict.rejected:  # armed now, far ahead of the belt
            self.rejector.reject(track.pack, track.reject_at, self._position)
        track.verdict = verdict
        self._record(track, verdict)

    def _record(self, track: Track, verdict: Verdict) -> None:
        if track.print_failed:
            self.counts.unlabelled += 1
        else:
            assert track.index is not None  # noqa: S101 (paired)
            track.sequence = self.verifier.submit(track.index, verdict)
            if self.verifier.full:
                self.verifier.flush_soon()
            if verdict is Verdict.GOOD:
                self._good_waiting.append(track)
            self.counts.verdicts[verdict.label] = self.counts.verdicts.get(verdict.label, 0) + 1
        if verdict.rejected or track.print_failed:
            self.machine.count(defective=1)
        if track.passed:
            self.tracks.forget(track)

    def _pass_packs(self) -> None:
        """Packs about to reach the reject point: the decision is taken `_lead` counts ahead
        and the I/O arms the rejector for the pack's exact position (``FIRE`` at an encoder
        count), so the loop's latency never rejects the wrong pack; a pack without a verdict
        then is rejected as late. Good packs pass only once their verdict is committed."""
        ahead = self._position + self._lead
        passing = self.rejector.advance(ahead, self._position)  # first: fires never wait
        self._release_good(ahead)
        for passed in passing:
            track = self.tracks.by_pack.get(passed.pack)
            if track is None:
                continue
            track.passed = True
            if track.verdict is None:
                self._judge(track)  # late, if it has its printer answer
            if track.verdict is not None or (track.outcome is None and self._printer_up is False):
                self.tracks.forget(track)

    def _release_good(self, ahead: int) -> None:
        """Good packs at their decision point pass with their verdict written. If the store
        is behind (another writer holds it, a slow disk), the belt stops while the line waits
        for it, so that no pack reaches the reject point meanwhile; a good verdict the store
        did not take (refused, or its commit failed) makes its pack a reject."""
        waiting = self._good_waiting
        while waiting and waiting[0].reject_at <= ahead:
            track = waiting.popleft()
            if self.verifier.durable < track.sequence:
                self._wait_for_store()
            index, verifier = track.index, self.verifier
            if verifier.durable < track.sequence or index is None or not verifier.written(index):
                _log.error("code %s judged good but not stored: its pack is rejected (the "
                           "batch's close rejects the code as late)", track.index)  # fmt: skip
                self.rejector.reject(track.pack, track.reject_at, self._position)
                self.counts.verdicts["good"] -= 1
                self.counts.verdicts["late"] = self.counts.verdicts.get("late", 0) + 1
                self.machine.count(defective=1)

    def _wait_for_store(self) -> None:
        try:
            self._paused(self._flush)
        except JejakError:
            _log.exception("verdicts not committed: their packs are rejected")

    def _paused(self, action: Callable[[], None]) -> None:
        """Do `action`, which may block (the store, a camera's connect), with the belt
        stopped, so that no pack reaches the reject point while the loop waits; then run on."""
        self._halt()
        try:
            action()
        finally:
            if self.machine.state is State.EXECUTE:
                try:
                    self.io.run()
                except DeviceFault as error:
                    _log.warning("cannot run the conveyor again: %s", error)

    def _flush(self) -> None:
        """Commit the queued verdicts now (the line waits for the disk)."""
        self.verifier.flush()
        self._last_flush = time.monotonic()

    def _finished(self) -> bool:
        """Every code of the run answered by the printer and every pack past the reject
        point. Answers left with no pack waiting for one are for packs the product detect
        missed: no pack comes for them (the batch's close rejects their codes as late)."""
        return (self.stream.done.is_set() and not self.fifo.pending and self.fifo.detected > 0
                and not (len(self.stream.outcomes) and self.tracks.unpaired))  # fmt: skip

    # Ends ----------------------------------------------------------------------------------

    def _clear_line(self, why: str) -> None:
        """Packs between the sensor and the reject point when the line stops: those without a
        verdict are rejected as late, and every one not judged good has its reject armed at
        its reject point, so that the belt pushes it off when it runs again (the I/O keeps
        armed fires; a lost I/O cannot, and the operator clears those packs). Their printer
        answers still to come are forgotten."""
        cleared = list(self.tracks.by_pack.values())
        for track in cleared:
            armed = track.passed  # past the decision point: the FIFO fired it if it had to
            track.passed = True
            if track.verdict is None and track.outcome is not None:
                self._judge(track)
            if not armed and track.verdict is not Verdict.GOOD:
                self.rejector.reject(track.pack, track.reject_at, self._position)
            self.tracks.forget(track)
        self.tracks.unpaired.clear()
        self.tracks.untriggered.clear()
        _log.info("%s: %d packs cleared from the line", why, len(cleared))
        self._flush()

    def _complete(self) -> None:
        early = bool(self.fifo.pending) or not self.stream.done.is_set()
        if early:  # the operator's Complete before the end: no more packs under the printer
            self._halt()
        self._flush()
        self.stream.end()
        if early:
            self._clear_line("completed before the end of the run")
        self._run_out()
        if self.options.before_close is not None:
            self.options.before_close()
        finish_batch(self.store, self.batch, actor=self.actor, summary=self.summary)

    def _run_out(self) -> None:
        """Run the belt until the last pack is past the reject actuator, then stop it (it
        runs again after an early Complete halted it)."""
        io = self.config.io
        try:
            self._position = run_out(self.io, self._position, self._last_reject_at + io.pitch,
                                     self.config.ppm / 60 * io.pitch)  # fmt: skip
        finally:
            self._halt()

    def _halt(self) -> None:
        """Stop the conveyor (a line I/O that is gone has stopped it already)."""
        self._detect_times.clear()
        self.machine.set_speed(0)
        try:
            self.io.stop()
        except DeviceFault as error:
            _log.warning("cannot stop the conveyor: %s", error)

    # PackML --------------------------------------------------------------------------------

    def _changed(self, change: Change) -> None:
        """Every state change: an audit event, and a line event on the PUB socket."""
        body = {"line": self.config.name, "batch": self.batch, "from": change.before.label,
                "to": change.after.label, "mode": change.mode.label,
                "command": None if change.command is None else change.command.name.lower(),
                "reason": change.reason}  # fmt: skip
        with self.store.unit_of_work(self.actor) as uow:
            uow.event(EventKind.LINE_STATE, body)
        if self._stream is not None:
            self._stream.engine.publish("line.state", body)

    def status(self) -> dict[str, Any]:
        """The line's PackML state, PackTags and counts by outcome (JSON-ready)."""
        tags = self.machine.tags()
        return {
            "line": self.config.name, "batch": self.batch, "state": tags.state_current.label,
            "packtags": tags.as_dict(), "packs": self.counts.packs,
            "verdicts": dict(self.counts.verdicts), "unlabelled": self.counts.unlabelled,
            "fired": self.rejector.fired, "reject_missed": len(self.rejector.missed),
            "in_transit": len(self.tracks),
        }  # fmt: skip

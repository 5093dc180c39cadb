"""The seam between a printer driver and a device: what every device client offers.

A driver process (`jejak printer drive`) holds one device client. It asks the client how many
more records the device can take (`free`), sends it jobs (`send`), and collects what the device
reports (`poll`): a job printed, a job failed, a change of device status. Each device kind — a
Zebra over ZPL, a coder over its record protocol — is a client class with these methods; the
driver and the ZeroMQ stream never see device bytes.

A job's payload is the code's raw GS1 element string (ASCII, GS between variable-length
fields), or, for a BPOM-issued identification code printed as given, its text. The client turns
it into what its device needs (a ZPL ``^XF`` recall with ``^FN`` fields, a coder record).

Outcomes are honest about what is known. `Failed(known=True)` means the device said it did not
print the job (rejected, skipped); `Failed(known=False)` means nobody can tell. Both are final
for the stream: a job is never sent twice, and an unknown outcome is scrapped at reconciliation.

When the connection drops, `send` raises `DeviceFault` or `poll` reports
`Status(DeviceState.DISCONNECTED)`; the client then forgets the jobs it held, and the driver
(which keeps its own list of jobs in flight) reports each of them as an unknown outcome. The
driver may call `connect` again to reconnect; the device starts from an empty buffer.

>>> Job.parse(7, b"0108991234567891")
Job(job=7, data=b'0108991234567891')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.text import describe

__all__ = [
    "DeviceEvent",
    "DeviceKind",
    "DeviceState",
    "Failed",
    "Job",
    "PrintDevice",
    "Printed",
    "Status",
]

_MAX_JOB_ID = (1 << 63) - 1
_MAX_PAYLOAD = 512  # no code Jejak prints is longer; see jejak.engine.gs1


class DeviceKind(StrEnum):
    """The device families Jejak drives."""

    ZPL = "zpl"  # Zebra thermal printer, ZPL over raw TCP 9100
    CODER = "coder"  # inkjet / TIJ / CIJ coder with a buffered-record text protocol


class DeviceState(StrEnum):
    """What a device says of itself, as far as the stream needs to know."""

    READY = "ready"
    WARNING = "warning"  # prints, but needs attention soon (ink low, ribbon low)
    PAUSED = "paused"  # prints nothing until an operator resumes it
    FAULT = "fault"  # cannot print: out of ink, head open, media out, buffer overflow
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class Job:
    """One code to print: the stream's job id and the payload bytes."""

    job: int
    data: bytes

    @classmethod
    def parse(cls, job: object, data: object) -> Job:
        if isinstance(job, bool) or not isinstance(job, int) or not 0 <= job <= _MAX_JOB_ID:
            raise InvalidQuantity(
                f"Invalid job id {describe(job)}: expected an integer from 0 to 2**63-1. "
                "Hint: job ids come from the engine's JOB frames."
            )
        if not isinstance(data, bytes) or not 0 < len(data) <= _MAX_PAYLOAD:
            raise InvalidFormat(
                f"Invalid payload {describe(data)} for job {job}: expected 1 to {_MAX_PAYLOAD} "
                "bytes. Hint: a payload is a code's raw element string."
            )
        return cls(job, data)


@dataclass(frozen=True, slots=True)
class Printed:
    """The device printed this job."""

    job: int


@dataclass(frozen=True, slots=True)
class Failed:
    """The job was not printed (`known`), or nobody can tell whether it was (not `known`)."""

    job: int
    reason: str
    known: bool


@dataclass(frozen=True, slots=True)
class Status:
    """A change in the device's own state, with the device's words for it."""

    state: DeviceState
    detail: str = ""


DeviceEvent = Printed | Failed | Status


@runtime_checkable
class PrintDevice(Protocol):
    """A client for one physical (or simulated) device."""

    @property
    def kind(self) -> DeviceKind: ...

    @property
    def capacity(self) -> int:
        """How many records the device buffer holds in all."""
        ...

    def connect(self) -> None:
        """Open the connection and bring the device to a known state; `DeviceFault` if it cannot."""
        ...

    def free(self) -> int:
        """How many more jobs may be sent now: capacity minus jobs sent and not yet settled."""
        ...

    def send(self, jobs: Sequence[Job]) -> None:
        """Hand jobs to the device, in order. Never more than `free()` allows.

        If the connection drops, raise `DeviceFault` (the driver settles every job in flight as
        an unknown outcome).
        """
        ...

    def poll(self, timeout: float) -> list[DeviceEvent]:
        """Wait up to `timeout` seconds for what the device reports; [] if nothing came."""
        ...

    def close(self) -> None:
        """Close the connection. Jobs still unsettled are the driver's to report as unknown."""
        ...

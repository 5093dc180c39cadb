"""``~HS``, the host status a Zebra printer answers: three ``<STX>…<ETX>`` lines of flags and
counts, framed without I/O. printers/README.md, "~HS: the fields Jejak reads", lists them.

>>> used, status = decode_host_status(HostStatus(paper_out=True).to_bytes())
>>> used, status.condition()
(82, (<DeviceState.FAULT: 'fault'>, 'paper out'))
"""

from __future__ import annotations

from dataclasses import dataclass

from jejak.engine.errors import ProtocolError
from jejak.engine.text import describe
from jejak.printers.device import DeviceState

__all__ = ["CANCEL_ALL", "HOST_STATUS", "HostStatus", "decode_host_status", "parse_host_status"]

HOST_STATUS = b"~HS"
CANCEL_ALL = b"~JA"  # cancels every format in the printer's buffer

_HS_LAYOUT = (12, 11, 2)  # fields in each of the three lines, as Zebra documents them
_MAX_HS_LINE = 200


@dataclass(frozen=True, slots=True)
class HostStatus:
    """The three lines a printer answers to ``~HS`` (ZPL II Programming Guide, ~HS)."""

    paper_out: bool = False
    paused: bool = False
    formats_in_buffer: int = 0
    buffer_full: bool = False
    partial_format: bool = False
    head_up: bool = False
    ribbon_out: bool = False
    labels_remaining: int = 0
    label_length: int = 0  # dots
    interface: int = 0  # line 1, aaa: the serial settings as a number
    diagnostic_mode: bool = False
    corrupt_ram: bool = False
    under_temperature: bool = False
    over_temperature: bool = False
    function_settings: int = 0  # line 2, mmm: media type, sensor profile
    thermal_transfer: bool = False
    print_mode: int = 2  # 0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator, ...
    width_mode: int = 0
    label_waiting: bool = False
    graphics_stored: int = 0
    password: str = "1234"  # noqa: S105 - the front-panel password ~HS reports, not ours
    static_ram: bool = False

    def to_bytes(self) -> bytes:
        """The answer as a printer sends it (the simulator's side)."""
        b = {False: 0, True: 1}
        lines = (
            (
                f"{self.interface:03d},{b[self.paper_out]},{b[self.paused]},{self.label_length:04d},"
                f"{self.formats_in_buffer:03d},{b[self.buffer_full]},{b[self.diagnostic_mode]},"
                f"{b[self.partial_format]},000,{b[self.corrupt_ram]},{b[self.under_temperature]},"
                f"{b[self.over_temperature]}"
            ),
            (
                f"{self.function_settings:03d},0,{b[self.head_up]},{b[self.ribbon_out]},"
                f"{b[self.thermal_transfer]},{self.print_mode},{self.width_mode},"
                f"{b[self.label_waiting]},{self.labels_remaining:08d},1,{self.graphics_stored:03d}"
            ),
            f"{self.password},{b[self.static_ram]}",
        )
        return "".join(f"\x02{line}\x03\r\n" for line in lines).encode("ascii")

    def condition(self) -> tuple[DeviceState, str]:
        """The device state these flags mean, and the printer's words for it."""
        faults = [text for flag, text in (
            (self.paper_out, "paper out"), (self.head_up, "head open"),
            (self.ribbon_out, "ribbon out"), (self.over_temperature, "head over temperature"),
        ) if flag]  # fmt: skip
        if faults:
            return DeviceState.FAULT, ", ".join(faults)
        if self.paused:
            return DeviceState.PAUSED, "paused"
        warnings = [text for flag, text in (
            (self.buffer_full, "receive buffer full"), (self.corrupt_ram, "configuration lost"),
            (self.under_temperature, "head under temperature"),
        ) if flag]  # fmt: skip
        return (DeviceState.WARNING, ", ".join(warnings)) if warnings else (DeviceState.READY, "")


def _hs_error(data: bytes, expected: str) -> ProtocolError:
    return ProtocolError(
        f"Invalid ~HS answer {describe(data)}: expected {expected}. Hint: three <STX>…<ETX> "
        "lines of 12, 11 and 2 comma-separated fields; is the port a Zebra printer's?"
    )


def decode_host_status(buffer: bytes) -> tuple[int, HostStatus | None]:
    """Frame one ``~HS`` answer at the start of `buffer`: (bytes used, status), or (0, None)."""
    lines: list[list[bytes]] = []
    position = 0
    for count in _HS_LAYOUT:
        start = buffer.find(b"\x02", position)
        if buffer[position : len(buffer) if start < 0 else start].strip(b"\r\n"):
            raise _hs_error(buffer, "<STX> at the start of each line")
        end = -1 if start < 0 else buffer.find(b"\x03", start)
        if end < 0:
            if len(buffer) - position > _MAX_HS_LINE:
                raise _hs_error(buffer, f"<ETX> within {_MAX_HS_LINE} bytes")
            return 0, None
        fields = buffer[start + 1 : end].split(b",")
        if len(fields) < count or not all(f.isdigit() for f in fields[:count] if f):
            raise _hs_error(buffer[start : end + 1], f"{count} comma-separated numbers")
        lines.append(fields)
        position = end + 1 + (buffer[end + 1 : end + 3] == b"\r\n") * 2
    one, two, three = lines

    def number(value: bytes) -> int:
        return int(value) if value else 0

    def flag(value: bytes) -> bool:
        if value not in (b"0", b"1"):
            raise _hs_error(buffer[:position], f"a flag 0 or 1, got {value!r}")
        return value == b"1"

    status = HostStatus(
        interface=number(one[0]), paper_out=flag(one[1]), paused=flag(one[2]),
        label_length=number(one[3]), formats_in_buffer=number(one[4]), buffer_full=flag(one[5]),
        diagnostic_mode=flag(one[6]), partial_format=flag(one[7]), corrupt_ram=flag(one[9]),
        under_temperature=flag(one[10]), over_temperature=flag(one[11]),
        function_settings=number(two[0]), head_up=flag(two[2]), ribbon_out=flag(two[3]),
        thermal_transfer=flag(two[4]), print_mode=number(two[5]), width_mode=number(two[6]),
        label_waiting=flag(two[7]), labels_remaining=number(two[8]),
        graphics_stored=number(two[10]), password=three[0].decode("ascii"),
        static_ram=flag(three[1]),
    )  # fmt: skip
    return position, status


def parse_host_status(data: bytes) -> HostStatus:
    """One whole ``~HS`` answer; `ProtocolError` if it is cut short or followed by more."""
    used, status = decode_host_status(data)
    if status is None or data[used:].strip(b"\r\n"):
        raise _hs_error(data, "exactly one complete answer")
    return status

"""~HS, the host status: exact bytes, round trips, framing split anywhere, junk that must raise
`ProtocolError` with a useful message, and the device state the flags mean."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jejak.engine.errors import ProtocolError
from jejak.printers.device import DeviceState
from jejak.printers.zpl import HostStatus, decode_host_status, parse_host_status

# What a Zebra answers to ~HS: string 1, string 2, string 3, each <STX>…<ETX><CR><LF>.
HS_READY = (
    b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n"
    b"\x02000,0,0,0,1,2,6,0,00000000,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)


def test_host_status_of_a_ready_printer() -> None:
    status = parse_host_status(HS_READY)
    assert status == HostStatus(
        interface=30, label_length=1245, thermal_transfer=True, print_mode=2, width_mode=6,
        password="1234",
    )  # fmt: skip
    assert status.condition() == (DeviceState.READY, "")


def test_host_status_bytes_exact() -> None:
    status = HostStatus(paper_out=True, paused=True, formats_in_buffer=12, labels_remaining=1,
                        head_up=True, label_length=406)  # fmt: skip
    assert status.to_bytes() == (
        b"\x02000,1,1,0406,012,0,0,0,000,0,0,0\x03\r\n"
        b"\x02000,0,1,0,0,2,0,0,00000001,1,000\x03\r\n"
        b"\x021234,0\x03\r\n"
    )


FLAGS = st.booleans()


@given(
    status=st.builds(
        HostStatus, paper_out=FLAGS, paused=FLAGS, formats_in_buffer=st.integers(0, 999),
        buffer_full=FLAGS, partial_format=FLAGS, head_up=FLAGS, ribbon_out=FLAGS,
        labels_remaining=st.integers(0, 99_999_999), label_length=st.integers(0, 9999),
        interface=st.integers(0, 511), diagnostic_mode=FLAGS, corrupt_ram=FLAGS,
        under_temperature=FLAGS, over_temperature=FLAGS, function_settings=st.integers(0, 255),
        thermal_transfer=FLAGS, print_mode=st.integers(0, 9), width_mode=st.integers(0, 9),
        label_waiting=FLAGS, graphics_stored=st.integers(0, 999),
        password=st.from_regex(r"[0-9]{4}", fullmatch=True), static_ram=FLAGS,
    )
)  # fmt: skip
def test_host_status_round_trip(status: HostStatus) -> None:
    data = status.to_bytes()
    assert parse_host_status(data) == status
    assert decode_host_status(data + data[:7]) == (len(data), status)


def test_host_status_framing_waits_for_the_whole_answer() -> None:
    for cut in range(len(HS_READY) - 2):  # the last <CR><LF> is optional
        assert decode_host_status(HS_READY[:cut]) == (0, None), cut
    assert decode_host_status(b"\r\n" + HS_READY)[1] == parse_host_status(HS_READY)
    extra = HS_READY.replace(b"0,0,0\x03", b"0,0,0,7,9\x03", 1)  # newer firmware, more fields
    assert parse_host_status(extra) == parse_host_status(HS_READY)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"hello", ("Invalid ~HS answer b'hello': expected <STX> at the start of each line. Hint: "
                   "three <STX>…<ETX> lines of 12, 11 and 2 comma-separated fields; is the port "
                   "a Zebra printer's?")),
        (HS_READY.replace(b"1245", b"12x5"), ("Invalid ~HS answer b'\\x02030,0,0,12x5,000,0,0,0,"
         "000,0,0,0\\x03': expected 12 comma-separated numbers. Hint: three <STX>…<ETX> lines of "
         "12, 11 and 2 comma-separated fields; is the port a Zebra printer's?")),
        (HS_READY.replace(b",0,0\x03\r\n\x02000", b"\x03\r\n\x02000", 1), None),  # 10 fields
        (HS_READY.replace(b"030,0,0", b"030,2,0"), None),  # a flag of 2
        (b"\x02" + b"0" * 300, None),  # no <ETX>
        (HS_READY + b"junk", None),
        (HS_READY[:-10], None),  # cut short
    ],
)  # fmt: skip
def test_host_status_junk(data: bytes, message: str | None) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_host_status(data)
    assert message is None or str(caught.value) == message
    assert str(caught.value).startswith("Invalid ~HS answer")


@pytest.mark.parametrize(
    ("status", "condition"),
    [
        (HostStatus(), (DeviceState.READY, "")),
        (HostStatus(paper_out=True), (DeviceState.FAULT, "paper out")),
        (HostStatus(head_up=True, ribbon_out=True, paused=True),
         (DeviceState.FAULT, "head open, ribbon out")),
        (HostStatus(over_temperature=True), (DeviceState.FAULT, "head over temperature")),
        (HostStatus(paused=True, buffer_full=True), (DeviceState.PAUSED, "paused")),
        (HostStatus(buffer_full=True, corrupt_ram=True),
         (DeviceState.WARNING, "receive buffer full, configuration lost")),
        (HostStatus(under_temperature=True), (DeviceState.WARNING, "head under temperature")),
    ],
)  # fmt: skip
def test_host_status_condition(status: HostStatus, condition: tuple[DeviceState, str]) -> None:
    assert status.condition() == condition

"""The camera simulator byte for byte, over a raw loopback socket: what each reader answers to
each command in each mode, grades, no-read rates, faults, a failing scene, refusals."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera.result import CameraKind, Grade
from jejak.line_adapters.sim.camera import CameraSimulator, Shot
from jejak.testing import StartCamera

GENEROUS = 20.0
GS = b"\x1d"
DM = Symbology.GS1_DATAMATRIX
Talk = Callable[[bytes, int], bytes]


def scene(n: int) -> Shot:
    return Shot(b"01089912345678911710" + GS + b"21S%d" % n, DM)


def data(n: int) -> bytes:
    return b"]d201089912345678911710" + GS + b"21S%d" % n


@pytest.fixture
def talk() -> Iterator[Callable[[CameraSimulator], Talk]]:
    """talk(sim)(sent, lines) -> the next `lines` lines the simulator sends after `sent`."""
    opened: list[socket.socket] = []

    def connect(sim: CameraSimulator) -> Talk:
        sock = socket.create_connection(("127.0.0.1", sim.port), timeout=GENEROUS)
        opened.append(sock)
        end = b"\n" if sim.kind is CameraKind.COGNEX else b"\r"

        def exchange(sent: bytes, lines: int) -> bytes:
            sock.sendall(sent)
            received = b""
            while received.count(end) < lines:
                chunk = sock.recv(4096)
                assert chunk, f"connection closed after {received!r}"
                received += chunk
            return received

        return exchange

    try:
        yield connect
    finally:
        for sock in opened:
            sock.close()


def nothing_more(sim: CameraSimulator, answered: int) -> None:
    """The simulator has sent exactly `answered` lines (it answers as it reads: a command it
    counted has had its answer queued already)."""
    assert len(sim.answered) == answered


COGNEX = CameraKind.COGNEX
KEYENCE = CameraKind.KEYENCE


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        (b"||>TRIGGER ON\r\n", b"||[0]\r\n" + data(1) + b"\r\n"),
        (b"||0:17>TRIGGER ON\r\n", b"||0:17[0]\r\n" + data(1) + b"\r\n"),
        (b"||>trigger on\n", b"||[0]\r\n" + data(1) + b"\r\n"),
        (b"||>TRIGGER OFF\r\n", b"||[0]\r\n"),
        (b"||1:2>TRIGGER OFF\r\n", b"||1:2[0]\r\n"),
        (b"||>GET DEVICE.NAME\r\n", b"||[101]\r\n"),
        (b"||5:6>SET COM.DMCC-RESPONSE 0\r\n", b"||5:6[101]\r\n"),
        (b"TRIGGER ON\r\n", b"||[101]\r\n"),
    ],
)
def test_cognex_extended(
    camera_simulator: StartCamera,
    talk: Callable[[CameraSimulator], Talk],
    sent: bytes,
    answer: bytes,
) -> None:
    sim = camera_simulator(COGNEX, scene)
    assert talk(sim)(sent, answer.count(b"\n")) == answer
    assert sim.answered == [line + b"\n" for line in answer.split(b"\n")[:-1]]


def test_cognex_without_responses(
    camera_simulator: StartCamera, talk: Callable[[CameraSimulator], Talk]
) -> None:
    sim = camera_simulator(COGNEX, scene, extended_response=False, no_read_string="NOREAD")
    exchange = talk(sim)
    sent = b"||>TRIGGER OFF\r\n||>GET X\r\njunk\r\n||>TRIGGER ON\r\n"
    assert exchange(sent, 1) == data(1) + b"\r\n"
    sim.set_unavailable(True)
    exchange(b"||>TRIGGER ON\r\n", 0)
    assert sim.wait_until(lambda s: s.triggers == 2, GENEROUS)
    sim.set_unavailable(False)
    assert sim.triggers == 2
    nothing_more(sim, 1)


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        (b"LON\r", b"OK,LON\r" + data(1) + b"\r"),
        (b"LON\r\n", b"OK,LON\r" + data(1) + b"\r"),
        (b"LOFF\r", b"OK,LOFF\r"),
        (b"BLOAD,1\r", b"ER,BLOAD,00\r"),
        (b"lon\r", b"ER,lon,00\r"),
        (b"\x01\x02\r", b"ER,?,00\r"),
    ],
)
def test_keyence_with_command_responses(
    camera_simulator: StartCamera,
    talk: Callable[[CameraSimulator], Talk],
    sent: bytes,
    answer: bytes,
) -> None:
    sim = camera_simulator(KEYENCE, scene)
    assert talk(sim)(sent, answer.count(b"\r")) == answer


def test_keyence_sr600_compatible(
    camera_simulator: StartCamera, talk: Callable[[CameraSimulator], Talk]
) -> None:
    sim = camera_simulator(KEYENCE, lambda n: Shot(None, None), command_response=False)
    assert talk(sim)(b"LOFF\rFOO\rLON\r", 1) == b"ERROR\r"
    assert sim.answered == [b"ERROR\r"]
    assert sim.no_reads == 1


@pytest.mark.parametrize(
    ("kind", "sent", "answers"),
    [
        (COGNEX, b"||3:4>TRIGGER ON\r\n", (b"||3:4[105]\r\n", b"||3:4[0]\r\n" + data(2) + b"\r\n")),
        (KEYENCE, b"LON\r", (b"ER,LON,20\r", b"OK,LON\r" + data(2) + b"\r")),
    ],
)
def test_an_unavailable_reader_refuses_triggers(
    camera_simulator: StartCamera,
    talk: Callable[[CameraSimulator], Talk],
    kind: CameraKind,
    sent: bytes,
    answers: tuple[bytes, bytes],
) -> None:
    refused, accepted = answers
    sim = camera_simulator(kind, scene)
    exchange = talk(sim)
    sim.set_unavailable(True)
    assert exchange(sent, 1) == refused
    sim.set_unavailable(False)
    assert exchange(sent, 2) == accepted  # trigger 2: the pack under the camera then
    assert (sim.triggers, sim.no_reads) == (2, 0)


@pytest.mark.parametrize(("kind", "sent"), [(COGNEX, b"||>TRIGGER ON\r\n"), (KEYENCE, b"LON\r")])
def test_a_silent_reader_counts_triggers_and_says_nothing(
    camera_simulator: StartCamera,
    talk: Callable[[CameraSimulator], Talk],
    kind: CameraKind,
    sent: bytes,
) -> None:
    seen: list[int] = []

    def watched(n: int) -> Shot:
        seen.append(n)
        return scene(n)

    sim = camera_simulator(kind, watched)
    exchange = talk(sim)
    sim.set_silent(True)
    exchange(sent * 3, 0)
    assert sim.wait_until(lambda s: s.triggers == 3, GENEROUS)
    sim.set_silent(False)
    nothing_more(sim, 0)
    assert exchange(sent, 2).endswith(data(4) + (b"\r\n" if kind is COGNEX else b"\r"))
    assert seen == [4]  # the scene of the pack under the camera at trigger 4


@pytest.mark.parametrize("kind", [COGNEX, KEYENCE])
def test_grade_output(
    camera_simulator: StartCamera, talk: Callable[[CameraSimulator], Talk], kind: CameraKind
) -> None:
    shots = [
        Shot(b"A,1", DM, Grade.parse("B")),
        Shot(b"A,2", DM, Grade.parse("1.7")),
        Shot(b"A,3", DM),
        Shot(None, None, Grade.parse("F")),
    ]
    sim = camera_simulator(kind, lambda n: shots[n - 1], grade_output=True, grade_separator=";")
    command = b"||>TRIGGER ON\r\n" if kind is COGNEX else b"LON\r"
    talk(sim)(command * 4, 8)
    reads = sim.answered[1::2]
    end = b"\r\n" if kind is COGNEX else b"\r"
    no_read = kind.default_no_read.encode()
    assert reads == [b"]d2A,1;B" + end, b"]d2A,2;1.7" + end, b"]d2A,3;4.0" + end, no_read + end]


@pytest.mark.parametrize("kind", [COGNEX, KEYENCE])
def test_no_read_rate(
    camera_simulator: StartCamera, talk: Callable[[CameraSimulator], Talk], kind: CameraKind
) -> None:
    command = b"||>TRIGGER ON\r\n" if kind is COGNEX else b"LON\r"
    every = camera_simulator(kind, scene, no_read_rate=1, extended_response=False,
                             command_response=False)  # fmt: skip
    none = camera_simulator(kind, scene, no_read_rate=0.0, extended_response=False,
                            command_response=False)  # fmt: skip
    talk(every)(command * 50, 50)
    talk(none)(command * 50, 50)
    assert (every.no_reads, none.no_reads) == (50, 0)
    end = b"\r\n" if kind is COGNEX else b"\r"
    assert set(every.answered) == {kind.default_no_read.encode() + end}


@pytest.mark.parametrize(
    ("shot", "error"),
    [
        (None, ZeroDivisionError),
        (Shot(b"A\rB", DM), InvalidFormat),
        (Shot(b"NoRead", None), InvalidFormat),
    ],
)
def test_a_failing_scene_reads_nothing_and_is_kept(
    camera_simulator: StartCamera,
    talk: Callable[[CameraSimulator], Talk],
    shot: Shot | None,
    error: type[Exception],
) -> None:
    def broken(n: int) -> Shot:
        if shot is None:
            return Shot(b"%d" % (1 // 0), DM)
        return shot

    sim = camera_simulator(COGNEX, broken)
    assert talk(sim)(b"||>TRIGGER ON\r\n", 2) == b"||[0]\r\nNoRead\r\n"
    [kept] = sim.scene_errors
    assert isinstance(kept, error)


def test_a_new_host_replaces_the_old_one_and_triggers_go_on(
    camera_simulator: StartCamera, talk: Callable[[CameraSimulator], Talk]
) -> None:
    sim = camera_simulator(KEYENCE, scene)
    first = talk(sim)
    assert first(b"LON\r", 2) == b"OK,LON\r" + data(1) + b"\r"
    second = talk(sim)
    assert second(b"LON\r", 2) == b"OK,LON\r" + data(2) + b"\r"
    assert sim.connections == 2
    sim.drop_connection()
    third = talk(sim)
    assert third(b"LON\r", 2) == b"OK,LON\r" + data(3) + b"\r"


def test_a_host_sending_endless_junk_is_hung_up_on(camera_simulator: StartCamera) -> None:
    sim = camera_simulator(COGNEX, scene)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=GENEROUS) as sock:
        sock.sendall(b"x" * 9000)
        deadline = time.monotonic() + GENEROUS
        while sock.recv(4096):
            assert time.monotonic() < deadline
    assert sim.answered == []


@pytest.mark.parametrize(
    ("rate", "shown"), [(-0.1, "-0.1"), (1.5, "1.5"), ("0.1", "'0.1'"), (True, "True"),
                        (float("nan"), "nan")]
)  # fmt: skip
def test_bad_no_read_rates(rate: object, shown: str) -> None:
    with pytest.raises(InvalidQuantity) as error:
        CameraSimulator(COGNEX, scene, no_read_rate=rate)  # type: ignore[arg-type]
    assert str(error.value) == (
        f"Invalid no-read rate {shown}: expected a fraction from 0 to 1. Hint: 0.01 makes one "
        "trigger in a hundred a no-read."
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "zebra"}, ("Invalid camera kind 'zebra': expected 'cognex' or 'keyence'. Hint: "
         "Jejak speaks Cognex DataMan DMCC and Keyence SR; set other readers to emulate one of "
         "them.")),
        ({"no_read_string": "OK,no"}, ("Invalid no-read string 'OK,no': expected 1 to 128 "
         "printable ASCII characters that do not begin like a command response ('||', 'OK,', "
         "'ER,'). Hint: the reader's no-read string, e.g. 'NoRead' (Cognex) or 'ERROR' "
         "(Keyence).")),
        ({"grade_output": True, "grade_separator": "x"}, ("Invalid grade separator 'x': "
         "expected 1 to 8 printable ASCII characters with no letter, digit or '.', which a "
         "grade could contain. Hint: use ',' or ';' as the readers do.")),
    ],
)  # fmt: skip
def test_other_refusals(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"kind": KEYENCE, "scene": scene, **options}
    with pytest.raises(InvalidFormat) as error:
        CameraSimulator(**arguments)  # type: ignore[arg-type]
    assert str(error.value) == message


def test_a_separator_is_not_checked_when_grades_are_off() -> None:
    CameraSimulator(KEYENCE, scene, grade_separator="x")  # not used: grade output is off

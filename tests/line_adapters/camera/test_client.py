"""Camera clients against the camera simulator over real loopback TCP, both kinds: thousands of
triggers answered in order, no-reads, grades (a serial with a comma in it), refused triggers,
disconnects and reconnects, a hung camera, and a scripted camera for what the simulator never
sends (protocol errors, results nobody asked for). Waits are bounded generously; nothing is
timed."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from jejak.engine.errors import DeviceFault, InvalidFormat, InvalidQuantity
from jejak.engine.gs1 import ElementString
from jejak.engine.symbology import Symbology
from jejak.line_adapters.camera import (
    Camera,
    CameraEvent,
    CameraKind,
    CameraResult,
    CameraState,
    CameraStatus,
    CognexCamera,
    DmccStatus,
    Grade,
    KeyenceCamera,
    KeyenceError,
    make_camera,
)
from jejak.line_adapters.sim.camera import CameraSimulator, Shot
from jejak.printers.symbols import SymbolKind
from jejak.testing import StartCamera

GENEROUS = 20.0  # seconds a wait may take before the test fails (a guard, not a timing)
KINDS = [
    pytest.param(CameraKind.COGNEX, id="cognex"),
    pytest.param(CameraKind.KEYENCE, id="keyence"),
]
DM = Symbology.GS1_DATAMATRIX


def code(n: int) -> bytes:
    """A GS1 element string whose serial holds a comma (GS1 CSET 82 allows it)."""
    return ElementString.parse(f"(01)08991234567891(17)281031(10)B,1(21)S,{n}").raw.encode()


def codes_scene(n: int) -> Shot:
    """Code n, except that every seventh pack has no readable code."""
    return Shot(None, None) if n % 7 == 0 else Shot(code(n), DM)


def client(sim: CameraSimulator, **options: object) -> CognexCamera | KeyenceCamera:
    responses = options.pop("responses", True)
    camera = make_camera(sim.kind, "127.0.0.1", sim.port, responses=bool(responses), **options)  # type: ignore[arg-type]
    assert isinstance(camera, CognexCamera | KeyenceCamera)
    return camera


@pytest.fixture
def clients() -> Iterator[list[Camera]]:
    """Cameras to close at teardown, whatever the test did."""
    made: list[Camera] = []
    try:
        yield made
    finally:
        for camera in made:
            camera.close()


def connected(
    made: list[Camera], sim: CameraSimulator, **options: object
) -> CognexCamera | KeyenceCamera:
    camera = client(sim, **options)
    made.append(camera)
    camera.connect()
    return camera


def poll_until(
    camera: Camera, done: Callable[[list[CameraEvent]], bool], timeout: float = GENEROUS
) -> list[CameraEvent]:
    """Poll until `done(events so far)`; the test fails after `timeout` seconds."""
    events: list[CameraEvent] = []
    deadline = time.monotonic() + timeout
    while not done(events):
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout:g} s; events so far: {events[-5:]!r}")
        events += camera.poll(0.05)
    return events


def results_of(events: list[CameraEvent]) -> list[CameraResult]:
    return [event for event in events if isinstance(event, CameraResult)]


def statuses_of(events: list[CameraEvent]) -> list[CameraStatus]:
    return [event for event in events if isinstance(event, CameraStatus)]


def plain(events: list[CameraEvent]) -> list[object]:
    """Events without the times of results: (trigger, data, symbology, grade) for a result."""
    return [
        (e.trigger, e.data, e.symbology, e.grade) if isinstance(e, CameraResult) else e
        for e in events
    ]


def until_results(count: int) -> Callable[[list[CameraEvent]], bool]:
    return lambda events: len(results_of(events)) >= count


# In order, at volume ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("responses", [True, False], ids=["responses", "silent-protocol"])
def test_thousands_of_triggers_are_answered_in_order(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind, responses: bool
) -> None:
    sim = camera_simulator(
        kind, codes_scene, extended_response=responses, command_response=responses
    )
    camera = connected(clients, sim, responses=responses)
    numbers = []
    for burst in (1, 10, 500, 2489):  # one at a time, then bursts decoded in bulk
        numbers += [camera.trigger() for _ in range(burst)]
    events = poll_until(camera, until_results(3000))
    assert numbers == list(range(1, 3001))
    assert statuses_of(events) == [
        CameraStatus(CameraState.READY, f"connected to {camera.address}")
    ]
    results = results_of(events)
    assert [r.trigger for r in results] == numbers
    for result in results:
        n = result.trigger
        expected = (None, None) if n % 7 == 0 else (code(n), DM)
        assert (result.data, result.symbology, result.grade) == (*expected, None)
        assert result.no_read is (n % 7 == 0)
    assert [r.received for r in results] == sorted(r.received for r in results)
    assert sim.triggers == 3000
    assert sim.no_reads == 3000 // 7
    assert camera.pending == ()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("separator", [",", ";", " / "])
def test_grades_follow_the_last_separator_even_with_commas_in_the_serial(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind, separator: str
) -> None:
    grades = [Grade.parse(g) for g in ("A", "2.5", "C", "0.4", "F", "3.9")]

    def scene(n: int) -> Shot:
        return Shot(code(n), DM, grades[n % len(grades)]) if n != 4 else Shot(None, None)

    sim = camera_simulator(kind, scene, grade_output=True, grade_separator=separator)
    camera = connected(clients, sim, grade_output=True, grade_separator=separator)
    for _ in range(12):
        camera.trigger()
    results = results_of(poll_until(camera, until_results(12)))
    assert [(r.data, r.grade) for r in results] == [
        (None, None) if n == 4 else (code(n), grades[n % len(grades)]) for n in range(1, 13)
    ]
    assert code(1).endswith(b"21S,1")  # the serial holds a comma, and came through whole
    assert [str(r.grade) for r in results[:2]] == ["2.5", "C"]  # as the reader wrote them


@pytest.mark.parametrize("kind", KINDS)
def test_an_ungraded_shot_reads_as_a_clean_grade(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(code(n), DM), grade_output=True)
    camera = connected(clients, sim, grade_output=True)
    camera.trigger()
    [result] = results_of(poll_until(camera, until_results(1)))
    assert result.grade == Grade.parse("4.0")


@pytest.mark.parametrize("kind", KINDS)
def test_a_seeded_no_read_rate_gives_the_same_no_reads(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    runs = []
    for _ in range(2):
        sim = camera_simulator(kind, lambda n: Shot(code(n), DM), no_read_rate=0.25, seed=7)
        camera = connected(clients, sim)
        for _ in range(400):
            camera.trigger()
        results = results_of(poll_until(camera, until_results(400)))
        assert all(r.no_read or r.data == code(r.trigger) for r in results)
        runs.append([r.trigger for r in results if r.no_read])
    assert runs[0] == runs[1]
    assert 50 < len(runs[0]) < 150  # a quarter of 400, seeded: the same figure every run


def test_a_real_pixel_scene(camera_simulator: StartCamera, clients: list[Camera]) -> None:
    from jejak.line_adapters.sim.scene import code_scene

    codes = [code(n) for n in range(1, 21)]
    scene = code_scene(codes, SymbolKind.GS1_DATAMATRIX, seed=5, grade=True)
    sim = camera_simulator(CameraKind.KEYENCE, scene, grade_output=True)
    camera = connected(clients, sim, grade_output=True)
    for _ in range(22):
        camera.trigger()
    results = results_of(poll_until(camera, until_results(22)))
    read = [r for r in results if not r.no_read]
    assert all(r.data == codes[r.trigger - 1] and r.symbology is DM for r in read)
    assert all(r.grade is not None for r in read)
    assert len(read) >= 15  # photographs with blur and noise: most read
    assert results[-2].no_read  # past the last code: bare packs
    assert results[-1].no_read
    assert sim.scene_errors == []


# Refused triggers, a hung camera, read windows -----------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "detail"),
    [
        (CameraKind.COGNEX, DmccStatus.READER_UNAVAILABLE,
         "cognex camera {address} answered TRIGGER ON with status 105 (READER_UNAVAILABLE)"),
        (CameraKind.KEYENCE, KeyenceError.NOT_EXECUTABLE,
         "keyence camera {address} answered ER,LON,20 (NOT_EXECUTABLE)"),
    ],
)  # fmt: skip
def test_a_refused_trigger_is_an_error_and_a_no_read(
    camera_simulator: StartCamera,
    clients: list[Camera],
    kind: CameraKind,
    status: DmccStatus | KeyenceError,
    detail: str,
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM))
    camera = connected(clients, sim)
    assert camera.trigger() == 1
    events = poll_until(camera, until_results(1))
    sim.set_unavailable(True)
    assert camera.trigger() == 2
    events += poll_until(camera, until_results(1))
    sim.set_unavailable(False)
    assert camera.trigger() == 3
    events += poll_until(camera, until_results(1))
    assert plain(events[1:]) == [
        (1, b"X1", DM, None),
        CameraStatus(CameraState.ERROR, detail.format(address=camera.address), 2, status),
        (2, None, None, None),
        (3, b"X3", DM, None),
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_without_responses_a_refused_trigger_goes_unanswered(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM), extended_response=False,
                           command_response=False)  # fmt: skip
    camera = connected(clients, sim, responses=False)
    assert camera.poll(0) == [CameraStatus(CameraState.READY, f"connected to {camera.address}")]
    sim.set_unavailable(True)
    camera.trigger()
    assert sim.wait_until(lambda s: s.triggers == 1, GENEROUS)  # it would have answered by now
    assert camera.poll(0.3) == []
    assert camera.pending == (1,)  # the controller rejects pack 1 as late


@pytest.mark.parametrize("kind", KINDS)
def test_a_silent_camera_leaves_triggers_pending_until_a_reconnect(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM))
    camera = connected(clients, sim)
    sim.set_silent(True)
    assert (camera.trigger(), camera.trigger()) == (1, 2)
    assert camera.end(1) is True  # still unanswered: TRIGGER OFF / LOFF goes out
    assert sim.wait_until(lambda s: s.triggers == 2, GENEROUS)
    assert results_of(camera.poll(0.2)) == []
    assert camera.pending == (1, 2)
    sim.set_silent(False)
    camera.connect()  # the way out of a hung exchange: a new connection, nothing pending
    assert not camera.pending
    assert camera.trigger() == 3  # numbers go on: 3 is the third pack the camera saw
    [result] = results_of(poll_until(camera, until_results(1)))
    assert (result.trigger, result.data) == (3, b"X3")


@pytest.mark.parametrize("kind", KINDS)
def test_end_sends_off_only_for_an_unanswered_trigger(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM))
    camera = connected(clients, sim)
    camera.trigger()
    poll_until(camera, until_results(1))
    assert camera.end(1) is False
    assert camera.end(99) is False
    camera.release()  # OFF with no read running: harmless
    camera.trigger()
    events = poll_until(camera, until_results(1))
    assert [(r.trigger, r.data) for r in results_of(events)] == [(2, b"X2")]
    assert statuses_of(events) == []
    off = b"||[0]\r\n" if kind is CameraKind.COGNEX else b"OK,LOFF\r"
    assert off in sim.answered


# Disconnects --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_dropped_connection_is_reported_and_connect_goes_on(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM))
    camera = connected(clients, sim)
    camera.trigger()
    poll_until(camera, until_results(1))
    sim.set_silent(True)
    camera.trigger()
    assert sim.wait_until(lambda s: s.triggers == 2, GENEROUS)
    sim.drop_connection()
    sim.set_silent(False)
    events = poll_until(camera, bool)
    assert events == [
        CameraStatus(
            CameraState.DISCONNECTED, "connection closed by the camera; trigger 2 unanswered"
        )
    ]
    assert not camera.connected
    with pytest.raises(DeviceFault) as error:
        camera.trigger()
    assert str(error.value) == (
        f"Cannot send {'TRIGGER ON' if kind is CameraKind.COGNEX else 'LON'} to {kind.value} "
        f"camera '{camera.address}': not connected. Hint: call connect() first."
    )
    camera.connect()
    assert (camera.trigger(), camera.trigger()) == (3, 4)
    events = poll_until(camera, until_results(2))
    assert events[0] == CameraStatus(CameraState.READY, f"connected to {camera.address}")
    assert [(r.trigger, r.data) for r in results_of(events)] == [(3, b"X3"), (4, b"X4")]
    assert sim.connections == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_camera_that_goes_away(
    camera_simulator: StartCamera, clients: list[Camera], kind: CameraKind
) -> None:
    sim = camera_simulator(kind, lambda n: Shot(b"X%d" % n, DM))
    camera = connected(clients, sim)
    address = camera.address
    sim.stop()
    events = poll_until(camera, lambda events: len(events) >= 2)
    assert events[1] == CameraStatus(CameraState.DISCONNECTED, "connection closed by the camera")
    with pytest.raises(DeviceFault) as error:
        camera.connect()
    message = str(error.value)
    assert message.startswith(f"Cannot connect to {kind.value} camera '{address}': ")
    assert message.endswith(
        "Hint: check that the camera is on and reachable, and the port (its default is "
        f"{kind.default_port})."
    )
    assert camera.poll(0.01) == []  # not connected: nothing comes


# A scripted camera: what the simulator never sends ---------------------------------------------


Script = Callable[..., tuple[CognexCamera | KeyenceCamera, socket.socket]]


@pytest.fixture
def scripted(clients: list[Camera]) -> Iterator[Script]:
    """scripted(kind, **options) -> (a connected client, the camera's end of its connection):
    a listening socket the test accepts on and writes to by hand."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(GENEROUS)
        accepted: list[socket.socket] = []

        def start(kind: CameraKind, **options: object) -> tuple[
                CognexCamera | KeyenceCamera, socket.socket]:  # fmt: skip
            responses = bool(options.pop("responses", True))
            camera = make_camera(kind, "127.0.0.1", server.getsockname()[1],
                                 responses=responses, **options)  # type: ignore[arg-type]  # fmt: skip
            assert isinstance(camera, CognexCamera | KeyenceCamera)
            clients.append(camera)
            camera.connect()
            conn, _ = server.accept()
            conn.settimeout(GENEROUS)
            accepted.append(conn)
            return camera, conn

        try:
            yield start
        finally:
            for conn in accepted:
                conn.close()


def disconnected(events: list[CameraEvent]) -> bool:
    return any(isinstance(e, CameraStatus) and e.state is CameraState.DISCONNECTED for e in events)


@pytest.mark.parametrize(
    ("kind", "responses", "sent", "detail"),
    [
        (CameraKind.COGNEX, False, b"||[0]\r\n", ("protocol error: Invalid command response "
         "'||[0]' from cognex camera '{address}': the client was set to expect none "
         "(extended_response=False). Hint: set extended_response=True to match the reader.")),
        (CameraKind.KEYENCE, False, b"OK,LON\r", ("protocol error: Invalid command response "
         "'OK,LON' from keyence camera '{address}': the client was set to expect none "
         "(command_response=False). Hint: set command_response=True to match the reader.")),
        (CameraKind.COGNEX, True, b"||[0]\r\n||[0]\r\n||[0]\r\n", ("protocol error: Invalid "
         "command response '||[0]' from cognex camera '{address}': no command was waiting for "
         "one. Hint: is another host connected to the reader?")),
        (CameraKind.KEYENCE, True, b"OK,LOFF\r", ("protocol error: Invalid command response "
         "'OK,LOFF' from keyence camera '{address}': expected the response to LON. Hint: is "
         "another host connected to the reader?")),
        (CameraKind.COGNEX, True, b"||[3]\r\n", ("protocol error: Invalid DMCC response "
         "b'||[3]': expected '||[status]' or '||checksum:id[status]' with a status of 0, 1 or "
         "100 to 105. Hint: check the reader's DMCC settings (COM.DMCC-RESPONSE) and firmware.")),
        (CameraKind.KEYENCE, True, b"ER,LON\r", ("protocol error: Invalid Keyence command "
         "response b'ER,LON': expected 'OK,<command>' or 'ER,<command>,<two-digit code>'. "
         "Hint: check the reader's command response settings.")),
        (CameraKind.KEYENCE, True, b"X" * 9000, ("protocol error: Invalid Keyence output "
         f"{b'X' * 40!r}: no line end within 8192 bytes, expected lines ending in b'\\r'. "
         "Hint: check the reader's output delimiter setting.")),
    ],
)  # fmt: skip
def test_a_broken_exchange_drops_the_connection(
    scripted: Script, kind: CameraKind, responses: bool, sent: bytes, detail: str
) -> None:
    camera, conn = scripted(kind, responses=responses)
    camera.trigger()
    camera.trigger()
    conn.sendall(sent)
    events = poll_until(camera, disconnected)
    expected = detail.format(address=camera.address) + "; triggers 1 to 2 unanswered"
    assert events[-1] == CameraStatus(CameraState.DISCONNECTED, expected)
    assert not camera.connected


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_read_string_is_an_error_and_a_no_read(scripted: Script, kind: CameraKind) -> None:
    camera, conn = scripted(kind, responses=False, grade_output=True)
    end = b"\r\n" if kind is CameraKind.COGNEX else b"\r"
    assert (camera.trigger(), camera.trigger()) == (1, 2)
    conn.sendall(b"]d2A,X" + end + b"]d2B,B" + end)
    events = poll_until(camera, until_results(2))
    reason = (
        "Invalid read string b']d2A,X': its grade b'X' is not an ISO/IEC 15415 grade, expected "
        "A, B, C, D, F or 0.0 to 4.0 after the last separator. Hint: check the reader's grade "
        "output format and separator."
    )
    assert plain(events[1:]) == [
        CameraStatus(CameraState.ERROR, reason, 1),
        (1, None, None, None),
        (2, b"B", DM, Grade.parse("B")),
    ]
    assert camera.connected


@pytest.mark.parametrize("kind", KINDS)
def test_results_nobody_asked_for_count_as_triggers(scripted: Script, kind: CameraKind) -> None:
    camera, conn = scripted(kind, responses=False)
    end = b"\r\n" if kind is CameraKind.COGNEX else b"\r"
    conn.sendall(b"]d2A" + end + kind.default_no_read.encode() + end)
    results = results_of(poll_until(camera, until_results(2)))
    assert [(r.trigger, r.data) for r in results] == [(1, b"A"), (2, None)]
    assert camera.trigger() == 3  # the reader's own triggers were counted
    assert conn.recv(64) == (b"||>TRIGGER ON\r\n" if kind is CameraKind.COGNEX else b"LON\r")


def test_a_cognex_reader_initiated_read_string(scripted: Script) -> None:
    camera, conn = scripted(CameraKind.COGNEX)
    camera.trigger()
    conn.sendall(b"||[0]\r\n||[1]]d2A\r\n")
    [result] = results_of(poll_until(camera, until_results(1)))
    assert (result.trigger, result.data, result.symbology) == (1, b"A", DM)


def test_a_refused_trigger_off_is_an_error_without_a_trigger(scripted: Script) -> None:
    camera, conn = scripted(CameraKind.COGNEX)
    camera.trigger()
    camera.release()
    conn.sendall(b"||[0]\r\n]d2A\r\n||[104]\r\n")
    events = poll_until(camera, lambda events: len(events) >= 3)
    assert events[2] == CameraStatus(
        CameraState.ERROR,
        f"cognex camera {camera.address} answered TRIGGER OFF with status 104 (PARAMETER_REJECTED)",
        None,
        DmccStatus.PARAMETER_REJECTED,
    )


def test_an_unlisted_keyence_error_code(scripted: Script) -> None:
    camera, conn = scripted(CameraKind.KEYENCE)
    camera.trigger()
    conn.sendall(b"ER,LON,13\r")
    events = poll_until(camera, until_results(1))
    detail = f"keyence camera {camera.address} answered ER,LON,13 (a code the client does not list)"
    assert plain(events[1:]) == [
        CameraStatus(CameraState.ERROR, detail, 1, None),
        (1, None, None, None),
    ]


# Construction ---------------------------------------------------------------------------------


def test_make_camera_defaults() -> None:
    cognex = make_camera(CameraKind.COGNEX, "10.0.0.31")
    keyence = make_camera(CameraKind.KEYENCE, "10.0.0.32")
    assert isinstance(cognex, CognexCamera)
    assert isinstance(keyence, KeyenceCamera)
    assert (cognex.port, keyence.port) == (23, 9004)
    assert cognex.result_format.no_read == b"NoRead"
    assert keyence.result_format.no_read == b"ERROR"
    assert isinstance(cognex, Camera)
    assert (cognex.kind, cognex.host, cognex.connected, cognex.triggers) == (
        CameraKind.COGNEX, "10.0.0.31", False, 0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"host": ""}, InvalidFormat, ("Invalid cognex camera host '': expected a host name or "
         "address. Hint: e.g. '10.0.0.31'.")),
        ({"port": 0}, InvalidQuantity, ("Invalid cognex camera port 0: expected 1 to 65535. "
         "Hint: cognex readers listen on 23 unless set otherwise.")),
        ({"port": 70000}, InvalidQuantity, ("Invalid cognex camera port 70000: expected 1 to "
         "65535. Hint: cognex readers listen on 23 unless set otherwise.")),
        ({"port": "23"}, InvalidQuantity, ("Invalid cognex camera port '23': expected 1 to "
         "65535. Hint: cognex readers listen on 23 unless set otherwise.")),
        ({"timeout": 0}, InvalidQuantity, ("Invalid camera timeout 0: expected seconds > 0. "
         "Hint: a reader on the line network accepts a connection within milliseconds; 5 s is "
         "ample.")),
        ({"no_read_string": "||"}, InvalidFormat, ("Invalid no-read string '||': expected 1 to "
         "128 printable ASCII characters that do not begin like a command response ('||', 'OK,',"
         " 'ER,'). Hint: the reader's no-read string, e.g. 'NoRead' (Cognex) or 'ERROR' "
         "(Keyence).")),
        ({"kind": "sick"}, InvalidFormat, ("Invalid camera kind 'sick': expected 'cognex' or "
         "'keyence'. Hint: Jejak speaks Cognex DataMan DMCC and Keyence SR; set other readers to"
         " emulate one of them.")),
    ],
)  # fmt: skip
def test_refusals(options: dict[str, object], error: type[Exception], message: str) -> None:
    arguments: dict[str, object] = {"kind": CameraKind.COGNEX, "host": "10.0.0.31", **options}
    with pytest.raises(error) as raised:
        make_camera(**arguments)  # type: ignore[arg-type]
    assert str(raised.value) == message


def test_a_camera_that_reads_no_commands_is_dropped(scripted: Script) -> None:
    camera, conn = scripted(CameraKind.COGNEX, responses=False)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

    def flood() -> None:
        for _ in range(2_000_000):  # the socket buffers fill long before (a guard)
            camera.trigger()

    with pytest.raises(DeviceFault) as error:
        flood()
    unsent = re.search(r"\(([0-9,]+) bytes unsent\)", str(error.value))
    assert unsent is not None
    reason = f"the camera reads no commands ({unsent[1]} bytes unsent)"
    assert str(error.value) == (
        f"Lost cognex camera '{camera.address}' sending TRIGGER ON: {reason}. Hint: connect() "
        "again; unanswered triggers are not verified."
    )
    [_, lost] = camera.poll(0)
    detail = f"{reason}; triggers 1 to {camera.triggers} unanswered"
    assert lost == CameraStatus(CameraState.DISCONNECTED, detail)
    assert not camera.connected

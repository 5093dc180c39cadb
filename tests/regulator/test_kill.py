"""A `jejak report submit` process SIGKILLed in the middle of a submission (the server holding
a request: accepted but not answered, or not accepted yet), then run again: the server accepted
every record exactly once, and the store marks them all sent. Real processes, real HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.regulator.conftest import PARTNER, TOKEN, queue_records

from jejak.engine.store import Store
from jejak.engine.store.view import AttemptOutcome
from jejak.regulator.server import Fault, FaultPlan, RegulatorServer, running

JEJAK = str(Path(sys.executable).with_name("jejak"))
RECORDS = 20
BEFORE = 6  # records delivered before the one the server holds


def submit(store: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JEJAK_REGULATOR_TOKEN": TOKEN, "JEJAK_PARTNER_ID": PARTNER}
    return subprocess.Popen([JEJAK, "report", "submit", "--store", str(store), "--url", url,
                             "--timeout", "120", "--json"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def wait_for(server: RegulatorServer, what: str, count: int, client: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while server.stats()[what] < count:
        assert client.poll() is None, client.communicate()
        assert time.monotonic() < deadline, server.stats()
        time.sleep(0.01)


@pytest.mark.parametrize(("fault", "seen"), [(Fault.HOLD, "accepted"), (Fault.HANG, "posts")])
def test_a_killed_submission_resumes_without_losing_or_duplicating(
    tmp_path: Path, fault: Fault, seen: str
) -> None:
    path = tmp_path / "store"
    with Store(path, map_size=1 << 30) as store:
        records = queue_records(store, RECORDS)
    script = (Fault.NONE,) * BEFORE + (fault,)
    with running(token=TOKEN, partner_id=PARTNER,
                 plan=FaultPlan(script=script, stall=600)) as server:  # fmt: skip
        client = submit(path, server.url)
        try:
            wait_for(server, seen, BEFORE + 1, client)  # the held request is in the server
            client.send_signal(signal.SIGKILL)
        finally:
            if client.poll() is None:
                client.kill()
            client.communicate(timeout=30)  # reaped, its pipes closed
        assert client.returncode == -signal.SIGKILL  # killed mid-submission, not ended
        held = records[BEFORE]
        with Store(path, map_size=1 << 30) as store, store.view() as view:
            assert view.queued_count() == RECORDS - BEFORE  # the held one is not marked sent
            (interrupted,) = view.attempts(held.seq)
            assert interrupted.outcome is AttemptOutcome.STARTED  # on record, never answered
        server.set_faults(FaultPlan())
        again = submit(path, server.url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        report = json.loads(out)
        assert (report["sent"], report["pending"]) == (RECORDS - BEFORE, 0)
        assert report["duplicates"] == (1 if fault is Fault.HOLD else 0)
        accepted = {a.key: a.receipt for a in server.accepted()}
        posts = server.stats()["posts_by_key"]
    assert sorted(accepted) == sorted(r.key for r in records)  # each accepted, once
    assert posts[held.key] == 2  # sent again after the kill, deduplicated by its key
    with Store(path, map_size=1 << 30) as store, store.view() as view:
        assert view.queued_count() == 0
        attempts = view.attempts(held.seq)
        assert [a.outcome for a in attempts] == [AttemptOutcome.STARTED, AttemptOutcome.DUPLICATE
                                                 if fault is Fault.HOLD else
                                                 AttemptOutcome.ACCEPTED]  # fmt: skip
        assert attempts[-1].receipt == accepted[held.key]
        assert view.verify_audit().ok

"""`jejak report submit`, `jejak report pending` and `jejak regulator serve`: their output (text
and JSON), their exit codes, and every refusal as one line (bad input 2, refused or failed 1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.cli.conftest import Run
from tests.regulator.conftest import PARTNER, TOKEN, dead_url, queue_records

from jejak.engine.store import Store
from jejak.regulator.server import running

JEJAK = str(Path(sys.executable).with_name("jejak"))


@pytest.fixture
def queued_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with 3 records queued (the first one overdue), and the credentials in the
    environment."""
    path = tmp_path / "store"
    with Store(path, map_size=1 << 30) as store:
        queue_records(store, 1, due="2026-01-01T00:00:00+00:00")
        queue_records(store, 2, due="2999-01-01T00:00:00+00:00")
    monkeypatch.setenv("JEJAK_REGULATOR_TOKEN", TOKEN)
    monkeypatch.setenv("JEJAK_PARTNER_ID", PARTNER)
    monkeypatch.delenv("JEJAK_REGULATOR_URL", raising=False)
    return path


def test_pending_lists_what_is_due_and_overdue(run: Run, queued_store: Path) -> None:
    listed = run("report", "pending", "--store", str(queued_store), "--json")
    assert listed.code == 0, listed.err
    rows = listed.json()
    assert isinstance(rows, list)
    assert [(r["seq"], r["topic"], r["overdue"], r["attempts"], r["last_outcome"])
            for r in rows] == [(1, "usage", True, 0, None), (2, "usage", False, 0, None),
                               (3, "usage", False, 0, None)]  # fmt: skip
    assert set(rows[0]) == {"seq", "topic", "key", "activity", "event", "due", "overdue",
                            "attempts", "last_outcome", "last_status", "last_detail",
                            "last_attempt_at"}  # fmt: skip
    text = run("report", "pending", "--store", str(queued_store), "--limit", "1")
    assert text.out.splitlines()[-1] == "3 records queued, 1 overdue (first 1 listed)"
    assert "OVERDUE 2026-01-01T00:00:00+00:00  never tried" in text.out


def test_submit_delivers_everything_and_then_nothing_is_pending(
    run: Run, queued_store: Path
) -> None:
    with running(token=TOKEN, partner_id=PARTNER) as server:
        sent = run("report", "submit", "--store", str(queued_store), "--url", server.url,
                   "--json")  # fmt: skip
        assert sent.code == 0, sent.err
        assert sent.json() == {"sent": 3, "accepted": 3, "duplicates": 0, "refused": [],
                               "attempts": 3, "pending": 0, "stopped": None,
                               "interrupted": False}  # fmt: skip
        again = run("report", "submit", "--store", str(queued_store), "--url", server.url)
        assert again.out == ("Sent 0 records (0 accepted, 0 already received) in 0 attempts; "
                             "0 still queued\n")  # fmt: skip
        assert len(server.accepted()) == 3
    assert run("report", "pending", "--store", str(queued_store), "--json").json() == []
    assert TOKEN not in sent.out + sent.err + again.out + again.err


def test_an_unreachable_api_leaves_everything_queued(run: Run, queued_store: Path) -> None:
    url = dead_url()
    failed = run("report", "submit", "--store", str(queued_store), "--url", url, "--attempts",
                 "1", "--json")  # fmt: skip
    assert failed.code == 1
    assert failed.json()["stopped"] == "connection"
    assert failed.err == (
        f"jejak: error: Delivery to {url} failed: connection until the retries ran out; "
        "expected the API to confirm each record. Hint: nothing is lost: 3 records stay queued "
        "(`jejak report pending` lists them); run `jejak report submit` again when the API is "
        "back.\n")  # fmt: skip
    rows = run("report", "pending", "--store", str(queued_store), "--json").json()
    assert (rows[0]["attempts"], rows[0]["last_outcome"]) == (1, "connection")


def test_a_refused_token_fails_in_one_line(
    run: Run, queued_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JEJAK_REGULATOR_TOKEN", "not-the-token")
    with running(token=TOKEN, partner_id=PARTNER) as server:
        failed = run("report", "submit", "--store", str(queued_store), "--url", server.url)
    assert failed.code == 1
    assert failed.err.startswith(f"jejak: error: The regulator's API at {server.url} refused "
                                 "the token or the partner ID; expected the site's credentials. "
                                 "Hint: check $JEJAK_REGULATOR_TOKEN")  # fmt: skip
    assert "not-the-token" not in failed.err + failed.out


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, ("jejak: error: No regulator url is configured: expected --url, "
         "$JEJAK_REGULATOR_URL or url in the [regulator] table of --config.")),
        (["--url", "http://ttac.example/"], {}, ("jejak: error: Invalid regulator URL "
         "'http://ttac.example/': expected https")),
        (["--url", "https://ttac.example/"], {"JEJAK_PARTNER_ID": "no spaces allowed"},
         "jejak: error: Invalid partner ID 'no spaces allowed'"),
        (["--url", "https://ttac.example/", "--attempts", "0"], {},
         "jejak: error: Invalid number of attempts 0: expected 1 to 100."),
        (["--url", "https://ttac.example/", "--limit", "0"], {},
         "jejak: error: Invalid --limit 0: expected 1 or more."),
        (["--url", "https://ttac.example/", "--timeout", "0"], {},
         "jejak: error: Invalid regulator timeout 0.0: expected seconds"),
        (["--config", "missing.toml"], {}, ("jejak: error: Cannot use 'missing.toml': it does "
         "not exist")),
    ],
)  # fmt: skip
def test_bad_settings_are_bad_input(
    run: Run, queued_store: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
    env: dict[str, str], *, message: str,
) -> None:  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    failed = run("report", "submit", "--store", str(queued_store), *args)
    assert (failed.code, failed.out) == (2, "")
    assert failed.err.startswith(message), failed.err
    assert failed.err.count("\n") == 1


# jejak regulator serve, a real process ---------------------------------------------------------


def test_the_server_command_serves_until_sigterm(tmp_path: Path, queued_store: Path) -> None:
    env = {**os.environ, "JEJAK_REGULATOR_TOKEN": TOKEN, "JEJAK_PARTNER_ID": PARTNER}
    record = tmp_path / "accepted.jsonl"
    server = subprocess.Popen([JEJAK, "regulator", "serve", "--port", "0", "--json",
                               "--record", str(record), "--script", "fail"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        assert ready["partner_id"] == PARTNER
        sent = subprocess.run([JEJAK, "report", "submit", "--store", str(queued_store),
                               "--url", ready["url"], "--json"], env=env, capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert json.loads(sent.stdout)["attempts"] == 4  # the scripted 503, then retried
        listed = httpx.get(ready["url"] + "accepted", timeout=5,
                           headers={"Authorization": f"Bearer {TOKEN}"}).json()  # fmt: skip
        assert listed["count"] == 3
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert (server.returncode, err) == (0, "")
    assert out == "regulator test server stopped: accepted 3\n"
    assert len(record.read_text().splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {"JEJAK_PARTNER_ID": PARTNER}, ("jejak: error: No token for the test server: "
         "expected $JEJAK_REGULATOR_TOKEN or --token-file.")),
        ([], {"JEJAK_REGULATOR_TOKEN": TOKEN}, "jejak: error: Invalid partner ID None"),
        (["--host", "192.0.2.10"], {"JEJAK_REGULATOR_TOKEN": TOKEN, "JEJAK_PARTNER_ID": PARTNER},
         "jejak: error: Invalid regulator URL 'http://192.0.2.10:1/': expected https"),
        (["--fail-rate", "2"], {"JEJAK_REGULATOR_TOKEN": TOKEN, "JEJAK_PARTNER_ID": PARTNER},
         "jejak: error: Invalid fault plan"),
        (["--script", "explode"], {"JEJAK_REGULATOR_TOKEN": TOKEN,
                                   "JEJAK_PARTNER_ID": PARTNER},
         "jejak: error: Invalid fault plan"),
    ],
)  # fmt: skip
def test_the_server_command_refuses_bad_settings(
    run: Run, monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str],
    message: str,
) -> None:  # fmt: skip
    for name in ("JEJAK_REGULATOR_TOKEN", "JEJAK_PARTNER_ID"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    failed = run("regulator", "serve", "--port", "0", *args)
    assert failed.code == 2
    assert failed.err.startswith(message), failed.err

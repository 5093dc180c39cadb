"""The contract both ends share: how an answer is judged (on its status and fields, never its
text), what a request carries, and the client's backoff and settings."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tests.regulator.conftest import usage_body

from jejak.engine.errors import InvalidFormat, InvalidQuantity
from jejak.engine.store import OutboxRecord
from jejak.engine.store.view import AttemptOutcome
from jejak.regulator import wire
from jejak.regulator.client import RetryPolicy
from jejak.regulator.config import RegulatorConfig
from jejak.regulator.wire import Judgement

AO = AttemptOutcome
KEY = "ni:///sha-256;abc?ver=CBV2.0"


def answer(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (201, answer(status="accepted", key=KEY, receipt="R-1"), Judgement(AO.ACCEPTED, "R-1")),
        (200, answer(status="duplicate", key=KEY, receipt="R-1"), Judgement(AO.DUPLICATE, "R-1")),
        (200, answer(status="duplicate", key="other", receipt="R-1"),
         Judgement(AO.BAD_ANSWER, detail="the answer names another key")),
        (201, answer(status="accepted", key=KEY), Judgement(AO.BAD_ANSWER, detail="no receipt")),
        (200, answer(status="queued", key=KEY, receipt="R-1"),
         Judgement(AO.BAD_ANSWER, detail="http 200 without a known status")),
        (200, b"<html>ok</html>", Judgement(AO.BAD_ANSWER, detail="not a JSON object")),
        (200, b"[1]", Judgement(AO.BAD_ANSWER, detail="not a JSON object")),
        (422, answer(error="invalid_payload", detail="row 0: ..."),
         Judgement(AO.REFUSED, detail="invalid_payload")),
        (409, answer(error="key_conflict"), Judgement(AO.REFUSED, detail="key_conflict")),
        (404, b"", Judgement(AO.REFUSED, detail="http 404")),
        (401, answer(error="unauthorized"), Judgement(AO.UNAUTHORIZED, detail="unauthorized")),
        (403, b"", Judgement(AO.UNAUTHORIZED, detail="http 403")),
        (429, b"", Judgement(AO.SERVER_ERROR, detail="http 429")),
        (503, answer(error="unavailable"), Judgement(AO.SERVER_ERROR, detail="unavailable")),
        (500, b"accepted", Judgement(AO.SERVER_ERROR, detail="http 500")),  # text means nothing
        (302, b"", Judgement(AO.BAD_ANSWER, detail="http 302")),
    ],
)  # fmt: skip
def test_answers_are_judged_on_status_and_fields(
    status: int, body: bytes, expected: Judgement
) -> None:
    assert wire.judge(status, body, KEY) == expected


def test_only_a_confirmation_marks_sent_and_only_transient_failures_retry() -> None:
    assert {o for o in AO if o.confirmed} == {AO.ACCEPTED, AO.DUPLICATE}
    assert {o for o in AO if o.transient} == {AO.SERVER_ERROR, AO.TIMEOUT, AO.CONNECTION,
                                              AO.BAD_ANSWER}  # fmt: skip


def test_the_envelope_carries_key_topic_partner_and_due_and_fills_the_rows() -> None:
    record = OutboxRecord(3, "usage", KEY, "2026-12-04T06:00:00+00:00", 9, usage_body(9))
    sent = wire.envelope(record, "IF-0042")
    assert {k: sent[k] for k in ("key", "topic", "partner_id", "due")} == {
        "key": KEY, "topic": "usage", "partner_id": "IF-0042",
        "due": "2026-12-04T06:00:00+00:00"}  # fmt: skip
    assert [row["partner_id"] for row in sent["rows"]] == ["IF-0042"]
    assert record.body["rows"][0]["partner_id"] is None  # the record itself is unchanged
    assert wire.encode(sent) == wire.encode(wire.envelope(record, "IF-0042"))  # same bytes
    assert wire.path_of("aggregation") == "aggregation"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 12 ", 12.0),
        (None, None),
        ("soon", None),
        ("1.5", None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
    ],
)
def test_retry_after_is_whole_seconds(value: str | None, expected: float | None) -> None:
    assert wire.retry_after(value) == expected


def test_backoff_is_exponential_with_full_jitter_and_a_cap() -> None:
    policy = RetryPolicy(attempts=10, base=0.5, cap=8.0)
    rng = random.Random(1)  # noqa: S311 - jitter in a test
    for failures in range(1, 12):
        ceiling = min(8.0, 0.5 * 2 ** (failures - 1))
        waits = [policy.delay(failures, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # spread over the whole range, not a fixed step
    assert policy.delay(1, rng, hint=3.0) >= 3.0  # Retry-After honoured ...
    assert policy.delay(1, rng, hint=60.0) == 8.0  # ... up to the cap


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"attempts": 0}, ("Invalid number of attempts 0: expected 1 to 100. Hint: 5 rides out "
         "a short outage; the next run tries again.")),
        ({"attempts": True}, "Invalid number of attempts True: expected 1 to 100."),
        ({"base": -1}, "Invalid backoff base -1: expected 0 to 3600 seconds."),
        ({"cap": "x"}, "Invalid backoff cap 'x': expected 0 to 3600 seconds."),
    ],
)  # fmt: skip
def test_a_bad_retry_policy_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidQuantity) as caught:
        RetryPolicy.parse(**options)
    assert str(caught.value).startswith(message)


# The configuration ---------------------------------------------------------------------------


def test_the_token_is_never_shown() -> None:
    config = RegulatorConfig.parse(url="https://ttac.example/api/v3", token="s3cret-token",
                                   partner_id="IF-0042")  # fmt: skip
    assert "s3cret" not in repr(config)
    assert "s3cret" not in str(config)
    assert config.url == "https://ttac.example/api/v3/"
    assert config.endpoint("usage") == "https://ttac.example/api/v3/usage"
    with pytest.raises(InvalidFormat) as caught:
        RegulatorConfig.parse(url="https://x.example", token="has space", partner_id="IF-1")
    assert "has space" not in str(caught.value)
    assert str(caught.value).startswith("Invalid regulator token (not shown): expected 1 to "
                                        "4096 printable ASCII characters")  # fmt: skip


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://ttac.example/api/", ("Invalid regulator URL 'http://ttac.example/api/': "
         "expected https (a token never travels in clear beyond this machine).")),
        ("ftp://127.0.0.1/", ("Invalid regulator URL 'ftp://127.0.0.1/': expected the API's "
         "base URL, e.g. https://ttac.pom.go.id/api/v3/.")),
        ("https://user:pw@ttac.example/", "Invalid regulator URL"),
        ("https://ttac.example/?a=1", "Invalid regulator URL"),
        ("", "Invalid regulator URL"),
    ],
)  # fmt: skip
def test_a_bad_url_is_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        RegulatorConfig.parse(url=url, token="t", partner_id="IF-1")
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9/"])
def test_plain_http_is_for_loopback(url: str) -> None:
    assert RegulatorConfig.parse(url=url, token="t", partner_id="IF-1").url.startswith("http://")


def test_sources_in_order_the_flag_the_environment_then_the_site_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("file-token\n")
    site = tmp_path / "site.toml"
    site.write_text('[regulator]\nurl = "https://file.example/"\npartner_id = "IF-FILE"\n'
                    'token_file = "token"\ntimeout = 3\n')  # fmt: skip
    from_file = RegulatorConfig.load(config_file=site, env={})
    assert (from_file.url, from_file.token, from_file.partner_id, from_file.timeout) == (
        "https://file.example/", "file-token", "IF-FILE", 3.0)  # fmt: skip
    env = {"JEJAK_REGULATOR_URL": "https://env.example/", "JEJAK_REGULATOR_TOKEN": "env-token",
           "JEJAK_PARTNER_ID": "IF-ENV"}  # fmt: skip
    from_env = RegulatorConfig.load(config_file=site, env=env)
    assert (from_env.url, from_env.token, from_env.partner_id) == (
        "https://env.example/", "env-token", "IF-ENV")  # fmt: skip
    assert RegulatorConfig.load(url="https://flag.example/", env=env).url == (
        "https://flag.example/")  # fmt: skip


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, ("No regulator url is configured: expected --url, $JEJAK_REGULATOR_URL or url in "
         "the [regulator] table of --config. Hint: pass --url or set $JEJAK_REGULATOR_URL, or "
         "name a site configuration with --config.")),
        ({"JEJAK_REGULATOR_URL": "https://x.example/"}, ("No regulator token is configured: "
         "expected $JEJAK_REGULATOR_TOKEN or token_file in the [regulator] table of --config.")),
        ({"JEJAK_REGULATOR_URL": "https://x.example/", "JEJAK_REGULATOR_TOKEN": "t"},
         "No regulator partner id is configured: expected $JEJAK_PARTNER_ID or partner_id"),
    ],
)  # fmt: skip
def test_a_missing_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidFormat) as caught:
        RegulatorConfig.load(env=env)
    assert str(caught.value).startswith(message)


def test_a_broken_site_file_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text("[regulator\n")
    with pytest.raises(InvalidFormat, match=r"^Invalid site configuration '.*site\.toml': "):
        RegulatorConfig.load(config_file=site, env={})
    site.write_text('regulator = "x"\n')
    with pytest.raises(InvalidFormat, match=r"\[regulator\] is not a table"):
        RegulatorConfig.load(config_file=site, env={})

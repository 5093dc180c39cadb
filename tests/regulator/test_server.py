"""The test server as a client of the API meets it: it checks the token, the partner, the key
and each topic's payload, deduplicates by key (409 for a key reused with another payload),
lists what it accepted, counts requests and faults, and takes new faults over HTTP."""

from __future__ import annotations

import copy
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tests.regulator.conftest import PARTNER, TOKEN, usage_body

from jejak.regulator.server import MAX_BODY, Fault, RegulatorServer

KEY = "ni:///sha-256;00ff?ver=CBV2.0"
ENVELOPE = {"key": KEY, "partner_id": PARTNER, "due": "2026-12-04T06:00:00+00:00"}
LINK = {"parent": "(00)089912340000000017", "parent_level": "secondary",
        "child": "(01)08991234567891(10)B1(17)281031(21)A1", "child_level": "primary"}  # fmt: skip
SHIPPED = {"partner_id": PARTNER, "destination_id": "PBF-1", "packaging": "Dus",
           "primary_code": None, "secondary_code": LINK["parent"], "tertiary_code": None,
           "nie": "DKL1234567890A1", "expiry": "2028-10-31", "batch": "B1",
           "gtin": "08991234567891"}  # fmt: skip


def payload(topic: str) -> dict[str, Any]:
    """A valid payload of `topic`, as `wire.envelope` writes them."""
    body: dict[str, Any] = {**usage_body(1), **ENVELOPE, "topic": topic}
    body["rows"][0]["partner_id"] = PARTNER
    if topic == "aggregation":
        del body["rows"]
        body["links"] = {"add": [LINK], "remove": []}
    elif topic == "shipment":
        body.update(rows=[SHIPPED], destination_id="PBF-1")
    elif topic == "return":
        row = {k: v for k, v in SHIPPED.items() if k != "destination_id"}
        body.update(rows=[row], reason="damaged", **{"from": "PBF-1"})
    elif topic == "recall":
        del body["rows"]
        body["recall"] = {"batch": "B1", "nie": "DKL1234567890A1", "gtin": None,
                          "expiry": "2028-10-31", "reason": "contamination", "letter": None,
                          "level": "primary", "count": 1000}  # fmt: skip
    return body


@pytest.fixture
def http(regulator: RegulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Partner-ID": PARTNER}
    with httpx.Client(base_url=regulator.url, headers=headers, timeout=5) as client:
        yield client


def post(http: httpx.Client, topic: str, body: Any, **headers: str) -> httpx.Response:
    key = body.get("key", "") if isinstance(body, dict) else ""
    return http.post(topic, content=json.dumps(body).encode(),
                     headers={"Idempotency-Key": key, **headers})  # fmt: skip


@pytest.mark.parametrize("topic", ["usage", "aggregation", "shipment", "return", "recall"])
def test_each_topic_s_payload_is_accepted_once_then_answered_as_a_duplicate(
    http: httpx.Client, regulator: RegulatorServer, topic: str
) -> None:
    first = post(http, topic, payload(topic))
    again = post(http, topic, payload(topic))
    assert (first.status_code, first.json()) == (201, {"status": "accepted", "key": KEY,
                                                       "receipt": "R-00000001"})  # fmt: skip
    assert (again.status_code, again.json()) == (200, {"status": "duplicate", "key": KEY,
                                                       "receipt": "R-00000001"})  # fmt: skip
    listed = http.get("/accepted").json()
    assert listed["count"] == 1
    assert listed["accepted"][0]["payload"] == payload(topic)
    assert http.get("/stats").json() == {"accepted": 1, "posts": 2, "posts_by_key": {KEY: 2},
                                         "faults": {"none": 2}}  # fmt: skip


def test_a_key_reused_with_another_payload_is_a_conflict(http: httpx.Client) -> None:
    assert post(http, "usage", payload("usage")).status_code == 201
    other = payload("usage")
    other["rows"][0]["reject"], other["rows"][0]["active"] = True, False
    answer = post(http, "usage", other)
    assert (answer.status_code, answer.json()["error"]) == (409, "key_conflict")


def test_the_token_partner_and_key_are_checked(http: httpx.Client) -> None:
    body = payload("usage")
    wrong_token = post(http, "usage", body, Authorization="Bearer nope")
    assert (wrong_token.status_code, wrong_token.json()["error"]) == (401, "unauthorized")
    assert http.get("/accepted", headers={"Authorization": ""}).status_code == 401
    wrong_partner = post(http, "usage", body, **{"X-Partner-ID": "IF-9"})
    assert (wrong_partner.status_code, wrong_partner.json()["error"]) == (403, "wrong_partner")
    other_key = post(http, "usage", body, **{"Idempotency-Key": "another"})
    assert (other_key.status_code, other_key.json()["error"]) == (400, "key_mismatch")
    junk = http.post("usage", content=b"{not json", headers={"Idempotency-Key": KEY})
    assert (junk.status_code, junk.json()["error"]) == (400, "invalid_json")
    nowhere = post(http, "sales", body)
    assert (nowhere.status_code, nowhere.json()["error"]) == (404, "unknown_topic")


def test_a_body_too_large_is_refused_before_it_is_read(regulator: RegulatorServer) -> None:
    with socket.create_connection(("127.0.0.1", regulator.port), timeout=5) as raw:
        raw.sendall(f"POST /usage HTTP/1.1\r\nHost: x\r\nContent-Length: {MAX_BODY + 1}\r\n"
                    "\r\n".encode())  # fmt: skip
        head = raw.recv(4096)
    assert head.startswith(b"HTTP/1.1 413 ")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("topic", "change", "problem"),
    [
        ("usage", _set("due", "tomorrow"), "'due' is not an ISO 8601 time with its offset"),
        ("usage", _set("time", "2026-12-03T06:00:00"), "'time' is not an ISO 8601 time"),
        ("usage", _set("event", "9"), "'event' is missing or not a int"),
        ("usage", _set("part", 3), "part is not within 1..parts"),
        ("usage", _set("topic", "recall"), "topic 'recall' posted to 'usage'"),
        ("usage", _set("partner_id", "IF-9"), "partner_id is not the caller's"),
        ("usage", _set("epcis_event_id", ""), "epcis_event_id is not the ID of the first"),
        ("usage", _set("epcis_events", 0), "epcis_event_id is not the ID of the first"),
        ("usage", _set("rows.0.active", False), ("row 0: not exactly one of active, "
         "retained_sample and reject is true")),
        ("usage", _set("rows.0.reject", True), "row 0: not exactly one of active"),
        ("usage", _set("rows.0.expiry", "31-10-2028"), "row 0: expiry is not yyyy-mm-dd"),
        ("usage", _set("rows.0.partner_id", None), "row 0: partner_id is not the caller's"),
        ("usage", _set("rows.0.extra", 1), "row 0: not an object with exactly the report's"),
        ("usage", _set("rows.0.nie", ""), "row 0: nie is missing"),
        ("aggregation", _set("links.add", []), "no links added or removed"),
        ("aggregation", _set("links.add.0.parent_level", "box"), "add 0: an unknown level"),
        ("aggregation", _set("links.add.0.child", None), "add 0: a code is missing"),
        ("shipment", _set("destination_id", KeyError), "a shipment needs its destination_id"),
        ("shipment", _set("rows.0.primary_code", "(90)X(21)Y"), ("row 0: not exactly one code "
         "column holds the code")),
        ("return", _set("reason", ""), "a return needs its reason"),
        ("recall", _set("recall.count", 0), "recall count is not a positive number"),
        ("recall", _set("recall.reason", KeyError), "recall 'reason' is missing"),
    ],
)  # fmt: skip
def test_a_payload_out_of_shape_is_refused_with_what_is_wrong(
    http: httpx.Client, regulator: RegulatorServer, topic: str,
    change: Callable[[dict[str, Any]], None], problem: str,
) -> None:  # fmt: skip
    body = copy.deepcopy(payload(topic))
    change(body)
    answer = post(http, topic, body)
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_payload")
    assert answer.json()["detail"].startswith(problem)
    assert regulator.accepted() == []


def test_faults_are_set_over_http_and_played_in_order(http: httpx.Client) -> None:
    plan = {"script": ["fail", "none"], "rates": {}, "stall": 0.1}
    assert http.post("/_control/faults", json=plan).json() == plan
    assert post(http, "usage", payload("usage")).status_code == 503
    assert post(http, "usage", payload("usage")).status_code == 201
    assert http.get("/stats").json()["faults"] == {"fail": 1, "none": 1}
    refused = http.post("/_control/faults", json={"script": ["explode"]})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_payload")
    too_much = http.post("/_control/faults", json={"rates": {"fail": 0.7, "drop": 0.6}})
    assert too_much.status_code == 400


def test_a_dropped_connection_after_accepting_is_a_transport_error(
    http: httpx.Client, regulator: RegulatorServer
) -> None:
    http.post("/_control/faults", json={"script": ["drop"]})
    with pytest.raises(httpx.TransportError):
        post(http, "usage", payload("usage"))
    assert [a.key for a in regulator.accepted()] == [KEY]  # it was accepted all the same


def test_every_fault_has_a_name_the_command_line_takes() -> None:
    assert [f.value for f in Fault] == ["none", "fail", "stall", "hang", "hold", "drop", "twice"]

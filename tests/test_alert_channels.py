"""Webhook and Apprise channels: same outbox, same once-per-story rule, real HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.alerts import WIRE_TEXT, HookReceiver, add_source, outbox, store, subscribe
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts.sender import SendPolicy, send_due
from wirewatch.pipelines.alerts.webhook import signature

KEY = "webhook-signing-key"


@pytest.fixture
def sender_conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    add_source(conn, "wire", wire=True)
    add_source(conn, "herald")
    monkeypatch.setenv("WW_HOOK_KEY", KEY)


def test_a_webhook_gets_one_signed_json_post_per_story(conn, sender_conn) -> None:
    with HookReceiver() as hook:
        subscribe(conn, "Zelensky", f"{hook.base_url}/hook", channel="webhook",
                  secret_env="WW_HOOK_KEY", name="kyiv")  # fmt: skip
        store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)
        store(conn, "herald", "Copy", WIRE_TEXT, minutes=5)
        assert send_due(sender_conn, None).sent == 1
        assert send_due(sender_conn, None).sent == 0
    [(path, headers, body)] = hook.requests
    assert path == "/hook"
    expected = signature(KEY.encode(), headers["X-Wirewatch-Timestamp"], body)
    assert hmac.compare_digest(headers["X-Wirewatch-Signature"], expected)
    manual = hmac.new(KEY.encode(), headers["X-Wirewatch-Timestamp"].encode() + b"." + body,
                      hashlib.sha256).hexdigest()  # fmt: skip
    assert headers["X-Wirewatch-Signature"] == f"sha256={manual}"
    data = json.loads(body)
    assert data["event"] == "alert" and data["subscription"]["name"] == "kyiv"
    [story] = data["stories"]
    assert story["title"] == "Zelenskyy says drones downed"
    assert [o["outlet"] for o in story["outlets"]] == ["wire.example", "herald.example"]
    assert story["matched_terms"] == ["Zelenskyy"]
    assert headers["X-Wirewatch-Delivery"] == data["delivery_id"] == outbox(conn)[0]["message_id"]


def test_webhook_server_errors_are_retried_and_client_errors_are_not(conn, sender_conn) -> None:
    policy = SendPolicy(backoff_base=0)
    with HookReceiver(statuses=[503, 200]) as flaky, HookReceiver(statuses=[404]) as gone:
        retried = subscribe(conn, "Zelensky", f"{flaky.base_url}/a", channel="webhook",
                            secret_env="WW_HOOK_KEY")  # fmt: skip
        refused = subscribe(conn, "Zelensky", f"{gone.base_url}/b", channel="webhook",
                            secret_env="WW_HOOK_KEY")  # fmt: skip
        store(conn, "wire", "One", WIRE_TEXT, wire=True)
        report = send_due(sender_conn, None, policy=policy)
        assert (report.sent, report.retried, report.failed) == (0, 1, 1)
        report = send_due(sender_conn, None, policy=policy)
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        assert len(flaky.requests) == 2 and len(gone.requests) == 1
        first, second = (h["X-Wirewatch-Delivery"] for _, h, _ in flaky.requests)
        assert first == second  # a retry is recognisably the same delivery
    assert outbox(conn, retried)[0]["status"] == "sent"
    assert outbox(conn, refused)[0]["status"] == "failed"
    assert "HTTP 404" in outbox(conn, refused)[0]["last_error"]


def test_an_unreachable_webhook_is_retried_later(conn, sender_conn) -> None:
    with HookReceiver() as hook:
        url = f"{hook.base_url}/hook"
    subscribe(conn, "Zelensky", url, channel="webhook", secret_env="WW_HOOK_KEY")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    report = send_due(sender_conn, None)
    assert report.retried == 1
    row = outbox(conn)[0]
    assert row["status"] == "pending" and "cannot reach" in row["last_error"]


def test_a_missing_signing_key_is_a_recorded_failure(conn, sender_conn, monkeypatch) -> None:
    monkeypatch.delenv("WW_HOOK_KEY")
    with HookReceiver() as hook:
        subscribe(conn, "Zelensky", f"{hook.base_url}/h", channel="webhook",
                  secret_env="WW_HOOK_KEY")  # fmt: skip
        store(conn, "wire", "One", WIRE_TEXT, wire=True)
        assert send_due(sender_conn, None).failed == 1
    assert hook.requests == []
    assert "WW_HOOK_KEY is not set" in outbox(conn)[0]["last_error"]


def test_an_apprise_url_is_notified_once_per_story(conn, sender_conn) -> None:
    with HookReceiver() as receiver:
        apprise_url = receiver.base_url.replace("http://", "json://") + "/notify"
        subscribe(conn, "Zelensky", apprise_url, channel="apprise", name="chat")
        store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)
        store(conn, "herald", "Copy", WIRE_TEXT, minutes=5)
        assert send_due(sender_conn, None).sent == 1
        assert send_due(sender_conn, None).sent == 0
    [(path, _, body)] = receiver.requests
    assert path == "/notify"
    data = json.loads(body)
    assert data["title"] == "[wirewatch] chat: Zelenskyy says drones downed"
    assert "herald.example" in data["message"]

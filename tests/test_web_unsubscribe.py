"""One-click unsubscribe: signed links, idempotent, and the headers e-mails carry."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_wirewatch
from tests.support.alerts import SmtpSink, add_source, store, subscribe
from wirewatch.pipelines import db, signing
from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.render import (
    Rendered,
    SubscriptionView,
    email_message,
    unsubscribe_header,
)
from wirewatch.pipelines.alerts.subscriptions import add_subscription, find_subscription
from wirewatch.pipelines.alerts.unsubscribe import (
    REASON,
    link,
    lookup,
    token,
    token_valid,
    unsubscribe,
)

KEY = b"k" * 32


def test_tokens_bind_subscription_and_recipient() -> None:
    text = token(KEY, 7, "a@example.org")
    assert text.startswith("7.")
    assert token_valid(KEY, text, 7, "a@example.org")
    assert not token_valid(KEY, text, 7, "b@example.org")
    assert not token_valid(KEY, text, 8, "a@example.org")
    assert not token_valid(b"x" * 32, text, 7, "a@example.org")
    assert not token_valid(KEY, text[:-1] + ("A" if text[-1] != "A" else "B"), 7, "a@example.org")
    assert link("https://ww.example/", KEY, 7, "a@example.org") == (
        f"https://ww.example/unsubscribe/{text}"
    )


def test_one_click_headers() -> None:
    sub = SubscriptionView(7, "desk", "Mansur", "a@example.org")
    url = link("https://ww.example", KEY, 7, "a@example.org")
    header = unsubscribe_header(sub, "alerts@example.org", None, url)
    assert header.startswith(f"<{url}>, <mailto:alerts@example.org?")
    message = email_message(
        Rendered("s", "t", "<p>t</p>"),
        from_addr="alerts@example.org",
        to_addr="a@example.org",
        msg_id="<x@example.org>",
        list_unsubscribe=header,
        subscription_id=7,
        one_click=True,
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = email_message(
        Rendered("s", "t", "<p>t</p>"),
        from_addr="alerts@example.org",
        to_addr="a@example.org",
        msg_id="<x@example.org>",
        list_unsubscribe=unsubscribe_header(sub, "alerts@example.org", None),
        subscription_id=7,
    )
    assert plain["List-Unsubscribe-Post"] is None


def test_unsubscribe_once_then_already(db_url: str) -> None:
    with db.connect(db_url, autocommit=True) as conn:
        key = signing.signing_key(conn)
        assert key == signing.signing_key(conn)  # made once, then read back
        row = add_subscription(conn, SubscriptionSpec("Mansur", "email", "a@example.org"))
        text = token(key, row["id"], "a@example.org")
        assert lookup(conn, key, text).state == "unsubscribed"  # looking does not change it
        assert unsubscribe(conn, key, text).state == "unsubscribed"
        after = find_subscription(conn, str(row["id"]))
        assert not after["active"] and after["disabled_reason"] == REASON
        assert unsubscribe(conn, key, text).state == "already"
        assert unsubscribe(conn, key, "1.bad").state == "invalid"
        assert unsubscribe(conn, key, token(key, row["id"], "b@example.org")).state == "invalid"


def test_alerts_send_puts_the_one_click_link_in_mail(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.connect(db_url) as conn:
        add_source(conn, "wire", wire=True)
        sub = subscribe(conn, "Zelensky", target="desk@example.org", name="kyiv")
        store(conn, "wire", "Zelensky visits Kyiv", "Zelensky met ministers in Kyiv. " * 30)
    config = tmp_path / "wirewatch.toml"
    config.write_text('[web]\npublic_url = "https://news.example.org/ww"\n', encoding="utf-8")
    sink = SmtpSink().start()
    try:
        monkeypatch.setenv("WIREWATCH_SMTP_URL", sink.url())
        result = run_wirewatch("--config", str(config), "alerts", "send")
        assert result.returncode == 0, result.stderr
    finally:
        sink.stop()
    (message,) = sink.messages
    with db.connect(db_url, autocommit=True) as conn:
        url = link(
            "https://news.example.org/ww", signing.signing_key(conn), sub, "desk@example.org"
        )
    assert message["List-Unsubscribe"].strip().startswith(f"<{url}>, <mailto:alerts@wirewatch.")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

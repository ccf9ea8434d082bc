"""Alerts end to end: stored stories -> outbox -> a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.alerts import (
    WIRE_TEXT,
    SmtpSink,
    add_source,
    outbox,
    self_signed_certificate,
    store,
    subscribe,
)
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts import sender
from wirewatch.pipelines.alerts.sender import SendPolicy, send_due

OUTLETS = [f"paper{i}" for i in range(10)]
FAST = SendPolicy(backoff_base=60)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def sender_conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection) -> None:
    add_source(conn, "wire", wire=True)
    for name in ["rferl", "moscowtimes", *OUTLETS]:
        add_source(conn, name)


def send(conn: psycopg.Connection, sink: SmtpSink, **kwargs) -> sender.SendReport:
    return send_due(conn, sink.settings(), policy=kwargs.pop("policy", FAST), **kwargs)


def bodies(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_seed_pair_triggers_a_mansur_subscription_for_both_spellings(
    conn, sender_conn, smtp, shared_dir: Path
) -> None:
    seeds = shared_dir / "seeds"
    rferl = (seeds / "rferl-taliban-denies-talks.txt").read_text(encoding="utf-8")
    mt = (seeds / "moscowtimes-taliban-no-contacts.txt").read_text(encoding="utf-8")
    assert "Mansur" in rferl and "Mansur" not in mt and "Mansour" in mt
    mansur = subscribe(conn, '"Mansur" AND Taliban', name="mansur")
    mansour = subscribe(conn, "Mansour", "other@example.org", name="mansour")
    exact = subscribe(conn, "=Mansur", "exact@example.org", name="exact")

    first = store(
        conn, "rferl", "Taliban Denies Talks With Russia On Fighting Islamic State", rferl
    )
    second = store(conn, "moscowtimes", "Taliban Says No Contacts With Russia", mt)
    assert first.story_id != second.story_id  # two reports, not copies

    report = send(sender_conn, smtp)
    assert report.sent == 5 and report.ok
    by_rcpt: dict[str, list] = {}
    for (_, rcpts), message in zip(smtp.envelopes, smtp.messages, strict=True):
        by_rcpt.setdefault(rcpts[0], []).append(message)
    assert len(by_rcpt["desk@example.org"]) == 2
    assert len(by_rcpt["other@example.org"]) == 2
    assert len(by_rcpt["exact@example.org"]) == 1  # exact-only: RFE/RL's spelling alone
    spelled = sorted(bodies(m)[1] for m in by_rcpt["desk@example.org"])
    assert any("<mark>Mansour</mark>" in html for html in spelled)
    assert any("<mark>Mansur</mark>" in html for html in spelled)
    assert {r["subscription_id"] for r in outbox(conn)} == {mansur, mansour, exact}


def test_ten_copies_of_one_wire_story_yield_one_email_naming_every_outlet(
    conn, sender_conn, smtp
) -> None:
    subscribe(conn, "Zelensky AND drones", name="kyiv")
    store(conn, "wire", "Zelenskyy says air defences downed most drones", WIRE_TEXT, wire=True)
    for i, name in enumerate(OUTLETS[:9]):
        result = store(conn, name, f"Kyiv attack, version {i}", WIRE_TEXT, minutes=i + 1)
        assert result.alerts_queued == 0  # a copy, not a new story
    assert len(outbox(conn)) == 1

    # A copy arriving after matching, before sending, is still listed.
    store(conn, OUTLETS[9], "Late copy", WIRE_TEXT, minutes=30)
    assert send(sender_conn, smtp).sent == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    text, html = bodies(message)
    assert "Carried by 11 outlets" in text
    for name in ["wire", *OUTLETS]:
        assert f"{name}.example" in text and f"{name}.example" in html
    assert message["Subject"] == (
        "[wirewatch] kyiv: Zelenskyy says air defences downed most drones"
    )
    assert "*Zelenskyy*" in text and "<mark>drones</mark>" in html
    assert message["List-Unsubscribe"].startswith("<mailto:alerts@wirewatch.example?subject=")

    assert send(sender_conn, smtp).sent == 0  # nothing twice
    assert len(smtp.messages) == 1


def test_smtp_server_down_leaves_alerts_pending_and_the_next_run_sends_each_once(
    conn, sender_conn
) -> None:
    subscribe(conn, "Zelensky")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    store(conn, "rferl", "Two", "Zelensky met the prime minister in Kyiv on Monday. " * 20)
    sink = SmtpSink()  # not started: nothing listens on its port
    channels = sender.Channels(
        email=sender.SmtpChannel(sink.settings(), connect_attempts=2, backoff=0)
    )
    report = send_due(sender_conn, sink.settings(), policy=FAST, channels=channels)
    assert not report.ok and "cannot reach" in report.down["email"]
    assert report.sent == 0
    assert [r["status"] for r in outbox(conn)] == ["pending", "pending"]
    assert [r["attempts"] for r in outbox(conn)] == [0, 0]

    sink.start()
    try:
        assert send(sender_conn, sink).sent == 2
        assert send(sender_conn, sink).sent == 0
        assert len(sink.messages) == 2
        assert len({m["Message-ID"] for m in sink.messages}) == 2
    finally:
        sink.stop()
    assert [r["status"] for r in outbox(conn)] == ["sent", "sent"]


def test_a_crash_between_sending_and_marking_sent_resends_with_the_same_message_id(
    conn, sender_conn, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guarantee is at-least-once: the repeat carries the same Message-ID."""
    subscribe(conn, "Zelensky")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)

    class Crash(BaseException):
        pass

    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(sender, "_mark_sent", crash)
    with pytest.raises(Crash):
        send(sender_conn, smtp)
    assert len(smtp.messages) == 1
    assert outbox(conn)[0]["status"] == "pending"

    monkeypatch.undo()
    assert send(sender_conn, smtp).sent == 1
    assert send(sender_conn, smtp).sent == 0
    assert len(smtp.messages) == 2
    assert smtp.messages[0]["Message-ID"] == smtp.messages[1]["Message-ID"]
    assert outbox(conn)[0]["message_id"] == smtp.messages[0]["Message-ID"]


def test_a_refused_address_is_recorded_not_retried_and_repeated_bounces_disable(
    conn, sender_conn, smtp
) -> None:
    subscription = subscribe(conn, "Zelensky", "gone@example.org")
    ok = subscribe(conn, "Zelensky", "fine@example.org")
    smtp.refuse["gone@example.org"] = "550 5.1.1 No such user"
    store(conn, "wire", "One", WIRE_TEXT, wire=True)

    report = send(sender_conn, smtp)
    assert (report.sent, report.failed) == (1, 1)
    failed = outbox(conn, subscription)[0]
    assert failed["status"] == "failed" and "550" in failed["last_error"]
    row = conn.execute(
        "SELECT failures, last_error, active FROM alert_subscriptions WHERE id = %s",
        (subscription,),
    ).fetchone()
    assert row["failures"] == 1 and "No such user" in row["last_error"] and row["active"]
    attempts = conn.execute(
        "SELECT outcome FROM alert_attempts WHERE subscription_id = %s", (subscription,)
    ).fetchall()
    assert [a["outcome"] for a in attempts] == ["failed"]
    assert send(sender_conn, smtp).failed == 0  # never retried
    assert outbox(conn, ok)[0]["status"] == "sent"

    for i in range(2):
        store(conn, "rferl", f"More {i}", f"Zelensky spoke again, take {i}. " * 30)
    send(sender_conn, smtp)
    row = conn.execute(
        "SELECT active, disabled_reason FROM alert_subscriptions WHERE id = %s", (subscription,)
    ).fetchone()
    assert not row["active"] and "550" in row["disabled_reason"]


def test_a_temporary_refusal_is_retried_later_with_backoff(conn, sender_conn, smtp) -> None:
    subscribe(conn, "Zelensky")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    smtp.data_reply = "451 4.3.0 Try again later"
    report = send(sender_conn, smtp)
    assert report.retried == 1
    row = outbox(conn)[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and "451" in row["last_error"]
    waiting = conn.execute(
        "SELECT next_attempt_at - now() > interval '50 seconds' AS later FROM alert_outbox"
    ).fetchone()
    assert waiting["later"]
    smtp.data_reply = None
    assert send(sender_conn, smtp).sent == 0  # not due yet
    conn.execute("UPDATE alert_outbox SET next_attempt_at = now()")
    conn.commit()
    assert send(sender_conn, smtp).sent == 1


def test_temporary_failures_are_given_up_after_the_attempt_limit(conn, sender_conn, smtp) -> None:
    subscribe(conn, "Zelensky")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    smtp.data_reply = "421 4.7.0 Busy"
    policy = SendPolicy(max_attempts=3, backoff_base=0)
    for _ in range(5):
        send(sender_conn, smtp, policy=policy)
    row = outbox(conn)[0]
    assert row["status"] == "failed" and row["attempts"] == 3
    assert "gave up after 3 attempts" in row["last_error"]


def test_script_and_header_injection_in_a_title_are_escaped(conn, sender_conn, smtp) -> None:
    subscribe(conn, "Zelensky", name="kyiv")
    title = 'Zelensky <script>alert("x")</script>\r\nBcc: victim@example.org'
    text = 'Zelensky said <b onmouseover="steal()">hello</b> & goodbye. ' * 5
    store(conn, "rferl", title, text)
    assert send(sender_conn, smtp).sent == 1
    message = smtp.messages[0]
    assert smtp.envelopes[0][1] == ["desk@example.org"]
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Subject"].endswith(
        'Zelensky <script>alert("x")</script> Bcc: victim@example.org'
    )
    _, html = bodies(message)
    assert "<script>" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html and "&amp; goodbye" in html


def test_a_digest_gathers_the_period_into_one_email(conn, sender_conn, smtp) -> None:
    subscribe(conn, "Zelensky", digest="hourly", name="hourly")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    store(conn, "rferl", "Two", "Zelensky met the prime minister in Kyiv on Monday. " * 20)
    rows = outbox(conn)
    assert len({r["due_at"] for r in rows}) == 1
    assert send(sender_conn, smtp).sent == 0  # the hour is not over yet
    conn.execute("UPDATE alert_outbox SET due_at = due_at - interval '1 hour'")
    conn.commit()
    assert send(sender_conn, smtp).sent == 1
    message = smtp.messages[0]
    assert message["Subject"] == "[wirewatch] hourly: 2 stories (hourly digest)"
    text, _ = bodies(message)
    assert "One" in text and "Two" in text
    assert all(r["status"] == "sent" for r in outbox(conn))


def test_two_senders_at_once_deliver_each_alert_once(conn, db_url, smtp) -> None:
    import threading

    for i in range(3):
        subscribe(conn, "Zelensky", f"reader{i}@example.org")
    store(conn, "wire", "One", WIRE_TEXT, wire=True)
    store(conn, "rferl", "Two", "Zelensky met the prime minister in Kyiv on Monday. " * 20)
    reports: list[sender.SendReport] = []

    def run() -> None:
        with db.connect(db_url, autocommit=True) as c:
            reports.append(send(c, smtp))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 6
    assert len(smtp.messages) == 6
    assert len({m["Message-ID"] for m in smtp.messages}) == 6


def test_an_edited_canonical_text_that_newly_matches_is_queued_once(conn) -> None:
    subscribe(conn, "Wagner")
    text = "The defence ministry announced new appointments in the army on Monday. " * 8
    first = store(conn, "rferl", "Appointments", text, slug="appointments")
    assert first.alerts_queued == 0
    copy = store(conn, "moscowtimes", "Appointments", text, slug="copy")
    assert copy.story_id == first.story_id

    edited = text + "Officials said former Wagner fighters would join the units."
    again = store(conn, "rferl", "Appointments", edited, slug="appointments")
    assert again.story_id == first.story_id and again.alerts_queued == 1
    store(conn, "rferl", "Appointments", edited + " Update.", slug="appointments")
    assert len(outbox(conn)) == 1
    # Editing a copy that is not canonical does not re-run matching for the story
    # (a subscription added since would otherwise get this old story).
    subscribe(conn, "Wagner", "late@example.org")
    store(conn, "moscowtimes", "Appointments", text + " Wagner Wagner.", slug="copy")
    assert len(outbox(conn)) == 1


def test_copies_stored_at_once_by_two_crawls_queue_one_alert(conn, db_url) -> None:
    import threading

    subscribe(conn, "Zelensky")
    barrier = threading.Barrier(4)
    results = []

    def crawl(outlet: str) -> None:
        with db.connect(db_url) as c:
            barrier.wait()
            results.append(store(c, outlet, "Kyiv", WIRE_TEXT, slug=outlet))

    threads = [threading.Thread(target=crawl, args=(name,)) for name in OUTLETS[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({r.story_id for r in results}) == 1
    assert sum(r.alerts_queued for r in results) == 1
    assert len(outbox(conn)) == 1


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_over_verified_tls(conn, sender_conn, tmp_path: Path, security: str) -> None:
    import dataclasses
    import ssl

    cert, key = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = SmtpSink(tls=(security, context)).start()
    try:
        subscribe(conn, "Zelensky")
        store(conn, "wire", "One", WIRE_TEXT, wire=True)
        settings = dataclasses.replace(sink.settings(), security=security, connect_retries=0)
        report = send_due(sender_conn, settings, policy=FAST)  # our CA is not trusted
        assert not report.ok and "CERTIFICATE_VERIFY_FAILED" in report.down["email"]
        assert sink.messages == []
        trusted = dataclasses.replace(settings, ca_file=str(cert))
        assert send_due(sender_conn, trusted, policy=FAST).sent == 1
        assert len(sink.messages) == 1
    finally:
        sink.stop()

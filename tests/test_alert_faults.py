"""Alert mail under a failing SMTP server: delivered at least once, at most ``max_attempts`` times.

Real servers on 127.0.0.1: aiosmtpd (``SmtpSink``) answering slowly, with 4xx
or 5xx, or not at all; and a small scripted server for what aiosmtpd cannot
stage (a greeting that never comes, a reply trickled a byte at a time).
Three subscriptions match one story; the slow or failing one comes first, so
each test also shows that the alerts queued behind it go out in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.alerts import WIRE_TEXT, SmtpSink, add_source, outbox, store, subscribe
from wirewatch.crawler.cli import main
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts import sender
from wirewatch.pipelines.alerts.sender import SendPolicy, send_due
from wirewatch.pipelines.alerts.settings import SmtpSettings

SLOW, ONE, TWO = "slow@example.org", "one@example.org", "two@example.org"
TIMEOUT = 1.0  # [smtp] timeout of these tests; a message's deadline is twice that
POLICY = SendPolicy(backoff_base=60)


class SlowSink(SmtpSink):
    """aiosmtpd that keeps a message for ``slow`` recipients, then answers 250 ``delay`` s late."""

    def __init__(self, *args: Any, delay: float = 0.0, slow: set[str] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        self.delay = delay
        self.slow = set(slow or ())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.slow & set(envelope.rcpt_tos):
            await asyncio.sleep(self.delay)
        return reply

    def received(self, address: str) -> list[str]:
        """Message-IDs of what ``address`` was sent, one per copy that arrived."""
        return [
            message["Message-ID"]
            for (_, rcpts), message in zip(self.envelopes, self.messages, strict=True)
            if address in rcpts
        ]


class ScriptedSmtp:
    """A minimal SMTP server on raw sockets.

    ``greet=False``: accepts connections and never says hello.  ``trickle``:
    recipients whose final DATA reply comes one byte every ``byte_every``
    seconds (each byte within the socket timeout, the whole reply not).
    """

    def __init__(
        self, *, greet: bool = True, trickle: set[str] | None = None, byte_every: float = 0.5
    ):
        self.greet = greet
        self.trickle = set(trickle or ())
        self.byte_every = byte_every
        self.received: list[tuple[list[str], bytes]] = []
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self._threads = [threading.Thread(target=self._serve, daemon=True)]
        self._threads[0].start()

    def close(self) -> None:
        """Stop, and free the port (a server may be started on it next)."""
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._session, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _session(self, conn: socket.socket) -> None:
        # OSError: the client gave up on us, which is the point.
        with conn, conn.makefile("rb") as lines, contextlib.suppress(OSError):
            self._dialogue(conn, lines)

    def _dialogue(self, conn: socket.socket, lines: Any) -> None:
        if not self.greet:
            self._stop.wait()
            return
        conn.sendall(b"220 scripted ESMTP\r\n")
        rcpts: list[str] = []
        for line in lines:
            verb = line[:4].upper()
            if verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                body = b"".join(iter(lines.readline, b".\r\n"))
                self.received.append((list(rcpts), body))
                self._reply(conn, b"250 OK queued\r\n", slow=bool(self.trickle & set(rcpts)))
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                if verb == b"MAIL":
                    rcpts = []
                elif verb == b"RCPT":
                    rcpts.append(re.search(rb"<([^>]*)>", line).group(1).decode())
                conn.sendall(b"250 scripted\r\n")

    def _reply(self, conn: socket.socket, reply: bytes, *, slow: bool) -> None:
        if not slow:
            conn.sendall(reply)
            return
        for byte in reply:
            if self._stop.wait(self.byte_every):
                return
            conn.sendall(bytes([byte]))

    def copies(self, address: str) -> int:
        return sum(address in rcpts for rcpts, _ in self.received)

    def settings(self) -> SmtpSettings:
        return quick(SmtpSink(port=self.port).settings())


def quick(settings: SmtpSettings) -> SmtpSettings:
    return replace(settings, timeout=TIMEOUT, connect_retries=0)


def channels(settings: SmtpSettings) -> sender.Channels:
    return sender.Channels(email=sender.SmtpChannel(settings, backoff=0))


@pytest.fixture
def sender_conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        yield connection


@pytest.fixture
def subscribers(conn: psycopg.Connection) -> dict[str, int]:
    """Three subscriptions to one story, the troublesome recipient's first."""
    add_source(conn, "wire", wire=True)
    ids = {address: subscribe(conn, "Zelensky", address) for address in (SLOW, ONE, TWO)}
    store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)
    return ids


def run(
    conn: psycopg.Connection, settings: SmtpSettings, policy: SendPolicy = POLICY
) -> sender.SendReport:
    """One ``alerts send`` run with the test's quick timeouts and no connection back-off."""
    own = channels(settings)
    try:
        return send_due(conn, settings, policy=policy, channels=own)
    finally:
        own.close()


def row_of(conn: psycopg.Connection, subscription: int) -> dict[str, Any]:
    (row,) = outbox(conn, subscription)
    return row


def make_due(conn: psycopg.Connection) -> None:
    conn.execute("UPDATE alert_outbox SET next_attempt_at = now() WHERE status = 'pending'")
    conn.commit()


def test_a_reply_after_data_later_than_the_timeout_is_an_attempt_and_blocks_no_one(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, subscribers: dict[str, int]
) -> None:
    sink = SlowSink(delay=3 * TIMEOUT, slow={SLOW}).start()
    try:
        settings = quick(sink.settings())
        started = time.monotonic()
        report = run(sender_conn, settings)
        assert time.monotonic() - started < 2 * TIMEOUT + 2
        assert (report.sent, report.retried, report.down) == (2, 1, {})
        # The ones behind the slow message went out in the same run, once each.
        assert sink.received(ONE) != [] and len(sink.received(ONE)) == 1
        assert len(sink.received(TWO)) == 1
        slow = row_of(conn, subscribers[SLOW])
        assert slow["status"] == "pending" and slow["attempts"] == 1
        assert "no answer from smtp://127.0.0.1" in slow["last_error"]
        assert "at DATA within 1 s" in slow["last_error"]
        later = conn.execute(
            "SELECT next_attempt_at > now() + interval '50 seconds' AS later FROM alert_outbox"
            " WHERE id = %s",
            (slow["id"],),
        ).fetchone()["later"]
        conn.commit()
        assert later
        # The server did take the message; the next run leaves it alone (backoff)...
        assert len(sink.received(SLOW)) == 1
        assert run(sender_conn, settings).sent == 0
        # ...and once due, it is sent again with the same Message-ID, then never again.
        sink.slow.clear()
        make_due(conn)
        assert run(sender_conn, settings).sent == 1
        make_due(conn)
        assert run(sender_conn, settings).sent == 0
        copies = sink.received(SLOW)
        assert len(copies) == 2 and len(set(copies)) == 1
        assert row_of(conn, subscribers[SLOW])["status"] == "sent"
        assert [len(sink.received(a)) for a in (ONE, TWO)] == [1, 1]
    finally:
        sink.stop()


def test_a_server_always_slow_after_data_sends_one_alert_at_most_max_attempts_times(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, subscribers: dict[str, int]
) -> None:
    policy = SendPolicy(max_attempts=3, backoff_base=0)
    sink = SlowSink(delay=3 * TIMEOUT, slow={SLOW}).start()
    try:
        settings = quick(sink.settings())
        for _ in range(6):
            run(sender_conn, settings, policy)
        copies = sink.received(SLOW)
        assert len(copies) == 3 and len(set(copies)) == 1  # the documented bound, one id
        slow = row_of(conn, subscribers[SLOW])
        assert slow["status"] == "failed" and slow["attempts"] == 3
        assert "gave up after 3 attempts" in slow["last_error"]
        assert [len(sink.received(a)) for a in (ONE, TWO)] == [1, 1]
    finally:
        sink.stop()


def test_a_reply_trickled_a_byte_at_a_time_hits_the_message_deadline(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, subscribers: dict[str, int]
) -> None:
    server = ScriptedSmtp(trickle={SLOW}, byte_every=TIMEOUT / 2)
    try:
        started = time.monotonic()
        report = run(sender_conn, server.settings())
        assert time.monotonic() - started < 2 * TIMEOUT + 2
        assert (report.sent, report.retried) == (2, 1)
        slow = row_of(conn, subscribers[SLOW])
        assert slow["attempts"] == 1 and "at DATA within 2 s" in slow["last_error"]
        assert [server.copies(a) for a in (SLOW, ONE, TWO)] == [1, 1, 1]
    finally:
        server.close()


def test_after_several_timeouts_in_a_row_the_rest_wait_and_go_first_next_run(
    conn: psycopg.Connection, sender_conn: psycopg.Connection
) -> None:
    """A server slow for everyone is down for the run; nobody starves on the next one."""
    add_source(conn, "wire", wire=True)
    slow = [f"slow{i}@example.org" for i in range(3)]
    ids = {address: subscribe(conn, "Zelensky", address) for address in [*slow, ONE]}
    store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)
    sink = SlowSink(delay=3 * TIMEOUT, slow=set(slow)).start()
    policy = SendPolicy(backoff_base=0)  # the slow ones are due again at once
    try:
        settings = quick(sink.settings())
        report = run(sender_conn, settings, policy)
        assert report.retried == 3 and "3 messages in a row" in report.down["email"]
        assert row_of(conn, ids[ONE])["attempts"] == 0  # untouched, not charged
        report = run(sender_conn, settings, policy)
        assert report.sent == 1 and len(sink.received(ONE)) == 1  # longest waiting went first
    finally:
        sink.stop()


@pytest.mark.parametrize("fault", ["refused", "no_greeting"])
def test_a_server_that_cannot_be_used_leaves_every_alert_untouched_for_the_next_run(
    fault: str,
    conn: psycopg.Connection,
    sender_conn: psycopg.Connection,
    subscribers: dict[str, int],
    tmp_path: Path,
) -> None:
    hanging = ScriptedSmtp(greet=False) if fault == "no_greeting" else None
    port = hanging.port if hanging else SmtpSink().port  # nothing listens on a fresh port
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'from = "alerts@wirewatch.example"\ntimeout = {TIMEOUT}\nconnect_retries = 0\n'
    )
    try:
        result = run_wirewatch("--config", str(config), "alerts", "send")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "email alerts left pending" in result.stderr
        assert [(r["status"], r["attempts"]) for r in outbox(conn)] == [("pending", 0)] * 3
    finally:
        if hanging:
            hanging.close()
    sink = SlowSink(port=port).start()  # the server is back, on the same port
    try:
        result = run_wirewatch("--config", str(config), "alerts", "send")
        assert result.returncode == 0, result.stderr
        assert run_wirewatch("--config", str(config), "alerts", "send").returncode == 0
        assert [len(sink.received(a)) for a in (SLOW, ONE, TWO)] == [1, 1, 1]
    finally:
        sink.stop()


@pytest.mark.parametrize(
    ("where", "reply"), [("rcpt", "450 4.2.1 Mailbox busy"), ("data", "451 4.3.0 Try later")]
)
def test_a_temporary_refusal_is_retried_and_delivered_once(
    where: str,
    reply: str,
    conn: psycopg.Connection,
    sender_conn: psycopg.Connection,
    subscribers: dict[str, int],
) -> None:
    sink = SlowSink().start()
    try:
        settings = quick(sink.settings())
        if where == "rcpt":
            sink.refuse[SLOW] = reply
        else:
            sink.data_reply = reply
        report = run(sender_conn, settings)
        expected = (2, 1) if where == "rcpt" else (0, 3)
        assert (report.sent, report.retried) == expected
        assert reply[:3] in row_of(conn, subscribers[SLOW])["last_error"]
        sink.refuse.clear()
        sink.data_reply = None
        make_due(conn)
        run(sender_conn, settings)
        make_due(conn)
        run(sender_conn, settings)
        assert [len(sink.received(a)) for a in (SLOW, ONE, TWO)] == [1, 1, 1]
        assert {r["status"] for r in outbox(conn)} == {"sent"}
    finally:
        sink.stop()


def test_a_permanent_refusal_is_recorded_never_retried_and_blocks_no_one(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, subscribers: dict[str, int]
) -> None:
    sink = SlowSink().start()
    try:
        settings = quick(sink.settings())
        sink.refuse[SLOW] = "550 5.1.1 No such user"
        report = run(sender_conn, settings)
        assert (report.sent, report.failed) == (2, 1)
        slow = row_of(conn, subscribers[SLOW])
        assert slow["status"] == "failed" and slow["attempts"] == 1 and "550" in slow["last_error"]
        make_due(conn)
        assert run(sender_conn, settings).failed == 0  # never tried again
        assert [len(sink.received(a)) for a in (SLOW, ONE, TWO)] == [0, 1, 1]
    finally:
        sink.stop()


def test_a_permanent_refusal_after_data_fails_every_message_without_a_repeat(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, subscribers: dict[str, int]
) -> None:
    sink = SlowSink().start()
    try:
        settings = quick(sink.settings())
        sink.data_reply = "554 5.7.1 Rejected as spam"
        assert run(sender_conn, settings).failed == 3
        make_due(conn)
        assert run(sender_conn, settings).failed == 0
        assert [(r["status"], r["attempts"]) for r in outbox(conn)] == [("failed", 1)] * 3
        assert sink.messages == []
    finally:
        sink.stop()


def test_a_crash_after_the_attempt_is_counted_still_respects_the_bound(
    conn: psycopg.Connection,
    sender_conn: psycopg.Connection,
    subscribers: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Attempts are counted before sending: a sender that keeps dying cannot resend forever."""

    class Crash(BaseException):
        pass

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash

    policy = SendPolicy(max_attempts=2, backoff_base=0)
    sink = SlowSink().start()
    try:
        settings = quick(sink.settings())
        monkeypatch.setattr(sender, "record", crash)
        for _ in range(2):
            with pytest.raises(Crash):
                run(sender_conn, settings, policy)
        monkeypatch.undo()
        report = run(sender_conn, settings, policy)
        assert (report.sent, report.failed) == (2, 1)
        copies = sink.received(SLOW)
        assert len(copies) == 2 and len(set(copies)) == 1  # at most max_attempts, same id
        slow = row_of(conn, subscribers[SLOW])
        assert slow["status"] == "failed" and "the last left no outcome" in slow["last_error"]
    finally:
        sink.stop()


def smtp_config(tmp_path: Path, port: int) -> str:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'from = "alerts@wirewatch.example"\ntimeout = {TIMEOUT}\nconnect_retries = 0\n'
    )
    return str(path)


@pytest.mark.parametrize(
    "reply", ["550 5.7.1 Sender address rejected: not owned by user", "451 4.7.1 Try later"]
)
def test_a_relay_refusing_the_sender_is_a_channel_failure_that_costs_no_alert_anything(
    reply: str,
    conn: psycopg.Connection,
    subscribers: dict[str, int],
    tmp_path: Path,
) -> None:
    """A refused MAIL FROM concerns the session: alerts stay pending and uncharged, the run
    exits 1, no subscription is disabled however often it happens; a fixed relay sends each."""
    sink = SlowSink().start()
    sink.mail_reply = reply
    config = smtp_config(tmp_path, sink.port)
    try:
        for _ in range(4):  # more runs than the 3 failures that disable a subscription
            result = run_wirewatch("--config", config, "alerts", "send")
            assert result.returncode == 1, result.stderr
            assert "Traceback" not in result.stderr
            assert "email alerts left pending" in result.stderr
            assert f"refused the sender alerts@wirewatch.example at MAIL FROM: {reply[:3]}" in (
                result.stderr
            )
        assert sink.mail_commands == 4  # each run stops at the first refusal
        assert [(r["status"], r["attempts"]) for r in outbox(conn)] == [("pending", 0)] * 3
        subs = conn.execute("SELECT active, failures, last_error FROM alert_subscriptions")
        assert [(s["active"], s["failures"], s["last_error"]) for s in subs] == [
            (True, 0, None)
        ] * 3
        conn.commit()

        sink.mail_reply = None  # the relay is fixed
        assert run_wirewatch("--config", config, "alerts", "send").returncode == 0
        assert run_wirewatch("--config", config, "alerts", "send").returncode == 0
        assert [len(sink.received(a)) for a in (SLOW, ONE, TWO)] == [1, 1, 1]
        assert {r["status"] for r in outbox(conn)} == {"sent"}
    finally:
        sink.stop()


def test_a_refusal_after_data_fails_those_alerts_but_disables_no_subscription(
    conn: psycopg.Connection, sender_conn: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a refused recipient says the address is bad; a refused message does not."""
    add_source(conn, "wire", wire=True)
    subscription = subscribe(conn, "Zelensky", ONE)
    for i in range(4):
        store(conn, "wire", f"Zelensky, take {i}", f"Zelensky spoke again, take {i}. " * 30)
    sink = SlowSink().start()
    sink.data_reply = "554 5.7.1 Message rejected by policy"
    try:
        with caplog.at_level("INFO", logger="wirewatch.pipelines.alerts.sender"):
            assert run(sender_conn, quick(sink.settings())).failed == 4
    finally:
        sink.stop()
    row = conn.execute(
        "SELECT active, failures, last_error FROM alert_subscriptions WHERE id = %s",
        (subscription,),
    ).fetchone()
    conn.commit()
    assert row["active"] and row["failures"] == 0 and "554" in row["last_error"]
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 4 and {r.levelname for r in failures} == {"WARNING"}


def test_permanent_failures_are_logged_as_warnings(
    conn: psycopg.Connection,
    sender_conn: psycopg.Connection,
    subscribers: dict[str, int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = SlowSink().start()
    sink.refuse[SLOW] = "550 5.1.1 No such user"
    try:
        with caplog.at_level("INFO", logger="wirewatch.pipelines.alerts.sender"):
            assert run(sender_conn, quick(sink.settings())).failed == 1
    finally:
        sink.stop()
    levels = {r.getMessage().split(":")[0]: r.levelname for r in caplog.records}
    assert levels[f"alert {subscribers[SLOW]} (email) failed"] == "WARNING"
    assert levels[f"alert {subscribers[ONE]} (email) sent"] == "INFO"


def test_retry_requeues_failed_alerts_and_with_no_flag_those_waiting_to_retry(
    conn: psycopg.Connection,
    sender_conn: psycopg.Connection,
    subscribers: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = SlowSink().start()
    settings = quick(sink.settings())
    try:
        sink.refuse[SLOW] = "550 5.1.1 No such user"  # failed for good
        sink.refuse[ONE] = "452 4.2.2 Mailbox full"  # retried in a minute, then backing off
        report = run(sender_conn, settings)
        assert (report.sent, report.retried, report.failed) == (1, 1, 1)
        sink.refuse.clear()  # the mailbox was created, the other one emptied
        assert run(sender_conn, settings).sent == 0  # failed is final, the other not due yet

        assert main(["alerts", "retry", str(subscribers[SLOW]), "--failed"]) == 0
        assert "requeued 1 alert(s): 1 failed" in capsys.readouterr().out
        assert row_of(conn, subscribers[SLOW])["attempts"] == 0
        assert main(["alerts", "retry", "--failed"]) == 0  # the waiting one is not failed
        assert "requeued 0 alert(s)" in capsys.readouterr().out
        assert run(sender_conn, settings).sent == 1

        assert main(["alerts", "retry"]) == 0
        assert "requeued 1 alert(s): 0 failed, 1 waiting to retry" in capsys.readouterr().out
        one = row_of(conn, subscribers[ONE])
        assert (one["status"], one["attempts"]) == ("pending", 0)
        assert run(sender_conn, settings).sent == 1
        assert main(["alerts", "retry"]) == 0
        assert "requeued 0 alert(s)" in capsys.readouterr().out
        assert run(sender_conn, settings).sent == 0
        assert [len(sink.received(a)) for a in (SLOW, ONE, TWO)] == [1, 1, 1]
        assert {r["status"] for r in outbox(conn)} == {"sent"}
    finally:
        sink.stop()

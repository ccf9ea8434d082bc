"""`wirewatch status`: the per-source health table, its exit status, operator mail."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from wirewatch.crawler import locks
from wirewatch.crawler.cli import main
from wirewatch.crawler.config import load_config
from wirewatch.crawler.source_status import failure_share, rejection_share, relative
from wirewatch.pipelines import db
from wirewatch.pipelines.queries import Q

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Inbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        """
[[source]]
name = "steady"
kind = "feed"
url = "http://127.0.0.1:9/steady.xml"

[[source]]
name = "broken"
kind = "feed"
url = "http://127.0.0.1:9/broken.xml"
schedule = "*/10 * * * *"

[[source]]
name = "paused"
kind = "feed"
url = "http://127.0.0.1:9/paused.xml"
enabled = false

[schedule]
operator_email = "ops@example.org"
""",
        encoding="utf-8",
    )
    return path


def seed_history(conn: psycopg.Connection, config_file: Path) -> None:
    """steady: fine for hours; broken: fine, then three failures in a row."""
    config = load_config(config_file)
    for source in config.sources:
        conn.execute(Q.upsert_source, source.as_row())
    now = datetime.now(UTC)
    for i in range(8):
        started = now - timedelta(minutes=15 * (i + 1))
        conn.execute(
            "INSERT INTO crawl_runs (source, started_at, finished_at, status, pages_fetched,"
            " articles_new, errors, stats) VALUES ('steady', %s, %s, 'ok', 10, 2, 1, %s)",
            (started, started + timedelta(seconds=20), json.dumps({"extraction_yield": 0.9})),
        )
        failing = i < 3
        conn.execute(
            "INSERT INTO crawl_runs (source, started_at, finished_at, status, articles_new,"
            " stats) VALUES ('broken', %s, %s, %s, %s, %s)",
            (
                started,
                started + timedelta(seconds=5),
                "failed" if failing else "ok",
                0 if failing else 1,
                json.dumps({"outcomes": {"http_503": 1}} if failing else {}),
            ),
        )
    conn.execute(
        "INSERT INTO articles (url, url_key, source, outlet, text, content_hash, fetched_at)"
        " VALUES ('http://s/1', 's/1', 'steady', 's', 'text', 'h', now())"
        " ON CONFLICT DO NOTHING"
    )
    conn.commit()


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=10), "now"),
        (timedelta(minutes=-3), "3m ago"),
        (timedelta(hours=2, minutes=5), "in 2h"),
        (timedelta(days=-3), "3d ago"),
        (timedelta(seconds=45), "in 45s"),
    ],
)
def test_times_are_shown_relative_and_coarse(delta: timedelta, text: str) -> None:
    assert relative(NOW + delta, NOW) == text


def test_status_shows_each_source_and_exits_1_on_an_alarm(
    conn: psycopg.Connection, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    assert main(["--config", str(config_path), "status"]) == 1
    out, err = capsys.readouterr()
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["steady"].split()[1:3] == ["idle", "15m"]
    assert "ok" in lines["steady"].split()[-1]
    assert " 10%" in lines["steady"]  # 8 errors over 80 pages
    assert lines["broken"].endswith("FAILING")
    assert lines["paused"].split()[1] == "disabled"
    assert "ALARM broken: the last 3 runs failed (latest: http_503)" in out
    assert "unhealthy: broken" in err


def test_status_of_healthy_sources_exits_0_and_shows_a_running_crawl(
    conn: psycopg.Connection, db_url: str, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    with db.connect(db_url, autocommit=True) as crawler_conn:
        locks.try_lock(crawler_conn, locks.source_lock_key("steady"))
        assert main(["--config", str(config_path), "status", "--source", "steady"]) == 0
    out = capsys.readouterr().out
    assert "running" in out.splitlines()[1]
    assert "broken" not in out


def test_status_json_carries_the_same_facts(
    conn: psycopg.Connection, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    assert main(["--config", str(config_path), "status", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    by_name = {s["source"]: s for s in document["sources"]}
    assert by_name["steady"]["healthy"] is True
    assert by_name["steady"]["new_last_day"] == 1
    assert by_name["steady"]["runs_last_day"] == 8
    assert by_name["broken"]["alarms"][0]["kind"] == "failing"
    assert by_name["paused"]["next_run"] is None


def test_status_of_one_source_shows_its_recent_runs_and_errors_by_kind(
    conn: psycopg.Connection, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    run_id = conn.execute(
        "SELECT max(id) AS id FROM crawl_runs WHERE source = 'broken'"
    ).fetchone()["id"]
    for kind in ("http_503", "http_503", "timeout"):
        conn.execute(
            "INSERT INTO crawl_errors (run_id, source, url, kind, message)"
            " VALUES (%s, 'broken', 'http://127.0.0.1:9/broken.xml', %s, 'm')",
            (run_id, kind),
        )
    conn.commit()
    assert main(["--config", str(config_path), "status", "broken"]) == 1
    out = capsys.readouterr().out
    runs = out.split("recent runs of broken:")[1].split("failed or rejected pages")[0]
    rows = [line.split() for line in runs.strip().splitlines()[1:]]
    assert len(rows) == 8
    assert [row[2] for row in rows] == ["failed"] * 3 + ["ok"] * 5  # newest first
    assert rows[0][3] == "5s"  # how long the run took
    kinds = out.split("last day (wirewatch errors):")[1].strip().splitlines()
    assert [line.split()[:2] for line in kinds[1:]] == [["http_503", "2"], ["timeout", "1"]]
    assert "steady" not in out

    assert main(["--config", str(config_path), "status", "broken", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in document["runs"]][:4] == ["failed"] * 3 + ["ok"]
    assert {r["kind"]: r["count"] for r in document["errors_by_kind"]} == {
        "http_503": 2,
        "timeout": 1,
    }


def test_an_unknown_source_is_a_usage_error(
    db_url: str, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--config", str(config_path), "status", "--source", "nope"]) == 2
    assert "no source named 'nope'" in capsys.readouterr().err


def test_alarms_are_mailed_to_the_operator_once(
    conn: psycopg.Connection,
    config_path: Path,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inbox, port = smtp
    monkeypatch.setenv(
        "WIREWATCH_SMTP_URL", f"smtp://127.0.0.1:{port}?security=none&from=wirewatch@example.org"
    )
    seed_history(conn, config_path)
    assert main(["--config", str(config_path), "status", "--notify"]) == 1
    assert main(["--config", str(config_path), "status", "--notify"]) == 1
    capsys.readouterr()
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["ops@example.org"]
    mail = message_from_bytes(envelope.original_content or b"")
    assert mail["Subject"] == "wirewatch health: 1 alarm(s) on broken"
    assert "the last 3 runs failed" in mail.get_payload(decode=True).decode()
    # Cleared, then raised again: mailed again.
    conn.execute("DELETE FROM crawl_runs WHERE source = 'broken'")
    conn.commit()
    assert main(["--config", str(config_path), "status", "--notify"]) == 0
    seed_history(conn, config_path)
    assert main(["--config", str(config_path), "status", "--notify"]) == 1
    assert len(inbox.messages) == 2


def test_status_reports_latency_from_publication_to_alert(
    conn: psycopg.Connection, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    now = datetime.now(UTC)
    article = conn.execute(
        "INSERT INTO articles (url, url_key, source, outlet, text, content_hash, published,"
        " discovered_at, fetched_at, first_seen) VALUES ('http://s/2', 's/2', 'steady', 's',"
        " 'text', 'h2', %s, %s, %s, %s) RETURNING id",
        (
            now - timedelta(minutes=20),
            now - timedelta(minutes=10),
            now - timedelta(minutes=9),
            now - timedelta(minutes=9),
        ),
    ).fetchone()
    assert article is not None
    story = conn.execute(
        "INSERT INTO stories (canonical_article_id, first_seen) VALUES (%s, %s) RETURNING id",
        (article["id"], now - timedelta(minutes=9)),
    ).fetchone()
    assert story is not None
    subscription = conn.execute(
        "INSERT INTO alert_subscriptions (query, channel, target)"
        " VALUES ('pier', 'email', 'reader@example.org') RETURNING id"
    ).fetchone()
    assert subscription is not None
    conn.execute(
        "INSERT INTO alert_outbox (subscription_id, story_id, enqueued_at, due_at, status,"
        " sent_at) VALUES (%s, %s, %s, %s, 'sent', %s)",
        (
            subscription["id"],
            story["id"],
            now - timedelta(minutes=9),
            now - timedelta(minutes=9),
            now - timedelta(minutes=8),
        ),
    )
    conn.commit()
    main(["--config", str(config_path), "status", "--json", "--source", "steady"])
    (steady,) = json.loads(capsys.readouterr().out)["sources"]
    latency = steady["latency_s"]
    assert latency["published_to_discovered"] == pytest.approx(600, abs=1)
    assert latency["discovered_to_stored"] == pytest.approx(60, abs=1)
    assert latency["stored_to_alerted"] == pytest.approx(60, abs=1)


def test_a_source_with_a_broken_configuration_shows_as_invalid(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        '[[source]]\nname = "fine"\nkind = "feed"\nurl = "http://127.0.0.1:9/f.xml"\n'
        '[[source]]\nname = "typo"\nkind = "feed"\nurl = "http://127.0.0.1:9/t.xml"\n'
        'schedule = "every hour"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(path), "status"]) == 1
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["fine"][1] == "idle"
    assert lines["typo"][1] == "invalid"
    assert "ALARM typo: " in out and "bad cron expression 'every hour'" in out


def test_alarm_mail_headers_stay_single_lines_whatever_a_source_is_called() -> None:
    from wirewatch.crawler.health_notify import alarm_message

    hostile = "x\r\nBcc: victim@example.org"
    mail = alarm_message(
        [{"source": hostile, "message": "bad url", "raised_at": NOW}],
        "wirewatch@example.org",
        "ops@example.org",
    )
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert mail["Bcc"] is None
    assert "Bcc:" not in mail.as_string().split("\n\n", 1)[0]


def test_the_error_share_counts_pages_that_never_answered_as_attempted() -> None:
    # 3 responses, 10 DNS failures: once shown as 333%, it is 10 of 13 pages.
    assert failure_share(3, 10, {"dns": 10}) == pytest.approx(10 / 13)
    # A 404 is a response already counted among the pages fetched.
    assert failure_share(10, 4, {"http_404": 4, "not_article": 6}) == pytest.approx(0.4)
    # Runs without outcome counts (older ones) still give a share of at most 1.
    assert failure_share(2, 7, {}) == 1.0
    assert failure_share(0, 0, {}) is None
    assert failure_share(0, 2, {"timeout": 2}) == 1.0


def test_the_rejection_share_is_of_article_pages() -> None:
    assert rejection_share(40, {"paywall": 6, "not_article": 4}) == 0.25
    assert rejection_share(0, {}) is None


def test_status_shows_rejected_pages_per_source_and_kind(
    conn: psycopg.Connection, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_history(conn, config_path)
    # Each of steady's 8 runs: 10 responses, 8 of them article pages; one
    # paywall, one index page; 3 more pages timed out without answering.
    conn.execute(
        "UPDATE crawl_runs SET errors = 4, stats = stats || %s WHERE source = 'steady'",
        (
            json.dumps(
                {
                    "article_pages": 8,
                    "outcomes": {"paywall": 1, "not_article": 1, "timeout": 3},
                }
            ),
        ),
    )
    conn.commit()
    assert main(["--config", str(config_path), "status", "--source", "steady"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-5:] == ["errors", "24h", "rejected", "24h", "health"]
    assert lines[1].split()[-3:] == ["31%", "25%", "ok"]  # 32 of 104 pages; 16 of 64
    main(["--config", str(config_path), "status", "--json"])
    by_name = {s["source"]: s for s in json.loads(capsys.readouterr().out)["sources"]}
    steady = by_name["steady"]
    assert steady["rejected_last_day"] == {"not_article": 8, "paywall": 8}
    assert steady["rejection_share"] == 0.25
    assert steady["error_rate"] == pytest.approx(32 / 104)
    assert by_name["broken"]["rejected_last_day"] == {}
    assert by_name["broken"]["rejection_share"] is None

"""`wirewatch alerts`: subscriptions from the command line and from wirewatch.toml, sending."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import psycopg
import pytest

from tests.support.alerts import WIRE_TEXT, SmtpSink, add_source, outbox, store
from wirewatch.crawler.cli import main


def wirewatch(*args: str) -> int:
    return main(list(args))


def subscription_count(conn: psycopg.Connection) -> int:
    count = conn.execute("SELECT count(*) AS n FROM alert_subscriptions").fetchone()["n"]
    conn.commit()
    return count


def test_add_list_remove(conn, capsys: pytest.CaptureFixture[str]) -> None:
    assert wirewatch("alerts", "add", "--query", '"Mansur" AND Taliban',
                     "--email", "desk@example.org", "--name", "taliban") == 0  # fmt: skip
    assert wirewatch("alerts", "add", "--query", "Wagner NOT music", "--email",
                     "me@example.org", "--digest", "daily", "--exact") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "added subscription 1 (taliban)" in out and "added subscription 2" in out

    assert wirewatch("alerts", "list", "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["id"], r["name"], r["digest"], r["exact"]) for r in rows] == [
        (1, "taliban", "immediate", False),
        (2, None, "daily", True),
    ]
    assert rows[0]["query"] == '"Mansur" AND Taliban' and rows[0]["status"] == "active"

    assert wirewatch("alerts", "remove", "taliban") == 0
    assert wirewatch("alerts", "remove", "2") == 0
    assert subscription_count(conn) == 0
    assert wirewatch("alerts", "remove", "taliban") == 2
    assert "no subscription 'taliban'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--query", "(Wagner OR music", "--email", "a@example.org"], "position 1: unbalanced"),
        (["--query", 'Wagner "army', "--email", "a@example.org"], "position 8: unbalanced quote"),
        (["--query", "NOT music", "--email", "a@example.org"], "none of its terms"),
        (["--query", "Wagner", "--email", "a@example.org\r\nBcc: x@example.org"], "line breaks"),
        (["--query", "Wagner", "--email", "Bob <a@example.org>"], "bare address"),
        (["--query", "Wagner", "--email", "not-an-address"], "name@domain"),
        (["--query", "Wagner", "--webhook", "https://hooks.example.org/x"], "secret_env"),
        (["--query", "Wagner", "--webhook", "ftp://x.example.org/", "--secret-env", "K"], "scheme"),
        (["--query", "Wagner", "--apprise", "nosuchservice://token"], "Apprise"),
        (["--query", "Wagner", "--email", "a@example.org", "--name", "x y"], "name"),
    ],
)
def test_bad_input_is_refused_with_exit_status_2_and_nothing_saved(
    conn, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert wirewatch("alerts", "add", *args) == 2
    assert message in capsys.readouterr().err
    assert subscription_count(conn) == 0


def config_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "wirewatch.toml"
    path.write_text(body, encoding="utf-8")
    return str(path)


ALERTS_TOML = """
[[alert]]
name = "kyiv"
query = "Zelensky AND drones"
email = "desk@example.org"

[[alert]]
name = "libya"
query = "Qaddafi"
email = "libya@example.org"
digest = "daily"
"""


def test_alert_tables_in_the_config_are_synced_on_start(
    conn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(tmp_path, ALERTS_TOML)
    assert wirewatch("--config", path, "alerts", "list", "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["origin"], r["digest"]) for r in rows] == [
        ("kyiv", "config", "immediate"),
        ("libya", "config", "daily"),
    ]
    assert wirewatch("--config", path, "alerts", "remove", "kyiv") == 2
    assert "remove its [[alert]] table" in capsys.readouterr().err

    config_file(tmp_path, ALERTS_TOML.split('[[alert]]\nname = "libya"')[0])
    assert wirewatch("--config", path, "alerts", "list", "--json") == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["name"] for r in rows] == ["kyiv"]


def test_config_errors_name_file_table_and_field(
    conn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(
        tmp_path,
        '[smtp]\nhost = "mail.example.org"\nfrom = "alerts@example.org"\npassword = "hunter2"\n'
        'security = "tls"\n\n[[alert]]\nname = "bad"\nquery = "Wagner AND"\n'
        'email = "a@example.org"\ncolour = "red"\n',
    )
    assert wirewatch("--config", path, "alerts", "list") == 2
    err = capsys.readouterr().err
    assert f"{path}: [smtp]: field 'password': not allowed" in err
    assert f"{path}: [smtp]: field 'security': must be one of none, starttls, ssl" in err
    assert f"{path}: alert 'bad': field 'colour': unknown key" in err
    assert f"{path}: alert 'bad': field 'query': invalid query at position 11" in err
    assert "hunter2" not in err
    assert subscription_count(conn) == 0


def test_send_and_preview_through_the_smtp_url(
    conn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    add_source(conn, "wire", wire=True)
    assert wirewatch("alerts", "add", "--query", "Zelensky", "--email", "desk@example.org") == 0
    store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)
    sink = SmtpSink().start()
    try:
        monkeypatch.setenv("WIREWATCH_SMTP_URL", sink.url())
        capsys.readouterr()
        assert wirewatch("alerts", "preview", "1") == 0
        out = capsys.readouterr().out
        assert "Subject: [wirewatch] alert 1: Zelenskyy says drones downed" in out
        assert "*Zelenskyy*" in out and "Carried by 1 outlet" in out
        assert sink.messages == [] and outbox(conn)[0]["status"] == "pending"

        assert wirewatch("alerts", "send") == 0
        assert "1 sent" in capsys.readouterr().out
        assert len(sink.messages) == 1
        assert wirewatch("alerts", "preview", "1") == 0
        assert "nothing pending" in capsys.readouterr().out
    finally:
        sink.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_is_used_but_never_printed_or_logged(
    conn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "S3cr3t-pa55word"
    add_source(conn, "wire", wire=True)
    sink = SmtpSink(auth=("alerts", secret))
    path = config_file(
        tmp_path,
        f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nsecurity = "none"\n'
        'username = "alerts"\npassword_env = "WW_SMTP_PASSWORD"\nfrom = "alerts@example.org"\n'
        "connect_retries = 0\n",
    )
    monkeypatch.setenv("WW_SMTP_PASSWORD", secret)
    caplog.set_level(logging.DEBUG)
    assert wirewatch("alerts", "add", "--query", "Zelensky", "--email", "desk@example.org") == 0
    store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)

    assert wirewatch("--config", path, "alerts", "send") == 1  # server down: left pending
    sink.start()
    try:
        assert wirewatch("--config", path, "alerts", "send") == 0
        assert sink.logins == ["alerts"] and len(sink.messages) == 1
        monkeypatch.setenv(
            "WIREWATCH_SMTP_URL", f"smtp://alerts:{secret}@127.0.0.1:1?security=none"
        )
        assert wirewatch("--config", path, "alerts", "send") == 0  # nothing due: no connection
    finally:
        sink.stop()
    captured = capsys.readouterr()
    assert "cannot reach smtp://alerts@127.0.0.1" in captured.err
    for text in (captured.out, captured.err, caplog.text):
        assert secret not in text


def test_a_subscription_disabled_by_bounces_can_be_enabled_again(conn, capsys) -> None:
    assert wirewatch("alerts", "add", "--query", "Wagner", "--email", "a@example.org") == 0
    conn.execute(
        "UPDATE alert_subscriptions SET active = false, failures = 3, "
        "disabled_reason = '550 no such user'"
    )
    conn.commit()
    capsys.readouterr()
    assert wirewatch("alerts", "list") == 0
    assert "disabled: 550 no such user" in capsys.readouterr().out
    assert wirewatch("alerts", "enable", "1") == 0
    assert wirewatch("alerts", "list", "--json") == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()[1:]]
    assert row["status"] == "active"


def test_check_tries_a_query_on_a_text_without_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Mullah Akhtar Mansour led the Taliban.", encoding="utf-8")
    assert wirewatch("alerts", "check", "--query", "Mansur AND taliban", str(story)) == 0
    assert capsys.readouterr().out == "query: mansur AND taliban\nmatch: Mansour, Taliban\n"
    assert wirewatch("alerts", "check", "--exact", "--query", "Mansur", str(story)) == 1
    assert capsys.readouterr().out == "query: =mansur\nno match\n"
    assert wirewatch("alerts", "check", "--query", "Mansur AND") == 2
    assert "position 11" in capsys.readouterr().err


def test_alert_times_are_shown_in_the_configured_timezone(
    conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """[alerts] timezone: the body's times in that zone (offset spelled out); Date stays UTC."""
    add_source(conn, "wire", wire=True)
    path = config_file(tmp_path, '[alerts]\ntimezone = "Europe/Kyiv"\n')
    assert wirewatch("alerts", "add", "--query", "Zelensky", "--email", "desk@example.org") == 0
    store(conn, "wire", "Zelenskyy says drones downed", WIRE_TEXT, wire=True)  # 08:00 UTC
    sink = SmtpSink().start()
    try:
        monkeypatch.setenv("WIREWATCH_SMTP_URL", sink.url())
        capsys.readouterr()
        assert wirewatch("--config", path, "alerts", "preview", "1") == 0
        assert "2026-03-02 10:00 EET (UTC+02:00)" in capsys.readouterr().out
        assert wirewatch("--config", path, "alerts", "send") == 0
    finally:
        sink.stop()
    [message] = sink.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "2026-03-02 10:00 EET (UTC+02:00)" in text and "10:00 EET (UTC+02:00)" in html
    assert "08:00 UTC" not in text
    assert re.fullmatch(r"\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000", message["Date"])
    sent = parsedate_to_datetime(message["Date"])
    assert abs((sent - datetime.now(UTC)).total_seconds()) < 120


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('timezone = "Mars/Olympus_Mons"', "unknown time zone 'Mars/Olympus_Mons'"),
        ('timezone = "../../etc/passwd"', "is not an IANA time zone name"),
        ("timezone = 2", "expected str"),
        ('zone = "UTC"', "field 'zone': unknown key"),
    ],
)
def test_a_bad_alerts_timezone_is_a_config_error(
    conn, tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, message: str
) -> None:
    path = config_file(tmp_path, f"[alerts]\n{table}\n")
    assert wirewatch("--config", path, "alerts", "list") == 2
    err = capsys.readouterr().err
    assert f"{path}: [alerts]: field " in err and message in err

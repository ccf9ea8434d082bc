"""`wirewatch errors`: the pages crawls failed on or rejected, with the evidence."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from wirewatch.crawler.cli import main

LONG_EVIDENCE = (
    "paywall phrase 'subscribe to continue reading' on a page with only 312 characters "
    "of text of its own, and a piano-offer element"
)


def seed(conn: psycopg.Connection) -> datetime:
    """Two sources with failures at known ages; returns the reference time."""
    now = datetime.now(UTC)
    for name in ("herald", "wire"):
        conn.execute(
            "INSERT INTO sources (name, kind, urls) VALUES (%s, 'feed', %s)",
            (name, [f"http://127.0.0.1:9/{name}.xml"]),
        )
    herald = conn.execute(
        "INSERT INTO crawl_runs (source, started_at, status) VALUES ('herald', %s, 'partial')"
        " RETURNING id",
        (now - timedelta(hours=30),),
    ).fetchone()
    wire = conn.execute(
        "INSERT INTO crawl_runs (source, started_at, status) VALUES ('wire', %s, 'partial')"
        " RETURNING id",
        (now - timedelta(hours=30),),
    ).fetchone()
    assert herald is not None and wire is not None
    rows = [
        (herald["id"], "herald", "https://herald.example/2026/11/pier", "paywall", LONG_EVIDENCE,
         now - timedelta(minutes=5)),
        (wire["id"], "wire", "https://wire.example/a/123", "blocked",
         "HTTP 403 with a Cloudflare challenge", now - timedelta(minutes=20)),
        (herald["id"], "herald", "https://herald.example/2026/11/dock", "paywall",
         "isAccessibleForFree: false", now - timedelta(hours=3)),
        (herald["id"], "herald", "https://herald.example/gone", "http_404", "HTTP 404",
         now - timedelta(hours=5)),
        (herald["id"], "herald", "https://herald.example/old", "consent_wall",
         "redirected to consent.herald.example", now - timedelta(hours=30)),
    ]  # fmt: skip
    for row in rows:
        conn.execute(
            "INSERT INTO crawl_errors (run_id, source, url, kind, message, at)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            row,
        )
    conn.commit()
    return now


def table_rows(out: str) -> list[list[str]]:
    """Data lines of the table, split on runs of two or more spaces."""
    lines = [line for line in out.splitlines() if line.strip()]
    assert lines[0].split()[:4] == ["time", "(UTC)", "source", "kind"]
    return [re.split(r"\s{2,}", line) for line in lines[1:]]


def test_the_table_lists_the_last_day_newest_first_with_whole_urls_and_cut_evidence(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)
    assert main(["errors"]) == 0
    rows = table_rows(capsys.readouterr().out)
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("herald", "paywall", "https://herald.example/2026/11/pier"),
        ("wire", "blocked", "https://wire.example/a/123"),
        ("herald", "paywall", "https://herald.example/2026/11/dock"),
        ("herald", "http_404", "https://herald.example/gone"),
    ]  # the consent wall of 30 hours ago is outside the default day
    assert rows[1][4] == "HTTP 403 with a Cloudflare challenge"
    evidence = rows[0][4]
    assert evidence.endswith("...") and len(evidence) == 80
    assert LONG_EVIDENCE.startswith(evidence[:-3])
    assert datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M")


def test_json_carries_every_field_and_the_whole_message(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    now = seed(conn)
    assert main(["errors", "--json", "--since", "2d"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [d["kind"] for d in document] == [
        "paywall",
        "blocked",
        "paywall",
        "http_404",
        "consent_wall",
    ]
    first = document[0]
    assert set(first) == {"id", "run_id", "source", "kind", "url", "message", "at"}
    assert first["message"] == LONG_EVIDENCE
    assert first["url"] == "https://herald.example/2026/11/pier"
    at = datetime.fromisoformat(first["at"])
    assert abs(at - (now - timedelta(minutes=5))) < timedelta(seconds=1)
    assert isinstance(first["run_id"], int)


def test_filters_by_source_kind_time_and_count(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)

    def urls(*args: str) -> list[str]:
        assert main(["errors", "--json", *args]) == 0
        return [d["url"] for d in json.loads(capsys.readouterr().out)]

    assert urls("--source", "wire") == ["https://wire.example/a/123"]
    assert urls("--source", "herald", "--kind", "paywall") == [
        "https://herald.example/2026/11/pier",
        "https://herald.example/2026/11/dock",
    ]
    assert urls("--kind", "blocked", "--kind", "http_404") == [
        "https://wire.example/a/123",
        "https://herald.example/gone",
    ]
    assert urls("--since", "1h") == [
        "https://herald.example/2026/11/pier",
        "https://wire.example/a/123",
    ]
    assert urls("--since", "90m", "--source", "herald") == ["https://herald.example/2026/11/pier"]
    assert urls("--limit", "1") == ["https://herald.example/2026/11/pier"]


def test_counts_per_source_and_kind(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)
    assert main(["errors", "--counts", "--json"]) == 0
    counts = {(d["source"], d["kind"]): d["count"] for d in json.loads(capsys.readouterr().out)}
    assert counts == {("herald", "paywall"): 2, ("herald", "http_404"): 1, ("wire", "blocked"): 1}
    assert main(["errors", "--counts", "--since", "2d", "--source", "herald"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["source", "kind", "count"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["herald", "paywall", "2"],
        ["herald", "consent_wall", "1"],
        ["herald", "http_404", "1"],
    ]


def test_nothing_found_says_so_and_exits_0(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)
    assert main(["errors", "--source", "wire", "--kind", "paywall"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no errors since ")
    assert "(source wire; kind paywall)" in out
    assert main(["errors", "--json", "--kind", "timeout"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == []
    assert "no errors since" in captured.err


def test_robots_refusals_point_to_status_because_they_are_counted_per_run(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)
    assert main(["errors", "--kind", "robots_disallowed"]) == 0
    assert "counted per run" in capsys.readouterr().err


def test_an_unknown_source_is_a_usage_error_from_the_real_cli(conn: psycopg.Connection) -> None:
    seed(conn)
    result = run_wirewatch("errors", "--source", "herald", "--source", "nope")
    assert result.returncode == 2
    assert result.stderr.startswith("wirewatch: error: no source named 'nope'")
    assert "herald, wire" in result.stderr
    assert result.stdout == ""


def test_a_configured_source_never_crawled_is_known(
    conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(conn)
    config = tmp_path / "wirewatch.toml"
    config.write_text(
        '[[source]]\nname = "fresh"\nkind = "feed"\nurl = "http://127.0.0.1:9/f.xml"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "errors", "--source", "fresh"]) == 0
    assert capsys.readouterr().out.startswith("no errors since")


def test_a_bad_duration_is_refused(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["errors", "--since", "yesterday"])
    assert exit_info.value.code == 2
    assert "bad duration 'yesterday'" in capsys.readouterr().err

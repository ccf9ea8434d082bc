"""Cron mode and the per-source lock: `crawl --due` against a real database and site."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from wirewatch.crawler import locks
from wirewatch.crawler.cli import main
from wirewatch.crawler.config import Config, loads_config
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.crawler.runner import run_crawls
from wirewatch.crawler.schedule_config import schedule_options
from wirewatch.crawler.schedule_state import due_sources, reap_interrupted_runs
from wirewatch.pipelines import db
from wirewatch.pipelines.queries import Q

ARTICLE = (
    "<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    "{paragraphs}</article></body></html>"
)
SENTENCES = [
    "The harbour council voted on Tuesday evening to rebuild the old wooden pier, which has "
    "been closed to visitors since a storm damaged its northern end two winters ago.",
    "Engineers will present a plan before spring, the council said, and the work should take "
    "most of the summer if the timber arrives from the northern mills on time.",
    "Fishermen who moor beside the pier asked that the slipway stay open during the works, "
    "and the harbour master promised a temporary landing stage on the eastern wall.",
    "The cost, shared between the town and the regional fund for coastal heritage, is "
    "expected to be announced at the next meeting of the finance committee in March.",
]
PARAGRAPHS = "".join(f"<p>{s}</p>" for s in SENTENCES)


def feed(base: str, paths: list[str]) -> str:
    items = "".join(
        f"<item><title>Story {p}</title><link>{base}{p}</link>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>"
        for p in paths
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour</title>'
        f"<link>{base}/</link><description>d</description>{items}</channel></rss>"
    )


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer(None) as srv:
        srv.route("/robots.txt", raw("User-agent: *\nAllow: /\n", "text/plain", validators=False))
        srv.route(
            "/feed.xml",
            raw(feed(srv.base_url, ["/a1.html"]), "application/rss+xml", validators=False),
        )
        srv.route(
            "/a1.html",
            raw(
                ARTICLE.format(title="Pier to be rebuilt", paragraphs=PARAGRAPHS), validators=False
            ),
        )
        yield srv


def write_config(
    tmp_path: Path, base: str, extra: str = "", quay_schedule: str = "0 * * * *"
) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f"""
[[source]]
name = "harbour"
kind = "feed"
url = "{base}/feed.xml"

[[source]]
name = "quay"
kind = "feed"
url = "{base}/feed.xml"
schedule = "{quay_schedule}"
{extra}
""",
        encoding="utf-8",
    )
    return path


def add_source_rows(conn: psycopg.Connection, config: Config) -> None:
    for source in config.sources:
        conn.execute(Q.upsert_source, source.as_row())


def add_run(
    conn: psycopg.Connection, source: str, started: datetime, status: str = "ok", new: int = 1
) -> int:
    row = conn.execute(
        "INSERT INTO crawl_runs (source, started_at, finished_at, status, articles_new)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (source, started, None if status == "running" else started, status, new),
    ).fetchone()
    assert row is not None
    return row["id"]


def wirewatch(*args: str, env_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=env_url)
    return subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_lock_keys_are_stable_and_distinct() -> None:
    assert locks.source_lock_key("apnews") == locks.source_lock_key("apnews")
    assert locks.source_lock_key("apnews") != locks.source_lock_key("reuters")
    assert -(2**63) <= locks.source_lock_key("apnews") < 2**63


def test_a_source_locked_elsewhere_is_skipped_not_crawled(
    db_url: str, tmp_path: Path, site: FixtureServer
) -> None:
    config = loads_config(write_config(tmp_path, site.base_url).read_text(), tmp_path / "w.toml")
    with db.connect(db_url, autocommit=True) as other:
        assert locks.try_lock(other, locks.source_lock_key("harbour"))
        assert locks.locked_sources(other, ["harbour", "quay"]) == {"harbour"}
        summaries = run_crawls(config, [config.source("harbour")], database_url=db_url)
    assert [(s.source, s.status) for s in summaries] == [("harbour", "skipped")]
    assert site.hits == {}


def test_due_sources_follow_each_schedule(conn: psycopg.Connection, tmp_path: Path) -> None:
    config = loads_config(write_config(tmp_path, "http://127.0.0.1:9").read_text())
    add_source_rows(conn, config)
    options = schedule_options(config)
    now = datetime.now(UTC)
    sources = list(config.sources)
    assert [s.name for s in due_sources(conn, sources, options, now)] == ["harbour", "quay"]
    add_run(conn, "harbour", now - timedelta(minutes=5))
    add_run(conn, "quay", now - timedelta(minutes=5))
    # harbour: default 15 min interval; quay: hourly cron, due once the hour has turned.
    assert due_sources(conn, sources, options, now) == (
        [config.source("quay")] if now.minute < 5 else []
    )
    later = now + timedelta(minutes=16)
    due_later = {s.name for s in due_sources(conn, sources, options, later)}
    assert "harbour" in due_later


def test_a_run_left_running_by_a_dead_process_is_closed_and_rerun(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    config = loads_config(write_config(tmp_path, "http://127.0.0.1:9").read_text())
    add_source_rows(conn, config)
    options = schedule_options(config)
    now = datetime.now(UTC)
    add_run(conn, "harbour", now - timedelta(hours=1))
    dead = add_run(conn, "harbour", now - timedelta(minutes=1), status="running")
    alive = add_run(conn, "quay", now - timedelta(minutes=1), status="running")
    with db.connect(conn.info.dsn, autocommit=True) as crawler_conn:
        assert locks.try_lock(crawler_conn, locks.source_lock_key("quay"))
        assert reap_interrupted_runs(conn) == [dead]
    rows = {r["id"]: r for r in conn.execute("SELECT id, status, finish_reason FROM crawl_runs")}
    assert (rows[dead]["status"], rows[dead]["finish_reason"]) == ("failed", "interrupted")
    assert rows[alive]["status"] == "running"
    assert config.source("harbour") in due_sources(conn, [config.source("harbour")], options, now)


def test_cron_mode_crawls_what_is_due_and_then_nothing(
    db_url: str, tmp_path: Path, site: FixtureServer
) -> None:
    # A yearly schedule: an hourly one would make "quay" due again whenever
    # the two runs straddle the top of an hour.
    path = write_config(tmp_path, site.base_url, quay_schedule="0 0 1 1 *")
    first = wirewatch("--config", str(path), "crawl", "--due", env_url=db_url)
    assert first.returncode == 0, first.stderr
    assert "harbour" in first.stdout and "quay" in first.stdout
    assert site.hits["/feed.xml"] == 2  # once per source
    second = wirewatch("--config", str(path), "crawl", "--due", env_url=db_url)
    assert second.returncode == 0, second.stderr
    assert "no source is due" in second.stderr
    with db.connect(db_url) as conn:
        rows = conn.execute("SELECT status, stats FROM crawl_runs ORDER BY id").fetchall()
    assert [r["status"] for r in rows] == ["ok", "ok"]
    # Each run measured its article pages: all had a body, of about the article's length.
    stats = rows[0]["stats"]
    assert stats["article_pages"] >= 1 and stats["extraction_yield"] == 1.0
    assert sum(map(len, SENTENCES)) * 0.8 < stats["median_body_chars"] < 1000
    assert set(stats["latency_s"]) == {"published_to_discovered", "discovered_to_stored"}


def test_a_crawl_started_outside_wirewatch_takes_the_lock_too(
    db_url: str, tmp_path: Path, site: FixtureServer
) -> None:
    """`scrapy crawl` (a scrapyd node) honours the lock a cron run or the daemon holds."""
    path = write_config(tmp_path, site.base_url)
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "feed",
        "-a",
        "source=harbour",
        "-s",
        f"WIREWATCH_CONFIG={path}",
    ]
    env = dict(os.environ, DATABASE_URL=db_url, SCRAPY_SETTINGS_MODULE="wirewatch.crawler.settings")
    with db.connect(db_url, autocommit=True) as other:
        assert locks.try_lock(other, locks.source_lock_key("harbour"))
        locked = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert "Spider closed (source_locked)" in locked.stderr
    assert "/feed.xml" not in site.hits
    with db.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) AS n FROM crawl_runs").fetchone() == {"n": 0}
    free = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert "Spider closed (finished)" in free.stderr
    with db.connect(db_url) as conn:
        assert [r["status"] for r in conn.execute("SELECT status FROM crawl_runs")] == ["ok"]


def test_cron_mode_leaves_a_broken_source_out_and_crawls_the_others(
    db_url: str, tmp_path: Path, site: FixtureServer
) -> None:
    path = write_config(
        tmp_path, site.base_url, '\n[[source]]\nname = "typo"\nkind = "feed"\nurl = "ftp://x"\n'
    )
    result = wirewatch(
        "--config", str(path), "crawl", "--due", "--source", "harbour", env_url=db_url
    )
    assert result.returncode == 1  # cron mails about it
    assert "source typo is not crawled" in result.stderr and "scheme must be http" in result.stderr
    assert "harbour" in result.stdout and site.hits["/feed.xml"] == 1
    # By hand, a broken file is an error (refused before anything is crawled).
    assert main(["--config", str(path), "crawl", "--source", "harbour"]) == 2


def test_shared_holders_exclude_an_exclusive_crawl_and_count_as_running(db_url: str) -> None:
    key = locks.source_lock_key("harbour")
    with (
        db.connect(db_url, autocommit=True) as one,
        db.connect(db_url, autocommit=True) as two,
        db.connect(db_url, autocommit=True) as cron,
    ):
        assert locks.try_lock_shared(one, key) and locks.try_lock_shared(two, key)
        assert not locks.try_lock(cron, key)
        assert locks.is_locked(cron, key)

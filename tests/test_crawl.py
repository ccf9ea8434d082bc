"""`wirewatch crawl` end to end: a loopback site, a real PostgreSQL, bad input.

Each crawl runs in a child process, as cron would run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article, feed
from wirewatch.crawler.demo.server import (
    FixtureServer,
    binary,
    huge,
    raw,
    redirect_loop,
    slow,
    status,
)

GOOD = ["/news/ferry.html", "/news/bridge.html?utm_source=rss", "/news/cyrillic.html"]
BAD = {
    "/news/missing.html": status(404),
    "/news/broken.html": status(500),
    "/news/loop.html": redirect_loop(),
    "/news/photo.jpg": binary(50_000, "image/jpeg"),
    "/news/huge.html": huge(400_000),
    "/news/slow.html": slow(10),
}


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        base = server.base_url
        server.route("/robots.txt", raw("User-agent: *\nDisallow: /private/\n", "text/plain"))
        server.route("/news/ferry.html", raw(article("Ferry line delayed", "ferry")))
        server.route("/news/bridge.html", raw(article("Bridge closed for repairs", "bridge")))
        # Declared windows-1251 and sent as windows-1251 bytes with no charset header.
        cyrillic = article("Паромная линия откладывается", "паром", charset="windows-1251")
        server.route("/news/cyrillic.html", raw(cyrillic.encode("windows-1251"), "text/html"))
        for path, handler in BAD.items():
            server.route(path, handler)
        server.route("/feed.xml", raw(feed(base, GOOD + list(BAD)), "application/rss+xml"))
        server.route("/empty.xml", raw(feed(base, []), "application/rss+xml"))
        server.route("/bad-sitemap.xml", raw(b"<urlset><url><loc>", "application/xml"))
        yield server


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f"""
[[source]]
name = "alder"
kind = "feed"
url = "{base}/feed.xml"
# Re-read recent articles on every run (stored ones are otherwise never refetched).
recheck_after = "1h"

[[source]]
name = "quiet"
kind = "feed"
url = "{base}/empty.xml"

[[source]]
name = "broken-map"
kind = "sitemap"
url = "{base}/bad-sitemap.xml"

[[source]]
name = "gone"
kind = "feed"
url = "http://127.0.0.1:9/feed.xml"

[crawl]
download_timeout = 1
max_page_bytes = 200000
"""
    )
    return path


def test_a_crawl_stores_every_article_once_and_records_every_failure(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, site.base_url)
    first = run_wirewatch("--config", str(config), "crawl")
    assert first.returncode == 1, first.stderr  # sources that failed entirely
    assert "failed entirely: broken-map, gone" in first.stderr
    assert "alder" in first.stdout and "partial" in first.stdout

    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT url, title, text, source FROM wirewatch.articles ORDER BY title"
        ).fetchall()
        titles = [r[1] for r in rows]
        assert titles == [
            "Bridge closed for repairs",
            "Ferry line delayed",
            "Паромная линия откладывается",
        ]
        assert all(r[3] == "alder" for r in rows)
        assert "utm_source" not in " ".join(r[0] for r in rows)
        assert "Skip to main content" not in " ".join(r[2] for r in rows)
        assert "паром" in rows[2][2].lower()
        errors = dict(
            conn.execute(
                "SELECT e.url, e.kind FROM wirewatch.crawl_errors e WHERE e.source = 'alder'"
            ).fetchall()
        )
        base = site.base_url
        assert errors[f"{base}/news/missing.html"] == "http_404"
        assert errors[f"{base}/news/broken.html"] == "http_500"
        assert errors[f"{base}/news/loop.html"] == "redirect_loop"
        assert errors[f"{base}/news/photo.jpg"] == "not_html"
        assert errors[f"{base}/news/huge.html"] == "too_large"
        assert errors[f"{base}/news/slow.html"] == "timeout"
        runs = dict(conn.execute("SELECT source, status FROM wirewatch.crawl_runs").fetchall())
        assert runs == {"alder": "partial", "quiet": "ok", "broken-map": "failed", "gone": "failed"}
        kinds = {
            r[0]
            for r in conn.execute(
                "SELECT kind FROM wirewatch.crawl_errors WHERE source IN ('broken-map', 'gone')"
            )
        }
        assert kinds == {"bad_sitemap", "connection"}

    second = run_wirewatch("--config", str(config), "crawl", "--source", "alder")
    assert second.returncode == 0, second.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0] == 3
        new, unchanged = conn.execute(
            "SELECT articles_new, articles_unchanged FROM wirewatch.crawl_runs"
            " WHERE source = 'alder' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert (new, unchanged) == (0, 3)


def test_a_changed_article_is_updated_not_duplicated(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, site.base_url)
    assert run_wirewatch("--config", str(config), "crawl", "--source", "alder").returncode == 0
    site.route("/news/ferry.html", raw(article("Ferry line delayed until summer", "ferry")))
    assert run_wirewatch("--config", str(config), "crawl", "--source", "alder").returncode == 0
    with psycopg.connect(db_url) as conn:
        titles = [
            r[0]
            for r in conn.execute(
                "SELECT title FROM wirewatch.articles WHERE url LIKE %s", ("%/news/ferry.html",)
            )
        ]
        assert titles == ["Ferry line delayed until summer"]
        updated = conn.execute(
            "SELECT articles_updated FROM wirewatch.crawl_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
        assert updated == 1


def test_an_unknown_source_is_a_usage_error(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, site.base_url)
    result = run_wirewatch("--config", str(config), "crawl", "--source", "nope")
    assert result.returncode == 2
    assert "no source named 'nope'" in result.stderr

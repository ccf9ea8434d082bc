"""Sources that find their own listings: a robots.txt URL for a sitemap source, discover = true."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article, feed
from wirewatch.crawler.config import loads_config
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.crawler.source_discovery import listing_change, robots_listings, start_urls
from wirewatch.pipelines.errors import ConfigError

SITEMAP = """<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}</urlset>"""


def sitemap(base: str, paths: list[str]) -> str:
    return SITEMAP.format(urls="".join(f"<url><loc>{base}{p}</loc></url>" for p in paths))


def _urls(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("SELECT url FROM articles").fetchall()
    conn.commit()
    return {row["url"].split("/", 3)[-1] for row in rows}


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(body + "\n[crawl]\nobey_robots = true\n")
    return path


def test_a_sitemap_source_given_a_robots_txt(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        base = server.base_url
        server.route(
            "/robots.txt",
            raw(
                f"User-agent: *\nDisallow: /private/\nSitemap: {base}/maps/news.xml\n", "text/plain"
            ),
        )
        server.route("/maps/news.xml", raw(sitemap(base, ["/n/ferry.html"]), "application/xml"))
        server.route("/n/ferry.html", raw(article("Ferry line delayed", "ferry")))
        config = _config(
            tmp_path,
            f'[[source]]\nname = "harbour"\nkind = "sitemap"\nurl = "{base}/robots.txt"\n',
        )
        result = run_wirewatch("--config", str(config), "crawl")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _urls(conn) == {"n/ferry.html"}


def test_discover_follows_a_feed_that_moved(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        base = server.base_url

        def home(feed_path: str) -> str:
            return (
                '<html><head><link rel="alternate" type="application/rss+xml" '
                f'href="{feed_path}"></head><body><h1>Alder Post</h1></body></html>'
            )

        server.route("/", raw(home("/feeds/old.xml")))
        server.route("/feeds/old.xml", raw(feed(base, ["/a/ferry.html"]), "application/rss+xml"))
        server.route("/feeds/new.xml", raw(feed(base, ["/a/bridge.html"]), "application/rss+xml"))
        server.route("/a/ferry.html", raw(article("Ferry line delayed", "ferry")))
        server.route("/a/bridge.html", raw(article("Bridge closed for repairs", "bridge")))
        config = _config(
            tmp_path,
            f'[[source]]\nname = "alder"\nkind = "feed"\nurl = "{base}/"\ndiscover = true\n',
        )
        first = run_wirewatch("--config", str(config), "crawl")
        assert first.returncode == 0, first.stderr[-3000:]
        assert _urls(conn) == {"a/ferry.html"}
        server.route("/", raw(home("/feeds/new.xml")))  # the site moved its feed
        second = run_wirewatch("--config", str(config), "crawl")
    assert second.returncode == 0, second.stderr[-3000:]
    assert _urls(conn) == {"a/ferry.html", "a/bridge.html"}
    assert "discovery:" in second.stderr and "no longer" in second.stderr
    state = conn.execute(
        "SELECT children FROM listing_state WHERE source = 'alder' AND url = %s", (f"{base}/",)
    ).fetchone()
    assert state["children"] == [f"{base}/feeds/new.xml"]
    # The move is part of the run's record: status shows it.
    status = run_wirewatch("--config", str(config), "status", "alder")
    assert "listing changes found by discovery" in status.stdout, status.stdout
    moved = [line for line in status.stdout.splitlines() if "no longer" in line]
    assert len(moved) == 1 and f"now also {base}/feeds/new.xml" in moved[0]
    assert f"no longer {base}/feeds/old.xml" in moved[0]
    as_json = run_wirewatch("--config", str(config), "status", "alder", "--json")
    runs = json.loads(as_json.stdout)["runs"]
    assert [len(run["listing_changes"]) for run in runs] == [1, 0]


def test_a_discovering_site_without_robots_txt_is_read_from_its_sitemap_xml(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    with FixtureServer() as server:
        base = server.base_url  # no /robots.txt route: the server answers 404
        server.route("/sitemap.xml", raw(sitemap(base, ["/n/tide.html"]), "application/xml"))
        server.route("/n/tide.html", raw(article("Spring tide floods the quay", "tide")))
        config = _config(
            tmp_path,
            f'[[source]]\nname = "quay"\nkind = "sitemap"\nurl = "{base}/"\ndiscover = true\n',
        )
        result = run_wirewatch("--config", str(config), "crawl")
    assert result.returncode == 0, result.stderr[-3000:]
    assert _urls(conn) == {"n/tide.html"}
    run = conn.execute("SELECT status, errors FROM crawl_runs WHERE source = 'quay'").fetchone()
    assert (run["status"], run["errors"]) == ("ok", 0)


def test_discover_config_and_start_urls() -> None:
    assert start_urls("sitemap", ["https://h.example/news/"], True) == [
        "https://h.example/robots.txt"
    ]
    assert start_urls("feed", ["https://h.example/"], True) == ["https://h.example/"]
    assert start_urls("sitemap", ["https://h.example/s.xml"], False) == ["https://h.example/s.xml"]
    assert robots_listings("User-agent: *\n", "https://h.example/robots.txt") == [
        "https://h.example/sitemap.xml"
    ]
    assert listing_change(None, ["a"]) is None
    assert listing_change(["a"], ["a"]) is None
    assert listing_change(["a"], ["b"]) == "now also b; no longer a"
    text = '[[source]]\nname = "s"\nkind = "section"\nurl = "https://h.example/"\ndiscover = true\n'
    with pytest.raises(ConfigError, match="only feed and sitemap sources discover"):
        loads_config(text)

"""Crawling twice fetches only what is new: 304s for listings, no stored article again.

A real loopback site and a real PostgreSQL; every crawl is a child process,
as cron runs it.  The server's request log is the evidence of what was fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.crawls import override_settings
from tests.support.pages import article_html, feed_xml, sitemap_index, urlset
from wirewatch.crawler.demo.server import FixtureServer, raw, unchanged_validators


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        base = server.base_url
        server.route("/robots.txt", raw("User-agent: *\nDisallow: /private/\n", "text/plain"))
        for n in range(1, 13):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        server.route("/private/secret.html", raw(article_html(99)))
        server.route(
            "/feed.xml",
            raw(
                feed_xml(base, [1, 2, 3, 4], [f"{base}/private/secret.html"]),
                "application/rss+xml",
            ),
        )
        server.route(
            "/maps/index.xml", raw(sitemap_index(base, ["a.xml", "b.xml"]), "application/xml")
        )
        server.route("/maps/a.xml", raw(urlset(base, [5, 6]), "application/xml"))
        server.route("/maps/b.xml", raw(urlset(base, [7, 8]), "application/xml"))
        yield server


def write_config(tmp_path: Path, base: str, extra: str = "") -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f"""
[[source]]
name = "district"
kind = "feed"
url = "{base}/feed.xml"
{extra}

[[source]]
name = "maps"
kind = "sitemap"
url = "{base}/maps/index.xml"
"""
    )
    return path


def crawl(config: Path, *sources: str) -> None:
    args = ["--config", str(config), "crawl"]
    for source in sources:
        args += ["--source", source]
    result = run_wirewatch(*args)
    assert result.returncode == 0, result.stdout + result.stderr


def fetched(server: FixtureServer) -> dict[str, list[int]]:
    """Statuses served per path (robots.txt left out)."""
    seen: dict[str, list[int]] = {}
    for record in server.log:
        if record.target != "/robots.txt":
            seen.setdefault(record.target, []).append(record.status)
    return seen


def stored_count(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0]


def test_second_crawl_gets_304s_and_fetches_no_stored_article(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, site.base_url)
    crawl(config)
    first = fetched(site)
    assert {f"/news/{n}.html" for n in range(1, 9)} <= set(first)
    assert "/private/secret.html" not in first  # robots.txt disallows it
    assert all(statuses == [200] for statuses in first.values()), first
    assert stored_count(db_url) == 8

    site.reset_hits()
    crawl(config)
    second = fetched(site)
    # Listings answered 304 (the sitemap index's children are still asked);
    # not one article fetched again.
    assert second == {
        "/feed.xml": [304],
        "/maps/index.xml": [304],
        "/maps/a.xml": [304],
        "/maps/b.xml": [304],
    }
    with psycopg.connect(db_url) as conn:
        runs = conn.execute(
            "SELECT source, status FROM wirewatch.crawl_runs ORDER BY id DESC LIMIT 2"
        ).fetchall()
    assert {status for _, status in runs} == {"ok"}


def test_new_articles_in_a_changed_listing_are_the_only_ones_fetched(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, site.base_url)
    crawl(config, "district")
    site.route(
        "/feed.xml", raw(feed_xml(site.base_url, [1, 2, 3, 4, 9, 10]), "application/rss+xml")
    )
    site.reset_hits()
    crawl(config, "district")
    assert fetched(site) == {"/feed.xml": [200], "/news/9.html": [200], "/news/10.html": [200]}
    assert stored_count(db_url) == 6


def test_a_failed_article_is_retried_next_run_although_its_listing_did_not_change(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    from wirewatch.crawler.demo.server import status

    site.route("/news/3.html", status(500))
    config = write_config(tmp_path, site.base_url)
    run_wirewatch("--config", str(config), "crawl", "--source", "district")
    assert stored_count(db_url) == 3
    site.route("/news/3.html", raw(article_html(3)))
    site.reset_hits()
    crawl(config, "district")
    # The listing's validators were not saved: it is read in full, and only
    # the article that failed is fetched.
    assert fetched(site) == {"/feed.xml": [200], "/news/3.html": [200]}
    assert stored_count(db_url) == 4


def test_a_server_whose_validators_lie_is_caught_and_checked_by_hash(
    site: FixtureServer, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = site.base_url
    bodies = [feed_xml(base, [1]), feed_xml(base, [1, 2]), feed_xml(base, [1, 2, 3])]
    # 304 whenever the (never changing) validators match: the changes stay hidden
    # until a full, verifying fetch compares the content hash.
    site.route("/feed.xml", unchanged_validators(bodies, honor_conditional=True))
    override_settings(tmp_path, monkeypatch, WIREWATCH_VALIDATOR_VERIFY_EVERY=2)
    config = write_config(tmp_path, base)
    crawl(config, "district")  # full fetch: body 0, article 1
    crawl(config, "district")  # conditional: 304, the change to body 1 is hidden
    assert stored_count(db_url) == 1
    crawl(config, "district")  # verifying fetch: body 1 under the same ETag
    assert stored_count(db_url) == 2
    site.reset_hits()
    crawl(config, "district")  # no validators sent any more: full fetch, body 2
    assert [(r.if_none_match, r.status) for r in site.log if r.target == "/feed.xml"] == [
        (None, 200)
    ]
    assert stored_count(db_url) == 3
    with psycopg.connect(db_url) as conn:
        trusted, reason = conn.execute(
            "SELECT validators_trusted, distrust_reason FROM wirewatch.listing_state"
            " WHERE url = %s",
            (f"{base}/feed.xml",),
        ).fetchone()
    assert trusted is False and "same ETag" in reason

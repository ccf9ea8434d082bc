"""Walls met during a real crawl are recorded by kind and never stored as articles."""

from __future__ import annotations

from pathlib import Path

import psycopg

from crawler.demo.server import FixtureServer, raw
from tests.conftest import run_wirewatch
from tests.test_classify import ACCESS_DENIED, CLOUDFLARE_STYLE, CONSENT, PAYWALL_TEASER
from tests.test_crawl_incremental import article_html, feed_xml

WALLS = {
    "/news/challenge.html": (raw(CLOUDFLARE_STYLE), "blocked"),
    "/news/forbidden.html": (raw(ACCESS_DENIED, status=403, validators=False), "blocked"),
    "/news/consent.html": (raw(CONSENT), "consent_wall"),
    "/news/paywall.html": (raw(PAYWALL_TEASER), "paywall"),
}


def test_blocked_consent_and_paywall_pages_are_rejected_by_kind(
    tmp_path: Path, db_url: str
) -> None:
    with FixtureServer() as server:
        base = server.base_url
        server.route("/news/1.html", raw(article_html(1)))
        for path, (handler, _) in WALLS.items():
            server.route(path, handler)
        server.route(
            "/feed.xml", raw(feed_xml(base, [1], [base + p for p in WALLS]), "application/rss+xml")
        )
        config = tmp_path / "wirewatch.toml"
        config.write_text(f'[[source]]\nname = "walls"\nkind = "feed"\nurl = "{base}/feed.xml"\n')
        result = run_wirewatch("--config", str(config), "crawl")
        assert "Traceback" not in result.stderr, result.stderr

    with psycopg.connect(db_url) as conn:
        urls = [r[0] for r in conn.execute("SELECT url FROM wirewatch.articles")]
        errors = dict(conn.execute("SELECT url, kind FROM wirewatch.crawl_errors").fetchall())
    assert urls == [f"{base}/news/1.html"]
    assert errors == {base + path: kind for path, (_, kind) in WALLS.items()}

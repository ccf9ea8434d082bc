"""Walls met during a real crawl are recorded by kind and never stored as articles;
articles that only look like walls (bot-management scripts, huge inline scripts,
metered paywalls) are stored, the paywalled ones flagged."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from tests.conftest import run_wirewatch
from tests.support.pages import article_html, feed_xml
from tests.support.walls import (
    ACCESS_DENIED,
    ARTICLE_WITH_CLOUDFLARE_SCRIPT,
    ARTICLE_WITH_INCAPSULA_BEACON,
    CLOUDFLARE_STYLE,
    CONSENT,
    HUGE_SCRIPTS_FIRST,
    LONG_TEASER,
    METERED_FULL_TEXT,
    PAYWALL_TEASER,
)
from wirewatch.crawler.demo.server import FixtureServer, raw

HEADLINES = (
    "<html><head><title>World news</title></head><body><ul>"
    + "".join(
        f"<li><a href='/news/{n}.html'>Harbour council story number {n} today</a></li>"
        for n in range(40)
    )
    + "</ul></body></html>"
).encode()

WALLS = {
    "/news/challenge.html": (raw(CLOUDFLARE_STYLE), "blocked"),
    "/news/forbidden.html": (raw(ACCESS_DENIED, status=403, validators=False), "blocked"),
    "/news/consent.html": (raw(CONSENT), "consent_wall"),
    "/news/paywall.html": (raw(PAYWALL_TEASER), "paywall"),
    "/news/teaser.html": (raw(LONG_TEASER), "paywall"),
    # Not a wall, not an article either: listed all the same, so it can be found.
    "/news/index.html": (raw(HEADLINES), "not_article"),
}
# path -> (page, paywalled)
LOOKALIKES = {
    "/news/cloudflare.html": (ARTICLE_WITH_CLOUDFLARE_SCRIPT, False),
    "/news/incapsula.html": (ARTICLE_WITH_INCAPSULA_BEACON, False),
    "/news/huge.html": (HUGE_SCRIPTS_FIRST, True),
    "/news/metered.html": (METERED_FULL_TEXT, True),
}


def test_walls_are_rejected_by_kind_and_lookalike_articles_are_stored(
    tmp_path: Path, db_url: str
) -> None:
    with FixtureServer() as server:
        base = server.base_url
        server.route("/news/1.html", raw(article_html(1)))
        for path, (handler, _) in WALLS.items():
            server.route(path, handler)
        for path, (body, _) in LOOKALIKES.items():
            server.route(path, raw(body))
        listed = [base + p for p in [*WALLS, *LOOKALIKES]]
        server.route("/feed.xml", raw(feed_xml(base, [1], listed), "application/rss+xml"))
        config = tmp_path / "wirewatch.toml"
        config.write_text(f'[[source]]\nname = "walls"\nkind = "feed"\nurl = "{base}/feed.xml"\n')
        result = run_wirewatch("--config", str(config), "crawl")
        assert "Traceback" not in result.stderr, result.stderr

    with psycopg.connect(db_url) as conn:
        stored = dict(conn.execute("SELECT url, paywalled FROM wirewatch.articles").fetchall())
        errors = dict(conn.execute("SELECT url, kind FROM wirewatch.crawl_errors").fetchall())
        view = dict(conn.execute("SELECT url, paywalled FROM wirewatch_feed.articles").fetchall())
    assert stored == {
        f"{base}/news/1.html": False,
        **{base + path: paywalled for path, (_, paywalled) in LOOKALIKES.items()},
    }
    assert view == stored
    assert errors == {base + path: kind for path, (_, kind) in WALLS.items()}
    listed = run_wirewatch("errors", "--kind", "not_article", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["url"] == f"{base}/news/index.html" and row["message"]

"""Over-long URLs, canonical URLs and titles are stored, never a permanent store failure.

A btree index row holds at most ~2,700 bytes; an article whose canonical URL
was 9,000 characters long failed with "index row requires 9048 bytes" on
every run.  Random characters, because a repetitive value would be
compressed below the limit and hide the problem.
"""

from __future__ import annotations

import hashlib
import random
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_wirewatch
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import NEW, UNCHANGED, store_article
from wirewatch.pipelines.urls import MAX_KEY_BYTES, url_key

T0 = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
TEXT = (
    "The harbour authority of Port Alder confirmed on Monday that the new ferry line to the "
    "outer islands will not open before the spring, citing delays at the shipyard. "
) * 4


def noise(length: int, seed: int) -> str:
    """Incompressible URL-safe characters."""
    rng = random.Random(seed)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=length))


def long_words(length: int, seed: int) -> str:
    """A title of ``length`` characters: words, and one word too long for a lexeme."""
    words = [noise(8, seed + i) for i in range(length // 18)]
    title = " ".join(words) + " " + noise(3000, seed)
    return (title + " " + noise(length, seed + 1))[:length]


def item(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "url": url,
        "source": "herald",
        "outlet": "herald.example",
        "title": "Ferry line delayed",
        "text": TEXT,
        "published": T0,
        "fetched_at": T0,
        "content_hash": hashlib.sha256(TEXT.encode()).hexdigest(),
        **extra,
    }


@pytest.fixture
def herald(conn: psycopg.Connection) -> None:
    conn.execute(
        Q.upsert_source,
        {
            "name": "herald",
            "kind": "feed",
            "urls": ["https://herald.example/feed"],
            "wire": False,
            "schedule": None,
            "settings": "{}",
        },
    )
    conn.commit()


def test_a_9000_character_url_canonical_url_and_title_are_stored_once(
    conn: psycopg.Connection, herald: None
) -> None:
    url = f"https://herald.example/news/{noise(9000, 1)}"
    canonical = f"https://herald.example/canonical/{noise(9000, 2)}"
    title = long_words(9000, 3)
    article = item(url, canonical_url=canonical, title=title)

    first = store_article(conn, article)
    conn.commit()
    second = store_article(conn, article)
    conn.commit()

    assert (first.status, second.status) == (NEW, UNCHANGED)
    rows = conn.execute("SELECT url, url_key, canonical_url, title FROM articles").fetchall()
    assert len(rows) == 1
    # The full values are kept; only the key is cut, with a digest of the whole.
    assert (rows[0]["url"], rows[0]["canonical_url"], rows[0]["title"]) == (url, canonical, title)
    assert rows[0]["url_key"] == url_key(url)
    assert len(rows[0]["url_key"].encode()) <= MAX_KEY_BYTES
    # Looked up by key, as the crawler does before fetching (indexed, exact).
    assert conn.execute(Q.article_by_url_key, {"url_key": url_key(url)}).fetchone()["url"] == url
    known = conn.execute(
        Q.settled_url_keys, {"url_keys": [url_key(url), url_key(url + "x")], "recheck_after": 0}
    ).fetchall()
    assert [r["url_key"] for r in known] == [url_key(url)]
    # And by the full URL or canonical URL, through their (hash) indexes.
    found = conn.execute(
        "SELECT count(*) AS n FROM articles WHERE url = %s AND canonical_url = %s", (url, canonical)
    ).fetchone()
    assert found["n"] == 1


def test_spellings_of_a_long_url_still_share_its_key() -> None:
    long = f"https://www.herald.example/news/{noise(5000, 8)}"
    assert url_key(long + "/?utm_source=rss#top") == url_key(long)
    assert url_key(long).startswith("herald.example/news/")


def test_long_urls_that_share_a_long_prefix_stay_apart(
    conn: psycopg.Connection, herald: None
) -> None:
    base = f"https://herald.example/news/{noise(5000, 4)}"
    keys = {url_key(base + "/a"), url_key(base + "/b")}
    assert len(keys) == 2
    for suffix in ("/a", "/b"):
        store_article(conn, item(base + suffix))
    conn.commit()
    assert conn.execute("SELECT count(*) AS n FROM articles").fetchone()["n"] == 2


@pytest.mark.parametrize(
    "key",
    [
        "example.com/a",
        "example.com/" + "a" * (MAX_KEY_BYTES - 12),  # exactly at the bound
        "example.com/" + "a" * (MAX_KEY_BYTES - 11),  # one byte over
        "example.com/" + "é" * 1500,  # over the bound in bytes, not in characters
        "example.com/" + "ж" * 999,  # 2,010 bytes, 1,011 characters
        "example.com/" + noise(9000, 5),
    ],
)
def test_the_database_bounds_a_key_as_crawler_urls_does(conn: psycopg.Connection, key: str) -> None:
    """Migration 0062 rewrote stored keys with bounded_url_key(): both sides must agree."""
    from wirewatch.pipelines.urls import bounded_key

    in_sql = conn.execute("SELECT bounded_url_key(%s) AS key", (key,)).fetchone()["key"]
    assert in_sql == bounded_key(key)
    assert len(bounded_key(key).encode()) <= MAX_KEY_BYTES


def test_a_crawled_page_with_a_9000_character_canonical_url_and_title(
    tmp_path: Path, db_url: str
) -> None:
    """The failure seen in the field, through the real crawl path, twice."""
    canonical = f"https://herald.example/canonical/{noise(9000, 6)}"
    title = long_words(9000, 7)
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{canonical}">'
        '<meta property="article:published_time" content="2026-11-20T08:30:00+00:00">'
        f"</head><body><article><h1>{title}</h1><p>{TEXT}</p><p>{TEXT}</p></article>"
        "</body></html>"
    )
    with FixtureServer() as site:
        feed = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Herald</title>'
            f"<item><title>Long</title><link>{site.base_url}/news/long.html</link></item>"
            "</channel></rss>"
        )
        site.route("/feed.xml", raw(feed, "application/rss+xml"))
        site.route("/news/long.html", raw(page))
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f'[[source]]\nname = "herald"\nkind = "feed"\nurl = "{site.base_url}/feed.xml"\n'
            'recheck_after = "1h"\n'
        )
        results = [run_wirewatch("--config", str(config), "crawl") for _ in range(2)]
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(db_url) as check:
        rows = check.execute("SELECT canonical_url, title FROM wirewatch.articles").fetchall()
        assert len(rows) == 1
        assert rows[0][0] == canonical and len(rows[0][1]) > 8000
        runs = check.execute(
            "SELECT articles_new, articles_unchanged, errors FROM wirewatch.crawl_runs ORDER BY id"
        ).fetchall()
        assert runs == [(1, 0, 0), (0, 1, 0)]

"""Finding article URLs in feeds, sitemaps and section pages."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wirewatch.crawler.discovery import (
    DiscoveryError,
    UnsafeXml,
    parse_feed,
    parse_sitemap,
    section_links,
)

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Wire</title><link>https://wire.example/</link>
<item><title>Ferry line delayed</title><link>/2026/ferry-line-delayed</link>
<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
<item><title>Bridge reopens</title><link>https://wire.example/2026/bridge-reopens</link></item>
<item><title>No link here</title></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Северный вестник</title>
<id>urn:x</id><updated>2026-11-23T08:00:00Z</updated>
<entry><title>Паром задерживается</title><id>urn:1</id>
<link rel="alternate" href="https://north.example/a/1"/>
<updated>2026-11-23T07:30:00+01:00</updated></entry>
</feed>""".encode()

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://north.example/sitemap-news.xml</loc></sitemap>
<sitemap><loc>https://north.example/sitemap-2026.xml.gz</loc></sitemap>
</sitemapindex>"""

NEWS = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://north.example/a/ferry</loc>
<news:news><news:publication><news:name>North</news:name><news:language>en</news:language></news:publication>
<news:publication_date>2026-11-23T09:15:00+00:00</news:publication_date>
<news:title>Ferry line delayed again</news:title></news:news></url>
<url><loc>https://north.example/a/plain</loc><lastmod>2026-11-22</lastmod></url>
</urlset>"""


def test_rss_items_become_listings_with_absolute_urls() -> None:
    listings = parse_feed(RSS, "https://wire.example/feed.xml")
    assert [item.url for item in listings] == [
        "https://wire.example/2026/ferry-line-delayed",
        "https://wire.example/2026/bridge-reopens",
    ]
    assert listings[0].title == "Ferry line delayed"
    assert listings[0].published == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert listings[1].published is None


def test_atom_entries_use_their_alternate_link_and_dates_in_utc() -> None:
    (entry,) = parse_feed(ATOM, "https://north.example/atom.xml")
    assert entry.url == "https://north.example/a/1"
    assert entry.title == "Паром задерживается"
    assert entry.published == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def test_an_empty_feed_lists_nothing_and_html_is_not_a_feed() -> None:
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    assert parse_feed(empty, "https://x.example/") == []
    with pytest.raises(DiscoveryError):
        parse_feed(b"<html><body><p>Sorry, moved</p></body></html>", "https://x.example/")


def test_a_sitemap_index_lists_child_sitemaps() -> None:
    content = parse_sitemap(INDEX, "https://north.example/sitemap.xml")
    assert content.is_index
    assert content.sitemaps == (
        "https://north.example/sitemap-news.xml",
        "https://north.example/sitemap-2026.xml.gz",
    )


def test_a_news_sitemap_gives_title_and_publication_date() -> None:
    content = parse_sitemap(NEWS, "https://north.example/sitemap-news.xml")
    assert not content.is_index
    ferry, plain = content.listings
    assert ferry.title == "Ferry line delayed again"
    assert ferry.published == datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    assert plain.title is None and plain.published == datetime(2026, 11, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"<html><body>not here</body></html>", gzip.compress(NEWS)]
)
def test_malformed_sitemaps_raise_a_discovery_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError):
        parse_sitemap(body, "https://north.example/s.xml")


def test_a_truncated_sitemap_still_yields_the_complete_entries() -> None:
    content = parse_sitemap(
        NEWS[: NEWS.index(b"<url><loc>https://north.example/a/plain")], "https://n/"
    )
    assert [item.url for item in content.listings] == ["https://north.example/a/ferry"]
    assert content.problems


def test_entities_are_not_expanded() -> None:
    evil = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://x.example/&e;</loc></url></urlset>"""
    # Refused whole (tests/test_hostile_bodies.py), and never read from disk.
    with pytest.raises(UnsafeXml, match="external entity 'e'") as refused:
        parse_sitemap(evil, "https://x.example/")
    assert "root:" not in str(refused.value)


SECTION = """<html><body>
<a href="/herald/2026/11/ferry-delayed.html">Ferry <b>delayed</b></a>
<a href="/herald/2026/11/ferry-delayed.html#comments">12 comments</a>
<a href="/herald/about/">About us</a><a href="/herald/tag/ferries/">Ferries</a>
<a href="https://elsewhere.example/herald/2026/11/x.html">Elsewhere</a>
<a href="mailto:desk@herald.example">Mail</a><a href="javascript:void(0)">Menu</a>
</body></html>"""


def test_section_links_follow_only_matching_article_links() -> None:
    listings = section_links(SECTION, "https://herald.example/herald/world/", r"/herald/\d{4}/")
    assert [item.url for item in listings] == [
        "https://herald.example/herald/2026/11/ferry-delayed.html",
        "https://elsewhere.example/herald/2026/11/x.html",
    ]
    assert listings[0].title == "Ferry delayed"


def test_without_a_pattern_section_links_stay_on_the_site() -> None:
    urls = [
        item.url for item in section_links(SECTION, "https://herald.example/herald/world/", None)
    ]
    assert "https://elsewhere.example/herald/2026/11/x.html" not in urls
    assert "https://herald.example/herald/2026/11/ferry-delayed.html" in urls


def _real(shared_dir: Path, kind: str) -> list[tuple[Path, dict]]:
    manifest = json.loads((shared_dir / "fixtures/real/manifest.json").read_text())
    return [(shared_dir / "fixtures/real" / entry["file"], entry) for entry in manifest[kind]]


def test_real_feeds_all_parse(shared_dir: Path) -> None:
    for path, entry in _real(shared_dir, "feeds"):
        listings = parse_feed(path.read_bytes(), "https://example.org/")
        assert listings, entry["file"]
        assert all(item.url.startswith("http") for item in listings)
        assert any(item.title for item in listings)


def test_real_news_sitemaps_and_index_parse(shared_dir: Path) -> None:
    for path, entry in _real(shared_dir, "sitemaps"):
        content = parse_sitemap(path.read_bytes(), "https://example.org/")
        if "index" in entry["file"]:
            assert content.is_index and content.sitemaps
        else:
            assert content.listings, entry["file"]
            if "news" in entry["file"]:
                assert all(item.published for item in content.listings)
                assert any(item.title for item in content.listings)

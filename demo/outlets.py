"""Loopback outlets built like real ones, for source discovery tests and benchmarks.

Each layout is a way real outlets expose (or hide) their listings:

* ``linked``: RSS and Atom feeds linked from the page head (and a comments
  feed, which is not news), a sitemap index named in robots.txt holding a
  Google News sitemap and an archive sitemap, section fronts in the nav;
* ``robots_only``: no feed anywhere, a news sitemap named only in robots.txt;
* ``common_paths``: nothing linked, a feed at ``/feed/`` (``/rss`` redirects
  to it), ``/sitemap.xml``, and a soft 404 (an HTML page with status 200)
  at ``/feed.json``;
* ``bare``: no feed, no sitemap: section fronts are all there is;
* ``real_formats`` (when ``../shared/fixtures/real`` is present): real feeds
  and RFE/RL's real sitemap index and news sitemap, read from there at run
  time (never copied), their links pointed at the loopback server.

Every page is original HTML written for the project.  ``Outlet.expected``
is what discovery must find: every listing that exists, nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from wirewatch.crawler.demo.server import FixtureServer, raw, redirect

XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"


def rss(base: str, n: int = 20, every: timedelta = timedelta(minutes=30), tag: str = "a") -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    items = "".join(
        f"<item><title>Story {i}</title><link>{base}/{tag}/2026/story-{i}.html</link>"
        f"<pubDate>{format_datetime(now - i * every)}</pubDate></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Times</title>'
        f"{items}</channel></rss>"
    )


def atom(base: str, n: int = 10) -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    entries = "".join(
        f'<entry><title>E{i}</title><link href="{base}/b/2026/entry-{i}.html"/><id>e{i}</id>'
        f"<updated>{(now - timedelta(hours=i)).isoformat()}</updated></entry>"
        for i in range(n)
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>World</title>{entries}</feed>'


def news_sitemap(base: str, n: int = 30) -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    urls = "".join(
        f"<url><loc>{base}/c/2026/n-{i}.html</loc><news:news><news:publication>"
        f"<news:name>Harbour Times</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>"
        f"{(now - timedelta(minutes=20 * i)).isoformat()}</news:publication_date>"
        f"<news:title>N{i}</news:title></news:news></url>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>'
    )


def plain_sitemap(base: str, n: int = 40) -> str:
    now = datetime.now(UTC)
    urls = "".join(
        f"<url><loc>{base}/d/2025/p-{i}.html</loc>"
        f"<lastmod>{(now - timedelta(days=i)).date()}</lastmod></url>"
        for i in range(n)
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def sitemap_index(*children: str) -> str:
    entries = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
    return (
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
        "</sitemapindex>"
    )


def homepage(head: str = "", sections: tuple[str, ...] = ("world", "politics")) -> str:
    nav = "".join(f'<a href="/{s}/">{s.title()}</a>' for s in sections)
    teasers = "".join(
        f'<li><a href="/world/2026/11/teaser-{i}">Teaser {i}</a></li>' for i in range(8)
    )
    return (
        f"<!DOCTYPE html><html><head><title>Harbour Times</title>{head}</head><body>"
        f'<header><nav>{nav}<a href="/about/">About us</a><a href="/login">Log in</a></nav>'
        f"</header><main><h1>Latest</h1><ul>{teasers}</ul></main></body></html>"
    )


def section_page(name: str, n: int = 12) -> str:
    links = "".join(
        f'<li><a href="/{name}/2026/11/item-{i}">A {name} story number {i}</a></li>'
        for i in range(n)
    )
    return f"<html><body><h1>{name.title()}</h1><ul>{links}</ul></body></html>"


def add_sections(server: FixtureServer, names: tuple[str, ...] = ("world", "politics")) -> None:
    for name in names:
        server.route(f"/{name}/", raw(section_page(name)))


@dataclass(frozen=True)
class Outlet:
    """A running loopback outlet and what discovery must find on it: {(kind, path)}."""

    name: str
    server: FixtureServer
    expected: frozenset[tuple[str, str]]

    @property
    def homepage(self) -> str:
        return self.server.url("/")


def _linked(server: FixtureServer) -> set[tuple[str, str]]:
    base = server.base_url
    head = (
        '<link rel="alternate" type="application/rss+xml" title="Latest" '
        'href="/feeds/latest.xml">'
        '<link rel="alternate" type="application/atom+xml" href="/feeds/world.atom">'
        '<link rel="alternate" type="application/rss+xml" title="Comments" '
        'href="/comments/feed/">'
    )
    server.route("/", raw(homepage(head)))
    server.route("/feeds/latest.xml", raw(rss(base), RSS))
    server.route("/feeds/world.atom", raw(atom(base), ATOM))
    server.route("/comments/feed/", raw(rss(base, 5, tag="comments"), RSS))
    robots = f"User-agent: *\nDisallow: /private/\nSitemap: {base}/sitemap-index.xml\n"
    server.route("/robots.txt", raw(robots, TEXT))
    children = (f"{base}/sitemaps/archive-2025.xml", f"{base}/sitemaps/news.xml")
    server.route("/sitemap-index.xml", raw(sitemap_index(*children), XML))
    server.route("/sitemaps/news.xml", raw(news_sitemap(base), XML))
    server.route("/sitemaps/archive-2025.xml", raw(plain_sitemap(base), XML))
    add_sections(server)
    return {
        ("feed", "feeds/latest.xml"),
        ("feed", "feeds/world.atom"),
        ("sitemap", "sitemap-index.xml"),
        ("sitemap", "sitemaps/news.xml"),
        ("sitemap", "sitemaps/archive-2025.xml"),
        ("section", "world/"),
        ("section", "politics/"),
    }


def _robots_only(server: FixtureServer) -> set[tuple[str, str]]:
    base = server.base_url
    server.route("/", raw(homepage(sections=())))
    server.route("/robots.txt", raw(f"Sitemap: {base}/gn/news.xml\n", TEXT))
    server.route("/gn/news.xml", raw(news_sitemap(base), XML))
    return {("sitemap", "gn/news.xml")}


def _common_paths(server: FixtureServer) -> set[tuple[str, str]]:
    base = server.base_url
    server.route("/", raw(homepage(sections=())))
    server.route("/feed/", raw(rss(base, 30, timedelta(hours=3)), RSS))
    server.route("/rss", redirect("/feed/"))
    server.route("/sitemap.xml", raw(plain_sitemap(base), XML))
    server.route("/feed.json", raw("<html><body>Page not found</body></html>"))  # soft 404
    server.route("/robots.txt", raw("User-agent: *\nDisallow:\n", TEXT))
    return {("feed", "feed/"), ("sitemap", "sitemap.xml")}


def _bare(server: FixtureServer) -> set[tuple[str, str]]:
    server.route("/", raw(homepage()))
    add_sections(server)
    return {("section", "world/"), ("section", "politics/")}


def _real_formats(server: FixtureServer) -> set[tuple[str, str]]:
    """Real feeds and sitemaps from ../shared (read at run time), links pointed here."""
    base = server.base_url
    manifest = json.loads((REAL / "manifest.json").read_text())
    feeds = [entry["file"] for entry in manifest["feeds"]][:2]
    head = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/{name}">' for name in feeds
    )
    server.route("/", raw(homepage(head, sections=())))
    for name in feeds:
        server.route(f"/{name}", raw((REAL / name).read_bytes(), RSS))
    index = (REAL / "sitemaps" / "rferl-index.xml").read_bytes()
    news = (REAL / "sitemaps" / "rferl-news.xml").read_bytes()
    # The index names its children on www.rferl.org: point them at this server.
    index = index.replace(b"https://www.rferl.org", base.encode())
    server.route("/robots.txt", raw(f"Sitemap: {base}/sitemap.xml\n", TEXT))
    server.route("/sitemap.xml", raw(index, XML))
    latest = (REAL / "sitemaps" / "rferl-latest.xml").read_bytes()
    server.route("/sitemap_8_news.xml.gz", raw(news, XML))
    server.route("/sitemap_8_latest.xml.gz", raw(latest, XML))
    return {
        *(("feed", name) for name in feeds),
        ("sitemap", "sitemap.xml"),
        ("sitemap", "sitemap_8_news.xml.gz"),
        ("sitemap", "sitemap_8_latest.xml.gz"),
    }


LAYOUTS: dict[str, Callable[[FixtureServer], set[tuple[str, str]]]] = {
    "linked": _linked,
    "robots_only": _robots_only,
    "common_paths": _common_paths,
    "bare": _bare,
}


def real_formats_available() -> bool:
    return (REAL / "manifest.json").is_file()


@contextmanager
def outlet(layout: str) -> Iterator[Outlet]:
    """A loopback outlet of one layout (``LAYOUTS`` or ``real_formats``), served while open."""
    build = _real_formats if layout == "real_formats" else LAYOUTS[layout]
    with FixtureServer() as server:
        expected = build(server)
        yield Outlet(layout, server, frozenset(expected))

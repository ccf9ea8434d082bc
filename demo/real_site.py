"""The real outlet pages of ``../shared/fixtures/real/`` as one loopback news site.

Why: scoring ``wirewatch extract`` on saved files says nothing about what
``wirewatch crawl`` stores, since discovery, fetching, charsets from headers,
wall detection and the item pipeline all sit in between.  This serves every
page of the manifest from a :class:`~crawler.demo.server.FixtureServer`,
reached the three ways sources list articles (an RSS 2.0 feed, a Google News
sitemap, a section page: a third of the pages each), so a real crawl can be
checked page by page against the hand-checked ground truth.

Shared by ``benchmarks/fidelity.py`` and ``tests/test_real_pages_crawl.py``.
The pages are read in place, never copied: they are third-party content.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import psycopg

from wirewatch.crawler.demo import sources_toml as demo_sources_toml
from wirewatch.crawler.demo.server import FixtureServer, content_type_for, raw
from wirewatch.pipelines.extract.core import decode_html
from wirewatch.pipelines.extract.metadata import parse_date
from wirewatch.pipelines.urls import url_key

__all__ = [
    "LANGUAGE_MIN_WORDS",
    "WAYS",
    "Outcome",
    "RealPage",
    "Rejection",
    "extract_input",
    "load_pages",
    "manifest_path",
    "needs_language",
    "outcomes",
    "parse_extract_output",
    "read_rejections",
    "read_stored",
    "serve",
    "sources_toml",
]

#: How pages are listed, in the order pages are dealt to them.
WAYS = ("feed", "sitemap", "section")
#: Where each way lists its pages (the section page also links to non-articles).
LISTING_PATHS = {
    "feed": "/real/feed.xml",
    "sitemap": "/real/news-sitemap.xml",
    "section": "/real/latest/",
}
SECTION_FOLLOW = r"/a/[^/]+/[^/]+\.html$"
#: A stored text this long is prose enough that its language must be known.
LANGUAGE_MIN_WORDS = 50
ALLOW_ALL_ROBOTS = "User-agent: *\nAllow: /\n"


@dataclass(frozen=True, slots=True)
class RealPage:
    """One page of the manifest: where it is served, how it is listed, what it should yield."""

    outlet: str
    name: str  # file name without .html
    html: bytes
    way: str  # one of WAYS
    body: str | None  # hand-checked article text
    title: str | None
    published: str | None

    @property
    def path(self) -> str:
        """Served path: it names the page, so reports read without a lookup table."""
        return f"/a/{self.outlet}/{self.name}.html"


@dataclass(frozen=True, slots=True)
class Rejection:
    """A ``crawl_errors`` row."""

    source: str
    url: str | None
    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Stored:
    """The ``articles`` columns the checks read."""

    url: str
    title: str | None
    text: str | None
    language: str | None
    paywalled: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one crawl made of one page: stored (with what) or rejected (why)."""

    page: RealPage
    url: str
    stored: Stored | None
    rejections: tuple[Rejection, ...]

    @property
    def text(self) -> str:
        return (self.stored.text or "") if self.stored else ""


def manifest_path(shared: Path) -> Path:
    return shared / "fixtures" / "real" / "manifest.json"


def load_pages(shared: Path) -> list[RealPage]:
    """Every manifest page with its ground truth, dealt round-robin to the three WAYS."""
    real = manifest_path(shared).parent
    manifest = json.loads(manifest_path(shared).read_text(encoding="utf-8"))
    pages = []
    for number, entry in enumerate(manifest["pages"]):
        truth = json.loads((real / entry["ground_truth"]).read_text(encoding="utf-8"))
        pages.append(
            RealPage(
                outlet=entry["outlet"],
                name=Path(entry["file"]).stem,
                html=(real / entry["file"]).read_bytes(),
                way=WAYS[number % len(WAYS)],
                body=truth.get("body") or None,
                title=truth.get("title") or None,
                published=truth.get("date") or None,
            )
        )
    return pages


# ---------------------------------------------------------------- listings


def listed_title(page: RealPage) -> str:
    return page.title or page.name.replace("-", " ")


def rss_feed(base: str, pages: Iterable[RealPage]) -> str:
    """An RSS 2.0 feed of ``pages`` (pubDate where the date is known)."""
    items = []
    for page in pages:
        when = parse_date(page.published) if page.published else None
        pub = f"<pubDate>{format_datetime(when)}</pubDate>" if when else ""
        url = xml_escape(base + page.path)
        items.append(
            f"<item><title>{xml_escape(listed_title(page))}</title><link>{url}</link>"
            f'<guid isPermaLink="true">{url}</guid>{pub}</item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Real pages</title><link>{xml_escape(base)}/</link>"
        "<description>Real outlet pages, listed by feed</description>"
        + "\n".join(items)
        + "</channel></rss>\n"
    )


def news_sitemap(base: str, pages: Iterable[RealPage]) -> str:
    """A Google News sitemap of ``pages`` (``news:title``, ``news:publication_date``).

    No ``news:language``: the language is what the crawl must find out for itself.
    """
    entries = []
    for page in pages:
        when = parse_date(page.published) if page.published else None
        date = f"<news:publication_date>{when.isoformat()}</news:publication_date>" if when else ""
        title = xml_escape(listed_title(page))
        entries.append(
            f"<url><loc>{xml_escape(base + page.path)}</loc><news:news><news:publication>"
            f"<news:name>{xml_escape(page.outlet)}</news:name></news:publication>{date}"
            f"<news:title>{title}</news:title></news:news></url>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        + "\n".join(entries)
        + "</urlset>\n"
    )


def section_page(pages: Iterable[RealPage]) -> str:
    """A section front: navigation links the ``follow`` regex must skip, then the articles."""
    links = "".join(
        f'<li><a href="{escape(page.path)}">{escape(listed_title(page))}</a></li>' for page in pages
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Latest</title></head>'
        '<body><nav><a href="/">Home</a> <a href="/real/about.html">About</a> '
        '<a href="/real/latest/?page=2">More</a></nav>'
        f"<main><h1>Latest</h1><ul>{links}</ul></main></body></html>"
    )


def serve(server: FixtureServer, pages: list[RealPage], *, robots: bool = True) -> None:
    """Route every page and the three listings on ``server``.

    ``robots=False`` leaves ``/robots.txt`` to the server's site (the demo
    newsroom's own file allows every path used here).
    """
    base = server.base_url
    for page in pages:
        server.route(page.path, raw(page.html, content_type_for(page.path, page.html)))
    by_way = {way: [p for p in pages if p.way == way] for way in WAYS}
    server.route(LISTING_PATHS["feed"], raw(rss_feed(base, by_way["feed"]), "application/rss+xml"))
    server.route(
        LISTING_PATHS["sitemap"], raw(news_sitemap(base, by_way["sitemap"]), "application/xml")
    )
    server.route(LISTING_PATHS["section"], raw(section_page(by_way["section"])))
    if robots:
        server.route("/robots.txt", raw(ALLOW_ALL_ROBOTS, "text/plain; charset=utf-8"))


def sources_toml(base: str, *, demo: bool = False) -> str:
    """``wirewatch.toml`` sources for the three listings (and the demo newsroom's own)."""
    follow = json.dumps(SECTION_FOLLOW)  # a TOML basic string is a JSON string here
    text = f"""
[[source]]
name = "real-feed"
kind = "feed"
url = "{base}{LISTING_PATHS["feed"]}"

[[source]]
name = "real-sitemap"
kind = "sitemap"
url = "{base}{LISTING_PATHS["sitemap"]}"

[[source]]
name = "real-section"
kind = "section"
url = "{base}{LISTING_PATHS["section"]}"
follow = {follow}
"""
    return text + (demo_sources_toml(base) if demo else "")


# ---------------------------------------------------------------- reading back


def read_stored(conn: psycopg.Connection) -> list[Stored]:
    rows = conn.execute(
        "SELECT url, title, text, language, paywalled FROM wirewatch.articles"
    ).fetchall()
    return [Stored(*row) for row in rows]


def read_rejections(conn: psycopg.Connection) -> list[Rejection]:
    rows = conn.execute(
        "SELECT source, url, kind, message FROM wirewatch.crawl_errors ORDER BY id"
    ).fetchall()
    return [Rejection(*row) for row in rows]


def outcomes(
    pages: list[RealPage], base: str, stored: list[Stored], rejections: list[Rejection]
) -> list[Outcome]:
    """Each page with its stored row and rejections, matched on ``url_key``."""
    rows = {url_key(s.url): s for s in stored}
    rejected: dict[str, list[Rejection]] = {}
    for rejection in rejections:
        if rejection.url:
            rejected.setdefault(url_key(rejection.url), []).append(rejection)
    result = []
    for page in pages:
        key = url_key(base + page.path)
        result.append(Outcome(page, base + page.path, rows.get(key), tuple(rejected.get(key, ()))))
    return result


def needs_language(text: str | None) -> bool:
    """Whether a stored text is long enough that a missing language is a fault."""
    return len((text or "").split()) >= LANGUAGE_MIN_WORDS


# ---------------------------------------------------------------- extract --jsonl


def extract_input(pages: list[RealPage], base: str) -> str:
    """JSONL for ``wirewatch extract --jsonl``: the pages under the URLs the crawl fetched,
    so both sides file them under the same site for boilerplate learning."""
    return "".join(
        json.dumps({"id": p.path, "url": base + p.path, "html": decode_html(p.html)}) + "\n"
        for p in pages
    )


def parse_extract_output(stdout: str) -> dict[str, Mapping[str, Any]]:
    """Output records of ``extract --jsonl`` by id (the page's path)."""
    records = (json.loads(line) for line in stdout.splitlines() if line.strip())
    return {record["id"]: record for record in records}

"""The bundled fixture newsroom is internally consistent.

The demo, the crawler tests and the dedupe tests all trust MANIFEST.json; these
checks make sure the pages, feeds, sitemaps, robots.txt and sources.toml agree
with it, and that the committed files match what build_site.py produces.
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from protego import Protego

from demo.build_site import build
from wirewatch.crawler.demo import PLACEHOLDER_ORIGIN, site_dir, sources_toml
from wirewatch.crawler.demo.server import DirectoryProvider

SITE = site_dir()
MANIFEST: dict[str, Any] = json.loads((SITE / "MANIFEST.json").read_text("utf-8"))
ARTICLES: list[dict[str, Any]] = MANIFEST["articles"]
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
ATOM = "{http://www.w3.org/2005/Atom}"
CODECS = {"utf-8": "utf-8", "iso-8859-1": "latin-1", "windows-1251": "cp1251"}


class Page(HTMLParser):
    """Collects links, meta tags, JSON-LD and visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.lang: str | None = None
        self.title = ""
        self.json_ld: list[Any] = []
        self.text: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        if tag in ("a", "link") and "href" in a:
            if tag == "link" and a.get("rel") == "canonical":
                self.canonical = a["href"]
            else:
                self.links.append(a["href"])
        if tag == "meta":
            key = a.get("property") or a.get("name")
            if key:
                self.meta[key] = a.get("content", "")
        if tag == "script" and a.get("type") == "application/ld+json":
            self._in = "ld"
        elif tag == "title":
            self._in = "title"

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "ld":
            self.json_ld.append(json.loads(data))
        elif self._in == "title":
            self.title += data
        else:
            self.text.append(data)


def parse_page(path: Path, codec: str = "utf-8") -> Page:
    page = Page()
    page.feed(path.read_bytes().decode(codec))
    return page


def html_files() -> list[Path]:
    return sorted(SITE.rglob("*.html"))


def local_path(url: str) -> str | None:
    """URL path for links into the newsroom; None for external or special links."""
    if url.startswith(PLACEHOLDER_ORIGIN):
        return url[len(PLACEHOLDER_ORIGIN) :] or "/"
    if url.startswith("/"):
        return url
    return None


def test_committed_site_matches_the_builder(tmp_path: Path) -> None:
    build(tmp_path / "site")
    fresh = {
        p.relative_to(tmp_path / "site"): p.read_bytes()
        for p in (tmp_path / "site").rglob("*")
        if p.is_file()
    }
    committed = {p.relative_to(SITE): p.read_bytes() for p in SITE.rglob("*") if p.is_file()}
    assert sorted(map(str, fresh)) == sorted(map(str, committed)), "run python -m demo.build_site"
    stale = [str(p) for p in fresh if fresh[p] != committed[p]]
    assert not stale, f"out of date, run python -m demo.build_site: {stale}"


def test_manifest_counts() -> None:
    exp = MANIFEST["expected"]
    kinds = [a["kind"] for a in ARTICLES]
    assert exp["articles"] == len(ARTICLES) == 27
    assert exp["wire_originals"] == kinds.count("wire") == 6
    assert exp["copies"] == kinds.count("copy") == 14
    assert exp["outlet_originals"] == kinds.count("original") == 7
    assert exp["stories"] == len(MANIFEST["stories"]) == len({a["story"] for a in ARTICLES}) == 13
    per_source: dict[str, int] = {}
    for a in ARTICLES:
        per_source[a["source"]] = per_source.get(a["source"], 0) + 1
    assert per_source == exp["articles_per_source"]
    assert sum(per_source.values()) == exp["articles"]


def test_manifest_copies_point_at_wire_stories() -> None:
    by_path = {a["path"]: a for a in ARTICLES}
    assert len(by_path) == len(ARTICLES)
    for story, paths in MANIFEST["stories"].items():
        members = [by_path[p] for p in paths]
        assert {m["story"] for m in members} == {story}
        wires = [m for m in members if m["kind"] == "wire"]
        if wires:
            copies = [m for m in members if m["kind"] == "copy"]
            assert len(wires) == 1 and 2 <= len(copies) <= 3, story
            assert all(c["copy_of"] == wires[0]["path"] for c in copies)
            assert len({c["site"] for c in copies}) == len(copies)  # different outlets
            assert all(c["site"] != "wire" and c["author"] != wires[0]["author"] for c in copies)
            assert all(c["title"] != wires[0]["title"] for c in copies)
        else:
            assert [m["kind"] for m in members] == ["original"]
    for a in ARTICLES:
        assert (a["kind"] == "copy") == (a["copy_of"] is not None)
        assert (a["site"] == "wire") == (a["kind"] == "wire")


def test_copies_are_trimmed_edited_wire_text() -> None:
    by_path = {a["path"]: a for a in ARTICLES}
    for copy in (a for a in ARTICLES if a["kind"] == "copy"):
        wire = by_path[copy["copy_of"]]
        body = copy["paragraphs"]
        assert copy["wire_credit"].startswith("With reporting by")
        assert len(body) - 1 <= len(wire["paragraphs"])
        # the lede keeps the wire's first sentence after the dateline
        lede = wire["paragraphs"][0].split("—", 1)[1].strip()[:60]
        assert lede in body[0]
        assert not body[0].startswith(wire["paragraphs"][0][:20])  # dateline changed
        assert body[-1] not in wire["paragraphs"]  # the editor's own paragraph
    assert all(a["wire_credit"] is None for a in ARTICLES if a["kind"] != "copy")


def test_spelling_variants_and_distinct_write_ups_sharing_a_quote() -> None:
    by_path = {a["path"]: a for a in ARTICLES}
    floods = [a for a in ARTICLES if a["story"] == "tamsel-floods"]
    spellings = {a["site"]: ("Mansour" in " ".join(a["paragraphs"])) for a in floods}
    assert spellings == {
        "wire": False,
        "valleyherald": True,
        "northstar": False,
        "dailyharbor": False,
    }
    (pair,) = MANIFEST["near_duplicates_that_are_distinct"]
    a, b = (by_path[p] for p in pair["paths"])
    assert a["story"] != b["story"]
    quote = "We have been patient for two years, and patience has not paid a single bill"
    assert quote in " ".join(a["paragraphs"]) and quote in " ".join(b["paragraphs"])
    shared = set(a["paragraphs"]) & set(b["paragraphs"])
    assert not shared  # the quote is shared, no paragraph is


def test_every_xml_file_parses_and_lists_the_right_articles() -> None:
    for path in SITE.rglob("*.xml"):
        ET.parse(path)
    by_source = {
        s: {a["path"] for a in ARTICLES if a["source"] == s}
        for s in MANIFEST["expected"]["articles_per_source"]
    }
    rss = ET.parse(SITE / "wire/feed.xml").getroot()
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("./channel/item")
    assert all(i.findtext("pubDate") and i.findtext("guid") for i in items)
    assert {local_path(i.findtext("link")) for i in items} == by_source["meridian"]

    atom = ET.parse(SITE / "dailyharbor/atom.xml").getroot()
    entries = atom.findall(f"{ATOM}entry")
    assert all(e.findtext(f"{ATOM}published") and e.findtext(f"{ATOM}id") for e in entries)
    links = {local_path(e.find(f"{ATOM}link").get("href")) for e in entries}
    assert links == by_source["dailyharbor"]

    index = ET.parse(SITE / "northstar/sitemap.xml").getroot()
    assert index.tag == f"{SM}sitemapindex"
    (child,) = [local_path(el.text) for el in index.iter(f"{SM}loc")]
    assert child == "/northstar/sitemap-news.xml"
    urls = ET.parse(SITE / child.lstrip("/")).getroot().findall(f"{SM}url")
    for url in urls:
        news = url.find(f"{NEWS}news")
        assert news.findtext(f"{NEWS}publication_date") and news.findtext(f"{NEWS}title")
        assert news.findtext(f"{NEWS}publication/{NEWS}name") == "The Northstar Ledger"
    assert {local_path(u.findtext(f"{SM}loc")) for u in urls} == by_source["northstar"]


def test_section_pages_and_the_follow_regex() -> None:
    sources = {s["name"]: s for s in tomllib.loads(sources_toml("http://h"))["source"]}
    vh = sources["valleyherald"]
    follow = re.compile(vh["follow"])
    found: set[str] = set()
    rejected: set[str] = set()
    for url in vh["urls"]:
        page = parse_page(SITE / (url.removeprefix("http://h/") + "index.html"))
        for link in page.links:
            (found if follow.search(link) else rejected).add(link)
    robots = Protego.parse((SITE / "robots.txt").read_text())
    allowed = {p for p in found if robots.can_fetch(PLACEHOLDER_ORIGIN + p, "wirewatch")}
    expected = {a["path"] for a in ARTICLES if a["source"] == "valleyherald"}
    assert allowed == expected
    assert found - allowed == set(MANIFEST["robots_disallowed"])
    for must_reject in (
        "/valleyherald/about/",
        "/valleyherald/tag/floods/",
        "/valleyherald/login/",
    ):
        assert must_reject in rejected
    assert not any(follow.search(p) for p in MANIFEST["non_articles"] if "private" not in p)


def test_robots_txt() -> None:
    robots = Protego.parse((SITE / "robots.txt").read_text())
    for a in ARTICLES:
        assert robots.can_fetch(PLACEHOLDER_ORIGIN + a["path"], "wirewatch")
    for path in MANIFEST["robots_disallowed"]:
        assert not robots.can_fetch(PLACEHOLDER_ORIGIN + path, "wirewatch")
        assert (SITE / path.lstrip("/")).is_file()


def test_every_link_resolves() -> None:
    provider = DirectoryProvider(SITE)
    targets: set[str] = set()
    for path in html_files():
        codec = next((CODECS[a["charset"]] for a in ARTICLES if SITE / a["file"] == path), "utf-8")
        page = parse_page(path, codec)
        targets.update(filter(None, map(local_path, [*page.links, page.canonical or ""])))
    for path in SITE.rglob("*.xml"):
        for el in ET.parse(path).iter():
            for value in (el.text or "", el.get("href") or ""):
                if value.startswith(PLACEHOLDER_ORIGIN):
                    targets.add(local_path(value))
    assert len(targets) > 40
    missing = []
    for target in sorted(targets):
        resource = provider.get(target.split("#")[0].split("?")[0], "http://h")
        if resource is None or resource.status not in (200,):
            missing.append(target)
    assert not missing


@pytest.mark.parametrize("article", ARTICLES, ids=lambda a: a["path"])
def test_article_pages(article: dict[str, Any]) -> None:
    path = SITE / article["file"]
    raw = path.read_bytes()
    codec = CODECS[article["charset"]]
    html = raw.decode(codec)  # strict: the bytes match the declared charset
    declared = re.search(r'charset="?([A-Za-z0-9_-]+)', html[:600]).group(1).lower()
    assert declared == article["charset"]
    if article["charset"] != "utf-8":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    page = parse_page(path, codec)
    assert page.lang and page.lang.split("-")[0] == article["lang"]
    assert article["title"] in unescape(page.title)
    assert page.canonical == PLACEHOLDER_ORIGIN + article["path"]
    assert page.meta["og:title"] == article["title"]
    text = unescape(html)
    for marker in MANIFEST["sites"][article["site"]]["boilerplate"]:
        assert marker in text, marker
    for paragraph in article["paragraphs"]:
        assert paragraph in text
    if article["wire_credit"]:
        assert article["wire_credit"] in text
    assert article["author"] in text
    # how the publication date is exposed differs per outlet (a contract for the extractor)
    has_meta = "article:published_time" in page.meta
    has_ld = any(d.get("@type") == "NewsArticle" for d in page.json_ld)
    site = article["site"]
    assert has_meta == (site in ("wire", "dailyharbor"))
    assert has_ld == (site in ("wire", "northstar"))
    if has_ld:
        (ld,) = page.json_ld
        assert ld["headline"] == article["title"]
        assert ld["datePublished"].startswith(article["published"][:16])
    if has_meta:
        assert page.meta["article:published_time"].startswith(article["published"][:16])
    if site == "valleyherald":
        assert "Posted: " in text and "<time" not in html


def test_non_article_pages_exist_and_are_not_in_the_manifest_articles() -> None:
    article_files = {a["file"] for a in ARTICLES}
    for path in MANIFEST["non_articles"]:
        assert (SITE / path.lstrip("/")).is_file(), path
        assert path.lstrip("/") not in article_files
    every_html = {str(p.relative_to(SITE)) for p in html_files()}
    listed = article_files | {p.lstrip("/") for p in MANIFEST["non_articles"]}
    assert every_html == listed


def test_sources_toml_contract() -> None:
    text = (SITE.parent / "sources.toml").read_text("utf-8")
    assert "{base}" in text
    sources = tomllib.loads(sources_toml("http://127.0.0.1:1"))["source"]
    names = [s["name"] for s in sources]
    assert len(set(names)) == len(names) == 4
    assert {s["name"] for s in sources} == set(MANIFEST["expected"]["articles_per_source"])
    provider = DirectoryProvider(SITE)
    for s in sources:
        assert re.fullmatch(r"[a-z0-9_-]+", s["name"])
        assert s["kind"] in ("feed", "sitemap", "section")
        assert s["wire"] is (s["name"] == "meridian")
        urls = s.get("urls") or [s["url"]]
        for url in urls:
            assert url.startswith("http://127.0.0.1:1/")
            assert provider.get(url.removeprefix("http://127.0.0.1:1"), "x").status == 200
        assert ("follow" in s) == (s["kind"] == "section")
        parts = s.get("schedule", "* * * * *").split()
        assert len(parts) == 5

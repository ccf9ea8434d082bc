"""wirewatch sources discover: feeds, sitemaps and sections from a homepage, nothing invented."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from demo.outlets import (
    LAYOUTS,
    homepage,
    news_sitemap,
    outlet,
    real_formats_available,
    rss,
    sitemap_index,
)
from tests.conftest import run_wirewatch
from wirewatch.crawler.config import loads_config
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.crawler.source_discovery import (
    Fetcher,
    Found,
    Refused,
    SiteReport,
    append_tables,
    base_name,
    feed_links,
    parse_listing,
    robots_sitemaps,
    section_candidates,
    suggest_schedule,
)

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def linked_site() -> Iterator[FixtureServer]:
    with outlet("linked") as site:
        yield site.server


@pytest.fixture
def robots_only_site() -> Iterator[FixtureServer]:
    with outlet("robots_only") as site:
        yield site.server


@pytest.fixture
def common_paths_site() -> Iterator[FixtureServer]:
    with outlet("common_paths") as site:
        yield site.server


@pytest.fixture
def bare_site() -> Iterator[FixtureServer]:
    with outlet("bare") as site:
        yield site.server


def _discover(*urls: str, extra: tuple[str, ...] = ()) -> dict:
    result = run_wirewatch("sources", "discover", "--json", *extra, *urls)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return json.loads(result.stdout)


def _found(site: dict) -> set[tuple[str, str]]:
    return {(f["kind"], f["url"].split("/", 3)[-1]) for f in site["found"]}


@pytest.mark.parametrize("layout", [*LAYOUTS, "real_formats"])
def test_every_listing_that_exists_and_nothing_else(layout: str) -> None:
    if layout == "real_formats" and not real_formats_available():
        pytest.skip("../shared/fixtures/real is not present")
    with outlet(layout) as site:
        (found,) = _discover(site.homepage)["sites"]
    assert _found(found) == site.expected


def test_feeds_linked_from_the_head_and_sitemaps_in_robots(linked_site: FixtureServer) -> None:
    data = _discover(linked_site.url("/"))
    (site,) = data["sites"]
    assert _found(site) == {
        ("feed", "feeds/latest.xml"),
        ("feed", "feeds/world.atom"),
        ("sitemap", "sitemap-index.xml"),
        ("sitemap", "sitemaps/news.xml"),
        ("sitemap", "sitemaps/archive-2025.xml"),
        ("section", "world/"),
        ("section", "politics/"),
    }
    by_url = {f["url"].split("/", 3)[-1]: f for f in site["found"]}
    assert by_url["feeds/latest.xml"]["items"] == 20
    assert by_url["feeds/latest.xml"]["via"] == "homepage <link>"
    # An item every 30 minutes: hourly, at a minute of its own.
    assert re.fullmatch(r"\d+ \* \* \* \*", by_url["feeds/latest.xml"]["schedule"])
    assert by_url["sitemaps/news.xml"]["news"] and by_url["sitemap-index.xml"]["sitemaps"] == 2
    assert by_url["sitemap-index.xml"]["via"] == "robots.txt"
    suggested = {(s["kind"], s["url"].split("/", 3)[-1]) for s in data["sources"]}
    # Feeds and the news sitemap; not the archive or the index, not the sections.
    assert suggested == {
        ("feed", "feeds/latest.xml"),
        ("feed", "feeds/world.atom"),
        ("sitemap", "sitemaps/news.xml"),
    }
    assert "/comments/feed/" not in linked_site.hits


def test_a_news_sitemap_only_in_robots(robots_only_site: FixtureServer) -> None:
    (site,) = _discover(robots_only_site.url("/"))["sites"]
    assert _found(site) == {("sitemap", "gn/news.xml")}
    assert site["found"][0]["news"] and site["found"][0]["items"] == 30


def test_common_paths_and_no_soft_404s(common_paths_site: FixtureServer) -> None:
    data = _discover(common_paths_site.url("/"))
    (site,) = data["sites"]
    assert _found(site) == {("feed", "feed/"), ("sitemap", "sitemap.xml")}
    feed = next(f for f in site["found"] if f["kind"] == "feed")
    assert feed["via"] == "common path" and feed["schedule"].endswith(" */6 * * *")


def test_a_site_with_neither_gets_its_sections(bare_site: FixtureServer) -> None:
    data = _discover(bare_site.url("/"))
    assert _found(data["sites"][0]) == {("section", "world/"), ("section", "politics/")}
    assert [s["kind"] for s in data["sources"]] == ["section", "section"]


def test_robots_txt_is_obeyed(linked_site: FixtureServer) -> None:
    linked_site.route(
        "/robots.txt", raw("User-agent: *\nDisallow: /feeds/world.atom\n", "text/plain")
    )
    (site,) = _discover(linked_site.url("/"))["sites"]
    assert ("feed", "feeds/world.atom") not in _found(site)
    assert "/feeds/world.atom" not in linked_site.hits
    assert any("disallowed by robots.txt" in p for p in site["problems"])


def test_add_appends_tables_and_keeps_comments(
    linked_site: FixtureServer, bare_site: FixtureServer, tmp_path: Path
) -> None:
    config = tmp_path / "wirewatch.toml"
    original = (
        "# Our sources, reviewed weekly.\n\n"
        "[[source]]\n"
        'name = "wire"   # the wire service\n'
        'kind = "feed"\n'
        f'url = "{linked_site.url("/feeds/latest.xml")}"\n\n'
        "[crawl]\n"
        "concurrency_per_domain = 2  # be gentle\n"
    )
    config.write_text(original)
    result = run_wirewatch(
        "--config", str(config), "sources", "discover", "--add", linked_site.url("/"),
        bare_site.url("/"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = config.read_text()
    assert text.startswith(original.split("[crawl]")[0])
    assert "# the wire service" in text and "concurrency_per_domain = 2  # be gentle" in text
    loaded = loads_config(text)
    kinds = [(s.kind, s.urls[0].split("/", 3)[-1]) for s in loaded.sources]
    assert kinds == [
        ("feed", "feeds/latest.xml"),
        ("feed", "feeds/world.atom"),
        ("sitemap", "sitemaps/news.xml"),
        ("section", "world/"),
        ("section", "politics/"),
    ]
    names = [s.name for s in loaded.sources]
    assert len(set(names)) == len(names) and names[0] == "wire"
    assert all(s.schedule for s in loaded.sources[1:])
    # Once added, a second run suggests nothing new and names what covers each.
    again = run_wirewatch(
        "--config", str(config), "sources", "discover", "--json", linked_site.url("/")
    )
    data = json.loads(again.stdout)
    assert data["sources"] == []
    assert {f["configured_as"] for f in data["sites"][0]["found"] if f["kind"] == "feed"} == {
        "wire",
        names[1],
    }


def test_printed_tables_are_valid_toml(common_paths_site: FixtureServer) -> None:
    result = run_wirewatch("sources", "discover", common_paths_site.url("/"))
    assert result.returncode == 0, result.stderr
    toml = result.stdout[result.stdout.index("[[source]]") :]
    sources = loads_config(toml).sources
    assert [s.kind for s in sources] == ["feed", "sitemap"]
    assert "common path" in result.stdout


def test_nothing_found_exits_1_and_bad_urls_exit_2() -> None:
    with FixtureServer() as server:
        server.route("/", raw("<html><body><p>Under construction</p></body></html>"))
        result = run_wirewatch("sources", "discover", server.url("/"))
    assert result.returncode == 1 and "nothing found" in result.stdout
    assert run_wirewatch("sources", "discover", "file:///etc/passwd").returncode == 2


# -- pure parts ---------------------------------------------------------------------------


def test_feed_links_and_robots_lines() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        '<link rel="alternate" type="application/feed+json" href="feed.json">'
        '<link rel="alternate" hreflang="de" href="/de/">'
        '<link rel="stylesheet" type="text/css" href="/s.css"></head></html>'
    )
    assert feed_links(html, "https://h.example/news/") == [
        "https://h.example/rss.xml",
        "https://h.example/news/feed.json",
    ]
    robots = "User-agent: *\nSITEMAP: /a.xml  # main\nsitemap:https://h.example/b.xml\n"
    assert robots_sitemaps(robots, "https://h.example/robots.txt") == [
        "https://h.example/a.xml",
        "https://h.example/b.xml",
    ]


def test_section_candidates_prefer_navigation() -> None:
    html = homepage(sections=("world", "business")).replace(
        "</main>", '<a href="/sport/">Sport</a><a href="https://other.example/x/">x</a></main>'
    )
    assert section_candidates(html, "https://h.example/") == [
        "https://h.example/world/",
        "https://h.example/business/",
        "https://h.example/sport/",
    ]


def test_parse_listing_judges_by_content() -> None:
    base = "https://h.example"
    assert parse_listing(rss(base, 3).encode(), base + "/x").kind == "feed"
    assert parse_listing(news_sitemap(base, 2).encode(), base + "/y").news
    assert parse_listing(sitemap_index(base + "/a.xml").encode(), base + "/z").children == (
        base + "/a.xml",
    )
    assert parse_listing(b"<html><body>not found</body></html>", base) is None
    assert parse_listing(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', base)
    assert parse_listing(b'{"error": "nope"}', base) is None


def test_suggested_schedules() -> None:
    minutes = [NOW - timedelta(minutes=6 * i) for i in range(50)]
    assert suggest_schedule(minutes, 50, NOW) == "*/10 * * * *"
    hourly = [NOW - timedelta(hours=i) for i in range(24)]
    assert suggest_schedule(hourly, 24, NOW).endswith(" */2 * * *")
    stale = [NOW - timedelta(days=60 + i) for i in range(5)]
    assert suggest_schedule(stale, 5, NOW).endswith(" * * *")
    assert suggest_schedule([], 10, NOW, "u").endswith(" * * * *")
    burst = [NOW - timedelta(seconds=i) for i in range(100)]
    assert suggest_schedule(burst, 100, NOW) == "*/5 * * * *"


def test_names_and_appending_to_an_empty_file() -> None:
    assert base_name("https://www.herald.example/") == "herald"
    assert base_name("http://127.0.0.1:8080/") == "127-0-0-1"
    table = {
        "name": "x-feed",
        "kind": "feed",
        "url": "https://x.example/f",
        "schedule": "0 * * * *",
    }
    text = append_tables("", [table])
    assert tomllib.loads(text) == {"source": [table]}
    report = SiteReport("https://x.example/")
    report.found.append(Found("section", "https://x.example/w/", "nav", 9, None, "0 * * * *"))
    assert report.suggested() == report.found


def test_the_url_policy_applies_to_other_hosts() -> None:
    fetcher = Fetcher("wirewatch-test", exempt=["https://news.example/"])
    with pytest.raises(Refused, match="loopback"):
        fetcher.check("http://127.0.0.1:9/feed")
    with pytest.raises(Refused, match="never fetched"):
        fetcher.check("file:///etc/passwd")
    Fetcher("t", exempt=["http://127.0.0.1:8080/"]).check("http://127.0.0.1:9/feed")
    Fetcher("t", allow_private=True).check("http://10.1.2.3/feed")

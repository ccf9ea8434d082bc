"""Hostile feeds and sitemaps, end to end (issue 14): nothing read that should not be.

Real loopback servers (the source's own on 127.0.0.1, "another machine" on
127.0.0.2), a real PostgreSQL, and ``wirewatch crawl`` in a child process.
The servers' request logs show what was never requested; ``articles`` and
``crawl_errors`` show what was kept and what was recorded.  No packet
leaves 127.0.0.0/8: the metadata address 169.254.169.254 is refused before
any connection, which is what these tests are about.
"""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.crawls import errors, run_statuses, titles
from tests.support.pages import article_html, feed_xml, reports, sitemap_index, urlset
from wirewatch.crawler.demo.server import FixtureServer, raw, redirect

LOCAL_MARKER = "ledger of the harbour master kept on the crawler's own disk"


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    """The sources' own host."""
    with FixtureServer() as server:
        server.route("/robots.txt", raw("User-agent: *\nAllow: /\n", "text/plain"))
        for n in range(1, 40):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        yield server


@pytest.fixture
def other_host() -> Iterator[FixtureServer]:
    """A private host that no source is configured on."""
    with FixtureServer(host="127.0.0.2") as server:
        for n in range(1, 10):
            server.route(f"/news/{n}.html", raw(article_html(100 + n)))
        yield server


def crawl(tmp_path: Path, sources: str, crawl_table: str = "", *names: str) -> float:
    config = tmp_path / "wirewatch.toml"
    config.write_text(f"{sources}\n[crawl]\ndownload_timeout = 5\n{crawl_table}\n")
    args = ["--config", str(config), "crawl"]
    for name in names:
        args += ["--source", name]
    started = time.monotonic()
    result = run_wirewatch(*args, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    return time.monotonic() - started


def feed_source(name: str, url: str) -> str:
    return f'[[source]]\nname = "{name}"\nkind = "feed"\nurl = "{url}"\n'


def sitemap_source(name: str, url: str) -> str:
    return f'[[source]]\nname = "{name}"\nkind = "sitemap"\nurl = "{url}"\n'


def test_bad_schemes_are_skipped_one_by_one_and_no_local_file_is_read(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    local = tmp_path / "srv" / "www" / "page.html"
    local.parent.mkdir(parents=True)
    local.write_text(article_html(98).replace("District report 98", LOCAL_MARKER))
    data_page = base64.b64encode(article_html(97).encode()).decode()
    base = site.base_url
    hostile = {
        "javascript:alert(document.cookie)": "unsupported_scheme",
        "mailto:desk@harbour.example": "unsupported_scheme",
        f"file:{local}": "unsupported_scheme",
        f"file://localhost{local}": "unsupported_scheme",
        f"data:text/html;base64,{data_page}": "unsupported_scheme",
        f"ftp://127.0.0.1:{site.port}/news/9.html": "unsupported_scheme",
        "http://exa mple.example/news.html": "bad_url",
        "http://127.0.0.1:99999/news/8.html": "bad_url",
    }
    # Valid items before, between and after the hostile ones.
    links = [f"{base}/news/1.html", *list(hostile)[:3], f"{base}/news/2.html"]
    links += [*list(hostile)[3:], f"{base}/news/3.html"]
    items = "".join(f"<item><title>t</title><link>{link}</link></item>" for link in links)
    site.route(
        "/hostile.xml",
        raw(f"<?xml version='1.0'?><rss version='2.0'><channel>{items}</channel></rss>"),
    )

    crawl(tmp_path, feed_source("hostile", f"{base}/hostile.xml"))

    assert titles(db_url, "hostile") == reports(1, 2, 3)
    recorded = errors(db_url, "hostile")
    assert {url: kind for url, (kind, _) in recorded.items()} == hostile
    assert recorded[f"file:{local}"][1].startswith("file: URLs are never fetched")
    assert run_statuses(db_url, "hostile") == ["partial"]
    with psycopg.connect(db_url) as conn:
        leaked = conn.execute(
            "SELECT count(*) FROM wirewatch.articles"
            " WHERE url NOT LIKE 'http%%' OR text LIKE %s OR title IN (%s, 'District report 97')",
            [f"%{LOCAL_MARKER}%", LOCAL_MARKER],
        ).fetchone()[0]
    assert leaked == 0
    assert "/news/9.html" not in site.hits and "/news/8.html" not in site.hits


def test_other_private_hosts_are_refused_before_any_connection(
    site: FixtureServer, other_host: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base, port = site.base_url, site.port
    site.route("/hop/4.html", redirect(other_host.url("/news/4.html"), 302))
    site.route("/hop/5.html", redirect(f"{base}/news/5.html", 302))
    refused = {
        f"http://localhost:{port}/news/2.html": "localhost -> 127.0.0.1: loopback address",
        other_host.url("/news/3.html"): "127.0.0.2: loopback address",
        "http://169.254.169.254/latest/meta-data/": (
            "169.254.169.254: link-local (cloud metadata service) address"
        ),
        f"http://[::1]:{port}/news/6.html": "::1: loopback address",
        f"http://127.1:{port}/news/7.html": "127.1 -> 127.0.0.1: loopback address",
        # Refused at the redirect hop, not at the source's own link.
        other_host.url("/news/4.html"): "127.0.0.2: loopback address",
    }
    extra = [u for u in refused if "/news/4.html" not in u]
    extra += [f"{base}/hop/4.html", f"{base}/hop/5.html"]
    site.route("/intranet.xml", raw(feed_xml(base, [1], extra), "application/rss+xml"))

    elapsed = crawl(tmp_path, feed_source("intranet", f"{base}/intranet.xml"))

    assert titles(db_url, "intranet") == reports(1, 5)
    recorded = errors(db_url, "intranet")
    assert set(recorded) == set(refused)
    for url, message in refused.items():
        kind, recorded_message = recorded[url]
        assert kind == "forbidden_address", (url, recorded[url])
        assert recorded_message.startswith(message), (url, recorded_message)
    assert other_host.hits == {}  # not even robots.txt
    for path in ("/news/2.html", "/news/6.html", "/news/7.html"):
        assert path not in site.hits
    assert site.hits["/hop/4.html"] == 1
    assert run_statuses(db_url, "intranet") == ["partial"]
    assert elapsed < 60  # no connection attempt waited for a timeout


def test_allow_private_addresses_lets_them_through(
    site: FixtureServer, other_host: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base = site.base_url
    site.route("/hop/4.html", redirect(other_host.url("/news/4.html"), 302))
    extra = [
        f"http://localhost:{site.port}/news/2.html",
        other_host.url("/news/3.html"),
        f"{base}/hop/4.html",
    ]
    site.route("/intranet.xml", raw(feed_xml(base, [1], extra), "application/rss+xml"))

    crawl(
        tmp_path,
        feed_source("intranet", f"{base}/intranet.xml"),
        "allow_private_addresses = true",
    )

    assert titles(db_url, "intranet") == reports(1, 2, 103, 104)
    assert errors(db_url, "intranet") == {}
    assert other_host.hits["/news/3.html"] == other_host.hits["/news/4.html"] == 1


def test_sitemap_cycles_fetch_each_listing_once(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base = site.base_url
    xml = "application/xml"
    # index -> itself, a, urls-1;  a -> b;  b -> a, index (spelt otherwise), urls-2
    site.route("/maps/index.xml", raw(sitemap_index(base, ["index.xml", "a.xml", "u1.xml"]), xml))
    site.route("/maps/a.xml", raw(sitemap_index(base, ["b.xml"]), xml))
    b_children = ["a.xml", "index.xml?utm_source=loop", "u2.xml"]
    site.route("/maps/b.xml", raw(sitemap_index(base, b_children), xml))
    site.route("/maps/u1.xml", raw(urlset(base, [1, 2]), xml))
    site.route("/maps/u2.xml", raw(urlset(base, [3, 4]), xml))

    try:
        elapsed = crawl(tmp_path, sitemap_source("loops", f"{base}/maps/index.xml"))
    except subprocess.TimeoutExpired:
        pytest.fail(f"the crawl went round the cycle: {sum(site.hits.values())} requests")

    listings = {path: n for path, n in site.hits.items() if path.startswith("/maps/")}
    assert listings == {
        f"/maps/{name}": 1 for name in ["index.xml", "a.xml", "b.xml", "u1.xml", "u2.xml"]
    }
    assert titles(db_url, "loops") == reports(1, 2, 3, 4)
    assert errors(db_url, "loops") == {}
    assert run_statuses(db_url, "loops") == ["ok"]
    assert elapsed < 60


def test_listing_depth_and_count_limits_are_recorded_once(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base = site.base_url
    xml = "application/xml"
    # deep: d0 -> d1 -> ... -> d7, each also listing a sitemap of one article.
    for k in range(8):
        children = [f"d{k + 1}.xml", f"u{k}.xml"]
        site.route(f"/maps/d{k}.xml", raw(sitemap_index(base, children), xml))
        site.route(f"/maps/u{k}.xml", raw(urlset(base, [k + 1]), xml))
    # wide: one index naming ten sitemaps.
    site.route("/maps/wide.xml", raw(sitemap_index(base, [f"w{k}.xml" for k in range(10)]), xml))
    for k in range(10):
        site.route(f"/maps/w{k}.xml", raw(urlset(base, [20 + k]), xml))
    sources = sitemap_source("deep", f"{base}/maps/d0.xml")
    sources += sitemap_source("wide", f"{base}/maps/wide.xml")
    limits = "max_listing_depth = 2\nmax_listings_per_run = 6"

    crawl(tmp_path, sources, limits)

    # Depth 0, 1, 2 fetched; d2's children (depth 3) are not.
    fetched = {
        path for path in site.hits if path.startswith("/maps/d") or path.startswith("/maps/u")
    }
    assert fetched == {
        "/maps/d0.xml",
        "/maps/d1.xml",
        "/maps/d2.xml",
        "/maps/u0.xml",
        "/maps/u1.xml",
    }
    assert titles(db_url, "deep") == reports(1, 2)
    [(url, (kind, message))] = errors(db_url, "deep").items()
    assert (url, kind) == (f"{base}/maps/d3.xml", "listing_limit")
    assert message.startswith("listing depth limit (2) reached")
    # The index and five of its ten sitemaps, and one record for the five left out.
    assert site.hits["/maps/wide.xml"] == 1
    # Counted as listings, not requests: under load a request may be retried.
    assert sum(1 for k in range(10) if site.hits.get(f"/maps/w{k}.xml")) == 5
    assert titles(db_url, "wide") == reports(20, 21, 22, 23, 24)
    [(url, (kind, message))] = errors(db_url, "wide").items()
    assert (url, kind) == (f"{base}/maps/w5.xml", "listing_limit")
    assert message.startswith("limit of 6 listings per run reached")
    assert run_statuses(db_url, "deep") == run_statuses(db_url, "wide") == ["partial"]

    # A truncated run keeps no validators: the next one reads the index in full.
    site.reset_hits()
    crawl(tmp_path, sources, limits, "deep")
    first = next(r for r in site.log if r.target == "/maps/d0.xml")
    assert first.if_none_match is None and first.if_modified_since is None
    assert run_statuses(db_url, "deep") == ["partial", "partial"]

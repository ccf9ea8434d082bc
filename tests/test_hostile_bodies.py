"""Hostile bodies end to end (issue 14): XML bombs, external entities, gzip bombs,
endless bodies and over-long URLs.

Each case is a loopback site, a real PostgreSQL and ``wirewatch crawl`` in a
child process whose peak memory is measured (``RUSAGE_CHILDREN`` of a small
wrapper process).  Every source also lists good items, which must all be
stored; each bad input must be recorded against its own URL with a kind that
says what it was; the crawl must end in bounded time and memory, with no run
left ``running``.
"""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.support.crawls import errors, run_statuses, titles
from tests.support.pages import article_html, feed_xml, reports, urlset
from wirewatch.crawler.demo.server import FixtureServer, Request, Response, raw
from wirewatch.crawler.discovery import (
    DiscoveryError,
    UnsafeXml,
    gunzip_listing,
    parse_feed,
    parse_sitemap,
)
from wirewatch.crawler.source_discovery import MAX_BYTES, parse_listing

LOCAL_MARKER = "harbour-master-ledger-7f3a9c"
Handler = Callable[[Request], Response]
# What a crawl of a few pages takes (Scrapy, trafilatura, psycopg, one extraction
# worker at a time is its largest process): about 150 MB.  A bomb that got
# through would add hundreds of MB to GBs.
PEAK_RSS_LIMIT_MB = 400
BOMB_BYTES = 1 << 30  # what the gzip bombs inflate to: 100 times DOWNLOAD_MAXSIZE

# Runs the crawl as its child and reports the child's peak RSS (KiB) on stderr.
MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'peak-rss-kib {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass(frozen=True)
class Crawl:
    code: int
    out: str
    err: str
    seconds: float
    peak_mb: float


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        server.route("/robots.txt", raw("User-agent: *\nAllow: /\n", "text/plain"))
        for n in range(1, 20):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        yield server


def source(name: str, kind: str, urls: list[str]) -> str:
    listed = ", ".join(f'"{url}"' for url in urls)
    return f'[[source]]\nname = "{name}"\nkind = "{kind}"\nurls = [{listed}]\n'


def crawl(tmp_path: Path, sources: str, crawl_table: str = "download_timeout = 5") -> Crawl:
    config = tmp_path / "wirewatch.toml"
    config.write_text(f"{sources}\n[crawl]\n{crawl_table}\n")
    command = [sys.executable, "-c", MEASURE, sys.executable, "-m", "wirewatch.crawler.cli"]
    started = time.monotonic()
    result = subprocess.run(
        [*command, "--config", str(config), "crawl"],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    seconds = time.monotonic() - started
    peak = [line for line in result.stderr.splitlines() if line.startswith("peak-rss-kib ")]
    assert peak, result.stdout + result.stderr
    peak_mb = int(peak[-1].split()[1]) / 1024
    return Crawl(result.returncode, result.stdout, result.stderr, seconds, peak_mb)


def no_run_left_running(db_url: str) -> bool:
    with psycopg.connect(db_url) as conn:
        return not conn.execute(
            "SELECT id FROM wirewatch.crawl_runs WHERE status = 'running'"
        ).fetchall()


def kinds(db_url: str, source_name: str) -> dict[str, str]:
    return {url: kind for url, (kind, _) in errors(db_url, source_name).items()}


def assert_bounded(result: Crawl, seconds: float = 60) -> None:
    assert result.code == 0, result.out + result.err[-4000:]
    assert result.seconds < seconds, f"the crawl took {result.seconds:.0f} s"
    assert result.peak_mb < PEAK_RSS_LIMIT_MB, f"the crawl peaked at {result.peak_mb:.0f} MB"


# -- XML bombs and external entities -------------------------------------------------------


def laughs(root: str, document: str, levels: int = 10) -> str:
    """Billion laughs: ``&lol9;`` stands for 10**9 "lol"s (3 GB); BOMB in ``document`` marks it."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    subset = "\n".join(decls)
    body = document.replace("BOMB", f"&lol{levels - 1};")
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n{subset}\n]>\n{body}'


def rss(items: str) -> str:
    return f'<rss version="2.0"><channel><title>f</title>{items}</channel></rss>'


def rss_item(title: str, link: str) -> str:
    return f"<item><title>{title}</title><link>{link}</link><description>d</description></item>"


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def xxe_sitemap(base: str, secret: Path) -> str:
    """Error-based exfiltration: the file's text would end up in a parser error message."""
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [\n'
        f'<!ENTITY % file SYSTEM "file://{secret}">\n'
        "<!ENTITY % eval \"<!ENTITY &#x25; err SYSTEM 'file:///nonexistent/%file;'>\">\n"
        "%eval;\n%err;\n]>\n"
        f"<urlset xmlns='{SITEMAP_NS}'><url><loc>{base}/news/9.html</loc></url></urlset>"
    )


def test_xml_bombs_and_external_entities_are_refused_and_no_local_file_is_read(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    secret = tmp_path / "ledger.txt"
    secret.write_text(LOCAL_MARKER)
    base = site.base_url
    xml = "application/xml"
    bomb_item = rss_item("BOMB", f"{base}/news/5.html")
    site.route("/feeds/bomb.xml", raw(laughs("rss", rss(bomb_item)), "application/rss+xml"))
    xxe_feed = (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">'
        '<!ENTITY host SYSTEM "file:///etc/hostname">]>\n'
        + rss(rss_item("&x; &host;", f"{base}/news/6.html?&x;"))
    )
    site.route("/feeds/xxe.xml", raw(xxe_feed, "application/rss+xml"))
    site.route("/feeds/good.xml", raw(feed_xml(base, [1, 2]), "application/rss+xml"))
    bomb_map = f"<urlset xmlns='{SITEMAP_NS}'><url><loc>{base}/news/BOMB</loc></url></urlset>"
    site.route("/maps/bomb.xml", raw(laughs("urlset", bomb_map), xml))
    site.route("/maps/xxe.xml", raw(xxe_sitemap(base, secret), xml))
    site.route("/maps/good.xml", raw(urlset(base, [3, 4]), xml))
    feeds = [f"{base}/feeds/{name}.xml" for name in ("bomb", "xxe", "good")]
    maps = [f"{base}/maps/{name}.xml" for name in ("bomb", "xxe", "good")]

    result = crawl(tmp_path, source("feeds", "feed", feeds) + source("maps", "sitemap", maps))

    assert_bounded(result)
    assert titles(db_url, "feeds") == reports(1, 2)
    assert titles(db_url, "maps") == reports(3, 4)
    assert kinds(db_url, "feeds") == {feeds[0]: "unsafe_xml", feeds[1]: "unsafe_xml"}
    assert kinds(db_url, "maps") == {maps[0]: "unsafe_xml", maps[1]: "unsafe_xml"}
    message = errors(db_url, "feeds")[feeds[1]][1]
    assert "external entity 'x'" in message, message
    assert "entity 'lol1' refers to other entities" in errors(db_url, "maps")[maps[0]][1]
    # Nothing the hostile listings name was requested (not even their valid-looking links).
    assert not {"/news/5.html", "/news/6.html", "/news/9.html"} & set(site.hits)
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""
    with psycopg.connect(db_url) as conn:
        stored = conn.execute(
            "SELECT coalesce(string_agg(concat_ws(' ', url, title, text), ' '), '')"
            " FROM wirewatch.articles"
        ).fetchone()[0]
        recorded = conn.execute(
            "SELECT coalesce(string_agg(concat_ws(' ', url, message), ' '), '')"
            " FROM wirewatch.crawl_errors"
        ).fetchone()[0]
    for text in (stored, recorded, result.out, result.err):
        assert LOCAL_MARKER not in text
        assert "lollollol" not in text
    if len(hostname) >= 8:  # short names ("vm") occur in any text
        assert hostname not in stored + recorded
    assert run_statuses(db_url, "feeds") == run_statuses(db_url, "maps") == ["partial"]
    assert no_run_left_running(db_url)


def test_feeds_and_sitemaps_that_declare_only_named_characters_are_read() -> None:
    """HTML-style character entities and the RSS 0.91 DOCTYPE are not bombs."""
    netscape = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        + rss(rss_item("Ferry", "http://a.example/1"))
    )
    assert [x.url for x in parse_feed(netscape.encode(), "http://a.example/")] == [
        "http://a.example/1"
    ]
    named = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY nbsp "&#160;">\n'
        "<!ENTITY copy '(C)'>\n]>\n" + rss(rss_item("Ferry&nbsp;news &copy;", "http://a.example/1"))
    )
    assert [x.url for x in parse_feed(named.encode(), "http://a.example/")] == [
        "http://a.example/1"
    ]
    nbsp_map = (
        '<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY nbsp "&#160;">]>\n'
        f"<urlset xmlns='{SITEMAP_NS}'><url><loc>http://a.example/1</loc></url></urlset>"
    )
    assert [x.url for x in parse_sitemap(nbsp_map.encode(), "http://a.example/").listings] == [
        "http://a.example/1"
    ]


@pytest.mark.parametrize(
    ("subset", "reason"),
    [
        ('<!ENTITY x SYSTEM "file:///etc/passwd">', "external entity 'x'"),
        ('<!ENTITY x PUBLIC "-//x//EN" "http://169.254.169.254/">', "external entity 'x'"),
        ('<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;', "parameter entity 'p'"),
        ('<!ENTITY a "x"><!ENTITY b "&a;&a;">', "entity 'b' refers to other entities"),
        (f'<!ENTITY big "{"A" * 1000}">', "entity 'big' stands for 1,000 characters"),
        ("<!ENTITY broken>", "entity declaration it cannot read"),
    ],
)
def test_what_makes_a_document_unsafe(subset: str, reason: str) -> None:
    document = f'<?xml version="1.0"?><!DOCTYPE urlset [{subset}]><urlset/>'
    for parse in (parse_feed, parse_sitemap):
        with pytest.raises(UnsafeXml, match=reason):
            parse(document.encode(), "http://a.example/")
    as_utf16 = document.replace('"?>', '" encoding="utf-16"?>', 1).encode("utf-16")
    with pytest.raises(UnsafeXml, match=reason):
        parse_sitemap(as_utf16, "http://a.example/")


# -- gzip bombs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 1 MB that inflates to 1 GiB: 1,024 gzip members of 1 MiB of zeros each."""
    return gzip.compress(bytes(1 << 20), 9) * (BOMB_BYTES >> 20)


def test_gunzip_listing_stops_at_the_limit(gzip_bomb: bytes) -> None:
    with pytest.raises(DiscoveryError, match="more than 10,485,760 bytes") as refused:
        gunzip_listing(gzip_bomb, 10 * 1024 * 1024)
    assert refused.value.kind == "too_large"
    assert gunzip_listing(gzip.compress(b"<urlset/>"), 100) == b"<urlset/>"
    noise = random.Random(0).randbytes(300_000)  # incompressible: inflated chunk by chunk
    truncated = gzip.compress(b"<urlset>" + noise + b"</urlset>")[:-1000]
    assert gunzip_listing(truncated, 0).startswith(b"<urlset>")  # what could be read
    with pytest.raises(DiscoveryError, match="bad gzip"):
        gunzip_listing(b"\x1f\x8b\x08" + b"\x00" * 20, 100)


def test_sources_discover_does_not_inflate_a_gzip_bomb(gzip_bomb: bytes) -> None:
    """``wirewatch sources discover`` judges candidates by content: never a whole bomb."""
    tracemalloc.start()
    try:
        assert parse_listing(gzip_bomb, "http://a.example/sitemap.xml.gz") is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_BYTES, f"{peak:,} bytes allocated"
    sitemap = gzip.compress(urlset("http://a.example", [1]).encode())
    parsed = parse_listing(sitemap, "http://a.example/sitemap.xml.gz")
    assert parsed is not None and parsed.kind == "sitemap"


def test_gzip_bombs_are_cut_at_the_size_limit(
    site: FixtureServer, tmp_path: Path, db_url: str, gzip_bomb: bytes
) -> None:
    base = site.base_url
    site.route("/maps/bomb.xml.gz", raw(gzip_bomb, "application/x-gzip"))
    good_map = gzip.compress(urlset(base, [1, 2]).encode())
    site.route("/maps/good.xml.gz", raw(good_map, "application/x-gzip"))
    encoded = {"Content-Encoding": "gzip"}
    site.route("/maps/encoded.xml", raw(gzip_bomb, "application/xml", headers=encoded))
    site.route("/feeds/encoded.xml", raw(gzip_bomb, "application/rss+xml", headers=encoded))
    site.route("/news/encoded.html", raw(gzip_bomb, headers=encoded))
    good_feed = feed_xml(base, [3, 4], [f"{base}/news/encoded.html"])
    site.route("/feeds/good.xml", raw(good_feed, "application/rss+xml"))
    maps = [f"{base}/maps/{name}" for name in ("bomb.xml.gz", "encoded.xml", "good.xml.gz")]
    feeds = [f"{base}/feeds/encoded.xml", f"{base}/feeds/good.xml"]

    result = crawl(tmp_path, source("maps", "sitemap", maps) + source("feeds", "feed", feeds))

    assert_bounded(result)
    assert titles(db_url, "maps") == reports(1, 2)
    assert titles(db_url, "feeds") == reports(3, 4)
    assert kinds(db_url, "maps") == {maps[0]: "too_large", maps[1]: "too_large"}
    assert kinds(db_url, "feeds") == {
        feeds[0]: "too_large",
        f"{base}/news/encoded.html": "too_large",
    }
    assert "DOWNLOAD_MAXSIZE" in errors(db_url, "maps")[maps[0]][1]
    assert run_statuses(db_url, "maps") == run_statuses(db_url, "feeds") == ["partial"]
    assert no_run_left_running(db_url)


# -- endless bodies -----------------------------------------------------------------------


def endless(content_type: str, pause: float = 0.0, give_up: float = 90.0) -> Handler:
    """A body without Content-Length that never ends: fast (``pause=0``) or a trickle.

    The server gives up after ``give_up`` seconds, or when the client hangs up,
    so no test thread outlives a failing test by much.
    """
    head = b"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>"
    if content_type.startswith("text/html"):
        head = b"<!doctype html><html><head><title>Endless</title></head><body>"
    chunk = b"<p>" + b"and the story goes on " * 40 + b"</p>\n"

    def handler(req: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            yield head
            deadline = time.monotonic() + give_up
            while time.monotonic() < deadline:
                if pause and req.wait(pause):
                    return
                yield chunk

        return 200, {"Content-Type": content_type}, chunks()

    return handler


def test_endless_bodies_are_cut_at_the_size_limit_or_the_timeout(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base = site.base_url
    site.route("/feeds/endless.xml", endless("application/rss+xml"))
    site.route("/feeds/trickle.xml", endless("application/rss+xml", pause=0.2))
    site.route("/news/endless.html", endless("text/html; charset=utf-8"))
    site.route("/news/trickle.html", endless("text/html; charset=utf-8", pause=0.2))
    extra = [f"{base}/news/endless.html", f"{base}/news/trickle.html"]
    site.route("/feeds/good.xml", raw(feed_xml(base, [1, 2], extra), "application/rss+xml"))
    feeds = [f"{base}/feeds/{name}.xml" for name in ("endless", "trickle", "good")]

    result = crawl(tmp_path, source("endless", "feed", feeds), "download_timeout = 3")

    assert_bounded(result)
    assert titles(db_url, "endless") == reports(1, 2)
    recorded = errors(db_url, "endless")
    assert {url: kind for url, (kind, _) in recorded.items()} == {
        feeds[0]: "too_large",
        feeds[1]: "timeout",
        f"{base}/news/endless.html": "too_large",
        f"{base}/news/trickle.html": "timeout",
    }
    assert "10,485,760" in recorded[feeds[0]][1] or "10485760" in recorded[feeds[0]][1]
    assert run_statuses(db_url, "endless") == ["partial"]
    assert no_run_left_running(db_url)


# -- URLs longer than Scrapy's URLLENGTH_LIMIT ---------------------------------------------


def test_urls_longer_than_the_limit_are_recorded_one_by_one(
    site: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    base = site.base_url
    long_article = f"{base}/news/7.html?id={'x' * 2100}"
    long_map = f"{base}/maps/child.xml?page={'y' * 2100}"
    # Long only for a tracking parameter, which is dropped before the request is made.
    tracked = f"{base}/news/8.html?utm_source={'z' * 2100}"
    extra = [long_article, f"{base}/news/2.html", tracked]
    site.route("/feed.xml", raw(feed_xml(base, [1], extra)))
    index = (
        f"<?xml version='1.0'?><sitemapindex xmlns='{SITEMAP_NS}'>"
        f"<sitemap><loc>{long_map}</loc></sitemap>"
        f"<sitemap><loc>{base}/maps/u.xml</loc></sitemap></sitemapindex>"
    )
    site.route("/maps/index.xml", raw(index, "application/xml"))
    site.route("/maps/u.xml", raw(urlset(base, [3]), "application/xml"))
    sources = source("long", "feed", [f"{base}/feed.xml"])
    sources += source("longmaps", "sitemap", [f"{base}/maps/index.xml"])

    result = crawl(tmp_path, sources)

    assert_bounded(result)
    assert titles(db_url, "long") == reports(1, 2, 8)
    assert titles(db_url, "longmaps") == reports(3)
    [(url, (kind, message))] = errors(db_url, "long").items()
    assert (url, kind) == (long_article, "url_too_long")
    assert message.startswith(
        f"URL of {len(long_article):,} characters, longer than 2,083 (URLLENGTH_LIMIT)"
    )
    assert kinds(db_url, "longmaps") == {long_map: "url_too_long"}
    assert "/news/7.html" not in site.hits and "/maps/child.xml" not in site.hits
    assert run_statuses(db_url, "long") == run_statuses(db_url, "longmaps") == ["partial"]
    assert no_run_left_running(db_url)

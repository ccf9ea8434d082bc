"""The loopback fixture server and the generated newsrooms, over real HTTP.

Every test talks to a real ``FixtureServer`` on 127.0.0.1 with urllib or
http.client: the crawler's tests rely on these exact behaviours (validators,
304s, hit counts, misbehaving routes), so they are pinned down here.
"""

from __future__ import annotations

import http.client
import math
import random
import re
import time
import tomllib
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from html import unescape
from pathlib import Path

import pytest

from demo.generated import SITEMAP_CHUNK, GeneratedNewsroom, write_sources_toml
from wirewatch.crawler.demo import site_dir
from wirewatch.crawler.demo.server import (
    FixtureServer,
    binary,
    flaky,
    huge,
    raw,
    redirect,
    redirect_loop,
    slow,
    status,
    unchanged_validators,
)
from wirewatch.pipelines.extract import extract_article

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_plain = urllib.request.build_opener(NoRedirect)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) without raising on 3xx/4xx/5xx and without following redirects."""
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _plain.open(req, timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "news").mkdir()
    (tmp_path / "index.html").write_text("<html><body>home</body></html>")
    (tmp_path / "news" / "index.html").write_text("<html><body>section</body></html>")
    (tmp_path / "news" / "a.html").write_bytes(
        b'<html><head><meta charset="windows-1251"></head><body>'
        + "Новости".encode("cp1251")
        + b' <a href="http://newsroom.example/news/b.html">b</a></body></html>'
    )
    (tmp_path / "feed.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<link>http://newsroom.example/</link></channel></rss>"
    )
    (tmp_path / "notes.txt").write_text("plain")
    return tmp_path


@pytest.fixture
def server(tree: Path) -> Iterator[FixtureServer]:
    with FixtureServer(tree) as srv:
        yield srv


# ----------------------------------------------------------------------------- static files


def test_binds_a_random_loopback_port_and_refuses_other_hosts(tree: Path) -> None:
    with FixtureServer(tree) as a, FixtureServer(tree) as b:
        assert a.base_url.startswith("http://127.0.0.1:")
        assert a.port != b.port and a.port > 0
    with pytest.raises(ValueError, match="loopback"):
        FixtureServer(tree, host="0.0.0.0")


def test_serves_files_with_types_declared_charsets_and_base_url(server: FixtureServer) -> None:
    code, headers, body = fetch(server.url("/news/a.html"))
    assert code == 200
    assert headers["Content-Type"] == "text/html; charset=windows-1251"
    assert "Новости".encode("cp1251") in body  # bytes as they are on disk
    assert f'href="{server.base_url}/news/b.html"'.encode() in body  # placeholder rewritten
    assert int(headers["Content-Length"]) == len(body)
    code, headers, body = fetch(server.url("/feed.xml"))
    assert headers["Content-Type"] == "application/xml; charset=utf-8"
    assert f"<link>{server.base_url}/</link>".encode() in body
    assert fetch(server.url("/notes.txt"))[1]["Content-Type"] == "text/plain; charset=utf-8"


def test_directories_serve_index_html_and_redirect_without_slash(server: FixtureServer) -> None:
    assert fetch(server.url("/"))[2] == b"<html><body>home</body></html>"
    assert fetch(server.url("/news/"))[2] == b"<html><body>section</body></html>"
    code, headers, _ = fetch(server.url("/news"))
    assert code == 301 and headers["Location"] == "/news/"
    assert fetch(server.url("/nope.html"))[0] == 404


def test_no_path_traversal(server: FixtureServer, tree: Path) -> None:
    (tree.parent / "secret.txt").write_text("secret")
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for target in ("/../secret.txt", "/news/../../secret.txt", "/%2e%2e/secret.txt"):
        conn.request("GET", target)
        resp = conn.getresponse()
        assert b"secret" not in resp.read()
    conn.close()


def test_validators_and_conditional_requests(server: FixtureServer) -> None:
    code, headers, body = fetch(server.url("/feed.xml"))
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    code, headers, body = fetch(server.url("/feed.xml"), {"If-None-Match": etag})
    assert (code, body) == (304, b"")
    assert headers["ETag"] == etag
    assert fetch(server.url("/feed.xml"), {"If-None-Match": '"other"'})[0] == 200
    assert fetch(server.url("/feed.xml"), {"If-None-Match": f'"x", W/{etag}'})[0] == 304
    assert fetch(server.url("/feed.xml"), {"If-Modified-Since": modified})[0] == 304
    old = formatdate(time.time() - 10 * 86400, usegmt=True)
    assert fetch(server.url("/feed.xml"), {"If-Modified-Since": old})[0] == 200
    assert fetch(server.url("/feed.xml"), {"If-Modified-Since": "garbage"})[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110)
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert fetch(server.url("/feed.xml"), both)[0] == 200


def test_head_has_headers_but_no_body(server: FixtureServer) -> None:
    code, headers, body = fetch(server.url("/feed.xml"), method="HEAD")
    assert code == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_hits_count_every_request_by_target_and_reset(server: FixtureServer) -> None:
    urls = [server.url("/feed.xml")] * 40 + [server.url("/news/a.html?x=1")] * 10
    with ThreadPoolExecutor(8) as pool:
        assert all(code == 200 for code, _, _ in pool.map(fetch, urls))
    fetch(server.url("/missing"))
    assert server.hits == {"/feed.xml": 40, "/news/a.html?x=1": 10, "/missing": 1}
    assert server.statuses() == {200: 50, 404: 1}
    assert len(server.log) == 51 and server.log[-1].status == 404
    server.reset_hits()
    assert server.hits == {} and server.log == []


def test_log_records_conditional_headers_and_user_agent(server: FixtureServer) -> None:
    fetch(server.url("/feed.xml"), {"If-None-Match": '"abc"', "User-Agent": "wirewatch-test"})
    record = server.log[-1]
    assert record.if_none_match == '"abc"' and record.user_agent == "wirewatch-test"
    assert record.method == "GET" and record.target == "/feed.xml"


def test_keep_alive_connections_are_reused(server: FixtureServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    for _ in range(3):
        conn.request("GET", "/feed.xml")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read()
    conn.close()
    assert server.hits["/feed.xml"] == 3


# ----------------------------------------------------------------------------- routes


def test_routes_override_the_site_and_can_be_removed(server: FixtureServer) -> None:
    server.route("/feed.xml", raw("<rss/>", "application/rss+xml"))
    code, headers, body = fetch(server.url("/feed.xml?utm=1"))
    assert (code, body) == (200, b"<rss/>")
    assert headers["Content-Type"] == "application/rss+xml"
    server.unroute("/feed.xml")
    assert b"<channel>" in fetch(server.url("/feed.xml"))[2]
    server.route("/api/", status(418), prefix=True)
    assert fetch(server.url("/api/anything/here"))[0] == 418


def test_routes_without_a_site() -> None:
    with FixtureServer() as srv:
        srv.route("/x", raw(b"x"))
        assert fetch(srv.url("/x"))[2] == b"x"
        assert fetch(srv.url("/index.html"))[0] == 404


def test_raw_answers_conditional_requests() -> None:
    with FixtureServer() as srv:
        srv.route("/page", raw("<p>hello</p>"))
        srv.route("/plain", raw("<p>hello</p>", validators=False))
        _, headers, _ = fetch(srv.url("/page"))
        assert fetch(srv.url("/page"), {"If-None-Match": headers["ETag"]})[0] == 304
        _, headers, _ = fetch(srv.url("/plain"))
        assert "ETag" not in headers and "Last-Modified" not in headers


def test_status_with_retry_after_and_redirects() -> None:
    with FixtureServer() as srv:
        srv.route("/busy", status(503, retry_after=120))
        srv.route("/limited", status(429, retry_after="Wed, 21 Oct 2026 07:28:00 GMT"))
        srv.route("/gone", status(410))
        srv.route("/old", redirect("/gone"))
        srv.route("/loop", redirect_loop())
        srv.route("/a", redirect_loop("/b"))
        srv.route("/b", redirect_loop("/a"))
        code, headers, body = fetch(srv.url("/busy"))
        assert (code, headers["Retry-After"]) == (503, "120")
        assert b"Service Unavailable" in body
        assert fetch(srv.url("/limited"))[1]["Retry-After"].startswith("Wed")
        assert fetch(srv.url("/gone"))[0] == 410
        assert fetch(srv.url("/old"))[:2][0] == 301
        assert fetch(srv.url("/old"))[1]["Location"] == "/gone"
        assert fetch(srv.url("/loop?n=1"))[1]["Location"] == "/loop?n=1"
        assert fetch(srv.url("/a"))[1]["Location"] == "/b"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(srv.url("/loop"), timeout=5)  # follows redirects
        assert err.value.code == 302
        assert srv.hits["/loop"] >= 2


def test_slow_responses_time_out_and_close_is_prompt() -> None:
    srv = FixtureServer().start()
    srv.route("/slow", slow(30))
    srv.route("/quick", slow(0.05, "done"))
    assert fetch(srv.url("/quick"))[2] == b"done"
    with pytest.raises(TimeoutError):
        urllib.request.urlopen(srv.url("/slow"), timeout=0.3)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(lambda: urllib.request.urlopen(srv.url("/slow"), timeout=10).read())
        time.sleep(0.2)
        started = time.monotonic()
        srv.close()
        assert time.monotonic() - started < 2
        pending.exception(timeout=5)  # the client is released too, one way or another
    assert time.monotonic() - started < 3


def test_binary_is_deterministic_and_typed() -> None:
    with FixtureServer() as srv:
        srv.route("/photo.jpg", binary(5000, "image/jpeg"))
        code, headers, body = fetch(srv.url("/photo.jpg"))
        assert (code, headers["Content-Type"], len(body)) == (200, "image/jpeg", 5000)
        assert fetch(srv.url("/photo.jpg"))[2] == body == random.Random(0).randbytes(5000)


@pytest.mark.parametrize("declare", [True, False])
def test_huge_streams_the_exact_size(declare: bool) -> None:
    size = 3_000_000
    with FixtureServer() as srv:
        srv.route("/huge.html", huge(size, declare_length=declare))
        code, headers, body = fetch(srv.url("/huge.html"))
        assert code == 200 and len(body) == size
        assert (
            (headers["Content-Length"] == str(size)) if declare else "Content-Length" not in headers
        )
        assert body.startswith(b"<!doctype html>") and body.endswith(b"</html>\n")
        # a client that gives up early does not break the server
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=5)
        conn.request("GET", "/huge.html")
        conn.getresponse().read(1000)
        conn.close()
        assert fetch(srv.url("/huge.html"), method="HEAD")[0] == 200


def test_unchanged_validators_send_new_content_under_old_validators() -> None:
    with FixtureServer() as srv:
        srv.route("/feed.xml", unchanged_validators(["<rss>1</rss>", "<rss>2</rss>"]))
        srv.route("/feed304.xml", unchanged_validators(["<a/>", "<b/>"], honor_conditional=True))
        _, h1, b1 = fetch(srv.url("/feed.xml"))
        _, h2, b2 = fetch(srv.url("/feed.xml"), {"If-None-Match": h1["ETag"]})
        _, h3, b3 = fetch(srv.url("/feed.xml"))
        assert (b1, b2, b3) == (b"<rss>1</rss>", b"<rss>2</rss>", b"<rss>2</rss>")
        assert h1["ETag"] == h2["ETag"] == h3["ETag"]
        assert h1["Last-Modified"] == h2["Last-Modified"]
        _, h, body = fetch(srv.url("/feed304.xml"))
        assert body == b"<a/>"
        assert fetch(srv.url("/feed304.xml"), {"If-None-Match": h["ETag"]})[0] == 304
        assert fetch(srv.url("/feed304.xml"))[2] == b"<b/>"


def test_flaky_fails_then_recovers() -> None:
    with FixtureServer() as srv:
        srv.route("/flaky", flaky(2, "ok", retry_after=1))
        first, second, third = (fetch(srv.url("/flaky")) for _ in range(3))
        assert first[0] == second[0] == 503 and first[1]["Retry-After"] == "1"
        assert (third[0], third[2]) == (200, b"ok")


def test_a_broken_handler_is_a_500_not_a_hang() -> None:
    def boom(req: object) -> tuple[int, dict[str, str], bytes]:
        raise RuntimeError("handler bug")

    with FixtureServer() as srv:
        srv.route("/boom", boom)
        code, _, body = fetch(srv.url("/boom"))
        assert code == 500 and b"handler bug" in body


def test_serves_the_bundled_newsroom() -> None:
    with FixtureServer(site_dir()) as srv:
        code, headers, body = fetch(srv.url("/wire/feed.xml"))
        assert code == 200 and headers["Content-Type"].startswith("application/xml")
        links = [el.text for el in ET.fromstring(body).iter("link")]
        assert links and all(link.startswith(srv.base_url) for link in links)
        assert b"newsroom.example" not in body


# ----------------------------------------------------------------------------- generated


@pytest.fixture(scope="module")
def room() -> GeneratedNewsroom:
    return GeneratedNewsroom(2500, n_outlets=4, wire_share=0.3, seed=7)


def paragraphs(html: bytes) -> list[str]:
    return [unescape(p) for p in re.findall(r"<p>(.*?)</p>", html.decode("utf-8"))]


def shingles(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + k]) for i in range(len(words) - k + 1)}


def test_generated_counts_and_ground_truth(room: GeneratedNewsroom) -> None:
    stats = room.stats()
    assert stats["articles"] == 2500 == sum(room.articles_per_source().values())
    assert stats["wire_originals"] + stats["copies"] + stats["outlet_originals"] == 2500
    assert abs((stats["wire_originals"] + stats["copies"]) / 2500 - 0.3) < 0.01
    arts = list(room.articles())
    truth = room.truth()
    assert len(truth) == 2500 and len({a.path for a in arts}) == 2500
    assert len(set(truth.values())) == stats["stories"]
    by_path = {a.path: a for a in arts}
    copies_of: dict[str, list[str]] = {}
    for a in arts:
        if a.kind == "copy":
            wire = by_path[a.copy_of]
            assert wire.kind == "wire" and wire.story == a.story and a.site != "wire"
            assert a.published > wire.published
            copies_of.setdefault(a.copy_of, []).append(a.site)
        else:
            assert a.copy_of is None
    assert all(1 <= len(s) <= 3 and len(set(s)) == len(s) for s in copies_of.values())


def test_generated_is_deterministic(room: GeneratedNewsroom) -> None:
    twin = GeneratedNewsroom(2500, n_outlets=4, wire_share=0.3, seed=7)
    other = GeneratedNewsroom(2500, n_outlets=4, wire_share=0.3, seed=8)
    for i in (0, 1, 777, 2499):
        page = room.get(room.path(i), "http://h")
        assert page is not None and page == twin.get(twin.path(i), "http://h")
        assert page.body != other.get(other.path(i), "http://h").body
    assert room.get("/wire/feed.xml", "http://h") == twin.get("/wire/feed.xml", "http://h")


def test_generated_copies_are_near_identical_and_stories_distinct(room: GeneratedNewsroom) -> None:
    arts = list(room.articles())
    by_path = {a.path: a for a in arts}

    def text(path: str) -> set[tuple[str, ...]]:
        return shingles(" ".join(paragraphs(room.get(path, "http://h").body)))

    for copy in [a for a in arts if a.kind == "copy"][:30]:
        mine, wire = text(copy.path), text(copy.copy_of)
        assert len(mine & wire) / len(mine) > 0.6, copy.path
    rng = random.Random(1)
    for _ in range(60):
        a, b = rng.sample(arts, 2)
        if a.story != b.story:
            sa, sb = text(a.path), text(b.path)
            assert len(sa & sb) / len(sa | sb) < 0.1, (a.path, b.path)
    assert by_path  # keep the mapping obviously used


def test_web_weight_pages_wrap_the_same_article_in_a_real_pages_weight() -> None:
    """``page_weight="web"``: scripts (a bot-management one among them), styles, menus and
    ad slots around the same article, which extraction finds as it was."""
    light = GeneratedNewsroom(80, n_outlets=2, seed=3)
    web = GeneratedNewsroom(80, n_outlets=2, seed=3, page_weight="web")
    for i in range(0, 80, 9):
        url = "http://h" + light.path(i)
        plain = light.get(light.path(i), "http://h").body
        heavy = web.get(web.path(i), "http://h").body
        assert len(heavy) > 100_000 > 10 * len(plain)
        assert b"/cdn-cgi/challenge-platform/" in heavy and b'id="__NEXT_DATA__"' in heavy
        assert paragraphs(heavy) == paragraphs(plain)
        article, same = extract_article(plain, url), extract_article(heavy, url)
        assert same.reason is None and same.text == article.text
        assert (same.title, same.published, same.authors) == (
            article.title,
            article.published,
            article.authors,
        )
    with pytest.raises(ValueError, match="page_weight"):
        GeneratedNewsroom(10, page_weight="heavy")


def test_generated_site_over_http(room: GeneratedNewsroom) -> None:
    with FixtureServer(room) as srv:
        base = srv.base_url
        sitemap_urls: set[str] = set()
        for site in room.sites:
            code, headers, body = fetch(f"{base}/{site}/sitemap.xml")
            assert code == 200 and headers["Content-Type"] == "application/xml"
            children = [el.text for el in ET.fromstring(body).iter(f"{SM}loc")]
            n_site = sum(1 for a in room.articles() if a.site == site)
            assert len(children) == math.ceil(n_site / SITEMAP_CHUNK)
            for child in children:
                code, _, body = fetch(child)
                tree = ET.fromstring(body)
                locs = [el.text for el in tree.iter(f"{SM}loc")]
                assert 0 < len(locs) <= SITEMAP_CHUNK
                assert len(list(tree.iter(f"{NEWS}publication_date"))) == len(locs)
                sitemap_urls.update(locs)
            code, _, body = fetch(f"{base}/{site}/feed.xml")
            items = ET.fromstring(body).findall("./channel/item")
            assert code == 200 and 0 < len(items) <= room.feed_items
        assert sitemap_urls == {base + p for p in room.truth()}
        a = next(x for x in room.articles() if x.kind == "copy")
        code, headers, body = fetch(base + a.path)
        assert code == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        for marker in ("Skip to main content", "Breaking News", "16x9 Image", "Related Stories"):
            assert marker.encode() in body
        assert f'<link rel="canonical" href="{base}{a.path}">'.encode() in body
        assert fetch(base + a.path, {"If-None-Match": headers["ETag"]})[0] == 304
        assert fetch(base + a.path.replace(".html", "x.html"))[0] == 404
        assert fetch(base + "/wire/news/20261101-9999999-a-b-c.html")[0] == 404
        assert fetch(base + "/robots.txt")[0] == 200
        assert fetch(base + "/nosuchsite/feed.xml")[0] == 404
        for extra in ("about/", "tag/weather/", "login/"):  # non-article links resolve
            assert fetch(f"{base}/{room.sites[2]}/{extra}")[0] == 200


def test_generated_section_pages_page_through_every_article(room: GeneratedNewsroom) -> None:
    site = room.sites[1]
    seen: set[str] = set()
    with FixtureServer(room) as srv:
        for section in ("news", "business", "culture"):
            url = f"{srv.base_url}/{site}/section/{section}/"
            while url:
                code, _, body = fetch(url)
                assert code == 200
                html = body.decode()
                seen.update(re.findall(rf'href="(/{site}/\d{{4}}/\d{{2}}/\d{{2}}/[^"]+)"', html))
                older = re.search(r'href="([^"]+/page/\d+/)">Older stories', html)
                url = srv.base_url + older.group(1) if older else ""
        assert "/login/" in fetch(f"{srv.base_url}/{site}/section/news/")[2].decode()
    assert seen == {a.path for a in room.articles() if a.site == site}


def test_generated_clock_publishes_articles_over_time() -> None:
    room = GeneratedNewsroom(3000, n_outlets=3, seed=11)
    everything = room.truth()
    room.publish_fraction(0.5)
    half = room.truth()
    assert 1400 <= len(half) <= 1600 and set(half) < set(everything)
    assert room.stats()["articles"] == len(half) == sum(room.articles_per_source().values())
    late = next(p for p in everything if p not in half)
    with FixtureServer(room) as srv:
        before = {}
        for site in room.sites:
            _, headers, body = fetch(f"{srv.base_url}/{site}/sitemap.xml")
            before[site] = headers["ETag"]
            children = [el.text for el in ET.fromstring(body).iter(f"{SM}loc")]
            locs = {el.text for c in children for el in ET.fromstring(fetch(c)[2]).iter(f"{SM}loc")}
            assert {u.removeprefix(srv.base_url) for u in locs} == {
                p for p in half if p.startswith(f"/{site}/")
            }
        assert fetch(srv.base_url + late)[0] == 404
        old = next(iter(half))
        _, headers, _ = fetch(srv.base_url + old)
        room.set_clock(None)
        assert fetch(srv.base_url + late)[0] == 200
        # old pages are byte-identical, so a warm crawl gets 304s for them
        assert fetch(srv.base_url + old, {"If-None-Match": headers["ETag"]})[0] == 304
        for site in room.sites:  # new articles: the index's lastmod moved on
            assert fetch(f"{srv.base_url}/{site}/sitemap.xml")[1]["ETag"] != before[site]
    assert room.truth() == everything


def test_a_large_generated_newsroom_serves_any_page_on_demand() -> None:
    """100,000 articles, none built up front: any page is made when asked for.
    (How fast is measured by the crawl benchmarks, not asserted here.)"""
    big = GeneratedNewsroom(100_000, seed=3)
    for i in (0, 331, 50_000, 99_999):
        page = big.get(big.path(i), "http://127.0.0.1:1")
        assert page is not None
        assert big.get(big.path(i), "http://127.0.0.1:1") == page


def test_generated_sources_toml(room: GeneratedNewsroom, tmp_path: Path) -> None:
    for mode in ("sitemap", "mixed"):
        path = write_sources_toml(room, tmp_path / f"{mode}.toml", "http://127.0.0.1:1", mode)
        sources = tomllib.loads(path.read_text())["source"]
        assert [s["name"] for s in sources] == [f"gen-{s}" for s in room.sites]
        assert [s["wire"] for s in sources] == [True] + [False] * room.n_outlets
        for s in sources:
            assert re.fullmatch(r"[a-z0-9_-]+", s["name"])
            assert s["kind"] in ("feed", "sitemap", "section")
            if s["kind"] == "section":
                assert all(room.get(u.removeprefix("http://127.0.0.1:1"), "x") for u in s["urls"])
                site = s["name"].removeprefix("gen-")
                mine = [p for p in room.truth() if p.startswith(f"/{site}/")]
                assert mine and all(re.search(s["follow"], p) for p in mine)
            else:
                assert room.get(s["url"].removeprefix("http://127.0.0.1:1"), "x") is not None
    assert "{base}/wire/sitemap.xml" in room.sources_toml()
    with pytest.raises(ValueError):
        room.sources_toml(discovery="everything")

"""Never hammering a site: Retry-After honoured, backoff remembered, concurrency bounded.

Real loopback servers and real crawls in child processes; the server's
request log (arrival times, headers) is the evidence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article_html, feed_xml
from wirewatch.crawler.demo.server import FixtureServer, Request, Response, flaky, raw, status

USER_AGENT = "wirewatch-test/1 (+mailto:ops@example.org)"


def write_config(tmp_path: Path, base: str, crawl: str = "") -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f"""
[[source]]
name = "district"
kind = "feed"
url = "{base}/feed.xml"

[crawl]
user_agent = "{USER_AGENT}"
{crawl}
"""
    )
    return path


def crawl(config: Path) -> str:
    result = run_wirewatch("--config", str(config), "crawl")
    return result.stdout + result.stderr


def stored(db_url: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        return {r[0].rsplit("/", 1)[1] for r in conn.execute("SELECT url FROM wirewatch.articles")}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as srv:
        for n in range(1, 7):
            srv.route(f"/news/{n}.html", raw(article_html(n)))
        srv.route(
            "/feed.xml", raw(feed_xml(srv.base_url, list(range(1, 7))), "application/rss+xml")
        )
        yield srv


def test_retry_after_holds_the_domain_then_the_page_is_fetched(
    server: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    server.route("/news/3.html", flaky(1, article_html(3), failure_status=429, retry_after=2))
    crawl(write_config(tmp_path, server.base_url, "concurrency_per_domain = 1"))
    log = [r for r in server.log if r.target != "/robots.txt"]
    refused = next(r for r in log if r.status == 429)
    later = [r for r in log if r.time > refused.time]
    assert later, "the page was not retried"
    # Nothing reached the host until the asked-for two seconds had passed.
    assert min(r.time for r in later) - refused.time >= 1.9
    assert [r.status for r in later if r.target == "/news/3.html"] == [200]
    assert stored(db_url) == {f"{n}.html" for n in range(1, 7)}
    assert {r.user_agent for r in server.log} == {USER_AGENT}


def test_a_long_retry_after_is_remembered_by_the_next_run(
    server: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    for n in range(1, 7):
        server.route(f"/news/{n}.html", status(503, retry_after=3600))
    config = write_config(tmp_path, server.base_url, "concurrency_per_domain = 1")
    crawl(config)
    first = [r for r in server.log if r.target.startswith("/news/")]
    # Every article answers 503 asking for an hour: the first is not retried,
    # and the rest of the host's queue is left alone rather than hammered.
    # (one more request may already have been on its way when the first 503 arrived)
    assert 1 <= len(first) <= 2
    assert len({r.target for r in first}) == len(first)
    with psycopg.connect(db_url) as conn:
        host, reason = conn.execute("SELECT host, reason FROM wirewatch.host_backoff").fetchone()
    assert host == "127.0.0.1" and "503" in reason
    server.reset_hits()
    output = crawl(config)
    assert server.log == [], output  # not even robots.txt or the feed


def test_slow_site_gets_no_more_than_its_per_domain_concurrency(
    server: FixtureServer, tmp_path: Path, db_url: str
) -> None:
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]

    def slow_article(n: int):
        page = article_html(n)

        def handler(req: Request) -> Response:
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            try:
                time.sleep(0.3)
                return 200, {"Content-Type": "text/html; charset=utf-8"}, page
            finally:
                with lock:
                    in_flight[0] -= 1

        return handler

    for n in range(1, 7):
        server.route(f"/news/{n}.html", slow_article(n))
    crawl(write_config(tmp_path, server.base_url, "concurrency_per_domain = 2"))
    assert stored(db_url) == {f"{n}.html" for n in range(1, 7)}
    assert 1 <= peak[0] <= 2

"""A crawl's log is for an operator: one short line per page event, each naming its source.

Items carry the raw page until extraction; Scrapy's default log formatter
wrote them whole for every dropped page (one line of 600,000 characters).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article_html, feed_xml
from tests.support.probes import python_says
from tests.support.walls import CLOUDFLARE_STYLE, HUGE_SCRIPTS_FIRST, PAYWALL_TEASER
from wirewatch.crawler.demo.server import FixtureServer, raw

MAX_LINE = 2000


def crawl_with_walls(tmp_path: Path, *options: str) -> tuple[str, str]:
    """stderr of a crawl of a feed listing two walls, a huge article and two articles."""
    with FixtureServer() as server:
        base = server.base_url
        for n in (1, 2):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        pages = {
            "/news/challenge.html": CLOUDFLARE_STYLE + b"<!--" + b"x" * 50_000 + b"-->",
            "/news/paywall.html": PAYWALL_TEASER,
            "/news/huge.html": HUGE_SCRIPTS_FIRST,
        }
        for path, body in pages.items():
            server.route(path, raw(body))
        listed = [base + path for path in pages]
        server.route("/feed.xml", raw(feed_xml(base, [1, 2], listed), "application/rss+xml"))
        config = tmp_path / "wirewatch.toml"
        config.write_text(f'[[source]]\nname = "walls"\nkind = "feed"\nurl = "{base}/feed.xml"\n')
        result = run_wirewatch(*options, "--config", str(config), "crawl")
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return base, result.stderr


@pytest.mark.usefixtures("db_url")
def test_dropped_pages_are_one_short_line_naming_url_kind_and_source(tmp_path: Path) -> None:
    base, stderr = crawl_with_walls(tmp_path)
    lines = stderr.splitlines()
    assert max(map(len, lines)) <= MAX_LINE
    assert "Just a moment" not in stderr  # never the page
    dropped = [line for line in lines if line.split(": ", 1)[-1].startswith("Dropped ")]
    assert len(dropped) == 2, dropped
    assert any(f"{base}/news/challenge.html: blocked:" in line for line in dropped)
    assert any(f"{base}/news/paywall.html: paywall:" in line for line in dropped)
    assert all("[walls#" in line for line in dropped)
    assert len(lines) < 100


@pytest.mark.usefixtures("db_url")
def test_json_log_lines_carry_source_and_run_id(tmp_path: Path) -> None:
    _, stderr = crawl_with_walls(tmp_path, "--json-logs")
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert records and max(len(line) for line in stderr.splitlines()) <= MAX_LINE
    dropped = [r for r in records if r["msg"].startswith("Dropped ")]
    assert len(dropped) == 2
    assert {r["source"] for r in dropped} == {"walls"}
    assert all(isinstance(r["run_id"], int) for r in dropped)


LEVEL_PROBE = """
import logging
from scrapy.crawler import CrawlerProcess
from wirewatch.crawler.logs import configure_logging, scrapy_at_our_level

configure_logging(LEVEL)
CrawlerProcess({"LOG_INSTALL_ROOT_HANDLER": False})  # Scrapy's set-up: its loggers at DEBUG
scrapy_at_our_level()
print(logging.getLogger("scrapy.core.engine").isEnabledFor(logging.DEBUG))
"""


@pytest.mark.parametrize(("level", "built"), [("INFO", "False"), ("DEBUG", "True")])
def test_scrapy_builds_its_per_page_debug_lines_only_when_they_are_written(
    level: str, built: str
) -> None:
    code = LEVEL_PROBE.replace("LEVEL", repr(level))
    assert python_says(code).split() == [built]

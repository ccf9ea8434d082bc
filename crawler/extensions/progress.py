"""A crawl's progress on the terminal: one bar per source, with pages, articles and errors.

On when ``WIREWATCH_PROGRESS`` is set, which ``wirewatch crawl`` does when
stderr is its terminal and it is not ``--quiet``.  The figures are read from
the crawler's stats twice a second on the reactor and drawn by
``crawler.progress``: never a log line, so logs and cron mail stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

from wirewatch.crawler.extensions.crawl_runs import RUN_ERRORS_STAT
from wirewatch.pipelines.progress import Bar

INTERVAL = 0.5  # seconds between readings of the stats
PAGES = "{desc}: {n_fmt}/{total_fmt} pages [{elapsed}<{remaining}, {rate_noinv_fmt}{postfix}]"


def figures(stats: Mapping[str, Any]) -> dict[str, int]:
    """What a source's bar shows: requests done of those scheduled so far (listings,
    articles, robots.txt), articles stored (new or updated) and recorded errors."""
    done = stats.get("response_received_count", 0) + stats.get("downloader/exception_count", 0)
    return {
        "done": done,
        "scheduled": max(done, stats.get("scheduler/enqueued", 0)),
        "articles": stats.get("wirewatch/articles_new", 0)
        + stats.get("wirewatch/articles_updated", 0),
        "errors": stats.get(RUN_ERRORS_STAT, 0),
    }


class CrawlProgress:
    """The bar of one crawler (one source), fed from its stats while its spider runs."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.bar: Bar | None = None
        self.task: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        if not crawler.settings.getbool("WIREWATCH_PROGRESS"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Spider) -> None:
        self.bar = Bar(getattr(spider, "source_name", spider.name), unit=" pages", bar_format=PAGES)
        self.task = LoopingCall(self.refresh)
        self.task.start(INTERVAL, now=True)

    def refresh(self) -> None:
        if self.bar is None or self.crawler.stats is None:
            return
        now = figures(self.crawler.stats.get_stats())
        self.bar.set(
            now["done"], total=now["scheduled"], articles=now["articles"], errors=now["errors"]
        )

    def closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.bar is not None:
            self.refresh()
            self.bar.close()
            self.bar = None

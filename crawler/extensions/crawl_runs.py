"""Recording each crawl of a source as a row of ``crawl_runs``, with its errors.

A run is "failed" when not one of the source's listing pages (feed, sitemap,
section page) could be read, "partial" when some pages failed or the crawl
was cut short, "ok" otherwise.  Every failure is also a ``crawl_errors`` row
naming the URL, so an operator sees *which* page broke and why.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler import locks
from crawler import signals as ww_signals
from crawler.redact import redact_text, redact_url
from pipelines import db
from pipelines.outcomes import PageRejected
from pipelines.queries import Q

log = logging.getLogger(__name__)

RUN_ID_STAT = "wirewatch/crawl_run_id"
# Outcomes of pages that are not errors of the crawl: the page was fine but
# not an article, or robots.txt asked us not to fetch it.
NOT_ERRORS = frozenset({"not_article", "robots_disallowed"})


def run_metrics(article_pages: int, body_lengths: list[int]) -> dict[str, Any]:
    """Extraction yield and median body length of a run, for drift alarms.

    Every item is an article page the spider fetched; ``body_lengths`` holds
    the text length of those that came out of the pipelines with a body.  A
    redesign that breaks extraction shows as a falling yield or length.
    """
    return {
        "article_pages": article_pages,
        "bodies": len(body_lengths),
        "extraction_yield": len(body_lengths) / article_pages if article_pages else None,
        "median_body_chars": statistics.median(body_lengths) if body_lengths else None,
    }


def run_status(listings_read: int, errors: int, finish_reason: str) -> str:
    if listings_read == 0:
        return "failed"
    if errors or finish_reason != "finished":
        return "partial"
    return "ok"


class CrawlRunRecorder:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.database_url: str | None = crawler.settings.get("DATABASE_URL")
        self.conn: psycopg.Connection | None = None
        self.run_id: int | None = None
        self.source: str | None = None
        self.outcomes: Counter[str] = Counter()
        self.errors = 0
        self.listings_read = 0
        self.started_at: datetime | None = None
        self.article_pages = 0
        self.body_lengths: list[int] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(recorder.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(recorder.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(recorder.item_error, signal=signals.item_error)
        crawler.signals.connect(recorder.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(recorder.page_failed, signal=ww_signals.page_failed)
        crawler.signals.connect(recorder.listing_read, signal=ww_signals.listing_read)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        if source is None:
            return
        self.source = source.name
        url = self.database_url or db.database_url()
        db.ensure_migrated(url)
        self.conn = db.connect(url, autocommit=True)
        self._lock_source(source.name)
        self.conn.execute(Q.upsert_source, source.as_row())
        row = self.conn.execute(Q.start_crawl_run, {"source": source.name}).fetchone()
        self.run_id = row["id"]
        self.started_at = row["started_at"]
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        log.info("crawl run %s of source %s started", self.run_id, source.name)

    def _lock_source(self, name: str) -> None:
        """Hold the source's advisory lock for the crawl when no runner does.

        ``wirewatch crawl`` and the daemon lock in ``crawler.runner``; a crawl
        started any other way (``scrapy crawl``, a scrapyd node) takes it here,
        on the connection it keeps until the spider closes, or does not run.
        """
        assert self.conn is not None
        if self.crawler.settings.getbool("WIREWATCH_SOURCE_LOCKED"):
            return
        if not locks.try_lock(self.conn, locks.source_lock_key(name)):
            self.conn.close()
            self.conn = None
            log.warning("source %s is being crawled by another process: not crawling it", name)
            raise CloseSpider("source_locked")

    def listing_read(self, url: str, spider: Spider) -> None:
        self.listings_read += 1

    def page_failed(self, url: str, kind: str, message: str, listing: bool, spider: Spider) -> None:
        self._record(url, kind, message)

    def request_dropped(self, request: Any, spider: Spider) -> None:
        """A redirect back to a URL already requested is a loop the dupefilter cut."""
        chain = request.meta.get("redirect_urls")
        if chain:
            self._record(chain[0], "redirect_loop", f"redirects back to {request.url}")

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        self.article_pages += 1
        self.body_lengths.append(len(item.get("text") or ""))

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Spider) -> None:
        self.article_pages += 1
        kind = exception.kind if isinstance(exception, PageRejected) else "dropped"
        detail = exception.detail if isinstance(exception, PageRejected) else str(exception)
        self._record(item.get("url"), kind, detail)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        self.article_pages += 1
        self._record(item.get("url"), "pipeline_error", failure.getErrorMessage())

    def _record(self, url: str | None, kind: str, message: str) -> None:
        self.outcomes[kind] += 1
        self.crawler.stats.inc_value(f"wirewatch/outcome/{kind}")
        if kind in NOT_ERRORS:
            return
        self.errors += 1
        if self.conn is None:
            return
        try:
            self.conn.execute(
                Q.record_crawl_error,
                {
                    "run_id": self.run_id,
                    "source": self.source,
                    # Stored and shown to operators: no passwords or tokens.
                    "url": redact_url(url) if url else url,
                    "kind": kind,
                    "message": redact_text(message)[:2000],
                },
            )
        except psycopg.Error as exc:
            log.error("could not record a crawl error (%s): %s", kind, exc)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.conn is None or self.run_id is None:
            return
        stats = self.crawler.stats
        # A scale-out worker that joined another worker's round reads no listings
        # of its own (crawler.redis_scale): judge it by its errors alone.
        joined = getattr(getattr(spider, "wirewatch_round", None), "seeder", True) is False
        status = run_status(max(self.listings_read, int(joined)), self.errors, reason)
        try:
            latency = self.conn.execute(
                Q.run_latency, {"run_id": self.run_id, "started_at": self.started_at}
            ).fetchone()
            self.conn.execute(
                Q.finish_crawl_run,
                {
                    "id": self.run_id,
                    "status": status,
                    "finish_reason": reason,
                    "pages_fetched": stats.get_value("response_received_count", 0),
                    "articles_new": stats.get_value("wirewatch/articles_new", 0),
                    "articles_updated": stats.get_value("wirewatch/articles_updated", 0),
                    "articles_unchanged": stats.get_value("wirewatch/articles_unchanged", 0),
                    "errors": self.errors,
                    "stats": Jsonb(
                        {
                            "outcomes": dict(self.outcomes),
                            "listings_read": self.listings_read,
                            **run_metrics(self.article_pages, self.body_lengths),
                            # Medians over the run's new articles, in seconds.
                            "latency_s": dict(latency or {}),
                        }
                    ),
                },
            )
        except psycopg.Error as exc:
            log.error("could not record the end of crawl run %s: %s", self.run_id, exc)
        finally:
            self.conn.close()
            self.conn = None
        log.info("crawl run %s of source %s: %s", self.run_id, self.source, status)


def close_unfinished_run(crawler: Crawler, reason: str = "shutdown") -> None:
    """Record the end of a run whose spider never closed.

    A SIGTERM that arrives while the spider is still opening makes Scrapy stop
    the reactor without closing the spider ("Engine not running"), so
    ``spider_closed`` never fires and the run would stay 'running'.
    """
    for extension in crawler.extensions.middlewares if crawler.extensions else ():
        if isinstance(extension, CrawlRunRecorder) and extension.conn is not None:
            extension.spider_closed(crawler.spider, reason)

"""``ExtractionPipeline``: raw page bytes in, article fields out, in worker processes.

Extraction is CPU-bound and trafilatura is not safe to call from several
threads at once, so pages go to a pool of worker processes (pebble), never
the reactor thread.  A page that exceeds ``EXTRACTION_TIMEOUT`` or kills its
worker is rejected as ``extraction_failed``; pebble replaces the worker and
the crawl goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import Future, TimeoutError
from typing import Any

from pebble import ProcessExpired, ProcessPool
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, reactor

from crawler.items import ArticleItem
from pipelines.extract import SiteKnowledge, extract_article
from pipelines.outcomes import EXTRACTION_FAILED, PageRejected

log = logging.getLogger(__name__)

# Fields the pipeline copies from ``Extracted`` onto the item.
ITEM_FIELDS = (
    "canonical_url",
    "title",
    "text",
    "published",
    "authors",
    "language",
    "top_image",
    "section",
    "summary",
    "wire_credit",
    "dateline",
    "content_hash",
)


def extract_in_worker(
    body: bytes, url: str | None, encoding: str | None, site: SiteKnowledge | None
) -> dict[str, Any]:
    """Run in a worker process; returns a picklable dict."""
    return extract_article(body, url, site, encoding=encoding).as_dict()


class ExtractionPipeline:
    def __init__(self, workers: int, timeout: float, max_tasks: int):
        self.workers = workers
        self.timeout = timeout
        self.max_tasks = max_tasks
        self.pool: ProcessPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        return cls(
            workers=settings.getint("EXTRACTION_WORKERS", 2),
            timeout=settings.getfloat("EXTRACTION_TIMEOUT", 30.0),
            max_tasks=settings.getint("EXTRACTION_WORKER_MAX_TASKS", 500),
        )

    def open_spider(self, spider: Any = None) -> None:
        self._ensure_pool()

    def close_spider(self, spider: Any = None) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join(timeout=self.timeout)
            self.pool.stop()
            self.pool = None

    def _ensure_pool(self) -> ProcessPool:
        if self.pool is None:
            # forkserver: forking the reactor's process (with its threads) is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["pipelines.extract"])
            self.pool = ProcessPool(
                max_workers=max(1, self.workers), max_tasks=self.max_tasks, context=context
            )
        return self.pool

    async def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        url = item.get("final_url") or item.get("url")
        body = item.get("body") or b""
        future = self._ensure_pool().schedule(
            extract_in_worker,
            args=(body, url, item.get("encoding"), None),
            timeout=self.timeout,
        )
        result = await maybe_deferred_to_future(_deferred_from(future))
        del item["body"]
        if isinstance(result, BaseException):
            raise PageRejected(EXTRACTION_FAILED, _describe_failure(result, self.timeout))
        if result["reason"]:
            raise PageRejected(result["reason"], result["detail"] or result["reason"])
        for name in ITEM_FIELDS:
            item[name] = result[name]
        if not item.get("title") and item.get("listed_title"):
            item["title"] = item["listed_title"]
        if item.get("published") is None and item.get("listed_published"):
            item["published"] = item["listed_published"]
        return item


def _deferred_from(future: Future) -> defer.Deferred:
    """A Deferred fired in the reactor thread with the result or the exception (as a value)."""
    deferred: defer.Deferred = defer.Deferred()

    def done(fut: Future) -> None:
        try:
            value: Any = fut.result()
        except BaseException as exc:
            value = exc
        reactor.callFromThread(deferred.callback, value)

    future.add_done_callback(done)
    return deferred


def _describe_failure(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"extraction took longer than {timeout:g}s"
    if isinstance(exc, ProcessExpired):
        return f"extraction worker died (exit code {exc.exitcode})"
    return f"extraction crashed: {type(exc).__name__}: {exc}"

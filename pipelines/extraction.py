"""``ExtractionPipeline``: raw page bytes in, article fields out, in worker processes.

Extraction is CPU-bound and trafilatura is not safe to call from several
threads at once, so pages go to worker processes (pebble), never the
reactor thread: the process's one pool of ``EXTRACTION_WORKERS``, shared by
every source's crawler (``pipelines.resources``).  A page that takes longer
than ``EXTRACTION_TIMEOUT`` or kills its worker is rejected as
``extraction_failed``; pebble replaces the worker and the crawl goes on.

Site boilerplate: the first page of a domain loads what earlier crawls
learned about it from PostgreSQL; every extracted page's blocks are counted
in memory and saved every ``EXTRACTION_LEARN_FLUSH_PAGES`` pages and when the
spider closes, through the process's database pool.  The database is a help,
not a requirement: when it cannot be reached, extraction goes on with what
this crawl learns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pebble import ProcessPool
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads
from twisted.python.failure import Failure

from wirewatch.pipelines import db, resources, workers
from wirewatch.pipelines.article import EXTRACTED
from wirewatch.pipelines.boilerplate import PendingPages, forget_stale, load_knowledge, save_pending
from wirewatch.pipelines.extract import SiteKnowledge
from wirewatch.pipelines.extract.sitelearn import site_domain

# The workers' function lives in a module without Scrapy; named here too for callers.
from wirewatch.pipelines.extract.worker import extract_in_worker
from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.outcomes import EXTRACTION_FAILED, PageRejected
from wirewatch.pipelines.page_gate import refuse_walls

__all__ = ["ExtractionPipeline", "extract_in_worker"]

log = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(
        self,
        *,
        workers: int = 2,
        timeout: float = 30.0,
        max_tasks: int = 500,
        database_url: str | None = None,
        learn: bool = True,
        flush_pages: int = 200,
        stats: Any = None,
        worker: Callable[..., dict[str, Any]] = extract_in_worker,
        pool_size: int = 6,
        connect_timeout: float = 10.0,
    ):
        self.workers = max(1, workers)
        self.timeout = timeout
        self.max_tasks = max_tasks
        self.database_url = database_url
        self.learn = learn
        self.flush_pages = flush_pages
        self.stats = stats
        self.worker = worker
        self.pool_size = pool_size
        self.connect_timeout = connect_timeout
        self.pool: ProcessPool | None = None
        self._db_pool: db.Pool | None = None
        self.knowledge: dict[str, SiteKnowledge] = {}
        self.pending: dict[str, PendingPages] = {}
        self._loading: dict[str, defer.Deferred[SiteKnowledge]] = {}
        self._counted: set[str] = set()  # URLs counted in this crawl
        self._db_ok = learn
        self._db_lock = threading.Lock()  # one thread resolves (maybe starts) the database

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        settings = crawler.settings
        return cls(
            workers=settings.getint("EXTRACTION_WORKERS", 2),
            timeout=settings.getfloat("EXTRACTION_TIMEOUT", 30.0),
            max_tasks=settings.getint("EXTRACTION_WORKER_MAX_TASKS", 500),
            database_url=settings.get("DATABASE_URL"),
            learn=settings.getbool("EXTRACTION_LEARN_BOILERPLATE", True),
            flush_pages=settings.getint("EXTRACTION_LEARN_FLUSH_PAGES", 200),
            stats=crawler.stats,
            pool_size=settings.getint("WIREWATCH_DB_POOL_SIZE", 6),
            connect_timeout=settings.getfloat("WIREWATCH_DB_CONNECT_TIMEOUT", 10.0),
        )

    # -- lifecycle -------------------------------------------------------------

    def open_spider(self, spider: Any = None) -> None:
        self._ensure_pool()

    async def close_spider(self, spider: Any = None) -> None:
        try:
            await self._flush(list(self.pending.values()), forget=True)
        finally:
            if self._db_pool is not None:
                db_pool, self._db_pool = self._db_pool, None
                resources.release_pool(db_pool)
            if self.pool is not None:
                pool, self.pool = self.pool, None
                if resources.release_workers(pool):  # the last crawler of the process
                    await maybe_deferred_to_future(
                        threads.deferToThread(resources.shutdown_workers, pool, self.timeout)
                    )

    def _ensure_pool(self) -> ProcessPool:
        if self.pool is None:
            self.pool = resources.acquire_workers(self.workers, max_tasks=self.max_tasks)
        return self.pool

    # -- items -----------------------------------------------------------------

    async def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        refuse_walls(item)  # a 403 or a consent redirect is never extracted
        url = item.get("final_url") or item.get("url")
        body = item.get("body") or b""
        domain = site_domain(url)
        site = await self._site(domain) if domain and self.learn else None
        snapshot = site.verdicts() if site else None
        future = self._ensure_pool().schedule(
            self.worker, args=(body, url, item.get("encoding"), snapshot), timeout=self.timeout
        )
        result = await _outcome(future)
        item.pop("body", None)
        if isinstance(result, BaseException):
            self._count("extraction/failed")
            raise PageRejected(EXTRACTION_FAILED, workers.failure_detail(result, self.timeout))
        if result["reason"]:
            self._count(f"extraction/rejected/{result['reason']}")
            raise PageRejected(result["reason"], result["detail"] or result["reason"])
        for name in EXTRACTED:
            item[name] = result[name]
        if result.get("fingerprint") is not None:
            item["fingerprint"] = result["fingerprint"]
        if not item.get("title") and item.get("listed_title"):
            item["title"] = item["listed_title"]
        if item.get("published") is None and item.get("listed_published"):
            item["published"] = item["listed_published"]
        self._count("extraction/ok")
        self._count(
            "extraction/site_boilerplate_blocks_removed", result["site_boilerplate_removed"]
        )
        if site is not None and url:
            await self._learn(site, url, result["learnable"])
        return item

    # -- site knowledge --------------------------------------------------------

    async def _site(self, domain: str) -> SiteKnowledge:
        if domain in self.knowledge:
            return self.knowledge[domain]
        if domain not in self._loading:
            self._loading[domain] = threads.deferToThread(self._load, domain)
        # Several pages of a new domain may wait on one load; each gets its own Deferred.
        waiter: defer.Deferred[SiteKnowledge] = defer.Deferred()

        def hand_over(value: SiteKnowledge | Failure) -> SiteKnowledge | Failure:
            waiter.callback(value)  # a Failure goes down its errbacks
            return value

        self._loading[domain].addBoth(hand_over)
        site = await maybe_deferred_to_future(waiter)
        self.knowledge.setdefault(domain, site)
        return self.knowledge[domain]

    def _load(self, domain: str) -> SiteKnowledge:
        """Runs in a thread."""
        if not self._db_ok:
            return SiteKnowledge(domain)
        try:
            with self._database().connection() as conn:
                return load_knowledge(conn, domain)
        except Exception as exc:
            self._db_ok = False
            log.warning("boilerplate knowledge unavailable, learning in memory only: %s", exc)
            return SiteKnowledge(domain)

    async def _learn(self, site: SiteKnowledge, url: str, found: dict[str, str]) -> None:
        """Count the page's ``learnable`` blocks (keyed in the worker) for its site."""
        if url in self._counted:
            return
        self._counted.add(url)
        site.observe_keys(found)
        pending = self.pending.setdefault(site.domain, PendingPages(site.domain))
        pending.add_learnable(url, found)
        if len(pending) >= self.flush_pages:
            batch = PendingPages(site.domain, dict(pending.pages))
            pending.pages.clear()
            await self._flush([batch])

    async def _flush(self, batches: list[PendingPages], *, forget: bool = False) -> None:
        batches = [b for b in batches if len(b)]
        if not self._db_ok or not (batches or forget):
            return
        await maybe_deferred_to_future(threads.deferToThread(self._save, batches, forget))

    def _save(self, batches: list[PendingPages], forget: bool) -> None:
        """Runs in a thread; a failure costs this crawl's learning, never its articles."""
        try:
            with self._database().connection() as conn:
                for batch in batches:
                    save_pending(conn, batch)
                if forget:
                    forget_stale(conn)
        except Exception as exc:
            log.warning("could not save boilerplate knowledge: %s", exc)

    def _database(self) -> db.Pool:
        """The process's database pool, borrowed on first use (in a thread: it may start
        the embedded server) and given back at close."""
        with self._db_lock:
            if self._db_pool is None:
                if self.database_url is None:
                    self.database_url = db.database_url()
                db.ensure_migrated(self.database_url)
                self._db_pool = resources.acquire_pool(
                    self.database_url, max_size=self.pool_size, timeout=self.connect_timeout
                )
            return self._db_pool

    def _count(self, key: str, n: int = 1) -> None:
        if self.stats is not None and n:
            self.stats.inc_value(key, n)


async def _outcome(future: Future[Any]) -> Any:
    """The worker's result, or its exception as a value, once the future is done.

    Under the asyncio reactor an asyncio future is woken straight from pebble's
    thread: no Deferred, no ``callFromThread`` and no Deferred-to-future
    adapter per page.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # another reactor: through a Deferred
        return await maybe_deferred_to_future(_deferred_from(future))
    waiter: asyncio.Future[Any] = loop.create_future()

    def settle(value: Any) -> None:
        if not waiter.done():  # cancelled meanwhile (the crawl is stopping)
            waiter.set_result(value)

    def done(fut: Future[Any]) -> None:
        try:
            value: Any = fut.result()
        except BaseException as exc:
            value = exc
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, value)

    future.add_done_callback(done)
    return await waiter


def _deferred_from(future: Future[Any]) -> defer.Deferred[Any]:
    """A Deferred fired in the reactor thread with the result or the exception (as a value)."""
    from twisted.internet import reactor  # the one Scrapy installed, imported late

    deferred: defer.Deferred[Any] = defer.Deferred()

    def done(fut: Future[Any]) -> None:
        try:
            value: Any = fut.result()
        except BaseException as exc:
            value = exc
        reactor.callFromThread(deferred.callback, value)

    future.add_done_callback(done)
    return deferred

"""Recording each crawl of a source as a row of ``crawl_runs``, with its errors.

A run is "failed" when not one of the source's listing pages (feed, sitemap,
section page) could be read, "partial" when some pages failed or the crawl
was cut short, "ok" otherwise.  Every failure is also a ``crawl_errors`` row
naming the URL, so an operator sees *which* page broke and why.

The recorder writes through the process's one database pool
(``pipelines.resources``), shared with every other source's crawler.  The
database may go away during a crawl (a restart, a failover).  Errors are
kept in memory until they are written, the database is tried again (after
1, 2, 4... up to 30 s) until it is back, and at the end of the run the
recorder waits up to ``WIREWATCH_RECORDER_CLOSE_WAIT`` for it.  A run
whose end still cannot be written is logged loudly, with every error it
held, and flagged in the crawler's stats for the summary and exit status;
it stays 'running' until the next crawl of its source closes it as
interrupted.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from wirewatch.crawler import locks
from wirewatch.crawler import signals as ww_signals
from wirewatch.crawler.source_discovery import DISCOVERY_CHANGES_STAT
from wirewatch.pipelines import db, resources
from wirewatch.pipelines.outcomes import PageRejected
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.redact import redact_text, redact_url
from wirewatch.pipelines.storage import StoreFailed

log = logging.getLogger(__name__)

RUN_ID_STAT = "wirewatch/crawl_run_id"
# What this process judged, for the summary when the database cannot be read back.
RUN_STATUS_STAT = "wirewatch/run_status"
RUN_ERRORS_STAT = "wirewatch/run_errors"
# Set when the run's end (and maybe some of its errors) could not be written.
UNRECORDED_STAT = "wirewatch/run_unrecorded"
STORE_FAILED_STAT = f"wirewatch/outcome/{StoreFailed.kind}"
# Outcomes of pages that are not errors of the crawl: the page was fine but
# not an article, or robots.txt asked us not to fetch it.
NOT_ERRORS = frozenset({"not_article", "robots_disallowed"})
# Outcomes not kept one by one in crawl_errors: a robots.txt refusal is the
# site's wish, not a page lost.  not_article pages are kept (and listed by
# ``wirewatch errors``): a real article judged not to be one must be findable.
NOT_LISTED = frozenset({"robots_disallowed"})


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


def judged_by_errors(seeder: bool | None, listings_read: int, listings_failed: int) -> bool:
    """Whether a run is judged by its errors alone, not by the listings it read.

    A scale-out worker shares its round's listings with the others
    (``crawler.redis_scale``; ``seeder`` is None outside a shared round).  One
    that joined another worker's round reads no listing of its own; nor does a
    seeder whose listing requests another worker took from the shared queue
    first, which it can tell by having neither read nor failed one.  Neither
    failed: the round's listings were read, by another worker.
    """
    if seeder is None:
        return False
    return not seeder or (listings_read == 0 and listings_failed == 0)


def run_status(listings_read: int, errors: int, finish_reason: str) -> str:
    if listings_read == 0:
        return "failed"
    if errors or finish_reason != "finished":
        return "partial"
    return "ok"


def _write_error(conn: psycopg.Connection[DictRow], row: dict[str, Any]) -> None:
    conn.execute(Q.record_crawl_error, row)


def reconnect_delay(failures: int) -> float:
    """Seconds before trying the database again after ``failures`` failed attempts in a row."""
    return float(min(30, 2 ** max(0, failures - 1)))


class CrawlRunRecorder:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.database_url: str | None = settings.get("DATABASE_URL")
        self.close_wait = settings.getfloat("WIREWATCH_RECORDER_CLOSE_WAIT")
        self.connect_timeout = settings.getint("WIREWATCH_DB_CONNECT_TIMEOUT")
        self.pool_size = settings.getint("WIREWATCH_DB_POOL_SIZE")
        self.pool: db.Pool | None = None  # the process's, borrowed for the run
        # The source's advisory lock, when this recorder took it (not run by
        # crawler.runner), and the connection holding it for the whole run.
        self.lock_key: int | None = None
        self.lock_conn: psycopg.Connection[DictRow] | None = None
        # crawl_errors rows not written yet (the database is away), oldest first.
        self.pending: deque[dict[str, Any]] = deque()
        self.failures = 0  # attempts to reach the database that failed in a row
        self.retry_at = 0.0  # time.monotonic() before which it is not tried again
        self.finished = False
        # Writes happen off the reactor thread (a database that does not answer
        # must not stall the crawl): one flusher thread at a time, or finish().
        self._writing = threading.Lock()
        self._flusher: threading.Thread | None = None
        self.run_id: int | None = None
        self.source: str | None = None
        self.outcomes: Counter[str] = Counter()
        self.errors = 0
        self.listings_read = 0
        self.listings_failed = 0
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
        url = self.database_url = self.database_url or db.database_url()
        db.ensure_migrated(url)
        self._lock_source(source.name)
        with self._database().connection(timeout=self.connect_timeout) as conn:
            conn.execute(Q.upsert_source, source.as_row())
            row = db.one_row(conn.execute(Q.start_crawl_run, {"source": source.name}))
        self.run_id = row["id"]
        self.started_at = row["started_at"]
        self.crawler.stats.set_value(RUN_ID_STAT, self.run_id)
        log.info("crawl run %s of source %s started", self.run_id, source.name)

    def _lock_source(self, name: str) -> None:
        """Hold the source's advisory lock for the crawl when no runner does.

        ``wirewatch crawl`` and the daemon lock in ``crawler.runner``; a crawl
        started any other way (``scrapy crawl``, a scrapyd node) takes it here,
        on a connection of its own kept until the spider closes (a session lock
        cannot live on a pooled connection), or does not run.
        """
        if self.crawler.settings.getbool("WIREWATCH_SOURCE_LOCKED"):
            return
        conn = db.connect(self.database_url, autocommit=True, connect_timeout=self.connect_timeout)
        if not locks.try_lock(conn, locks.source_lock_key(name)):
            conn.close()
            log.warning("source %s is being crawled by another process: not crawling it", name)
            raise CloseSpider("source_locked")
        self.lock_key, self.lock_conn = locks.source_lock_key(name), conn

    def listing_read(self, url: str, spider: Spider) -> None:
        self.listings_read += 1

    def page_failed(self, url: str, kind: str, message: str, listing: bool, spider: Spider) -> None:
        self.listings_failed += int(listing)
        self._record(url, kind, message)

    def request_dropped(self, request: Any, spider: Spider) -> None:
        """A redirect back to a URL already requested is a loop the dupefilter cut."""
        chain = request.meta.get("redirect_urls")
        if chain:
            self._record(chain[0], "redirect_loop", f"redirects back to {request.url}")

    def item_scraped(self, item: Any, response: Any, spider: Spider) -> None:
        self.article_pages += 1
        self.body_lengths.append(len(item.get("text") or ""))
        if self.pending:  # an article was just stored: the database may be back
            self._flush_soon()

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Spider) -> None:
        self.article_pages += 1
        kind = exception.kind if isinstance(exception, PageRejected) else "dropped"
        detail = exception.detail if isinstance(exception, PageRejected) else str(exception)
        self._record(item.get("url"), kind, detail)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Any) -> None:
        self.article_pages += 1
        if isinstance(failure.value, StoreFailed):
            self._record(failure.value.url or item.get("url"), StoreFailed.kind, str(failure.value))
            return
        self._record(item.get("url"), "pipeline_error", failure.getErrorMessage())

    def _record(self, url: str | None, kind: str, message: str) -> None:
        self.outcomes[kind] += 1
        self.crawler.stats.inc_value(f"wirewatch/outcome/{kind}")
        if kind not in NOT_ERRORS:
            self.errors += 1
        if kind in NOT_LISTED or self.run_id is None or self.finished:
            return
        self.pending.append(
            {
                "run_id": self.run_id,
                "source": self.source,
                # Stored and shown to operators: no passwords or tokens.
                "url": redact_url(url) if url else url,
                "kind": kind,
                "message": redact_text(message)[:2000],
                "at": datetime.now(UTC),
            }
        )
        self._flush_soon()

    # -- writing across database outages ------------------------------------

    def _database(self) -> db.Pool:
        if self.pool is None:
            self.pool = resources.acquire_pool(
                self.database_url or db.database_url(),
                max_size=self.pool_size,
                timeout=self.connect_timeout,
            )
        return self.pool

    def _attempt(self, write: Callable[[psycopg.Connection[DictRow]], object]) -> bool:
        """Run ``write`` in a transaction; False while the database is away.  Other
        errors are raised.

        A connection the server dropped fails once and is replaced at once: the
        database may be back already (it restarted between two writes).  While
        it is away, it is tried again after 1, 2, 4... up to 30 s.
        """
        if time.monotonic() < self.retry_at:
            return False
        for attempt in range(2):
            try:
                with self._database().connection(timeout=self.connect_timeout) as conn:
                    write(conn)
                break
            except psycopg.Error as exc:  # PoolTimeout is one: no connection could be made
                if not db.is_transient(exc):
                    raise
                if attempt:
                    self._away(exc)
                    return False
        if self.failures:
            log.info(
                "crawl run %s of source %s: database reachable again", self.run_id, self.source
            )
        self.failures = 0
        return True

    def _away(self, exc: BaseException) -> None:
        self.failures += 1
        self.retry_at = time.monotonic() + reconnect_delay(self.failures)
        if self.failures == 1:
            log.warning(
                "crawl run %s of source %s: database unreachable, its errors are kept "
                "in memory until it is back: %s",
                self.run_id,
                self.source,
                db.one_line(exc),
            )

    def _keep_lock(self) -> None:
        """Take the source's lock again when a database restart dropped its connection."""
        if self.lock_key is None:
            return
        try:
            if self.lock_conn is not None and not self.lock_conn.closed:
                self.lock_conn.execute(Q.ping)
                return
        except psycopg.Error as exc:
            if not db.is_transient(exc):
                raise
        if self.lock_conn is not None:
            self.lock_conn.close()
            self.lock_conn = None
        try:
            conn = db.connect(
                self.database_url, autocommit=True, connect_timeout=self.connect_timeout
            )
        except db.DatabaseError:
            return  # away: the writes find out too, and this is tried again with them
        if not locks.try_lock(conn, self.lock_key):
            log.error(
                "source %s: another process took its lock while the database was away",
                self.source,
            )
        self.lock_conn = conn

    def _flush_soon(self) -> None:
        """Write the errors held in memory in a thread, unless one is at it already."""
        if self.finished or (self._flusher is not None and self._flusher.is_alive()):
            return
        self._flusher = threading.Thread(
            target=self._flush, name="wirewatch-crawl-errors", daemon=True
        )
        self._flusher.start()

    def _flush(self) -> bool:
        """Write the errors held in memory, oldest first; True once none is left."""
        with self._writing:
            self._keep_lock()
            return self._write_pending()

    def _write_pending(self) -> bool:
        while self.pending:
            row = self.pending[0]
            try:
                if not self._attempt(partial(_write_error, row=row)):
                    return False
            except psycopg.Error as exc:
                log.error("could not record a crawl error (%s): %s", row["kind"], exc)
            self.pending.popleft()
        return True

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Record the run's end in a thread: it may wait for the database to come back."""
        if self.run_id is None:  # never started: give back what opening borrowed
            self._give_back()
        if self.run_id is None or self.finished:
            return
        await maybe_deferred_to_future(threads.deferToThread(self.finish, reason))

    def finish(self, reason: str) -> None:
        """Write the errors still in memory and the run's end, waiting up to ``close_wait``."""
        if self.run_id is None or self.finished:
            return
        self.finished = True
        shared_round = getattr(self.crawler.spider, "wirewatch_round", None)
        seeder = None if shared_round is None else bool(shared_round.seeder)
        by_errors = judged_by_errors(seeder, self.listings_read, self.listings_failed)
        status = run_status(max(self.listings_read, int(by_errors)), self.errors, reason)
        self.crawler.stats.set_value(RUN_STATUS_STAT, status)
        self.crawler.stats.set_value(RUN_ERRORS_STAT, self.errors)
        deadline = time.monotonic() + self.close_wait
        with self._writing:
            try:
                self._keep_lock()
                while not (self._write_pending() and self._write_end(status, reason)):
                    now = time.monotonic()
                    if now >= deadline:
                        self._give_up(status)
                        return
                    wake = min(max(self.retry_at, now + 0.5), deadline)
                    self.retry_at = min(self.retry_at, wake)
                    time.sleep(wake - now)
            finally:
                self._give_back()
        log.info("crawl run %s of source %s: %s", self.run_id, self.source, status)

    def _give_back(self) -> None:
        """Release the pool and the source's lock (its connection) at the run's end."""
        if self.pool is not None:
            pool, self.pool = self.pool, None
            resources.release_pool(pool)
        if self.lock_conn is not None:
            self.lock_conn.close()
            self.lock_conn = None

    def _write_end(self, status: str, reason: str) -> bool:
        """The run's row; False while the database is away."""
        stats = self.crawler.stats

        def write(conn: psycopg.Connection[DictRow]) -> None:
            latency = conn.execute(
                Q.run_latency, {"run_id": self.run_id, "started_at": self.started_at}
            ).fetchone()
            conn.execute(
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
                            "listing_changes": stats.get_value(DISCOVERY_CHANGES_STAT) or [],
                            **run_metrics(self.article_pages, self.body_lengths),
                            # Medians over the run's new articles, in seconds.
                            "latency_s": dict(latency or {}),
                        }
                    ),
                },
            )

        try:
            return self._attempt(write)
        except psycopg.Error as exc:
            log.error("could not record the end of crawl run %s: %s", self.run_id, exc)
            self.crawler.stats.set_value(UNRECORDED_STAT, True)
            return True  # the server refused it: waiting changes nothing

    def _give_up(self, status: str) -> None:
        """The database stayed away: say so loudly, with every error that was not written."""
        self.crawler.stats.set_value(UNRECORDED_STAT, True)
        for row in self.pending:
            log.error(
                "crawl run %s of source %s: not recorded: %s %s: %s",
                self.run_id,
                self.source,
                row["kind"],
                row["url"],
                row["message"],
            )
        log.critical(
            "crawl run %s of source %s (%s) could not be recorded: the database stayed "
            "unreachable for %.0f s after the crawl; %d error(s) not written (listed above); "
            "the next crawl of %s closes the run as interrupted",
            self.run_id,
            self.source,
            status,
            self.close_wait,
            len(self.pending),
            self.source,
        )


def close_unfinished_run(crawler: Crawler, reason: str = "shutdown") -> None:
    """Record the end of a run whose spider never closed.

    A SIGTERM that arrives while the spider is still opening makes Scrapy stop
    the reactor without closing the spider ("Engine not running"), so
    ``spider_closed`` never fires and the run would stay 'running'.
    """
    for extension in crawler.extensions.middlewares if crawler.extensions else ():
        if isinstance(extension, CrawlRunRecorder):
            extension.finish(reason)

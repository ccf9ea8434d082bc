"""Running crawls of configured sources in this process, and summarising them.

Twisted's reactor cannot be restarted, so one process runs one batch of
crawls (``run_crawls``); the scheduler starts a child process per batch.

The sources' advisory locks are held on one connection for the whole batch;
``LockKeeper`` takes them again when a database restart dropped it.  Every
other connection comes from the process's one pool, and pages are extracted
by the process's one set of workers (``pipelines.resources``), both held here
for the whole batch and shared by all its crawlers: 50 sources use the same
few connections and processes as one.  The summary is read back from
``crawl_runs``, or, when the database stayed away after the crawl, built from
what this process knows.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import psycopg
from psycopg.rows import DictRow
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from wirewatch.crawler import heap, locks, logs
from wirewatch.crawler.config import Config, Source
from wirewatch.crawler.extensions.crawl_runs import (
    RUN_ERRORS_STAT,
    RUN_ID_STAT,
    RUN_STATUS_STAT,
    STORE_FAILED_STAT,
    UNRECORDED_STAT,
    close_unfinished_run,
)
from wirewatch.crawler.spiders.feed import FeedSpider
from wirewatch.crawler.spiders.section import SectionSpider
from wirewatch.crawler.spiders.sitemap import SitemapSpider
from wirewatch.pipelines import db, resources
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "section": SectionSpider}
# Seconds between checks that the connection holding the sources' locks is alive.
LOCK_CHECK_INTERVAL = 5.0


@dataclass(frozen=True)
class RunSummary:
    source: str
    run_id: int | None
    status: str
    pages_fetched: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    errors: int = 0
    finish_reason: str | None = None
    # Articles that could not be stored, even after retrying (database away).
    store_failed: int = 0
    # False when the run's end could not be written (the database stayed away).
    recorded: bool = True


def project_settings() -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "wirewatch.crawler.settings")
    return get_project_settings()


def settings_for(
    config: Config, database_url: str, overrides: dict[str, Any] | None = None
) -> Settings:
    """Project settings with the ``[crawl]`` table of the config applied."""
    settings = project_settings()
    options = config.crawl
    values: dict[str, Any] = {
        "WIREWATCH_CONFIG": str(config.path) if config.path else None,
        "DATABASE_URL": database_url,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency_per_domain,
        "DOWNLOAD_DELAY": options.download_delay,
        "DOWNLOAD_TIMEOUT": options.download_timeout,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "WIREWATCH_MAX_LISTINGS_PER_RUN": options.max_listings_per_run,
        "WIREWATCH_MAX_LISTING_DEPTH": options.max_listing_depth,
        "WIREWATCH_ALLOW_PRIVATE_ADDRESSES": options.allow_private_addresses,
        # The per-source summary replaces Scrapy's stats dump; progress every 10 s.
        "STATS_DUMP": False,
        # Logging is set up by the CLI (text or JSON lines); Scrapy must not replace it.
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOGSTATS_INTERVAL": 10.0,
    }
    if options.user_agent:
        values["USER_AGENT"] = options.user_agent
    if scale := config.scale:
        from wirewatch.crawler.redis_scale import redis_settings

        values.update(redis_settings(scale))
    if config.archive.enabled:
        from wirewatch.crawler.middlewares.archive import scrapy_settings

        values.update(scrapy_settings(config.archive))
    values.update(overrides or {})
    for key, value in values.items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawls(
    config: Config,
    sources: list[Source],
    *,
    database_url: str | None = None,
    overrides: dict[str, Any] | None = None,
    only_if: Callable[[psycopg.Connection[DictRow], list[Source]], list[Source]] | None = None,
) -> list[RunSummary]:
    """Crawl ``sources`` concurrently (one Scrapy crawler each) and summarise the runs.

    Each source's advisory lock is taken first and held by this process until
    every crawl has ended, so cron, the daemon and other machines never crawl
    one source at the same time; a source locked elsewhere is "skipped".
    ``only_if`` narrows the locked sources once the locks are held (cron mode
    re-checks that a source is still due, which nobody can change meanwhile).
    """
    url = database_url or db.database_url()
    db.ensure_migrated(url)
    # Scale-out workers of one source share its crawl round in Redis
    # (crawler.redis_scale) instead of excluding each other.
    shared = config.scale is not None
    with db.connect(url, autocommit=True) as lock_conn:
        locked = [
            s for s in sources if shared or locks.try_lock(lock_conn, locks.source_lock_key(s.name))
        ]
        if not shared:
            close_dead_runs(lock_conn, [s.name for s in locked])
        chosen = only_if(lock_conn, locked) if only_if is not None else locked
        summaries = {
            s.name: RunSummary(s.name, None, "skipped", finish_reason="already being crawled")
            for s in sources
            if s not in locked
        }
        if chosen:
            keys = {} if shared else {s.name: locks.source_lock_key(s.name) for s in locked}
            with LockKeeper(url, lock_conn, keys):
                for summary in _crawl(config, chosen, url, overrides):
                    summaries[summary.source] = summary
    return [summaries[s.name] for s in sources if s.name in summaries]


def close_dead_runs(conn: psycopg.Connection[DictRow], sources: list[str]) -> list[int]:
    """Close as 'interrupted' the runs of ``sources`` still marked running.

    The caller holds these sources' locks, and a live crawl always holds its
    source's lock: whoever left such a run running died (kill -9, a crash,
    a power cut) without recording its end.
    """
    if not sources:
        return []
    rows = conn.execute(Q.close_dead_runs_of_sources, {"sources": sources}).fetchall()
    for row in rows:
        log.warning(
            "crawl run %s of source %s was interrupted (its process died)",
            row["id"],
            row["source"],
        )
    return [row["id"] for row in rows]


class LockKeeper:
    """Keeps the sources' advisory locks across a database restart.

    The locks live on one connection for the whole crawl.  A restart drops it,
    and the locks with it: another process could then crawl the same sources
    and close this one's live runs as interrupted.  A thread checks the
    connection every ``interval`` seconds and, once the database is back,
    connects again and takes the locks again.
    """

    def __init__(
        self,
        url: str,
        conn: psycopg.Connection[DictRow],
        keys: Mapping[str, int],
        interval: float = LOCK_CHECK_INTERVAL,
        connect_timeout: int = 10,
    ):
        self.url = url
        self.conn = conn
        self.keys = dict(keys)
        self.interval = interval
        self.connect_timeout = connect_timeout
        self.lost = False  # the database was away at the last check
        self._own: psycopg.Connection[DictRow] | None = None  # a replacement, closed on exit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wirewatch-locks", daemon=True)

    def __enter__(self) -> LockKeeper:
        if self.keys:
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._own is not None:
            self._own.close()  # releases the locks taken again

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()

    def check(self) -> None:
        """Ping the lock connection; connect again and re-lock if it was dropped."""
        try:
            self.conn.execute(Q.ping)
            return
        except psycopg.Error as exc:
            if not db.is_transient(exc):
                log.error("source locks: %s", db.one_line(exc))
                return
        try:
            conn = db.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout)
        except db.DatabaseError as exc:
            if not self.lost:
                log.warning(
                    "database unreachable: the locks of %s are gone until it is back: %s",
                    ", ".join(self.keys),
                    db.one_line(exc),
                )
            self.lost = True
            return
        taken = [name for name, key in self.keys.items() if locks.try_lock(conn, key)]
        others = [name for name in self.keys if name not in taken]
        if others:
            log.error(
                "another process took the lock of %s while the database was away",
                ", ".join(others),
            )
        log.info("database reachable again: locks of %s taken again", ", ".join(taken) or "none")
        if self._own is not None:
            self._own.close()
        self.conn = self._own = conn
        self.lost = False


def _crawl(
    config: Config, sources: list[Source], url: str, overrides: dict[str, Any] | None
) -> list[RunSummary]:
    # This process holds the sources' locks already (see run_crawls).
    settings = settings_for(config, url, {"WIREWATCH_SOURCE_LOCKED": True, **(overrides or {})})
    process = CrawlerProcess(settings)
    logs.scrapy_at_our_level()  # after CrawlerProcess, whose set-up put Scrapy at DEBUG
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        process.crawl(crawler, source=source.name)
        crawlers.append((source, crawler))
    timeout = settings.getfloat("WIREWATCH_DB_CONNECT_TIMEOUT")
    with (
        resources.borrowed_pool(
            url, max_size=settings.getint("WIREWATCH_DB_POOL_SIZE"), timeout=timeout
        ) as pool,
        resources.borrowed_workers(
            settings.getint("EXTRACTION_WORKERS"),
            max_tasks=settings.getint("EXTRACTION_WORKER_MAX_TASKS"),
            timeout=settings.getfloat("EXTRACTION_TIMEOUT"),
        ),
    ):
        heap.settle_after_start_up()
        process.start()
        for _, crawler in crawlers:
            close_unfinished_run(crawler)
        stats = [
            (source, crawler.stats.get_stats() if crawler.stats else {})
            for source, crawler in crawlers
        ]
        rows = _read_runs(pool, [s[RUN_ID_STAT] for _, s in stats if s.get(RUN_ID_STAT)])
    return [summarise(source.name, s, rows) for source, s in stats]


def _read_runs(pool: db.Pool, run_ids: list[int]) -> dict[int, dict[str, Any] | None] | None:
    """The runs' rows by id (None for a run not found); None when the database cannot be read."""
    try:
        with pool.connection(timeout=10) as conn:
            return {
                run_id: conn.execute(Q.crawl_run_by_id, {"id": run_id}).fetchone()
                for run_id in run_ids
            }
    except (db.DatabaseError, psycopg.Error) as exc:
        log.error("could not read the crawl runs back: %s", db.one_line(exc))
        return None


def summarise(source: str, stats: Mapping[str, Any], rows: Mapping[int, Any] | None) -> RunSummary:
    """One source's summary: its run's row, or this process's stats when that row
    is not to be trusted (the end of the run could not be written) or read."""
    run_id = stats.get(RUN_ID_STAT)
    if run_id is None:
        return RunSummary(source, None, "failed", finish_reason="not started")
    store_failed = int(stats.get(STORE_FAILED_STAT, 0))
    row = rows.get(run_id) if rows is not None else None
    if row is None or stats.get(UNRECORDED_STAT):
        return RunSummary(
            source=source,
            run_id=run_id,
            status="unrecorded",
            pages_fetched=int(stats.get("response_received_count", 0)),
            articles_new=int(stats.get("wirewatch/articles_new", 0)),
            articles_updated=int(stats.get("wirewatch/articles_updated", 0)),
            articles_unchanged=int(stats.get("wirewatch/articles_unchanged", 0)),
            errors=int(stats.get(RUN_ERRORS_STAT, 0)),
            finish_reason=stats.get(RUN_STATUS_STAT),
            store_failed=store_failed,
            recorded=False,
        )
    return RunSummary(
        source=source,
        run_id=run_id,
        status=row["status"],
        pages_fetched=row["pages_fetched"],
        articles_new=row["articles_new"],
        articles_updated=row["articles_updated"],
        articles_unchanged=row["articles_unchanged"],
        errors=row["errors"],
        finish_reason=row["finish_reason"],
        store_failed=store_failed,
    )


def run_problems(summaries: list[RunSummary]) -> list[str]:
    """What the summary table does not say: articles lost for this run, runs not recorded."""
    problems = []
    for s in summaries:
        if s.store_failed:
            where = "in crawl_errors as store_failed" if s.recorded else "listed in the log above"
            problems.append(
                f"{s.source}: {s.store_failed} article(s) could not be stored (database "
                f"unavailable); they are {where}, and the next run fetches them again"
            )
        if not s.recorded:
            problems.append(
                f"{s.source}: crawl run {s.run_id} could not be recorded (database "
                "unreachable at the end); the next crawl of the source closes it as interrupted"
            )
    return problems


def format_summaries(summaries: list[RunSummary]) -> str:
    header = ("source", "status", "pages", "new", "updated", "unchanged", "errors")
    rows = [header] + [
        (
            s.source,
            s.status,
            str(s.pages_fetched),
            str(s.articles_new),
            str(s.articles_updated),
            str(s.articles_unchanged),
            str(s.errors),
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < 2 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )

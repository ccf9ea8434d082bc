"""Running crawls of configured sources in this process, and summarising them.

Twisted's reactor cannot be restarted, so one process runs one batch of
crawls (``run_crawls``); the scheduler starts a child process per batch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler import locks
from crawler.config import Config, Source
from crawler.extensions.crawl_runs import RUN_ID_STAT, close_unfinished_run
from crawler.spiders.feed import FeedSpider
from crawler.spiders.section import SectionSpider
from crawler.spiders.sitemap import SitemapSpider
from pipelines import db
from pipelines.queries import Q

log = logging.getLogger(__name__)

SPIDERS = {"feed": FeedSpider, "sitemap": SitemapSpider, "section": SectionSpider}


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


def project_settings() -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
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
    if scale := config.sections.get("scale"):
        from crawler.redis_scale import redis_settings

        values.update(redis_settings(scale))
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
    only_if: Callable[[psycopg.Connection, list[Source]], list[Source]] | None = None,
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
    shared = config.sections.get("scale") is not None
    with db.connect(url, autocommit=True) as lock_conn:
        locked = [
            s for s in sources if shared or locks.try_lock(lock_conn, locks.source_lock_key(s.name))
        ]
        chosen = only_if(lock_conn, locked) if only_if is not None else locked
        summaries = {
            s.name: RunSummary(s.name, None, "skipped", finish_reason="already being crawled")
            for s in sources
            if s not in locked
        }
        if chosen:
            for summary in _crawl(config, chosen, url, overrides):
                summaries[summary.source] = summary
    return [summaries[s.name] for s in sources if s.name in summaries]


def _crawl(
    config: Config, sources: list[Source], url: str, overrides: dict[str, Any] | None
) -> list[RunSummary]:
    # This process holds the sources' locks already (see run_crawls).
    settings = settings_for(config, url, {"WIREWATCH_SOURCE_LOCKED": True, **(overrides or {})})
    process = CrawlerProcess(settings)
    crawlers = []
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source.kind])
        process.crawl(crawler, source=source.name)
        crawlers.append((source, crawler))
    process.start()
    for _, crawler in crawlers:
        close_unfinished_run(crawler)
    summaries = []
    with db.connect(url) as conn:
        for source, crawler in crawlers:
            run_id = crawler.stats.get_value(RUN_ID_STAT) if crawler.stats else None
            row = conn.execute(Q.crawl_run_by_id, {"id": run_id}).fetchone() if run_id else None
            if row is None:
                summaries.append(
                    RunSummary(source.name, None, "failed", finish_reason="not started")
                )
                continue
            summaries.append(
                RunSummary(
                    source=source.name,
                    run_id=run_id,
                    status=row["status"],
                    pages_fetched=row["pages_fetched"],
                    articles_new=row["articles_new"],
                    articles_updated=row["articles_updated"],
                    articles_unchanged=row["articles_unchanged"],
                    errors=row["errors"],
                    finish_reason=row["finish_reason"],
                )
            )
    return summaries


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

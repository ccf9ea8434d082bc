"""Scale-out ([scale] in wirewatch.toml): only the worker that claimed a round seeds it.

A module of its own, without Redis: the middleware is in every crawl's
settings and declines unless the shared scheduler is configured, and
importing ``crawler.redis_scale`` (redis, scrapy-redis) for that cost every
crawl process ~0.1 s at start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

SHARED_SCHEDULER = "wirewatch.crawler.redis_scale.SharedScheduler"


class SeedOnceMiddleware:
    """Spider middleware: only the worker that claimed the round schedules the listings."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedOnceMiddleware:
        if crawler.settings.get("SCHEDULER") != SHARED_SCHEDULER:
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        spider_round = getattr(self.crawler.spider, "wirewatch_round", None)
        joining = spider_round is not None and not spider_round.seeder
        async for entry in start:
            if not joining:
                yield entry

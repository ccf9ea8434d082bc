"""What a listing leads to: stored articles skipped, child listings remembered.

``KnownArticlesMiddleware`` sits between a listing's parse callback and the
scheduler.  Article requests are looked up in batches by ``url_key`` (the
page's identity across tracking parameters, ``www.``, trailing slashes...)
and the ones already stored are dropped before they are ever scheduled, so a
warm run fetches only what is new.  Child listings (a sitemap index's
sitemaps) are noted for ``ConditionalGetMiddleware``, which revisits them
when their parent has not changed.  Article requests are also let through
with the "you may not" statuses (401, 403, 451), so that
the page gate (``pipelines.page_gate.refuse_walls``, the first step of
extraction) records such pages as ``blocked`` like challenge pages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from wirewatch.crawler.middlewares.fetch_state import FetchState
from wirewatch.pipelines.urls import url_key
from wirewatch.pipelines.walls import BLOCKED_STATUSES

log = logging.getLogger(__name__)

SKIPPED_STAT = "wirewatch/skipped_known"
WALL_STATUSES = sorted(BLOCKED_STATUSES)


def is_article_request(entry: Any) -> bool:
    return isinstance(entry, Request) and "wirewatch_listing_url" in entry.meta


def is_listing_request(entry: Any) -> bool:
    return isinstance(entry, Request) and bool(entry.meta.get("wirewatch_listing"))


def unknown_requests(
    requests: Iterable[Request], known_keys: set[str], keys: Iterable[str] | None = None
) -> list[Request]:
    """The requests whose page is not stored yet, each page once.  ``keys``: each
    request's ``url_key``, when the caller has them."""
    requests = list(requests)
    seen = set(known_keys)
    fresh = []
    keyed = keys if keys is not None else (url_key(request.url) for request in requests)
    for request, key in zip(requests, keyed, strict=True):
        if key not in seen:
            seen.add(key)
            fresh.append(request)
    return fresh


class KnownArticlesMiddleware:
    def __init__(self, crawler: Crawler, skip_known: bool, batch_size: int):
        self.crawler = crawler
        self.skip_known = skip_known
        self.batch_size = max(1, batch_size)
        self.fetch_state = FetchState.of(crawler)
        self.recheck_after = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> KnownArticlesMiddleware:
        settings = crawler.settings
        mw = cls(
            crawler,
            settings.getbool("WIREWATCH_SKIP_KNOWN_ARTICLES")
            and not settings.getbool("WIREWATCH_FULL_REFETCH"),
            settings.getint("WIREWATCH_KNOWN_LOOKUP_BATCH"),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider: scrapy.Spider) -> None:
        source = getattr(spider, "source", None)
        self.recheck_after = getattr(source, "recheck_after", None) or 0.0

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: scrapy.Spider | None = None
    ) -> AsyncIterator[Any]:
        if not response.meta.get("wirewatch_listing"):
            async for entry in result:
                yield entry
            return
        children: list[str] = []
        batch: list[Request] = []
        async for entry in result:
            if is_listing_request(entry):
                children.append(entry.url)
                yield entry
            elif is_article_request(entry):
                entry.meta.setdefault("handle_httpstatus_list", WALL_STATUSES)
                if not self.skip_known:
                    yield entry
                    continue
                batch.append(entry)
                if len(batch) >= self.batch_size:
                    for request in await self._unknown(batch):
                        yield request
                    batch = []
            else:
                yield entry
        for request in await self._unknown(batch):
            yield request
        self.fetch_state.ledger.led_to(response.url, children)

    async def _unknown(self, batch: list[Request]) -> list[Request]:
        if not batch:
            return []
        keys = [url_key(r.url) for r in batch]
        try:
            known = await asyncio.to_thread(
                self.fetch_state.known_url_keys, sorted(set(keys)), self.recheck_after
            )
        except Exception as exc:  # storing will fail too; fetching keeps nothing from being lost
            log.warning("could not look up stored articles (fetching all): %s", exc)
            known = set()
        fresh = unknown_requests(batch, known, keys)
        skipped = len(batch) - len(fresh)
        if skipped:
            self.crawler.stats.inc_value(SKIPPED_STAT, skipped)
        return fresh

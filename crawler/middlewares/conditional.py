"""Conditional GET for listing pages, with a content-hash check behind it.

Feeds, sitemaps and section pages are fetched on every run; most of the
time they have not changed.  ``ConditionalGetMiddleware`` sends the stored
``If-None-Match`` / ``If-Modified-Since`` and turns a 304 into "not
modified": nothing to parse, only the listing's remembered child listings
(a sitemap index's sitemaps) are visited again.

Some servers keep sending the same validators while the content changes
(Media Cloud had to turn conditional GET off for that reason).  So every
``WIREWATCH_VALIDATOR_VERIFY_EVERY``-th fetch of a listing is a full one, and
a 200 whose validators equal the stored ones but whose body hash does not
exposes the server: its host's validators are no longer trusted, and its
listings are then always fetched in full and compared by hash instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from wirewatch.crawler import signals as ww_signals
from wirewatch.crawler.middlewares.backoff import HostBackingOff
from wirewatch.crawler.middlewares.fetch_state import (
    FetchState,
    ListingState,
    body_hash,
    host_of,
    listing_config,
    source_of,
)

if TYPE_CHECKING:
    from wirewatch.crawler.spiders.base import SourceSpider

log = logging.getLogger(__name__)

NOT_MODIFIED_STAT = "wirewatch/outcome/not_modified"
# Article statuses that say "try again later": the listing must be read again.
_TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})


def conditional_headers(
    state: ListingState | None, host_trusted: bool, verify_every: int
) -> dict[str, str]:
    """Validators to send for a listing; none when untrusted or due for a full fetch."""
    if state is None or not state.trusted or not host_trusted:
        return {}
    if verify_every > 0 and state.fetches_since_full + 1 >= verify_every:
        return {}
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def in_recheck_window(
    state: ListingState | None, recheck_after: float | None, now: datetime
) -> bool:
    """A listing that changed within the recheck window is read in full, articles and all."""
    if not recheck_after or state is None or state.changed_at is None:
        return False
    return (now - state.changed_at).total_seconds() < recheck_after


@dataclass(frozen=True)
class Verdict:
    unchanged: bool  # nothing new: do not parse
    state: ListingState | None  # what to remember once the run has handled it
    distrust: str | None = None  # why the server's validators cannot be trusted


def judge_listing(
    url: str,
    stored: ListingState | None,
    *,
    status: int,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    conditional: bool,
    reparse: bool = False,
) -> Verdict:
    """What a listing response means, given what was stored for it.

    ``reparse``: the listing is within its source's recheck window, so its
    articles are looked at again even when its content is the same.
    """
    if status == 304:
        if stored is None or not conditional:
            return Verdict(False, None)  # a 304 we did not ask for: let it fail as such
        return Verdict(True, replace(stored, fetches_since_full=stored.fetches_since_full + 1))
    if status != 200 or content_hash is None:
        return Verdict(False, None)
    fetches = stored.fetches_since_full + 1 if (stored and conditional) else 0
    fresh = ListingState(
        url=url,
        content_hash=content_hash,
        etag=etag,
        last_modified=last_modified,
        children=stored.children if stored else (),
        trusted=stored.trusted if stored else True,
        fetches_since_full=fetches,
    )
    if stored is None:
        return Verdict(False, fresh)
    if content_hash == stored.content_hash:
        return Verdict(not reparse, fresh)
    same_etag = bool(etag) and etag == stored.etag
    same_date = not etag and bool(last_modified) and last_modified == stored.last_modified
    if stored.trusted and (same_etag or same_date):
        validator = f"ETag {etag}" if same_etag else f"Last-Modified {last_modified}"
        return Verdict(
            False, replace(fresh, trusted=False), f"content changed under the same {validator}"
        )
    return Verdict(False, fresh)


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1").strip() if value else None


class ConditionalGetMiddleware:
    """Downloader middleware: validators out, "not modified" in, lying servers caught."""

    def __init__(self, crawler: Crawler, verify_every: int, full: bool = False):
        self.crawler = crawler
        self.verify_every = verify_every
        self.full = full  # crawl --full: every listing fetched and parsed in full
        self.fetch_state = FetchState.of(crawler)
        self.source: str | None = None
        self.recheck_after: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("WIREWATCH_CONDITIONAL_GET"):
            raise NotConfigured
        mw = cls(
            crawler,
            crawler.settings.getint("WIREWATCH_VALIDATOR_VERIFY_EVERY"),
            crawler.settings.getbool("WIREWATCH_FULL_REFETCH"),
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(mw.item_error, signal=signals.item_error)
        return mw

    def spider_opened(self, spider: scrapy.Spider) -> None:
        source = getattr(spider, "source", None)
        self.source = source_of(spider)
        self.recheck_after = getattr(source, "recheck_after", None)
        if self.source is not None:
            self.fetch_state.load_listings(self.source, listing_config(source))

    def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        if self.source is None or not request.meta.get("wirewatch_listing"):
            return
        state = self.fetch_state.listings.get(request.url)
        trusted_host = host_of(request.url) not in self.fetch_state.distrusted_hosts
        if self.full or in_recheck_window(state, self.recheck_after, datetime.now(UTC)):
            request.meta["wirewatch_recheck"] = True
            return
        headers = conditional_headers(state, trusted_host, self.verify_every)
        for name, value in headers.items():
            request.headers[name] = value
        request.meta["wirewatch_conditional"] = bool(headers)

    def process_response(
        self, request: Request, response: Response, spider: scrapy.Spider | None = None
    ) -> Response:
        if self.source is None:
            return response
        if not request.meta.get("wirewatch_listing"):
            if response.status in _TRANSIENT_STATUSES:
                self.fetch_state.ledger.failed_below(request.meta.get("wirewatch_listing_url"))
            return response
        verdict = judge_listing(
            request.url,
            self.fetch_state.listings.get(request.url),
            status=response.status,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            content_hash=body_hash(response.body) if response.status == 200 else None,
            conditional=bool(request.meta.get("wirewatch_conditional")),
            reparse=bool(request.meta.get("wirewatch_recheck")),
        )
        ledger = self.fetch_state.ledger
        if verdict.distrust:
            log.warning(
                "%s: %s; not trusting validators of %s any more",
                request.url,
                verdict.distrust,
                host_of(request.url),
            )
            ledger.distrust(request.url, verdict.distrust)
            self.fetch_state.distrusted_hosts.add(host_of(request.url))
        if verdict.state is not None:
            ledger.fetched(verdict.state)
        if not verdict.unchanged:
            return response
        self.crawler.stats.inc_value(NOT_MODIFIED_STAT)
        # Handled here rather than by the spider: nothing in it needs parsing.
        handled = request.replace(
            callback=self.listing_unchanged,
            meta={**request.meta, "handle_httpstatus_list": [304]},
        )
        return response.replace(request=handled)

    def process_exception(
        self, request: Request, exception: Exception, spider: scrapy.Spider | None = None
    ) -> None:
        if isinstance(exception, IgnoreRequest) and not isinstance(exception, HostBackingOff):
            return  # robots.txt, redirect loops...: refetching the listing changes nothing
        self.fetch_state.ledger.failed_below(request.meta.get("wirewatch_listing_url"))

    def listing_unchanged(self, response: Response) -> Iterator[Request]:
        """Callback of an unchanged listing: count it read, revisit its child listings."""
        spider = cast("SourceSpider", self.crawler.spider)  # whose listing this was
        self.crawler.signals.send_catch_log(
            signal=ww_signals.listing_read, url=response.url, spider=spider
        )
        state = self.fetch_state.listings.get(response.url)
        yield from spider.listing_requests(state.children if state else (), response)

    def item_error(
        self, item: object, response: Response, spider: scrapy.Spider, failure: object
    ) -> None:
        self.fetch_state.ledger.failed_below(response.meta.get("wirewatch_listing_url"))

    def spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self.source is None:
            return
        finished = reason == "finished" and not _truncated(spider)
        try:
            self.fetch_state.save_distrust(self.source, self.fetch_state.ledger.distrusted)
            ledger = self.fetch_state.closing_ledger(self.fetch_state.ledger, finished)
            if ledger is None:
                log.info(
                    "crawl %s: listing validators not saved (run %s)",
                    self.source,
                    "cut short" if not finished else "shared, others still running",
                )
                return
            saved = self.fetch_state.save_listings(self.source, ledger.states_to_save())
            log.debug("crawl %s: saved validators of %d listings", self.source, saved)
        except Exception as exc:  # the database may be what ended the run
            log.error("crawl %s: could not save listing validators: %s", self.source, exc)


def _truncated(spider: scrapy.Spider) -> bool:
    """The run stopped requesting articles at max_pages, or listings at a listing bound."""
    if getattr(spider, "listings_truncated", False):
        return True
    limit = getattr(getattr(spider, "source", None), "max_pages", None)
    return limit is not None and getattr(spider, "articles_requested", 0) >= limit

"""What every wirewatch spider shares: its source, article requests, failures."""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from wirewatch.crawler import signals
from wirewatch.crawler.config import Source, auth_domain, load_config
from wirewatch.crawler.discovery import Listing
from wirewatch.crawler.failures import classify_failure
from wirewatch.crawler.middlewares.fetch_state import FetchState
from wirewatch.crawler.source_discovery import DISCOVERY_CHANGES_STAT, listing_change, start_urls
from wirewatch.pipelines.errors import ConfigError, UsageError
from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.redact import redact_text, redact_url
from wirewatch.pipelines.url_policy import DEFAULT_MAX_URL_LENGTH, length_problem, url_problem
from wirewatch.pipelines.urls import clean_url, outlet_of, url_key

LISTING_DEPTH = "wirewatch_listing_depth"

# Per-source credentials are spider attributes (HttpAuthMiddleware reads them
# per crawler); the settings Scrapy now prefers are shared by every crawler of
# a ``wirewatch crawl`` process, so they cannot carry one source's password.
warnings.filterwarnings(
    "ignore", message="Use the HTTPAUTH_USER", category=ScrapyDeprecationWarning
)


class SourceSpider(scrapy.Spider):
    """Crawls one configured source: listing pages first, then the articles they list."""

    kind: ClassVar[str]

    def __init__(self, source: str | None = None, config: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not source:
            raise UsageError(f"the {self.name} spider needs a source: -a source=NAME")
        self.source_name = source
        self.config_file = config
        self.source: Source | None = None
        self.articles_requested = 0
        # Listings of this run by url_key: a cycle of sitemap indexes (or an
        # index listing itself) must not be fetched round and round.
        self.listings_seen: set[str] = set()
        self.listings_requested = 0
        self.max_listing_depth = 5
        self.max_listings = 1000
        # Bounds on listings hit in this run ("depth", "count"): it did not see everything.
        self.listing_limits_hit: set[str] = set()
        self.max_url_length = DEFAULT_MAX_URL_LENGTH

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Another source's mistakes must not stop this one (the command that
        # started the crawl has already decided how strict to be).
        config = load_config(
            spider.config_file or crawler.settings.get("WIREWATCH_CONFIG"), skip_bad_sources=True
        )
        if spider.source_name in config.rejected:
            raise ConfigError("\n  ".join(config.rejected[spider.source_name]))
        source = config.source(spider.source_name)
        if source.kind != cls.kind:
            raise UsageError(
                f"source {source.name!r} is a {source.kind} source; "
                f"crawl it with the {source.kind} spider"
            )
        spider.source = source
        spider.use_basic_auth(source)
        spider.max_listing_depth = crawler.settings.getint("WIREWATCH_MAX_LISTING_DEPTH")
        spider.max_listings = crawler.settings.getint("WIREWATCH_MAX_LISTINGS_PER_RUN")
        spider.max_url_length = crawler.settings.getint("URLLENGTH_LIMIT")
        return spider

    def use_basic_auth(self, source: Source) -> None:
        """Send the source's credentials to its own host[:port] only, never to a linked site."""
        if not source.username or not source.password_env:
            return
        password = os.environ.get(source.password_env)
        if password is None:
            raise ConfigError(f"source {source.name!r}: variable {source.password_env} is not set")
        self.http_user = source.username
        self.http_pass = password
        self.http_auth_domain = auth_domain(source.urls[0])

    async def start(self) -> AsyncIterator[scrapy.Request]:
        assert self.source is not None
        source = self.source
        for request in self.listing_requests(start_urls(source.kind, source.urls, source.discover)):
            yield request

    def discovered(self, response: Response, urls: list[str]) -> Iterator[scrapy.Request]:
        """Requests for the listings a homepage or robots.txt leads to, and a warning when
        they are not the ones it led to last time (a site that moved its feed)."""
        previous = FetchState.of(self.crawler).listings.get(response.url)
        if change := listing_change(previous.children if previous else None, urls):
            note = f"{redact_url(response.url)}: {redact_text(change)}"
            self.logger.warning("discovery: %s", note)
            self.crawler.stats.inc_value("wirewatch/discovery_changed")
            # Kept in the run's record, so `wirewatch status SOURCE` shows the move.
            notes = self.crawler.stats.get_value(DISCOVERY_CHANGES_STAT) or []
            self.crawler.stats.set_value(DISCOVERY_CHANGES_STAT, [*notes, note])
        yield from self.listing_requests(urls, response)

    def listing_requests(
        self, urls: Iterable[str], parent: Response | None = None
    ) -> Iterator[scrapy.Request]:
        """Requests for the listings (start URLs, or ``parent``'s children) not seen this run.

        Listings are fetched on every run, so they bypass Scrapy's duplicate
        filter; this run's own record of them (by ``url_key``) is what stops a
        cycle, and the depth and count bounds stop an index that keeps
        naming new ones.
        """
        depth = 0
        if parent is not None:
            depth = parent.meta.get(LISTING_DEPTH, 0) + 1
            self.listings_seen.add(url_key(parent.url))
            self.listings_seen.update(url_key(u) for u in parent.meta.get("redirect_urls", ()))
        for url in urls:
            if refusal := url_problem(url):
                self.report_failure(url, refusal.kind, refusal.message, listing=True)
                continue
            key = url_key(url)
            if key in self.listings_seen:
                self.crawler.stats.inc_value("wirewatch/listings_seen_again")
                continue
            request = self.listing_request(url, depth)
            if refusal := length_problem(request.url, self.max_url_length):
                self.listings_seen.add(key)  # recorded once per run, however often listed
                self.report_failure(url, refusal.kind, refusal.message, listing=True)
                continue
            if depth > self.max_listing_depth:
                self._listing_limit(
                    "depth", url, f"listing depth limit ({self.max_listing_depth}) reached"
                )
                continue
            if self.listings_requested >= self.max_listings:
                self._listing_limit(
                    "count", url, f"limit of {self.max_listings} listings per run reached"
                )
                continue
            self.listings_seen.add(key)
            self.listings_requested += 1
            yield request

    def listing_request(self, url: str, depth: int = 0) -> scrapy.Request:
        """A feed/sitemap/section page: fetched on every run, never deduplicated away."""
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
            meta={"wirewatch_listing": True, LISTING_DEPTH: depth},
        )

    @property
    def listings_truncated(self) -> bool:
        """A listing bound was hit: the run saw only part of the source (no validators kept)."""
        return bool(self.listing_limits_hit)

    def _listing_limit(self, bound: str, url: str, why: str) -> None:
        """Recorded once per bound and run (an index may name thousands beyond it)."""
        self.crawler.stats.inc_value("wirewatch/listings_over_limit")
        if bound in self.listing_limits_hit:
            return
        self.listing_limits_hit.add(bound)
        message = (
            f"{why}: {url} and any further such listings not fetched "
            "([crawl] max_listing_depth, max_listings_per_run)"
        )
        self.report_failure(url, "listing_limit", message, listing=True)

    def article_requests(
        self, listings: Iterable[Listing], listed_on: str
    ) -> Iterable[scrapy.Request]:
        assert self.source is not None
        self.crawler.signals.send_catch_log(signal=signals.listing_read, url=listed_on, spider=self)
        limit = self.source.max_pages
        now = datetime.now(UTC)
        for listing in listings:
            if limit is not None and self.articles_requested >= limit:
                return
            if refusal := url_problem(listing.url.strip()):
                # A javascript:, mailto: or file: entry is that entry's problem, not the feed's.
                self.report_failure(listing.url, refusal.kind, refusal.message)
                continue
            request = scrapy.Request(
                clean_url(listing.url),
                callback=self.parse_article,
                errback=self.failed,
                meta={
                    "wirewatch_listing_url": listed_on,
                    "wirewatch_discovered_at": now,
                    "wirewatch_listed_title": listing.title,
                    "wirewatch_listed_published": listing.published,
                },
            )
            # Scrapy's UrlLengthMiddleware would drop it with an INFO line: record it instead.
            if refusal := length_problem(request.url, self.max_url_length):
                self.report_failure(listing.url, refusal.kind, refusal.message)
                continue
            self.articles_requested += 1
            yield request

    def parse_article(self, response: Response) -> Iterable[ArticleItem]:
        assert self.source is not None
        if not isinstance(response, TextResponse):
            self.report_failure(
                response.url,
                "not_html",
                f"{(response.headers.get('Content-Type', b'?') or b'').decode('latin-1')} response",
            )
            return
        meta = response.meta
        page_url = meta.get("redirect_urls", [response.url])[0]
        yield ArticleItem(
            source=self.source.name,
            outlet=self.source.outlet or outlet_of(response.url),
            wire=self.source.wire,
            url=page_url,
            final_url=response.url,
            status=response.status,
            body=response.body,
            encoding=response.encoding,
            discovered_at=meta.get("wirewatch_discovered_at"),
            fetched_at=datetime.now(UTC),
            listed_title=meta.get("wirewatch_listed_title"),
            listed_published=meta.get("wirewatch_listed_published"),
        )

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if request is not None:
            max_size = request.meta.get("download_maxsize", max_size)
        kind, message = classify_failure(failure, max_size)
        listing = bool(request is not None and request.meta.get("wirewatch_listing"))
        self.report_failure(url, kind, message, listing=listing)

    def report_failure(self, url: str, kind: str, message: str, *, listing: bool = False) -> None:
        self.logger.warning("%s %s: %s", kind, redact_url(url), redact_text(message))
        self.crawler.signals.send_catch_log(
            signal=signals.page_failed,
            url=url,
            kind=kind,
            message=message,
            listing=listing,
            spider=self,
        )

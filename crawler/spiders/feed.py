"""RSS and Atom feeds."""

from __future__ import annotations

from collections.abc import Iterable

import scrapy
from scrapy.http import Response

from wirewatch.crawler.discovery import DiscoveryError, parse_feed
from wirewatch.crawler.source_discovery import feed_links
from wirewatch.crawler.spiders.base import LISTING_DEPTH, SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    def parse(self, response: Response) -> Iterable[scrapy.Request]:
        assert self.source is not None
        if self.source.discover and not response.meta.get(LISTING_DEPTH):
            # A homepage: its current feeds are the listings (a site may move them).
            feeds = feed_links(response.body, response.url)
            if not feeds:
                self.report_failure(
                    response.url, "bad_feed", "no feed linked from the homepage", listing=True
                )
            yield from self.discovered(response, feeds)
            return
        try:
            listings = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.report_failure(response.url, exc.kind or "bad_feed", str(exc), listing=True)
            return
        yield from self.article_requests(listings, response.url)

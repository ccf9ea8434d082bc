"""RSS and Atom feeds."""

from __future__ import annotations

from collections.abc import Iterable

import scrapy
from scrapy.http import Response

from crawler.discovery import DiscoveryError, parse_feed
from crawler.spiders.base import SourceSpider


class FeedSpider(SourceSpider):
    name = "feed"
    kind = "feed"

    def parse(self, response: Response) -> Iterable[scrapy.Request]:
        try:
            listings = parse_feed(response.body, response.url)
        except DiscoveryError as exc:
            self.report_failure(response.url, "bad_feed", str(exc), listing=True)
            return
        yield from self.article_requests(listings, response.url)

"""Sitemaps, sitemap indexes and Google News sitemaps (plain or gzipped)."""

from __future__ import annotations

from collections.abc import Iterable

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number

from crawler.discovery import DiscoveryError, parse_sitemap
from crawler.source_discovery import is_robots_url, robots_listings
from crawler.spiders.base import SourceSpider


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    def parse(self, response: Response) -> Iterable[scrapy.Request]:
        if is_robots_url(response.url):  # a robots.txt URL, or discover = true
            text = response.body.decode("utf-8", errors="replace")
            yield from self.discovered(response, robots_listings(text, response.url))
            return
        body = response.body
        if gzip_magic_number(response):
            max_size = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
            try:
                body = gunzip(body, max_size=max_size)
            except (OSError, ValueError) as exc:
                self.report_failure(response.url, "bad_sitemap", f"bad gzip: {exc}", listing=True)
                return
        try:
            content = parse_sitemap(body, response.url)
        except DiscoveryError as exc:
            self.report_failure(response.url, "bad_sitemap", str(exc), listing=True)
            return
        if content.problems:
            message = f"damaged sitemap, kept what could be read: {content.problems[0]}"
            self.report_failure(response.url, "bad_sitemap", message, listing=True)
        yield from self.listing_requests(content.sitemaps, response)
        yield from self.article_requests(content.listings, response.url)

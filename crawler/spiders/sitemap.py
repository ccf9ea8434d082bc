"""Sitemaps, sitemap indexes and Google News sitemaps (plain or gzipped)."""

from __future__ import annotations

from collections.abc import Iterable

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gzip_magic_number

from wirewatch.crawler.discovery import DiscoveryError, gunzip_listing, parse_sitemap
from wirewatch.crawler.source_discovery import is_robots_url, robots_listings
from wirewatch.crawler.spiders.base import SourceSpider

# A robots.txt that does not exist: its site's sitemaps are at /sitemap.xml.
NO_ROBOTS_STATUSES = frozenset({404, 410})


class SitemapSpider(SourceSpider):
    name = "sitemap"
    kind = "sitemap"

    def listing_request(self, url: str, depth: int = 0) -> scrapy.Request:
        request = super().listing_request(url, depth)
        if is_robots_url(url):
            # A site without robots.txt still has its sitemaps where sites keep them.
            request.meta["handle_httpstatus_list"] = list(NO_ROBOTS_STATUSES)
        return request

    def parse(self, response: Response) -> Iterable[scrapy.Request]:
        if is_robots_url(response.url):  # a robots.txt URL, or discover = true
            text = ""
            if response.status in NO_ROBOTS_STATUSES:
                self.logger.info("no robots.txt at %s: trying /sitemap.xml", response.url)
            else:
                text = response.body.decode("utf-8", errors="replace")
            yield from self.discovered(response, robots_listings(text, response.url))
            return
        try:
            body = response.body
            if gzip_magic_number(response):
                body = gunzip_listing(body, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
            content = parse_sitemap(body, response.url)
        except DiscoveryError as exc:
            # too_large (a gzip bomb), unsafe_xml (an XML bomb, XXE) or bad_sitemap.
            self.report_failure(response.url, exc.kind or "bad_sitemap", str(exc), listing=True)
            return
        if content.problems:
            message = f"damaged sitemap, kept what could be read: {content.problems[0]}"
            self.report_failure(response.url, "bad_sitemap", message, listing=True)
        yield from self.listing_requests(content.sitemaps, response)
        yield from self.article_requests(content.listings, response.url)

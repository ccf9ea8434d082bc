"""The yardstick of benchmarks/crawl.py: a bare Scrapy + trafilatura + psycopg crawler.

What a developer would write in an afternoon: a ``SitemapSpider``,
``trafilatura.extract`` in the callback, one ``INSERT`` per article on an
autocommit connection; one crawler per site in one process, as wirewatch runs
one per source.  No dedupe, no fetch state, no run
records, no worker processes.  Same politeness settings as wirewatch's
(``crawler/settings.py``): concurrency, AutoThrottle, robots.txt.

    python benchmarks/bare_spider.py DATABASE_URL SITEMAP_URL...
"""

from __future__ import annotations

import sys
from typing import Any

import psycopg
import scrapy
import trafilatura
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

SETTINGS = {
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.5,
    "AUTOTHROTTLE_MAX_DELAY": 30,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "WARNING",
}


class BareSpider(SitemapSpider):
    name = "bare"

    def __init__(self, database_url: str, sitemaps: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.sitemap_urls = sitemaps
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS articles (url text PRIMARY KEY, title text, "
            "text text NOT NULL, fetched_at timestamptz NOT NULL DEFAULT now())"
        )

    def parse(self, response: scrapy.http.Response) -> None:
        text = trafilatura.extract(response.text, url=response.url)
        if text:
            title = response.css("title::text").get()
            self.conn.execute(
                "INSERT INTO articles (url, title, text) VALUES (%s, %s, %s) "
                "ON CONFLICT (url) DO UPDATE SET title = excluded.title, text = excluded.text",
                (response.url, title, text),
            )

    def closed(self, reason: str) -> None:
        self.conn.close()


def main(argv: list[str]) -> int:
    database_url, *sitemaps = argv
    process = CrawlerProcess(SETTINGS)
    for sitemap in sitemaps:
        process.crawl(BareSpider, database_url=database_url, sitemaps=[sitemap])
    process.start()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

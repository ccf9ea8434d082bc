"""The crawl's stats collector counts as Scrapy's memory stats do."""

from __future__ import annotations

import warnings

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from wirewatch.crawler import settings
from wirewatch.crawler.stats import CrawlStats


def test_a_crawl_counts_in_memory_as_scrapy_does() -> None:
    crawler = get_crawler(settings_dict={"STATS_CLASS": settings.STATS_CLASS})
    stats = crawler.stats
    assert isinstance(stats, CrawlStats) and isinstance(stats, MemoryStatsCollector)
    stats.open_spider()
    stats.inc_value("downloader/response_count")
    stats.inc_value("downloader/response_count", 2)
    stats.max_value("memusage/max", 10)
    stats.max_value("memusage/max", 7)
    stats.set_value("finish_reason", "finished")
    assert stats.get_stats() == {
        "downloader/response_count": 3,
        "memusage/max": 10,
        "finish_reason": "finished",
    }


def test_the_spider_argument_is_still_taken_without_a_warning_per_call() -> None:
    stats = CrawlStats(get_crawler())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats.inc_value("item_scraped_count", spider=None)
        assert stats.get_value("item_scraped_count", spider=None) == 1

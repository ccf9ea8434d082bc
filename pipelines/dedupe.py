"""``DedupePipeline``: fingerprint each extracted article for the story index.

Runs between extraction and storage and touches no database: the storage
transaction looks the fingerprint up and files the article under its story
(:func:`pipelines.stories.assign`), so alerts and the feed work per story.
Computing it before storing keeps that transaction short.  The extraction
workers compute it already (off the reactor thread); this pipeline does for
items that come without one.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from wirewatch.pipelines.fingerprint import fingerprint
from wirewatch.pipelines.items import ArticleItem


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        text = item.get("text")
        if text:
            fp = item.get("fingerprint") or fingerprint(text)
            item["fingerprint"] = fp
            if fp.tiny:
                self.stats.inc_value("wirewatch/dedupe_tiny_texts")
        return item

"""The one item wirewatch's spiders yield and its pipelines fill in."""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    """A fetched page on its way to becoming a stored article.

    Spiders set the fetch fields; ``ExtractionPipeline`` fills the extracted
    ones and drops the raw ``body``; ``DedupePipeline`` adds the fingerprint;
    ``StoragePipeline`` writes it in one transaction.
    """

    # Set by the spider.
    source = scrapy.Field()  # source name from wirewatch.toml
    outlet = scrapy.Field()  # publishing site (host), for provenance
    wire = scrapy.Field()  # bool: the source is a wire service
    url = scrapy.Field()  # canonicalised URL the page was requested as
    final_url = scrapy.Field()  # after redirects
    status = scrapy.Field()
    body = scrapy.Field()  # raw bytes, dropped after extraction
    encoding = scrapy.Field()  # as detected by Scrapy
    discovered_at = scrapy.Field()  # when a feed/sitemap/section first listed it
    fetched_at = scrapy.Field()
    listed_title = scrapy.Field()  # title given by the feed or news sitemap
    listed_published = scrapy.Field()  # date given by the feed or news sitemap

    # Set by extraction.
    canonical_url = scrapy.Field()
    title = scrapy.Field()
    text = scrapy.Field()
    published = scrapy.Field()  # timezone-aware datetime or None
    authors = scrapy.Field()  # list[str]
    language = scrapy.Field()
    top_image = scrapy.Field()
    section = scrapy.Field()
    summary = scrapy.Field()
    wire_credit = scrapy.Field()  # "AP", "Reuters", "AFP", ... when the text credits one
    dateline = scrapy.Field()  # dateline city, e.g. "MEXICO CITY"
    content_hash = scrapy.Field()
    paywalled = scrapy.Field()  # marked for subscribers, but the text was served

    # Set by dedupe.
    fingerprint = scrapy.Field()

    # Set by the archive (crawler.middlewares.archive) when [archive] is enabled:
    # where the page's WARC response record is (pipelines.archive).
    warc_file = scrapy.Field()  # relative to the archive directory
    warc_offset = scrapy.Field()  # byte offset of the record's gzip member
    warc_length = scrapy.Field()  # bytes of that member

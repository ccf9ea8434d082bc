"""``ArchiveMiddleware``: every fetched article page kept as WARC, and the article told where.

A spider middleware, so it sees exactly the responses that reach the spider
(after redirects, HTTP errors filtered, robots.txt and 304s never) and the
item each article page becomes.  One :class:`~pipelines.archive.writer.ArchiveWriter`
per crawler, that is per source, for the crawl run the run recorder opened;
the first page of the run also repairs the ``.open`` files an earlier crawl
of the source left when it was killed.  Pages are written in a thread
(compressing is CPU work the reactor thread must not do), before the
article's item leaves the spider: the item carries the record's pointer to
storage, which writes it with the article in one transaction.  A page that
cannot be archived (disk full) is logged and counted, and the crawl goes on.

Listings (feeds, sitemaps, section pages) are archived too with
``[archive] include_listings``.  Enabled by ``[archive]`` in wirewatch.toml
(``crawler.runner.settings_for``), or the ``WIREWATCH_ARCHIVE_*`` settings.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse

from wirewatch.pipelines.archive.files import repair_orphans
from wirewatch.pipelines.archive.settings import ArchiveSettings
from wirewatch.pipelines.archive.writer import ArchiveError, ArchiveWriter, Fetched, Pointer
from wirewatch.pipelines.items import ArticleItem

log = logging.getLogger(__name__)

POINTER_META = "wirewatch_warc"
RUN_ID_STAT = "wirewatch/crawl_run_id"  # set by crawler.extensions.crawl_runs


def scrapy_settings(archive: ArchiveSettings) -> dict[str, Any]:
    """The Scrapy settings of an ``[archive]`` table (the directory resolved now)."""
    return {
        "WIREWATCH_ARCHIVE_ENABLED": archive.enabled,
        "WIREWATCH_ARCHIVE_DIR": str(archive.path()),
        "WIREWATCH_ARCHIVE_INCLUDE_LISTINGS": archive.include_listings,
        "WIREWATCH_ARCHIVE_MAX_FILE_MB": archive.max_file_mb,
    }


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def fetched(response: Response) -> Fetched:
    """What the archive keeps of a response."""
    request = response.request
    ip = getattr(response, "ip_address", None)
    return Fetched(
        url=response.url,
        status=response.status,
        body=response.body,
        headers=_headers(response.headers),
        request_headers=_headers(request.headers) if request is not None else (),
        method=request.method if request is not None else "GET",
        encoding=response.encoding if isinstance(response, TextResponse) else None,
        ip_address=str(ip) if ip is not None else None,
    )


class ArchiveMiddleware:
    def __init__(self, crawler: Crawler, root: Path, include_listings: bool, max_bytes: int):
        self.crawler = crawler
        self.root = root
        self.include_listings = include_listings
        self.max_bytes = max_bytes
        self.writer: ArchiveWriter | None = None
        self.source: str | None = None
        self.failures = 0
        self._opening = threading.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        settings = crawler.settings
        if not settings.getbool("WIREWATCH_ARCHIVE_ENABLED"):
            raise NotConfigured("[archive] is not enabled")
        root = settings.get("WIREWATCH_ARCHIVE_DIR") or str(ArchiveSettings().path())
        mw = cls(
            crawler,
            Path(root),
            settings.getbool("WIREWATCH_ARCHIVE_INCLUDE_LISTINGS"),
            settings.getint("WIREWATCH_ARCHIVE_MAX_FILE_MB") * 1024 * 1024,
        )
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        self.source = source.name if source is not None else spider.name

    def archived(self, response: Response) -> bool:
        """Article pages always; listings when asked, and only a 200 (a page read)."""
        meta = response.meta
        if meta.get("wirewatch_listing"):
            return self.include_listings and response.status == 200
        return "wirewatch_listing_url" in meta

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        pointer = await self._archive(response) if self.archived(response) else None
        async for entry in result:
            if pointer is not None and isinstance(entry, ArticleItem):
                entry["warc_file"] = pointer.file
                entry["warc_offset"] = pointer.offset
                entry["warc_length"] = pointer.length
            yield entry

    async def _archive(self, response: Response) -> Pointer | None:
        try:
            pointer = await asyncio.to_thread(self._write, fetched(response))
        except ArchiveError as exc:
            self.failures += 1
            self.crawler.stats.inc_value("wirewatch/archive/failed")
            if self.failures == 1:
                log.error("archive: %s (the crawl goes on; its pages are not archived)", exc)
            return None
        self.crawler.stats.inc_value("wirewatch/archive/records")
        response.meta[POINTER_META] = pointer
        return pointer

    def _write(self, page: Fetched) -> Pointer:
        """In a thread: the first page of the run opens the writer."""
        with self._opening:
            if self.writer is None:
                self.writer = self._open_writer()
        return self.writer.write(page)

    def _open_writer(self) -> ArchiveWriter:
        source = self.source or "unknown"
        try:
            repair_orphans(self.root / source)
        except OSError as exc:
            log.warning("archive: could not check %s for unfinished files: %s", source, exc)
        run_id = self.crawler.stats.get_value(RUN_ID_STAT)
        return ArchiveWriter(self.root, source, run_id, max_bytes=self.max_bytes)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Close the run's file (fsync and its final name), in a thread."""
        writer, self.writer = self.writer, None
        if writer is None:
            return
        try:
            await asyncio.to_thread(writer.close)
        except OSError as exc:
            log.error("archive: could not close %s: %s", writer.files[-1:], exc)
        self.crawler.stats.set_value("wirewatch/archive/bytes", writer.bytes)
        log.info(
            "archive: %d pages of source %s in %s (%.1f MB)",
            writer.records,
            writer.source,
            ", ".join(writer.files),
            writer.bytes / 1e6,
        )

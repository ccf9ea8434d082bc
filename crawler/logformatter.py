"""``QuietLogFormatter``: one short line per page event, never the item or the page.

Scrapy's default formatter writes the whole item when one is dropped or
scraped, and wirewatch's items carry the raw page bytes until extraction: a
crawl of 90 pages wrote 24,000 lines, one of them 600,000 characters long.
Here a dropped item is one INFO line (URL, kind, reason), a scraped one a
DEBUG line with its URL.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

# Longest reason written for a dropped item: reasons are evidence, not pages.
MAX_REASON_CHARS = 300


def item_url(item: Any) -> str:
    """The page an item came from, for a log line."""
    try:
        return str(item.get("final_url") or item.get("url") or "?")
    except AttributeError:
        return "?"


def short(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class QuietLogFormatter(LogFormatter):
    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped %(url)s: %(reason)s",
            "args": {"url": item_url(item), "reason": short(str(exception))},
        }

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        return {"level": logging.DEBUG, "msg": "Stored %(url)s", "args": {"url": item_url(item)}}

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        return {
            "level": logging.ERROR,
            "msg": "Error processing %(url)s",
            "args": {"url": item_url(item)},
        }

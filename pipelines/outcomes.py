"""Why a fetched page did not become an article.

Pipelines raise ``PageRejected`` (a Scrapy ``DropItem``) with a ``kind``; the
crawl-run recorder counts the kinds per run and logs each against its source.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

# The kinds, defined where the extraction workers can import them without Scrapy.
from wirewatch.pipelines.outcome_kinds import (
    BLOCKED,
    CONSENT_WALL,
    EXTRACTION_FAILED,
    NOT_ARTICLE,
    NOT_HTML,
    PAYWALL,
    TOO_LARGE,
)

__all__ = [
    "BLOCKED",
    "CONSENT_WALL",
    "EXTRACTION_FAILED",
    "NOT_ARTICLE",
    "NOT_HTML",
    "PAYWALL",
    "TOO_LARGE",
    "PageRejected",
]


class PageRejected(DropItem):
    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.detail = message

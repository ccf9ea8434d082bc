"""Why a fetched page did not become an article.

Pipelines raise ``PageRejected`` (a Scrapy ``DropItem``) with a ``kind``; the
crawl-run recorder counts the kinds per run and logs each against its source.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

NOT_ARTICLE = "not_article"  # index/tag page, or too little text to be an article
EXTRACTION_FAILED = "extraction_failed"  # extractor crashed or timed out on the page
NOT_HTML = "not_html"  # binary or other non-HTML response
TOO_LARGE = "too_large"
BLOCKED = "blocked"  # 403, captcha or bot-challenge page
CONSENT_WALL = "consent_wall"
PAYWALL = "paywall"


class PageRejected(DropItem):
    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.detail = message

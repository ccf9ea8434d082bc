"""``PageGatePipeline``: walls (blocked, consent, paywall) never reach extraction or storage.

Placed before extraction, so a bot-challenge page or a paywall teaser is
rejected by kind (``PageRejected``), counted in its crawl run, and never
stored as an article; the extractor's time goes to real pages only.
"""

from __future__ import annotations

from typing import Any

from crawler.items import ArticleItem
from crawler.outcomes_classify import classify_page
from pipelines.outcomes import PageRejected


class PageGatePipeline:
    def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        wall = classify_page(
            int(item.get("status") or 200), item.get("body") or b"", final_url=item.get("final_url")
        )
        if wall is not None:
            raise PageRejected(wall.kind, wall.reason)
        return item

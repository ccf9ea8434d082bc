"""``PageGatePipeline``: pages refused outright never reach extraction.

A 401/403/451 or a redirect to a consent host is a wall whatever the body
says, so it is rejected by kind (``PageRejected``) before the extractor
spends time on it.  Every other wall (challenge, consent interstitial,
paywall teaser) is judged after extraction, from the text the page carries
(``pipelines.walls.judge``), because their traces also sit on real articles.
"""

from __future__ import annotations

from typing import Any

from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.outcomes import PageRejected
from wirewatch.pipelines.walls import gate


class PageGatePipeline:
    def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        wall = gate(int(item.get("status") or 200), item.get("final_url"))
        if wall is not None:
            raise PageRejected(wall.kind, wall.reason)
        return item

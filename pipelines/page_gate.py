"""Pages refused outright never reach extraction: ``refuse_walls``.

A 401/403/451 or a redirect to a consent host is a wall whatever the body
says, so it is rejected by kind (``PageRejected``) before the extractor
spends time on it.  Every other wall (challenge, consent interstitial,
paywall teaser) is judged after extraction, from the text the page carries
(``pipelines.walls.judge``), because their traces also sit on real articles.

The crawl makes this check first thing in ``ExtractionPipeline`` rather than
as an item pipeline of its own: a stage of Scrapy's item chain (~3 µs an item)
costs as much as the check (issue 21).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wirewatch.pipelines.outcomes import PageRejected
from wirewatch.pipelines.walls import gate


def refuse_walls(item: Mapping[str, Any]) -> None:
    """Raise ``PageRejected`` for a page refused by its status or its redirect."""
    wall = gate(int(item.get("status") or 200), item.get("final_url"))
    if wall is not None:
        raise PageRejected(wall.kind, wall.reason)

"""Site-level boilerplate learning (placeholder, filled in below the stable interface)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SiteKnowledge:
    """What one site's pages have in common, learned across a crawl."""

    domain: str
    pages: int = 0
    block_pages: dict[str, int] = field(default_factory=dict)

    def boilerplate(self) -> set[str]:
        return set()

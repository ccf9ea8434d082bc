"""Site boilerplate knowledge in PostgreSQL: load a domain's counts, save a crawl's pages.

Saving is idempotent: every page is claimed in ``boilerplate_pages`` in the
same transaction that adds its blocks' counts, so a page saved twice (a
re-crawl, a retry after a crash) is counted once.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.extract.sitelearn import MIN_PAGES, SiteKnowledge, learnable
from wirewatch.pipelines.queries import Q

# Blocks seen on fewer pages than MIN_PAGES and not seen again for this long are dropped.
FORGET_AFTER_DAYS = 90
# Pages are remembered (so they are not counted twice) for this long.
REMEMBER_PAGES_DAYS = 365
# Rows forgotten per crawl at most: old rows go a little at a time.
FORGET_BATCH = 5000


def page_key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


@dataclass
class PendingPages:
    """Pages of one domain counted in memory and not saved yet: page key -> {block key: text}."""

    domain: str
    pages: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, url: str, blocks: list[str]) -> bool:
        """Queue one page; False when this URL is already queued."""
        return self.add_learnable(url, learnable(blocks))

    def add_learnable(self, url: str, found: dict[str, str]) -> bool:
        """Queue one page by its ``learnable`` blocks; False when this URL is already queued."""
        key = page_key(url)
        if key in self.pages:
            return False
        self.pages[key] = found
        return True

    def __len__(self) -> int:
        return len(self.pages)


def load_knowledge(conn: psycopg.Connection[DictRow], domain: str) -> SiteKnowledge:
    """A domain's blocks seen on two or more pages (single sightings cannot decide anything
    until a crawl sees them again, and are counted when it saves)."""
    rows = conn.execute(Q.boilerplate_known_blocks, {"domain": domain, "min_pages": 2}).fetchall()
    return SiteKnowledge(domain, block_pages={row["block_key"]: row["pages"] for row in rows})


def save_pending(conn: psycopg.Connection[DictRow], pending: PendingPages) -> int:
    """Add the pending pages' counts in one transaction; returns how many pages were new."""
    if not pending.pages:
        return 0
    with conn.transaction():
        claimed = conn.execute(
            Q.boilerplate_claim_pages,
            # Sorted keys: two crawls saving the same pages lock them in the same order.
            {"domain": pending.domain, "page_keys": sorted(pending.pages)},
        ).fetchall()
        new_pages = [row["page_key"] for row in claimed]
        counts: Counter[str] = Counter()
        samples: dict[str, str] = {}
        for key in new_pages:
            for bkey, text in pending.pages[key].items():
                counts[bkey] += 1
                samples.setdefault(bkey, text)
        if counts:
            keys = sorted(counts)
            conn.execute(
                Q.boilerplate_add_counts,
                {
                    "domain": pending.domain,
                    "block_keys": keys,
                    "counts": [counts[k] for k in keys],
                    "samples": [samples[k] for k in keys],
                },
            )
    pending.pages.clear()
    return len(new_pages)


def forget_stale(conn: psycopg.Connection[DictRow]) -> None:
    """Drop one-off blocks nobody saw again, and page claims older than a year."""
    with conn.transaction():
        conn.execute(
            Q.boilerplate_forget_rare,
            {"min_pages": MIN_PAGES, "days": FORGET_AFTER_DAYS, "batch": FORGET_BATCH},
        )
        conn.execute(
            Q.boilerplate_forget_pages, {"days": REMEMBER_PAGES_DAYS, "batch": FORGET_BATCH}
        )

"""Site-level boilerplate learning: text blocks one site repeats across its pages.

A block (paragraph of extracted text) that at least ``MIN_PAGES`` distinct
pages of a site carry is that site's boilerplate: a subscription pitch, an
about-us blurb, a standard disclaimer.  A block seen on one page is never
boilerplate, and only short blocks are learned at all, so an article
syndicated to several URLs of one site keeps its paragraphs.  Counts are kept
per domain in PostgreSQL (``boilerplate_blocks``), so a page fetched alone
benefits from what earlier crawls saw.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

# A block is boilerplate once this many distinct pages of the site carry it.
MIN_PAGES = 3
# Longer blocks are article prose even when repeated (an updated story, a syndicated copy).
MAX_BLOCK_WORDS = 80
# Never let learned boilerplate take more than this share of a page's text:
# past it, the page is more likely a copy of another page than boilerplate.
MAX_REMOVED_SHARE = 0.5

# Characters of a block kept as its sample (what the database shows for a learned key).
SAMPLE_CHARS = 500

_DIGITS = re.compile(r"\d+")


def site_domain(url: str | None) -> str | None:
    """The domain a page's knowledge is filed under: host without ``www.``."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


@lru_cache(maxsize=2048)
def block_key(block: str) -> str | None:
    """Stable key of a block: case, digits (dates, counts) and spacing do not matter.

    Kept for the blocks last seen: a worker keys each page's blocks twice (removing the
    site's boilerplate, then ``learnable``), and a site's furniture recurs on every page.
    """
    text = unicodedata.normalize("NFKC", block).lower()
    text = " ".join(_DIGITS.sub("0", text).split())
    if not text or len(text.split()) > MAX_BLOCK_WORDS:
        return None
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def page_keys(blocks: Iterable[str]) -> set[str]:
    """The learnable keys of one page (each counted once per page)."""
    return {key for key in map(block_key, blocks) if key}


def learnable(blocks: Iterable[str]) -> dict[str, str]:
    """What a page can teach about its site: each learnable block's key, with the text of
    the first block that has it (``SAMPLE_CHARS`` of it, what the database keeps), in page
    order.  Worked out in the extraction workers, so the crawl's thread only counts keys."""
    found: dict[str, str] = {}
    for block in blocks:
        key = block_key(block)
        if key and key not in found:
            found[key] = block[:SAMPLE_CHARS]
    return found


@dataclass
class SiteKnowledge:
    """Per-domain counts of the pages each block was seen on.

    The set of boilerplate keys is kept up to date as pages are observed, so
    asking for it costs nothing however many blocks a long crawl has counted.
    """

    domain: str
    block_pages: dict[str, int] = field(default_factory=dict)
    _boilerplate: set[str] = field(init=False, repr=False, compare=False)
    _verdicts: SiteKnowledge | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._boilerplate = {k for k, n in self.block_pages.items() if n >= MIN_PAGES}

    def __reduce__(self) -> tuple[type[SiteKnowledge], tuple[str, dict[str, int]]]:
        """Pickled as its counts: what is derived from them is made again on arrival."""
        return SiteKnowledge, (self.domain, self.block_pages)

    def boilerplate(self) -> frozenset[str]:
        return frozenset(self._boilerplate)

    def verdicts(self) -> SiteKnowledge:
        """The site as a worker needs it, its boilerplate without the other counts: small
        to send with every page.  The same object until another block becomes boilerplate
        (blocks only ever become it), so a page does not pay to make it again."""
        if self._verdicts is None or len(self._verdicts._boilerplate) != len(self._boilerplate):
            self._verdicts = SiteKnowledge(self.domain, dict.fromkeys(self._boilerplate, MIN_PAGES))
        return self._verdicts

    def observe(self, blocks: Iterable[str]) -> set[str]:
        """Count one page's blocks; returns the keys counted."""
        return self.observe_keys(learnable(blocks))

    def observe_keys(self, keys: Iterable[str]) -> set[str]:
        """Count one page's distinct block keys (``learnable``); returns them."""
        counted = set()
        for key in keys:
            if key not in counted:
                counted.add(key)
                pages = self.block_pages.get(key, 0) + 1
                self.block_pages[key] = pages
                if pages >= MIN_PAGES:
                    self._boilerplate.add(key)
        return counted


def remove_boilerplate(
    blocks: list[str], boilerplate: frozenset[str] | set[str]
) -> tuple[list[str], list[str]]:
    """(kept, removed) blocks; removes nothing when it would gut the page."""
    if not boilerplate:
        return blocks, []
    kept: list[str] = []
    removed: list[str] = []
    for block in blocks:
        (removed if block_key(block) in boilerplate else kept).append(block)
    total = sum(len(b) for b in blocks)
    if total and sum(len(b) for b in removed) > MAX_REMOVED_SHARE * total:
        return blocks, []
    return kept, removed

"""Extraction of a batch of pages as one crawl: learn each site's boilerplate, then clean.

Two passes: extract every page, count each site's blocks over the batch (on
top of what ``knowledge`` already holds), then remove what the site repeats.
Used by ``wirewatch extract --jsonl`` and the benchmark; the crawl pipeline
learns page by page instead (``pipelines.extraction``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from wirewatch.pipelines.extract.core import Extracted, apply_site, extract_page
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge, site_domain
from wirewatch.pipelines.outcome_kinds import EXTRACTION_FAILED

log = logging.getLogger(__name__)

Page = tuple[bytes | str, str | None]


def safe_extract_page(html: bytes | str, url: str | None, encoding: str | None = None) -> Extracted:
    """``extract_page`` that turns an unexpected exception into a failed result."""
    try:
        return extract_page(html, url, encoding=encoding)
    except Exception as exc:  # a bug on one page must not cost the batch
        log.exception("extraction failed for %s", url)
        return Extracted(reason=EXTRACTION_FAILED, detail=f"{type(exc).__name__}: {exc}")


def learn(
    pages: Sequence[tuple[str | None, Extracted]],
    knowledge: dict[str, SiteKnowledge] | None = None,
) -> dict[str, SiteKnowledge]:
    """Count the blocks of each (url, page) into its domain's knowledge; one count per URL."""
    knowledge = {} if knowledge is None else knowledge
    seen: set[str] = set()
    for url, page in pages:
        domain = site_domain(url)
        if domain is None or page.reason or not url or url in seen:
            continue
        seen.add(url)
        knowledge.setdefault(domain, SiteKnowledge(domain)).observe(page.blocks)
    return knowledge


def extract_batch(
    pages: Sequence[Page], knowledge: dict[str, SiteKnowledge] | None = None
) -> list[Extracted]:
    """Extract every page, each cleaned with what the whole batch says about its site."""
    raw = [safe_extract_page(html, url) for html, url in pages]
    knowledge = learn([(url, page) for (_, url), page in zip(pages, raw, strict=True)], knowledge)
    results = []
    for (_, url), page in zip(pages, raw, strict=True):
        domain = site_domain(url)
        site = knowledge.get(domain) if domain else None
        results.append(apply_site(page, site.boilerplate() if site else frozenset()))
    return results

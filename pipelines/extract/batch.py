"""Extraction of a batch of pages as one crawl: learn each site's boilerplate, then clean.

Two passes: extract every page, count each site's blocks over the batch (on
top of what ``knowledge`` already holds), then remove what the site repeats.
Used by ``wirewatch extract --jsonl`` (``extract_on_workers``) and the
benchmark (``extract_batch``, in this process); the crawl pipeline learns
page by page instead (``pipelines.extraction``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from wirewatch.pipelines.extract.core import Extracted, apply_site, extract_page
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge, site_domain
from wirewatch.pipelines.outcome_kinds import EXTRACTION_FAILED
from wirewatch.pipelines.progress import Bar
from wirewatch.pipelines.workers import outcome, start_pool

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


def clean_batch(
    pages: Sequence[Page], raw: Sequence[Extracted], knowledge: dict[str, SiteKnowledge] | None
) -> list[Extracted]:
    """Each extracted page cleaned with what the whole batch (and ``knowledge``) says
    about its site."""
    knowledge = learn([(url, page) for (_, url), page in zip(pages, raw, strict=True)], knowledge)
    results = []
    for (_, url), page in zip(pages, raw, strict=True):
        domain = site_domain(url)
        site = knowledge.get(domain) if domain else None
        results.append(apply_site(page, site.boilerplate() if site else frozenset()))
    return results


def extract_batch(
    pages: Sequence[Page], knowledge: dict[str, SiteKnowledge] | None = None
) -> list[Extracted]:
    """Extract every page in this process, each cleaned with what the batch says of its site."""
    return clean_batch(pages, [safe_extract_page(html, url) for html, url in pages], knowledge)


def extract_on_workers(
    pages: Sequence[Page],
    *,
    workers: int,
    timeout: float,
    knowledge: dict[str, SiteKnowledge] | None = None,
) -> list[Extracted]:
    """``extract_batch`` on ``workers`` processes (``pipelines.workers``): a page that
    takes longer than ``timeout`` seconds or kills its worker fails alone, as
    ``extraction_failed`` with the reason, and the batch goes on."""
    with start_pool(workers) as pool:
        futures = [
            pool.schedule(safe_extract_page, args=(html, url), timeout=timeout)
            for html, url in pages
        ]
        raw = []
        with Bar("extract", total=len(futures), unit=" pages") as bar:
            for future in bar.track(futures):
                page, failure = outcome(future, timeout)
                raw.append(
                    page if failure is None else Extracted(reason=EXTRACTION_FAILED, detail=failure)
                )
    return clean_batch(pages, raw, knowledge)

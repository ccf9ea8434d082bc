"""What an extraction worker runs for one page: ``extract_in_worker`` for the crawl,
``extract_for_import`` for ``wirewatch import-warc``.

A module of its own, because a worker imports the module its task's function
lives in: ``pipelines.extraction`` or ``pipelines.warc_import`` would bring
Scrapy, Twisted and psycopg into every worker (~50 MB and ~0.3 s of imports
each, again for every recycled worker).  The other way round, the crawl
imports this module to name the task but never extracts: the extractor
(trafilatura, htmldate, justext: ~0.13 s of a crawl's CPU) is imported when a
task runs, in a worker, whose forkserver imported it already
(``workers.PRELOAD``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wirewatch.pipelines.article import extracted_values
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge, learnable
from wirewatch.pipelines.fingerprint import fingerprint

if TYPE_CHECKING:
    from wirewatch.pipelines.extract.core import Extracted


def extract_in_worker(
    body: bytes, url: str | None, encoding: str | None, site: SiteKnowledge | None
) -> dict[str, Any]:
    """Run in a worker process; returns a picklable dict: the extracted fields
    (``pipelines.article.EXTRACTED``), ``reason``
    and ``detail`` (why there is no article), ``fingerprint``, and for site learning the
    page's ``learnable`` blocks and how many ``site_boilerplate_removed``.

    What is CPU work goes here rather than to the crawl's one reactor thread: the text's
    dedupe fingerprint (~1 ms an article) and the blocks' keys.  Only what the crawl uses
    is sent back (not every dropped line, not the evidence).
    """
    page = _extract(body, url, site, encoding)
    result = extracted_values(page)
    result.update(
        reason=page.reason,
        detail=page.detail,
        fingerprint=fingerprint(page.text) if page.text and not page.reason else None,
        learnable=learnable(page.blocks),
        site_boilerplate_removed=sum(1 for rule, _ in page.dropped if rule == "site_boilerplate"),
    )
    return result


def extract_for_import(
    body: bytes, url: str, encoding: str | None, site: SiteKnowledge | None
) -> dict[str, Any]:
    """Run in a worker process for ``import-warc``: the crawl's extraction, plus the dedupe
    fingerprint, and the page's ``blocks`` (the importer learns a site from them)."""
    result = _extract(body, url, site, encoding)
    out = extracted_values(result)
    out.update(reason=result.reason, detail=result.detail, blocks=result.blocks)
    if not result.reason:
        out["fingerprint"] = fingerprint(result.text)
    return out


def _extract(
    body: bytes, url: str | None, site: SiteKnowledge | None, encoding: str | None
) -> Extracted:
    """``core.extract_article``, imported here: only a worker extracts."""
    from wirewatch.pipelines.extract.core import extract_article

    return extract_article(body, url, site, encoding=encoding)

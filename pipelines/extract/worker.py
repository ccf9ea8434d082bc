"""What an extraction worker runs for one page: ``extract_in_worker`` for the crawl,
``extract_for_import`` for ``wirewatch import-warc``.

A module of its own, importing only the extractor and the dedupe fingerprint,
because a worker imports the module its task's function lives in:
``pipelines.extraction`` or ``pipelines.warc_import`` would bring Scrapy,
Twisted and psycopg into every worker (~50 MB and ~0.3 s of imports each,
again for every recycled worker).
"""

from __future__ import annotations

from typing import Any

from wirewatch.pipelines.article import extracted_values
from wirewatch.pipelines.extract.core import extract_article
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge, learnable
from wirewatch.pipelines.fingerprint import fingerprint


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
    page = extract_article(body, url, site, encoding=encoding)
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
    result = extract_article(body, url, site, encoding=encoding)
    out = extracted_values(result)
    out.update(reason=result.reason, detail=result.detail, blocks=result.blocks)
    if not result.reason:
        out["fingerprint"] = fingerprint(result.text)
    return out

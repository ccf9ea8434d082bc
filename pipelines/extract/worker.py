"""What an extraction worker runs for one page: ``extract_in_worker``.

A module of its own, importing only the extractor and the dedupe fingerprint,
because a worker imports the module its task's function lives in:
``pipelines.extraction`` would bring Scrapy, Twisted and psycopg into every
worker (~50 MB and ~0.3 s of imports each, again for every recycled worker).
"""

from __future__ import annotations

from typing import Any

from pipelines.extract.core import extract_article
from pipelines.extract.sitelearn import SiteKnowledge
from pipelines.fingerprint import fingerprint


def extract_in_worker(
    body: bytes, url: str | None, encoding: str | None, site: SiteKnowledge | None
) -> dict[str, Any]:
    """Run in a worker process; returns a picklable dict.

    The text's dedupe fingerprint is computed here too: it is CPU work (~1 ms
    an article) that would otherwise hold up the crawl's one reactor thread.
    """
    result = extract_article(body, url, site, encoding=encoding).as_dict()
    if result["text"] and not result["reason"]:
        result["fingerprint"] = fingerprint(result["text"])
    return result

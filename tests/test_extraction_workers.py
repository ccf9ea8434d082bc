"""Extraction workers carry the extractor, not the crawler.

A worker imports the module its task's function lives in; were that Scrapy's
or psycopg's, every worker of every crawl would hold ~50 MB it never uses.
"""

from __future__ import annotations

import sys

from pipelines import workers
from pipelines.extract.warmup import PAGE
from pipelines.extract.worker import extract_in_worker


def crawler_modules(_: object = None) -> list[str]:
    """Runs in a worker: which of the crawl process's libraries it has loaded."""
    return sorted(name for name in ("scrapy", "twisted", "psycopg") if name in sys.modules)


def test_a_worker_extracts_a_page_without_loading_scrapy_or_the_database_driver() -> None:
    pool = workers.start_pool(1)
    try:
        result = pool.schedule(
            extract_in_worker, args=(PAGE.encode(), "https://gazette.example/a.html", None, None)
        ).result(timeout=120)
        assert result["reason"] is None and "winter ferry timetable" in result["text"]
        assert result["fingerprint"] is not None
        assert pool.schedule(crawler_modules).result(timeout=60) == []
    finally:
        pool.close()
        pool.join()

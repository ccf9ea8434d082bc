"""Extraction workers carry the extractor, not the crawler.

A worker imports the module its task's function lives in; were that Scrapy's
or psycopg's, every worker of every crawl would hold ~50 MB it never uses.
"""

from __future__ import annotations

import sys

from wirewatch.pipelines import workers
from wirewatch.pipelines.extract.sitelearn import SAMPLE_CHARS, SiteKnowledge, block_key, learnable
from wirewatch.pipelines.extract.warmup import PAGE, PARAGRAPHS
from wirewatch.pipelines.extract.worker import extract_for_import, extract_in_worker


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
        assert list(result["learnable"]) == list(learnable(PARAGRAPHS))
        assert pool.schedule(crawler_modules).result(timeout=60) == []
    finally:
        pool.close()
        pool.join()


def test_an_import_warc_worker_extracts_without_loading_scrapy_or_the_database_driver() -> None:
    """``import-warc``'s task lived in pipelines.warc_import, which imports the crawl's
    storage and extraction modules: every import worker loaded Scrapy and psycopg."""
    import wirewatch.pipelines.warc_import  # the parent has it; its workers must not

    pool = workers.start_pool(1)
    try:
        result = pool.schedule(
            extract_for_import, args=(PAGE.encode(), "https://gazette.example/a.html", None, None)
        ).result(timeout=120)
        assert result["reason"] is None and "winter ferry timetable" in result["text"]
        assert result["fingerprint"] is not None and PARAGRAPHS[0] in result["blocks"]
        assert pool.schedule(crawler_modules).result(timeout=60) == []
    finally:
        pool.close()
        pool.join()
    assert wirewatch.pipelines.warc_import.extract_for_import is extract_for_import


def test_a_worker_sends_the_blocks_to_learn_keyed_once_each() -> None:
    """Blocks are keyed in the worker; the crawl counts the keys as it counted the blocks."""
    blocks = ["Subscribe to the Gazette", "SUBSCRIBE  to the gazette", "A story line.", "x " * 90]
    found = learnable(blocks)
    assert found == {block_key(blocks[0]): blocks[0], block_key(blocks[2]): blocks[2]}
    by_keys, by_blocks = SiteKnowledge("gazette.example"), SiteKnowledge("gazette.example")
    assert by_keys.observe_keys(found) == by_blocks.observe(blocks)
    assert by_keys.block_pages == by_blocks.block_pages
    assert learnable(["y" * 900]) == {block_key("y" * 900): "y" * SAMPLE_CHARS}

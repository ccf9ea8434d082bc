"""Extraction worker processes: one way to start them and to say why a page failed in one.

trafilatura and lxml are CPU-bound and not thread-safe, so pages are
extracted in worker processes (pebble).  The crawl, ``import-warc`` and
``wirewatch extract`` all start their workers here and describe a worker's
timeout or crash the same way, as an ``extraction_failed`` detail.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, TimeoutError
from typing import Any

from pebble import ProcessExpired, ProcessPool

# What the forkserver imports before it forks the workers: the extractor with trafilatura
# and lxml (which the crawl process itself never imports), the tasks' module with the
# dedupe fingerprint (numpy), and one page extracted so that every worker starts warm
# (pipelines.extract.warmup).  Not Scrapy: no worker needs it.
PRELOAD = (
    "wirewatch.pipelines.extract.core",
    "wirewatch.pipelines.extract.worker",
    "wirewatch.pipelines.extract.warmup",
)


def start_pool(
    workers: int, *, max_tasks: int = 0, preload: Sequence[str] = PRELOAD
) -> ProcessPool:
    """A pebble pool of ``workers`` processes, forked from a forkserver.

    forkserver: forking the crawl's own process (a reactor, database threads)
    is unsafe.  The forkserver is one per process, whatever the number of pools.
    ``max_tasks`` recycles a worker after that many pages (bounds lxml's growth).
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return ProcessPool(max_workers=max(1, workers), max_tasks=max_tasks, context=context)


def failure_detail(exc: BaseException, timeout: float) -> str:
    """Why a page's extraction failed: too slow, its worker died, or it raised."""
    if isinstance(exc, TimeoutError):
        return f"extraction took longer than {timeout:g}s"
    if isinstance(exc, ProcessExpired):
        return f"extraction worker died (exit code {exc.exitcode})"
    return f"extraction crashed: {type(exc).__name__}: {exc}"


def outcome(future: Future[Any], timeout: float) -> tuple[Any, str | None]:
    """``(result, None)``, or ``(None, detail)`` when the worker timed out, died or raised."""
    try:
        return future.result(), None
    except Exception as exc:  # TimeoutError and ProcessExpired are Exceptions too
        return None, failure_detail(exc, timeout)

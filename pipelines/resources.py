"""One owner per resource per process: the database pool and the extraction workers.

``wirewatch crawl`` runs one Scrapy crawler per source in one process.  Each
crawler's storage pipeline, crawl-run recorder, fetch state and boilerplate
learning used to open connections of their own, and each crawler its own
extraction workers: 30 small sources held up to 98 PostgreSQL connections
and 44 processes.  They now borrow the process's one pool of each: the first
borrower creates it, the last one to give it back closes it, so the count
stays the pool's size whatever the number of sources.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from pebble import ProcessPool

from wirewatch.pipelines import db, workers
from wirewatch.pipelines.db import Pool

log = logging.getLogger(__name__)


_R = TypeVar("_R")


@dataclass
class _Loan(Generic[_R]):
    resource: _R
    borrowers: int = 1


_lock = threading.Lock()
_pools: dict[str, _Loan[Pool]] = {}  # database URL -> its pool
_workers: list[_Loan[ProcessPool]] = []  # at most one extraction pool


def acquire_pool(url: str, *, max_size: int = 6, timeout: float = 30.0) -> Pool:
    """The process's pool for ``url``, opened by the first borrower.

    Opening does not wait for the database: a borrower finds out when it asks
    for a connection (``PoolTimeout``, which ``db.is_transient`` retries), so a
    database that is away never keeps a crawl from starting to fetch.  Each
    connection is checked as it leaves the pool; the size and timeout are the
    first borrower's (they come from the same settings).
    """
    with _lock:
        loan = _pools.get(url)
        if loan is not None:
            loan.borrowers += 1
            return loan.resource
        pool = db.open_pool(url, min_size=1, max_size=max(1, max_size), timeout=timeout, wait=False)
        _pools[url] = _Loan(pool)
        return pool


def release_pool(pool: Pool) -> None:
    """Give ``pool`` back; the last borrower closes it."""
    with _lock:
        for url, loan in _pools.items():
            if loan.resource is pool:
                loan.borrowers -= 1
                if loan.borrowers:
                    return
                del _pools[url]
                break
        else:
            return
    pool.close()


@contextmanager
def borrowed_pool(url: str, *, max_size: int = 6, timeout: float = 30.0) -> Iterator[Pool]:
    """The pool, held for a ``with`` block (the runner holds it for a whole batch)."""
    pool = acquire_pool(url, max_size=max_size, timeout=timeout)
    try:
        yield pool
    finally:
        release_pool(pool)


def open_pools() -> int:
    """How many database pools this process holds (for tests)."""
    with _lock:
        return len(_pools)


def acquire_workers(count: int, *, max_tasks: int = 0) -> ProcessPool:
    """The process's extraction workers, started by the first borrower (``count`` of them)."""
    with _lock:
        if _workers:
            _workers[0].borrowers += 1
            return _workers[0].resource
        pool = workers.start_pool(count, max_tasks=max_tasks)
        _workers.append(_Loan(pool))
        return pool


def release_workers(pool: ProcessPool) -> bool:
    """Give ``pool`` back; True when this was the last borrower, who must shut it down
    (``shutdown_workers``, in a thread when called from the reactor: it waits)."""
    with _lock:
        if not _workers or _workers[0].resource is not pool:
            return False
        _workers[0].borrowers -= 1
        if _workers[0].borrowers:
            return False
        _workers.clear()
    return True


@contextmanager
def borrowed_workers(count: int, *, max_tasks: int = 0, timeout: float = 30.0) -> Iterator[None]:
    """The extraction workers, held for a ``with`` block (the runner holds them for a
    whole batch, so crawlers that end early do not stop them for those still running)."""
    pool = acquire_workers(count, max_tasks=max_tasks)
    try:
        yield
    finally:
        if release_workers(pool):
            shutdown_workers(pool, timeout)


def shutdown_workers(pool: ProcessPool, timeout: float) -> None:
    """Let the workers finish what they have (up to ``timeout`` s), then stop them."""
    pool.close()
    try:
        pool.join(timeout)
    except TimeoutError:
        log.warning("extraction workers still busy at close; stopping them")
    finally:
        pool.stop()
        pool.join()

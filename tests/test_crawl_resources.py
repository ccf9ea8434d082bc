"""One owner per resource per process: a crawl of many sources holds a few connections.

``wirewatch crawl`` over 12 feed sources (one loopback address each) in a
child process, its database connections sampled from ``pg_stat_activity`` and
its processes from ``/proc`` every 100 ms.  Before the shared pools, each
source's crawler opened connections of its own (storage, recorder, fetch
state) and extraction workers of its own: 12 sources held 40-odd connections
and 25 processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from benchmarks.resources import ResourceWatch, serve
from tests.support.crawls import override_settings
from wirewatch.pipelines import resources

SOURCES = 12
ARTICLES = 3
WORKERS = 2
# The pool (6) and the runner's lock connection: 7; one to spare.
MAX_CONNECTIONS = 8
# The workers, the forkserver they are forked from, multiprocessing's resource tracker.
MAX_PROCESSES = WORKERS + 2


@pytest.mark.timeout(600)  # the crawl alone may take up to 300 s on a loaded machine
def test_twelve_sources_share_one_pool_and_one_set_of_workers(
    db_url: str, pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    override_settings(tmp_path, monkeypatch, EXTRACTION_WORKERS=WORKERS)
    with ExitStack() as stack:
        site = serve(stack, SOURCES, ARTICLES)
        config = tmp_path / "wirewatch.toml"
        config.write_text(site.config())
        child = subprocess.Popen(
            [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        dbname = conninfo_to_dict(db_url)["dbname"]
        with ResourceWatch(child.pid, pg_server_url, dbname) as watch:
            out, err = child.communicate(timeout=300)
    assert child.returncode == 0, out + err[-4000:]
    with psycopg.connect(db_url) as conn:
        stored = conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0]
        runs = conn.execute("SELECT status, count(*) FROM wirewatch.crawl_runs GROUP BY 1")
        assert dict(runs.fetchall()) == {"ok": SOURCES}
    assert stored == SOURCES * ARTICLES
    assert watch.samples > 5
    assert 1 <= watch.peak_connections <= MAX_CONNECTIONS, watch.peak_connections
    assert WORKERS <= watch.peak_children <= MAX_PROCESSES, watch.peak_children


def test_the_pool_is_shared_and_closed_by_its_last_borrower(db_url: str) -> None:
    first = resources.acquire_pool(db_url, max_size=2)
    second = resources.acquire_pool(db_url, max_size=5)
    assert second is first and resources.open_pools() == 1
    resources.release_pool(first)
    assert not second.closed
    with second.connection() as conn:
        assert conn.execute("SELECT 1 AS one").fetchone() == {"one": 1}
    resources.release_pool(second)
    assert second.closed and resources.open_pools() == 0
    third = resources.acquire_pool(db_url)
    assert third is not first
    resources.release_pool(third)

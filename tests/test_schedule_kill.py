"""``kill -9`` of the scheduler daemon mid-crawl, then a restart (issue 14).

The daemon runs each crawl as a child in a session of its own.  A SIGKILL of
the daemon alone leaves that child behind: it is asked to stop (SIGTERM, as
on a clean shutdown) the moment the daemon dies, so no crawl goes on
unsupervised.  A SIGKILL of the daemon and its children together (the OOM
killer, ``systemctl kill -s KILL``) leaves a run ``running`` with nobody
holding its lock; the restarted daemon closes it as ``interrupted``.  Either
way the restarted daemon takes the single-instance lock again, runs the
interrupted crawl at once, and every article ends up stored exactly once.

Real parts throughout: the daemon, its child crawls, a loopback site whose
late articles wait for the test's go-ahead, and a PostgreSQL of the test's own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.crawls import gated, override_settings
from tests.support.daemon import DaemonProcess, wait_for
from tests.support.pages import article, feed
from wirewatch.crawler import locks
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines import db

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process table from /proc"
)

ARTICLES = 8
EARLY = 3  # served at once; the rest wait until the test opens the gate
SOURCE = "harbour"


@pytest.fixture
def site() -> Iterator[tuple[FixtureServer, threading.Event]]:
    gate = threading.Event()
    with FixtureServer() as server:
        paths = [f"/news/story-{i:02d}.html" for i in range(ARTICLES)]
        for i, path in enumerate(paths):
            body = article(f"Harbour story {i}", f"ferry{i}")
            server.route(path, raw(body) if i < EARLY else gated(gate, body))
        server.route("/robots.txt", raw("User-agent: *\nAllow: /\n", "text/plain"))
        server.route("/feed.xml", raw(feed(server.base_url, paths), "application/rss+xml"))
        try:
            yield server, gate
        finally:
            gate.set()


class Started:
    """The daemons a test started and the crawl children it saw, all killed at the end
    (an orphaned crawl is no longer a descendant of its daemon)."""

    def __init__(self) -> None:
        self.daemons: list[DaemonProcess] = []
        self.crawls: list[int] = []

    def daemon(self, config: Path, db_url: str, log: Path) -> DaemonProcess:
        self.daemons.append(DaemonProcess(config, db_url, log))
        return self.daemons[-1]

    def kill_all(self) -> None:
        for daemon in self.daemons:
            self.crawls += [p for p in descendants(daemon.proc.pid) if p not in self.crawls]
            daemon.kill()
        for pid in self.crawls:  # each is a session leader: its group holds its workers
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


@pytest.fixture
def started() -> Iterator[Started]:
    processes = Started()
    yield processes
    processes.kill_all()


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(
        f'[[source]]\nname = "{SOURCE}"\nkind = "feed"\nurl = "{base}/feed.xml"\n\n'
        "[crawl]\nconcurrency_per_domain = 32\ndownload_timeout = 10\n\n"
        '[schedule]\ndefault_interval = "2s"\nmin_interval = "2s"\nmax_interval = "2s"\n'
        'stop_timeout = "60s"\nalerts_interval = "off"\n',
        encoding="utf-8",
    )
    return path


def start_settings(tmp_path: Path, base: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every article in flight at once (the gated ones must not hold up the early ones)."""
    override_settings(
        tmp_path,
        monkeypatch,
        AUTOTHROTTLE_ENABLED=False,
        CONCURRENT_REQUESTS=64,
        EXTRACTION_WORKERS=1,
    )
    return write_config(tmp_path, base)


def parent_of(pid: int) -> int | None:
    """The parent pid from /proc (None for a process gone or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return None if state == "Z" else int(ppid)


def descendants(root: int) -> list[int]:
    """Living descendants of ``root`` (the crawl, its forkserver, extraction workers)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (ppid := parent_of(int(entry.name))) is not None:
            parents[int(entry.name)] = ppid
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found += children
        frontier = children
    return found


def alive(pid: int) -> bool:
    return parent_of(pid) is not None


def query(db_url: str, statement: str) -> list[tuple]:
    with db.connect(db_url, autocommit=True) as conn:
        return [tuple(row.values()) for row in conn.execute(statement).fetchall()]


def stored(db_url: str) -> int:
    return query(db_url, "SELECT count(*) FROM articles")[0][0]


def daemon_locked(db_url: str) -> bool:
    with db.connect(db_url, autocommit=True) as conn:
        return locks.is_locked(conn, locks.SCHEDULER_LOCK_KEY)


def crawl_in_flight(db_url: str, daemon: DaemonProcess, started: Started) -> int:
    """The crawl child's pid, once EARLY articles are stored and the rest are waiting."""
    wait_for(lambda: stored(db_url) >= EARLY, 90, "the early articles")
    running = "SELECT id FROM crawl_runs WHERE status = 'running'"
    wait_for(lambda: query(db_url, running), 30, "a running crawl")
    [crawl] = wait_for(
        lambda: [p for p in descendants(daemon.proc.pid) if parent_of(p) == daemon.proc.pid],
        10,
        "the crawl child",
    )
    started.crawls.append(crawl)
    return crawl


def restart_and_finish(config: Path, db_url: str, log: Path, started: Started) -> None:
    """A new daemon must take the lock, run the interrupted crawl at once and store the rest."""
    before = stored(db_url)
    second = started.daemon(config, db_url, log)
    wait_for(lambda: event(second, "scheduler_started"), 30, "the second daemon to start")
    assert daemon_locked(db_url)
    assert [e["job"] for e in event(second, "job_interrupted")] == [f"crawl:{SOURCE}"]
    finished = wait_for(lambda: event(second, "crawl_finished"), 120, "the crawl run again")
    assert (finished[0]["status"], finished[0]["articles_new"]) == ("ok", ARTICLES - before)
    assert second.stop() == 0


def event(daemon: DaemonProcess, name: str) -> list[dict]:
    return [e for e in daemon.events() if e.get("event") == name]


def check_everything_stored_once(db_url: str) -> None:
    keys = query(db_url, "SELECT url_key, count(*) FROM articles GROUP BY url_key")
    assert len(keys) == ARTICLES and all(n == 1 for _, n in keys)
    assert query(db_url, "SELECT id FROM crawl_runs WHERE status = 'running'") == []
    assert query(db_url, "SELECT job FROM scheduler_jobs WHERE running_since IS NOT NULL") == []


@pytest.mark.slow
def test_kill_9_of_the_daemon_alone_stops_its_crawl_and_a_restart_finishes_the_work(
    db_url: str,
    tmp_path: Path,
    site: tuple[FixtureServer, threading.Event],
    started: Started,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, gate = site
    config = start_settings(tmp_path, server.base_url, monkeypatch)
    first = started.daemon(config, db_url, tmp_path / "first.log")
    crawl = crawl_in_flight(db_url, first, started)

    first.kill()  # SIGKILL, the daemon only: its crawl is orphaned mid-run

    # Told to stop when the daemon died, the crawl gives up the requests still at
    # the closed gate (download_timeout) and records its own end; without that
    # signal it would retry them and end as 'finished'.
    wait_for(lambda: not alive(crawl), 60, "the orphaned crawl to stop")
    assert query(db_url, "SELECT status, finish_reason FROM crawl_runs") == [
        ("partial", "shutdown")
    ]
    gate.set()
    restart_and_finish(config, db_url, tmp_path / "second.log", started)
    check_everything_stored_once(db_url)


@pytest.mark.slow
def test_kill_9_of_the_daemon_and_its_crawl_is_closed_as_interrupted_by_the_restart(
    db_url: str,
    tmp_path: Path,
    site: tuple[FixtureServer, threading.Event],
    started: Started,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server, gate = site
    config = start_settings(tmp_path, server.base_url, monkeypatch)
    first = started.daemon(config, db_url, tmp_path / "first.log")
    crawl_in_flight(db_url, first, started)

    # All at once, as `systemctl kill -s KILL` would: frozen first, so that no
    # process sees another die (the crawl would be told to stop, and would).
    tree = [first.proc.pid, *descendants(first.proc.pid)]
    for signum in (signal.SIGSTOP, signal.SIGKILL):
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
    first.kill()
    wait_for(lambda: not any(alive(pid) for pid in tree), 30, "the whole tree to die")
    [(run_id, status)] = query(db_url, "SELECT id, status FROM crawl_runs")
    assert status == "running"  # nobody could record its end
    gate.set()
    restart_and_finish(config, db_url, tmp_path / "second.log", started)
    closed = query(db_url, f"SELECT status, finish_reason FROM crawl_runs WHERE id = {run_id}")
    assert closed == [("failed", "interrupted")]
    check_everything_stored_once(db_url)

"""Fault injection: the database stops and starts mid-crawl; a crawl is killed mid-run.

The outage tests stop a throwaway PostgreSQL that this module starts itself,
in a temporary directory (the ``pgserver`` wheel's binaries, listening on a
Unix socket in that directory only) — never the machine's shared server or
the suite's embedded one.  The crawl is the real ``wirewatch crawl`` in a
child process, against a loopback site whose article pages wait on events
the test sets, so each phase (stored before the outage, fetched during it,
still running after it) happens whatever the machine's speed.

Every such test ends with a re-run and the same checks: each article stored
exactly once (by url_key), no run left 'running'.  The pure parts (what is
worth retrying, the pauses, the summary) are tested on their own first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import psycopg_pool
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from scrapy.utils.test import get_crawler

from tests.conftest import run_wirewatch
from tests.support.crawls import gated, override_settings
from tests.support.pages import article, feed
from wirewatch.crawler import locks
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.crawler.extensions.crawl_runs import (
    RUN_ERRORS_STAT,
    RUN_ID_STAT,
    RUN_STATUS_STAT,
    STORE_FAILED_STAT,
    UNRECORDED_STAT,
    CrawlRunRecorder,
    reconnect_delay,
)
from wirewatch.crawler.runner import RunSummary, run_problems, summarise
from wirewatch.pipelines import db, resources
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import StoragePipeline, StoreFailed, StoreResult, retry_delays

ARTICLES = 20
EARLY = 4  # served at once: stored before the outage
# The last article waits for the test's go-ahead: the crawl is still running
# after the database is back.
STRAGGLER = f"/news/story-{ARTICLES - 1:02d}.html"


# -- the pure parts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (psycopg.errors.AdminShutdown("terminating connection"), True),  # pg_ctl stop -m fast
        (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
        (psycopg.OperationalError("server closed the connection unexpectedly"), True),
        (psycopg.errors.SerializationFailure("could not serialize"), True),
        (psycopg_pool.PoolTimeout("couldn't get a connection after 10 sec"), True),
        (db.DatabaseError("cannot connect"), False),
        (psycopg.errors.ProgramLimitExceeded("index row requires 9048 bytes"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
        (ValueError("a bug"), False),
    ],
)
def test_what_is_worth_trying_again(exc: BaseException, transient: bool) -> None:
    assert db.is_transient(exc) is transient


def test_a_connection_error_wrapped_by_wirewatch_is_transient() -> None:
    try:
        raise db.DatabaseError("cannot connect") from psycopg.OperationalError("refused")
    except db.DatabaseError as exc:
        assert db.is_transient(exc)


def test_pauses_between_tries() -> None:
    assert retry_delays(5, 4.0) == [4.0, 8.0, 16.0, 32.0]  # about a minute
    assert retry_delays(1, 4.0) == []
    assert [reconnect_delay(n) for n in (1, 2, 3, 6, 7, 50)] == [1, 2, 4, 30, 30, 30]


class _Stats(dict):
    def get_value(self, key: str, default: object = None) -> object:
        return self.get(key, default)

    def inc_value(self, key: str, n: int = 1) -> None:
        self[key] = self.get(key, 0) + n


def _pipeline(outcomes: list[BaseException | None], tries: int) -> StoragePipeline:
    """A storage pipeline whose stores fail (or not) as ``outcomes`` say, without pauses."""
    crawler = type("Crawler", (), {"stats": _Stats()})()
    pipeline = StoragePipeline(crawler, None, 1, [0.0] * (tries - 1))  # type: ignore[arg-type]
    script = iter(outcomes)

    def store(article: dict, run_id: int | None) -> StoreResult:
        failure = next(script)
        if failure is not None:
            raise failure
        return StoreResult("new", 1)

    pipeline._store = store  # type: ignore[method-assign]
    return pipeline


def test_an_article_is_stored_once_the_database_is_back() -> None:
    down = psycopg.errors.AdminShutdown("terminating connection")
    pipeline = _pipeline([down, down, None], tries=5)
    result = asyncio.run(pipeline._store_with_retries({"url": "https://a.example/1"}))
    assert result.status == "new"
    assert pipeline.crawler.stats["wirewatch/store_retries"] == 2


def test_an_article_is_given_up_after_the_last_try_or_at_once_when_retrying_is_useless() -> None:
    down = psycopg.OperationalError("connection refused")
    pipeline = _pipeline([down] * 3, tries=3)
    with pytest.raises(StoreFailed, match=r"after 3 tries\): connection refused") as failed:
        asyncio.run(pipeline._store_with_retries({"url": "https://a.example/1"}))
    assert (failed.value.url, failed.value.tries) == ("https://a.example/1", 3)
    too_long = psycopg.errors.ProgramLimitExceeded("index row requires 9048 bytes")
    pipeline = _pipeline([too_long], tries=3)
    with pytest.raises(StoreFailed, match=r"not retried\): index row requires"):
        asyncio.run(pipeline._store_with_retries({"url": "https://a.example/2"}))


def test_the_summary_of_a_run_whose_end_could_not_be_written() -> None:
    stats = {
        RUN_ID_STAT: 7,
        RUN_STATUS_STAT: "partial",
        RUN_ERRORS_STAT: 3,
        STORE_FAILED_STAT: 3,
        UNRECORDED_STAT: True,
        "response_received_count": 22,
        "wirewatch/articles_new": 4,
    }
    summary = summarise("harbour", stats, None)
    assert summary == RunSummary(
        "harbour", 7, "unrecorded", 22, 4, 0, 0, 3, "partial", store_failed=3, recorded=False
    )
    assert run_problems([summary]) == [
        "harbour: 3 article(s) could not be stored (database unavailable); they are listed "
        "in the log above, and the next run fetches them again",
        "harbour: crawl run 7 could not be recorded (database unreachable at the end); "
        "the next crawl of the source closes it as interrupted",
    ]
    row = {
        "status": "ok",
        "pages_fetched": 22,
        "articles_new": 20,
        "articles_updated": 0,
        "articles_unchanged": 0,
        "errors": 0,
        "finish_reason": "finished",
    }
    recorded = summarise("harbour", {RUN_ID_STAT: 7}, {7: row})
    assert (recorded.status, recorded.recorded, run_problems([recorded])) == ("ok", True, [])
    assert summarise("harbour", {}, {}).status == "failed"  # never started


def test_errors_are_kept_while_the_database_is_away_and_written_when_it_is_back(
    db_url: str,
) -> None:
    with db.connect(db_url, autocommit=True) as conn:
        conn.execute(
            Q.upsert_source,
            {
                "name": "harbour",
                "kind": "feed",
                "urls": ["https://h.example/feed"],
                "wire": False,
                "schedule": None,
                "settings": "{}",
            },
        )
        run_id = conn.execute(Q.start_crawl_run, {"source": "harbour"}).fetchone()["id"]
    recorder = CrawlRunRecorder(get_crawler(settings_dict={"WIREWATCH_DB_CONNECT_TIMEOUT": 1}))
    recorder.run_id, recorder.source = run_id, "harbour"
    recorder.database_url = "postgresql://nobody@127.0.0.1:9/none"  # nothing listens on port 9
    recorder._record("https://h.example/a", "store_failed", "could not store the article")
    recorder._record("https://h.example/b", "timeout", "took too long")
    assert recorder._flusher is not None
    recorder._flusher.join(10)  # written off the reactor thread, or tried to
    assert len(recorder.pending) == 2 and recorder.retry_at > 0
    # The database is back: the recorder's next pool is the real database's.
    assert recorder.pool is not None
    resources.release_pool(recorder.pool)
    recorder.pool = None
    recorder.database_url, recorder.retry_at = db_url, 0.0
    recorder.item_scraped({"text": "x"}, None, None)  # type: ignore[arg-type]
    recorder._flusher.join(10)
    assert not recorder.pending
    with db.connect(db_url) as conn:
        rows = conn.execute(Q.crawl_errors_of_run, {"run_id": run_id}).fetchall()
    assert [(r["url"], r["kind"]) for r in rows] == [
        ("https://h.example/a", "store_failed"),
        ("https://h.example/b", "timeout"),
    ]
    recorder._give_back()  # as the run's end does: no pool outlives the test
    assert resources.open_pools() == 0


# -- the real thing: a crawl against a database that stops -----------------------------


class ThrowawayPostgres:
    """A private PostgreSQL server in a temporary directory, to stop and start at will."""

    def __init__(self) -> None:
        import pgserver

        self._pg = pgserver
        # Short path: the Unix socket lives in the data directory.
        self.home = Path(tempfile.mkdtemp(prefix="ww-outage-"))
        self.server = pgserver.get_server(self.home / "data", cleanup_mode=None)
        self.socket_dir = self.server.get_postmaster_info().socket_dir
        self.url = self.server.get_uri()

    def _ctl(self, *args: str) -> None:
        self._pg.pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user)

    def stop(self) -> None:
        self._ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self._ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"
        )

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def throwaway() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    yield server
    server.close()


@pytest.fixture
def outage_db(throwaway: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database on the throwaway server, as DATABASE_URL (the crawl migrates it)."""
    name = f"ww_outage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(throwaway.url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(throwaway.url, dbname=name)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    with contextlib.suppress(subprocess.CalledProcessError):  # running already
        throwaway.start()  # a failed test may have left it stopped
    with psycopg.connect(throwaway.url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@dataclass
class Newsroom:
    """A loopback site of ARTICLES articles; all but the first EARLY wait for ``outage``."""

    server: FixtureServer
    outage: threading.Event = field(default_factory=threading.Event)
    go_on: threading.Event = field(default_factory=threading.Event)

    def paths(self) -> list[str]:
        return [f"/news/story-{i:02d}.html" for i in range(ARTICLES)]

    def open_all(self) -> None:
        self.outage.set()
        self.go_on.set()


@pytest.fixture
def newsroom() -> Iterator[Newsroom]:
    with FixtureServer() as server:
        site = Newsroom(server)
        for i, path in enumerate(site.paths()):
            body = article(f"Harbour story {i}", f"ferry{i}")
            if i < EARLY:
                server.route(path, raw(body))
            elif path == STRAGGLER:
                server.route(path, gated(site.go_on, body))
            else:
                server.route(path, gated(site.outage, body))
        server.route("/feed.xml", raw(feed(server.base_url, site.paths()), "application/rss+xml"))
        try:
            yield site
        finally:
            site.open_all()


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "wirewatch.toml"
    # Every article in flight at once: the gated ones never hold up the early ones.
    path.write_text(
        f'[[source]]\nname = "harbour"\nkind = "feed"\nurl = "{base}/feed.xml"\n\n'
        "[crawl]\nconcurrency_per_domain = 32\ndownload_timeout = 120\n"
    )
    return path


def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    """Project settings with every request in flight at once (the gated ones must
    not hold up the others: no AutoThrottle, no global cap of 16), plus ``values``."""
    override_settings(
        tmp_path,
        monkeypatch,
        AUTOTHROTTLE_ENABLED=False,
        CONCURRENT_REQUESTS=64,
        EXTRACTION_WORKERS=1,
        WIREWATCH_DB_CONNECT_TIMEOUT=2,
        **values,
    )


def start_crawl(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its extraction workers can be cleaned up with it
    )


@contextlib.contextmanager
def crawling(config: Path) -> Iterator[subprocess.Popen[str]]:
    """The crawl in a child process; when the test fails meanwhile, its output says why."""
    child = start_crawl(config)
    try:
        yield child
    except Exception as exc:
        kill_group(child)
        out, err = child.communicate(timeout=30)
        raise AssertionError(f"{exc}\n--- crawl output:\n{out}\n{err[-8000:]}") from exc
    finally:
        kill_group(child)  # and its extraction workers


def finish(child: subprocess.Popen[str], timeout: float = 240) -> tuple[int, str, str]:
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out, err


def kill_group(child: subprocess.Popen[str]) -> None:
    """The crawl and whatever it started (extraction workers), by its own process group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def query(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        return conn.execute(statement, params).fetchall()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except psycopg.Error:
            pass  # not migrated yet, or the server is stopped
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stored(url: str) -> int:
    return query(url, "SELECT count(*) FROM wirewatch.articles")[0][0]


def source_locked(url: str) -> bool:
    with psycopg.connect(url, autocommit=True, connect_timeout=5, row_factory=dict_row) as conn:
        return locks.is_locked(conn, locks.source_lock_key("harbour"))


def check_everything_stored_once(url: str, site: Newsroom) -> None:
    """The invariants every fault case ends with, after its re-run."""
    keys = query(url, "SELECT url_key, count(*) FROM wirewatch.articles GROUP BY url_key")
    assert all(n == 1 for _, n in keys)
    paths = sorted(key.split("/", 1)[1] for key, _ in keys)
    assert paths == sorted(p.lstrip("/") for p in site.paths())
    assert query(url, "SELECT id FROM wirewatch.crawl_runs WHERE status = 'running'") == []


def rerun(config: Path, url: str, site: Newsroom) -> None:
    site.open_all()
    result = run_wirewatch("--config", str(config), "crawl", timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    check_everything_stored_once(url, site)


@pytest.mark.slow
def test_a_short_outage_mid_crawl_loses_nothing(
    outage_db: str,
    throwaway: ThrowawayPostgres,
    newsroom: Newsroom,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopped for 10 s, well within the store retries (4+8+16+32 s): every
    article is stored by the run itself, the run ends 'ok', the locks are taken again."""
    settings(tmp_path, monkeypatch)
    config = write_config(tmp_path, newsroom.server.base_url)
    with crawling(config) as child:
        wait_for(lambda: stored(outage_db) >= EARLY, 90, "the early articles")
        assert source_locked(outage_db)
        throwaway.stop()
        newsroom.outage.set()  # the rest are fetched while the database is down
        time.sleep(10)
        throwaway.start()
        # The runner's lock connection died with the server: it is made again.
        wait_for(lambda: source_locked(outage_db), 30, "the source lock taken again")
        wait_for(lambda: stored(outage_db) >= ARTICLES - 1, 90, "the delayed articles")
        newsroom.go_on.set()
        code, out, err = finish(child)
    assert code == 0, out + err
    runs = query(outage_db, "SELECT status, articles_new, errors FROM wirewatch.crawl_runs")
    assert runs == [("ok", ARTICLES, 0)], out + err
    assert "trying again" in err  # the retries are visible in the log
    rerun(config, outage_db, newsroom)


@pytest.mark.slow
def test_an_outage_longer_than_the_retries_records_store_failed_and_exits_1(
    outage_db: str,
    throwaway: ThrowawayPostgres,
    newsroom: Newsroom,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two tries 1 s apart against a 10 s outage: the articles fetched meanwhile
    are given up, kept in memory, written as store_failed once the database
    is back, named on stderr with exit status 1, and stored by the next run."""
    settings(tmp_path, monkeypatch, WIREWATCH_STORE_TRIES=2, WIREWATCH_STORE_RETRY_DELAY=1.0)
    config = write_config(tmp_path, newsroom.server.base_url)
    with crawling(config) as child:
        wait_for(lambda: stored(outage_db) >= EARLY, 90, "the early articles")
        throwaway.stop()
        newsroom.outage.set()
        time.sleep(10)
        throwaway.start()
        newsroom.go_on.set()
        code, out, err = finish(child)
    assert code == 1, out + err
    failed = {
        r[0]
        for r in query(
            outage_db, "SELECT url FROM wirewatch.crawl_errors WHERE kind = 'store_failed'"
        )
    }
    kept = {r[0] for r in query(outage_db, "SELECT url FROM wirewatch.articles")}
    assert failed, "no article was given up: the outage did not hit the crawl"
    assert not failed & kept
    base = newsroom.server.base_url
    assert failed | kept == {base + p for p in newsroom.paths()}
    status, errors, outcomes = query(
        outage_db, "SELECT status, errors, stats->'outcomes' FROM wirewatch.crawl_runs"
    )[0]
    assert (status, errors, outcomes) == ("partial", len(failed), {"store_failed": len(failed)})
    assert f"harbour: {len(failed)} article(s) could not be stored" in err
    rerun(config, outage_db, newsroom)


@pytest.mark.slow
def test_a_database_still_down_when_the_crawl_ends_exits_1_and_the_run_is_closed_later(
    outage_db: str,
    throwaway: ThrowawayPostgres,
    newsroom: Newsroom,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing can be written: the crawl still ends (bounded waits), says so
    loudly and exits 1; the next crawl closes the run as interrupted."""
    settings(
        tmp_path,
        monkeypatch,
        WIREWATCH_STORE_TRIES=2,
        WIREWATCH_STORE_RETRY_DELAY=1.0,
        WIREWATCH_RECORDER_CLOSE_WAIT=3.0,
    )
    config = write_config(tmp_path, newsroom.server.base_url)
    with crawling(config) as child:
        wait_for(lambda: stored(outage_db) >= EARLY, 90, "the early articles")
        throwaway.stop()
        newsroom.open_all()
        code, out, err = finish(child, timeout=180)
    throwaway.start()
    assert code == 1, out + err
    assert "unrecorded" in out
    assert "could not be recorded" in err and "could not be stored" in err
    assert "not recorded: store_failed" in err  # each lost error is in the log
    run = query(outage_db, "SELECT id, status FROM wirewatch.crawl_runs")
    assert [r[1] for r in run] == ["running"]  # nobody could write its end
    rerun(config, outage_db, newsroom)
    closed = query(
        outage_db,
        "SELECT status, finish_reason FROM wirewatch.crawl_runs WHERE id = %s",
        (run[0][0],),
    )
    assert closed == [("failed", "interrupted")]


@pytest.mark.slow
def test_a_crawl_killed_mid_run_is_closed_as_interrupted_and_the_rerun_stores_the_rest(
    db_url: str, newsroom: Newsroom, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings(tmp_path, monkeypatch)
    config = write_config(tmp_path, newsroom.server.base_url)
    with crawling(config) as child:
        wait_for(lambda: stored(db_url) >= EARLY, 90, "the early articles")
        os.kill(child.pid, signal.SIGKILL)  # the crawl process only, as the OOM killer would
        child.wait(timeout=30)
    (killed,) = query(db_url, "SELECT id FROM wirewatch.crawl_runs WHERE status = 'running'")
    rerun(config, db_url, newsroom)
    closed = query(
        db_url, "SELECT status, finish_reason FROM wirewatch.crawl_runs WHERE id = %s", killed
    )
    assert closed == [("failed", "interrupted")]
    assert query(db_url, "SELECT count(*) FROM wirewatch.crawl_runs")[0][0] == 2

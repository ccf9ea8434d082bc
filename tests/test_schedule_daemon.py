"""`wirewatch schedule` run for a few seconds in a subprocess, on a compressed schedule.

Real parts throughout: the daemon process, its child crawls, a loopback site
and a PostgreSQL database of the test's own.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import DaemonProcess, site_with, wait_for, write_config
from wirewatch.pipelines import db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runs(db_url: str) -> list[dict[str, Any]]:
    with db.connect(db_url) as conn:
        return conn.execute(
            "SELECT id, started_at, finished_at, status, finish_reason FROM crawl_runs ORDER BY id"
        ).fetchall()


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.kill()


def test_daemon_crawls_skips_overlaps_serves_metrics_and_stops_cleanly(
    db_url: str, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    port = free_port()
    site = site_with(article_delay=1.5)  # every crawl outlasts the 1 s interval
    try:
        config = write_config(tmp_path, site.base_url, "1s", f"metrics_port = {port}")
        daemon = DaemonProcess(config, db_url, tmp_path / "daemon.log")
        daemons.append(daemon)
        wait_for(
            lambda: [e for e in daemon.events() if e.get("event") == "crawl_finished"],
            30,
            "a finished crawl",
        )
        events = wait_for(
            lambda: [e for e in daemon.events() if e.get("event") == "crawl_skipped"],
            10,
            "a skipped turn",
        )
        assert events[0]["reason"] == "still_running"
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        text = metrics.decode()
        assert 'wirewatch_crawls_total{source="ferries",status="ok"}' in text
        assert 'wirewatch_crawls_skipped_total{reason="still_running",source="ferries"}' in text
        assert "wirewatch_crawl_duration_seconds_bucket" in text
        assert "process_resident_memory_bytes" in text
        for probe in ("healthz", "readyz"):
            answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/{probe}", timeout=5)
            assert (answer.status, answer.read()) == (200, b"ok\n")
        # Stop while a crawl is in flight: it finishes and is recorded, nothing stays running.
        wait_for(
            lambda: any(r["status"] == "running" for r in runs(db_url)), 20, "a crawl in flight"
        )
        assert daemon.stop() == 0
    finally:
        site.close()
    final = runs(db_url)
    assert final and all(r["status"] != "running" for r in final)
    assert final[-1]["finish_reason"] in ("shutdown", "finished")
    assert any(e.get("event") == "scheduler_stopped" for e in daemon.events())
    # Never two crawls at once: each run started after the previous one finished.
    for before, after in itertools.pairwise(final):
        assert after["started_at"] >= before["finished_at"]


def event_times(daemon: DaemonProcess, name: str) -> list[float]:
    """When the daemon logged an event (its own clock: no child start-up in it)."""
    return [
        datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
        for e in daemon.events()
        if e.get("event") == name
    ]


def test_a_restart_neither_repeats_nor_loses_a_run(
    db_url: str, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    site = site_with(article_delay=0)
    interval = 2.0
    try:
        config = write_config(tmp_path, site.base_url, f"{interval:g}s")
        first = DaemonProcess(config, db_url, tmp_path / "first.log")
        daemons.append(first)
        wait_for(lambda: event_times(first, "crawl_finished"), 30, "the first crawl")
        assert first.stop() == 0
        (run_1,) = event_times(first, "crawl_started")

        # Restarted at once: the next turn is still ahead, so nothing runs yet.
        second = DaemonProcess(config, db_url, tmp_path / "second.log")
        daemons.append(second)
        wait_for(lambda: event_times(second, "crawl_finished"), 30, "run 2")
        assert second.stop() == 0
        run_2 = event_times(second, "crawl_started")[0]
        assert run_2 - run_1 >= interval - 0.1, "a run was repeated after the restart"

        # Down past a turn: the missed run happens right after the restart, once.
        time.sleep(max(0.0, run_2 + interval + 0.5 - time.time()))
        third = DaemonProcess(config, db_url, tmp_path / "third.log")
        daemons.append(third)
        wait_for(lambda: event_times(third, "crawl_finished"), 30, "run 3")
        assert third.stop() == 0
        (started,) = event_times(third, "scheduler_started")
        run_3 = event_times(third, "crawl_started")[0]
        assert run_3 - started < 1.0, "the missed turn was not run at once"
    finally:
        site.close()
    final = runs(db_url)
    assert len(final) == 3, "a missed turn is run once, not once per missed turn"
    assert all(r["status"] == "ok" for r in final)


def test_a_second_daemon_on_the_same_database_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:9", "1h", "")
    with db.connect(db_url, autocommit=True) as conn:
        from wirewatch.crawler import locks

        assert locks.try_lock(conn, locks.SCHEDULER_LOCK_KEY)
        result = subprocess.run(
            [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "schedule"],
            capture_output=True,
            text=True,
            env=dict(os.environ, DATABASE_URL=db_url),
            timeout=30,
        )
    assert result.returncode == 1
    assert "another wirewatch schedule is already running" in result.stderr


def alerts_job(db_url: str) -> dict[str, Any] | None:
    with db.connect(db_url) as conn:
        return conn.execute(
            "SELECT runs, last_outcome, last_exit_code FROM scheduler_jobs WHERE job = 'alerts'"
        ).fetchone()


def test_the_daemon_sends_alerts_and_survives_losing_its_database_connections(
    db_url: str, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    site = site_with(article_delay=0)
    try:
        # A source with a broken URL is left out; the others keep running.
        broken = '\n[[source]]\nname = "broken"\nkind = "feed"\nurl = "ftp://x"\n'
        config = write_config(tmp_path, site.base_url, "1h", 'alerts_interval = "2s"\n' + broken)
        daemon = DaemonProcess(config, db_url, tmp_path / "daemon.log")
        daemons.append(daemon)
        wait_for(
            lambda: [e for e in daemon.events() if e.get("event") == "crawl_finished"],
            30,
            "the first crawl",
        )
        with db.connect(db_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        wait_for(
            lambda: [e for e in daemon.events() if e.get("event") == "database_back"],
            15,
            "the daemon to reconnect",
        )
        with db.connect(db_url) as conn:
            from wirewatch.crawler import locks

            assert locks.is_locked(conn, locks.SCHEDULER_LOCK_KEY)
        # `wirewatch alerts send` runs as a child on its own interval.
        job = wait_for(
            lambda: (row := alerts_job(db_url)) and row["last_outcome"] and row, 20, "alerts"
        )
        assert (job["last_outcome"], job["last_exit_code"]) == ("ok", 0)
        assert daemon.stop() == 0
    finally:
        site.close()
    assert any("source broken is not crawled" in e["msg"] for e in daemon.events())

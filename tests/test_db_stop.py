"""`wirewatch db stop`: the embedded server outlives commands until the user stops it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg


def wirewatch(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**env, "WIREWATCH_HOME": str(home)},
        check=False,
    )


def running(pid: int) -> bool:
    """A live process (a zombie waiting for a parent that does not reap it is not one)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_stop_stops_the_embedded_server_and_the_next_command_starts_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert wirewatch(home, "migrate").returncode == 0
    pid_file = home / "pgdata" / "postmaster.pid"
    assert pid_file.exists()  # still running after the command ended
    pid = int(pid_file.read_text().split()[0])
    stopped = wirewatch(home, "db", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped the embedded PostgreSQL" in stopped.stdout
    assert not pid_file.exists()
    assert not running(pid)
    again = wirewatch(home, "db", "stop")
    assert "not running" in again.stdout
    try:
        assert wirewatch(home, "migrate", "--list").returncode == 0  # starts it again
        assert pid_file.exists()
    finally:
        wirewatch(home, "db", "stop")


def test_stop_refuses_when_a_server_of_ones_own_is_configured(db_url: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "db", "stop"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": db_url},
        check=False,
    )
    assert result.returncode == 2
    assert "DATABASE_URL is set" in result.stderr
    with psycopg.connect(db_url) as conn:  # and it did not touch that server
        assert conn.execute("SELECT 1").fetchone() == (1,)

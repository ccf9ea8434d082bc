"""Shared fixtures: a real PostgreSQL, one fresh database per test.

The server is the one named by ``DATABASE_URL`` when set, else an embedded
PostgreSQL (pgserver) started in a temporary directory.  A migrated template
database is built once per session; each test that asks for ``db_url`` gets
its own copy of it (``CREATE DATABASE ... TEMPLATE``), so tests never see
each other's rows.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from wirewatch.pipelines import db

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def _admin_execute(server_url: str, statement: sql.Composable) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a maintenance database on the test server."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    import pgserver

    # Not under pytest's basetemp: pytest prunes old basetemps, and a
    # concurrent session pruning ours would pull the data directory out
    # from under a running server.
    home = Path(tempfile.mkdtemp(prefix="wirewatch-test-pg-"))
    server = pgserver.get_server(home / "data", cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def template_db(pg_server_url: str) -> Iterator[str]:
    name = f"ww_tpl_{uuid.uuid4().hex[:10]}"
    _admin_execute(pg_server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(pg_server_url, dbname=name)
    with db.connect(url) as conn:
        db.migrate(conn)
    yield name
    _admin_execute(
        pg_server_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
    )


@pytest.fixture
def db_url(pg_server_url: str, template_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database of its own; also exported as DATABASE_URL."""
    name = f"ww_t_{uuid.uuid4().hex[:12]}"
    _admin_execute(
        pg_server_url,
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template_db)
        ),
    )
    url = make_conninfo(pg_server_url, dbname=name)
    monkeypatch.setenv("DATABASE_URL", url)
    db._migrated.add(url)
    yield url
    db._migrated.discard(url)
    _admin_execute(
        pg_server_url,
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
    )


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url) as connection:
        yield connection


@pytest.fixture(autouse=True)
def _own_log_handlers() -> Iterator[None]:
    """A test that runs ``main()`` in-process installs a handler on the stream pytest
    captured for it; put the previous handlers back, so later log lines (from
    servers' threads still winding down) never go to a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the user's real data directory or config from a test."""
    home = tmp_path_factory.getbasetemp() / "wirewatch-home"
    monkeypatch.setenv("WIREWATCH_HOME", str(home))
    monkeypatch.delenv("WIREWATCH_CONFIG", raising=False)
    monkeypatch.delenv("WIREWATCH_SMTP_URL", raising=False)


# Per-test time limit (pytest-timeout) of the tests marked slow: their own
# waits add up past the default of pyproject.toml.  A test's own
# @pytest.mark.timeout(N) wins.
SLOW_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (third-party data: read, never copied)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


def run_wirewatch(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real ``wirewatch`` CLI in a child process (Twisted's reactor
    cannot be restarted, so every crawl gets a process of its own).  The
    environment, including ``DATABASE_URL`` set by ``db_url``, is inherited."""
    return subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        check=False,
    )

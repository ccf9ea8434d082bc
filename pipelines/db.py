"""Where the database is, how to connect to it, and how its schema gets there.

``DATABASE_URL`` names a server when set; otherwise wirewatch starts an
embedded PostgreSQL (the ``pgserver`` wheel) in ``$WIREWATCH_HOME/pgdata`` on
demand, so a fresh machine needs no manual setup.  Internal tables live in the
``wirewatch`` schema; every connection gets it on its ``search_path``.
"""

from __future__ import annotations

import logging
import os
import re
import select
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from wirewatch.pipelines.errors import ConfigError, WirewatchError

log = logging.getLogger(__name__)

SCHEMA = "wirewatch"
# Any constant works as long as it stays the same: it serialises migrations
# run by several processes (cron, daemon, other machines) at once.
MIGRATION_LOCK_ID = 0x7769_7265_0001
_MIGRATION_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class DatabaseError(WirewatchError):
    """The database could not be reached or set up."""


def wirewatch_home() -> Path:
    """Data directory of this installation (``$WIREWATCH_HOME``)."""
    configured = os.environ.get("WIREWATCH_HOME")
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("wirewatch", appauthor=False))


def embedded_database_url(home: Path | None = None) -> str:
    """Start (or reuse) the embedded PostgreSQL and return its URL."""
    try:
        from pgserver.postgres_server import get_server
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise DatabaseError("DATABASE_URL is not set and pgserver is not installed") from exc
    datadir = (home or wirewatch_home()) / "pgdata"
    try:
        datadir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # WIREWATCH_HOME is a file, under a file, or not writable
        raise ConfigError(
            f"cannot create the database directory {datadir} "
            f"(set WIREWATCH_HOME to a writable directory, or DATABASE_URL): "
            f"{exc.strerror or exc}"
        ) from None
    try:
        server = get_server(datadir, cleanup_mode=None)
    except Exception as exc:
        raise DatabaseError(f"could not start the embedded PostgreSQL in {datadir}: {exc}") from exc
    return server.get_uri()


def stop_embedded(home: Path | None = None) -> str:
    """Stop the embedded PostgreSQL of ``home`` (it outlives the commands that use it).

    Returns what happened, for the user: stopped, or not running.  The next
    command that needs the database starts it again.
    """
    datadir = (home or wirewatch_home()) / "pgdata"
    if not (datadir / "postmaster.pid").exists():
        return f"the embedded PostgreSQL in {datadir} is not running"
    from pgserver.postgres_server import get_server

    try:
        get_server(datadir, cleanup_mode="stop").cleanup()
    except Exception as exc:
        raise DatabaseError(f"could not stop the embedded PostgreSQL in {datadir}: {exc}") from exc
    return f"stopped the embedded PostgreSQL in {datadir}"


def database_url() -> str:
    """``$DATABASE_URL`` when set, else the embedded server's URL."""
    return os.environ.get("DATABASE_URL") or embedded_database_url()


def describe(url: str) -> str:
    """The URL without its password, for logs and messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (libpq's span several), for ``wirewatch: error:``."""
    return " ".join(str(exc).split())


# SQLSTATEs after which the same statement may well succeed later: the
# connection broke (08), the server is shutting down or starting (57P0x), it
# is full (53300), or the transaction lost a race (40001, 40P01).
_TRANSIENT_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300", "40001", "40P01")


def is_transient(exc: BaseException) -> bool:
    """Whether trying again later may succeed: the database went away or is busy.

    A statement the server refused for what it says (a value too long for an
    index, a constraint) fails the same way every time and is not transient.
    Errors without a SQLSTATE are the client's own: the connection could not be
    made or was lost (this includes a pool that timed out waiting for one).
    """
    if isinstance(exc, DatabaseError) and exc.__cause__ is not None:
        return is_transient(exc.__cause__)
    if not isinstance(exc, psycopg.Error):
        return False
    if exc.sqlstate is None:
        return isinstance(exc, psycopg.OperationalError)
    return exc.sqlstate.startswith(_TRANSIENT_SQLSTATES)


_SEARCH_PATH = f"-c search_path={SCHEMA},public"


def _connect_kwargs() -> dict[str, Any]:
    return {"options": _SEARCH_PATH, "row_factory": dict_row}


def connect(
    url: str | None = None, *, autocommit: bool = False, connect_timeout: int | None = None
) -> psycopg.Connection[DictRow]:
    """A connection with the wirewatch schema on its path; rows are dicts.

    ``connect_timeout`` (seconds) bounds the wait for a server that does not
    answer at all, for callers that must not block long while it is away.
    """
    url = url or database_url()
    try:
        # psycopg leaves out a parameter that is None (libpq's default then applies).
        return psycopg.connect(
            url,
            autocommit=autocommit,
            row_factory=dict_row,
            options=_SEARCH_PATH,
            connect_timeout=connect_timeout or None,
        )
    except psycopg.OperationalError as exc:
        raise DatabaseError(f"cannot connect to {describe(url)}: {one_line(exc)}") from exc


# What open_pool() hands out: connections whose rows are dicts.
Pool: TypeAlias = ConnectionPool[psycopg.Connection[DictRow]]


def one_row(cursor: psycopg.Cursor[DictRow]) -> DictRow:
    """The row of a statement that always returns one (an aggregate, ``RETURNING``).

    Without one the statement itself is wrong: say so rather than fail on ``None[...]``.
    """
    row = cursor.fetchone()
    if row is None:
        raise DatabaseError("a statement that always returns a row returned none")
    return row


def check_connection(conn: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it hands out: the server is asked only when the
    connection's socket has something to say while it sat idle.

    A server that restarts, or terminates the backend, says goodbye (an error message,
    then the socket closes): the socket turns readable and the full check (an empty
    query) raises, so the pool replaces the connection.  A quiet socket is handed out
    without a round trip: asking every time cost one more round trip an article of the
    crawl's storing (issue 21), and a connection can break after any check anyway, which
    the callers' retries are for (``is_transient``).
    """
    if conn.closed:
        raise psycopg.OperationalError("the connection is closed")
    socket = select.poll()  # not select(): a busy crawl's descriptors may pass 1024
    socket.register(conn.fileno(), select.POLLIN)
    if socket.poll(0):  # readable, hung up or in error
        ConnectionPool.check_connection(conn)


def open_pool(
    url: str | None = None,
    *,
    min_size: int = 1,
    max_size: int = 4,
    timeout: float = 30.0,
    wait: bool = True,
) -> Pool:
    """A psycopg pool whose connections see the wirewatch schema (rows are dicts).

    Each connection is checked as it leaves the pool (``check_connection``), so one the
    server dropped (a restart) is replaced rather than handed out; ``timeout`` is how
    long ``pool.connection()`` waits for one before raising ``PoolTimeout``.
    ``wait=False`` returns at once, without finding out whether the server answers.
    """
    url = url or database_url()
    pool: Pool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=_connect_kwargs(),
        open=False,
        name="wirewatch",
        check=check_connection,
        timeout=timeout,
    )
    try:
        pool.open(wait=wait, timeout=30)
    except Exception as exc:
        pool.close()
        raise DatabaseError(f"cannot connect to {describe(url)}: {one_line(exc)}") from exc
    return pool


def migration_files() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped with the package, in order."""
    folder = resources.files("wirewatch.pipelines") / "sql" / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(numbers) != len(set(numbers)):
        raise DatabaseError(f"two migrations share a number: {[name for _, name, _ in found]}")
    return found


def migrate(conn: psycopg.Connection[DictRow]) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction.

    Safe to call from several processes at once: an advisory lock makes the
    others wait, then find nothing left to do.
    """
    applied_now: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_ID,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            row["version"]
            for row in conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations")
        }
        for number, name, sql in migration_files():
            if number in done:
                continue
            log.info("applying migration %s", name)
            with conn.transaction():
                conn.execute(sql)
                conn.execute(
                    f"INSERT INTO {SCHEMA}.schema_migrations (version, name) VALUES (%s, %s)",
                    (number, name),
                )
            applied_now.append(name)
    return applied_now


_migrated: set[str] = set()


def ensure_migrated(url: str) -> None:
    """Migrate once per process and URL: 'automatically on first use'."""
    if url in _migrated:
        return
    with connect(url) as conn:
        migrate(conn)
    _migrated.add(url)


@contextmanager
def session(url: str | None = None) -> Iterator[psycopg.Connection[DictRow]]:
    """A migrated connection, closed on exit; commits unless an exception escapes."""
    url = url or database_url()
    ensure_migrated(url)
    with connect(url) as conn:
        yield conn

"""PostgreSQL advisory locks that keep two crawls of one source from overlapping.

The lock is session-level and held by the crawling process on a connection
it keeps open for the whole crawl, so cron, the daemon and other machines
sharing the database all see it, and it vanishes with the process (or its
connection) when that dies — there is no stale lock file to clean up.
"""

from __future__ import annotations

import hashlib

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.queries import Q


def lock_key(kind: str, name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``kind:name``.

    Computed in Python rather than with ``hashtext()`` so the key does not
    depend on the server's version.
    """
    digest = hashlib.blake2b(f"wirewatch:{kind}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def source_lock_key(source: str) -> int:
    return lock_key("crawl", source)


# One scheduler daemon per database: the second one refuses to start.
SCHEDULER_LOCK_KEY = lock_key("scheduler", "daemon")


def try_lock(conn: psycopg.Connection[DictRow], key: int) -> bool:
    """Take a session-level advisory lock if nobody holds it; never waits."""
    row = conn.execute(Q.try_advisory_lock, {"key": key}).fetchone()
    return bool(row and row["locked"])


def try_lock_shared(conn: psycopg.Connection[DictRow], key: int) -> bool:
    """The shared form, for crawlers that work on one source together (scale-out
    workers): they hold it side by side, an exclusive ``try_lock`` (cron, the
    daemon) fails while they do, and ``is_locked`` sees their crawl as alive.
    """
    row = conn.execute(Q.try_advisory_lock_shared, {"key": key}).fetchone()
    return bool(row and row["locked"])


def unlock(conn: psycopg.Connection[DictRow], key: int) -> None:
    conn.execute(Q.advisory_unlock, {"key": key})


def is_locked(conn: psycopg.Connection[DictRow], key: int) -> bool:
    """Whether any session holds the lock (including this one)."""
    row = conn.execute(Q.advisory_lock_held, _split(key)).fetchone()
    return bool(row and row["held"])


def locked_sources(conn: psycopg.Connection[DictRow], sources: list[str]) -> set[str]:
    """The sources among ``sources`` that some process is crawling right now."""
    return {name for name in sources if is_locked(conn, source_lock_key(name))}


def _split(key: int) -> dict[str, int]:
    """pg_locks shows a bigint advisory key as two oids: high and low 32 bits."""
    unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
    return {"classid": unsigned >> 32, "objid": unsigned & 0xFFFF_FFFF}

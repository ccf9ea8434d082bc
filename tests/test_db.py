"""The database layer: migrations, named queries, the embedded server."""

from __future__ import annotations

import threading

import psycopg
import pytest

from tests.support.daemon import wait_for
from tests.support.round_trips import count_round_trips
from wirewatch.pipelines import db
from wirewatch.pipelines.queries import Q, parse_queries


def test_migrations_are_numbered_uniquely_and_in_order() -> None:
    numbers = [number for number, _, _ in db.migration_files()]
    assert numbers == sorted(set(numbers))
    assert numbers[0] == 1


def test_migrate_is_idempotent(conn: psycopg.Connection) -> None:
    assert db.migrate(conn) == []
    versions = [r["version"] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [n for n, _, _ in db.migration_files()]


def test_concurrent_migrations_apply_each_file_once(pg_server_url: str) -> None:
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    name = "ww_t_concurrent_migrate"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(pg_server_url, dbname=name)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with db.connect(url) as c:
                results.append(db.migrate(c))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors
        applied = sorted(name for r in results for name in r)
        assert applied == sorted(name for _, name, _ in db.migration_files())
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_named_queries_parse_and_reject_duplicates() -> None:
    parsed = parse_queries("-- a file comment\n-- name: one\nSELECT 1;\n-- name: two\nSELECT 2;\n")
    assert parsed == {"one": "SELECT 1;", "two": "SELECT 2;"}
    with pytest.raises(ValueError, match="twice"):
        parse_queries("-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;\n")
    assert "upsert_article" in Q
    with pytest.raises(AttributeError):
        _ = Q.no_such_query


def test_describe_hides_the_password() -> None:
    assert db.describe("postgresql://bob:s3cret@db:5432/x") == "postgresql://bob:***@db:5432/x"


def _backend_gone(admin: psycopg.Connection, pid: int) -> bool:
    return (
        admin.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchone()["n"]
        == 0
    )


def test_a_pooled_connection_whose_backend_was_terminated_is_not_handed_out(db_url: str) -> None:
    pool = db.open_pool(db_url, min_size=1, max_size=1, timeout=10)
    try:
        with pool.connection() as first:
            pid = first.info.backend_pid
        with db.connect(db_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            wait_for(lambda: _backend_gone(admin, pid), 10, "the backend to end")
        with pool.connection() as second:
            assert second.execute("SELECT 1 AS one").fetchone()["one"] == 1
            assert second.info.backend_pid != pid
    finally:
        pool.close()


def test_a_quiet_pooled_connection_is_handed_out_without_asking_the_server(db_url: str) -> None:
    """Checking by an empty query cost one round trip every time an article was stored."""
    pool = db.open_pool(db_url, min_size=1, max_size=1)
    try:
        with pool.connection() as conn:
            conn.execute("SELECT 1")
        counted = count_round_trips(conn)  # back in the pool, committed
        with pool.connection() as again:
            assert again is conn
            assert counted() == 0
    finally:
        pool.close()

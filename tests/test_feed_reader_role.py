"""`wirewatch db grant-reader ROLE`: a role that reads the feed schema and nothing else."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.support.feed_rows import add_source, story_with_copies
from wirewatch.crawler.cli import main
from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.reader_role import grant_reader


@pytest.fixture
def role(db_url: str) -> Iterator[str]:
    """A unique role name; the role (cluster-wide) is dropped afterwards."""
    name = f"ww_reader_{uuid.uuid4().hex[:8]}"
    yield name
    with db.connect(db_url, autocommit=True) as conn:
        if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        add_source(connection)
        yield connection


def connect_as(db_url: str, role: str) -> psycopg.Connection:
    # Plain connection: the role's own search_path (set by grant-reader) applies.
    return psycopg.connect(make_conninfo(db_url, user=role, password=""), autocommit=True)


def test_the_reader_sees_the_feed_views_and_nothing_else(
    db_url: str, conn: psycopg.Connection, role: str
) -> None:
    story = story_with_copies(
        conn, "Quake hits coast", "An earthquake.", ["w.example", "x.example"]
    )
    done = grant_reader(conn, role, login=True)
    assert done[0] == f"created role {role} (login)"

    with connect_as(db_url, role) as reader:
        # The views, unqualified: the role's search_path is the feed schema.
        assert reader.execute("SELECT title, copies FROM stories").fetchall() == [
            ("Quake hits coast", 2)
        ]
        assert len(reader.execute("SELECT * FROM copies").fetchall()) == 2
        changes = reader.execute("SELECT kind, story_id FROM changes_after(NULL, 10)").fetchall()
        assert changes == [("story", story), ("copy", story)]
        found = reader.execute(
            "SELECT story_id FROM articles"
            " WHERE search_vector @@ words_query('earthquake', indexed_configs())"
        ).fetchall()
        assert {r[0] for r in found} == {story}
        reader.execute("LISTEN wirewatch_feed")

        for forbidden in (
            "SELECT * FROM wirewatch.articles",
            "SELECT * FROM wirewatch.feed_changes",
            "UPDATE wirewatch_feed.sources SET wire = true",
            "DELETE FROM wirewatch_feed.crawl_runs",
            "CREATE VIEW wirewatch_feed.mine AS SELECT 1",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(forbidden)


def test_views_added_later_are_readable_too(
    db_url: str, conn: psycopg.Connection, role: str
) -> None:
    grant_reader(conn, role, login=True)
    conn.execute("CREATE VIEW wirewatch_feed.added_later AS SELECT 1 AS one")
    with connect_as(db_url, role) as reader:
        assert reader.execute("SELECT one FROM added_later").fetchone() == (1,)


def test_granting_twice_is_harmless_and_a_password_is_stored_hashed(
    conn: psycopg.Connection, role: str
) -> None:
    assert grant_reader(conn, role)[0] == f"created role {role} (no login)"
    again = grant_reader(conn, role, password="correct horse")
    assert again[0] == f"role {role} may log in (password set)"
    stored = conn.execute(
        "SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s", (role,)
    ).fetchone()
    assert stored["rolcanlogin"]
    assert stored["rolpassword"].startswith("SCRAM-SHA-256$")
    assert "correct horse" not in stored["rolpassword"]


@pytest.mark.parametrize("name", ["Reader", "1reader", "pg_reader", "a-b", "x; DROP TABLE y", ""])
def test_role_names_are_checked(conn: psycopg.Connection, name: str) -> None:
    with pytest.raises(UsageError):
        grant_reader(conn, name)


def test_grant_reader_command(
    db_url: str,
    role: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\n"))
    assert main(["db", "grant-reader", role, "--password-stdin"]) == 0
    out = capsys.readouterr().out
    assert f"created role {role} (login)" in out and "s3cret" not in out
    assert main(["db", "grant-reader", "Bad-Name"]) == 2
    assert "invalid role name" in capsys.readouterr().err


def test_the_reader_cannot_create_temporary_tables(
    db_url: str, conn: psycopg.Connection, role: str
) -> None:
    database = sql.Identifier(conn.info.dbname)
    # PostgreSQL's defaults: PUBLIC may create temporary tables in any database.
    assert conn.execute(
        "SELECT has_database_privilege('public', current_database(), 'TEMP')"
    ).fetchone()["has_database_privilege"]
    grant_reader(conn, role, login=True)
    conn.execute(
        sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(database, sql.Identifier(role))
    )
    done = grant_reader(conn, role)
    assert f"revoked TEMP (temporary tables) on database {conn.info.dbname}" in " ".join(done)
    assert not any(line.startswith("warning") for line in done)

    privileges = conn.execute(
        "SELECT has_database_privilege('public', current_database(), 'TEMP') AS public,"
        " has_database_privilege(%s, current_database(), 'TEMP') AS reader,"
        " has_database_privilege(%s, current_database(), 'CONNECT') AS connect",
        (role, role),
    ).fetchone()
    assert privileges == {"public": False, "reader": False, "connect": True}
    with connect_as(db_url, role) as reader:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("CREATE TEMPORARY TABLE scratch (x int)")
        assert reader.execute("SELECT count(*) FROM stories").fetchone() == (0,)
    # The connected role (the database owner or a superuser) keeps its own.
    conn.execute("CREATE TEMPORARY TABLE scratch (x int)")


def test_a_superuser_reader_is_reported_as_still_able_to_create_temporary_tables(
    conn: psycopg.Connection, role: str
) -> None:
    conn.execute(sql.SQL("CREATE ROLE {} SUPERUSER").format(sql.Identifier(role)))
    done = grant_reader(conn, role)
    assert any(line.startswith(f"warning: {role} can still create temporary") for line in done)

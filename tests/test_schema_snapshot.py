"""pipelines/sql/schema.sql is the schema every migration builds, and stays so.

The comparison dumps both databases with the same pg_dump binary, so it holds
whatever PostgreSQL and pg_dump versions the machine has; the migrations'
bookkeeping rows are not schema and are not compared.
"""

from __future__ import annotations

import difflib

import pytest

from wirewatch.pipelines import db, schema_snapshot

FUNCTION_WITH_LOOKALIKES = """\
--
-- PostgreSQL database dump
--

\\restrict 4Jc9kQeXq

-- Dumped from database version 15.20
-- Dumped by pg_dump version 17.6

SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);


--
-- Name: f(); Type: FUNCTION; Schema: wirewatch; Owner: -
--

CREATE FUNCTION wirewatch.f() RETURNS integer
    LANGUAGE plpgsql
    AS $_$
BEGIN
--


SET x = 1;
    RETURN 1;
END;
$_$;



COMMENT ON FUNCTION wirewatch.f() IS 'kept';

--
-- PostgreSQL database dump complete
--

\\unrestrict 4Jc9kQeXq
"""


def test_normalise_drops_dump_noise_and_keeps_function_bodies_verbatim() -> None:
    assert schema_snapshot.normalise(FUNCTION_WITH_LOOKALIKES) == (
        "CREATE FUNCTION wirewatch.f() RETURNS integer\n"
        "    LANGUAGE plpgsql\n"
        "    AS $_$\n"
        "BEGIN\n"
        "--\n"
        "\n"
        "\n"
        "SET x = 1;\n"
        "    RETURN 1;\n"
        "END;\n"
        "$_$;\n"
        "\n"
        "COMMENT ON FUNCTION wirewatch.f() IS 'kept';\n"
    )


def test_snapshot_equals_the_schema_the_migrations_build(pg_server_url: str) -> None:
    pg_dump = schema_snapshot.find_pg_dump(schema_snapshot.server_major(pg_server_url))
    if pg_dump is None:
        pytest.skip(
            "no pg_dump as new as the test server (looked in the pgserver wheel, "
            "on PATH and in /usr/lib/postgresql/*/bin)"
        )
    snapshot = schema_snapshot.SNAPSHOT.read_text(encoding="utf-8")
    with (
        schema_snapshot.scratch_database(pg_server_url, "ww_t_migrated") as migrated_url,
        schema_snapshot.scratch_database(pg_server_url, "ww_t_snapshot") as snapshot_url,
    ):
        with db.connect(migrated_url) as conn:
            db.migrate(conn)
        with db.connect(snapshot_url) as conn:
            schema_snapshot.apply(conn, snapshot)
        migrated = schema_snapshot.normalise(schema_snapshot.dump_schema(migrated_url, pg_dump))
        restored = schema_snapshot.normalise(schema_snapshot.dump_schema(snapshot_url, pg_dump))
    diff = "".join(
        difflib.unified_diff(
            restored.splitlines(keepends=True),
            migrated.splitlines(keepends=True),
            "schema.sql applied",
            "migrations applied",
        )
    )
    assert not diff, (
        f"pipelines/sql/schema.sql is out of date; regenerate it with "
        f"`{schema_snapshot.REGENERATE}` and commit it with the migration:\n{diff}"
    )
    assert "CREATE TABLE wirewatch.articles" in migrated  # the dump saw the schema at all

"""``pipelines/sql/schema.sql``: the database schema after every migration, in one file.

Migrations say how a database got here; the snapshot says where "here" is, so
a reviewer sees what a new migration changes as a diff of this file, and a
test (tests/test_schema_snapshot.py) applies every migration to one fresh
database and the snapshot to another and compares ``pg_dump --schema-only`` of
the two.  After adding a migration, regenerate it with::

    .venv/bin/python -m wirewatch.pipelines.schema_snapshot --write

It migrates a throwaway database on an embedded PostgreSQL started in a
temporary directory (``--server-url`` names another server), dumps its schema
and keeps only what describes the schema: pg_dump's own comments, ``SET``
lines, ``\\restrict`` lines, options some servers stamp on every column and
runs of blank lines go.  ``COMMENT ON`` statements (the feed's documentation)
stay.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow

from wirewatch.pipelines import db
from wirewatch.pipelines.errors import WirewatchError

SNAPSHOT = Path(__file__).resolve().parent / "sql" / "schema.sql"
REGENERATE = ".venv/bin/python -m wirewatch.pipelines.schema_snapshot --write"

# pg_dump's comments about its own output, never part of a function body:
# "--", "-- Name: x; Type: TABLE; Schema: wirewatch; Owner: -", the header
# and footer lines.
_DUMP_COMMENT = re.compile(
    r"^--$"
    r"|^-- (Data for )?Name: .*; Type: .*; Schema: .*; Owner: .*$"
    r"|^-- (PostgreSQL database dump( complete)?|Dumped (from database|by pg_dump) version .*)$"
    r"|^-- (Started|Completed) on .*$"
    r"|^-- TOC entry .*$|^-- Dependencies: .*$"
)
# Session settings pg_dump writes for psql; apply() sets what matters itself.
_SESSION_LINE = re.compile(
    r"^SET [a-z_]+ = .*;$|^SELECT pg_catalog\.set_config\('search_path', '', false\);$"
    r"|^\\(un)?restrict .*$"
)
# Some server builds (seen on Debian's PostgreSQL 15.20) stamp every column
# with a "pg_attver" option whose value differs from one database to the
# next; no migration sets it, so it is not part of the schema.
_ATTVER_ONLY = re.compile(r"^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);$")
_ATTVER = re.compile(r"pg_attver=\d+, |, pg_attver=\d+")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


class SnapshotError(WirewatchError):
    """The snapshot could not be built (no pg_dump, no server)."""


def normalise(dump: str) -> str:
    """The schema statements of a ``pg_dump --schema-only`` output, noise removed.

    Lines inside a dollar-quoted body (a function's source) are kept as they
    are, even when they look like a comment or a ``SET``: they are the schema.
    """
    kept: list[str] = []
    open_tag: str | None = None
    for line in dump.splitlines():
        if open_tag is None:
            if _DUMP_COMMENT.match(line) or _SESSION_LINE.match(line) or _ATTVER_ONLY.match(line):
                continue
            line = _ATTVER.sub("", line)
        if open_tag is None and not line.strip() and (not kept or not kept[-1].strip()):
            continue  # a run of blank lines (or leading ones) becomes one
        kept.append(line)
        for match in _DOLLAR_TAG.finditer(line):
            if open_tag is None:
                open_tag = match.group(0)
            elif match.group(0) == open_tag:
                open_tag = None
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n"


def _major(version_output: str) -> int | None:
    match = re.search(r"\) (\d+)", version_output)  # "pg_dump (PostgreSQL) 16.2"
    return int(match.group(1)) if match else None


def pg_dump_candidates() -> list[str]:
    """pg_dump binaries in order of preference: the embedded server's, PATH, Debian's."""
    found: list[str] = []
    spec = importlib.util.find_spec("pgserver")
    if spec and spec.origin:
        found.append(str(Path(spec.origin).parent / "pginstall" / "bin" / "pg_dump"))
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(on_path)
    found += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True)
    return [path for path in dict.fromkeys(found) if os.access(path, os.X_OK)]


def find_pg_dump(server_major: int) -> str | None:
    """A pg_dump that can dump a server of this major version (its own or newer), if any."""
    for path in pg_dump_candidates():
        try:
            version = subprocess.run(
                [path, "--version"], capture_output=True, text=True, timeout=30, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        major = _major(version)
        if major is not None and major >= server_major:
            return path
    return None


def dump_schema(url: str, pg_dump: str) -> str:
    """``pg_dump --schema-only --no-owner --no-privileges`` of the database at ``url``.

    A password goes to pg_dump in its environment, never on its command line.
    """
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(
        [
            pg_dump,
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            make_conninfo("", **params),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise SnapshotError(f"pg_dump failed: {' '.join(done.stderr.split())}")
    return done.stdout


def apply(conn: psycopg.Connection[DictRow], snapshot: str) -> None:
    """Create the snapshot's objects in the (empty) database of ``conn``, in one transaction.

    Names in the snapshot are schema-qualified and function bodies are not
    checked at creation (they may name tables created further down), as when
    psql restores a dump.
    """
    with conn.transaction():
        conn.execute("SET LOCAL check_function_bodies = false")
        conn.execute("SELECT pg_catalog.set_config('search_path', '', true)")
        conn.execute(snapshot)  # our own file: several statements, no parameters


@contextmanager
def scratch_database(server_url: str, prefix: str = "ww_schema") -> Iterator[str]:
    """URL of a new, empty UTF8 database on the server, dropped afterwards.

    UTF8 and template0 so the schema does not depend on the server's default
    encoding (migration 0032 builds a faster fold() only on UTF8).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(name))
        )
    try:
        yield make_conninfo(server_url, dbname=name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def server_major(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def migrated_schema(server_url: str) -> str:
    """The normalised schema of a fresh database after every migration."""
    pg_dump = find_pg_dump(server_major(server_url))
    if pg_dump is None:
        raise SnapshotError(
            "no pg_dump able to dump this server (looked in the pgserver wheel, PATH, "
            "/usr/lib/postgresql/*/bin)"
        )
    with scratch_database(server_url) as url:
        with db.connect(url) as conn:
            db.migrate(conn)
        return normalise(dump_schema(url, pg_dump))


@contextmanager
def _server(url: str | None) -> Iterator[str]:
    """The server at ``url``, else a throwaway embedded PostgreSQL.

    The embedded one by default, whatever ``DATABASE_URL`` says: its version
    is pinned by the pgserver wheel, so the snapshot's text (how views are
    printed varies between PostgreSQL versions) changes only with the schema.
    """
    if url:
        yield url
        return
    from pgserver.postgres_server import get_server

    home = Path(tempfile.mkdtemp(prefix="wirewatch-schema-"))
    server = get_server(home / "data", cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wirewatch.pipelines.schema_snapshot",
        description="Print (or --write) the schema after every migration (schema.sql).",
    )
    parser.add_argument("--write", action="store_true", help=f"write it to {SNAPSHOT}")
    parser.add_argument(
        "--server-url",
        metavar="URL",
        help="build it on this server (a throwaway database is created and dropped) instead "
        "of on a throwaway embedded PostgreSQL; DATABASE_URL is not used",
    )
    args = parser.parse_args(argv)
    try:
        with _server(args.server_url) as server_url:
            schema = migrated_schema(server_url)
    except (WirewatchError, psycopg.Error) as exc:
        print(f"schema_snapshot: error: {db.one_line(exc)}", file=sys.stderr)
        return 1
    if args.write:
        SNAPSHOT.write_text(schema, encoding="utf-8")
        print(f"wrote {SNAPSHOT}", file=sys.stderr)
    else:
        sys.stdout.write(schema)
    return 0


if __name__ == "__main__":
    sys.exit(main())

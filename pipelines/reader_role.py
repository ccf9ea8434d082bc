"""A read-only PostgreSQL role for downstream tools: the feed schema and nothing else.

The views in ``wirewatch_feed`` run with their owner's rights, so the role
needs no access to the internal ``wirewatch`` schema at all; default
privileges cover views that later migrations add.  A password, when given,
is hashed (SCRAM) on this side, so it never crosses the wire or reaches the
server's statement log in clear.

PostgreSQL lets every role (PUBLIC) create temporary tables in every
database: a reader could fill the server's disk with them, so TEMP on the
wirewatch database is revoked from PUBLIC and from the role.  CONNECT to the
*other* databases of a shared server is theirs to revoke (see the README).
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.errors import UsageError

FEED_SCHEMA = "wirewatch_feed"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_role_name(role: str) -> str:
    if not _ROLE.match(role):
        raise UsageError(
            f"invalid role name {role!r}: use lower-case letters, digits and _ "
            "(at most 63, not starting with a digit)"
        )
    if role.startswith("pg_"):
        raise UsageError(f"invalid role name {role!r}: names starting with pg_ are reserved")
    return role


def grant_reader(
    conn: psycopg.Connection[DictRow],
    role: str,
    *,
    login: bool = False,
    password: str | None = None,
) -> list[str]:
    """Create ``role`` if needed and give it read access to the feed; returns what was done.

    Warnings in the result name rights the role already had beyond the feed
    (superuser, the internal schema): those are not taken away here.
    """
    check_role_name(role)
    ident = sql.Identifier(role)
    done: list[str] = []
    with conn.transaction():
        existing = conn.execute(
            "SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        options: sql.Composable = sql.SQL("LOGIN" if login or password else "NOLOGIN")
        if password:
            verifier = conn.pgconn.encrypt_password(
                password.encode(), role.encode(), b"scram-sha-256"
            )
            options = sql.SQL("LOGIN PASSWORD {}").format(sql.Literal(verifier.decode()))
        if existing is None:
            conn.execute(sql.SQL("CREATE ROLE {} {}").format(ident, options))
            done.append(f"created role {role} ({'login' if login or password else 'no login'})")
        elif login or password:
            conn.execute(sql.SQL("ALTER ROLE {} {}").format(ident, options))
            done.append(f"role {role} may log in" + (" (password set)" if password else ""))
        database = sql.Identifier(conn.info.dbname)
        schema = sql.Identifier(FEED_SCHEMA)
        for statement in (
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, ident),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, ident),
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, ident),
            sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {} TO {}").format(schema, ident),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
                schema, ident
            ),
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path = {}").format(
                ident, database, schema
            ),
        ):
            conn.execute(statement)
        done.append(f"granted {role} read access to schema {FEED_SCHEMA} of {conn.info.dbname}")
        done += _revoke_temp(conn, role)
        if existing is not None and existing["rolsuper"]:
            done.append(f"warning: {role} is a superuser and can read everything regardless")
        internal = one_row(
            conn.execute("SELECT has_schema_privilege(%s, 'wirewatch', 'USAGE') AS usage", (role,))
        )
        if internal["usage"] and not (existing and existing["rolsuper"]):
            done.append(f"warning: {role} also has USAGE on the internal schema wirewatch")
    return done


def _revoke_temp(conn: psycopg.Connection[DictRow], role: str) -> list[str]:
    """No temporary tables for the reader: revoke TEMP from PUBLIC and from ``role``.

    The connected role (the database owner, normally) keeps TEMP through its
    ownership; a REVOKE we have no right to make is only a server warning, so
    the outcome is checked and reported rather than assumed.
    """
    name = conn.info.dbname
    database = sql.Identifier(name)
    for grantee in (sql.SQL("PUBLIC"), sql.Identifier(role)):
        conn.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(database, grantee))
    done = [f"revoked TEMP (temporary tables) on database {name} from PUBLIC and {role}"]
    still = one_row(
        conn.execute(
            "SELECT has_database_privilege(%s, current_database(), 'TEMP') AS temp", (role,)
        )
    )
    if still["temp"]:
        done.append(
            f"warning: {role} can still create temporary tables in {name} (a superuser, "
            "a member of a role granted TEMP, or this connection may not revoke it: "
            "only the database owner can)"
        )
    return done

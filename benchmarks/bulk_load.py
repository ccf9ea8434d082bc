"""Bulk-load practice shared by the benchmarks that fill a large archive.

What a restore does: drop the secondary indexes before COPY and build each
once after it, instead of maintaining them row by row (the GIN indexes most).
"""

from __future__ import annotations

import psycopg
from psycopg import sql


def drop_secondary_indexes(conn: psycopg.Connection, tables: tuple[str, ...]) -> list[str]:
    """Drop the non-unique indexes of ``tables``; returns their definitions."""
    secondary = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " JOIN pg_class c ON c.relname = i.indexname"
        " JOIN pg_index x ON x.indexrelid = c.oid"
        " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
        " AND NOT x.indisunique",
        (list(tables),),
    ).fetchall()
    for row in secondary:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(row["indexname"])))
    return [row["indexdef"] for row in secondary]


def build_indexes(conn: psycopg.Connection, definitions: list[str]) -> None:
    """Build indexes from the definitions ``drop_secondary_indexes`` returned."""
    conn.execute("SET maintenance_work_mem = '512MB'")
    for definition in definitions:
        conn.execute(definition)  # type: ignore[arg-type]  # from pg_indexes

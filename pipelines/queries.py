"""Named SQL queries, kept in ``pipelines/sql/queries/*.sql``.

Each query starts with a ``-- name: some_name`` line; parameters are psycopg
placeholders (``%(name)s``), so values are always bound, never formatted in.
Use as ``Q.some_name``.
"""

from __future__ import annotations

import re
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def parse_queries(text: str, origin: str = "<string>") -> dict[str, str]:
    """Split one .sql file into {name: sql}."""
    parts = _HEADER.split(text)
    if parts[0].strip() and not all(
        line.strip().startswith("--") for line in parts[0].strip().splitlines()
    ):
        raise ValueError(f"{origin}: SQL before the first '-- name:' header")
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in queries:
            raise ValueError(f"{origin}: query {name!r} defined twice")
        queries[name] = body.strip()
    return queries


class Queries:
    """Attribute access to every named query of the package."""

    def __init__(self, queries: dict[str, str]):
        self._queries = queries

    def __getattr__(self, name: str) -> str:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"no SQL query named {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._queries

    def names(self) -> list[str]:
        return sorted(self._queries)


def load_queries() -> Queries:
    merged: dict[str, str] = {}
    folder = resources.files("wirewatch.pipelines") / "sql" / "queries"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        for name, sql in parse_queries(entry.read_text(encoding="utf-8"), entry.name).items():
            if name in merged:
                raise ValueError(f"query {name!r} defined in two files")
            merged[name] = sql
    return Queries(merged)


Q = load_queries()

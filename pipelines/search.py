"""Full-text search with the alert query language, on PostgreSQL's tsvector index.

The alert parser (``pipelines.alerts.query``) gives the tree; this module
turns it into a SQL condition over a ``wirewatch_feed.articles`` row.  Word,
phrase and prefix leaves become tsqueries built by the ``wirewatch_feed``
helper functions from bound parameters, so user text is never SQL and never
tsquery syntax; runs of them combine into one tsquery (one index scan).
``source:`` and ``lang:`` become plain comparisons.

Unlike alert matching, search is not fuzzy: it finds stemmed forms
("talks" -> talk) in the stored languages, not spelling variants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from pipelines.alerts.query import And, Filter, Node, Not, Or, Phrase, Word, parse
from pipelines.queries import Q


@dataclass
class _Params:
    """Named parameters collected while composing, ``q0``, ``q1``, ..."""

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> sql.Placeholder:
        name = f"q{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)


@dataclass(frozen=True)
class Condition:
    """A boolean SQL expression over an articles row and its bound parameters."""

    sql: sql.Composable
    params: dict[str, Any]


# A translated subtree is either a tsquery expression ("tsq") or a boolean
# predicate ("pred"); tsqueries stay tsqueries as long as possible.
_Part = tuple[str, sql.Composable]


def translate(tree: Node, alias: str = "a", configs: Sequence[str] | None = None) -> Condition:
    """The SQL condition matching ``tree`` on the row ``alias`` of wirewatch_feed.articles.

    ``configs`` limits the text search configurations a query word is
    normalised with (e.g. those of the languages stored); None tries them all.
    """
    params = _Params()
    row = sql.Identifier(alias)
    configs_arg: sql.Composable = (
        sql.SQL(", {}::regconfig[]").format(params.add(list(configs))) if configs else sql.SQL("")
    )

    def tsq_leaf(leaf: Word | Phrase) -> sql.Composable:
        if isinstance(leaf, Phrase):
            fn, text = "phrase_query", " ".join(leaf.words)
        elif leaf.prefix:
            fn, text = "prefix_query", leaf.text
        else:
            fn, text = "words_query", leaf.text
        query = sql.SQL("wirewatch_feed.{}({}{})").format(
            sql.Identifier(fn), params.add(text), configs_arg
        )
        if leaf.field == "title":
            query = sql.SQL("wirewatch_feed.in_title({})").format(query)
        return query

    def as_pred(part: _Part) -> sql.Composable:
        kind, expr = part
        if kind == "pred":
            return expr
        return sql.SQL("({}.search_vector @@ ({}))").format(row, expr)

    def walk(node: Node) -> _Part:
        if isinstance(node, Word | Phrase):
            return "tsq", tsq_leaf(node)
        if isinstance(node, Filter):
            if node.field == "source":
                column = sql.SQL("{}.source").format(row)
            else:
                column = sql.SQL(
                    "lower(split_part(replace({}.language, '_', '-'), '-', 1))"
                ).format(row)
            value = params.add(node.value)
            return "pred", sql.SQL("coalesce({} = {}, false)").format(column, value)
        if isinstance(node, Not):
            kind, expr = walk(node.child)
            if kind == "tsq":
                return "tsq", sql.SQL("!!({})").format(expr)
            return "pred", sql.SQL("NOT ({})").format(expr)
        if isinstance(node, And | Or):
            parts = [walk(child) for child in node.children]
            if all(kind == "tsq" for kind, _ in parts):
                op = sql.SQL(" && " if isinstance(node, And) else " || ")
                return "tsq", sql.SQL("({})").format(op.join(expr for _, expr in parts))
            op = sql.SQL(" AND " if isinstance(node, And) else " OR ")
            return "pred", sql.SQL("({})").format(op.join(as_pred(p) for p in parts))
        raise TypeError(f"not a query node: {node!r}")  # pragma: no cover

    return Condition(as_pred(walk(tree)), params.values)


def compile_query(conn: psycopg.Connection, query: str, alias: str = "a") -> Condition:
    """Parse ``query`` (QuerySyntaxError, exit 2, when malformed) and translate it
    for the languages this database stores."""
    tree = parse(query)
    with conn.transaction():
        configs = conn.execute(Q.indexed_configs).fetchone()["configs"]
    return translate(tree, alias, configs)


# Up to this many matching articles, collecting them from the index first is
# cheaper than walking the newest stories and testing each one.
INDEX_FIRST_BELOW = 20_000
# From this many estimated matches the estimate is trusted without counting:
# PostgreSQL's statistics know the common words well, and only those.
SURELY_MANY = 50_000


def index_first(conn: psycopg.Connection, condition: Condition) -> bool:
    """Whether few enough articles match to collect them from the index first.

    The planner's estimate decides for common words; for the rest (a word
    missing from the statistics gets a small default estimate, right or wrong)
    the matches are counted through the index, up to INDEX_FIRST_BELOW.
    """
    probe = sql.SQL("SELECT 1 FROM wirewatch_feed.articles a WHERE {}").format(condition.sql)
    with conn.transaction():
        plan = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + probe, condition.params)
        if plan.fetchone()["QUERY PLAN"][0]["Plan"]["Plan Rows"] >= SURELY_MANY:
            return False
        # Through the full-text index, never a scan that reads (and unpacks)
        # every article's vector until enough of them match.
        conn.execute("SET LOCAL enable_seqscan = off")
        found = conn.execute(
            sql.SQL(Q.search_probe).format(match=condition.sql),
            {**condition.params, "probe": INDEX_FIRST_BELOW},
        ).fetchone()["n"]
    return found < INDEX_FIRST_BELOW


def search(
    conn: psycopg.Connection, query: str, *, limit: int = 20, all_copies: bool = False
) -> list[dict[str, Any]]:
    """Stories (or, with ``all_copies``, articles) matching ``query``, newest first."""
    condition = compile_query(conn, query)
    params = {**condition.params, "limit": limit}
    with conn.transaction():
        if index_first(conn, condition):
            query_sql = Q.search_articles_indexed if all_copies else Q.search_stories_indexed
        else:
            query_sql = Q.search_articles if all_copies else Q.search_stories
        statement = sql.SQL(query_sql).format(match=condition.sql)
        return conn.execute(statement, params).fetchall()

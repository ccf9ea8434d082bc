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

from collections.abc import Mapping, Sequence
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


def translate(
    tree: Node,
    alias: str = "a",
    configs: Sequence[str] | None = None,
    pairs: Mapping[str, str] | None = None,
) -> Condition:
    """The SQL condition matching ``tree`` on the row ``alias`` of wirewatch_feed.articles.

    ``configs`` limits the text search configurations a query word is
    normalised with (e.g. those of the languages stored); None tries them all.
    ``pairs`` maps a phrase (its words joined by spaces) to the tsquery of the
    word pairs it needs (``wirewatch_feed.pairs_query``).  Such a phrase is
    found through the word-pair index and then checked on those rows only:
    its positional test is written as a function call (``ts_match_vq``) so
    the planner cannot also fetch every article with its words from the
    full-text index.  Other phrases go through the full-text index.
    """
    params = _Params()
    row = sql.Identifier(alias)
    configs_arg: sql.Composable = (
        sql.SQL(", {}::regconfig[]").format(params.add(list(configs))) if configs else sql.SQL("")
    )

    def tsq_leaf(leaf: Word | Phrase) -> _Part:
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
        if isinstance(leaf, Phrase) and pairs and pairs.get(text):
            return "pred", sql.SQL(
                "(wirewatch_feed.word_pairs({row}.search_vector) @@ {pairs}::tsquery"
                " AND ts_match_vq({row}.search_vector, {query}))"
            ).format(row=row, pairs=params.add(pairs[text]), query=query)
        return "tsq", query

    def as_pred(part: _Part) -> sql.Composable:
        kind, expr = part
        if kind == "pred":
            return expr
        return sql.SQL("({}.search_vector @@ ({}))").format(row, expr)

    def walk(node: Node) -> _Part:
        if isinstance(node, Word | Phrase):
            return tsq_leaf(node)
        if isinstance(node, Filter):
            if node.field == "paywalled":
                wanted = sql.SQL("" if node.value == "true" else "NOT ")
                return "pred", sql.SQL("{}{}.paywalled").format(wanted, row)
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
            op = sql.SQL(" && " if isinstance(node, And) else " || ")
            queries = [expr for kind, expr in parts if kind == "tsq"]
            if len(queries) == len(parts):
                return "tsq", sql.SQL("({})").format(op.join(queries))
            # The tsquery children still combine into one index condition.
            preds = [expr for kind, expr in parts if kind == "pred"]
            combined = (
                [as_pred(("tsq", sql.SQL("({})").format(op.join(queries))))] if queries else []
            )
            joiner = sql.SQL(" AND " if isinstance(node, And) else " OR ")
            return "pred", sql.SQL("({})").format(joiner.join([*combined, *preds]))
        raise TypeError(f"not a query node: {node!r}")  # pragma: no cover

    return Condition(as_pred(walk(tree)), params.values)


def phrases(tree: Node) -> list[str]:
    """The phrases of a query tree, as ``translate``'s ``pairs`` keys them."""
    if isinstance(tree, Phrase):
        return [" ".join(tree.words)]
    if isinstance(tree, Not):
        return phrases(tree.child)
    if isinstance(tree, And | Or):
        return [p for child in tree.children for p in phrases(child)]
    return []


def compile_query(conn: psycopg.Connection, query: str, alias: str = "a") -> Condition:
    """Parse ``query`` (QuerySyntaxError, exit 2, when malformed) and translate it
    for the languages this database stores."""
    tree = parse(query)
    with conn.transaction():
        configs = conn.execute(Q.indexed_configs).fetchone()["configs"]
        pairs = {
            phrase: conn.execute(Q.phrase_pairs, {"phrase": phrase, "configs": configs}).fetchone()[
                "pairs"
            ]
            for phrase in set(phrases(tree))
        }
    return translate(tree, alias, configs, pairs)


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


# Search looks at windows of the newest articles first, the first holding
# this many articles per result wanted, each next one WINDOW_GROWTH times as
# many, before it searches the whole archive.
WINDOW_PER_RESULT = 50
WINDOW_GROWTH = 10
WINDOWS = 3


def window_starts(conn: psycopg.Connection, limit: int) -> list[Any]:
    """Bounds on updated_at of windows of about the newest 50x, 500x, 5000x ``limit``
    articles; only windows the archive fills (a small archive has none)."""
    sizes = [limit * WINDOW_PER_RESULT * WINDOW_GROWTH**i for i in range(WINDOWS)]
    rows = conn.execute(Q.search_window_starts, {"sizes": sizes}).fetchall()
    return [r["since"] for r in rows if r["since"] is not None]


def search(
    conn: psycopg.Connection,
    query: str,
    *,
    limit: int = 20,
    all_copies: bool = False,
    where: Condition | None = None,
) -> list[dict[str, Any]]:
    """Stories (or, with ``all_copies``, articles) matching ``query``, newest first.

    The newest windows are searched first: a window that holds ``limit``
    matches holds the newest ones (no story is newer than the article
    writes behind it), and costs a bitmap of the window instead of every
    match in the archive.  ``where`` (stories only) narrows the stories
    further: a condition on the story row ``s`` (the web interface's
    filters and its page cursor), with parameters named apart from ``q0``...
    """
    if where is not None and all_copies:
        raise ValueError("search: `where` applies to stories, not to all copies")
    condition = compile_query(conn, query)
    params = {**condition.params, "limit": limit}
    match = condition
    if where is not None:
        match = Condition(sql.SQL("({} AND {})").format(condition.sql, where.sql), where.params)
        params.update(where.params)
    indexed = Q.search_articles_indexed if all_copies else Q.search_stories_indexed
    # Stories created since the bound: their canonical articles were all
    # written (or re-written) since then too, so both indexes narrow the rows.
    window = sql.SQL("a.updated_at >= %(since)s AND {}.first_seen >= %(since)s AND {}").format(
        sql.Identifier("a" if all_copies else "s"), match.sql
    )
    in_window = sql.SQL(indexed).format(match=window)
    with conn.transaction():
        for since in window_starts(conn, limit):
            rows = conn.execute(in_window, {**params, "since": since}).fetchall()
            if len(rows) >= limit:
                return rows
        if index_first(conn, condition):
            query_sql = indexed
        else:
            query_sql = Q.search_articles if all_copies else Q.search_stories
        statement = sql.SQL(query_sql).format(match=match.sql)
        return conn.execute(statement, params).fetchall()

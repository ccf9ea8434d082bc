"""Full-text search with the alert query language, on PostgreSQL's tsvector index.

The alert parser (``pipelines.alerts.query``) gives the tree; this module
turns it into a SQL condition over a ``wirewatch_feed.articles`` row.  Word,
phrase and prefix leaves become tsqueries built by the ``wirewatch_feed``
helper functions from bound parameters, so user text is never SQL and never
tsquery syntax; runs of them combine into one tsquery (one index scan).
``source:`` and ``lang:`` become plain comparisons.

Unlike alert matching, search is not fuzzy: it finds stemmed forms
("talks" -> talk) in the stored languages, not spelling variants.

Results come newest first by when wirewatch first saw them (``seen``: the
plans tuned for a large archive, below), by publication time
(``published``) or by relevance (``ts_rank``, then publication time); a
snippet of the canonical text around the matched words (``ts_headline``) and
a bounded count of the matches come on request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.query import And, Filter, Node, Not, Or, Phrase, Word, parse
from wirewatch.pipelines.alerts.text import fold
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.queries import Q


@dataclass
class _Params:
    """Named parameters collected while composing, ``q0``, ``q1``, ... (or another prefix)."""

    values: dict[str, Any] = field(default_factory=dict)
    prefix: str = "q"

    def add(self, value: Any) -> sql.Placeholder:
        name = f"{self.prefix}{len(self.values)}"
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
        query = _leaf_query(leaf, params, configs_arg)
        if leaf.field == "title":
            query = sql.SQL("wirewatch_feed.in_title({})").format(query)
        text = " ".join(leaf.words) if isinstance(leaf, Phrase) else leaf.text
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


def _leaf_query(leaf: Word | Phrase, params: _Params, configs_arg: sql.Composable) -> sql.Composed:
    """The tsquery of one word, phrase or prefix leaf (title: ignored: a snippet is body text)."""
    if isinstance(leaf, Phrase):
        fn, text = "phrase_query", " ".join(leaf.words)
    elif leaf.prefix:
        fn, text = "prefix_query", leaf.text
    else:
        fn, text = "words_query", leaf.text
    return sql.SQL("wirewatch_feed.{}({}{})").format(
        sql.Identifier(fn), params.add(text), configs_arg
    )


def wanted_terms(tree: Node, negated: bool = False) -> list[Word | Phrase]:
    """The words and phrases a match is for: the leaves not under an odd number of NOTs."""
    if isinstance(tree, Word | Phrase):
        return [] if negated else [tree]
    if isinstance(tree, Not):
        return wanted_terms(tree.child, not negated)
    if isinstance(tree, And | Or):
        return [leaf for child in tree.children for leaf in wanted_terms(child, negated)]
    return []


def terms_query(tree: Node, configs: Sequence[str] | None = None) -> Condition:
    """One tsquery ORing the wanted terms (for ``ts_rank`` and ``ts_headline``); an empty
    tsquery when the query has none (``source:tass``).  Parameters are ``h0``, ``h1``..."""
    params = _Params(prefix="h")
    configs_arg: sql.Composable = (
        sql.SQL(", {}::regconfig[]").format(params.add(list(configs))) if configs else sql.SQL("")
    )
    leaves = [_leaf_query(leaf, params, configs_arg) for leaf in wanted_terms(tree)]
    if not leaves:
        return Condition(sql.SQL("''::tsquery"), params.values)
    return Condition(sql.SQL("({})").format(sql.SQL(" || ").join(leaves)), params.values)


def phrases(tree: Node) -> list[str]:
    """The phrases of a query tree, as ``translate``'s ``pairs`` keys them."""
    if isinstance(tree, Phrase):
        return [" ".join(tree.words)]
    if isinstance(tree, Not):
        return phrases(tree.child)
    if isinstance(tree, And | Or):
        return [p for child in tree.children for p in phrases(child)]
    return []


def compile_query(conn: psycopg.Connection[DictRow], query: str, alias: str = "a") -> Condition:
    """Parse ``query`` (QuerySyntaxError, exit 2, when malformed) and translate it
    for the languages this database stores."""
    return compile_search(conn, query, alias)[0]


def compile_search(
    conn: psycopg.Connection[DictRow], query: str, alias: str = "a"
) -> tuple[Condition, Condition]:
    """``compile_query``'s condition, and the tsquery of its wanted terms (``terms_query``)."""
    tree = parse(query)
    with conn.transaction():
        configs = one_row(conn.execute(Q.indexed_configs))["configs"]
        pairs = {
            phrase: one_row(conn.execute(Q.phrase_pairs, {"phrase": phrase, "configs": configs}))[
                "pairs"
            ]
            for phrase in set(phrases(tree))
        }
    return translate(tree, alias, configs, pairs), terms_query(tree, configs)


# Up to this many matching articles, collecting them from the index first is
# cheaper than walking the newest stories and testing each one.
INDEX_FIRST_BELOW = 20_000
# From this many estimated matches the estimate is trusted without counting:
# PostgreSQL's statistics know the common words well, and only those.
SURELY_MANY = 50_000


def index_first(conn: psycopg.Connection[DictRow], condition: Condition) -> bool:
    """Whether few enough articles match to collect them from the index first.

    The planner's estimate decides for common words; for the rest (a word
    missing from the statistics gets a small default estimate, right or wrong)
    the matches are counted through the index, up to INDEX_FIRST_BELOW.
    """
    probe = sql.SQL("SELECT 1 FROM wirewatch_feed.articles a WHERE {}").format(condition.sql)
    with conn.transaction():
        plan = conn.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + probe, condition.params)
        if one_row(plan)["QUERY PLAN"][0]["Plan"]["Plan Rows"] >= SURELY_MANY:
            return False
        # Through the full-text index, never a scan that reads (and unpacks)
        # every article's vector until enough of them match.
        conn.execute("SET LOCAL enable_seqscan = off")
        found: int = one_row(
            conn.execute(
                sql.SQL(Q.search_probe).format(match=condition.sql),
                {**condition.params, "probe": INDEX_FIRST_BELOW},
            )
        )["n"]
    return found < INDEX_FIRST_BELOW


# Search looks at windows of the newest articles first, the first holding
# this many articles per result wanted, each next one WINDOW_GROWTH times as
# many, before it searches the whole archive.
WINDOW_PER_RESULT = 50
WINDOW_GROWTH = 10
WINDOWS = 3


def window_starts(conn: psycopg.Connection[DictRow], limit: int) -> list[Any]:
    """Bounds on updated_at of windows of about the newest 50x, 500x, 5000x ``limit``
    articles; only windows the archive fills (a small archive has none)."""
    sizes = [limit * WINDOW_PER_RESULT * WINDOW_GROWTH**i for i in range(WINDOWS)]
    rows = conn.execute(Q.search_window_starts, {"sizes": sizes}).fetchall()
    return [r["since"] for r in rows if r["since"] is not None]


SORTS = ("published", "relevance", "seen")


def search(
    conn: psycopg.Connection[DictRow],
    query: str,
    *,
    limit: int = 20,
    all_copies: bool = False,
    where: Condition | None = None,
    sort: str = "seen",
    snippets: bool = False,
) -> list[dict[str, Any]]:
    """Stories (or, with ``all_copies``, articles) matching ``query``, newest first.

    ``sort``: ``seen`` (newest first by when first seen), ``published`` (by
    ``publication_time``) or ``relevance`` (``ts_rank`` of the wanted terms,
    title words weighing more; then by publication time).  ``snippets`` adds
    a ``snippet`` to each row (``snippet_of``).

    For ``seen``, the newest windows are searched first: a window that holds
    ``limit`` matches holds the newest ones (no story is newer than the
    article writes behind it), and costs a bitmap of the window instead of
    every match in the archive.  The other orders collect every match and
    sort them.  ``where`` (stories only) narrows the stories further: a
    condition on the story row ``s`` (the web interface's filters and its
    page cursor), with parameters named apart from ``q0``...
    """
    if where is not None and all_copies:
        raise ValueError("search: `where` applies to stories, not to all copies")
    if sort not in SORTS:
        raise ValueError(f"search: sort must be one of {', '.join(SORTS)}, not {sort!r}")
    condition, terms = compile_search(conn, query)
    params = {**condition.params, "limit": limit}
    match = condition
    if where is not None:
        match = Condition(sql.SQL("({} AND {})").format(condition.sql, where.sql), where.params)
        params.update(where.params)
    if sort == "seen":
        rows = _newest_seen(conn, condition, match, params, limit, all_copies)
    else:
        rows = _ranked(conn, match, terms, {**params, **terms.params}, sort, all_copies)
    if snippets:
        add_snippets(conn, rows, terms, all_copies)
    return rows


def _newest_seen(
    conn: psycopg.Connection[DictRow],
    condition: Condition,
    match: Condition,
    params: dict[str, Any],
    limit: int,
    all_copies: bool,
) -> list[dict[str, Any]]:
    """Newest first by when first seen: windows of the newest articles, then the whole archive."""
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


# -- publication time and relevance ---------------------------------------------------------


def publication_time(row: Mapping[str, Any]) -> datetime:
    """What ``published`` sorts by (as the SQL does): the publication time, else when the
    story (article) was first seen; never later than that, since a date in the future is
    the page's mistake and would keep it on top for good."""
    seen: datetime = row["first_seen"]
    published: datetime | None = row["published"]
    return min(published or seen, seen)


def _order(sort: str, key: str, row: str = "") -> sql.Composable:
    """ORDER BY of the ranked plans: relevance first when asked, then publication time."""
    prefix = f"{row}." if row else ""
    parts = [f"{prefix}at DESC", f"{prefix}{key} DESC"]
    if sort == "relevance":
        parts.insert(0, f"{prefix}rank DESC")
    return sql.SQL(", ".join(parts))


def _ranked(
    conn: psycopg.Connection[DictRow],
    match: Condition,
    terms: Condition,
    params: dict[str, Any],
    sort: str,
    all_copies: bool,
) -> list[dict[str, Any]]:
    """Every match collected through the full-text index, then sorted (``published``,
    ``relevance``).  The rank reads each match's vector: that is relevance's cost."""
    key = "article_id" if all_copies else "story_id"
    rank = (
        sql.SQL("ts_rank(a.search_vector, {})").format(terms.sql)
        if sort == "relevance"
        else sql.SQL("NULL::real")
    )
    statement = sql.SQL(Q.search_articles_ranked if all_copies else Q.search_stories_ranked)
    composed = statement.format(
        match=match.sql, rank=rank, order=_order(sort, key), top_order=_order(sort, key, "top")
    )
    with conn.transaction():
        return conn.execute(composed, params).fetchall()


# -- how many --------------------------------------------------------------------------------

# Matches are counted up to this many; beyond it the count reads "N+" (a count
# of every match of a common word would read every match).
COUNT_BOUND = 1000


def count_matches(
    conn: psycopg.Connection[DictRow],
    query: str,
    *,
    all_copies: bool = False,
    bound: int | None = None,
) -> tuple[int, bool]:
    """(matches, whether there are more): stories (or articles) matching ``query``,
    counted exactly up to ``bound`` (COUNT_BOUND) and no further."""
    bound = COUNT_BOUND if bound is None else bound
    condition = compile_query(conn, query)
    statement = sql.SQL(Q.search_count_articles if all_copies else Q.search_count_stories)
    with conn.transaction():
        found: int = one_row(
            conn.execute(
                statement.format(match=condition.sql), {**condition.params, "bound": bound + 1}
            )
        )["n"]
    return min(found, bound), found > bound


# -- snippets --------------------------------------------------------------------------------

# ts_headline marks matched words and joins fragments with these (private-use
# characters, removed from the text first, so they mark nothing else).
MATCH_START, MATCH_END, FRAGMENT_GAP = "\ue000", "\ue001", "\ue002"
HEADLINE_OPTIONS = (
    f"StartSel={MATCH_START}, StopSel={MATCH_END}, FragmentDelimiter={FRAGMENT_GAP}, "
    "MaxFragments=2, MaxWords=20, MinWords=10, ShortWord=2"
)
_ASCII_RUNS = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]")
_CLOSING = re.compile(r"[.,;:!?)\]\"'»”’]*")


def add_snippets(
    conn: psycopg.Connection[DictRow],
    rows: list[dict[str, Any]],
    terms: Condition,
    all_copies: bool,
) -> None:
    """Give each row a ``snippet``: fragments of its canonical text (of the article, with
    ``all_copies``) around the wanted terms, matches between MATCH_START and MATCH_END,
    fragments joined by FRAGMENT_GAP; None for a story without text."""
    key = "article_id" if all_copies else "story_id"
    if not rows:
        return
    statement = sql.SQL(Q.search_article_snippets if all_copies else Q.search_story_snippets)
    params = {
        **terms.params,
        "ids": [row[key] for row in rows],
        "options": HEADLINE_OPTIONS,
        "markers": MATCH_START + MATCH_END + FRAGMENT_GAP,
    }
    with conn.transaction():
        found = {
            r["id"]: r for r in conn.execute(statement.format(query=terms.sql), params).fetchall()
        }
    for row in rows:
        hit = found.get(row[key])
        row["snippet"] = snippet_of(hit["text"], hit["headline"]) if hit and hit["text"] else None


def folded_with_origins(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` (as the index folds), and for each of its characters the index of the
    character of ``text`` it came from.  Runs of ASCII fold in one go (lower case)."""
    pieces: list[str] = []
    origins: list[int] = []
    for run in _ASCII_RUNS.finditer(text):
        chunk = run.group()
        folded = chunk.lower() if chunk.isascii() else fold(chunk)
        pieces.append(folded)
        if chunk.isascii():
            origins.extend(range(run.start(), run.end()))
        else:
            origins.extend([run.start()] * len(folded))
    return "".join(pieces), origins


def snippet_of(text: str, headline: str) -> str:
    """The headline ts_headline made of the folded text, in ``text``'s own characters
    (case, accents): each fragment is found in the folded text and its pieces between
    markers taken from the original.  A fragment not found stays folded."""
    folded, origins = folded_with_origins(text)
    fragments = []
    for fragment in headline.split(FRAGMENT_GAP):
        pieces = re.split(f"([{MATCH_START}{MATCH_END}])", fragment)
        plain = "".join(p for p in pieces if p not in (MATCH_START, MATCH_END))
        at = folded.find(plain) if plain else -1
        if at < 0:
            fragments.append(fragment.strip())
            continue
        out, end = [], 0
        for piece in pieces:
            if piece in (MATCH_START, MATCH_END) or not piece:
                out.append(piece)
                continue
            end = origins[at + len(piece) - 1] + 1
            out.append(text[origins[at] : end])
            at += len(piece)
        # ts_headline ends a fragment on a word: keep the punctuation that closes it.
        closing = _CLOSING.match(text, end)  # matches, if only the empty string
        out.append(closing.group() if closing else "")
        fragments.append("".join(out).strip())
    return FRAGMENT_GAP.join(f for f in fragments if f)

"""Matching stories already stored for one subscription: backfills.

``alerts add --backfill 7d``, ``alerts backfill NAME --since 7d`` and the
``backfill`` key of ``[[alert]]`` tables queue the stories first seen in the
window exactly as if they had just been stored: confirmed by the matcher live
alerts use (:func:`pipelines.alerts.outbox.compile_subscriptions`) and queued
with ``enqueue_alert``, whose (subscription, story) uniqueness makes a second
backfill, or a story matched live meanwhile, queue nothing more.

Finding candidates cheaply: full-text search over the window
(:func:`pipelines.search.translate`), then the matcher on each candidate.
Search is stemmed, not fuzzy, so the query given to it is a *widened* form
of the subscription's query that finds every story the matcher could accept
(never fewer; the matcher throws the extra ones out):

* each word that may match through spelling variants is ORed with the
  variants present in the window: the words indexed for the window's stories
  (their ``search_vector`` lexemes) run through the same matcher, so
  ``Zelensky`` also looks for ``zelenskyy`` and ``zelenskiy`` when stories of
  the window spell it so; a phrase with such a word becomes its words ANDed;
* ``prefix*`` is also ORed with indexed words the prefix starts with (a stem
  shorter than the prefix: ``abilit*`` and English ``abil``);
* parts under NOT are dropped (stemming would make search exclude stories
  the matcher keeps), as are ``source:`` (the matcher sees every copy's
  source and outlet, the index only the canonical copy's) and words the index
  leaves out in some stored language (stop words such as ``who``).

What can still differ: words only past the first 100,000 characters of a
story (indexed that far; the matcher reads 200,000).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.addresses import SubscriptionSpec
from wirewatch.pipelines.alerts.matching import MIN_VARIANT_LENGTH, Matcher, StoryDoc, exact_only
from wirewatch.pipelines.alerts.outbox import compile_subscriptions, story_doc
from wirewatch.pipelines.alerts.query import (
    MIN_PREFIX,
    And,
    Filter,
    Node,
    Not,
    Or,
    Phrase,
    Word,
    parse,
)
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.search import Condition, translate

log = logging.getLogger(__name__)

BATCH = 200  # candidate stories read and matched per round trip
_VOCABULARY_CHUNK = 150_000  # characters of indexed words per matcher pass (< MAX_TEXT_CHARS)


@dataclass(frozen=True)
class BackfillReport:
    subscription_id: int
    since: datetime
    candidates: int  # stories the widened full-text query found
    matched: int  # confirmed by the alert matcher (not queued before)
    queued: int  # outbox rows added (fewer than matched only if queued meanwhile)


# --- the candidate query (pure) -----------------------------------------------------------


def can_vary(leaf: Word) -> bool:
    """Whether the matcher may accept other spellings of this word."""
    return (
        not leaf.exact
        and not leaf.prefix
        and len(leaf.text) >= MIN_VARIANT_LENGTH
        and leaf.text.isalpha()
    )


def widening_words(tree: Node) -> tuple[set[str], set[str], set[str]]:
    """Words of the query's positive part: (all words, words that vary, prefixes)."""
    every: set[str] = set()
    varying: set[str] = set()
    prefixes: set[str] = set()
    for leaf in positive_leaves(tree):
        if isinstance(leaf, Word):
            (prefixes if leaf.prefix else every).add(leaf.text)
            if can_vary(leaf):
                varying.add(leaf.text)
        elif isinstance(leaf, Phrase):
            for word in leaf.words:
                every.add(word)
                if can_vary(Word(word, exact=leaf.exact)):
                    varying.add(word)
    return every, varying, prefixes


def positive_leaves(tree: Node) -> Iterator[Word | Phrase | Filter]:
    """Leaves outside any NOT: the ones the candidate query keeps."""
    if isinstance(tree, And | Or):
        for child in tree.children:
            yield from positive_leaves(child)
    elif not isinstance(tree, Not):
        yield tree


def prefix_stems(prefix: str, vocabulary: Iterable[str]) -> set[str]:
    """Indexed words that a word starting with ``prefix`` may have been stemmed to."""
    return {w for w in vocabulary if len(w) >= MIN_PREFIX and prefix.startswith(w) and w != prefix}


def candidate_tree(
    tree: Node, variants: Mapping[str, Iterable[str]], unindexed: Collection[str] = ()
) -> Node | None:
    """A query full-text search can run that finds every story ``tree`` may match.

    ``variants`` maps a query word (or prefix) to other indexed words to OR
    with it; ``unindexed`` are words search cannot require.  None means no
    narrowing is possible: every story of the window is a candidate.
    """
    if isinstance(tree, Not):
        return None
    if isinstance(tree, Filter):
        return None if tree.field == "source" else tree
    if isinstance(tree, Word):
        if tree.text in unindexed:
            return None
        extra = sorted(set(variants.get(tree.text, ())) - {tree.text})
        if not extra:
            return tree
        alternatives = [replace(tree, text=w, prefix=False, exact=True) for w in extra]
        return Or((tree, *alternatives))
    if isinstance(tree, Phrase):
        if not any(w in unindexed or variants.get(w) for w in tree.words):
            return tree
        words = (candidate_tree(Word(w, tree.field, exact=tree.exact), variants, unindexed)
                 for w in tree.words)  # fmt: skip
        return _and([w for w in words if w is not None])
    children = [candidate_tree(child, variants, unindexed) for child in tree.children]
    kept = [c for c in children if c is not None]
    if isinstance(tree, Or):
        return Or(tuple(kept)) if len(kept) == len(children) else None
    return _and(kept)


def _and(children: Sequence[Node]) -> Node | None:
    if not children:
        return None
    return children[0] if len(children) == 1 else And(tuple(children))


def spelling_variants(words: set[str], vocabulary: Sequence[str]) -> dict[str, set[str]]:
    """Indexed words the matcher takes for each query word (the word itself included).

    The vocabulary is matched as text, a chunk at a time, against one
    single-word subscription per query word: the very rules live alerts use.
    """
    ordered = sorted(words)
    matcher = Matcher([(i, Word(w)) for i, w in enumerate(ordered)])
    found: dict[str, set[str]] = {w: set() for w in ordered}
    for text in _chunks(vocabulary, _VOCABULARY_CHUNK):
        for match in matcher.match(StoryDoc(title="", text=text)):
            found[ordered[match.subscription_id]].update(match.terms)
    return found


def _chunks(words: Sequence[str], size: int) -> Iterator[str]:
    chunk: list[str] = []
    length = 0
    for word in words:
        if length + len(word) + 1 > size and chunk:
            yield " ".join(chunk)
            chunk, length = [], 0
        chunk.append(word)
        length += len(word) + 1
    if chunk:
        yield " ".join(chunk)


# --- the database side --------------------------------------------------------------------


def window_start(conn: psycopg.Connection[DictRow], window: timedelta) -> datetime:
    """The database's now() minus ``window``: the same clock that stamps first_seen."""
    since: datetime = one_row(conn.execute(Q.backfill_window_start, {"window": window}))["since"]
    return since


def candidate_condition(
    conn: psycopg.Connection[DictRow], tree: Node, since: datetime
) -> Condition | None:
    """The widened full-text condition over the articles row ``a`` (parameters ``q0``...).

    None when the query cannot be narrowed: every story of the window is a candidate.
    """
    every, varying, prefixes = widening_words(tree)
    vocabulary: list[str] = []
    if varying or prefixes:
        rows = conn.execute(Q.backfill_vocabulary, {"since": since}).fetchall()
        vocabulary = [r["lexeme"] for r in rows]
    variants = spelling_variants(varying, vocabulary) if varying else {}
    for prefix in prefixes:
        variants[prefix] = prefix_stems(prefix, vocabulary)
    unindexed: set[str] = set()
    if every:
        rows = conn.execute(Q.unindexed_words, {"words": sorted(every)}).fetchall()
        unindexed = {r["word"] for r in rows}
    narrowed = candidate_tree(tree, variants, unindexed)
    if narrowed is None:
        return None
    configs = one_row(conn.execute(Q.indexed_configs))["configs"]
    return translate(narrowed, "a", configs)


def candidate_stories(
    conn: psycopg.Connection[DictRow], subscription_id: int, tree: Node, since: datetime
) -> list[int]:
    """Stories first seen since ``since``, not queued for the subscription yet, that the
    widened query finds; oldest first."""
    condition = candidate_condition(conn, tree, since)
    match = condition.sql if condition is not None else sql.SQL("true")
    params = {**(condition.params if condition else {}), "since": since,
              "subscription_id": subscription_id}  # fmt: skip
    statement = sql.SQL(Q.backfill_candidates).format(match=match)
    return [row["story_id"] for row in conn.execute(statement, params).fetchall()]


def confirmed(
    conn: psycopg.Connection[DictRow], matcher: Matcher, story_ids: Sequence[int]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(story id, matched words) of the candidates the alert matcher accepts."""
    for start in range(0, len(story_ids), BATCH):
        batch = list(story_ids[start : start + BATCH])
        for row in conn.execute(Q.stories_for_matching, {"ids": batch}).fetchall():
            for match in matcher.match(story_doc(row)):
                yield row["story_id"], match.terms


def _enqueue(
    conn: psycopg.Connection[DictRow],
    subscription_id: int,
    found: Sequence[tuple[int, tuple[str, ...]]],
) -> int:
    """Queue like a live match (same statement: once per subscription and story)."""
    if not found:
        return 0
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            Q.enqueue_alert,
            [{"subscription_id": subscription_id, "story_id": story_id, "terms": list(terms)}
             for story_id, terms in found],
        )  # fmt: skip
        return max(cur.rowcount, 0)


def backfill(
    conn: psycopg.Connection[DictRow],
    subscription: Mapping[str, Any],
    window: timedelta,
    *,
    dry_run: bool = False,
) -> BackfillReport:
    """Queue the stories of the last ``window`` that ``subscription`` matches.

    ``dry_run`` only counts them (``alerts preview`` uses it). An inactive
    subscription queues nothing (``enqueue_alert`` skips it), as live matching.
    """
    matcher = compile_subscriptions([subscription])
    if not len(matcher):  # a stored query that no longer parses: logged by compile
        return BackfillReport(subscription["id"], window_start(conn, window), 0, 0, 0)
    tree = parse(subscription["query"])
    if subscription["exact"]:
        tree = exact_only(tree)  # as the matcher has it: no variants to look for
    since = window_start(conn, window)
    candidates = candidate_stories(conn, subscription["id"], tree, since)
    matched = queued = 0
    pending: list[tuple[int, tuple[str, ...]]] = []
    for item in confirmed(conn, matcher, candidates):
        matched += 1
        if dry_run:
            continue
        pending.append(item)
        if len(pending) >= BATCH:
            queued += _enqueue(conn, subscription["id"], pending)
            pending = []
    queued += _enqueue(conn, subscription["id"], pending)
    report = BackfillReport(subscription["id"], since, len(candidates), matched, queued)
    if not dry_run:
        with conn.transaction():
            conn.execute(Q.record_backfill, {
                "subscription_id": subscription["id"], "query": subscription["query"],
                "exact": subscription["exact"], "since": since,
                "candidates": report.candidates, "matched": report.matched, "queued": queued,
            })  # fmt: skip
        log.info(
            "alert %s: backfill since %s: %d candidate(s), %d matched, %d queued",
            subscription["id"], since.isoformat(timespec="seconds"),
            report.candidates, report.matched, queued,
        )  # fmt: skip
    return report


def backfill_declared(
    conn: psycopg.Connection[DictRow], specs: Iterable[SubscriptionSpec]
) -> list[BackfillReport]:
    """Run the ``backfill`` of ``[[alert]]`` tables whose current query has not had it yet.

    A backfill is recorded with the query it used, so this runs once when a
    table appears, gets a ``backfill`` key or a longer one, or changes its
    query, and the later syncs (every ``alerts`` command) find it done.  A
    failing backfill is logged and left for the next sync: ``alerts send``
    must not stop delivering because of it.
    """
    reports = []
    for spec in specs:
        if spec.backfill is None:
            continue
        row = conn.execute(Q.subscription_by_name, {"name": spec.name}).fetchone()
        if row is None or not row["active"]:
            continue
        covered = one_row(
            conn.execute(Q.backfill_covered, {"id": row["id"], "window": spec.backfill})
        )["covered"]
        if covered:
            continue
        try:
            with conn.transaction():  # all of it, recorded, or nothing (then tried next time)
                reports.append(backfill(conn, row, spec.backfill))
        except psycopg.Error as exc:  # never in the way of the command that synced
            log.error("alert %s: backfill of [[alert]] %r failed: %s", row["id"], spec.name, exc)
    return reports

"""Filling the outbox: matching a new or newly canonical story, in the storing transaction.

``enqueue`` runs inside ``store_article``'s transaction, so the outbox rows
commit with the story or not at all; the unique (subscription, story)
constraint makes a second match of the same story (another copy, a canonical
change, a retried transaction) a no-op. The compiled matcher is cached per
database and rebuilt when ``alert_state.subscriptions_version`` moves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.alerts.edits import enqueue_edits
from wirewatch.pipelines.alerts.matching import Matcher, StoryDoc, exact_only, source_keys
from wirewatch.pipelines.alerts.query import Node, QuerySyntaxError, parse
from wirewatch.pipelines.db import one_row
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)


class AssignmentLike(Protocol):
    """What enqueue() reads of a story assignment (``stories.Assignment``, frozen)."""

    @property
    def story_id(self) -> int: ...
    @property
    def created(self) -> bool: ...
    @property
    def canonical_changed(self) -> bool: ...


def compile_subscriptions(rows: Iterable[Mapping[str, Any]]) -> Matcher:
    """A matcher over subscription rows (id, query, exact); unparsable stored queries skipped."""
    trees: list[tuple[int, Node]] = []
    for row in rows:
        try:
            tree = parse(row["query"])
        except QuerySyntaxError as exc:
            log.warning("alert %s: stored query no longer parses, skipped: %s", row["id"], exc)
            continue
        trees.append((row["id"], exact_only(tree) if row["exact"] else tree))
    return Matcher(trees)


_cache: dict[tuple[Any, ...], tuple[int, Matcher]] = {}
_cache_lock = threading.Lock()


def current_matcher(conn: psycopg.Connection[DictRow]) -> Matcher:
    """The compiled subscriptions of this connection's database, rebuilt only when they changed."""
    return matcher_for(conn, one_row(conn.execute(Q.subscriptions_version)))


def matcher_for(conn: psycopg.Connection[DictRow], state: Mapping[str, Any]) -> Matcher:
    """``current_matcher`` for the subscriptions' ``version`` and ``database_oid`` read
    already (``Q.subscriptions_version``, or the storing upsert, which returns them)."""
    version = state["version"]
    key = (conn.info.host, conn.info.port, conn.info.dbname, state["database_oid"])
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == version:
            return cached[1]
    matcher = compile_subscriptions(conn.execute(Q.active_subscriptions).fetchall())
    with _cache_lock:
        _cache[key] = (version, matcher)
    return matcher


def story_doc(row: Mapping[str, Any]) -> StoryDoc:
    return StoryDoc(
        title=row["title"] or "",
        text=row["text"] or "",
        sources=source_keys(*(row.get("sources") or ())),
        language=row.get("language"),
        paywalled=bool(row.get("paywalled")),
    )


def may_enqueue(
    assignment: AssignmentLike, edited_article_id: int | None, matcher: Matcher | None
) -> bool:
    """Whether ``enqueue`` has anything to look at: False when it would return 0 without
    a statement.  ``matcher`` None: not known yet (``enqueue`` reads it)."""
    story_changed = assignment.created or assignment.canonical_changed
    if not story_changed:
        return edited_article_id is not None  # edit alerts need no matcher
    return matcher is None or len(matcher) > 0


def may_enqueue_any(edited_article_id: int | None, matcher: Matcher) -> bool:
    """Whether ``may_enqueue`` can be True for some assignment of the article: known before
    it is assigned.  Without subscriptions only an edit can queue alerts (edit alerts)."""
    return len(matcher) > 0 or edited_article_id is not None


def enqueue(
    conn: psycopg.Connection[DictRow],
    assignment: AssignmentLike,
    *,
    edited_article_id: int | None = None,
    matcher: Matcher | None = None,
) -> int:
    """Queue alerts for a story that is new or whose canonical text changed; returns rows added.

    The canonical text changes when another copy becomes canonical
    (``assignment.canonical_changed``) or when the canonical article itself
    is edited (pass its id as ``edited_article_id``). A plain new copy of a
    known story queues nothing: alerts are per story.  An edit of the
    canonical copy also queues the edit alerts of the subscriptions that opted
    in (``pipelines.alerts.edits``).
    """
    if not may_enqueue(assignment, edited_article_id, matcher):
        return 0
    story_changed = assignment.created or assignment.canonical_changed
    edits = 0
    if not story_changed and edited_article_id is not None:
        edits = enqueue_edits(conn, assignment.story_id, edited_article_id)
    matcher = matcher if matcher is not None else current_matcher(conn)
    if not len(matcher):
        return edits
    row = conn.execute(Q.story_for_matching, {"story_id": assignment.story_id}).fetchone()
    if row is None:
        return edits
    if not story_changed and row["canonical_article_id"] != edited_article_id:
        return edits  # an edited copy that is not the one alerts are matched on
    matches = matcher.match(story_doc(row))
    if not matches:
        return edits
    with conn.cursor() as cur:
        cur.executemany(
            Q.enqueue_alert,
            [
                {
                    "subscription_id": m.subscription_id,
                    "story_id": assignment.story_id,
                    "terms": list(m.terms),
                }
                for m in matches
            ],
        )
        added = max(cur.rowcount, 0)
    if added:
        log.info("story %s: %d alert(s) queued", assignment.story_id, added)
    return added + edits

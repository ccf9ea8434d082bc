"""Reading the change log: pages after a cursor, and following it live.

Every read runs in a REPEATABLE READ, read-only transaction, so the cursor
check, the page and the head position all come from one snapshot.  The
guarantee (every committed change exactly once, in cursor order) comes from
how positions are assigned (at commit, in commit order: migration 0030);
this module only pages through ``wirewatch_feed.changes``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import DictRow

from wirewatch.pipelines import db
from wirewatch.pipelines.cursor import START, check_not_ahead
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.search import Condition, compile_query, index_first

log = logging.getLogger(__name__)

CHANNEL = "wirewatch_feed"
PAGE_SIZE = 1000

# The fields of one change, in output order (JSONL keys, CSV columns).
FIELDS = (
    "cursor",
    "kind",
    "story_id",
    "article_id",
    "title",
    "article_title",
    "url",
    "outlet",
    "source",
    "published",
    "first_seen",
    "changed_at",
    "language",
    "copies",
    "outlets",
    "similarity",
    "merged_into",
    "summary",
)


@dataclass(frozen=True)
class Page:
    changes: list[dict[str, Any]]
    # Where the next read starts: the last change returned, or, when the page
    # came back short, the newest change the reader could see (a filtered
    # read then does not scan the same non-matching changes again).
    next_cursor: int


def reader_connection(url: str | None = None) -> psycopg.Connection[DictRow]:
    """A connection for reading the feed: autocommit off, REPEATABLE READ, read-only."""
    conn = db.connect(url)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True
    return conn


@dataclass(frozen=True)
class StoryFilter:
    """Only the changes of stories whose canonical copy matches ``condition``.

    ``index_first``: the query matches few articles, so collect them from the
    full-text index and then find their changes; otherwise walk the change
    log and test each story (a rare word would make that walk the whole log).
    """

    condition: Condition
    index_first: bool

    def clauses(self) -> dict[str, sql.Composable]:
        if self.index_first:
            return {
                "hits": sql.SQL(
                    "WITH hits AS MATERIALIZED ("
                    "SELECT a.article_id FROM wirewatch_feed.articles a WHERE {})"
                ).format(self.condition.sql),
                "story_filter": sql.SQL("JOIN hits ON hits.article_id = s.canonical_article_id"),
            }
        return {
            "hits": sql.SQL(""),
            "story_filter": sql.SQL(
                "JOIN wirewatch_feed.articles a ON a.article_id = s.canonical_article_id AND ({})"
            ).format(self.condition.sql),
        }


def story_filter(conn: psycopg.Connection[DictRow], query: str) -> StoryFilter:
    """Parse ``query`` (exit 2 when malformed) and pick how to apply it."""
    condition = compile_query(conn, query)
    return StoryFilter(condition, index_first(conn, condition))


def _format(template: str, where: StoryFilter | None) -> tuple[sql.Composed, dict[str, Any]]:
    if where is None:
        return sql.SQL(template).format(hits=sql.SQL(""), story_filter=sql.SQL("")), {}
    return sql.SQL(template).format(**where.clauses()), where.condition.params


def read_page(
    conn: psycopg.Connection[DictRow],
    after: int = START,
    limit: int = PAGE_SIZE,
    where: StoryFilter | None = None,
) -> Page:
    """The next ``limit`` changes after ``after`` (of stories ``where`` matches), oldest first.

    Raises ``CursorError`` (exit 2) for a cursor this database never handed out.
    """
    statement, params = _format(Q.feed_page, where)
    with conn.transaction():
        # A page is an index walk that stops after ``limit`` rows: parallel
        # workers only add their start-up time to it.
        conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        last_seq = _check_cursor(conn, after)
        rows = conn.execute(statement, {**params, "after": after, "limit": limit}).fetchall()
        if len(rows) == limit:
            return Page(rows, rows[-1]["seq"])
        # Everything up to last_seq is visible in this snapshot and was scanned.
        return Page(rows, max(last_seq, after))


def _check_cursor(conn: psycopg.Connection[DictRow], cursor: int) -> int:
    last_seq: int = db.one_row(conn.execute(Q.feed_position))["last_seq"]
    check_not_ahead(cursor, last_seq)
    return last_seq


def check_cursor(conn: psycopg.Connection[DictRow], cursor: int) -> None:
    """Raise ``CursorError`` (exit 2) if this database never handed out ``cursor``."""
    with conn.transaction():
        _check_cursor(conn, cursor)


def latest_start(
    conn: psycopg.Connection[DictRow], n: int, where: StoryFilter | None = None
) -> int:
    """The cursor after which exactly the last ``n`` (matching) changes follow."""
    statement, params = _format(Q.feed_latest_position, where)
    with conn.transaction():
        row = conn.execute(statement, {**params, "n": n}).fetchone()
    return row["seq"] if row else START


def iter_changes(
    conn: psycopg.Connection[DictRow],
    after: int = START,
    *,
    limit: int | None = None,
    where: StoryFilter | None = None,
    page_size: int = PAGE_SIZE,
) -> Iterator[dict[str, Any]]:
    """All changes after ``after`` that are readable now (at most ``limit``), page by page."""
    remaining = limit
    cursor = after
    while remaining is None or remaining > 0:
        size = page_size if remaining is None else min(page_size, remaining)
        page = read_page(conn, cursor, size, where)
        yield from page.changes
        if remaining is not None:
            remaining -= len(page.changes)
        if len(page.changes) < size:
            return
        cursor = page.next_cursor


def follow(
    url: str | None,
    after: int,
    emit: Callable[[dict[str, Any]], None],
    *,
    where: StoryFilter | None = None,
    poll_seconds: float = 5.0,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Emit changes as they become readable, until ``stop()`` is true.

    Woken by NOTIFY on ``wirewatch_feed``; also re-reads every ``poll_seconds``
    in case a notification was lost (the listening connection dropped, or the
    notification queue overflowed): the change log, not NOTIFY, is the truth.
    """
    cursor = after
    with db.connect(url, autocommit=True) as listener, reader_connection(url) as reader:
        listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        while not stop():
            while True:
                page = read_page(reader, cursor, PAGE_SIZE, where)
                for change in page.changes:
                    if stop():
                        return
                    emit(change)
                cursor = page.next_cursor
                if len(page.changes) < PAGE_SIZE:
                    break
            started = time.monotonic()
            for _ in listener.notifies(timeout=poll_seconds, stop_after=1):
                pass
            if time.monotonic() - started < poll_seconds:
                # Let the rest of a burst of commits arrive before reading again.
                time.sleep(0.05)

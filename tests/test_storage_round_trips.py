"""Storing an article waits on the database as few times as its transaction allows.

Each wait is a round trip: on loopback ~0.1 ms of the crawl's CPU and as
much of the server's, for every article (issue 21).  A pipeline's results are
read after its block, which fetched them all; read inside, each read is one
more round trip.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from tests.support.alerts import add_source, subscribe
from tests.support.dedupe_texts import article
from tests.support.round_trips import count_round_trips
from wirewatch.pipelines import revisions, stories
from wirewatch.pipelines.alerts.outbox import compile_subscriptions, may_enqueue, may_enqueue_any
from wirewatch.pipelines.storage import NEW, StoreResult, store_article
from wirewatch.pipelines.stories import Assignment

# The BEGIN, the upsert (with the subscriptions' version and a new article's first
# revision) and the story lookup; the story's new copy or new story; the COMMIT (with an
# edited article's next revision).
ROUND_TRIPS = 3


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection) -> None:
    for name, wire in [("wire", True), ("herald", False)]:
        add_source(conn, name, wire)
    conn.commit()


# article(1) with a paragraph added: stored after it at the same address, an edit.
EDITED = article(1) + "\n\nThe council will meet again in May to review the timetable."


def stored(conn: psycopg.Connection, source: str, text: str) -> StoreResult:
    """``text`` stored as the first article of ``source``'s site."""
    return store_article(
        conn,
        {
            "url": f"https://{source}.example/news/1",
            "source": source,
            "outlet": f"{source}.example",
            "wire": source == "wire",
            "title": "Harbour council keeps ferries",
            "text": text,
            "fetched_at": datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
            "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        },
    )


def test_a_new_story_is_stored_in_as_few_round_trips_as_its_statements_need(
    conn: psycopg.Connection,
) -> None:
    stored(conn, "herald", article(2))  # the subscriptions, read once, are cached
    counted = count_round_trips(conn)
    result = stored(conn, "wire", article(1))
    assert result.status == NEW and result.story_id is not None
    # Without subscriptions nothing can be queued for it: the COMMIT goes with the story.
    assert counted() <= ROUND_TRIPS - 1


def test_with_a_subscription_a_new_story_commits_after_its_alerts_are_queued(
    conn: psycopg.Connection,
) -> None:
    subscribe(conn, "zzzunmatched")
    conn.commit()
    stored(conn, "herald", article(2))
    counted = count_round_trips(conn)
    result = stored(conn, "wire", article(1))
    assert result.status == NEW and result.alerts_queued == 0
    # The subscriptions are matched once the story is known, then the COMMIT.
    assert ROUND_TRIPS <= counted() <= ROUND_TRIPS + 1
    assert conn.execute("SELECT count(*) AS n FROM wirewatch.stories").fetchone()["n"] == 2


@pytest.mark.parametrize("queries", [[], ["ferries"]])
@pytest.mark.parametrize("edited", [None, 7])
def test_whether_an_alert_can_follow_is_known_before_the_assignment(
    queries: list[str], edited: int | None
) -> None:
    """Storage decides where the COMMIT goes before assigning: ``may_enqueue_any`` is
    True exactly when some assignment of the article would make ``may_enqueue`` True."""
    matcher = compile_subscriptions(
        {"id": n, "query": q, "exact": False} for n, q in enumerate(queries, start=1)
    )
    assignments = [
        Assignment(1, created, changed, 1.0)
        for created, changed in [(True, False), (False, True), (False, False)]
    ]
    expected = any(may_enqueue(a, edited, matcher) for a in assignments)
    assert may_enqueue_any(edited, matcher) is expected


def test_a_story_failing_beside_its_commit_stores_nothing(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stories.Q, "create_story", "SELECT 1 / 0 AS story_id")
    with pytest.raises(psycopg.errors.DivisionByZero):
        stored(conn, "wire", article(1))  # its COMMIT was sent in the same pipeline
    assert conn.info.transaction_status == TransactionStatus.IDLE  # rolled back, usable
    assert conn.execute("SELECT count(*) AS n FROM wirewatch.articles").fetchone()["n"] == 0
    assert (
        conn.execute("SELECT count(*) AS n FROM wirewatch.article_revisions").fetchone()["n"] == 0
    )


def test_a_copy_joins_its_story_in_as_few_round_trips(conn: psycopg.Connection) -> None:
    first = stored(conn, "wire", article(1))
    counted = count_round_trips(conn)
    copy = stored(conn, "herald", article(1))
    assert copy.story_id == first.story_id
    assert counted() <= ROUND_TRIPS


def test_a_statement_failing_beside_the_commit_stores_nothing(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(conn: psycopg.Connection, *args: Any, **kwargs: Any) -> None:
        conn.execute("SELECT 1 / 0")  # sent in the pipeline that carries the COMMIT

    stored(conn, "wire", article(1))
    monkeypatch.setattr(revisions, "record", failing)
    with pytest.raises(psycopg.errors.DivisionByZero):
        stored(conn, "wire", EDITED)  # an edit: its revision goes beside the COMMIT
    assert conn.info.transaction_status == TransactionStatus.IDLE  # rolled back, usable
    rows = conn.execute("SELECT text FROM wirewatch.articles").fetchall()
    assert [row["text"] for row in rows] == [article(1)]
    assert (
        conn.execute("SELECT count(*) AS n FROM wirewatch.article_revisions").fetchone()["n"] == 1
    )


def test_inside_a_callers_transaction_nothing_is_committed(conn: psycopg.Connection) -> None:
    conn.execute("SELECT 1")  # the caller's transaction is open
    stored(conn, "wire", article(1))
    conn.rollback()
    assert conn.execute("SELECT count(*) AS n FROM wirewatch.articles").fetchone()["n"] == 0


def test_when_the_rollback_fails_too_the_first_error_is_the_one_raised(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("revision could not be recorded")

    def broken_rollback() -> None:
        raise psycopg.OperationalError("the connection is gone")

    stored(conn, "wire", article(1))
    monkeypatch.setattr(revisions, "record", failing)
    monkeypatch.setattr(conn, "rollback", broken_rollback)
    with pytest.raises(RuntimeError, match="revision could not be recorded"):
        stored(conn, "wire", EDITED)
    # Still in the transaction it could not roll back: closed, so a pool drops it rather
    # than lend it out in autocommit mode.
    assert conn.closed


def test_the_connection_is_given_back_as_it_came_after_a_store_or_a_failed_one(
    conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store sends its own BEGIN in autocommit mode; the next borrower of a pooled
    connection must find psycopg opening its transactions again."""
    stored(conn, "wire", article(1))
    assert not conn.autocommit
    assert conn.info.transaction_status == TransactionStatus.IDLE

    def failing(conn: psycopg.Connection, *args: Any, **kwargs: Any) -> None:
        conn.execute("SELECT 1 / 0")

    monkeypatch.setattr(revisions, "record", failing)
    with pytest.raises(psycopg.errors.DivisionByZero):
        stored(conn, "wire", EDITED)
    assert not conn.autocommit
    conn.execute("INSERT INTO wirewatch.sources (name, kind, urls) VALUES ('later', 'feed', '{}')")
    conn.rollback()  # a transaction psycopg opened: nothing of it stays
    later = conn.execute("SELECT count(*) AS n FROM wirewatch.sources WHERE name = 'later'")
    assert later.fetchone()["n"] == 0

"""The public schema wirewatch_feed: pinned columns, change kinds, notifications."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from tests.support.feed_rows import (
    add_article,
    add_copy,
    add_source,
    new_story,
    set_canonical,
    story_with_copies,
)
from wirewatch.pipelines import db
from wirewatch.pipelines.storage import store_article

# The contract downstream tools code against.  A migration may append a column
# to a view (then append it here); renaming, dropping, retyping or reordering
# one breaks every consumer and must fail this test.
PINNED = {
    "articles": [
        ("article_id", "bigint"),
        ("url", "text"),
        ("canonical_url", "text"),
        ("source", "text"),
        ("outlet", "text"),
        ("title", "text"),
        ("text", "text"),
        ("summary", "text"),
        ("published", "timestamp with time zone"),
        ("authors", "ARRAY"),
        ("language", "text"),
        ("section", "text"),
        ("top_image", "text"),
        ("wire_credit", "text"),
        ("dateline", "text"),
        ("first_seen", "timestamp with time zone"),
        ("fetched_at", "timestamp with time zone"),
        ("updated_at", "timestamp with time zone"),
        ("pruned_at", "timestamp with time zone"),
        ("story_id", "bigint"),
        ("search_vector", "tsvector"),
        ("paywalled", "boolean"),  # migration 0060
    ],
    "stories": [
        ("story_id", "bigint"),
        ("title", "text"),
        ("text", "text"),
        ("summary", "text"),
        ("url", "text"),
        ("outlet", "text"),
        ("source", "text"),
        ("published", "timestamp with time zone"),
        ("first_seen", "timestamp with time zone"),
        ("updated_at", "timestamp with time zone"),
        ("language", "text"),
        ("wire_credit", "text"),
        ("copies", "integer"),
        ("outlets", "ARRAY"),
        ("canonical_article_id", "bigint"),
        ("merged_into", "bigint"),
        ("paywalled", "boolean"),  # migration 0060
    ],
    "copies": [
        ("story_id", "bigint"),
        ("article_id", "bigint"),
        ("outlet", "text"),
        ("source", "text"),
        ("url", "text"),
        ("title", "text"),
        ("published", "timestamp with time zone"),
        ("first_seen", "timestamp with time zone"),
        ("similarity", "real"),
        ("is_canonical", "boolean"),
        ("matched_article_id", "bigint"),
    ],
    "sources": [
        ("source", "text"),
        ("kind", "text"),
        ("urls", "ARRAY"),
        ("wire", "boolean"),
        ("schedule", "text"),
        ("created_at", "timestamp with time zone"),
        ("updated_at", "timestamp with time zone"),
    ],
    "crawl_runs": [
        ("run_id", "bigint"),
        ("source", "text"),
        ("started_at", "timestamp with time zone"),
        ("finished_at", "timestamp with time zone"),
        ("status", "text"),
        ("finish_reason", "text"),
        ("pages_fetched", "integer"),
        ("articles_new", "integer"),
        ("articles_updated", "integer"),
        ("articles_unchanged", "integer"),
        ("errors", "integer"),
    ],
    "crawl_health": [
        ("source", "text"),
        ("last_run_id", "bigint"),
        ("last_started_at", "timestamp with time zone"),
        ("last_finished_at", "timestamp with time zone"),
        ("last_status", "text"),
        ("last_finish_reason", "text"),
        ("last_ok_at", "timestamp with time zone"),
        ("runs_24h", "bigint"),
        ("failed_runs_24h", "bigint"),
        ("pages_fetched_24h", "bigint"),
        ("articles_new_24h", "bigint"),
        ("errors_24h", "bigint"),
        ("last_article_at", "timestamp with time zone"),
    ],
    "changes": [
        ("cursor", "text"),
        ("kind", "text"),
        ("story_id", "bigint"),
        ("article_id", "bigint"),
        ("changed_at", "timestamp with time zone"),
        ("seq", "bigint"),
    ],
    "revisions": [  # migration 0100
        ("article_id", "bigint"),
        ("story_id", "bigint"),
        ("revision", "integer"),
        ("fetched_at", "timestamp with time zone"),
        ("title", "text"),
        ("text", "text"),
        ("words_added", "integer"),
        ("words_removed", "integer"),
        ("headline_changed", "boolean"),
    ],
}


def test_view_columns_are_pinned(conn: psycopg.Connection) -> None:
    rows = conn.execute(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'wirewatch_feed' ORDER BY table_name, ordinal_position"""
    ).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        found.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    for view, columns in PINNED.items():
        assert found.get(view, [])[: len(columns)] == columns, f"wirewatch_feed.{view} changed"
    assert set(found) == set(PINNED), "a view was added or dropped: pin its columns here"


def test_every_view_and_function_is_documented(conn: psycopg.Connection) -> None:
    undocumented = conn.execute(
        """SELECT c.relname AS name FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'wirewatch_feed' AND c.relkind = 'v'
             AND obj_description(c.oid, 'pg_class') IS NULL
           UNION ALL
           SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'wirewatch_feed' AND obj_description(p.oid, 'pg_proc') IS NULL
             AND p.proname <> 'document_vector'"""
    ).fetchall()
    assert undocumented == []


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """Autocommit, so each ``conn.transaction()`` below is a real, separate transaction."""
    with db.connect(db_url, autocommit=True) as connection:
        yield connection


def _changes(conn: psycopg.Connection) -> list[tuple[str, int, int]]:
    return [
        (r["kind"], r["story_id"], r["article_id"])
        for r in conn.execute("SELECT * FROM wirewatch_feed.changes_after(NULL, 1000)")
    ]


def test_a_new_story_is_one_change_and_its_later_copies_are_copy_changes(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    with conn.transaction():
        first = add_article(conn, outlet="apnews.com")
        story = new_story(conn, first)
    with conn.transaction():
        copy = add_article(conn, outlet="example-daily.com")
        add_copy(conn, story, copy)
    assert _changes(conn) == [("story", story, first), ("copy", story, copy)]


def test_copies_written_with_the_story_in_one_transaction_are_still_copies(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    with conn.transaction():
        first = add_article(conn)
        second = add_article(conn)
        story = new_story(conn, first)
        add_copy(conn, story, second)
    assert _changes(conn) == [("story", story, first), ("copy", story, second)]


def test_a_canonical_change_is_an_update_but_other_story_updates_are_not(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    story = story_with_copies(conn, "T", "text", ["a.org", "b.org"])
    better = conn.execute(
        "SELECT article_id FROM story_copies WHERE story_id = %s ORDER BY article_id DESC",
        (story,),
    ).fetchone()["article_id"]
    with conn.transaction():
        conn.execute("UPDATE stories SET title = 'New title', updated_at = now()")
        set_canonical(conn, story, better)
        set_canonical(conn, story, better)  # same value again: no change
    assert [k for k, _, _ in _changes(conn)] == ["story", "copy", "update"]
    assert _changes(conn)[-1] == ("update", story, better)


def test_a_copy_moved_to_another_story_is_a_copy_of_that_story(conn: psycopg.Connection) -> None:
    add_source(conn)
    one = story_with_copies(conn, "One", "text one", ["a.org", "b.org"])
    two = story_with_copies(conn, "Two", "text two", ["c.org"])
    moved = conn.execute(
        "SELECT max(article_id) AS id FROM story_copies WHERE story_id = %s", (one,)
    ).fetchone()["id"]
    with conn.transaction():
        conn.execute("UPDATE story_copies SET story_id = %s WHERE article_id = %s", (two, moved))
    assert _changes(conn)[-1] == ("copy", two, moved)


def test_a_rolled_back_story_leaves_no_change(conn: psycopg.Connection) -> None:
    add_source(conn)
    with pytest.raises(RuntimeError), conn.transaction():
        new_story(conn, add_article(conn))
        raise RuntimeError("crash before commit")
    assert _changes(conn) == []


def test_views_show_a_story_with_its_outlets_and_copies(conn: psycopg.Connection) -> None:
    add_source(conn)
    story = story_with_copies(
        conn, "Quake hits coast", "Full wire text.", ["apnews.com", "daily.example", "apnews.com"]
    )
    row = conn.execute(
        "SELECT * FROM wirewatch_feed.stories WHERE story_id = %s", (story,)
    ).fetchone()
    assert row["title"] == "Quake hits coast"
    assert row["outlets"] == ["apnews.com", "daily.example"]
    assert row["text"] == "Full wire text."
    copies = conn.execute(
        "SELECT * FROM wirewatch_feed.copies WHERE story_id = %s ORDER BY article_id", (story,)
    ).fetchall()
    assert [c["is_canonical"] for c in copies] == [True, False, False]
    assert [c["similarity"] for c in copies] == [1.0, pytest.approx(0.9), pytest.approx(0.9)]


@pytest.fixture
def listener(db_url: str) -> Iterator[psycopg.Connection]:
    """A connection listening on the feed's channel."""
    with db.connect(db_url, autocommit=True) as connection:
        connection.execute("LISTEN wirewatch_feed")
        yield connection


def _notified(listener: psycopg.Connection, count: int, timeout: float) -> list[dict]:
    return [json.loads(n.payload) for n in listener.notifies(timeout=timeout, stop_after=count)]


def test_each_committed_change_is_notified_with_kind_id_and_cursor(
    conn: psycopg.Connection, listener: psycopg.Connection
) -> None:
    add_source(conn)
    with conn.transaction():
        first = add_article(conn)
        story = new_story(conn, first)
    with pytest.raises(RuntimeError), conn.transaction():
        new_story(conn, add_article(conn))
        raise RuntimeError("rolled back: must not be notified")
    with conn.transaction():
        copy = add_article(conn)
        add_copy(conn, story, copy)
    payloads = _notified(listener, 2, timeout=2.0)
    cursors = [r["cursor"] for r in conn.execute("SELECT cursor FROM wirewatch_feed.changes")]
    assert [(p["kind"], p["id"], p["article_id"]) for p in payloads] == [
        ("story", story, first),
        ("copy", story, copy),
    ]
    assert [p["cursor"] for p in payloads] == cursors


def test_a_transaction_writing_many_stories_gets_consecutive_cursors_in_write_order(
    conn: psycopg.Connection, listener: psycopg.Connection
) -> None:
    add_source(conn)
    with conn.transaction():
        new_story(conn, add_article(conn))
    with conn.transaction():
        written = []
        for _ in range(300):
            article = add_article(conn)
            written.append(("story", new_story(conn, article), article))
    payloads = _notified(listener, 301, timeout=5.0)
    rows = conn.execute("SELECT * FROM wirewatch_feed.changes_after('1', 1000)").fetchall()
    assert [(r["kind"], r["story_id"], r["article_id"]) for r in rows] == written
    assert [r["seq"] for r in rows] == list(range(2, 302))
    assert [p["cursor"] for p in payloads] == [str(n) for n in range(1, 302)]


def test_the_storage_step_feeds_one_story_and_its_syndicated_copies(
    conn: psycopg.Connection,
) -> None:
    wire = (
        "The regional council approved a new flood barrier on Tuesday after a decade of debate. "
        "Engineers said construction would begin in the spring and take three years to finish. "
        "Residents of the low-lying districts welcomed the decision but asked for faster work. "
        "The council also agreed to review insurance rules for homes built before the barrier. "
        "Opponents argued that the cost had doubled since the first plan was presented to them."
    )
    other = (
        "A local orchestra announced its winter season with six concerts in the old town hall. "
        "The programme includes two new works by young composers from the conservatory nearby. "
        "Tickets go on sale next week, and students will be admitted free to every rehearsal."
    )

    def store(url: str, outlet: str, title: str, text: str) -> int:
        for name in ("wire", "papers"):
            add_source(conn, name)
        article = {
            "url": url,
            "source": "wire" if outlet == "wire.example" else "papers",
            "outlet": outlet,
            "title": title,
            "text": text,
            "content_hash": str(hash(text)),
            "fetched_at": datetime.now(UTC),
            "wire": outlet == "wire.example",
        }
        return store_article(conn, article).story_id

    flood = store("https://wire.example/flood", "wire.example", "Council backs barrier", wire)
    store("https://a.example/flood", "a.example", "Flood barrier approved", wire)
    store("https://b.example/flood", "b.example", "Barrier: yes", wire[:300] + " More soon.")
    music = store("https://c.example/music", "c.example", "Orchestra season", other)
    assert music != flood
    assert [(k, s) for k, s, _ in _changes(conn)] == [
        ("story", flood),
        ("copy", flood),
        ("copy", flood),
        ("story", music),
    ]


def test_sql_consumers_page_with_changes_after(conn: psycopg.Connection) -> None:
    add_source(conn)
    stories = [story_with_copies(conn, f"S{i}", f"text {i}", ["w.example"]) for i in range(3)]
    first = conn.execute("SELECT * FROM wirewatch_feed.changes_after(NULL, 2)").fetchall()
    assert [r["story_id"] for r in first] == stories[:2]
    rest = conn.execute(
        "SELECT * FROM wirewatch_feed.changes_after(%s, 2)", (first[-1]["cursor"],)
    ).fetchall()
    assert [r["story_id"] for r in rest] == stories[2:]
    for bad, message in (("12-4", "malformed feed cursor"), ("99", "ahead of the feed")):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=message):
            conn.execute("SELECT * FROM wirewatch_feed.changes_after(%s)", (bad,))

"""Cursor reading is gap-safe: concurrent writers, late commits, every change exactly once."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.support.feed_rows import add_article, add_copy, add_source, new_story
from wirewatch.pipelines import db, feed
from wirewatch.pipelines.cursor import START


@pytest.fixture
def writer_a(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as conn:
        add_source(conn)
        yield conn


@pytest.fixture
def writer_b(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def reader(db_url: str) -> Iterator[psycopg.Connection]:
    with feed.reader_connection(db_url) as conn:
        yield conn


def _ids(changes: list[dict]) -> list[int]:
    return [c["seq"] for c in changes]


def test_a_change_that_commits_late_is_not_skipped(
    writer_a: psycopg.Connection, writer_b: psycopg.Connection, reader: psycopg.Connection
) -> None:
    # A writes first (lower change id) but commits last.
    writer_a.execute("BEGIN")
    slow_story = new_story(writer_a, add_article(writer_a, title="slow"))
    with writer_b.transaction():
        fast_story = new_story(writer_b, add_article(writer_b, title="fast"))

    page = feed.read_page(reader, START)
    assert [c["story_id"] for c in page.changes] == [fast_story]

    # Had the feed been ordered by the change id, A's change (id 1) would now
    # sit behind the reader's cursor and never be read.
    writer_a.execute("COMMIT")
    page = feed.read_page(reader, page.next_cursor)
    assert [c["story_id"] for c in page.changes] == [slow_story]
    assert feed.read_page(reader, page.next_cursor).changes == []


def test_an_open_transaction_elsewhere_does_not_hold_the_feed_back(
    writer_a: psycopg.Connection, writer_b: psycopg.Connection, reader: psycopg.Connection
) -> None:
    writer_a.execute("BEGIN")
    writer_a.execute("SELECT pg_current_xact_id()")  # a long writer, unrelated to stories
    with writer_b.transaction():
        story = new_story(writer_b, add_article(writer_b))
    assert [c["story_id"] for c in feed.read_page(reader, START).changes] == [story]
    writer_a.execute("ROLLBACK")


def test_a_consumer_polling_during_two_concurrent_writers_gets_every_change_once(
    db_url: str, writer_a: psycopg.Connection, writer_b: psycopg.Connection
) -> None:
    stories_per_writer = 40
    done = threading.Event()
    errors: list[BaseException] = []
    received: list[dict] = []

    def write(conn: psycopg.Connection, seed: int) -> None:
        rnd = random.Random(seed)
        mine: list[int] = []
        try:
            for i in range(stories_per_writer):
                with conn.transaction():
                    # Some stories, some copies of stories either writer made,
                    # with pauses so the two transactions overlap and commit
                    # out of their start order.
                    article = add_article(conn, title=f"w{seed} {i}")
                    time.sleep(rnd.random() * 0.004)
                    if mine and rnd.random() < 0.4:
                        add_copy(conn, rnd.choice(mine), article)
                    else:
                        mine.append(new_story(conn, article))
                    time.sleep(rnd.random() * 0.004)
        except BaseException as exc:
            errors.append(exc)

    def consume() -> None:
        cursor = START
        try:
            with feed.reader_connection(db_url) as conn:
                while True:
                    finished = done.is_set()
                    page = feed.read_page(conn, cursor, limit=7)
                    received.extend(page.changes)
                    cursor = page.next_cursor
                    if finished and not page.changes:
                        return
        except BaseException as exc:
            errors.append(exc)

    writers = [
        threading.Thread(target=write, args=(writer_a, 1)),
        threading.Thread(target=write, args=(writer_b, 2)),
    ]
    consumer = threading.Thread(target=consume)
    consumer.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    consumer.join(timeout=60)
    assert not errors
    assert not consumer.is_alive()

    with db.connect(db_url) as conn:
        committed = [r["seq"] for r in conn.execute("SELECT seq FROM feed_changes ORDER BY seq")]
    assert len(committed) == 2 * stories_per_writer
    assert sorted(_ids(received)) == committed  # every change...
    assert len(set(_ids(received))) == len(received)  # ...exactly once
    assert _ids(received) == sorted(_ids(received))  # in cursor order
    assert [c["cursor"] for c in received] == [str(c["seq"]) for c in received]

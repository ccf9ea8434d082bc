"""Article revisions: every version of an article's title and text (issue 17).

A new article's first revision is written by its upsert (``upsert_article``,
with :func:`first_words`); ``store_article`` calls :func:`record` for an
edited one, in the same transaction: an article and its revision commit (or
roll back) together.  Each revision keeps its full text: any version reads
back with one row, and the edit size is a pair of word counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.pipelines.queries import Q


@dataclass(frozen=True)
class Revision:
    article_id: int
    revision: int
    fetched_at: datetime
    title: str | None
    text: str
    words_added: int
    words_removed: int
    headline_changed: bool


def word_changes(old: str, new: str) -> tuple[int, int]:
    """(added, removed) words, compared as multisets: linear in the text, unlike a
    sequence diff, and a moved paragraph counts as no change."""
    before, after = Counter(old.split()), Counter(new.split())
    return sum((after - before).values()), sum((before - after).values())


def first_words(text: str) -> int:
    """A first revision's ``words_added``: every word, ``word_changes("", text)`` without
    the counting.  ``upsert_article`` writes a new article's first revision with it."""
    return len(text.split())


def next_revision(
    previous: Mapping[str, Any] | None,
    article_id: int,
    article: Mapping[str, Any],
) -> Revision | None:
    """The revision ``article`` makes after ``previous`` (None: it is the first),
    or None when its title and text are the ones already recorded."""
    title, text = article.get("title"), article["text"]
    if previous is None:
        return Revision(
            article_id, 1, article["fetched_at"], title, text, first_words(text), 0, False
        )
    if previous["title"] == title and previous["text"] == text:
        return None
    added, removed = word_changes(previous["text"], text)
    return Revision(
        article_id,
        previous["revision"] + 1,
        article["fetched_at"],
        title,
        text,
        added,
        removed,
        previous["title"] != title,
    )


def record(
    conn: psycopg.Connection[DictRow], article_id: int, article: Mapping[str, Any]
) -> Revision | None:
    """Store the revision an edited article makes, if it makes one (a new article's
    first came with its upsert).  An article stored before revisions existed and not
    backfilled starts at 1.
    """
    previous = conn.execute(Q.latest_revision, {"article_id": article_id}).fetchone()
    revision = next_revision(previous, article_id, article)
    if revision is not None:
        # Its fields as they are (asdict would deep-copy each one, the text included).
        values = {field.name: getattr(revision, field.name) for field in fields(revision)}
        conn.execute(Q.insert_revision, values)
    return revision

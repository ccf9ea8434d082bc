"""Rows for the feed tests, written with the same plain statements dedupe uses.

The feed's triggers must cover every writer, so the tests write stories and
copies directly (INSERT INTO stories, INSERT INTO story_copies, UPDATE of
canonical_article_id) rather than through one particular code path.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import psycopg

_urls = itertools.count(1)


def add_source(conn: psycopg.Connection, name: str = "wire") -> None:
    conn.execute(
        "INSERT INTO sources (name, kind, urls) VALUES (%s, 'feed', '{}') ON CONFLICT DO NOTHING",
        (name,),
    )


def add_article(
    conn: psycopg.Connection,
    *,
    title: str = "A headline",
    text: str = "Some article text.",
    outlet: str = "example.org",
    source: str = "wire",
    language: str | None = "en",
    url: str | None = None,
    first_seen: datetime | None = None,
    summary: str | None = None,
    paywalled: bool = False,
) -> int:
    url = url or f"https://{outlet}/news/{next(_urls)}"
    row = conn.execute(
        """INSERT INTO articles (url, url_key, source, outlet, title, text, language, summary,
                                 paywalled, content_hash, fetched_at, first_seen, updated_at)
           VALUES (%(url)s, %(url)s, %(source)s, %(outlet)s, %(title)s, %(text)s, %(language)s,
                   %(summary)s, %(paywalled)s, md5(%(text)s), now(),
                   coalesce(%(first_seen)s, now()),
                   coalesce(%(first_seen)s, now()))
           RETURNING id""",
        {
            "url": url,
            "source": source,
            "outlet": outlet,
            "title": title,
            "text": text,
            "language": language,
            "summary": summary,
            "paywalled": paywalled,
            "first_seen": first_seen,
        },
    ).fetchone()
    return row["id"]


def new_story(
    conn: psycopg.Connection, article_id: int, *, first_seen: datetime | None = None
) -> int:
    """A story started by ``article_id``: the story row, then its first copy."""
    row = conn.execute(
        """INSERT INTO stories (canonical_article_id, title, first_seen, updated_at)
           SELECT id, title, coalesce(%(fs)s, now()), coalesce(%(fs)s, now())
           FROM articles WHERE id = %(a)s
           RETURNING id""",
        {"a": article_id, "fs": first_seen},
    ).fetchone()
    add_copy(conn, row["id"], article_id, similarity=1.0, first_seen=first_seen)
    return row["id"]


def add_copy(
    conn: psycopg.Connection,
    story_id: int,
    article_id: int,
    *,
    similarity: float = 0.9,
    first_seen: datetime | None = None,
) -> None:
    conn.execute(
        """INSERT INTO story_copies (article_id, story_id, similarity, words, band_keys,
                                     fingerprint_version, first_seen)
           VALUES (%(a)s, %(s)s, %(sim)s, 3, '{}', 1, coalesce(%(fs)s, now()))""",
        {"a": article_id, "s": story_id, "sim": similarity, "fs": first_seen},
    )
    conn.execute(
        "UPDATE stories SET copy_count = copy_count + 1, updated_at = now() WHERE id = %s "
        "AND canonical_article_id <> %s",
        (story_id, article_id),
    )


def set_canonical(conn: psycopg.Connection, story_id: int, article_id: int) -> None:
    conn.execute(
        "UPDATE stories SET canonical_article_id = %s, updated_at = now() WHERE id = %s",
        (article_id, story_id),
    )


def story_with_copies(
    conn: psycopg.Connection, title: str, text: str, outlets: list[str], **article: object
) -> int:
    """One story carried by each of ``outlets`` (the first one starts it), committed."""
    with conn.transaction():
        first = add_article(conn, title=title, text=text, outlet=outlets[0], **article)
        story = new_story(conn, first)
    for outlet in outlets[1:]:
        with conn.transaction():
            add_copy(conn, story, add_article(conn, title=title, text=text, outlet=outlet))
    return story

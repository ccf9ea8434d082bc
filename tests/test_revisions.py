"""Article revisions (issue 17): every changed refetch is kept, in the article's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.pages import article_html
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines import storage
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.revisions import word_changes
from wirewatch.pipelines.storage import NEW, UNCHANGED, UPDATED, store_article

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEXT = (
    "The harbour board approved the dredging plan on Tuesday after a long debate. "
    "Fishermen said the work would close the inner basin for most of the summer."
)


@pytest.fixture(autouse=True)
def _source(conn: psycopg.Connection) -> None:
    conn.execute(
        Q.upsert_source,
        {
            "name": "herald",
            "kind": "feed",
            "urls": ["https://herald.example/feed"],
            "wire": False,
            "schedule": None,
            "settings": "{}",
        },
    )
    conn.commit()


def item(text: str = TEXT, title: str = "Dredging approved", minutes: int = 0, **extra: Any):
    return {
        "url": "https://herald.example/news/dredging",
        "source": "herald",
        "outlet": "herald.example",
        "title": title,
        "text": text,
        "published": T0,
        "fetched_at": T0 + timedelta(minutes=minutes),
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        **extra,
    }


def revisions(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM wirewatch_feed.revisions ORDER BY article_id, revision"
    ).fetchall()


def revision_changes(conn: psycopg.Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT * FROM wirewatch.feed_changes WHERE kind = 'revision' ORDER BY id"
    ).fetchall()


def test_word_changes_count_words_as_multisets() -> None:
    assert word_changes("", "a b c") == (3, 0)
    assert word_changes("a b c d", "a x c") == (1, 2)
    assert word_changes("a b. c d", "c d a b.") == (0, 0)


def test_first_fetch_is_revision_1_and_an_unchanged_refetch_adds_nothing(conn) -> None:
    assert store_article(conn, item()).status == NEW
    assert store_article(conn, item(minutes=30)).status == UNCHANGED
    # A change the upsert stores (paywall state) that is not a title or text edit.
    assert store_article(conn, item(minutes=60, paywalled=True)).status == UPDATED
    conn.commit()
    [first] = revisions(conn)
    assert (first["revision"], first["title"], first["text"]) == (1, "Dredging approved", TEXT)
    assert (first["words_added"], first["words_removed"]) == (len(TEXT.split()), 0)
    assert first["headline_changed"] is False
    assert first["fetched_at"] == T0
    assert first["story_id"] is not None
    assert revision_changes(conn) == []  # the first fetch is the story's own change


def test_a_new_articles_first_revision_is_written_by_its_upsert(conn, monkeypatch) -> None:
    """Not by a statement of its own: one fewer for every new article (issue 21)."""

    def no_statement(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a new article's revision needs no statement of its own")

    monkeypatch.setattr(storage.revisions, "record", no_statement)
    assert store_article(conn, item()).status == NEW
    conn.commit()
    [first] = revisions(conn)
    assert (first["revision"], first["title"], first["text"]) == (1, "Dredging approved", TEXT)
    assert (first["words_added"], first["words_removed"]) == (len(TEXT.split()), 0)
    assert first["fetched_at"] == T0


def test_each_edit_is_the_next_revision_with_its_word_counts(conn) -> None:
    store_article(conn, item())
    longer = TEXT + " The board will meet again in May."
    assert store_article(conn, item(longer, minutes=10)).status == UPDATED
    store_article(conn, item(longer, title="Dredging approved, basin to close", minutes=20))
    conn.commit()
    rows = revisions(conn)
    assert [r["revision"] for r in rows] == [1, 2, 3]
    assert [(r["words_added"], r["words_removed"]) for r in rows[1:]] == [(7, 0), (0, 0)]
    assert [r["headline_changed"] for r in rows] == [False, False, True]
    assert rows[2]["title"] == "Dredging approved, basin to close"
    assert [r["fetched_at"] for r in rows] == [T0 + timedelta(minutes=m) for m in (0, 10, 20)]
    changes = revision_changes(conn)
    assert [(c["story_id"], c["article_id"]) for c in changes] == [
        (rows[0]["story_id"], rows[0]["article_id"])
    ] * 2


def test_a_failed_store_rolls_back_its_revision(conn, monkeypatch) -> None:
    store_article(conn, item())
    conn.commit()

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(storage, "enqueue", broken)
    with pytest.raises(RuntimeError):
        store_article(conn, item(TEXT + " Late addition.", minutes=5))
    conn.rollback()
    assert [r["revision"] for r in revisions(conn)] == [1]
    assert revision_changes(conn) == []
    text = conn.execute("SELECT text FROM wirewatch.articles").fetchone()["text"]
    assert text == TEXT


def test_an_article_stored_before_revisions_starts_at_revision_1(conn) -> None:
    """Not backfilled (e.g. written by an older wirewatch after the migration ran)."""
    store_article(conn, item())
    conn.execute("DELETE FROM wirewatch.article_revisions")
    store_article(conn, item(TEXT + " More.", minutes=5))
    conn.commit()
    assert [(r["revision"], r["words_added"]) for r in revisions(conn)] == [
        (1, len(TEXT.split()) + 1)
    ]


def test_pruning_a_body_drops_its_revision_texts_too(conn) -> None:
    from wirewatch.pipelines.retention import prune

    store_article(conn, item())
    store_article(conn, item(TEXT + " More.", minutes=5))
    conn.commit()
    later = datetime.now(UTC) + timedelta(days=200)
    assert prune(conn, timedelta(days=90), now=later).articles == 1
    conn.commit()
    stored = conn.execute("SELECT text FROM wirewatch.article_revisions").fetchall()
    assert [r["text"] for r in stored] == ["", ""]
    assert [(r["revision"], r["text"]) for r in revisions(conn)] == [(1, None), (2, None)]


# A real crawl: a loopback article edited three times between `crawl --full` runs.

CORRECTION_TEXT = (
    "Correction: the bridge reopens in May, not June, the council said on Friday evening."
)
CORRECTION = f"<p>{CORRECTION_TEXT}</p>"


def edited(version: int) -> str:
    page = article_html(1)
    if version >= 1:
        page = page.replace("District report 1</h1>", "District report 1</h1>" + CORRECTION)
    if version >= 2:
        page = page.replace("District report 1<", "Bridge repairs approved<")
    if version >= 3:
        page = page.replace(CORRECTION, "")
    return page


def test_a_recrawled_article_edited_three_times_has_four_revisions(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "wirewatch.toml"
    with FixtureServer() as server:
        server.route("/world/", raw("<html><body><a href='/news/1.html'>One</a></body></html>"))
        server.route("/news/1.html", raw(edited(0)))
        config.write_text(
            f'[[source]]\nname = "section"\nkind = "section"\nurl = "{server.base_url}/world/"\n'
            'follow = "/news/"\n'
        )
        assert run_wirewatch("--config", str(config), "crawl").returncode == 0
        for version in (1, 2, 3, 3):  # the last run refetches an unchanged page
            server.route("/news/1.html", raw(edited(version)))
            done = run_wirewatch("--config", str(config), "crawl", "--full")
            assert done.returncode == 0, done.stderr
        hits = [r for r in server.log if r.target == "/news/1.html"]
    assert len(hits) == 5
    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        rows = revisions(conn)
        assert [r["revision"] for r in rows] == [1, 2, 3, 4]
        assert [r["headline_changed"] for r in rows] == [False, False, True, False]
        assert rows[2]["title"] == "Bridge repairs approved"
        assert "Correction" not in rows[0]["text"] and "Correction" in rows[1]["text"]
        assert rows[3]["text"] == rows[0]["text"]
        correction_words = len(CORRECTION_TEXT.split())  # 14
        assert [(r["words_added"], r["words_removed"]) for r in rows[1:]] == [
            (correction_words, 0),
            (0, 0),
            (0, correction_words),
        ]
        assert rows[0]["words_added"] == len(rows[0]["text"].split())
        story = rows[0]["story_id"]
    out = run_wirewatch("feed", "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    changes = [json.loads(line) for line in out.stdout.splitlines()]
    edits = [c for c in changes if c["kind"] == "revision"]
    assert [(c["story_id"], c["article_id"]) for c in edits] == [(story, rows[0]["article_id"])] * 3
    assert edits[1]["article_title"] == "Bridge repairs approved"


def test_an_atom_entry_for_an_edit_is_its_own_entry() -> None:
    from wirewatch.pipelines.atom import entry_id, entry_title

    story = {"cursor": "4", "kind": "story", "story_id": 7, "article_id": 70, "title": "Quake"}
    edit = story | {"cursor": "9", "kind": "revision", "article_title": "Quake kills 3"}
    assert entry_id(edit) == "tag:wirewatch,2024:story/7/revision/9" != entry_id(story)
    assert entry_title(edit) == "Quake kills 3 (edited)"

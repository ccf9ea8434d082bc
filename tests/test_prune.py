"""`wirewatch prune`: old bodies or stories go; stories stay whole, cursors stay valid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from tests.support.feed_rows import add_article, add_copy, add_source, story_with_copies
from wirewatch.crawler.cli import main
from wirewatch.pipelines import db, feed
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.retention import parse_age, prune
from wirewatch.pipelines.search import search

OLD_TEXT = "Harbour workers ended their strike after the port authority raised wages."


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        add_source(connection)
        yield connection


def age_story(conn: psycopg.Connection, story: int, days: int) -> None:
    """Move a story and all its copies ``days`` into the past."""
    shift = {"story": story, "days": timedelta(days=days)}
    conn.execute(
        "UPDATE stories SET first_seen = first_seen - %(days)s, updated_at = updated_at - %(days)s"
        " WHERE id = %(story)s",
        shift,
    )
    conn.execute(
        "UPDATE story_copies SET first_seen = first_seen - %(days)s WHERE story_id = %(story)s",
        shift,
    )
    conn.execute(
        """UPDATE articles
           SET first_seen = first_seen - %(days)s, updated_at = updated_at - %(days)s
           WHERE id IN (SELECT article_id FROM story_copies WHERE story_id = %(story)s)""",
        shift,
    )


@pytest.fixture
def archive(conn: psycopg.Connection) -> dict[str, int]:
    old = story_with_copies(conn, "Port strike ends", OLD_TEXT, ["w.example", "x.example"])
    age_story(conn, old, 120)
    still_carried = story_with_copies(conn, "Bridge reopens", "The bridge reopened.", ["w.example"])
    age_story(conn, still_carried, 120)
    with conn.transaction():
        add_copy(conn, still_carried, add_article(conn, title="Bridge open", outlet="y.example"))
    recent = story_with_copies(conn, "Budget passes", "Parliament voted.", ["w.example"])
    return {"old": old, "still_carried": still_carried, "recent": recent}


def _bodies(conn: psycopg.Connection) -> dict[int, str | None]:
    rows = conn.execute("SELECT story_id, text FROM wirewatch_feed.stories ORDER BY story_id")
    return {r["story_id"]: r["text"] for r in rows}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        (" 30 days ", timedelta(days=30)),
        ("90m", timedelta(minutes=90)),  # the tool's one duration syntax, as in the config
        ("1.5d", timedelta(hours=36)),
    ],
)
def test_ages_read_as_durations_of_at_least_an_hour(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["90", "30m", "d", "-3d", "0h", "90 fortnights"])
def test_unreadable_ages_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_age(text)


def test_bodies_of_untouched_stories_go_and_everything_else_stays(
    conn: psycopg.Connection, archive: dict[str, int]
) -> None:
    report = prune(conn, timedelta(days=90))
    assert (report.stories, report.articles) == (1, 2)
    bodies = _bodies(conn)
    assert bodies[archive["old"]] is None
    assert bodies[archive["still_carried"]] == "The bridge reopened."  # a copy is recent
    assert bodies[archive["recent"]] == "Parliament voted."
    story = conn.execute(
        "SELECT * FROM wirewatch_feed.stories WHERE story_id = %s", (archive["old"],)
    ).fetchone()
    assert story["title"] == "Port strike ends" and story["copies"] == 2
    assert story["outlets"] == ["w.example", "x.example"]
    # The title is still searchable; the dropped body no longer is.
    assert [r["story_id"] for r in search(conn, "strike")] == [archive["old"]]
    assert search(conn, "wages") == []
    # A second run finds nothing left to do.
    assert prune(conn, timedelta(days=90)).stories == 0


def test_deleting_rows_removes_whole_stories_and_keeps_cursors_valid(
    conn: psycopg.Connection, archive: dict[str, int], db_url: str
) -> None:
    with feed.reader_connection(db_url) as reader:
        page = feed.read_page(reader, 0, limit=2)  # a consumer that read the old story
        cursor = page.next_cursor
        report = prune(conn, timedelta(days=90), delete_rows=True)
        assert (report.stories, report.articles) == (1, 2)
        assert archive["old"] not in _bodies(conn)
        assert (
            conn.execute(
                "SELECT count(*) AS n FROM feed_changes WHERE story_id = %s", (archive["old"],)
            ).fetchone()["n"]
            == 0
        )

        rest = feed.read_page(reader, cursor).changes
        assert {c["story_id"] for c in rest} == {archive["still_carried"], archive["recent"]}
        assert all(c["seq"] > cursor for c in rest)
        # New changes after the prune still arrive after the old cursor.
        fresh = story_with_copies(conn, "New story", "Text.", ["w.example"])
        later = feed.read_page(reader, rest[-1]["seq"]).changes
        assert [c["story_id"] for c in later] == [fresh]


def test_deleting_a_story_takes_the_empty_stories_merged_into_it(
    conn: psycopg.Connection, archive: dict[str, int]
) -> None:
    with conn.transaction():
        empty = conn.execute(
            """INSERT INTO stories (canonical_article_id, title, copy_count, merged_into,
                                    first_seen, updated_at)
               SELECT canonical_article_id, 'was separate', 0, id, first_seen, updated_at
               FROM stories WHERE id = %s RETURNING id""",
            (archive["old"],),
        ).fetchone()["id"]
    prune(conn, timedelta(days=90), delete_rows=True)
    remaining = {r["id"] for r in conn.execute("SELECT id FROM stories")}
    assert remaining == {archive["still_carried"], archive["recent"]}
    assert empty not in remaining


def test_articles_outside_any_story_are_pruned_by_their_own_age(
    conn: psycopg.Connection,
) -> None:
    old = add_article(conn, text="Old stray text.")
    new = add_article(conn, text="New stray text.")
    conn.execute(
        "UPDATE articles SET updated_at = now() - interval '100 days' WHERE id = %s", (old,)
    )
    assert prune(conn, timedelta(days=90)).articles == 1
    texts = {r["id"]: r["text"] for r in conn.execute("SELECT id, text FROM articles")}
    assert texts == {old: "", new: "New stray text."}
    assert prune(conn, timedelta(days=90), delete_rows=True).articles == 1
    assert [r["id"] for r in conn.execute("SELECT id FROM articles")] == [new]


def test_a_dry_run_counts_what_a_run_prunes_and_changes_nothing(
    conn: psycopg.Connection, archive: dict[str, int]
) -> None:
    before = _bodies(conn)
    dry = prune(conn, timedelta(days=90), dry_run=True)
    assert _bodies(conn) == before
    real = prune(conn, timedelta(days=90))
    assert (dry.stories, dry.articles) == (real.stories, real.articles) == (1, 2)


def test_prune_command(db_url: str, archive: dict[str, int], capsys: pytest.CaptureFixture) -> None:
    assert main(["prune", "--older-than", "90d", "--dry-run"]) == 0
    assert "would have dropped the bodies of 1 stories" in capsys.readouterr().out
    assert main(["prune", "--older-than", "90d"]) == 0
    assert "dropped the bodies of 1 stories and 2 articles" in capsys.readouterr().out
    assert main(["prune", "--older-than", "ninety days"]) == 2
    assert "cannot read the age" in capsys.readouterr().err

"""Search's shortcuts for large archives give the answers the plain plans give.

Windows of the newest articles and the word-pair pre-filter for phrases exist
for speed only (benchmarks/feed.py measures them at a million articles); here
they are forced on a small archive and must change no result.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.support.feed_rows import add_article, add_copy, add_source, new_story
from wirewatch.pipelines import search as search_module
from wirewatch.pipelines.alerts.query import parse
from wirewatch.pipelines.search import search, translate

T0 = datetime(2026, 3, 1, tzinfo=UTC)
WORDS = ["harbour", "strike", "minister", "grain", "border", "talks", "river", "prime"]


def _text(n: int) -> str:
    words = [WORDS[(n * k + k) % len(WORDS)] for k in range(1, 7)]
    return " ".join(words) + (" prime minister" if n % 3 == 0 else " minister prime")


def _archive(conn: psycopg.Connection) -> None:
    """40 stories over 40 hours, some with a later copy; texts mix the same few words."""
    add_source(conn)
    for n in range(40):
        text = _text(n)
        when = T0 + timedelta(hours=n)
        article = add_article(conn, title=f"Story {n}", text=text, first_seen=when)
        story = new_story(conn, article, first_seen=when)
        if n % 4 == 0:
            copy = add_article(
                conn, title=f"Story {n} again", text=text, first_seen=when + timedelta(hours=30)
            )
            add_copy(conn, story, copy)


@pytest.fixture
def archive(conn: psycopg.Connection) -> psycopg.Connection:
    _archive(conn)
    conn.commit()
    return conn


QUERIES = [
    "harbour",
    "strike AND grain",
    "border OR river",
    '"prime minister"',
    '"minister prime" AND talks',
    'NOT "prime minister" AND harbour',
    "title:story AND minister",
]


@pytest.mark.parametrize("all_copies", [False, True])
@pytest.mark.parametrize("limit", [1, 3, 7, 12])
def test_windows_of_the_newest_articles_find_the_same_results(
    archive: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    limit: int,
    all_copies: bool,
) -> None:
    monkeypatch.setattr(search_module, "WINDOWS", 0)
    whole = [search(archive, q, limit=limit, all_copies=all_copies) for q in QUERIES]
    monkeypatch.setattr(search_module, "WINDOWS", 3)
    monkeypatch.setattr(search_module, "WINDOW_PER_RESULT", 1)
    monkeypatch.setattr(search_module, "WINDOW_GROWTH", 2)
    with archive.transaction():
        assert search_module.window_starts(archive, limit), "the windows are in use"
    windowed = [search(archive, q, limit=limit, all_copies=all_copies) for q in QUERIES]
    assert windowed == whole
    assert all(whole)


def test_a_small_archive_has_no_windows(conn: psycopg.Connection) -> None:
    add_source(conn)
    add_article(conn)
    with conn.transaction():
        assert search_module.window_starts(conn, 20) == []


def test_phrase_search_needs_the_words_adjacent_and_in_order(archive: psycopg.Connection) -> None:
    found = {r["title"] for r in search(archive, '"prime minister"', limit=100)}
    assert found == {f"Story {n}" for n in range(40) if "prime minister" in _text(n)}
    assert len(found) < 40


def test_a_phrase_is_found_through_its_word_pairs(archive: psycopg.Connection) -> None:
    pairs = archive.execute(
        "SELECT wirewatch_feed.pairs_query('the prime minister', '{english}')::text AS q"
    ).fetchone()["q"]
    assert pairs == "'prime minist'"
    rendered = translate(parse('"prime minister"'), pairs={"prime minister": pairs})
    sql_text = rendered.sql.as_string(archive)
    assert "word_pairs" in sql_text and "ts_match_vq" in sql_text
    assert "search_vector @@ (" not in sql_text  # the full-text index is not used for it
    assert pairs in rendered.params.values()
    plain = translate(parse('"prime minister"')).sql.as_string(archive)
    assert "word_pairs" not in plain and "search_vector @@ (" in plain


@pytest.mark.parametrize("phrase", ["minister", "talks with russia"])
def test_a_phrase_without_adjacent_words_has_no_pairs(
    conn: psycopg.Connection, phrase: str
) -> None:
    row = conn.execute(
        "SELECT wirewatch_feed.pairs_query(%s, '{english}') AS q", (phrase,)
    ).fetchone()
    assert row["q"] is None


def test_pairs_agree_with_phrase_matching_in_every_language(conn: psycopg.Connection) -> None:
    row = conn.execute(
        """SELECT wirewatch_feed.word_pairs(v) @@ wirewatch_feed.pairs_query(p) AS pairs,
                  v @@ wirewatch_feed.phrase_query(p) AS phrase
           FROM (SELECT wirewatch_feed.document_vector('Переговоры', 'Талибан отрицает
                    переговоры с Россией, заявил представитель', 'ru') AS v,
                        'отрицает переговоры' AS p) AS x"""
    ).fetchone()
    assert row == {"pairs": True, "phrase": True}


def test_words_too_long_to_pair_do_not_stop_an_article_being_stored(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    long_words = " ".join(["x" * 1500, "y" * 1500, "z" * 3000, "end"])
    article = add_article(conn, text=long_words)
    row = conn.execute(
        "SELECT wirewatch_feed.word_pairs(search_vector)::text AS pairs FROM articles"
        " WHERE id = %s",
        (article,),
    ).fetchone()
    assert f"{'x' * 1500} {'y' * 1500}" not in row["pairs"]
    assert f"{'x' * 1500}" in row["pairs"]  # paired with the headline's last word

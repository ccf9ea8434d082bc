"""Search by publication time (the command's default), by relevance or by first seen;
snippets around the matched words; a bounded count of the matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.support.feed_rows import add_article, add_copy, add_source, new_story
from wirewatch.crawler.cli import main
from wirewatch.crawler.commands.search import count_line, render_snippet, terminal_safe
from wirewatch.pipelines import search as search_module
from wirewatch.pipelines.search import (
    FRAGMENT_GAP,
    MATCH_END,
    MATCH_START,
    count_matches,
    publication_time,
    search,
    snippet_of,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
FILLER = " ".join(f"word{n}" for n in range(120))


def story(
    conn: psycopg.Connection,
    title: str,
    text: str,
    seen: datetime,
    published: datetime | None,
    **article: object,
) -> int:
    article_id = add_article(conn, title=title, text=text, first_seen=seen, **article)
    conn.execute("UPDATE articles SET published = %s WHERE id = %s", (published, article_id))
    return new_story(conn, article_id, first_seen=seen)


@pytest.fixture
def dated(conn: psycopg.Connection) -> dict[str, int]:
    """Four ferry stories whose order by publication differs from the order seen:
    one dated in the future (a page's mistake), one found a day after it came out,
    one with no date at all."""
    add_source(conn)
    ids = {
        "future": story(conn, "Ferry A", "The ferry left.", T0 + H, T0 + timedelta(days=30)),
        "fresh": story(conn, "Ferry B", "The ferry left.", T0 + 2 * H, T0 + 1.5 * H),
        "late": story(conn, "Ferry C", "The ferry left.", T0 + 3 * H, T0 - timedelta(days=1)),
        "undated": story(conn, "Ferry D", "The ferry left.", T0 + 4 * H, None),
    }
    conn.commit()
    return ids


def ids_of(rows: list[dict]) -> list[int]:
    return [row["story_id"] for row in rows]


# -- orders ---------------------------------------------------------------------------------


def test_published_puts_the_newest_publication_first(
    conn: psycopg.Connection, dated: dict[str, int]
) -> None:
    by = {k: dated[k] for k in dated}
    published = ids_of(search(conn, "ferry", sort="published"))
    assert published == [by["undated"], by["fresh"], by["future"], by["late"]]
    seen = ids_of(search(conn, "ferry", sort="seen"))
    assert seen == [by["undated"], by["late"], by["fresh"], by["future"]]
    assert ids_of(search(conn, "ferry")) == seen  # the function's default: the web's order
    assert ids_of(search(conn, "ferry", sort="published", limit=2)) == published[:2]


def test_a_publication_time_is_never_later_than_first_seen() -> None:
    row = {"published": T0 + timedelta(days=30), "first_seen": T0}
    assert publication_time(row) == T0
    assert publication_time({"published": None, "first_seen": T0}) == T0
    assert publication_time({"published": T0 - H, "first_seen": T0}) == T0 - H


def test_every_copy_by_publication_time(conn: psycopg.Connection, dated: dict[str, int]) -> None:
    copy = add_article(conn, title="Ferry B again", text="The ferry left.", first_seen=T0 + 5 * H)
    conn.execute("UPDATE articles SET published = %s WHERE id = %s", (T0 + 0.5 * H, copy))
    add_copy(conn, dated["fresh"], copy)
    conn.commit()
    rows = search(conn, "ferry", sort="published", all_copies=True)
    assert [r["title"] for r in rows] == [
        "Ferry D",
        "Ferry B",
        "Ferry A",
        "Ferry B again",
        "Ferry C",
    ]
    assert rows == sorted(rows, key=publication_time, reverse=True)


def test_relevance_puts_the_best_match_first(conn: psycopg.Connection) -> None:
    add_source(conn)
    once = story(conn, "Harbour news", f"{FILLER} ferry {FILLER}", T0 + 3 * H, T0 + 3 * H)
    often = story(conn, "Harbour news", "Ferry, ferry and ferry again.", T0 + 2 * H, T0 + 2 * H)
    titled = story(conn, "Ferry strike", "Crews stopped work.", T0 + H, T0 + H)
    other = story(conn, "Grain prices", "Nothing about boats.", T0 + 4 * H, T0 + 4 * H)
    conn.commit()
    assert ids_of(search(conn, "ferry", sort="relevance")) == [titled, often, once]
    assert ids_of(search(conn, "ferry", sort="published")) == [once, often, titled]
    # Words under NOT do not count for relevance; filters keep their meaning.
    assert ids_of(search(conn, "ferry NOT grain", sort="relevance")) == [titled, often, once]
    assert ids_of(search(conn, "source:wire", sort="relevance")) == [other, once, often, titled]


@pytest.mark.parametrize("all_copies", [False, True])
def test_the_ranked_plans_sort_every_match(
    conn: psycopg.Connection, dated: dict[str, int], all_copies: bool
) -> None:
    """Whatever the limit, the top of the whole sorted set of matches."""
    everything = search(conn, "ferry", sort="published", all_copies=all_copies, limit=100)
    for limit in (1, 2, 3):
        rows = search(conn, "ferry", sort="published", all_copies=all_copies, limit=limit)
        assert rows == everything[:limit]


def test_an_unknown_order_is_refused(conn: psycopg.Connection) -> None:
    with pytest.raises(ValueError, match="sort must be one of"):
        search(conn, "ferry", sort="newest")


# -- snippets ---------------------------------------------------------------------------------


def test_a_snippet_shows_the_matched_words_in_the_texts_own_letters(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    text = f"{FILLER} President ZELÉNSKYY met the crew of the Straße ferry at dawn. {FILLER}"
    story_id = story(conn, "Visit", text, T0, T0)
    conn.commit()
    [row] = search(conn, "zelenskyy AND strasse", snippets=True)
    assert row["story_id"] == story_id
    snippet = row["snippet"]
    assert f"{MATCH_START}ZELÉNSKYY{MATCH_END}" in snippet
    assert f"{MATCH_START}Straße{MATCH_END}" in snippet
    assert "word0 " not in snippet  # around the match, not the start of the text
    assert "snippet" not in search(conn, "zelenskyy")[0]  # only when asked (the web's calls)


def test_a_snippet_without_wanted_words_is_the_start_of_the_text(
    conn: psycopg.Connection,
) -> None:
    add_source(conn)
    story(conn, "Visit", "Crews met at dawn. " + FILLER, T0, T0)
    conn.commit()
    [row] = search(conn, "source:wire", snippets=True)
    assert row["snippet"].startswith("Crews met at dawn.")
    assert MATCH_START not in row["snippet"]


def test_snippet_of_puts_back_case_and_accents() -> None:
    text = "Le Président Zelénskyy a parlé. Straße fermée."
    headline = (
        f"le president {MATCH_START}zelenskyy{MATCH_END} a parle{FRAGMENT_GAP}"
        f"{MATCH_START}strasse{MATCH_END} fermee"
    )
    assert snippet_of(text, headline) == (  # with the punctuation closing each fragment
        f"Le Président {MATCH_START}Zelénskyy{MATCH_END} a parlé.{FRAGMENT_GAP}"
        f"{MATCH_START}Straße{MATCH_END} fermée."
    )
    # Not found (the two folds disagreed): the fragment stays as the index saw it.
    assert snippet_of("Other text", f"{MATCH_START}x{MATCH_END} y") == (
        f"{MATCH_START}x{MATCH_END} y"
    )


def test_what_a_page_sends_never_reaches_the_terminal_as_control() -> None:
    hostile = f"Ferry\x1b[2J\x1b]0;owned\x07 \r\u202eevil {MATCH_START}ferry{MATCH_END}"
    shown = render_snippet(hostile, on_terminal=True)
    assert "\x1b[2J" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\u202e" not in shown
    assert "\x1b[1mferry\x1b[0m" in shown  # our own highlight only
    assert render_snippet(hostile, on_terminal=False).endswith("evil **ferry**")
    assert terminal_safe("a\x9bb\tc\nd") == "a b c d"


# -- the command ---------------------------------------------------------------------------


def test_the_command_counts_sorts_by_publication_and_shows_snippets(
    conn: psycopg.Connection,
    dated: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["search", "ferry"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "4 stories match, newest published first:"
    dates = [line.split("  ")[0] for line in lines if line[:2] == "20"]
    assert dates == ["2026-03-01 16:00", "2026-03-01 13:30", "2026-03-01 13:00", "2026-02-28 12:00"]
    assert "    The **ferry** left." in lines

    assert main(["search", "ferry", "--sort", "seen", "--limit", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "4 stories match; the 2 newest seen:"
    assert "Ferry D" in out[2] and "Ferry C" in out[5]

    monkeypatch.setattr(search_module, "COUNT_BOUND", 3)
    assert main(["search", "ferry", "--limit", "1"]) == 0
    assert capsys.readouterr().out.startswith("3+ stories match; the 1 newest published:\n")

    assert main(["search", "ferry", "--format", "jsonl", "--sort", "relevance"]) == 0
    assert '"snippet": "The **ferry** left."' in capsys.readouterr().out


def test_the_command_keeps_a_hostile_title_off_the_terminal(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    add_source(conn)
    story(conn, "Ferry\x1b[31m red\r", "The ferry\x1b]0;x\x07 left.", T0, T0)
    conn.commit()
    assert main(["search", "ferry"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out


def test_count_matches_is_exact_up_to_its_bound(
    conn: psycopg.Connection, dated: dict[str, int]
) -> None:
    assert count_matches(conn, "ferry") == (4, False)
    assert count_matches(conn, "ferry", bound=4) == (4, False)
    assert count_matches(conn, "ferry", bound=2) == (2, True)
    assert count_matches(conn, "ferry", all_copies=True, bound=10) == (4, False)
    assert count_matches(conn, "grain") == (0, False)


def test_count_line() -> None:
    assert count_line(1, False, 1, "stories", "relevance") == "1 story match, best first:"
    assert count_line(1000, True, 20, "articles", "seen") == (
        "1,000+ articles match; the 20 newest seen:"
    )

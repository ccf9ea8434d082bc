"""Full-text search with the alert query language, on the tsvector index."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from tests.support.feed_rows import add_article, add_copy, add_source, new_story
from wirewatch.crawler.cli import main
from wirewatch.pipelines import db
from wirewatch.pipelines.alerts.query import QuerySyntaxError, parse
from wirewatch.pipelines.alerts.text import fold
from wirewatch.pipelines.search import search, translate


@pytest.fixture(scope="module")
def newsroom_db(pg_server_url: str, template_db: str) -> Iterator[tuple[str, dict[str, int]]]:
    """One database for this module's read-only tests, filled once."""
    name = f"ww_t_search_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_db)
            )
        )
    url = make_conninfo(pg_server_url, dbname=name)
    try:
        with db.connect(url, autocommit=True) as conn:
            stories = _fill(conn)
        yield url, stories
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def newsroom(newsroom_db: tuple[str, dict[str, int]]) -> dict[str, int]:
    return newsroom_db[1]


@pytest.fixture
def conn(newsroom_db: tuple[str, dict[str, int]]) -> Iterator[psycopg.Connection]:
    with db.connect(newsroom_db[0], autocommit=True) as connection:
        yield connection


def _fill(conn: psycopg.Connection) -> dict[str, int]:
    """Four small original stories in three languages, one with a second copy."""
    for name in ("wire", "tass", "daily"):
        add_source(conn, name)
    stories = {}
    texts = {
        "talks": dict(
            title="Taliban deny talks with Russia",
            text="A spokesman said the Taliban denied holding talks in Moscow. "
            "Sanctions remain in place, the spokesman Mansour added.",
            source="wire",
            outlet="wire.example",
        ),
        "zelensky": dict(
            title="Zelénskyy visits the front",
            text="The president met soldiers near the river and promised new sanctioned funds.",
            source="daily",
            outlet="daily.example",
            paywalled=True,
        ),
        "wagner": dict(
            title="Wagner festival opens",
            text="Music lovers gathered for the Ring cycle; Taliban was not on the programme.",
            source="daily",
            outlet="daily.example",
        ),
        "moscow": dict(
            title="Переговоры в Москве",
            text="Талибан отрицает переговоры с Россией, заявил представитель.",
            source="tass",
            outlet="tass.example",
            language="ru",
        ),
    }
    for key, fields in texts.items():
        with conn.transaction():
            stories[key] = new_story(conn, add_article(conn, **fields))
    with conn.transaction():
        copy = add_article(conn, title="Taliban say no talks", text=texts["talks"]["text"])
        add_copy(conn, stories["talks"], copy)
    return stories


def _found(conn: psycopg.Connection, query: str, **kwargs: object) -> set[int]:
    return {row["story_id"] for row in search(conn, query, **kwargs)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("taliban", {"talks", "wagner"}),
        ("талибан", {"moscow"}),
        ("taliban AND spokesman", {"talks"}),
        ("taliban NOT music", {"talks"}),
        ("talk", {"talks"}),  # stemmed: talks, talk
        ('"denied holding talks"', {"talks"}),
        ('"holding denied"', set()),  # a phrase keeps its order
        ("sanction*", {"talks", "zelensky"}),  # sanctions, sanctioned
        ("title:taliban", {"talks"}),  # the Wagner story has it in the body only
        ("title:(russia OR festival)", {"talks", "wagner"}),
        ("zelenskyy", {"zelensky"}),  # accents folded
        ("ZELÉNSKYY", {"zelensky"}),
        ("source:tass", {"moscow"}),
        ("lang:ru", {"moscow"}),
        ("(taliban OR талибан) AND NOT source:daily", {"talks", "moscow"}),
        ("(festival OR front) AND source:daily", {"wagner", "zelensky"}),
        ("переговоры", {"moscow"}),  # Russian stemming: переговор
        ("россия", {"moscow"}),  # Россией
        ("mansur", set()),  # search is not fuzzy: that is alert matching
        ("paywalled:true", {"zelensky"}),
        ("sanction* paywalled:false", {"talks"}),
        ("sanction* NOT paywalled:true", {"talks"}),
    ],
)
def test_queries_find_the_stories_they_describe(
    conn: psycopg.Connection, newsroom: dict[str, int], query: str, expected: set[str]
) -> None:
    assert _found(conn, query) == {newsroom[key] for key in expected}


def test_one_row_per_story_unless_every_copy_is_asked_for(
    conn: psycopg.Connection, newsroom: dict[str, int]
) -> None:
    assert [r["story_id"] for r in search(conn, "spokesman")] == [newsroom["talks"]]
    rows = search(conn, "spokesman", all_copies=True)
    assert [r["story_id"] for r in rows] == [newsroom["talks"]] * 2
    assert len({r["article_id"] for r in rows}) == 2


def test_newest_first_and_limited(conn: psycopg.Connection, newsroom: dict[str, int]) -> None:
    rows = search(conn, "taliban OR festival OR front", limit=2)
    assert [r["story_id"] for r in rows] == [newsroom["wagner"], newsroom["zelensky"]]


def test_user_text_is_bound_never_spliced_into_sql(
    conn: psycopg.Connection, newsroom: dict[str, int]
) -> None:
    hostile = "\"x'); DROP TABLE articles; --\" OR taliban:* OR 'a' & !b"
    with pytest.raises(QuerySyntaxError):
        parse(hostile)
    hostile = '"x\'); DROP TABLE articles; --" OR robert'
    condition = translate(parse(hostile))
    rendered = condition.sql.as_string(conn)
    assert "DROP" not in rendered and "robert" not in rendered
    assert "robert" in condition.params.values()
    assert search(conn, hostile) == []
    assert conn.execute("SELECT count(*) AS n FROM articles").fetchone()["n"] == 5


def test_runs_of_words_become_one_tsquery(conn: psycopg.Connection) -> None:
    rendered = translate(parse("(a1 OR b1) AND NOT c1 AND title:d1")).sql.as_string(conn)
    assert rendered.count("search_vector @@") == 1
    rendered = translate(parse("a1 AND source:x")).sql.as_string(conn)
    assert rendered.count("search_vector @@") == 1 and '"source" =' not in rendered


def test_search_command_prints_stories_and_rejects_bad_queries(
    newsroom_db: tuple[str, dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", newsroom_db[0])
    assert main(["search", "taliban AND spokesman"]) == 0
    out = capsys.readouterr().out
    assert "Taliban deny talks with Russia (+1 copies)" in out
    assert "https://wire.example/news/" in out

    assert main(["search", "--format", "jsonl", "festival"]) == 0
    assert '"title": "Wagner festival opens"' in capsys.readouterr().out

    assert main(["search", '"unbalanced']) == 2
    err = capsys.readouterr().err
    assert "unbalanced quote" in err and "position 1" in err

    assert main(["search", "NOT taliban"]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["search", "x", "--format", "xml"])
    assert exited.value.code == 2


@pytest.mark.parametrize(
    "text",
    [
        "Zelénskyy ZELÉNSKYY",
        "Straße Œuvre Æther Þór",
        "Łódź Ørsted Đorđević İstanbul",
        "Йошкар-Ола ёлка",
        "Ἀθῆναι",
        "ﬁnance",
        "مُحَمَّد",
        "Nguyễn Thị Minh Khai",
    ],
)
def test_the_index_folds_text_as_alert_matching_does(conn: psycopg.Connection, text: str) -> None:
    assert conn.execute("SELECT wirewatch_feed.fold(%s) AS f", (text,)).fetchone()["f"] == fold(
        text
    )


@pytest.mark.parametrize(
    ("language", "config"),
    [
        ("en", "english"),
        ("EN-gb", "english"),
        ("pt_BR", "portuguese"),
        ("nb", "norwegian"),
        ("nn", "norwegian"),
        ("ru", "russian"),
        ("zz", "simple"),
        ("", "simple"),
        (None, "simple"),
    ],
)
def test_an_article_is_indexed_with_the_configuration_of_its_language(
    conn: psycopg.Connection, language: str | None, config: str
) -> None:
    assert (
        conn.execute("SELECT wirewatch_feed.ts_config(%s)::text AS c", (language,)).fetchone()["c"]
        == config
    )
    article = add_article(
        conn, title="Running", text="Ministers were running late", language=language
    )
    row = conn.execute(
        """SELECT search_vector = setweight(to_tsvector(%(config)s::regconfig, 'running'), 'A')
                               || setweight(to_tsvector(%(config)s::regconfig,
                                                        'ministers were running late'), 'B') AS same
           FROM articles WHERE id = %(id)s""",
        {"config": config, "id": article},
    ).fetchone()
    assert row["same"]


@pytest.mark.parametrize("all_copies", [False, True])
def test_both_search_plans_give_the_same_answer(
    conn: psycopg.Connection,
    newsroom: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    all_copies: bool,
) -> None:
    queries = ["taliban", "sanction*", '"denied holding talks"', "title:taliban OR source:tass"]
    index_first = [search(conn, q, all_copies=all_copies) for q in queries]
    monkeypatch.setattr(
        "wirewatch.pipelines.search.INDEX_FIRST_BELOW", 0
    )  # always walk newest first
    walked = [search(conn, q, all_copies=all_copies) for q in queries]
    assert walked == index_first
    assert all(index_first)

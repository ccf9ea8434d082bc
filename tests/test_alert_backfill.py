"""Alert backfill: stories stored before a subscription existed, matched and queued once.

Real PostgreSQL; stories go through the real storage step, mail to aiosmtpd on
127.0.0.1.  Ten stored stories match ``Zelensky`` — four spelled so, six
spelled Zelenskyy or Zelenskiy, which full-text search for ``zelensky`` alone
does not find — one more matches but was stored before the window, and three
do not match (one names Zelenska, whom the matcher keeps apart).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.alerts import SmtpSink, add_source, outbox, store
from wirewatch.crawler.cli import main
from wirewatch.pipelines.alerts.backfill import candidate_tree, spelling_variants
from wirewatch.pipelines.alerts.query import format_query, parse

_TOPICS = (
    "grain port rail winter energy school bank border mine factory river bridge court farm "
    "harvest pipeline ferry budget tariff airport clinic village market council harbour "
    "tunnel station tractor reservoir orchard quarry warehouse printing bakery museum"
)
_VOCABULARY = _TOPICS.split()


def story_text(i: int, name: str) -> str:
    """A text of its own (so dedupe keeps it a story of its own) naming ``name``."""
    rng = random.Random(i)
    body = " ".join(rng.choice(_VOCABULARY) for _ in range(120))
    return f"{name} spoke on day {i} about the {body}. Officials in {name}'s office agreed."


SPELLINGS = ["Zelensky"] * 4 + ["Zelenskyy"] * 3 + ["Zelenskiy"] * 3


@pytest.fixture
def stored(conn: psycopg.Connection) -> dict[str, list[int]]:
    """Story ids by kind: 10 matching in the window, 1 matching before it, 3 not matching."""
    add_source(conn, "wire", wire=True)
    ids: dict[str, list[int]] = {"match": [], "old": [], "other": []}
    for i, name in enumerate(SPELLINGS):
        ids["match"].append(store(conn, "wire", f"{name} on day {i}", story_text(i, name)).story_id)
    old = store(conn, "wire", "Zelensky, long ago", story_text(50, "Zelensky")).story_id
    conn.execute("UPDATE stories SET first_seen = now() - interval '10 days' WHERE id = %s", (old,))
    conn.commit()
    ids["old"].append(old)
    for i, name in enumerate(["Zelenska", "Kuleba", "Shmyhal"], start=60):
        ids["other"].append(store(conn, "wire", f"{name} on day {i}", story_text(i, name)).story_id)
    assert len(set(ids["match"] + ids["old"] + ids["other"])) == 14  # fourteen stories
    assert outbox(conn) == []  # no subscription yet: nothing was queued when they were stored
    return ids


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def wirewatch(*args: str) -> int:
    return main(list(args))


def queued_stories(conn: psycopg.Connection) -> list[int]:
    return sorted(row["story_id"] for row in outbox(conn))


def test_add_with_backfill_queues_the_stored_matches_once_and_each_is_mailed_once(
    conn, stored, smtp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wirewatch("alerts", "add", "--query", "Zelensky", "--email", "desk@example.org",
                     "--name", "kyiv", "--backfill", "7d") == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "backfill of the last 7d: 10 stored stories matched, 10 queued" in out
    assert queued_stories(conn) == sorted(stored["match"])

    # A second backfill of the same window finds them queued already.
    assert wirewatch("alerts", "backfill", "kyiv", "--since", "7d") == 0
    assert "0 stored stories matched, 0 queued" in capsys.readouterr().out
    assert queued_stories(conn) == sorted(stored["match"])

    monkeypatch.setenv("WIREWATCH_SMTP_URL", smtp.url())
    assert wirewatch("alerts", "send") == 0
    assert "10 sent" in capsys.readouterr().out
    # A longer window reaches the older story, and only it; sent ones are not queued again.
    assert wirewatch("alerts", "backfill", "kyiv", "--since", "2w") == 0
    assert "1 stored story matched, 1 queued" in capsys.readouterr().out
    assert wirewatch("alerts", "send") == 0
    assert wirewatch("alerts", "send") == 0
    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert len(subjects) == 11 and len(set(subjects)) == 11  # each story once
    assert {r["status"] for r in outbox(conn)} == {"sent"}
    assert queued_stories(conn) == sorted(stored["match"] + stored["old"])


def test_preview_says_why_nothing_is_pending_and_how_to_backfill(
    conn, stored, smtp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert wirewatch("alerts", "add", "--query", "Zelensky OR Kuleba", "--email",
                     "desk@example.org", "--name", "kyiv") == 0  # fmt: skip
    capsys.readouterr()
    assert wirewatch("alerts", "preview", "kyiv") == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "nothing pending for subscription 1, but 11 stories stored in the last 7d match it"
    )
    assert "run `wirewatch alerts backfill kyiv --since 7d`" in out
    assert outbox(conn) == []  # the count queued nothing

    assert wirewatch("alerts", "backfill", "kyiv", "--since", "7d") == 0
    assert "11 queued" in capsys.readouterr().out
    assert wirewatch("alerts", "preview", "kyiv", "--limit", "50") == 0
    assert capsys.readouterr().out.count("Subject: [wirewatch] kyiv:") == 11

    monkeypatch.setenv("WIREWATCH_SMTP_URL", smtp.url())
    assert wirewatch("alerts", "send") == 0
    capsys.readouterr()
    assert wirewatch("alerts", "preview", "kyiv", "--since", "30d") == 0
    out = capsys.readouterr().out
    assert "1 story stored in the last 30d matches it and was never queued" in out  # the old one
    assert "`wirewatch alerts backfill kyiv --since 30d`" in out
    assert wirewatch("alerts", "backfill", "kyiv", "--since", "30d") == 0
    assert wirewatch("alerts", "send") == 0
    capsys.readouterr()
    assert wirewatch("alerts", "preview", "kyiv", "--since", "30d") == 0
    assert "no story stored in the last 30d matches it" in capsys.readouterr().out


def test_backfill_finds_what_live_matching_would_even_where_search_alone_would_not(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spelling variants, source: over every copy's source, and NOT of a stemmed word."""
    for name in ("wire", "paper"):
        add_source(conn, name, wire=name == "wire")
    carried = store(conn, "wire", "Zelenskyy visits the front", story_text(1, "Zelenskyy"))
    store(conn, "paper", "Zelenskyy at the front", story_text(1, "Zelenskyy"))  # a copy
    talk = store(conn, "wire", "Zelensky and the talk", story_text(2, "Zelensky") + " One talk.")
    talks = store(conn, "wire", "Zelensky and the talks", story_text(3, "Zelensky") + " Talks.")
    assert len({carried.story_id, talk.story_id, talks.story_id}) == 3
    queries = {
        "paper": ("source:paper AND Zelensky", [carried.story_id]),
        "talk": ("Zelensky NOT talks", [carried.story_id, talk.story_id]),
    }
    for name, (query, _) in queries.items():
        assert wirewatch("alerts", "add", "--query", query, "--email", f"{name}@example.org",
                         "--name", name, "--backfill", "1d") == 0  # fmt: skip
    for subscription, (_, expected) in enumerate(queries.values(), start=1):
        assert sorted(r["story_id"] for r in outbox(conn, subscription)) == sorted(expected)


ALERT_TABLE = """
[[alert]]
name = "kyiv"
query = "{query}"
email = "desk@example.org"
backfill = "7d"
"""


def test_the_backfill_key_of_an_alert_table_runs_once_per_query(
    conn, stored, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text(ALERT_TABLE.format(query="Zelensky"), encoding="utf-8")
    for _ in range(3):  # every command syncs; the backfill runs on the first only
        assert wirewatch("--config", str(config), "alerts", "list", "--json") == 0
    assert queued_stories(conn) == sorted(stored["match"])
    runs = conn.execute("SELECT query, matched, queued FROM alert_backfills").fetchall()
    conn.commit()
    assert [(r["query"], r["matched"], r["queued"]) for r in runs] == [("Zelensky", 10, 10)]

    config.write_text(ALERT_TABLE.format(query="Kuleba"), encoding="utf-8")  # a new query
    assert wirewatch("--config", str(config), "alerts", "list", "--json") == 0
    assert wirewatch("--config", str(config), "alerts", "list", "--json") == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()][-1:]
    assert row["pending"] == 11
    runs = conn.execute("SELECT query, queued FROM alert_backfills ORDER BY id").fetchall()
    conn.commit()
    assert [(r["query"], r["queued"]) for r in runs] == [("Zelensky", 10), ("Kuleba", 1)]


@pytest.mark.parametrize(
    ("value", "message"),
    [('"soon"', "bad duration 'soon'"), ('"0d"', "must be longer than 0"), ("true", "duration")],
)
def test_a_bad_backfill_key_is_a_config_error(
    conn, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text(ALERT_TABLE.format(query="Zelensky").replace('"7d"', value))
    assert wirewatch("--config", str(config), "alerts", "list") == 2
    err = capsys.readouterr().err
    assert "alert 'kyiv': field 'backfill': " in err and message in err


def test_backfill_of_a_disabled_subscription_is_refused(conn, stored, capsys) -> None:
    assert wirewatch("alerts", "add", "--query", "Zelensky", "--email", "a@example.org") == 0
    assert wirewatch("alerts", "disable", "1") == 0
    assert wirewatch("alerts", "backfill", "1", "--since", "7d") == 2
    assert "is disabled" in capsys.readouterr().err
    assert outbox(conn) == []


# --- the candidate query, without a database ----------------------------------------------


def test_variant_words_are_ored_with_the_spellings_the_matcher_takes() -> None:
    vocabulary = ["zelenskyy", "zelenskiy", "zelenska", "zelenski", "drone", "mansour"]
    found = spelling_variants({"zelensky", "mansur"}, vocabulary)
    assert found == {"zelensky": {"zelenskyy", "zelenskiy", "zelenski"}, "mansur": {"mansour"}}
    tree = candidate_tree(parse("Zelensky AND drones"), found)
    assert format_query(tree) == "(zelensky OR =zelenski OR =zelenskiy OR =zelenskyy) AND drones"


def test_parts_search_could_get_wrong_are_left_to_the_matcher() -> None:
    def widened(query: str, variants=None, unindexed=()) -> str | None:
        tree = candidate_tree(parse(query), variants or {}, unindexed)
        return None if tree is None else format_query(tree)

    assert widened("Wagner NOT music") == "wagner"  # stemming could exclude too much
    assert widened("source:tass sanction*") == "=sanction*"  # copies' sources are not indexed
    assert widened("source:tass OR Putin") is None  # nothing to narrow by: the whole window
    assert widened("lang:en who vaccine", unindexed={"who"}) == "lang:en AND vaccine"
    assert widened("sanction*", {"sanction": {"sanct"}}) == "=sanction* OR =sanct"
    assert widened('"Akhtar Mansur"', {"mansur": {"mansour"}}) == (
        "akhtar AND (mansur OR =mansour)"
    )
    assert widened('title:"Akhtar Mansur"') == 'title:"akhtar mansur"'

"""Stories in PostgreSQL: one story per text, provenance of every copy, the canonical copy."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.support.alerts import add_source, subscribe
from tests.support.dedupe_texts import article, trimmed, under_furniture, with_quote
from wirewatch.pipelines import db, stories
from wirewatch.pipelines.fingerprint import fingerprint
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import NEW, UNCHANGED, UPDATED, store_article

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection) -> None:
    for name, wire in [("wire", True), ("herald", False), ("gazette", False), ("post", False)]:
        add_source(conn, name, wire)


def item(source: str, slug: str, text: str, *, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"https://{source}.example/news/{slug}",
        "source": source,
        "outlet": f"{source}.example",
        "wire": source == "wire",
        "title": extra.pop("title", f"{slug} headline"),
        "text": text,
        "published": T0 + timedelta(minutes=minutes),
        "fetched_at": T0 + timedelta(minutes=minutes + 1),
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        **extra,
    }


def store(conn: psycopg.Connection, *args: Any, **kwargs: Any):
    result = store_article(conn, item(*args, **kwargs))
    conn.commit()
    return result


def story(conn: psycopg.Connection, story_id: int) -> dict[str, Any]:
    return conn.execute(Q.story_by_id, {"story_id": story_id}).fetchone()


def copies(conn: psycopg.Connection, story_id: int) -> list[dict[str, Any]]:
    return conn.execute(Q.copies_of_story, {"story_id": story_id}).fetchall()


def test_copies_of_one_text_on_several_outlets_are_one_story_with_provenance(conn):
    text = article(1)
    a = store(conn, "herald", "quake", text, minutes=0)
    b = store(conn, "gazette", "quake-latest", text, minutes=30)
    c = store(conn, "post", "quake", trimmed(text, 1 / 3), minutes=45)
    assert a.status == b.status == c.status == NEW
    assert a.story_id == b.story_id == c.story_id
    rows = copies(conn, a.story_id)
    assert [r["outlet"] for r in rows] == ["herald.example", "gazette.example", "post.example"]
    assert [r["url"] for r in rows][1] == "https://gazette.example/news/quake-latest"
    assert all(r["first_seen"] is not None for r in rows)
    assert rows[1]["similarity"] == pytest.approx(1.0)
    assert rows[2]["similarity"] >= 0.9
    assert story(conn, a.story_id)["copy_count"] == 3


def test_different_articles_and_a_shared_quote_stay_separate_stories(conn):
    a = store(conn, "herald", "dam", with_quote(article(2)))
    b = store(conn, "gazette", "dam-protest", with_quote(article(3)))
    c = store(conn, "post", "other", article(4))
    assert len({a.story_id, b.story_id, c.story_id}) == 3


def test_short_excerpts_under_one_outlets_page_furniture_join_their_own_stories(conn):
    """More furniture than text: the furniture they share does not make them one story."""
    a = store(conn, "herald", "bridge", article(130))
    b = store(conn, "gazette", "harvest", article(131))
    excerpts = [
        store(conn, "post", slug, under_furniture(text), minutes=10)
        for slug, text in (("bridge", article(130)), ("harvest", article(131)))
    ]
    assert [e.story_id for e in excerpts] == [a.story_id, b.story_id]
    assert a.story_id != b.story_id


def test_the_seed_pair_stays_two_stories(conn, shared_dir):
    seeds = sorted((shared_dir / "seeds").glob("*.txt"))
    results = [
        store(conn, source, path.stem, path.read_text(encoding="utf-8"))
        for source, path in zip(["herald", "gazette"], seeds, strict=True)
    ]
    assert results[0].story_id != results[1].story_id


def test_recrawling_an_unchanged_article_changes_nothing(conn):
    text = article(5)
    first = store(conn, "herald", "budget", text)
    again = store(conn, "herald", "budget", text)
    assert again.status == UNCHANGED
    assert conn.execute("SELECT count(*) AS n FROM stories").fetchone()["n"] == 1
    assert story(conn, first.story_id)["copy_count"] == 1


def test_a_later_fuller_copy_becomes_canonical(conn):
    full = article(6, paragraphs=12)
    early = store(conn, "herald", "flood", trimmed(full, 1 / 3), minutes=0)
    later = store(conn, "gazette", "flood", full, minutes=90)
    assert later.story_id == early.story_id
    assert story(conn, early.story_id)["canonical_article_id"] == later.article_id
    # An even later trimmed copy does not take it back.
    store(conn, "post", "flood", trimmed(full, 1 / 2), minutes=120)
    assert story(conn, early.story_id)["canonical_article_id"] == later.article_id


def test_the_wire_services_own_copy_is_canonical_even_when_it_arrives_last(conn):
    full = article(7, paragraphs=10)
    outlet = store(conn, "herald", "strike", full + "\n\nThe Herald contributed reporting.")
    wire = store(conn, "wire", "strike", trimmed(full, 0.7), minutes=10)
    assert wire.story_id == outlet.story_id
    assert story(conn, outlet.story_id)["canonical_article_id"] == wire.article_id
    # A fuller outlet copy arriving later does not displace the wire's own copy.
    store(conn, "gazette", "strike", full + "\n\n" + article(70, paragraphs=2), minutes=20)
    assert story(conn, outlet.story_id)["canonical_article_id"] == wire.article_id


def test_earliest_copy_is_canonical_among_equally_complete_ones(conn):
    text = article(8)
    late = store(conn, "herald", "rates", text, minutes=60)
    early = store(conn, "gazette", "rates", text, minutes=5)
    assert story(conn, late.story_id)["canonical_article_id"] == early.article_id


def test_assignment_reports_creation_and_canonical_change(conn):
    text = article(9, paragraphs=12)
    with conn.transaction():
        a = conn.execute(
            Q.upsert_article, _params(item("herald", "a", trimmed(text, 0.4)))
        ).fetchone()["id"]
        first = stories.assign(conn, a, item("herald", "a", trimmed(text, 0.4)))
        b = conn.execute(Q.upsert_article, _params(item("gazette", "b", text))).fetchone()["id"]
        second = stories.assign(conn, b, item("gazette", "b", text))
    assert first.created and not first.canonical_changed and first.similarity == 1.0
    assert not second.created and second.canonical_changed
    assert second.story_id == first.story_id
    assert second.similarity >= 0.9
    # Assigning again with the same text is a no-op.
    with conn.transaction():
        again = stories.assign(conn, b, item("gazette", "b", text))
    assert again.story_id == first.story_id and not again.canonical_changed
    assert story(conn, first.story_id)["copy_count"] == 2


def _params(article_item: dict[str, Any]) -> dict[str, Any]:
    from wirewatch.pipelines.storage import article_params

    return article_params(article_item, None)


def test_an_edited_article_moves_to_a_new_story_and_its_old_story_gets_a_new_canonical(conn):
    text = article(10)
    a = store(conn, "herald", "fire", text, minutes=0)
    b = store(conn, "gazette", "fire", text, minutes=10)
    assert story(conn, a.story_id)["canonical_article_id"] == a.article_id
    moved = store(conn, "herald", "fire", article(11), minutes=0)
    assert moved.status == UPDATED
    assert moved.story_id != a.story_id
    old = story(conn, a.story_id)
    assert old["canonical_article_id"] == b.article_id
    assert old["copy_count"] == 1
    assert [r["article_id"] for r in copies(conn, moved.story_id)] == [a.article_id]
    # Its old band keys are gone: a copy of the old text no longer finds it.
    c = store(conn, "post", "fire", text, minutes=20)
    assert c.story_id == a.story_id


def test_a_sole_copy_edited_into_a_copy_of_another_story_joins_it(conn):
    text = article(12)
    target = store(conn, "herald", "port", text)
    lone = store(conn, "gazette", "port", article(13))
    moved = store(conn, "gazette", "port", trimmed(text, 0.5))
    assert moved.story_id == target.story_id
    old = story(conn, lone.story_id)
    assert old["merged_into"] == target.story_id and old["copy_count"] == 0
    assert story(conn, target.story_id)["copy_count"] == 2


def test_a_corrected_article_stays_in_its_story(conn):
    text = article(14)
    a = store(conn, "herald", "court", text)
    store(conn, "gazette", "court", text, minutes=5)
    corrected = text.replace("the", "a", 3) + "\n\nThis story has been corrected."
    again = store(conn, "herald", "court", corrected)
    assert again.status == UPDATED and again.story_id == a.story_id
    assert story(conn, a.story_id)["copy_count"] == 2


def test_tiny_and_empty_texts(conn):
    headline = "Storm closes coast road"
    a = store(conn, "herald", "storm", headline)
    b = store(conn, "gazette", "storm", headline.upper() + "!")
    c = store(conn, "post", "storm", "Storm closes coast road and rail line")
    assert a.story_id == b.story_id != c.story_id
    e1 = store(conn, "herald", "empty", "…")
    e2 = store(conn, "gazette", "empty", "—")
    assert e1.story_id != e2.story_id


def test_every_article_belongs_to_exactly_one_story(conn):
    for n in range(6):
        store(conn, ["herald", "gazette", "post"][n % 3], f"s{n}", article(20 + n % 2))
    counts = conn.execute(
        """SELECT (SELECT count(*) FROM articles) AS articles,
                  (SELECT count(*) FROM story_copies) AS copies,
                  (SELECT count(*) FROM stories) AS stories,
                  (SELECT sum(copy_count) FROM stories) AS counted"""
    ).fetchone()
    assert counts["articles"] == counts["copies"] == counts["counted"] == 6
    assert counts["stories"] == 2


def _waiting_on_lock(conn: psycopg.Connection, pid: int) -> bool:
    row = conn.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
    ).fetchone()
    return row is not None and row["wait_event_type"] == "Lock"


def test_concurrent_crawls_storing_copies_of_one_text_make_one_story(db_url):
    """The second transaction waits for the first's band locks, then joins its story."""
    text = article(30)
    with (
        db.connect(db_url) as first,
        db.connect(db_url) as second,
        db.connect(db_url, autocommit=True) as observer,
    ):
        second_pid = second.info.backend_pid
        outcome: dict[str, Any] = {}

        def store_second() -> None:
            try:
                outcome["result"] = store_article(second, item("gazette", "same", text))
                second.commit()
            except BaseException as exc:  # surfaced by the assertion below
                outcome["error"] = exc

        with first.transaction():
            one = store_article(first, item("herald", "same", text))
            worker = threading.Thread(target=store_second)
            worker.start()
            deadline = time.monotonic() + 10
            while not _waiting_on_lock(observer, second_pid):
                assert time.monotonic() < deadline, "second transaction never waited"
                time.sleep(0.02)
        worker.join(10)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"].story_id == one.story_id
        assert observer.execute("SELECT count(*) AS n FROM stories").fetchone()["n"] == 1


def _locks_without_waiting(db_url: str, keys: list[int], held: list[int]) -> bool:
    """Whether a transaction can lock ``keys`` (``stories.lock_keys``) while another
    holds the locks of ``held``."""
    with db.connect(db_url) as holder, db.connect(db_url) as other, holder.transaction():
        stories.lock_keys(holder, 1, held)
        other.execute("SET lock_timeout = '300ms'")
        try:
            with other.transaction():
                stories.lock_keys(other, 2, keys)
        except psycopg.errors.LockNotAvailable:
            return False
        return True


def test_keys_many_stored_articles_hold_are_not_locked(db_url, monkeypatch):
    """A stock phrase's key, common to every article, must not make each storing
    transaction wait for the one before (issue 21); a rare key still serialises."""
    monkeypatch.setattr(stories, "COMMON_HOLDERS", 3)
    common, rare, other_rare = 7_000_001, 7_000_002, 7_000_003
    with db.connect(db_url) as conn:
        for holder in range(900_001, 900_004):
            conn.execute("INSERT INTO lsh_bands VALUES (%s, %s)", (common, holder))
        conn.execute("INSERT INTO lsh_bands VALUES (%s, %s)", (rare, 900_001))
        conn.commit()
    assert _locks_without_waiting(db_url, [common, other_rare], held=[common, rare])
    assert not _locks_without_waiting(db_url, [rare, other_rare], held=[common, rare])
    # Every key common: all are locked, so two copies of such a text still queue.
    assert not _locks_without_waiting(db_url, [common], held=[common])
    monkeypatch.setattr(stories, "COMMON_HOLDERS", 4)  # the key is not common any more
    assert not _locks_without_waiting(db_url, [common, other_rare], held=[common, rare])


@pytest.mark.parametrize("subscribed", [False, True], ids=["no subscriptions", "subscribed"])
def test_storing_reads_articles_by_key_before_the_first_analyze(conn, subscribed):
    """In a new database the plans a connection keeps are made before autovacuum first
    analyzes ``articles``, while its size is a guess (10 pages).  Storing must still read
    each candidate of the story lookup, and each copy of a new story matched against
    alert subscriptions, by its key: a scan of every stored article per lookup made
    each article's cost grow with the archive for a whole first crawl (issue 21)."""
    assert conn.execute(
        "SELECT reltuples < 0 AS unknown FROM pg_class WHERE oid = 'wirewatch.articles'::regclass"
    ).fetchone()["unknown"], "the test needs a table never analyzed"
    if subscribed:
        subscribe(conn, "nothing-here-matches")  # every new story is matched, none alerted
    stored = 0
    with conn.transaction():  # the transaction's own statistics, read below
        for n in range(20):
            text = article(500 + n)
            for source in ("wire", "herald", "gazette", "post"):
                store_article(conn, item(source, f"story-{n}", text, minutes=n))
                stored += 1
        scanned = conn.execute(
            "SELECT seq_tup_read FROM pg_stat_xact_user_tables"
            " WHERE relid = 'wirewatch.articles'::regclass"
        ).fetchone()["seq_tup_read"]
    assert (
        conn.execute("SELECT count(DISTINCT story_id) AS n FROM story_copies").fetchone()["n"] == 20
    )
    assert scanned <= stored, f"{scanned} rows of articles scanned to store {stored}"


def test_band_index_rows_follow_the_fingerprint(conn):
    text = article(40)
    a = store(conn, "herald", "index", text)
    keys = {
        r["band_key"]
        for r in conn.execute(
            "SELECT band_key FROM lsh_bands WHERE article_id = %s", (a.article_id,)
        )
    }
    assert keys == set(fingerprint(text).band_keys)


def test_a_copy_of_a_pruned_story_still_finds_it_through_its_band_keys(conn):
    text = article(41)
    old = store(conn, "herald", "archive", text)
    conn.execute("UPDATE articles SET text = '' WHERE id = %s", (old.article_id,))
    conn.commit()
    again = store(conn, "gazette", "archive", text + "\n\nUpdated.")
    assert again.story_id == old.story_id
    other = store(conn, "post", "archive", trimmed(article(42), 0.5))
    assert other.story_id != old.story_id


def test_a_new_title_on_the_canonical_copy_refreshes_the_story_title(conn):
    text = article(43)
    first = store(conn, "herald", "title", text, title="Old headline")
    again = store(conn, "herald", "title", text, title="New headline")
    assert again.status == UPDATED and again.story_id == first.story_id
    assert story(conn, first.story_id)["title"] == "New headline"


def _stored_sketch(conn: psycopg.Connection, article_id: int) -> bytes | None:
    return conn.execute(
        "SELECT sketch FROM story_copies WHERE article_id = %s", (article_id,)
    ).fetchone()["sketch"]


def test_a_stored_copy_is_compared_through_its_sketch_else_its_text(conn):
    """Comparing a new article with stored copies shingles none of their texts again."""
    text = article(140)
    a = store(conn, "herald", "dam", text)
    assert _stored_sketch(conn, a.article_id) == fingerprint(text).sketch
    # What is compared is the stored sketch: make it another text's ...
    conn.execute(
        "UPDATE story_copies SET sketch = %s WHERE article_id = %s",
        (fingerprint(article(141)).sketch, a.article_id),
    )
    conn.commit()
    assert store(conn, "gazette", "dam", trimmed(text, 0.5)).story_id != a.story_id
    # ... and a copy without one (stored before sketches were) is compared on its text.
    conn.execute("UPDATE story_copies SET sketch = NULL WHERE article_id = %s", (a.article_id,))
    conn.commit()
    assert store(conn, "post", "dam", trimmed(text, 0.6)).story_id == a.story_id


def test_rebuilding_the_index_stores_the_sketch_of_copies_without_one(conn):
    text = article(142)
    a = store(conn, "herald", "port", text)
    conn.execute(
        "UPDATE story_copies SET sketch = NULL, fingerprint_version = 3 WHERE article_id = %s",
        (a.article_id,),
    )
    conn.commit()
    conn.autocommit = True
    assert stories.rebuild_index(conn).done == 1
    assert _stored_sketch(conn, a.article_id) == fingerprint(text).sketch

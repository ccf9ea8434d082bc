"""Stories in PostgreSQL, second round: merging, order independence, alerts, the feed.

An article that is a copy of texts in two stories makes them one (the younger
merged into the older), so the stories come out the same whatever order the
copies arrive in -- and the same as ``wirewatch dedupe`` makes of them.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from tests.support.alerts import add_source, outbox, subscribe
from tests.support.dedupe_texts import (
    article,
    escaped,
    first_words,
    half_quote_copy,
    long_quote,
    reordered,
    rewritten_top,
    trimmed,
    with_quote,
)
from wirewatch.pipelines import db, stories
from wirewatch.pipelines import fingerprint as fp
from wirewatch.pipelines.clustering import cluster
from wirewatch.pipelines.fingerprint import VERSION, Shingled, fingerprint
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import article_params, store_article

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SOURCES = [("wire", True), ("herald", False), ("gazette", False), ("post", False)]


@pytest.fixture(autouse=True)
def _sources(conn: psycopg.Connection) -> None:
    for name, wire in SOURCES:
        add_source(conn, name, wire)


def item(source: str, slug: str, text: str, *, minutes: int = 0) -> dict[str, Any]:
    return {
        "url": f"https://{source}.example/news/{slug}",
        "source": source,
        "outlet": f"{source}.example",
        "wire": source == "wire",
        "title": f"{slug} headline",
        "text": text,
        "published": T0 + timedelta(minutes=minutes),
        "fetched_at": T0 + timedelta(minutes=minutes + 1),
        "content_hash": hashlib.sha256(text.encode()).hexdigest(),
    }


def store(conn: psycopg.Connection, source: str, slug: str, text: str, minutes: int = 0):
    result = store_article(conn, item(source, slug, text, minutes=minutes))
    conn.commit()
    return result


def story(conn: psycopg.Connection, story_id: int) -> dict[str, Any]:
    return conn.execute(Q.story_by_id, {"story_id": story_id}).fetchone()


def live_partition(conn: psycopg.Connection) -> set[frozenset[str]]:
    """The stories as sets of article URLs."""
    rows = conn.execute(
        "SELECT c.story_id, a.url FROM story_copies c JOIN articles a ON a.id = c.article_id"
    ).fetchall()
    groups: dict[int, set[str]] = {}
    for row in rows:
        groups.setdefault(row["story_id"], set()).add(row["url"])
    return {frozenset(g) for g in groups.values()}


def feed_changes(conn: psycopg.Connection, after: int = 0) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT kind, story_id, article_id, seq FROM wirewatch_feed.changes WHERE seq > %s"
        " ORDER BY seq",
        (after,),
    ).fetchall()


def head(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT last_seq FROM wirewatch_feed.feed_head()").fetchone()["last_seq"]


WIRE = with_quote(article(600, paragraphs=28))  # ~1,300 words


def test_a_late_original_merges_the_stories_its_excerpts_started(conn):
    lede = store(conn, "herald", "lede", first_words(WIRE, 170), minutes=5)
    top = store(conn, "gazette", "top", rewritten_top(WIRE), minutes=10)
    assert lede.story_id != top.story_id  # nothing links them but the original
    before = head(conn)
    wire = store(conn, "wire", "original", WIRE, minutes=0)
    assert wire.story_id == lede.story_id  # the older story survives
    older, younger = story(conn, lede.story_id), story(conn, top.story_id)
    assert younger["merged_into"] == older["id"] and younger["copy_count"] == 0
    assert older["merged_into"] is None and older["copy_count"] == 3
    assert older["canonical_article_id"] == wire.article_id  # the wire's own copy
    assert live_partition(conn) == {
        frozenset(f"https://{s}.example/news/{slug}"
                  for s, slug in [("herald", "lede"), ("gazette", "top"), ("wire", "original")])
    }  # fmt: skip
    changes = feed_changes(conn, before)
    # One 'update' for the merged story; the moved copy and the new one are
    # 'copy' changes of the older story, whose canonical copy changed too.
    assert [c["kind"] for c in changes if c["story_id"] == younger["id"]] == ["update"]
    of_older = sorted((c["kind"], c["article_id"]) for c in changes if c["story_id"] == older["id"])
    assert of_older == [
        ("copy", top.article_id), ("copy", wire.article_id), ("update", wire.article_id)
    ]  # fmt: skip


def test_the_merged_storys_id_keeps_resolving_in_the_feed(conn):
    lede = store(conn, "herald", "lede", first_words(WIRE, 170))
    top = store(conn, "gazette", "top", rewritten_top(WIRE), minutes=10)
    store(conn, "wire", "original", WIRE, minutes=20)
    row = conn.execute(
        "SELECT story_id, title, url, copies, merged_into FROM wirewatch_feed.stories"
        " WHERE story_id = %s",
        (top.story_id,),
    ).fetchone()
    assert row is not None and row["merged_into"] == lede.story_id and row["copies"] == 0
    assert row["url"] and row["title"]
    live = conn.execute(
        "SELECT count(*) AS n FROM wirewatch_feed.stories WHERE merged_into IS NULL"
    ).fetchone()
    assert live["n"] == 1


def test_a_story_merged_along_a_chain_resolves_to_the_live_one(conn):
    """A candidate read before a merge committed names a story that is no longer live."""
    first = store(conn, "herald", "a", article(601)).story_id
    second = store(conn, "gazette", "b", article(602)).story_id
    third = store(conn, "post", "c", article(603)).story_id
    conn.execute("UPDATE stories SET merged_into = %s WHERE id = %s", (second, first))
    conn.execute("UPDATE stories SET merged_into = %s WHERE id = %s", (third, second))
    live_of, rows = stories._lock_live(conn, {first, third})
    assert live_of == {first: third, third: third}
    assert list(rows) == [third]
    conn.rollback()


def test_alerts_are_not_sent_again_for_a_merged_story(conn):
    sub = subscribe(conn, "Zelenskyy", name="kyiv")
    quiet = subscribe(conn, "Mariupol", "other@example.org", name="quiet")
    lede_text = "Zelenskyy spoke on Tuesday.\n\n" + first_words(WIRE, 170)
    top_text = "Zelenskyy and Mariupol officials spoke.\n\n" + rewritten_top(WIRE)
    lede = store(conn, "herald", "lede", lede_text)
    top = store(conn, "gazette", "top", top_text, minutes=5)
    conn.execute("UPDATE alert_outbox SET status = 'sent', sent_at = now(), message_id = 'm1'"
                 " WHERE story_id = %s", (lede.story_id,))  # fmt: skip
    conn.commit()
    assert {(r["subscription_id"], r["story_id"], r["status"]) for r in outbox(conn)} == {
        (sub, lede.story_id, "sent"), (sub, top.story_id, "pending"),
        (quiet, top.story_id, "pending"),
    }  # fmt: skip
    # The wire original, canonical from now on, mentions both words as well.
    wire = store(conn, "wire", "original", "Zelenskyy, Mariupol.\n\n" + WIRE, minutes=10)
    assert wire.story_id == lede.story_id
    rows = {(r["subscription_id"], r["story_id"], r["status"]) for r in outbox(conn)}
    # kyiv was told about the story once (sent), so its pending repeat went; quiet's
    # pending alert now names the surviving story; nothing new was queued.
    assert rows == {(sub, lede.story_id, "sent"), (quiet, lede.story_id, "pending")}


def copies_of(original: str, unrelated: str) -> list[tuple[str, str, str]]:
    """(source, slug, text): a wire original, its outlet copies of every hard kind,
    an unrelated story with a short copy half made of a long quote from the original."""
    quote = " ".join(long_quote(610).split())
    wire = original + f'\n\n"{quote}," the minister said.'
    return [
        ("wire", "original", wire),
        ("herald", "excerpt", first_words(wire, 170)),
        ("gazette", "trimmed", "LATEST\n\n" + first_words(wire, 150)),
        ("post", "top", rewritten_top(wire)),
        ("herald", "escaped", escaped(trimmed(wire, 0.4))),
        ("gazette", "reordered", reordered(trimmed(wire, 0.7), seed=2)),
        ("post", "other", unrelated),
        ("herald", "other-short", half_quote_copy(unrelated, quote)),
        ("gazette", "other-excerpt", first_words(unrelated, 120)),
    ]


ORDERS = {
    "wire first": [0, 1, 2, 3, 4, 5, 6, 7, 8],
    "wire last": [1, 2, 3, 4, 5, 6, 7, 8, 0],
    "interleaved": [3, 7, 1, 6, 0, 8, 5, 2, 4],
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_the_same_copies_in_any_order_end_as_the_same_stories(conn, order):
    docs = copies_of(article(602, paragraphs=28), article(603, paragraphs=10))
    for minutes, n in enumerate(ORDERS[order]):
        source, slug, text = docs[n]
        store(conn, source, slug, text, minutes=minutes)
    url = {n: f"https://{s}.example/news/{slug}" for n, (s, slug, _) in enumerate(docs)}
    expected = {frozenset(url[n] for n in range(6)), frozenset(url[n] for n in (6, 7, 8))}
    assert live_partition(conn) == expected
    # ... which is what the batch command makes of them.
    roots = cluster([text for _, _, text in docs]).tolist()
    assert {frozenset(url[n] for n in range(9) if roots[n] == r) for r in roots} == expected
    wire_story = conn.execute(
        "SELECT s.canonical_article_id, a.url FROM stories s"
        " JOIN articles a ON a.id = s.canonical_article_id WHERE s.merged_into IS NULL"
        " AND a.source = 'wire'"
    ).fetchall()
    assert [r["url"] for r in wire_story] == [url[0]]


def test_a_copy_waiting_on_a_merge_joins_the_surviving_story(db_url):
    """A copy of the younger story stored while a merge is in flight ends in the older one."""
    with db.connect(db_url) as setup:
        lede = store(setup, "herald", "lede", first_words(WIRE, 170))
        top = store(setup, "gazette", "top", rewritten_top(WIRE), minutes=5)
    with (
        db.connect(db_url) as merging,
        db.connect(db_url) as copying,
        db.connect(db_url, autocommit=True) as observer,
    ):
        outcome: dict[str, Any] = {}

        def store_copy() -> None:
            try:
                outcome["result"] = store_article(
                    copying, item("post", "top-copy", rewritten_top(WIRE), minutes=20)
                )
                copying.commit()
            except BaseException as exc:  # surfaced by the assertion below
                outcome["error"] = exc

        with merging.transaction():
            store_article(merging, item("wire", "original", WIRE, minutes=10))
            worker = threading.Thread(target=store_copy)
            worker.start()
            deadline = time.monotonic() + 10
            while not _waiting(observer, copying.info.backend_pid):
                assert time.monotonic() < deadline, "the copy never waited"
                time.sleep(0.02)
        worker.join(10)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["result"].story_id == lede.story_id
        merged = observer.execute(Q.story_by_id, {"story_id": top.story_id}).fetchone()
        assert merged["merged_into"] == lede.story_id and merged["copy_count"] == 0
        counts = observer.execute(
            "SELECT s.id, s.copy_count, (SELECT count(*) FROM story_copies c"
            " WHERE c.story_id = s.id) AS actual FROM stories s"
        ).fetchall()
        assert all(r["copy_count"] == r["actual"] for r in counts)


def test_a_copy_of_a_story_merged_after_its_lookup_joins_the_live_story(conn, monkeypatch):
    """The lookup named a story that a merge (committed while this copy waited) folded away."""
    lede = store(conn, "herald", "lede", first_words(WIRE, 170))
    top = store(conn, "gazette", "top", rewritten_top(WIRE), minutes=5)
    copy = item("post", "top-copy", rewritten_top(WIRE), minutes=20)
    with conn.transaction():
        article_id = conn.execute(Q.upsert_article, article_params(copy, None)).fetchone()["id"]
        stale = stories._lookup(conn, article_id, list(fingerprint(copy["text"]).band_keys))
        conn.execute("DELETE FROM articles WHERE id = %s", (article_id,))
    assert {row["story_id"] for row in stale[1]} == {top.story_id}
    store(conn, "wire", "original", WIRE, minutes=10)  # merges top into lede
    monkeypatch.setattr(stories.Lookup, "result", lambda self: stale)
    result = store_article(conn, copy)
    conn.commit()
    assert result.story_id == lede.story_id
    assert story(conn, lede.story_id)["copy_count"] == 4
    assert story(conn, top.story_id)["copy_count"] == 0


def _waiting(conn: psycopg.Connection, pid: int) -> bool:
    row = conn.execute(
        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)
    ).fetchone()
    return row is not None and row["wait_event_type"] == "Lock"


def test_an_edited_article_that_now_bridges_two_stories_merges_them(conn):
    lede = store(conn, "herald", "lede", first_words(WIRE, 170))
    top = store(conn, "gazette", "top", rewritten_top(WIRE), minutes=5)
    unrelated = store(conn, "post", "page", article(604), minutes=10)
    edited = store(conn, "post", "page", WIRE, minutes=10)  # the page now carries the story
    assert edited.story_id == lede.story_id
    assert story(conn, top.story_id)["merged_into"] == lede.story_id
    assert story(conn, unrelated.story_id)["merged_into"] == lede.story_id  # its only copy left
    assert story(conn, lede.story_id)["copy_count"] == 3


# --- the real pages ----------------------------------------------------------------------


def real_bodies(shared_dir: Path, count: int) -> list[str]:
    manifest = json.loads((shared_dir / "fixtures/real/manifest.json").read_text("utf-8"))
    bodies = []
    for page in manifest["pages"]:
        truth = json.loads((shared_dir / "fixtures/real" / page["ground_truth"]).read_text("utf-8"))
        body = truth.get("body") or ""
        if len(body.split()) >= 700:
            bodies.append(body)
    return bodies[:count]


def test_real_articles_and_their_hard_copies_make_the_same_stories_in_both_paths(conn, shared_dir):
    docs, truth = [], []
    for n, body in enumerate(real_bodies(shared_dir, 6)):
        for kind, text in enumerate(
            [first_words(body, 170), rewritten_top(body), escaped(trimmed(body, 0.5)),
             reordered(body, seed=n), body]
        ):  # fmt: skip
            docs.append((f"r{n}-{kind}", text))
            truth.append(n)
    for minutes, (slug, text) in enumerate(docs):  # each original after its copies
        store(conn, ["herald", "gazette", "post"][minutes % 3], slug, text, minutes=minutes)
    by_slug = {
        r["url"].rsplit("/", 1)[1]: r["story_id"]
        for r in conn.execute(
            "SELECT a.url, c.story_id FROM story_copies c JOIN articles a ON a.id = c.article_id"
        )
    }
    stored = [by_slug[slug] for slug, _ in docs]
    roots = cluster([text for _, text in docs]).tolist()
    for n in range(len(docs)):
        for m in range(n):
            same = truth[n] == truth[m]
            assert (stored[n] == stored[m]) == same, (docs[n][0], docs[m][0])
            assert (roots[n] == roots[m]) == same, (docs[n][0], docs[m][0])


# --- wirewatch dedupe --rebuild-index ------------------------------------------------------


def _as_version_1(conn: psycopg.Connection, article_id: int) -> None:
    """What the index held before: other keys, an older version."""
    old = [int(k) for k in np.random.default_rng(article_id).integers(-(2**62), 2**62, 19)]
    conn.execute("DELETE FROM lsh_bands WHERE article_id = %s", (article_id,))
    conn.execute(
        "INSERT INTO lsh_bands (band_key, article_id) SELECT k, %s FROM unnest(%s::bigint[]) k",
        (article_id, old),
    )
    conn.execute(
        "UPDATE story_copies SET band_keys = %s, fingerprint_version = 1 WHERE article_id = %s",
        (old, article_id),
    )


def test_rebuilding_the_index_refingerprints_every_copy_and_merges_what_it_now_finds(conn):
    texts = [WIRE, first_words(WIRE, 170), article(605), trimmed(article(605), 0.5)]
    ids = []
    for n, text in enumerate(texts):
        # Stored as version 1 left them: the excerpt in a story of its own.
        result = store(conn, SOURCES[n][0], f"a{n}", text, minutes=n)
        ids.append(result.article_id)
    conn.execute("UPDATE articles SET text = '' WHERE id = %s", (ids[3],))  # pruned since
    excerpt_story = conn.execute(
        "INSERT INTO stories (canonical_article_id, title) VALUES (%s, 'x') RETURNING id",
        (ids[1],),
    ).fetchone()["id"]
    conn.execute(
        "UPDATE story_copies SET story_id = %s WHERE article_id = %s", (excerpt_story, ids[1])
    )
    conn.execute("UPDATE stories SET copy_count = 1 WHERE id = %s", (story_id_of(conn, ids[0]),))
    for article_id in ids:
        _as_version_1(conn, article_id)
    conn.commit()
    conn.autocommit = True
    seen = []
    report = stories.rebuild_index(conn, batch_size=2, progress=seen.append)
    assert (report.done, report.stale, report.pruned) == (3, 3, 1)
    assert [p.done for p in seen] == [2, 3]
    assert report.merged == 1  # the excerpt's story found its original
    assert story_id_of(conn, ids[1]) == story_id_of(conn, ids[0])
    for article_id, text in zip(ids[:3], texts[:3], strict=True):
        row = conn.execute(
            "SELECT band_keys, fingerprint_version FROM story_copies WHERE article_id = %s",
            (article_id,),
        ).fetchone()
        assert row["fingerprint_version"] == VERSION
        assert row["band_keys"] == list(fingerprint(text).band_keys)
        stored = {r["band_key"] for r in conn.execute(
            "SELECT band_key FROM lsh_bands WHERE article_id = %s", (article_id,))}  # fmt: skip
        assert stored == set(fingerprint(text).band_keys)
    # The pruned copy cannot be re-fingerprinted: it keeps its story and old version.
    assert (
        conn.execute(
            "SELECT fingerprint_version FROM story_copies WHERE article_id = %s", (ids[3],)
        ).fetchone()["fingerprint_version"]
        == 1
    )
    # Nothing left: a second run does nothing.
    assert stories.rebuild_index(conn).done == 0


def story_id_of(conn: psycopg.Connection, article_id: int) -> int:
    return conn.execute(
        "SELECT story_id FROM story_copies WHERE article_id = %s", (article_id,)
    ).fetchone()["story_id"]


def test_an_interrupted_rebuild_resumes_where_it_stopped(conn):
    ids = [store(conn, "herald", f"s{n}", article(620 + n)).article_id for n in range(5)]
    for article_id in ids:
        _as_version_1(conn, article_id)
    conn.commit()
    conn.autocommit = True

    def stop_after_first_batch(progress: stories.RebuildProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stories.rebuild_index(conn, batch_size=2, progress=stop_after_first_batch)
    resumed = stories.rebuild_index(conn, batch_size=2)
    assert (resumed.stale, resumed.done) == (3, 3)
    versions = conn.execute("SELECT DISTINCT fingerprint_version AS v FROM story_copies")
    assert [r["v"] for r in versions] == [VERSION]


def _version_2_keys(text: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The keys version 2 stored for a text: its exact key, the bands and up to 10 anchors.

    (Version 2 took the first 10 anchors before dropping repeats; the same
    for these texts, whose ledes repeat no phrase.)
    """
    shingled = Shingled(text)
    with monkeypatch.context() as patch:
        patch.setattr(fp, "MAX_ANCHORS", 10)
        anchors = fp.anchor_keys(shingled.shingles, shingled.quoted_flags).tolist()
    bands = fp.band_keys_of(fp.minhash(shingled.shingles)).tolist()
    return list(dict.fromkeys([shingled.exact, *bands, *anchors]))


def _as_version_2(conn: psycopg.Connection, article_id: int, keys: list[int]) -> None:
    conn.execute("DELETE FROM lsh_bands WHERE article_id = %s", (article_id,))
    conn.execute(
        "INSERT INTO lsh_bands (band_key, article_id) SELECT k, %s FROM unnest(%s::bigint[]) k",
        (article_id, keys),
    )
    conn.execute(
        "UPDATE story_copies SET band_keys = %s, fingerprint_version = 2 WHERE article_id = %s",
        (keys, article_id),
    )


def test_an_index_of_version_2_keeps_finding_copies_until_it_is_rebuilt(conn, monkeypatch):
    """Version 3 keys are among version 2's (so are version 4's of a text without page
    furniture, as these), so copies are found before the rebuild too."""
    assert VERSION == 4
    wire = store(conn, "wire", "original", WIRE)
    other = store(conn, "herald", "other", article(640))
    old_keys = {}
    for result, text in ((wire, WIRE), (other, article(640))):
        old_keys[result.article_id] = _version_2_keys(text, monkeypatch)
        assert set(fingerprint(text).band_keys) < set(old_keys[result.article_id])
        _as_version_2(conn, result.article_id, old_keys[result.article_id])
    conn.commit()
    # Only a lede anchor links the excerpt to its original: no band is shared.
    lede = first_words(WIRE, 70)
    bands = fp.band_keys_of(fp.minhash(Shingled(lede).shingles)).tolist()
    assert not set(bands) & set(old_keys[wire.article_id])
    excerpt = store(conn, "gazette", "excerpt", lede, minutes=5)
    full_copy = store(conn, "post", "copy", trimmed(article(640), 0.7), minutes=5)
    assert excerpt.story_id == wire.story_id
    assert full_copy.story_id == other.story_id
    conn.autocommit = True
    report = stories.rebuild_index(conn)
    assert (report.done, report.stale, report.merged) == (2, 2, 0)
    for article_id, text in ((wire.article_id, WIRE), (other.article_id, article(640))):
        stored = {r["band_key"] for r in conn.execute(
            "SELECT band_key FROM lsh_bands WHERE article_id = %s", (article_id,))}  # fmt: skip
        assert stored == set(fingerprint(text).band_keys)  # the extra rows are gone
        assert len(stored) < len(old_keys[article_id])
    assert live_partition(conn) == {
        frozenset({"https://wire.example/news/original", "https://gazette.example/news/excerpt"}),
        frozenset({"https://herald.example/news/other", "https://post.example/news/copy"}),
    }
    assert store(conn, "herald", "late-excerpt", first_words(WIRE, 60)).story_id == wire.story_id


def test_rebuild_index_command_reports_progress(db_url, conn, capsys):
    from wirewatch.crawler.cli import main

    for n in range(3):
        _as_version_1(conn, store(conn, "herald", f"c{n}", article(630 + n)).article_id)
    conn.commit()
    assert main(["dedupe", "--rebuild-index", "--batch-size", "2"]) == 0
    out, err = capsys.readouterr()
    assert "re-fingerprinted 3 of 3 copies" in out
    assert "rebuild-index: 2/3" in err and "rebuild-index: 3/3" in err
    assert main(["dedupe", "--rebuild-index"]) == 0
    assert "re-fingerprinted 0 of 0 copies" in capsys.readouterr().out


def test_rebuild_index_and_a_file_are_exclusive(capsys):
    from wirewatch.crawler.cli import main

    assert main(["dedupe"]) == 2
    assert main(["dedupe", "x.jsonl", "--rebuild-index"]) == 2
    assert "FILE or --rebuild-index" in capsys.readouterr().err

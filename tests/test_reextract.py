"""`wirewatch reextract` (issue 17): stored articles extracted again from the archive, no
network; a changed text is the next revision; interrupted runs resume; nothing twice."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.archive import (
    PAGES,
    articles,
    crawled_newsroom,
    cut_last_record,
    page,
    revisions,
)
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.writer import ArchiveWriter, Fetched
from wirewatch.pipelines.article import EXTRACTED
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.extraction import extract_in_worker
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.reextract import (
    CHANGED,
    UNCHANGED,
    UNREADABLE,
    ReextractOptions,
    Reextractor,
    lock_id,
    reextract,
    selection_key,
)
from wirewatch.pipelines.storage import store_article

OUTDATED = "Text an older extractor kept, footer and all. Subscribe to our newsletter today."


def outdate(conn: psycopg.Connection, article_id: int) -> None:
    """Make the stored text, and its revision, one an older extractor would have kept."""
    conn.execute(
        "UPDATE articles SET text = %s, content_hash = 'outdated' WHERE id = %s",
        (OUTDATED, article_id),
    )
    conn.execute(
        "UPDATE article_revisions SET text = %s WHERE article_id = %s", (OUTDATED, article_id)
    )


def reextract_cli(config: Path, *args: str) -> str:
    done = run_wirewatch("--config", str(config), "reextract", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def runs(db_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT * FROM wirewatch.reextract_runs").fetchall()


def test_reextract_of_a_crawled_archive_changes_what_differs_and_dry_run_nothing(
    tmp_path: Path, db_url: str
) -> None:
    archive = tmp_path / "archive"
    config = crawled_newsroom(tmp_path, archive)
    before = articles(db_url)

    out = reextract_cli(config)
    assert f"re-extracted {PAGES} of {PAGES} archived articles" in out
    assert "changed (new revisions): 0" in out and f"unchanged: {PAGES}" in out
    assert "missing archive (file pruned, or record damaged): 0" in out
    assert articles(db_url) == before
    assert len(revisions(db_url)) == PAGES

    target = before[2]
    with db.connect(db_url, autocommit=True) as conn:
        outdate(conn, target["id"])
    checkpoints = runs(db_url)
    out = reextract_cli(config, "--dry-run")
    assert "would change: 1" in out and "dry run, nothing written" in out
    assert [r["text"] for r in articles(db_url) if r["id"] == target["id"]] == [OUTDATED]
    assert len(revisions(db_url)) == PAGES and runs(db_url) == checkpoints

    out = reextract_cli(config)
    assert "changed (new revisions): 1" in out and f"unchanged: {PAGES - 1}" in out
    [after] = [r for r in articles(db_url) if r["id"] == target["id"]]
    assert after["text"] == target["text"] and after["content_hash"] == target["content_hash"]
    assert after["warc_offset"] == target["warc_offset"]  # still its page
    edits = [r for r in revisions(db_url) if r["article_id"] == target["id"]]
    assert [r["revision"] for r in edits] == [1, 2]
    assert edits[1]["text"] == target["text"]
    with psycopg.connect(db_url) as conn:
        kinds = conn.execute(
            "SELECT kind FROM wirewatch.feed_changes WHERE article_id = %s AND kind = 'revision'",
            (target["id"],),
        ).fetchall()
    assert len(kinds) == 1


# -- in process: an archive written and stored as a crawl would ---------------------------------


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        connection.execute(
            Q.upsert_source,
            {
                "name": "gazette",
                "kind": "section",
                "urls": ["https://gazette.example/world/"],
                "wire": False,
                "schedule": None,
                "settings": "{}",
            },
        )
        yield connection


def archive_and_store(
    conn: psycopg.Connection, root: Path, count: int, *, start: int = 0
) -> list[int]:
    """Pages ``start`` to ``start + count - 1`` archived by one writer and stored from their
    extraction, as a crawl does; their article ids."""
    writer = ArchiveWriter(root, "gazette", None, max_bytes=1 << 30)
    fetched_at = datetime.now(UTC) - timedelta(hours=1)
    ids = []
    for n in range(start, start + count):
        url = f"https://gazette.example/news/{n}.html"
        body = page(n % PAGES).encode()
        pointer = writer.write(Fetched(url=url, status=200, body=body, encoding="utf-8"))
        result = extract_in_worker(body, url, "utf-8", None)
        article = {name: result[name] for name in EXTRACTED}
        article.update(
            url=url,
            source="gazette",
            outlet="gazette.example",
            fetched_at=fetched_at + timedelta(seconds=n),
            fingerprint=result["fingerprint"],
            warc_file=pointer.file,
            warc_offset=pointer.offset,
            warc_length=pointer.length,
        )
        ids.append(store_article(conn, article).article_id)
    writer.close()
    return ids


def test_an_unreadable_page_is_counted_as_missing_with_a_message(
    tmp_path: Path, conn: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    ids = archive_and_store(conn, tmp_path, 4)
    [name] = {r["warc_file"] for r in conn.execute("SELECT warc_file FROM articles")}
    cut_last_record(tmp_path / name)  # killed mid-write, and the row said otherwise
    pruned = archive_and_store(conn, tmp_path / "elsewhere", 1, start=4)  # removed by hand
    conn.execute(
        "UPDATE articles SET warc_file = 'gazette/gone.warc.gz' WHERE id = %s", (pruned[0],)
    )
    caplog.set_level(logging.WARNING, logger="wirewatch.pipelines.reextract")
    report = reextract(tmp_path, ReextractOptions(jobs=1))
    assert report.counts == {UNCHANGED: 3, UNREADABLE: 2}
    assert report.reextracted == 3
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "record_damaged" in messages and "the file ends inside the record" in messages
    assert "file_missing" in messages and "gone.warc.gz" in messages
    texts = conn.execute("SELECT id, text FROM articles ORDER BY id").fetchall()
    assert all(r["text"] for r in texts) and len(texts) == len(ids) + 1


def test_an_interrupted_run_resumes_and_handles_each_article_once(
    tmp_path: Path, conn: psycopg.Connection
) -> None:
    ids = archive_and_store(conn, tmp_path, 12)
    outdated = ids[::2]
    for article_id in outdated:
        outdate(conn, article_id)
    handled: list[str] = []

    def interrupt_after_seven(kind: str) -> None:
        handled.append(kind)
        if len(handled) == 7:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Reextractor(tmp_path, ReextractOptions(jobs=1), on_article=interrupt_after_seven).run()
    assert handled.count(CHANGED) == 4
    [stopped] = conn.execute("SELECT * FROM reextract_runs").fetchall()
    assert stopped["finished_at"] is None and stopped["after_id"] >= ids[6]

    report = reextract(tmp_path, ReextractOptions(jobs=1))
    assert report.resumed_at > 0 and report.handled == len(ids) - report.resumed_at
    assert report.counts == {CHANGED: len(outdated), UNCHANGED: len(ids) - len(outdated)}
    per_article = conn.execute(
        "SELECT article_id, count(*) AS n FROM article_revisions GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert {r["article_id"]: r["n"] for r in per_article} == {
        i: 2 if i in outdated else 1 for i in ids
    }
    assert (
        conn.execute("SELECT count(*) AS n FROM articles WHERE text = %s", (OUTDATED,)).fetchone()[
            "n"
        ]
        == 0
    )
    [done] = conn.execute("SELECT * FROM reextract_runs").fetchall()
    assert done["finished_at"] is not None

    again = reextract(tmp_path, ReextractOptions(jobs=1))  # finished: the next run begins anew
    assert (again.resumed_at, again.counts) == (0, {UNCHANGED: len(ids)})


def test_since_and_source_narrow_the_selection_and_pruned_bodies_stay_pruned(
    tmp_path: Path, conn: psycopg.Connection
) -> None:
    ids = archive_and_store(conn, tmp_path, 6)
    for article_id in ids:
        outdate(conn, article_id)
    conn.execute(
        "UPDATE articles SET fetched_at = now() - interval '30 days' WHERE id = ANY(%s)", (ids[:2],)
    )
    conn.execute("UPDATE articles SET pruned_at = now() WHERE id = %s", (ids[2],))
    report = reextract(tmp_path, ReextractOptions(since=timedelta(days=7), dry_run=True, jobs=1))
    assert report.counts == {CHANGED: 3} and report.archived == 3
    assert reextract(tmp_path, ReextractOptions(source="other", jobs=1)).archived == 0
    report = reextract(tmp_path, ReextractOptions(since=timedelta(days=7), jobs=1))
    assert report.counts == {CHANGED: 3}
    rows = {r["id"]: r["text"] for r in conn.execute("SELECT id, text FROM articles")}
    assert [rows[i] == OUTDATED for i in ids] == [True, True, True, False, False, False]


def test_one_run_of_a_selection_at_a_time(
    tmp_path: Path, conn: psycopg.Connection, db_url: str
) -> None:
    archive_and_store(conn, tmp_path, 1)
    key = selection_key(None, None)
    with db.connect(db_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (lock_id(key),))
        with pytest.raises(UsageError, match="another reextract of this selection"):
            reextract(tmp_path, ReextractOptions(jobs=1))
    assert reextract(tmp_path, ReextractOptions(jobs=1)).counts == {UNCHANGED: 1}


def test_kill_9_mid_run_then_the_next_run_finishes_storing_each_change_once(
    tmp_path: Path, conn: psycopg.Connection
) -> None:
    ids = archive_and_store(conn, tmp_path, 120)
    for article_id in ids:
        outdate(conn, article_id)
    config = tmp_path / "wirewatch.toml"
    config.write_text(f'[archive]\ndir = "{tmp_path}"\n')
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirewatch.crawler.cli",
            "--config",
            str(config),
            "reextract",
            "--jobs",
            "1",
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = conn.execute("SELECT after_id, finished_at FROM reextract_runs").fetchone()
            if row is not None and row["after_id"] >= ids[10]:
                break
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    stopped = conn.execute("SELECT after_id, finished_at FROM reextract_runs").fetchone()
    assert stopped["finished_at"] is None and ids[10] <= stopped["after_id"] < ids[-1]

    out = reextract_cli(config, "--jobs", "1")
    assert "resuming after" in out
    assert f"changed (new revisions): {len(ids)}" in out and "unchanged: 0" in out
    per_article = conn.execute(
        "SELECT article_id, count(*) AS n FROM article_revisions GROUP BY 1"
    ).fetchall()
    assert {r["article_id"]: r["n"] for r in per_article} == dict.fromkeys(ids, 2)
    changes = conn.execute("SELECT count(*) AS n FROM feed_changes WHERE kind = 'revision'")
    assert changes.fetchone()["n"] == len(ids)

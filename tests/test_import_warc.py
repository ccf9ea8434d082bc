"""wirewatch import-warc: archived pages through the crawl's pipeline, resumable and shareable."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from demo.generated import GeneratedNewsroom
from demo.warcs import article_url, odd_records, write_articles, write_newsroom_warcs
from tests.conftest import run_wirewatch
from tests.support.alerts import outbox, subscribe
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines.warc_import import (
    Captured,
    ImportOptions,
    article_from,
    file_key,
    in_window,
    language_matches,
    lock_id,
    parse_when,
    screen,
)
from wirewatch.pipelines.warc_reader import CORRUPT, TRUNCATED, read_records

ROOM = GeneratedNewsroom(48, n_outlets=3, wire_share=0.45, seed=3)


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def _one(conn: psycopg.Connection, sql: str) -> int:
    value = conn.execute(sql).fetchone()
    conn.commit()
    return next(iter(value.values()))


def _stories_match_truth(conn: psycopg.Connection, room: GeneratedNewsroom) -> None:
    """Every page stored once; copies of one wire story share a story, nothing else does."""
    rows = conn.execute(
        "SELECT a.url, c.story_id FROM articles a JOIN story_copies c ON c.article_id = a.id"
    ).fetchall()
    conn.commit()
    expected = {article_url(room, i): room.story_id(i) for i in range(room.n_articles)}
    assert sorted(r["url"] for r in rows) == sorted(expected)
    ours_by_truth: dict[str, set[int]] = {}
    for row in rows:
        ours_by_truth.setdefault(expected[row["url"]], set()).add(row["story_id"])
    assert all(len(ids) == 1 for ids in ours_by_truth.values())
    assert len({r["story_id"] for r in rows}) == room.stats()["stories"]


# -- pure parts ---------------------------------------------------------------------------


def _record(body: bytes, **kwargs: object):
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=False)
    headers = [("Content-Type", kwargs.pop("content_type", "text/html; charset=iso-8859-1"))]
    http = StatusAndHeaders(str(kwargs.pop("status", "200 OK")), headers, protocol="HTTP/1.1")
    writer.write_record(
        writer.create_warc_record(
            str(kwargs.pop("url", "https://news.example/a/1")),
            "response",
            payload=io.BytesIO(body),
            http_headers=http,
            warc_headers_dict={"WARC-Date": "2026-05-02T10:00:00Z"},
        )
    )
    buffer.seek(0)
    from warcio.archiveiterator import ArchiveIterator

    return next(iter(ArchiveIterator(buffer)))


def test_screen_keeps_html_pages_and_names_what_it_skips() -> None:
    page = screen(_record(b"<html><body>hi</body></html>"), ImportOptions())
    assert isinstance(page, Captured)
    assert page.encoding == "iso-8859-1"
    assert page.captured == datetime(2026, 5, 2, 10, tzinfo=UTC)
    assert screen(_record(b"x", status="404 Not Found"), ImportOptions()) == "not_200"
    assert screen(_record(b"x", content_type="application/pdf"), ImportOptions()) == "not_html"
    assert screen(_record(b"x", url="ftp://news.example/a"), ImportOptions()) == "bad_url"
    filtered = ImportOptions(url_filter=re.compile(r"/b/"))
    assert screen(_record(b"<html>"), filtered) == "filtered_url"
    late = ImportOptions(since=datetime(2026, 6, 1, tzinfo=UTC))
    assert screen(_record(b"<html>"), late) == "filtered_date"
    small = ImportOptions(max_record_bytes=100)
    assert screen(_record(b"<html>" + b"x" * 200), small) == "too_large"


def test_filters_after_extraction() -> None:
    page = Captured("https://news.example/a/1", b"", None, datetime(2026, 5, 2, tzinfo=UTC))
    result = {"text": "words " * 100, "language": "en-GB", "published": None, "reason": None}
    assert isinstance(article_from(result, page, ImportOptions(language="en")), dict)
    assert article_from(result, page, ImportOptions(language="de")) == "filtered_lang"
    june = ImportOptions(since=datetime(2026, 6, 1, tzinfo=UTC))
    assert article_from(result, page, june) == "filtered_date"
    assert article_from({"reason": "paywall"}, page, ImportOptions()) == "paywall"
    article = article_from(result, page, ImportOptions(source="backfill"))
    assert isinstance(article, dict)
    assert article["outlet"] == "news.example" and article["source"] == "backfill"
    assert article["fetched_at"] == page.captured
    assert language_matches("en_US", "en") and not language_matches(None, "en")
    assert in_window(None, None, None) and not in_window(None, page.captured, None)


def test_dates_and_lock_ids() -> None:
    assert parse_when("2026-05-01") == datetime(2026, 5, 1, tzinfo=UTC)
    assert parse_when("2026-05-01", end_of_day=True).hour == 23
    now = datetime(2026, 5, 31, tzinfo=UTC)
    assert parse_when("30d", now=now) == datetime(2026, 5, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="bad date"):
        parse_when("last tuesday")
    assert lock_id("a.warc.gz:10") == lock_id("a.warc.gz:10") != lock_id("b.warc.gz:10")
    assert -(2**63) <= lock_id("x") < 2**63


def test_file_key_is_name_and_size_for_files(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    a = tmp_path / "one" / "cc.warc.gz"
    a.write_bytes(b"12345")
    assert file_key(str(a)) == "cc.warc.gz:5"
    assert file_key("https://data.example/cc.warc.gz") == "https://data.example/cc.warc.gz"
    assert file_key("-") is None


# -- reading damaged files ------------------------------------------------------------------


def _newsroom_file(tmp_path: Path, ids: range, gzipped: bool = True) -> Path:
    path = tmp_path / f"part.warc{'.gz' if gzipped else ''}"
    with open(path, "wb") as out:
        write_articles(ROOM, ids, out, gzip=gzipped)
    return path


def _urls(path: Path, offset: int = 0) -> list[object]:
    def handle(record):
        return record.rec_headers.get_header("WARC-Target-URI")

    return [read.outcome for read in read_records(str(path), handle, offset=offset)]


def test_a_corrupt_gzip_member_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    path = _newsroom_file(tmp_path, range(6))
    offsets = [r.next_offset for r in read_records(str(path), lambda record: None)]
    data = bytearray(path.read_bytes())
    start, end = offsets[1], offsets[2]  # the third record's gzip member
    for i in range(start + 40, min(end, start + 120)):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    outcomes = _urls(path)
    assert outcomes.count(CORRUPT) == 1
    assert outcomes[:2] == [article_url(ROOM, 0), article_url(ROOM, 1)]
    assert outcomes[-3:] == [article_url(ROOM, i) for i in (3, 4, 5)]


def test_a_truncated_end_is_reported_once(tmp_path: Path) -> None:
    for gzipped in (True, False):
        path = _newsroom_file(tmp_path, range(4), gzipped)
        path.write_bytes(path.read_bytes()[:-300])
        outcomes = _urls(path)
        assert outcomes[:3] == [article_url(ROOM, i) for i in range(3)]
        assert outcomes[3:] == [TRUNCATED], gzipped


def test_reading_resumes_at_a_checkpointed_offset(tmp_path: Path) -> None:
    for gzipped in (True, False):
        path = _newsroom_file(tmp_path, range(5), gzipped)
        reads = list(read_records(str(path), lambda record: None))
        assert [r.ordinal for r in reads] == [1, 2, 3, 4, 5]
        assert reads[-1].next_offset == path.stat().st_size
        assert _urls(path, offset=reads[1].next_offset) == [article_url(ROOM, i) for i in (2, 3, 4)]


# -- end to end -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def newsroom_warcs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("warcs")
    paths = write_newsroom_warcs(ROOM, directory, files=3, with_requests=True)
    odd = directory / "odd.warc.gz"
    with open(odd, "wb") as out:
        odd_records(out)
    return [*paths, odd]


def test_import_folds_copies_skips_bad_records_and_sends_no_alerts(
    db_url: str, conn: psycopg.Connection, newsroom_warcs: list[Path]
) -> None:
    subscription = subscribe(conn, "title:plan")
    result = run_wirewatch("import-warc", "--json", *map(str, newsroom_warcs))
    summary = _json(result)
    counts = summary["counts"]
    assert counts.pop("stored_new") == ROOM.n_articles
    assert counts == {
        "not_response": ROOM.n_articles + 2,  # each page's request record, and the odd ones
        "revisit": 1,
        "not_html": 1,
        "not_200": 1,
        "too_large": 1,
        "no_target_uri": 1,
    }
    assert [f["state"] for f in summary["files"]] == ["imported"] * 4
    _stories_match_truth(conn, ROOM)
    assert _one(conn, "SELECT count(DISTINCT source) FROM articles WHERE source = 'import'") == 1
    assert _one(conn, "SELECT kind FROM sources WHERE name = 'import'") == "import"
    assert _one(conn, "SELECT count(DISTINCT outlet) FROM articles") == 1 + 3
    assert (
        _one(conn, "SELECT count(*) FROM feed_changes WHERE kind = 'story'")
        == ROOM.stats()["stories"]
    )
    assert outbox(conn, subscription) == []
    # The same list again: every file is done, nothing is read or stored twice.
    again = _json(run_wirewatch("import-warc", "--json", *map(str, newsroom_warcs)))
    assert again["counts"] == {}
    assert [f["state"] for f in again["files"]] == ["already_done"] * 4


def test_alerts_only_when_asked(
    db_url: str, conn: psycopg.Connection, newsroom_warcs: list[Path]
) -> None:
    subscription = subscribe(conn, "title:plan")
    _json(run_wirewatch("import-warc", "--json", "--alerts", str(newsroom_warcs[0])))
    queued = outbox(conn, subscription)
    assert queued and len(queued) == _one(conn, "SELECT count(*) FROM stories")


def test_filters_source_and_summary_table(
    db_url: str, conn: psycopg.Connection, newsroom_warcs: list[Path]
) -> None:
    result = run_wirewatch(
        "import-warc", "--source", "archive", "--url-filter", r"//wire\.", str(newsroom_warcs[0])
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^stored_new\s+\d+$", result.stdout, re.M)
    assert re.search(r"^filtered_url\s+\d+$", result.stdout, re.M)
    assert "pages/s" in result.stdout
    outlets = {r["outlet"] for r in conn.execute("SELECT DISTINCT outlet FROM articles")}
    assert outlets == {"wire.example"}
    assert _one(conn, "SELECT count(*) FROM articles WHERE source <> 'archive'") == 0
    bad = run_wirewatch("import-warc", "--since", "someday", str(newsroom_warcs[0]))
    assert bad.returncode == 2 and "bad date" in bad.stderr


def test_stdin_and_url(db_url: str, conn: psycopg.Connection, newsroom_warcs: list[Path]) -> None:
    first = newsroom_warcs[0]
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "import-warc", "--json", "-"],
        input=first.read_bytes(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    stored = json.loads(result.stdout)["counts"]["stored_new"]
    with FixtureServer() as server:
        server.route("/cc.warc.gz", raw(newsroom_warcs[1].read_bytes(), "application/gzip"))
        summary = _json(run_wirewatch("import-warc", "--json", server.url("/cc.warc.gz")))
    assert summary["files"][0]["state"] == "imported"
    total = stored + summary["counts"]["stored_new"]
    assert _one(conn, "SELECT count(*) FROM articles") == total


def test_a_gzip_whole_file_and_a_missing_file(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    plain = _newsroom_file(tmp_path, range(4), gzipped=False)
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain.read_bytes()))
    missing = tmp_path / "nope.warc.gz"
    result = run_wirewatch("import-warc", "--json", str(missing), str(whole), str(plain))
    assert result.returncode == 1
    files = {Path(f["location"]).name: f for f in json.loads(result.stdout)["files"]}
    assert files["nope.warc.gz"]["state"] == "failed"
    assert files["whole.warc.gz"]["state"] == "failed"
    assert "zcat" in files["whole.warc.gz"]["message"]
    assert files["part.warc"]["state"] == "imported"
    assert _one(conn, "SELECT count(*) FROM articles") == 4


# -- shared and resumed ---------------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.mark.slow
def test_two_importers_share_a_file_list(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    room = GeneratedNewsroom(360, n_outlets=4, wire_share=0.45, seed=5)
    paths = [str(p) for p in write_newsroom_warcs(room, tmp_path, files=12)]
    workers = [_spawn("import-warc", "--json", "--jobs", "1", *paths) for _ in range(2)]
    summaries = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
        summaries.append(json.loads(out))
    mine = [{f["location"] for f in s["files"] if f["state"] == "imported"} for s in summaries]
    assert mine[0].isdisjoint(mine[1])
    assert mine[0] | mine[1] == set(paths)
    assert all(mine), "each importer took some of the files"
    assert sum(s["counts"].get("stored_new", 0) for s in summaries) == room.n_articles
    assert sum(sum(s["counts"].values()) for s in summaries) == room.n_articles
    _stories_match_truth(conn, room)


@pytest.mark.slow
def test_an_interrupted_import_resumes_where_it_stopped(
    db_url: str, conn: psycopg.Connection, tmp_path: Path
) -> None:
    room = GeneratedNewsroom(160, n_outlets=3, wire_share=0.45, seed=7)
    (path,) = write_newsroom_warcs(room, tmp_path, files=1)
    worker = _spawn("import-warc", "--json", "--jobs", "1", "--checkpoint-every", "7", str(path))
    deadline = time.monotonic() + 300
    stored = 0
    while time.monotonic() < deadline and stored < 20:
        time.sleep(0.2)
        stored = _one(conn, "SELECT count(*) FROM articles")
        assert worker.poll() is None, worker.communicate()[1][-3000:]
    worker.send_signal(signal.SIGKILL)
    worker.communicate()
    state = conn.execute("SELECT * FROM warc_imports").fetchone()
    conn.commit()
    assert state["status"] == "working" and 0 < state["next_offset"] < path.stat().st_size
    assert sum(state["counts"].values()) == state["records_done"] > 0
    # Stored = covered by the checkpoint + marked past it (writers commit out of order).
    stored_before = _one(conn, "SELECT count(*) FROM articles")
    marked = _one(conn, "SELECT count(*) FROM warc_import_records")
    assert stored_before == state["counts"]["stored_new"] + marked
    summary = _json(run_wirewatch("import-warc", "--json", str(path), timeout=600))
    assert summary["files"][0]["state"] == "imported"
    totals = Counter(summary["files"][0]["counts"])
    # Each record handled once over both runs: stored new once, never "unchanged".
    assert totals == Counter({"stored_new": room.n_articles})
    assert summary["counts"] == {"stored_new": room.n_articles - stored_before}
    assert _one(conn, "SELECT count(*) FROM warc_import_records") == 0
    _stories_match_truth(conn, room)
    done = conn.execute("SELECT status, records_done FROM warc_imports").fetchone()
    assert done == {"status": "done", "records_done": room.n_articles}


def test_paths_file(tmp_path: Path) -> None:
    from wirewatch.pipelines.warc_reader import read_paths_file

    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"a.warc.gz\n\n# comment\nhttps://x.example/b.warc.gz\n"))
    assert read_paths_file(str(listing)) == ["a.warc.gz", "https://x.example/b.warc.gz"]
    from wirewatch.crawler.commands.import_warc import with_prefix

    cc = "crawl-data/CC-NEWS/2026/11/CC-NEWS-20261101.warc.gz"
    assert with_prefix(cc, "https://data.example/") == f"https://data.example/{cc}"
    assert with_prefix("https://x.example/b.warc.gz", "https://data.example") == (
        "https://x.example/b.warc.gz"
    )
    assert with_prefix(cc, None) == cc

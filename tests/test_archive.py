"""The raw-page archive (issue 17): fetched pages kept as WARC, each article pointing at its
record; files that survive kill -9; pruning old files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_wirewatch
from tests.support.archive import (
    PAGES,
    articles,
    crawl,
    crawled_newsroom,
    cut_last_record,
    page,
    records,
    serve,
    warc_files,
    write_config,
)
from wirewatch.crawler.config import load_config, loads_config
from wirewatch.crawler.demo.server import FixtureServer
from wirewatch.crawler.scheduler import housekeeping
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.files import complete_prefix, repair_orphans
from wirewatch.pipelines.archive.reader import DAMAGED, Unreadable, read_page
from wirewatch.pipelines.archive.retention import prune_archive
from wirewatch.pipelines.archive.settings import ArchiveSettings
from wirewatch.pipelines.archive.writer import ArchiveWriter, Fetched
from wirewatch.pipelines.errors import ConfigError

# -- [archive] in wirewatch.toml ------------------------------------------------------------


def test_without_an_archive_table_nothing_is_archived(tmp_path: Path) -> None:
    config = loads_config('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://a.example/f"\n')
    assert config.archive == ArchiveSettings()
    assert ArchiveSettings().enabled is False
    home = Path(os.environ["WIREWATCH_HOME"])
    assert ArchiveSettings().path() == home / "archive"


def test_an_archive_table_turns_archiving_on_with_its_directory_beside_the_config(
    tmp_path: Path,
) -> None:
    config = loads_config('[archive]\ndir = "warc"\n', tmp_path / "wirewatch.toml")
    settings = config.archive
    assert settings == ArchiveSettings(enabled=True, dir=tmp_path / "warc")
    assert settings.max_file_bytes == 1000 * 1024 * 1024
    off = loads_config("[archive]\nenabled = false\n").archive
    assert off.enabled is False


def test_every_archive_problem_is_reported_at_once() -> None:
    text = (
        "[archive]\nenabled = 'yes'\ndir = ''\ninclude_listings = 1\n"
        "max_file_mb = 0\ncolour = 'red'\n"
    )
    with pytest.raises(ConfigError) as caught:
        loads_config(text, "w.toml")
    lines = str(caught.value).splitlines()[1:]
    assert [line.strip() for line in lines] == [
        "w.toml: [archive]: field 'colour': unknown key",
        "w.toml: [archive]: field 'dir': must name a directory",
        "w.toml: [archive]: field 'enabled': expected bool, got str 'yes'",
        "w.toml: [archive]: field 'include_listings': expected bool, got int 1",
        "w.toml: [archive]: field 'max_file_mb': must be between 1 and 100000 (MB)",
    ]
    with pytest.raises(ConfigError, match=r"\[archive\]: must be a table"):
        loads_config("archive = 3\n", "w.toml")


def test_keep_is_a_duration_of_at_least_an_hour() -> None:
    assert loads_config('[archive]\nkeep = "90d"\n').archive.keep == timedelta(days=90)
    assert loads_config("[archive]\n").archive.keep is None  # kept until pruned by hand
    for value, message in (("'10m'", "must be at least 1:00:00"), ("'soon'", "keep")):
        with pytest.raises(ConfigError, match=message):
            loads_config(f"[archive]\nkeep = {value}\n", "w.toml")


# -- the writer ------------------------------------------------------------------------------


def fetched(n: int, **extra: object) -> Fetched:
    return Fetched(
        url=f"https://gazette.example/news/{n}.html",
        status=200,
        body=page(n % PAGES).encode(),
        headers=[("Content-Type", "text/html"), ("Set-Cookie", "session=s3cret")],
        request_headers=[("Authorization", "Basic c2VjcmV0"), ("Cookie", "id=s3cret")],
        encoding="utf-8",
        **extra,  # type: ignore[arg-type]
    )


def test_records_read_back_with_warcio_and_through_their_pointers(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "gazette", 7, max_bytes=1 << 30)
    pointers = [writer.write(fetched(n)) for n in range(3)]
    [name] = writer.files
    assert (tmp_path / (name + ".open")).is_file() and not (tmp_path / name).exists()
    writer.close()
    path = tmp_path / name
    assert path.is_file() and not (tmp_path / (name + ".open")).exists()
    assert name.startswith("gazette/gazette-") and name.endswith("-r7-001.warc.gz")
    found = records(path)
    assert [r["type"] for r in found] == ["warcinfo"] + ["response", "request"] * 3
    responses = [r for r in found if r["type"] == "response"]
    assert [r["offset"] for r in responses] == [p.offset for p in pointers]
    for n, (pointer, record) in enumerate(zip(pointers, responses, strict=True)):
        archived = read_page(tmp_path, pointer.file, pointer.offset, pointer.length)
        assert archived.url == record["url"] == f"https://gazette.example/news/{n}.html"
        assert archived.body == record["payload"] == page(n).encode()
        assert (archived.status, archived.encoding) == (200, "utf-8")
    # Credentials never reach the archive.
    assert b"s3cret" not in b"".join(r["payload"] for r in found)
    assert all(
        r["http_headers"].get_header(h) is None
        for r in found
        if r["http_headers"]
        for h in ("Authorization", "Cookie", "Set-Cookie")
    )


def test_a_file_is_closed_and_the_next_begun_past_the_size_limit(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "gazette", 7, max_bytes=3000)
    pointers = [writer.write(fetched(n)) for n in range(6)]
    writer.close()
    assert len(writer.files) > 1
    assert [p.file for p in pointers] == sorted(p.file for p in pointers)
    for path in warc_files(tmp_path):
        assert path.name.endswith(".warc.gz")
        assert path.stat().st_size < 3000 + 3000  # one page over the limit at most
    for n, pointer in enumerate(pointers):
        assert (
            read_page(tmp_path, pointer.file, pointer.offset, pointer.length).body
            == page(n % PAGES).encode()
        )


def test_a_record_cut_short_is_refused_never_read_as_a_page(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "gazette", 7, max_bytes=1 << 30)
    pointers = [writer.write(fetched(n)) for n in range(2)]
    writer.close()
    cut_last_record(tmp_path / pointers[1].file)
    first, last = pointers
    assert read_page(tmp_path, first.file, first.offset, first.length).body == page(0).encode()
    with pytest.raises(Unreadable) as caught:
        read_page(tmp_path, last.file, last.offset, last.length)
    assert caught.value.kind == DAMAGED


def test_an_orphaned_file_is_cut_to_its_complete_records_and_renamed(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "gazette", 7, max_bytes=1 << 30)
    pointers = [writer.write(fetched(n)) for n in range(3)]
    writer.close()
    final = tmp_path / pointers[0].file
    cut_last_record(final)
    opened = final.with_name(final.name + ".open")
    [done] = repair_orphans(final.parent)
    assert "cut" in done and "left half-written" in done
    assert final.is_file() and not opened.exists()
    assert complete_prefix(final) == (final.stat().st_size, 1 + 2 * 2)
    assert [r["type"] for r in records(final)] == ["warcinfo"] + ["response", "request"] * 2
    first = pointers[0]
    assert read_page(tmp_path, first.file, first.offset, first.length).body == page(0).encode()


def test_a_file_a_live_writer_holds_is_not_repaired(tmp_path: Path) -> None:
    writer = ArchiveWriter(tmp_path, "gazette", 7, max_bytes=1 << 30)
    writer.write(fetched(0))
    assert repair_orphans(tmp_path / "gazette") == []
    writer.close()


# -- crawling with the archive on ----------------------------------------------------------


def test_a_crawl_archives_each_article_page_and_the_row_points_at_its_record(
    tmp_path: Path, db_url: str
) -> None:
    archive = tmp_path / "archive"
    crawled_newsroom(tmp_path, archive)
    [path] = warc_files(archive)
    assert path.name.endswith(".warc.gz")  # closed: no .open left behind
    found = records(path)
    assert found[0]["type"] == "warcinfo"
    responses = {r["offset"]: r for r in found if r["type"] == "response"}
    requests = [r for r in found if r["type"] == "request"]
    assert len(responses) == len(requests) == PAGES  # article pages only, no listing
    rows = articles(db_url)
    assert len(rows) == PAGES
    for row in rows:
        assert row["warc_file"] == f"gazette/{path.name}"
        record = responses[row["warc_offset"]]
        assert record["url"] == row["url"]
        n = int(row["url"].rsplit("/", 1)[1].removesuffix(".html"))
        assert record["payload"] == page(n).encode()
        assert record["http_headers"].get_statuscode() == "200"
        archived = read_page(archive, row["warc_file"], row["warc_offset"], row["warc_length"])
        assert archived.body == record["payload"]


def test_listings_are_archived_when_asked(tmp_path: Path, db_url: str) -> None:
    archive = tmp_path / "archive"
    with FixtureServer() as server:
        serve(server)
        crawl(write_config(tmp_path, server, archive, "include_listings = true\n"))
        listing = f"{server.base_url}/world/"
    [path] = warc_files(archive)
    urls = [r["url"] for r in records(path) if r["type"] == "response"]
    assert urls.count(listing) == 1 and len(urls) == PAGES + 1


def test_without_archive_the_articles_point_at_nothing(tmp_path: Path, db_url: str) -> None:
    crawled_newsroom(tmp_path, None)
    assert [r["warc_file"] for r in articles(db_url)] == [None] * PAGES
    assert not (Path(os.environ["WIREWATCH_HOME"]) / "archive").exists()


def test_a_file_left_half_written_is_repaired_by_the_next_run_which_writes_a_new_one(
    tmp_path: Path, db_url: str
) -> None:
    archive = tmp_path / "archive"
    with FixtureServer() as server:
        serve(server)
        config = write_config(tmp_path, server, archive)
        crawl(config)
        [first] = warc_files(archive)
        cut_last_record(first)  # as if the crawl had been killed writing its last page
        log = crawl(config, "--full")
    assert "left unfinished by a crawl that stopped without closing it" in log
    assert "left half-written" in log
    repaired, second = warc_files(archive)
    assert repaired == first and second != first  # the new run wrote a file of its own
    assert [r["type"] for r in records(repaired)] == ["warcinfo"] + ["response", "request"] * (
        PAGES - 1
    )
    assert len([r for r in records(second) if r["type"] == "response"]) == PAGES


def test_kill_9_mid_crawl_leaves_only_pointers_to_complete_records(
    tmp_path: Path, db_url: str
) -> None:
    """A crawl killed while it fetches: every stored article's pointer reads back its own
    page; the next run repairs the file left open and archives into a new one."""
    archive = tmp_path / "archive"
    pages = 60
    with FixtureServer() as server:
        serve(server, pages, delay=0.3)  # slow enough that the crawl is busy when killed
        config = write_config(tmp_path, server, archive)
        child = subprocess.Popen(
            [sys.executable, "-m", "wirewatch.crawler.cli", "--config", str(config), "crawl"],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            while len(articles(db_url)) < 8 and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        stored = articles(db_url)
        assert len(stored) >= 8
        [left] = warc_files(archive)
        assert left.name.endswith(".warc.gz.open")
        for row in stored:
            archived = read_page(archive, row["warc_file"], row["warc_offset"], row["warc_length"])
            assert archived.url == row["url"]
            n = int(row["url"].rsplit("/", 1)[1].removesuffix(".html"))
            assert archived.body == page(n % PAGES).encode()
        serve(server, pages)  # fast again
        log = crawl(config)
    assert "left unfinished by a crawl that stopped without closing it" in log
    names = [p.name for p in warc_files(archive)]
    assert len(names) == 2 and all(n.endswith(".warc.gz") for n in names)
    for row in articles(db_url):
        archived = read_page(archive, row["warc_file"], row["warc_offset"], row["warc_length"])
        assert archived.url == row["url"]


# -- pruning the archive ---------------------------------------------------------------------


def age_files(archive: Path, hours: float) -> None:
    past = time.time() - hours * 3600
    for path in warc_files(archive):
        os.utime(path, (past, past))


def test_prune_deletes_old_files_of_finished_runs_and_unlinks_their_articles(
    tmp_path: Path, db_url: str
) -> None:
    archive = tmp_path / "archive"
    config = crawled_newsroom(tmp_path, archive)
    [path] = warc_files(archive)
    age_files(archive, 48)

    dry = run_wirewatch("--config", str(config), "prune", "--archive-older-than", "1d", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would have deleted 1 archive files" in dry.stdout
    assert f"{PAGES} articles no longer point" in dry.stdout
    assert path.exists() and all(r["warc_file"] for r in articles(db_url))

    done = run_wirewatch("--config", str(config), "prune", "--archive-older-than", "1d")
    assert done.returncode == 0, done.stderr
    assert "deleted 1 archive files" in done.stdout
    assert not path.exists()
    rows = articles(db_url)
    assert len(rows) == PAGES  # the articles stay; only their archived pages went
    assert [(r["warc_file"], r["warc_offset"], r["warc_length"]) for r in rows] == [
        (None, None, None)
    ] * PAGES


def test_prune_keeps_recent_files_and_files_of_a_running_crawl(tmp_path: Path, db_url: str) -> None:
    archive = tmp_path / "archive"
    crawled_newsroom(tmp_path, archive)
    [path] = warc_files(archive)
    with db.connect(db_url, autocommit=True) as conn:
        report = prune_archive(conn, archive, timedelta(days=1))
        assert (report.files, path.exists()) == (0, True)  # written just now
        age_files(archive, 48)
        conn.execute("UPDATE crawl_runs SET status = 'running', finished_at = NULL")
        report = prune_archive(conn, archive, timedelta(days=1))
        assert (report.files, report.still_running, path.exists()) == (0, 1, True)
        conn.execute("UPDATE crawl_runs SET status = 'ok', finished_at = now()")
        later = datetime.now(UTC) + timedelta(hours=1)
        report = prune_archive(conn, archive, timedelta(days=1), now=later)
        assert (report.files, report.articles, path.exists()) == (1, PAGES, False)


def test_the_daemons_housekeeping_prunes_files_older_than_keep(tmp_path: Path, db_url: str) -> None:
    archive = tmp_path / "archive"
    config_file = crawled_newsroom(tmp_path, archive, extra='keep = "1d"\n')
    [path] = warc_files(archive)
    config = load_config(config_file)
    with db.connect(db_url, autocommit=True) as conn:
        summary = housekeeping(conn, config, config.schedule)
        assert "0 archive file(s) older than 1d deleted" in summary
        assert path.exists()  # written just now
        age_files(archive, 48)
        summary = housekeeping(conn, config, config.schedule)
    assert "1 archive file(s) older than 1d deleted" in summary
    assert not path.exists()
    assert [r["warc_file"] for r in articles(db_url)] == [None] * PAGES


def test_without_keep_housekeeping_leaves_the_archive_alone(tmp_path: Path, db_url: str) -> None:
    archive = tmp_path / "archive"
    config = load_config(crawled_newsroom(tmp_path, archive))
    age_files(archive, 24 * 365)
    with db.connect(db_url, autocommit=True) as conn:
        summary = housekeeping(conn, config, config.schedule)
    assert "archive" not in summary
    assert len(warc_files(archive)) == 1
    assert all(r["warc_file"] for r in articles(db_url))


def test_prune_refuses_a_bad_age_before_pruning_anything(tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "wirewatch.toml"
    config.write_text("")
    for args, message in (
        (["--archive-older-than", "soon"], "cannot read the age 'soon'"),
        (["--archive-older-than", "10m"], "must be at least"),
        (["--older-than", "90d", "--archive-older-than", "10m"], "must be at least"),
        ([], "give --older-than AGE, --archive-older-than AGE or both"),
    ):
        done = run_wirewatch("--config", str(config), "prune", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert message in done.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM wirewatch.articles").fetchone()[0] == 0

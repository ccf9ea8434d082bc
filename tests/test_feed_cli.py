"""`wirewatch feed`: the contract downstream scripts and cron jobs rely on."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import feedparser
import psycopg
import pytest

from tests.support.feed_rows import add_article, add_copy, add_source, new_story, story_with_copies
from wirewatch.crawler.cli import main
from wirewatch.pipelines import db

JSONL_KEYS = {"cursor", "kind", "story_id", "title", "url", "outlet", "published", "first_seen"}


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with db.connect(db_url, autocommit=True) as connection:
        add_source(connection)
        yield connection


def feed_lines(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    assert main(["feed", *args]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_jsonl_lines_are_changes_and_a_consumer_resumes_from_the_last_cursor(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    story = story_with_copies(conn, "Quake hits coast", "Wire text.", ["wire.example", "a.example"])
    first = feed_lines(capsys)
    assert [(c["kind"], c["story_id"]) for c in first] == [("story", story), ("copy", story)]
    assert all(set(c) >= JSONL_KEYS for c in first)
    assert first[0]["title"] == "Quake hits coast" and first[0]["outlet"] == "wire.example"
    assert first[1]["outlet"] == "a.example" and first[1]["copies"] == 2
    assert all(isinstance(c["cursor"], str) for c in first)

    assert feed_lines(capsys, "--since", first[-1]["cursor"]) == []

    # A copy of a story already delivered arrives as a copy, not a new story.
    with conn.transaction():
        add_copy(conn, story, add_article(conn, title="Quake!", outlet="b.example"))
    later = feed_lines(capsys, "--since", first[-1]["cursor"])
    assert [(c["kind"], c["story_id"], c["outlet"]) for c in later] == [
        ("copy", story, "b.example")
    ]
    assert later[0]["article_title"] == "Quake!"


def test_limit_and_latest(conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]) -> None:
    stories = [story_with_copies(conn, f"Story {i}", f"text {i}", ["w.example"]) for i in range(5)]
    assert [c["story_id"] for c in feed_lines(capsys, "--limit", "2")] == stories[:2]
    assert [c["story_id"] for c in feed_lines(capsys, "--latest", "2")] == stories[3:]
    assert [c["story_id"] for c in feed_lines(capsys, "--latest", "50")] == stories


@pytest.mark.parametrize("plan", ["index first", "walk the log"])
def test_query_narrows_the_feed_to_matching_stories(
    conn: psycopg.Connection,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    plan: str,
) -> None:
    if plan == "walk the log":
        monkeypatch.setattr("wirewatch.pipelines.search.INDEX_FIRST_BELOW", 0)
    quake = story_with_copies(
        conn, "Quake hits coast", "An earthquake.", ["w.example", "x.example"]
    )
    story_with_copies(conn, "Budget passes", "Parliament voted.", ["w.example"])
    changes = feed_lines(capsys, "--query", "quake OR earthquake")
    assert [(c["kind"], c["story_id"]) for c in changes] == [("story", quake), ("copy", quake)]
    # A consumer of a filtered feed resumes past what it got, and sees nothing again.
    assert feed_lines(capsys, "--query", "quake", "--since", changes[-1]["cursor"]) == []
    # --latest counts matching changes, however many others came after them.
    for i in range(3):
        story_with_copies(conn, f"Budget vote {i}", "Parliament voted again.", ["w.example"])
    latest = feed_lines(capsys, "--query", "earthquake", "--latest", "1")
    assert [(c["kind"], c["story_id"]) for c in latest] == [("copy", quake)]


def test_csv_has_a_header_and_one_row_per_change(
    conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    story_with_copies(conn, 'Comma, "quotes"\nand lines', "text", ["w.example", "x.example"])
    assert main(["feed", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows] == ["story", "copy"]
    assert rows[0]["title"] == 'Comma, "quotes"\nand lines'
    assert rows[1]["outlets"] == "w.example; x.example"


def test_atom_file_written_for_a_feed_reader(
    conn: psycopg.Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story_with_copies(conn, "Quake <hits> coast", "An earthquake & aftershocks.", ["w.example"])
    target = tmp_path / "quake.xml"
    args = ["feed", "--format", "atom", "--query", "quake", "--latest", "20"]
    assert main([*args, "--output", str(target), "--feed-url", "https://f.example/q.xml"]) == 0
    assert capsys.readouterr().out == ""
    parsed = feedparser.parse(target.read_bytes())
    assert not parsed.bozo
    assert [e.title for e in parsed.entries] == ["Quake <hits> coast"]
    assert parsed.entries[0].summary == "An earthquake & aftershocks."
    root = ET.parse(target).getroot()
    assert root.find("{http://www.w3.org/2005/Atom}link").get("href") == "https://f.example/q.xml"
    assert [p.name for p in tmp_path.iterdir()] == ["quake.xml"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "malformed cursor"),
        (["--since", "12-4"], "malformed cursor"),
        (["--since", "999999"], "ahead of the feed"),
        (["--query", '"quake'], "unbalanced quote"),
        (["--query", "quake AND"], "invalid query"),
        (["--follow", "--format", "atom"], "--follow"),
    ],
)
def test_bad_input_is_a_clear_error_with_status_2(
    conn: psycopg.Connection,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    story_with_copies(conn, "One story", "text", ["w.example"])
    assert main(["feed", *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


@pytest.mark.parametrize(
    "args",
    [["--format", "xml"], ["--limit", "0"], ["--limit", "ten"], ["--since", "1", "--latest", "1"]],
)
def test_bad_options_exit_with_status_2(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["feed", *args])
    assert exited.value.code == 2


def test_follow_prints_changes_as_they_are_committed(db_url: str, conn: psycopg.Connection) -> None:
    with conn.transaction():
        before = new_story(conn, add_article(conn, title="Before"))
    env = {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirewatch.crawler.cli",
            "feed",
            "--follow",
            "--poll",
            "30",
            "--limit",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[dict] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(json.loads(line))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        _wait_for(lambda: len(lines) == 1)
        # Woken by NOTIFY, not by the 30 s poll.
        with conn.transaction():
            after = new_story(conn, add_article(conn, title="After"))
        with conn.transaction():
            add_copy(conn, after, add_article(conn, title="After, copied"))
        assert process.wait(timeout=60) == 0
        reader.join(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert [(c["kind"], c["story_id"]) for c in lines] == [
        ("story", before),
        ("story", after),
        ("copy", after),
    ]


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)

"""Progress bars: drawn on a terminal (a pseudo-terminal here), never into a pipe or a file.

Each command runs twice as a child process: once with stderr on a
pseudo-terminal that is its controlling terminal (as in an interactive
shell), once with stderr a pipe (as under cron or in a script).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.feed_rows import add_article, add_source, new_story
from tests.support.pages import article_html, feed_xml
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.crawler.extensions.progress import figures
from wirewatch.pipelines import db
from wirewatch.pipelines.progress import Bar, shown

EXTRACTION = Path(__file__).parent / "fixtures" / "extraction"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR) ")


@dataclass
class Run:
    status: int
    stdout: str
    stderr: str  # what the terminal (or the pipe) received


def in_terminal(*args: str, tmp_path: Path) -> Run:
    """wirewatch with stderr on a 100-column pseudo-terminal it controls, stdout a file."""
    return python_in_terminal("-m", "wirewatch.crawler.cli", *args, tmp_path=tmp_path)


def python_in_terminal(*args: str, tmp_path: Path) -> Run:
    """``python args`` with stderr on a 100-column pseudo-terminal it controls."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    out_path = tmp_path / "stdout"

    def take_the_terminal() -> None:  # in the child, after setsid: as a login shell's job
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    with out_path.open("w") as out:
        child = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=slave,
            env={**os.environ, "TERM": "xterm"},
            start_new_session=True,
            preexec_fn=take_the_terminal,
        )
        os.close(slave)
        screen = bytearray()
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            screen += data
        os.close(master)
        status = child.wait(timeout=120)
    return Run(status, out_path.read_text(), screen.decode("utf-8", "replace"))


def piped(*args: str) -> Run:
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def bar_lines(screen: str) -> list[str]:
    """The states a bar was drawn in (tqdm redraws a line after a carriage return)."""
    return [part for part in re.split(r"[\r\n]+", screen) if re.search(r"\d+%\|", part)]


def after_clearing(line: str) -> str:
    """A terminal line as written after tqdm cleared the bars (carriage returns, cursor up)."""
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line.rstrip("\r").split("\r")[-1])


def assert_no_bar(run: Run) -> None:
    assert "\r" not in run.stderr and "%|" not in run.stderr, run.stderr


# -- the commands ---------------------------------------------------------------------------


def test_dedupe_shows_reading_and_comparing_on_a_terminal_only(tmp_path: Path) -> None:
    source = tmp_path / "docs.jsonl"
    words = ["ferry", "harbour", "minister", "strike", "grain", "border", "river", "port"]
    with source.open("w") as out:
        for n in range(1200):
            text = " ".join(words[(n // 3 * k + k) % len(words)] for k in range(1, 200))
            out.write(json.dumps({"id": str(n), "text": f"Story {n // 3}. {text}"}) + "\n")
    terminal = in_terminal("dedupe", str(source), "--jobs", "2", tmp_path=tmp_path)
    assert terminal.status == 0
    drawn = bar_lines(terminal.stderr)
    assert any(line.startswith("dedupe: reading: 100%|") and "B/s" in line for line in drawn)
    assert any("documents=1200" in line for line in drawn)
    assert any(line.startswith("dedupe: comparing: 100%|") and "pairs/s" in line for line in drawn)

    quiet = piped("dedupe", str(source), "--jobs", "2")
    assert quiet.status == 0
    assert_no_bar(quiet)
    assert quiet.stdout == terminal.stdout  # bars never touch the output


def test_extract_jsonl_counts_pages_on_a_terminal_only(tmp_path: Path) -> None:
    html = (EXTRACTION / "article.html").read_text()
    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        "".join(
            json.dumps({"id": n, "url": f"https://x.example/a/{n}", "html": html}) + "\n"
            for n in range(4)
        )
    )
    terminal = in_terminal("extract", "--jsonl", str(pages), tmp_path=tmp_path)
    assert terminal.status == 0, terminal.stderr
    assert any(line.startswith("extract: 100%|") and "4/4" in line and "pages/s" in line
               for line in bar_lines(terminal.stderr))  # fmt: skip
    quiet = piped("extract", "--jsonl", str(pages))
    assert quiet.status == 0
    assert_no_bar(quiet)
    assert len(quiet.stdout.splitlines()) == 4


def test_prune_walks_the_stories_with_a_bar_on_a_terminal_only(db_url: str, tmp_path: Path) -> None:
    old = datetime.now(UTC) - timedelta(days=200)
    with db.connect(db_url, autocommit=True) as conn:
        add_source(conn)
        for n in range(12):
            new_story(conn, add_article(conn, title=f"Old {n}", first_seen=old), first_seen=old)
    terminal = in_terminal("prune", "--older-than", "90d", "--batch-size", "5", tmp_path=tmp_path)
    assert terminal.status == 0, terminal.stderr
    drawn = bar_lines(terminal.stderr)
    assert any(line.startswith("prune: 100%|") and "pruned=12" in line for line in drawn)
    assert "dropped the bodies of 12 stories" in terminal.stdout
    quiet = piped("prune", "--older-than", "90d", "--dry-run")
    assert quiet.status == 0
    assert_no_bar(quiet)


@pytest.mark.usefixtures("db_url")
def test_crawl_shows_a_bar_per_source_and_logs_above_the_bars(tmp_path: Path) -> None:
    with FixtureServer() as server:
        for n in (1, 2, 3):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        server.route("/one.xml", raw(feed_xml(server.base_url, [1]), "application/rss+xml"))
        server.route("/two.xml", raw(feed_xml(server.base_url, [2, 3]), "application/rss+xml"))
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f'[[source]]\nname = "one"\nkind = "feed"\nurl = "{server.base_url}/one.xml"\n\n'
            f'[[source]]\nname = "two"\nkind = "feed"\nurl = "{server.base_url}/two.xml"\n'
        )
        terminal = in_terminal("--config", str(config), "crawl", tmp_path=tmp_path)
        quiet = piped("--config", str(config), "crawl", "--full")
    assert terminal.status == 0, terminal.stderr
    finals = {
        name: [line for line in re.split(r"[\r\n]+", terminal.stderr) if line.startswith(name)]
        for name in ("one: ", "two: ")
    }
    assert "articles=1" in finals["one: "][-1] and "errors=0" in finals["one: "][-1]
    assert "articles=2" in finals["two: "][-1] and " pages [" in finals["two: "][-1]
    # Log lines are whole lines above the bars (tqdm clears them first), never glued to one.
    logged = [line for line in terminal.stderr.split("\n") if " INFO " in line]
    assert logged and all(LOG_LINE.match(after_clearing(line)) for line in logged)
    assert "source" in terminal.stdout.splitlines()[0]  # the summary table, as before

    assert quiet.status == 0
    assert_no_bar(quiet)
    assert " pages [" not in quiet.stderr and "INFO" in quiet.stderr


# -- the module -------------------------------------------------------------------------------


def test_a_bar_elsewhere_than_on_a_terminal_draws_nothing() -> None:
    stream = io.StringIO()
    assert not shown(stream)
    with Bar("work", total=3, stream=stream) as bar:
        assert not bar.drawn
        assert list(bar.track([1, 2, 3])) == [1, 2, 3]
        bar.set(3, total=3, done=3)
    assert stream.getvalue() == ""


CHATTER_BESIDE_BARS = """
import logging, threading, time
from wirewatch.crawler.logs import configure_logging
from wirewatch.pipelines.progress import Bar

configure_logging("INFO")
stop = threading.Event()
lines = 0

def chatter():
    global lines
    while not stop.is_set():
        lines += 1
        logging.getLogger("elsewhere").info("line %d from another thread", lines)
        time.sleep(0.0003)

thread = threading.Thread(target=chatter)
thread.start()
# Bars come and go until the other thread has logged LINES lines, however the two
# threads happen to share the interpreter (a busy machine runs either one for long).
bars = 0
while (bars < 300 or lines < LINES) and bars < 100_000:
    with Bar(f"bar{bars}", unit=" pages") as bar:
        for k in range(3):
            bar.set(k, total=3, articles=k)
    bars += 1
stop.set()
thread.join()
"""
CHATTER_LINES = 200


def test_lines_logged_by_another_thread_while_bars_open_and_close_are_never_glued_to_one(
    tmp_path: Path,
) -> None:
    """As a crawl's storing threads log while its sources' bars come and go: tqdm's close
    stops clearing a bar before it takes its lock, and a bar is drawn as it is made."""
    code = CHATTER_BESIDE_BARS.replace("LINES", str(CHATTER_LINES))
    run = python_in_terminal("-c", code, tmp_path=tmp_path)
    assert run.status == 0, run.stderr
    logged = [line for line in run.stderr.split("\n") if " INFO " in line]
    glued = [line for line in logged if not LOG_LINE.match(after_clearing(line))]
    assert len(logged) >= CHATTER_LINES and not glued, glued[:3]


def test_a_bar_that_cannot_be_made_leaves_the_logs_as_they_were(tmp_path: Path) -> None:
    code = (
        "import logging\n"
        "from wirewatch.crawler.logs import configure_logging\n"
        "from wirewatch.pipelines.progress import Bar\n"
        "configure_logging('INFO')\n"
        "try:\n"
        "    Bar('x', no_such_option=1)\n"
        "except Exception as exc:\n"
        "    print('refused:', type(exc).__name__)\n"
        "print('stream:', type(logging.getLogger().handlers[0].stream).__name__)\n"
    )
    run = python_in_terminal("-c", code, tmp_path=tmp_path)
    assert run.status == 0, run.stderr
    assert "refused:" in run.stdout and "stream: TextIOWrapper" in run.stdout, run.stdout


def test_crawl_figures_come_from_the_crawler_stats() -> None:
    stats = {
        "response_received_count": 7,
        "downloader/exception_count": 1,
        "scheduler/enqueued": 6,  # robots.txt is fetched outside the scheduler
        "wirewatch/articles_new": 3,
        "wirewatch/articles_updated": 1,
        "wirewatch/run_errors": 2,
    }
    assert figures(stats) == {"done": 8, "scheduled": 8, "articles": 4, "errors": 2}
    assert figures({}) == {"done": 0, "scheduled": 0, "articles": 0, "errors": 0}

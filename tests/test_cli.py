"""Command-line manners: fast plain help, global options anywhere, completion, closed pipes.

The real CLI runs in child processes, as a shell would run it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import run_wirewatch
from tests.support.feed_rows import add_article, add_source, new_story
from tests.support.probes import python_says
from wirewatch.crawler import cli
from wirewatch.pipelines import db

HEAVY = ("scrapy", "twisted", "psycopg", "trafilatura", "numpy", "tqdm")
EXTRACTION = Path(__file__).parent / "fixtures" / "extraction"
# 30 stories with this summary make more output than a pipe holds (64 KiB).
LONG_SUMMARY = "The ferry sails at dawn. " * 100
SIGPIPE_STATUS = 141  # 128 + SIGPIPE: what a shell reports for C tools ended by a closed pipe


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every (sub)command parser by its prog, nested ones (``alerts add``) too."""
    found = {parser.prog: parser}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.update(subparsers(child))
    return found


# -- help: fast, plain ----------------------------------------------------------------------


def test_building_the_parser_imports_no_heavy_library() -> None:
    probe = (
        "import sys; from crawler.cli import build_parser; build_parser(); "
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    assert python_says(probe).strip() == ""


@pytest.mark.parametrize("args", [["--help"], ["status", "--help"]])
def test_help_imports_no_command_implementation(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wirewatch.crawler.cli", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines()}
    assert not {m for m in imported if m.split(".")[0] in HEAVY}
    assert not {m for m in imported if m.startswith("wirewatch.crawler.commands.")}


def test_help_is_fast() -> None:
    """The target is 0.5 s (benchmarks/cli.py); a loaded test machine gets twice that."""
    for args in (["--help"], ["status", "--help"]):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "wirewatch.crawler.cli", *args],
                capture_output=True,
                check=True,
            )
            times.append(time.perf_counter() - started)
        assert statistics.median(times) < 1.0, (args, times)


def test_help_is_plain_text_for_every_command() -> None:
    parsers = subparsers(cli.build_parser())
    assert {"wirewatch status", "wirewatch alerts add", "wirewatch db grant-reader"} <= set(parsers)
    for prog, parser in parsers.items():
        text = parser.format_help()
        assert "``" not in text and ":class:" not in text, prog
    status = run_wirewatch("status", "--help")
    assert status.returncode == 0
    assert " --json prints the same as one JSON document" in " ".join(status.stdout.split())
    alerts = run_wirewatch("alerts", "--help").stdout
    # Examples stay one per line, as the docstring lays them out.
    assert "\n  wirewatch alerts send            # from cron: deliver what is due\n" in alerts


def test_plain_removes_inline_markup_only() -> None:
    assert cli.plain("``--json`` prints ``[web]`` and :class:`UsageError`") == (
        "--json prints [web] and UsageError"
    )
    assert cli.plain("it's 'quoted' and *starred*") == "it's 'quoted' and *starred*"


def test_the_command_line_defaults_of_import_warc_are_the_importers() -> None:
    from wirewatch.crawler.usage import import_warc as import_warc_usage
    from wirewatch.pipelines import warc_import

    assert import_warc_usage.DEFAULT_SOURCE == warc_import.DEFAULT_SOURCE
    assert import_warc_usage.CHECKPOINT_RECORDS == warc_import.CHECKPOINT_RECORDS
    assert import_warc_usage.MAX_RECORD_BYTES == warc_import.MAX_RECORD_BYTES


# -- global options before or after the command ----------------------------------------------


def test_global_options_before_or_after_the_command() -> None:
    for argv in (
        ["--config", "f.toml", "--log-level", "DEBUG", "--json-logs", "status"],
        ["status", "--config", "f.toml", "--log-level", "DEBUG", "--json-logs"],
        ["--log-level", "DEBUG", "status", "--json-logs", "--config", "f.toml"],
    ):
        args = cli.build_parser().parse_args(argv)
        assert (args.config, args.log_level, args.json_logs) == ("f.toml", "DEBUG", True)
        assert (args.debug, args.log_file) == (False, None)


def test_global_options_after_a_nested_command_and_the_last_one_wins() -> None:
    argv = "--config a.toml alerts add --query x --email a@b.c --config b.toml --debug"
    args = cli.build_parser().parse_args(argv.split())
    assert (args.config, args.debug, args.alerts_command) == ("b.toml", True, "add")


def test_config_after_the_command_is_used(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("this is not toml\n")
    result = run_wirewatch("status", "--config", str(bad))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("wirewatch: error: ") and str(bad) in result.stderr
    debug = run_wirewatch("status", "--config", str(bad), "--debug")
    assert "Traceback" in debug.stderr


# -- shell completion -------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_activation_code(shell: str) -> None:
    result = run_wirewatch("completion", shell)
    assert result.returncode == 0, result.stderr
    assert "wirewatch" in result.stdout and "_ARGCOMPLETE" in result.stdout


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("wirewatch sta", {"status"}),
        ("wirewatch feed --format ", {"jsonl", "atom", "csv"}),
        ("wirewatch status --js", {"--json", "--json-logs"}),
        ("wirewatch alerts a", {"add"}),
    ],
)
def test_tab_completes_commands_options_and_choices(
    line: str, expected: set[str], tmp_path: Path
) -> None:
    """What the shell code does on Tab: run wirewatch with argcomplete's variables set."""
    out = tmp_path / "candidates"
    env = {
        **os.environ,
        "_ARGCOMPLETE": "1",
        "_ARGCOMPLETE_IFS": "\n",
        "COMP_LINE": line,
        "COMP_POINT": str(len(line)),
        "_ARGCOMPLETE_STDOUT_FILENAME": str(out),
    }
    subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli"],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert {c.strip() for c in out.read_text().split("\n") if c.strip()} == expected


# -- a reader that goes away ------------------------------------------------------------------


@pytest.fixture
def stories(db_url: str) -> str:
    """30 stories about ferries (and crawl errors), for commands that print rows."""
    with db.connect(db_url, autocommit=True) as conn:
        add_source(conn)
        for n in range(30):
            article = add_article(
                conn, title=f"Ferry {n} sails", text=f"Ferry {n} text.", summary=LONG_SUMMARY
            )
            new_story(conn, article)
        run = conn.execute(
            "INSERT INTO crawl_runs (source, started_at, status) VALUES ('wire', %s, 'partial')"
            " RETURNING id",
            (datetime.now(UTC),),
        ).fetchone()["id"]
        for n in range(5):
            conn.execute(
                "INSERT INTO crawl_errors (run_id, source, url, kind, message, at)"
                " VALUES (%s, 'wire', %s, 'http_404', 'HTTP 404', now())",
                (run, f"https://wire.example/gone/{n}"),
            )
    return db_url


CLOSED_PIPE_COMMANDS = [
    ["feed"],
    ["feed", "--format", "csv"],
    ["feed", "--format", "atom"],
    ["search", "ferry"],
    ["search", "ferry", "--format", "jsonl"],
    ["errors"],
    ["extract", str(EXTRACTION / "article.html")],
]


def run_with_stdout_closed(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run wirewatch with a stdout pipe nobody reads: its read end is closed at once,
    so every write, or the flush at exit, meets a reader that has gone."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "wirewatch.crawler.cli", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("args", CLOSED_PIPE_COMMANDS, ids=" ".join)
def test_a_closed_pipe_ends_the_command_quietly(stories: str, args: list[str]) -> None:
    result = run_with_stdout_closed(args)
    assert result.stderr == ""
    assert result.returncode == SIGPIPE_STATUS


@pytest.mark.parametrize(
    "args",
    [
        ["feed"],
        ["feed", "--format", "csv"],
        ["search", "ferry", "--format", "jsonl", "--limit", "30"],
    ],
    ids=" ".join,
)
def test_head_reads_one_line_and_leaves(stories: str, args: list[str]) -> None:
    """`wirewatch ... | head -1` in a real shell pipeline.  The output is larger than a
    pipe holds, so wirewatch is still writing when head leaves."""
    command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "wirewatch.crawler.cli", *args])
    result = subprocess.run(
        ["bash", "-c", f"{command} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr == ""
    assert result.returncode == SIGPIPE_STATUS


def test_a_broken_pipe_elsewhere_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A socket hanging up (SMTP, a webhook) while stdout is fine is reported, not hidden."""
    from wirewatch.crawler.commands import migrate

    def hung_up(args: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(migrate, "run", hung_up)
    assert cli.main(["migrate"]) == 1
    assert "unexpected BrokenPipeError" in capsys.readouterr().err


def test_stdout_closed_tells_a_pipe_without_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    read, write = os.pipe()
    with os.fdopen(write, "w") as stream:
        monkeypatch.setattr(sys, "stdout", stream)
        assert not cli.stdout_closed()
        os.close(read)
        assert cli.stdout_closed()

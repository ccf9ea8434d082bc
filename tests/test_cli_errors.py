"""Bad input or a bad environment is one ``wirewatch: error:`` line, never a traceback.

Exit status 2 for usage and configuration, 1 for failures at run time;
``--debug`` adds the traceback.  Each case runs the real CLI in a child process.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_wirewatch
from wirewatch.crawler import cli

SOURCE = '[[source]]\nname = "a"\nkind = "feed"\nurl = "http://127.0.0.1:9/feed.xml"\n'


def assert_one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wirewatch: error: "), result.stderr
    return lines[0]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "wirewatch.toml"
    path.write_text(SOURCE)
    return path


def test_a_deeply_nested_toml_array_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    line = assert_one_line_error(run_wirewatch("--config", str(path), "status"), 2)
    assert "nested too deeply" in line and str(path) in line


def test_a_config_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(SOURCE.encode() + "# café\n".encode("latin-1"))
    line = assert_one_line_error(run_wirewatch("--config", str(path), "crawl"), 2)
    assert "not UTF-8" in line


def test_a_config_path_that_is_a_directory_is_a_config_error(tmp_path: Path) -> None:
    line = assert_one_line_error(run_wirewatch("--config", str(tmp_path), "status"), 2)
    assert str(tmp_path) in line


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_wirewatch_home_that_cannot_hold_a_database_is_a_config_error(
    where: str, config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    home = blocker if where == "file" else blocker / "deeper" / "home"
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("WIREWATCH_HOME", str(home))
    line = assert_one_line_error(run_wirewatch("--config", str(config), "status"), 2)
    assert "WIREWATCH_HOME" in line and str(home) in line


@pytest.mark.parametrize("command", [["status"], ["search", "ferry"]])
def test_an_unreachable_database_is_a_runtime_error(
    command: list[str], config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://127.0.0.1:1/x")
    line = assert_one_line_error(run_wirewatch("--config", str(config), *command), 1)
    assert "cannot connect to postgresql://127.0.0.1:1/x" in line


def test_an_unknown_command_is_a_usage_error() -> None:
    line = assert_one_line_error(run_wirewatch("frobnicate"), 2)
    assert "invalid choice: 'frobnicate'" in line and "--help" in line


def test_a_missing_argument_of_a_subcommand_is_a_usage_error() -> None:
    line = assert_one_line_error(run_wirewatch("alerts", "add", "--email", "a@example.org"), 2)
    assert line.startswith("wirewatch: error: alerts add: ") and "--query" in line


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5_000 + "]" * 5_000 + "\n")
    result = run_wirewatch("--debug", "--config", str(path), "status")
    assert result.returncode == 2
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("wirewatch: error: ")


def test_an_unexpected_exception_is_one_line_with_exit_status_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from wirewatch.crawler.commands import status

    def broken(args: object) -> int:
        raise KeyError("no such thing\nsecond line")

    monkeypatch.setattr(status, "run", broken)
    assert cli.main(["status"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "wirewatch: error: unexpected KeyError: 'no such thing\\nsecond line' "
        "(run with --debug for the traceback)\n"
    )
    assert cli.main(["--debug", "status"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "KeyError" in err

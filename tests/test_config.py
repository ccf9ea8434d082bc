"""wirewatch.toml: sources are validated before anything runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from wirewatch.crawler.cli import main
from wirewatch.crawler.config import config_path, load_config, loads_config
from wirewatch.pipelines.errors import ConfigError

GOOD = """
[[source]]
name = "rferl"
kind = "sitemap"
url = "https://www.rferl.org/sitemap.xml"
schedule = "*/15 * * * *"

[[source]]
name = "wire-desk"
kind = "feed"
urls = ["https://wire.example/feed.xml", "https://wire.example/world.xml"]
wire = true

[[source]]
name = "herald"
kind = "section"
url = "https://herald.example/world/"
follow = "/\\\\d{4}/"

[crawl]
user_agent = "wirewatch-test (ops@example.org)"
download_timeout = 5
"""


def test_a_valid_file_gives_typed_sources() -> None:
    config = loads_config(GOOD, "wirewatch.toml")
    assert [s.name for s in config.sources] == ["rferl", "wire-desk", "herald"]
    rferl, wire, herald = config.sources
    assert rferl.urls == ("https://www.rferl.org/sitemap.xml",)
    assert rferl.schedule == "*/15 * * * *" and not rferl.wire
    assert wire.urls == ("https://wire.example/feed.xml", "https://wire.example/world.xml")
    assert wire.wire and wire.schedule is None
    assert herald.follow == "/\\d{4}/"
    assert config.crawl.user_agent == "wirewatch-test (ops@example.org)"
    assert config.crawl.download_timeout == 5


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        loads_config(textwrap.dedent(text), "sources.toml")
    return str(info.value)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            'name = "a"\nkind = "feed"\nurl = "https://x.example/f"\ncolour = "red"',
            "field 'colour': unknown key",
        ),
        ('name = "a"\nurl = "https://x.example/f"', "field 'kind': missing required field"),
        ('name = "a"\nkind = "feed"', "field 'url': missing required field"),
        (
            'name = "a"\nkind = "feed"\nurl = "https://x.example/f"\nschedule = "*/61 * * * *"',
            "field 'schedule': bad cron expression",
        ),
        ('name = "a"\nkind = "feed"\nurl = "ftp://x.example/f"', "field 'url': bad URL"),
        ('name = "a"\nkind = "feed"\nurl = "https:///nohost"', "field 'url': bad URL"),
        ('name = "A B"\nkind = "feed"\nurl = "https://x.example/f"', "field 'name': must match"),
        ('name = "a"\nkind = "blog"\nurl = "https://x.example/f"', "field 'kind': must be one of"),
        (
            'name = "a"\nkind = "feed"\nurl = "https://x.example/f"\nwire = "yes"',
            "field 'wire': expected bool",
        ),
        (
            'name = "a"\nkind = "section"\nurl = "https://x.example/"\nfollow = "(["',
            "field 'follow': bad regular expression",
        ),
    ],
)
def test_each_problem_names_the_file_the_source_and_the_field(snippet: str, expected: str) -> None:
    message = _error("[[source]]\n" + snippet + "\n")
    assert "sources.toml" in message
    assert "source" in message
    assert expected in message


def test_duplicate_names_are_rejected() -> None:
    one = '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x.example/f"\n'
    message = _error(one + one)
    assert "source 'a': field 'name': duplicate source name" in message


def test_all_problems_are_reported_at_once() -> None:
    message = _error(
        '[[source]]\nname = "a"\nkind = "feed"\nurl = "nope"\n'
        '[[source]]\nname = "b"\nkind = "feed"\nurl = "https://x.example/"\nschedule = "bad"\n'
        "[mystery]\nx = 1\n"
    )
    assert "source 'a': field 'url'" in message
    assert "source 'b': field 'schedule'" in message
    assert "[mystery]: unknown table or key" in message


def test_broken_toml_is_a_config_error() -> None:
    assert "not valid TOML" in _error("[[source]\nname=")


def test_config_file_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert config_path() == Path("wirewatch.toml")
    monkeypatch.setenv("WIREWATCH_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"


def test_a_missing_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "absent.toml")


def test_crawl_with_an_invalid_config_exits_2_and_crawls_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[source]]\nname = "a"\nkind = "feed"\nurl = "https://x.example/f"\nschedule = "often"\n'
    )
    assert main(["--config", str(path), "crawl"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "source 'a': field 'schedule'" in err

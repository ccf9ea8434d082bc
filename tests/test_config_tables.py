"""Configuration tables are declared as data: one interpreter reads every table the same way."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from wirewatch.crawler.config import CrawlOptions, loads_config
from wirewatch.crawler.schedule_config import ScheduleOptions
from wirewatch.crawler.web.settings import WebSettings
from wirewatch.pipelines.alerts.settings import AlertOptions
from wirewatch.pipelines.archive.settings import ArchiveSettings
from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.validation import (
    NUMBER,
    Problems,
    at_least,
    between,
    one_of,
    parse_table,
    positive,
    setting,
)


@dataclass(frozen=True)
class Relay:
    """A made-up table: one required key, one renamed key, typed defaults."""

    host: str = setting(str)
    sender: str | None = setting(str, default=None, key="from")
    port: int = setting(int, between(1, 65535, "must be a TCP port"), default=25)
    mode: str = setting(str, one_of(("plain", "tls")), default="tls")
    timeout: float = setting(NUMBER, positive, float, default=30.0)
    retries: int = setting(int, at_least(0, "must be 0 or more"), default=2)
    every: timedelta = setting(None, parse_duration, positive, default=timedelta(minutes=1))


def _no_loops(values: Mapping[str, Any], table: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if values.get("port") == 25 and values.get("mode") == "tls":
        yield "port", "port 25 does not speak TLS here"


def _read(table: Any) -> tuple[Relay | None, list[str]]:
    problems = Problems("relay.toml")
    relay = parse_table(Relay, table, "[relay]", problems, checks=(_no_loops,))
    return relay, problems.messages


def test_a_valid_table_gives_the_dataclass_with_its_defaults() -> None:
    relay, messages = _read({"host": "mx", "from": "a@example.org", "port": 587, "timeout": 5})
    assert messages == []
    assert relay == Relay(host="mx", sender="a@example.org", port=587, timeout=5.0)
    assert isinstance(relay.timeout, float)
    assert relay.every == timedelta(minutes=1)


def test_every_problem_is_reported_at_once_in_key_order_naming_the_table_and_the_key() -> None:
    relay, messages = _read(
        {
            "colour": "red",
            "port": True,
            "mode": "ssl",
            "timeout": 0,
            "retries": -1,
            "every": "soon",
        }
    )
    assert relay is None
    assert messages == [
        "relay.toml: [relay]: field 'colour': unknown key",
        "relay.toml: [relay]: field 'host': missing required field",
        "relay.toml: [relay]: field 'every': bad duration 'soon' "
        "(use seconds or e.g. '90s', '15m', '6h', '7d', '2w')",
        "relay.toml: [relay]: field 'mode': must be one of plain, tls",
        "relay.toml: [relay]: field 'port': expected int, got bool True",
        "relay.toml: [relay]: field 'retries': must be 0 or more",
        "relay.toml: [relay]: field 'timeout': must be positive",
    ]


def test_whole_table_checks_see_the_defaults_of_keys_not_given() -> None:
    relay, messages = _read({"host": "mx"})
    assert relay is None
    assert messages == ["relay.toml: [relay]: field 'port': port 25 does not speak TLS here"]
    assert _read({"host": "mx", "mode": "plain"})[0] == Relay(host="mx", mode="plain")


def test_a_value_that_is_not_a_table_is_one_problem() -> None:
    assert _read(["host"]) == (None, ["relay.toml: [relay]: must be a table"])


def test_problems_raise_one_config_error_listing_them_all() -> None:
    problems = Problems("relay.toml")
    parse_table(Relay, {"port": "25"}, "[relay]", problems)
    with pytest.raises(ConfigError) as caught:
        problems.raise_if_any()
    assert str(caught.value) == (
        "invalid configuration\n"
        "  relay.toml: [relay]: field 'host': missing required field\n"
        "  relay.toml: [relay]: field 'port': expected int, got str '25'"
    )


def test_a_file_with_a_mistake_in_every_table_lists_them_all() -> None:
    text = """
[[source]]
name = "wire"
kind = "feed"
url = "https://wire.example/feed.xml"
max_pages = 0

[crawl]
download_timeout = 0

[schedule]
retention_days = 0

[schedule.health]
failing_runs = 0

[scale]
redis_url = "http://not-redis"

[web]
port = 0

[smtp]
host = "mail.example.org"
from = "alerts@example.org"
security = "tls"

[alerts]
timezone = "Mars/Olympus"

[[alert]]
name = "floods"
query = "flood"
email = "desk@example.org"
digest = "weekly"

[archive]
max_file_mb = 0
"""
    with pytest.raises(ConfigError) as caught:
        loads_config(text, "w.toml")
    assert str(caught.value).splitlines()[1:] == [
        "  w.toml: source 'wire': field 'max_pages': must be at least 1",
        "  w.toml: [crawl]: field 'download_timeout': must be positive",
        "  w.toml: [scale]: field 'redis_url': not a Redis URL: 'http://not-redis'",
        "  w.toml: [web]: field 'port': must be a TCP port (1-65535)",
        "  w.toml: [schedule]: field 'retention_days': must be at least 1",
        "  w.toml: [schedule.health]: field 'failing_runs': must be at least 1",
        "  w.toml: [smtp]: field 'security': must be one of none, starttls, ssl",
        "  w.toml: [alerts]: field 'timezone': unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as 'Europe/Kyiv' or 'UTC')",
        "  w.toml: alert 'floods': field 'digest': must be one of immediate, hourly, daily",
        "  w.toml: [archive]: field 'max_file_mb': must be between 1 and 100000 (MB)",
    ]


def test_each_table_is_a_typed_attribute_with_its_defaults_when_absent() -> None:
    config = loads_config('[[source]]\nname = "a"\nkind = "feed"\nurl = "https://a.example/f"\n')
    assert config.crawl == CrawlOptions() and config.schedule == ScheduleOptions()
    assert config.web == WebSettings() and config.alerts == AlertOptions()
    assert config.archive == ArchiveSettings() and not config.archive.enabled
    assert config.smtp is None and config.scale is None and config.subscriptions == ()

"""The [schedule] table: daemon settings, polling bounds, health thresholds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from wirewatch.crawler.config import SKIP_BAD_SOURCES_ENV, load_config, loads_config
from wirewatch.crawler.schedule_config import ScheduleOptions, parse_duration, schedule_options
from wirewatch.pipelines.errors import ConfigError

SOURCES = """
[[source]]
name = "wire"
kind = "feed"
url = "https://wire.example/feed.xml"
"""


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90),
        (1.5, 1.5),
        ("90s", 90),
        ("15m", 900),
        ("2h", 7200),
        ("1d", 86400),
        ("45", 45),
        ("2w", 14 * 86400),  # the same syntax as prune --older-than
        ("5 minutes", 300),
    ],
)
def test_durations_are_seconds_or_suffixed_strings(value: object, seconds: float) -> None:
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["soon", "5 fortnights", "-3m", True, [1]])
def test_bad_durations_are_refused(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


def test_without_a_schedule_table_the_defaults_apply() -> None:
    options = schedule_options(loads_config(SOURCES))
    assert options == ScheduleOptions()
    assert options.metrics_port is None
    assert options.bounds("wire").default == timedelta(minutes=15)


def test_the_schedule_table_and_per_source_bounds_are_read() -> None:
    config = loads_config(
        SOURCES
        + """
[schedule]
default_interval = "10m"
max_interval = "1h"
metrics_port = 9410
alerts_interval = "off"
operator_email = "ops@example.org"

[schedule.health]
silent_runs = 20
yield_ratio = 0.3

[schedule.source.wire]
min_interval = "1m"
max_interval = "20m"
"""
    )
    options = schedule_options(config)
    assert options.metrics_port == 9410
    assert options.alerts_interval is None
    assert options.health.silent_runs == 20 and options.health.yield_ratio == 0.3
    wire = options.bounds("wire")
    assert (wire.minimum, wire.default, wire.maximum) == (
        timedelta(minutes=1),
        timedelta(minutes=10),
        timedelta(minutes=20),
    )
    assert options.bounds("other").maximum == timedelta(hours=1)


def test_every_mistake_is_reported_with_its_place() -> None:
    with pytest.raises(ConfigError) as caught:
        loads_config(
            SOURCES
            + """
[schedule]
default_intervall = "10m"
min_interval = "2h"
max_interval = "1h"
timezone = "Mars/Olympus"
housekeeping = "every night"
metrics_port = 70000
operator_email = "nobody"

[schedule.health]
yield_ratio = 2
"""
        )
    message = str(caught.value)
    for fragment in (
        "[schedule]: field 'default_intervall': unknown key",
        "field 'min_interval': is longer than max_interval",
        "unknown time zone 'Mars/Olympus'",
        "field 'housekeeping': bad cron expression",
        "field 'metrics_port': must be a TCP port",
        "not an email address",
        "[schedule.health]: field 'yield_ratio': must be between 0 and 1",
    ):
        assert fragment in message


def test_bounds_for_an_unknown_source_are_an_error() -> None:
    config = loads_config(SOURCES + '\n[schedule.source.wyre]\nmax_interval = "1h"\n')
    with pytest.raises(ConfigError, match="no source named 'wyre'"):
        schedule_options(config)


BROKEN_SOURCE = """
[[source]]
name = "typo"
kind = "feed"
url = "https://typo.example/feed.xml"
schedule = "every morning"
"""


def test_unattended_runs_leave_a_broken_source_out_and_keep_the_others() -> None:
    with pytest.raises(ConfigError, match="bad cron expression"):
        loads_config(SOURCES + BROKEN_SOURCE)
    config = loads_config(SOURCES + BROKEN_SOURCE, skip_bad_sources=True)
    assert [s.name for s in config.sources] == ["wire"]
    assert list(config.rejected) == ["typo"]
    assert "field 'schedule': bad cron expression 'every morning'" in config.rejected["typo"][0]
    # Bounds may still name the left-out source; a mistake elsewhere is still fatal.
    schedule_options(
        loads_config(
            SOURCES + BROKEN_SOURCE + '[schedule.source.typo]\nmax_interval = "1h"\n',
            skip_bad_sources=True,
        )
    )
    with pytest.raises(ConfigError, match="unknown key"):
        loads_config(SOURCES + BROKEN_SOURCE + "[schedule]\nbogus = 1\n", skip_bad_sources=True)


def test_the_daemon_makes_its_children_skip_broken_sources_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wirewatch.toml"
    path.write_text(SOURCES + BROKEN_SOURCE, encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(path)
    monkeypatch.setenv(SKIP_BAD_SOURCES_ENV, "1")
    assert [s.name for s in load_config(path).sources] == ["wire"]

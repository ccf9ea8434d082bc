"""The ``[schedule]`` table of ``wirewatch.toml``: daemon, polling and health settings.

Example::

    [schedule]
    default_interval = "15m"     # sources without a cron `schedule`
    min_interval = "5m"          # bounds of adaptive polling
    max_interval = "6h"
    timezone = "UTC"             # of the sources' cron expressions
    max_concurrent_crawls = 2
    alerts_interval = "2m"       # `wirewatch alerts send`; "off" to disable
    housekeeping = "17 3 * * *"  # cron expression
    retention_days = 180
    metrics_port = 9410          # Prometheus; absent or 0 = off
    metrics_address = "127.0.0.1"
    operator_email = "ops@example.org"
    stop_timeout = "2m"          # SIGTERM: how long in-flight crawls may take

    [schedule.health]
    yield_ratio = 0.5            # alarm below half the source's usual yield
    body_ratio = 0.5             # ... or half its usual median body length
    failing_runs = 3             # alarm after this many failed runs in a row
    silent_runs = 12             # ... or this many runs without a new article
    baseline_runs = 20           # how much history "usual" means
    rejection_rise = 0.3         # alarm when the rejected share rises 30 points over usual

    [schedule.source.apnews]     # per-source bounds of adaptive polling
    min_interval = "2m"
    max_interval = "1h"

Durations are seconds (a number) or a string like ``"90s"``, ``"15m"``,
``"2h"``, ``"1d"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from wirewatch.pipelines.durations import parse_duration
from wirewatch.pipelines.errors import ConfigError
from wirewatch.pipelines.validation import (
    NUMBER,
    Problems,
    at_least,
    between,
    parse_table,
    positive,
    refuse,
    setting,
    timezone_problem,
)

if TYPE_CHECKING:
    from wirewatch.crawler.config import Config

__all__ = ["parse_duration"]  # re-exported: config tables and commands import it here


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a 5-field cron expression, or None."""
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        return f"bad cron expression {expression!r}: {exc}"
    return None


def _duration(value: Any) -> timedelta:
    """A positive duration: ``90`` (seconds), ``"15m"``, ``"6h"``..."""
    return positive(parse_duration(value))


def _duration_or_off(value: Any) -> timedelta | None:
    return None if value in ("off", False) else _duration(value)


def _ratio(default: float) -> Any:
    return setting(NUMBER, refuse(_share_problem), float, default=default)


def _share_problem(value: float) -> str | None:
    return None if 0 < value < 1 else "must be between 0 and 1"


def _runs(default: int) -> Any:
    return setting(int, at_least(1), default=default)


def _or_none(port: int) -> int | None:
    return port or None


def _email(value: str) -> str | None:
    return None if "@" in value else f"not an email address: {value!r}"


@dataclass(frozen=True)
class HealthThresholds:
    """The ``[schedule.health]`` table."""

    yield_ratio: float = _ratio(0.5)
    body_ratio: float = _ratio(0.5)
    failing_runs: int = _runs(3)
    silent_runs: int = _runs(12)
    baseline_runs: int = _runs(20)
    # Alarm when the share of article pages rejected (walls, not_article,
    # extraction_failed) is this much (absolute) above the usual share: a
    # ratio would never fire for a source whose usual share is 0.
    rejection_rise: float = _ratio(0.3)
    # Recent runs compared against the baseline (medians of each).
    recent_runs: int = _runs(3)
    # Baseline runs needed before drift is judged at all.
    min_baseline: int = _runs(5)


@dataclass(frozen=True)
class Bounds:
    """Adaptive polling bounds of one source."""

    default: timedelta
    minimum: timedelta
    maximum: timedelta


@dataclass(frozen=True)
class SourceBounds:
    """A ``[schedule.source.NAME]`` table: a source's own bounds (None: the schedule's)."""

    default_interval: timedelta | None = setting(None, _duration, default=None)
    min_interval: timedelta | None = setting(None, _duration, default=None)
    max_interval: timedelta | None = setting(None, _duration, default=None)


@dataclass(frozen=True)
class ScheduleOptions:
    """The ``[schedule]`` table."""

    default_interval: timedelta = setting(None, _duration, default=timedelta(minutes=15))
    min_interval: timedelta = setting(None, _duration, default=timedelta(minutes=5))
    max_interval: timedelta = setting(None, _duration, default=timedelta(hours=6))
    timezone: str = setting(str, refuse(timezone_problem), default="UTC")
    max_concurrent_crawls: int = setting(int, at_least(1), default=2)
    alerts_interval: timedelta | None = setting(
        None, _duration_or_off, default=timedelta(minutes=2)
    )
    housekeeping: str = setting(str, refuse(cron_problem), default="17 3 * * *")
    retention_days: int = setting(int, at_least(1), default=180)
    metrics_port: int | None = setting(  # 0: off
        int, between(0, 65535, "must be a TCP port (0 = off)"), _or_none, default=None
    )
    metrics_address: str = setting(str, default="127.0.0.1")
    operator_email: str | None = setting(str, refuse(_email), default=None)
    stop_timeout: timedelta = setting(None, _duration, default=timedelta(minutes=2))
    health: HealthThresholds = field(default_factory=HealthThresholds)
    source_bounds: Mapping[str, SourceBounds] = field(default_factory=dict)

    def bounds(self, source: str) -> Bounds:
        own = self.source_bounds.get(source, SourceBounds())
        minimum = own.min_interval or self.min_interval
        maximum = own.max_interval or self.max_interval
        default = own.default_interval or self.default_interval
        return Bounds(default=min(max(default, minimum), maximum), minimum=minimum, maximum=maximum)


def _min_not_above_max(
    values: Mapping[str, Any], table: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    low, high = values.get("min_interval"), values.get("max_interval")
    if low is not None and high is not None and low > high:
        yield "min_interval", "is longer than max_interval"


def parse_schedule(table: Any, problems: Problems) -> ScheduleOptions | None:
    """Validator of the ``[schedule]`` table and the tables nested in it."""
    before = len(problems.messages)
    options = parse_table(
        ScheduleOptions,
        table,
        "[schedule]",
        problems,
        checks=(_min_not_above_max,),
        also=("health", "source"),
    )
    nested = table if isinstance(table, dict) else {}
    health = parse_table(HealthThresholds, nested.get("health", {}), "[schedule.health]", problems)
    bounds = _parse_source_bounds(nested.get("source", {}), problems)
    if options is None or health is None or len(problems.messages) > before:
        return None
    return replace(options, health=health, source_bounds=bounds)


def _parse_source_bounds(table: Any, problems: Problems) -> dict[str, SourceBounds]:
    if not isinstance(table, dict):
        problems.add("[schedule.source]", "must be tables: [schedule.source.NAME]")
        return {}
    parsed: dict[str, SourceBounds] = {}
    for name, bounds in table.items():
        where = f"[schedule.source.{name}]"
        own = parse_table(SourceBounds, bounds, where, problems, checks=(_min_not_above_max,))
        if own is not None:
            parsed[name] = own
    return parsed


def schedule_options(config: Config) -> ScheduleOptions:
    """The config's ``[schedule]`` table, defaults when absent.

    Also checks that ``[schedule.source.NAME]`` names a configured source —
    a typo there would otherwise silently leave a source unbounded.
    """
    options = config.schedule
    names = {s.name for s in config.sources} | set(config.rejected)
    unknown = sorted(set(options.source_bounds) - names)
    if unknown:
        raise ConfigError(
            f"{config.path}: [schedule.source.{unknown[0]}]: no source named {unknown[0]!r}"
        )
    return options

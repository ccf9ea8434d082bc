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

import zoneinfo
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from typing import Any

from crawler.config import Config, Problems, check_keys, check_type, cron_problem
from pipelines.durations import parse_duration
from pipelines.errors import ConfigError

__all__ = ["parse_duration"]  # re-exported: config tables and commands import it here


@dataclass(frozen=True)
class HealthThresholds:
    yield_ratio: float = 0.5
    body_ratio: float = 0.5
    failing_runs: int = 3
    silent_runs: int = 12
    baseline_runs: int = 20
    # Alarm when the share of article pages rejected (walls, not_article,
    # extraction_failed) is this much (absolute) above the usual share: a
    # ratio would never fire for a source whose usual share is 0.
    rejection_rise: float = 0.3
    # Recent runs compared against the baseline (medians of each).
    recent_runs: int = 3
    # Baseline runs needed before drift is judged at all.
    min_baseline: int = 5


@dataclass(frozen=True)
class Bounds:
    """Adaptive polling bounds of one source."""

    default: timedelta
    minimum: timedelta
    maximum: timedelta


@dataclass(frozen=True)
class ScheduleOptions:
    default_interval: timedelta = timedelta(minutes=15)
    min_interval: timedelta = timedelta(minutes=5)
    max_interval: timedelta = timedelta(hours=6)
    timezone: str = "UTC"
    max_concurrent_crawls: int = 2
    alerts_interval: timedelta | None = timedelta(minutes=2)
    housekeeping: str = "17 3 * * *"
    retention_days: int = 180
    metrics_port: int | None = None
    metrics_address: str = "127.0.0.1"
    operator_email: str | None = None
    stop_timeout: timedelta = timedelta(minutes=2)
    health: HealthThresholds = field(default_factory=HealthThresholds)
    # source name -> {"min_interval": timedelta, "max_interval": timedelta, "default_interval": ...}
    source_bounds: dict[str, dict[str, timedelta]] = field(default_factory=dict)

    def bounds(self, source: str) -> Bounds:
        own = self.source_bounds.get(source, {})
        minimum = own.get("min_interval", self.min_interval)
        maximum = own.get("max_interval", self.max_interval)
        default = own.get("default_interval", self.default_interval)
        return Bounds(default=min(max(default, minimum), maximum), minimum=minimum, maximum=maximum)


_DURATION_KEYS = {"default_interval", "min_interval", "max_interval", "stop_timeout"}
_TOP_KEYS = {f.name for f in fields(ScheduleOptions)} - {"health", "source_bounds"} | {
    "health",
    "source",
}
_SOURCE_KEYS = {"default_interval", "min_interval", "max_interval"}


def parse_schedule(table: Any, problems: Problems) -> ScheduleOptions:
    """Validator of the ``[schedule]`` table (registered in ``crawler.config.SECTIONS``)."""
    if not isinstance(table, dict):
        problems.add("[schedule]", "must be a table")
        return ScheduleOptions()
    check_keys(table, _TOP_KEYS, set(), "[schedule]", problems)
    values: dict[str, Any] = {}
    for key in sorted(_TOP_KEYS & set(table) - {"health", "source"}):
        where = f"[schedule]: field {key!r}"
        value = table[key]
        if key in _DURATION_KEYS or key == "alerts_interval":
            if key == "alerts_interval" and value in ("off", False):
                values[key] = None
                continue
            try:
                values[key] = parse_duration(value)
            except ValueError as exc:
                problems.add(where, str(exc))
                continue
            if values[key] <= timedelta(0):
                problems.add(where, "must be positive")
        elif key == "timezone":
            if check_type(value, str, where, problems):
                try:
                    zoneinfo.ZoneInfo(value)
                    values[key] = value
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    problems.add(where, f"unknown time zone {value!r}")
        elif key == "housekeeping":
            if check_type(value, str, where, problems):
                if reason := cron_problem(value):
                    problems.add(where, reason)
                else:
                    values[key] = value
        elif key in ("max_concurrent_crawls", "retention_days"):
            if check_type(value, int, where, problems):
                if value < 1:
                    problems.add(where, "must be at least 1")
                else:
                    values[key] = value
        elif key == "metrics_port":
            if check_type(value, int, where, problems):
                if not 0 <= value <= 65535:
                    problems.add(where, "must be a TCP port (0 = off)")
                else:
                    values[key] = value or None
        elif key in ("metrics_address", "operator_email"):
            if check_type(value, str, where, problems):
                if key == "operator_email" and "@" not in value:
                    problems.add(where, f"not an email address: {value!r}")
                else:
                    values[key] = value
    options = ScheduleOptions(**values)
    if "health" in table:
        options = replace(options, health=_parse_health(table["health"], problems))
    if "source" in table:
        options = replace(options, source_bounds=_parse_source_bounds(table["source"], problems))
    if options.min_interval > options.max_interval:
        problems.add("[schedule]: field 'min_interval'", "is longer than max_interval")
    return options


def _parse_health(table: Any, problems: Problems) -> HealthThresholds:
    if not isinstance(table, dict):
        problems.add("[schedule.health]", "must be a table")
        return HealthThresholds()
    allowed = {f.name for f in fields(HealthThresholds)}
    check_keys(table, allowed, set(), "[schedule.health]", problems)
    values: dict[str, Any] = {}
    defaults = HealthThresholds()
    for key in sorted(allowed & set(table)):
        where = f"[schedule.health]: field {key!r}"
        value = table[key]
        if isinstance(getattr(defaults, key), float):
            if check_type(value, (int, float), where, problems):
                if not 0 < value < 1:
                    problems.add(where, "must be between 0 and 1")
                else:
                    values[key] = float(value)
        elif check_type(value, int, where, problems):
            if value < 1:
                problems.add(where, "must be at least 1")
            else:
                values[key] = value
    return HealthThresholds(**values)


def _parse_source_bounds(table: Any, problems: Problems) -> dict[str, dict[str, timedelta]]:
    if not isinstance(table, dict):
        problems.add("[schedule.source]", "must be tables: [schedule.source.NAME]")
        return {}
    parsed: dict[str, dict[str, timedelta]] = {}
    for name, bounds in table.items():
        where = f"[schedule.source.{name}]"
        if not isinstance(bounds, dict):
            problems.add(where, "must be a table")
            continue
        check_keys(bounds, _SOURCE_KEYS, set(), where, problems)
        own: dict[str, timedelta] = {}
        for key in sorted(_SOURCE_KEYS & set(bounds)):
            try:
                own[key] = parse_duration(bounds[key])
            except ValueError as exc:
                problems.add(f"{where}: field {key!r}", str(exc))
                continue
            if own[key] <= timedelta(0):
                problems.add(f"{where}: field {key!r}", "must be positive")
        if (
            "min_interval" in own
            and "max_interval" in own
            and own["min_interval"] > own["max_interval"]
        ):
            problems.add(f"{where}: field 'min_interval'", "is longer than max_interval")
        parsed[name] = own
    return parsed


def schedule_options(config: Config) -> ScheduleOptions:
    """The config's ``[schedule]`` table, defaults when absent.

    Also checks that ``[schedule.source.NAME]`` names a configured source —
    a typo there would otherwise silently leave a source unbounded.
    """
    options = config.sections.get("schedule") or ScheduleOptions()
    names = {s.name for s in config.sources} | set(config.rejected)
    unknown = sorted(set(options.source_bounds) - names)
    if unknown:
        raise ConfigError(
            f"{config.path}: [schedule.source.{unknown[0]}]: no source named {unknown[0]!r}"
        )
    return options

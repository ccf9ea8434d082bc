"""When to crawl a source next: cron schedules, adaptive intervals, failure backoff.

Pure functions of a source's run history (newest first), shared by the
daemon (``wirewatch schedule``) and cron mode (``wirewatch crawl --due``) so
both make the same decision from the same rows of ``crawl_runs``.

* A source with a cron ``schedule`` runs at its cron times.
* A source without one is polled adaptively within its bounds: every run
  that finds nothing new stretches the interval, every busy run shrinks it.
* A source whose latest runs failed backs off by the kind of failure: being
  rate-limited or blocked earns long pauses, a network blip short ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from wirewatch.crawler.run_history import RunRecord
from wirewatch.crawler.schedule_config import Bounds

# Runs that decide the adaptive interval (newest ones).
WINDOW = 10
# A run with at least this many new articles means "poll more often".
BUSY_RUN = 5
QUIET_FACTOR = 1.5
BUSY_FACTOR = 0.5

# Failure class -> (first pause, longest pause); doubling per failed run in a row.
BACKOFF: dict[str, tuple[timedelta, timedelta]] = {
    "rate_limited": (timedelta(minutes=15), timedelta(hours=6)),
    "blocked": (timedelta(hours=1), timedelta(hours=24)),
    "gone": (timedelta(hours=2), timedelta(hours=24)),
    "network": (timedelta(minutes=5), timedelta(hours=2)),
    "server": (timedelta(minutes=10), timedelta(hours=3)),
    "other": (timedelta(minutes=10), timedelta(hours=3)),
}


class CronLike(Protocol):
    """What polling needs of an APScheduler ``CronTrigger``."""

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None: ...


def failure_class(kind: str | None) -> str:
    """Group an error kind (``http_429``, ``dns``, ``blocked``...) by how to back off."""
    if kind in ("http_429", "http_503"):
        return "rate_limited"
    if kind in ("http_401", "http_403", "blocked", "consent_wall", "robots_disallowed"):
        return "blocked"
    if kind in ("http_404", "http_410"):
        return "gone"
    if kind in ("dns", "connection", "timeout"):
        return "network"
    if kind and kind.startswith("http_5"):
        return "server"
    return "other"


def trailing_failures(history: Sequence[RunRecord]) -> list[RunRecord]:
    """The failed runs since the last run that did not fail (newest first)."""
    failures = []
    for run in history:
        if run.interrupted or run.status == "running":
            continue
        if not run.failed:
            break
        failures.append(run)
    return failures


def failure_backoff(history: Sequence[RunRecord]) -> tuple[datetime, str] | None:
    """(until when, why) to leave a failing source alone, or None."""
    failures = trailing_failures(history)
    if not failures:
        return None
    latest = failures[0]
    kind = latest.failure_kind or "unknown"
    first, longest = BACKOFF[failure_class(kind)]
    pause = min(longest, first * (2 ** (len(failures) - 1)))
    since = latest.finished_at or latest.started_at
    return since + pause, f"{len(failures)} failed run(s), last {kind}"


def adaptive_interval(history: Sequence[RunRecord], bounds: Bounds) -> timedelta:
    """The polling interval of a source without a cron schedule.

    Replays its latest successful runs from the default interval: a run with
    nothing new stretches it by half, a busy run halves it, anything in
    between keeps it; always within the source's bounds.
    """
    done = [r for r in history if r.status in ("ok", "partial") and not r.interrupted]
    interval = bounds.default
    for run in reversed(done[:WINDOW]):
        if run.articles_new == 0:
            interval = interval * QUIET_FACTOR
        elif run.articles_new >= BUSY_RUN:
            interval = interval * BUSY_FACTOR
        interval = min(max(interval, bounds.minimum), bounds.maximum)
    return interval


def next_due(
    last_started: datetime | None,
    history: Sequence[RunRecord],
    bounds: Bounds,
    cron: CronLike | None = None,
) -> datetime | None:
    """When the source is next due, counting from its last start; None = never run, due now."""
    if last_started is None:
        return None
    if cron is not None:
        due = cron.get_next_fire_time(None, last_started + timedelta(microseconds=1))
        if due is None:  # a cron expression with no future time: never again
            return datetime.max.replace(tzinfo=last_started.tzinfo)
    else:
        due = last_started + adaptive_interval(history, bounds)
    backoff = failure_backoff(history)
    if backoff is not None:
        due = max(due, backoff[0])
    return due


def is_due(due: datetime | None, now: datetime) -> bool:
    return due is None or due <= now

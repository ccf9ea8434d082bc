"""Scheduling state in PostgreSQL: which sources are due, which runs died.

The I/O side of ``crawler.polling``: the daemon, cron mode and ``status``
all read the same ``crawl_runs`` history through here, so they agree on
when a source is due.
"""

from __future__ import annotations

import logging
import zoneinfo
from datetime import datetime

import psycopg
from apscheduler.triggers.cron import CronTrigger
from psycopg.rows import DictRow

from wirewatch.crawler import locks, polling
from wirewatch.crawler.config import Config, Source
from wirewatch.crawler.run_history import RunRecord, group_by_source, last_started
from wirewatch.crawler.schedule_config import ScheduleOptions
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

# Runs read per source: enough for adaptive polling and the health baseline.
HISTORY_RUNS = 40


def cron_trigger(source: Source, options: ScheduleOptions) -> CronTrigger | None:
    if not source.schedule:
        return None
    return CronTrigger.from_crontab(source.schedule, timezone=zoneinfo.ZoneInfo(options.timezone))


def load_histories(
    conn: psycopg.Connection[DictRow], names: list[str], per_source: int = HISTORY_RUNS
) -> dict[str, list[RunRecord]]:
    """{source: its latest runs, newest first}; every name present, maybe empty."""
    rows = conn.execute(Q.recent_runs_of_sources, {"sources": names, "per_source": per_source})
    grouped = group_by_source(rows)
    return {name: grouped.get(name, []) for name in names}


def next_due_of(
    source: Source, history: list[RunRecord], options: ScheduleOptions
) -> datetime | None:
    return polling.next_due(
        last_started(history), history, options.bounds(source.name), cron_trigger(source, options)
    )


def due_sources(
    conn: psycopg.Connection[DictRow],
    sources: list[Source],
    options: ScheduleOptions,
    now: datetime,
) -> list[Source]:
    """The sources whose schedule says they are due at ``now``, since their last run."""
    histories = load_histories(conn, [s.name for s in sources])
    due = []
    for source in sources:
        when = next_due_of(source, histories[source.name], options)
        if polling.is_due(when, now):
            due.append(source)
        else:
            log.debug("source %s not due until %s", source.name, when)
    return due


def reap_interrupted_runs(conn: psycopg.Connection[DictRow]) -> list[int]:
    """Mark runs left 'running' by a dead process as failed ('interrupted').

    A run is only abandoned when nobody holds its source's lock: a live crawl
    always does (``crawler.runner.run_crawls``), so a crawl in progress on
    another machine is never touched.
    """
    reaped = []
    for row in conn.execute(Q.running_crawl_runs).fetchall():
        if locks.is_locked(conn, locks.source_lock_key(row["source"])):
            continue
        if conn.execute(Q.mark_run_interrupted, {"id": row["id"]}).rowcount:
            log.warning(
                "crawl run %s of source %s was interrupted (its process died)",
                row["id"],
                row["source"],
            )
            reaped.append(row["id"])
    return reaped


def enabled_sources(config: Config) -> list[Source]:
    return [s for s in config.sources if s.enabled]


def log_rejected(config: Config) -> None:
    """Say loudly which sources an unattended run leaves out, and why."""
    for name, problems in config.rejected.items():
        for problem in problems:
            log.error("source %s is not crawled: %s", name, problem)

"""Crawl the configured sources once: what cron runs.

Its options, and the description `wirewatch crawl --help` prints, are in
crawler/usage/crawl.py (imported without this module).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler import health
from wirewatch.crawler.config import Config, Source, load_config
from wirewatch.crawler.health_notify import sync_alarms
from wirewatch.crawler.logs import quiet_stderr
from wirewatch.crawler.metrics_file import write_metrics_file
from wirewatch.crawler.runner import format_summaries, run_crawls, run_problems
from wirewatch.crawler.schedule_config import ScheduleOptions, schedule_options
from wirewatch.crawler.schedule_state import (
    due_sources,
    load_histories,
    log_rejected,
    reap_interrupted_runs,
)
from wirewatch.pipelines import db, progress

log = logging.getLogger(__name__)


def _still_due(
    options: ScheduleOptions,
) -> Callable[[psycopg.Connection[DictRow], list[Source]], list[Source]]:
    """Due check made under the sources' locks, so two cron runs cannot both crawl."""

    def check(conn: psycopg.Connection[DictRow], sources: list[Source]) -> list[Source]:
        reap_interrupted_runs(conn)
        return due_sources(conn, sources, options, datetime.now(UTC))

    return check


def run(args: argparse.Namespace) -> int:
    # Unattended (cron) runs leave a broken source out and crawl the others;
    # the exit status still says something is wrong, so cron mails about it.
    config = load_config(args.config, skip_bad_sources=args.due)
    log_rejected(config)
    broken = 1 if config.rejected else 0
    sources = config.select(args.source)
    if not sources:
        print("wirewatch: no sources to crawl", file=sys.stderr)
        return broken
    only_if = None
    if args.due:
        only_if = _still_due(schedule_options(config))
    if args.quiet:
        quiet_stderr()
    overrides = {
        "WIREWATCH_FULL_REFETCH": args.full,
        "WIREWATCH_PROGRESS": progress.shown() and not args.quiet,
    }
    summaries = run_crawls(config, sources, only_if=only_if, overrides=overrides)
    if args.due and not summaries:
        log.info("no source is due")
        return broken
    problems = run_problems(summaries)
    failed = [s.source for s in summaries if s.status == "failed"]
    if args.metrics_file:
        metrics_file(args.metrics_file, [s.name for s in config.sources])
    if not args.quiet:
        print(format_summaries(summaries))
        report(problems, failed, [])
        return 1 if failed or problems else broken
    raised = new_alarms(config, [s.source for s in summaries if s.run_id is not None])
    if failed or problems or raised:
        troubled = [s for s in summaries if s.status == "failed" or s.store_failed]
        print(format_summaries(troubled or summaries))
    report(problems, failed, raised)
    return 1 if failed or problems or raised else broken


def report(problems: list[str], failed: list[str], raised: list[health.Alarm]) -> None:
    for problem in problems:
        print(f"wirewatch: {problem}", file=sys.stderr)
    if failed:
        print(f"wirewatch: failed entirely: {', '.join(failed)}", file=sys.stderr)
    for alarm in raised:
        print(f"wirewatch: turned unhealthy: {alarm}", file=sys.stderr)


def metrics_file(path: str, names: list[str]) -> None:
    """Write the sources' figures for node-exporter; a failure is logged, not fatal."""
    try:
        with db.session() as conn:
            write_metrics_file(conn, names, path, datetime.now(UTC))
    except (OSError, psycopg.Error) as exc:
        log.error("could not write the metrics file %s: %s", path, exc)


def new_alarms(config: Config, names: list[str]) -> list[health.Alarm]:
    """Drift alarms of the crawled sources that this crawl raised (not raised before).

    They are kept in ``health_alarms`` like ``status`` keeps them, so each is
    reported once here, and ``status --notify`` still mails it.
    """
    if not names:
        return []
    options = schedule_options(config)
    try:
        with db.session() as conn:
            histories = load_histories(conn, names)
            alarms = [
                alarm
                for name in names
                for alarm in health.drift_alarms(name, histories[name], options.health)
            ]
            return sync_alarms(conn, names, alarms)
    except psycopg.OperationalError as exc:  # the crawl's own report says what was lost
        log.error("could not check the sources' health: %s", exc)
        return []

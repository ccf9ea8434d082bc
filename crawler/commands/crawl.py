"""Crawl the configured sources once: what cron runs.

Prints progress while it runs and a summary per source at the end; exits
with status 1 when a source failed entirely (none of its feeds, sitemaps or
section pages could be read), when an article could not be stored (the
database was away for longer than the retries last) or when a run's end could
not be recorded, 2 when the configuration is invalid.

``--due`` is cron mode: only the sources whose schedule (or adaptive
interval) says they are due since their last run are crawled, so one crontab
line every few minutes drives every source at its own pace.  ``--quiet``
makes it fit cron's mail: nothing is printed when all is well, and a short
report when a source failed, lost articles or turned unhealthy (a drift
alarm raised by this crawl).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from crawler import health
from crawler.config import Config, Source, load_config
from crawler.health_notify import sync_alarms
from crawler.logs import quiet_stderr
from crawler.runner import format_summaries, run_crawls, run_problems
from crawler.schedule_config import ScheduleOptions, schedule_options
from crawler.schedule_state import (
    due_sources,
    load_histories,
    log_rejected,
    reap_interrupted_runs,
)
from pipelines import db

log = logging.getLogger(__name__)

NAME = "crawl"
HELP = "crawl the configured sources once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="crawl only this source (repeatable); default: every enabled source",
    )
    parser.add_argument(
        "--due",
        action="store_true",
        help="crawl only the sources whose schedule says they are due since their last "
        "run (cron mode: run this every few minutes)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="ignore stored validators and stored articles: fetch every listing and every "
        "listed article again (after a config change or a fix)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing unless a source failed, lost articles or turned unhealthy "
        "(for cron, which mails what a job prints)",
    )


def _still_due(
    options: ScheduleOptions,
) -> Callable[[psycopg.Connection, list[Source]], list[Source]]:
    """Due check made under the sources' locks, so two cron runs cannot both crawl."""

    def check(conn: psycopg.Connection, sources: list[Source]) -> list[Source]:
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
    overrides = {"WIREWATCH_FULL_REFETCH": True} if args.full else None
    summaries = run_crawls(config, sources, only_if=only_if, overrides=overrides)
    if args.due and not summaries:
        log.info("no source is due")
        return broken
    problems = run_problems(summaries)
    failed = [s.source for s in summaries if s.status == "failed"]
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

"""Crawl the configured sources once: what cron runs.

Prints progress while it runs and a summary per source at the end; exits
with status 1 when a source failed entirely (none of its feeds, sitemaps or
section pages could be read), when an article could not be stored (the
database was away for longer than the retries last) or when a run's end could
not be recorded, 2 when the configuration is invalid.

``--due`` is cron mode: only the sources whose schedule (or adaptive
interval) says they are due since their last run are crawled, so one crontab
line every few minutes drives every source at its own pace.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from crawler.config import Source, load_config
from crawler.runner import format_summaries, run_crawls, run_problems
from crawler.schedule_config import ScheduleOptions, schedule_options
from crawler.schedule_state import due_sources, log_rejected, reap_interrupted_runs

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
    summaries = run_crawls(config, sources, only_if=only_if)
    if args.due and not summaries:
        log.info("no source is due")
        return broken
    print(format_summaries(summaries))
    problems = run_problems(summaries)
    for problem in problems:
        print(f"wirewatch: {problem}", file=sys.stderr)
    failed = [s.source for s in summaries if s.status == "failed"]
    if failed:
        print(f"wirewatch: failed entirely: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed or problems else broken

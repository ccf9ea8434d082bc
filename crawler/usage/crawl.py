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
        "--metrics-file",
        metavar="PATH",
        help="after the crawl, write every source's figures there for node-exporter's "
        "textfile collector (cron mode's /metrics)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="print nothing unless a source failed, lost articles or turned unhealthy "
        "(for cron, which mails what a job prints)",
    )

"""Crawl the configured sources once: what cron runs.

Prints progress while it runs and a summary per source at the end; exits
with status 1 when a source failed entirely (none of its feeds, sitemaps or
section pages could be read), 2 when the configuration is invalid.
"""

from __future__ import annotations

import argparse
import sys

from crawler.config import load_config
from crawler.runner import format_summaries, run_crawls

NAME = "crawl"
HELP = "crawl the configured sources once"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        metavar="NAME",
        help="crawl only this source (repeatable); default: every enabled source",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    sources = config.select(args.source)
    if not sources:
        print("wirewatch: no sources to crawl", file=sys.stderr)
        return 0
    summaries = run_crawls(config, sources)
    print(format_summaries(summaries))
    failed = [s.source for s in summaries if s.status == "failed"]
    if failed:
        print(f"wirewatch: failed entirely: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0

"""Backfill from WARC files (Common Crawl's CC-NEWS, your own archives).

Each HTML page with status 200 goes through the crawl's pipeline (wall gate,
extraction, dedupe, storage: one transaction per article, stories, copies,
feed changes); everything else is skipped and counted by kind, and a summary
table ends the run.  Files are claimed in PostgreSQL: an interrupted import
resumes where it stopped, and several importers (on several machines) given
the same file list each take different files.  Alerts are not queued for
imported stories unless --alerts.
"""

from __future__ import annotations

import argparse

NAME = "import-warc"
HELP = "import archived pages from WARC files (CC-NEWS) into stories"

# The defaults of pipelines.warc_import, repeated so that this module stays light
# (tests/test_cli.py checks they agree).
DEFAULT_SOURCE = "import"
CHECKPOINT_RECORDS = 1000
MAX_RECORD_BYTES = 5 * 1024 * 1024


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files", nargs="*", metavar="FILE|URL|-", help="WARC or WARC.gz files; - reads stdin"
    )
    parser.add_argument(
        "--files-from",
        metavar="LIST",
        help="a file of WARC paths or URLs, one a line (CC-NEWS warc.paths.gz works)",
    )
    parser.add_argument(
        "--prefix",
        metavar="URL",
        help="prepended to relative entries of --files-from (https://data.commoncrawl.org/)",
    )
    parser.add_argument(
        "--source", default=DEFAULT_SOURCE, help=f"source name for the articles ({DEFAULT_SOURCE})"
    )
    parser.add_argument("--url-filter", metavar="REGEX", help="only pages whose URL matches")
    parser.add_argument("--lang", metavar="xx", help="only articles in this language (ISO 639-1)")
    parser.add_argument("--since", metavar="DATE", help="published on or after (2026-05-01, 30d)")
    parser.add_argument(
        "--until", metavar="DATE", help="published on or before (a day counts whole)"
    )
    parser.add_argument(
        "--alerts", action="store_true", help="queue keyword alerts for imported stories"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, metavar="N", help="extraction worker processes (2)"
    )
    parser.add_argument(
        "--writers", type=int, default=2, metavar="N", help="database connections storing (2)"
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds one page may take (30)"
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=CHECKPOINT_RECORDS,
        metavar="N",
        help=f"records between checkpoints of a file's progress ({CHECKPOINT_RECORDS})",
    )
    parser.add_argument(
        "--max-record-mb",
        type=float,
        default=MAX_RECORD_BYTES / 1024 / 1024,
        metavar="MB",
        help="larger records are skipped (5)",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")

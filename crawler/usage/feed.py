"""Print the feed's changes (new stories, new copies, canonical changes) after a cursor.

Oldest first.  In JSON Lines each line is one change; resume with the
``cursor`` of the last line you handled (``--since``), and nothing is missed
or repeated, whatever writers were doing meanwhile.  ``--format atom`` writes
an Atom 1.0 feed a reader can subscribe to (use ``--latest N --output FILE``
from cron); ``--query`` keeps only stories matching an alert-syntax query.
Malformed or unknown cursors, queries and formats exit with status 2.
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import positive_float, positive_int

NAME = "feed"
HELP = "print changes after a cursor as JSON Lines, Atom or CSV (--follow to keep going)"
FORMATS = ("jsonl", "atom", "csv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--since", metavar="CURSOR", help="print the changes after this cursor (default: all)"
    )
    start.add_argument(
        "--latest",
        metavar="N",
        type=positive_int,
        help="start so that the last N (matching) changes follow; for Atom files",
    )
    parser.add_argument("--limit", metavar="N", type=positive_int, help="print at most N changes")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="default: jsonl")
    parser.add_argument("--query", metavar="Q", help="only stories matching Q (alert syntax)")
    parser.add_argument(
        "--follow", action="store_true", help="keep printing changes as they are committed"
    )
    parser.add_argument(
        "--poll",
        metavar="SECONDS",
        type=positive_float,
        default=5.0,
        help="with --follow: re-read at least this often even without a notification",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE (replaced atomically, so a feed reader never sees half a file)",
    )
    parser.add_argument("--feed-url", metavar="URL", help="Atom: the URL FILE is served at")

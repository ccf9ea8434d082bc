"""Extract stored articles again from their archived pages, without fetching anything.

Each article whose page the crawl archived (``[archive]`` in wirewatch.toml)
goes through extraction, dedupe and storage again, so an improved extractor
or boilerplate learned since reaches the articles already stored: an article
whose title or text comes out different is updated, re-filed under its story
and keeps its new text as the next revision (no alerts are queued).  Articles
the extractor now rejects, pruned ones and ones a crawl updated meanwhile are
left as they are; an article whose archived page is gone (pruned file) or
damaged is counted as missing.

Interrupted, it resumes where it stopped when run again with the same
--source and --since (--restart begins again); --dry-run counts what would
change and writes nothing.
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import positive_float, positive_int, since_duration

NAME = "reextract"
HELP = "extract stored articles again from the archived pages (new revisions), no network"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", metavar="NAME", help="only the articles of this source")
    parser.add_argument(
        "--since",
        metavar="AGE",
        type=since_duration,
        help="only articles fetched this recently, e.g. 7d (default: all)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="count what would change; write nothing"
    )
    parser.add_argument(
        "--restart",
        action="store_true",
        help="begin the selection again instead of resuming an interrupted run",
    )
    parser.add_argument(
        "--jobs", type=positive_int, default=2, metavar="N", help="extraction worker processes (2)"
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=30.0,
        metavar="SECONDS",
        help="longest one page may take (30)",
    )

"""Drop article bodies (or, with --delete-rows, whole stories) older than a horizon.

A story is pruned only when neither it nor any copy of it changed within the
horizon.  Titles, URLs, outlets, dates and the story structure stay unless
--delete-rows; feed cursors stay valid either way.  Safe to interrupt and to
run from cron: work is committed in small batches.

--archive-older-than deletes the raw-page archive's WARC files last written
before its horizon (once their crawl runs are over); the articles whose page
was in them no longer point at an archived page, and reextract passes them
by.  Give --older-than, --archive-older-than or both.
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import positive_int

NAME = "prune"
HELP = "drop old bodies or stories (--older-than 90d) and archived pages (--archive-older-than)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--older-than", metavar="AGE", help="e.g. 12h, 90d, 2w (at least 1h)")
    parser.add_argument(
        "--archive-older-than",
        metavar="AGE",
        help="delete archived pages (WARC files) older than this, e.g. 180d (at least 1h)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="only count what would be pruned; change nothing"
    )
    parser.add_argument(
        "--delete-rows",
        action="store_true",
        help="delete the stories, their articles and change-log rows instead of just the bodies",
    )
    parser.add_argument(
        "--batch-size", metavar="N", type=positive_int, default=500, help="stories per transaction"
    )

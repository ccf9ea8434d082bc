"""List the pages crawls failed on or turned away, newest first, with the evidence.

Each row is one recorded failure of a page (``crawl_errors``): when, which
source, its kind (``paywall``, ``blocked``, ``consent_wall``,
``extraction_failed``, ``http_404``, ``timeout``...), the URL, and the message
that says what decided it.  ``--counts`` sums them per source and kind
instead.  Pages judged to hold no article (``not_article``) are listed too,
so a real article turned away can be found; robots.txt refusals are only
counted per run (``wirewatch status --json``).
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import positive_int, since_duration

NAME = "errors"
HELP = "pages crawls failed on or rejected (walls, not_article, HTTP errors...), newest first"
DEFAULT_SINCE = "1d"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    parser.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="only this kind, e.g. paywall, blocked, http_404 (repeatable)",
    )
    parser.add_argument(
        "--since",
        metavar="AGE",
        type=since_duration,
        default=since_duration(DEFAULT_SINCE),
        help=f"how far back, e.g. 30m, 6h, 7d (default: {DEFAULT_SINCE})",
    )
    parser.add_argument(
        "--limit", metavar="N", type=positive_int, default=50, help="most rows (default: 50)"
    )
    parser.add_argument(
        "--counts", action="store_true", help="counts per source and kind instead of rows"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document, messages whole")

"""Full-text search over stored stories, with the alert query language.

Words, "exact phrases", AND / OR / NOT, parentheses, title:, source:, lang:
and prefix* work as in alerts; matching uses PostgreSQL's full-text index
(stemmed in the article's language, case and accents folded), not the
alerts' spelling-variant matching.  Newest stories first; one row per story
(its canonical copy is searched) unless --all-copies.  A malformed query
exits with status 2.
"""

from __future__ import annotations

import argparse

from crawler.usage._types import positive_int

NAME = "search"
HELP = "full-text search of stored stories (alert query syntax)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="QUERY", help="e.g. '\"Mansur\" AND taliban'")
    parser.add_argument("--limit", metavar="N", type=positive_int, default=20, help="default: 20")
    parser.add_argument(
        "--all-copies", action="store_true", help="search every copy, one row per article"
    )
    parser.add_argument("--format", choices=("text", "jsonl", "csv"), default="text")

"""Full-text search over stored stories, with the alert query language.

Words, "exact phrases", AND / OR / NOT, parentheses, title:, source:, lang:
and prefix* work as in alerts; matching uses PostgreSQL's full-text index
(stemmed in the article's language, case and accents folded), not the
alerts' spelling-variant matching.  One row per story (its canonical copy is
searched) unless --all-copies.  A malformed query exits with status 2.

Newest published first (a story without a publication date counts from when
it was first seen, and a date later than that counts as that); ``--sort
seen`` orders by when wirewatch first saw them, ``--sort relevance`` by how
well they match (title words weigh more), then newest published first.  The
text output says how many match (exactly up to 1,000, "1,000+" beyond) and
shows each story's text around the matched words, which are highlighted on a
terminal and marked **like this** elsewhere; --format jsonl and csv carry the
snippet too.
"""

from __future__ import annotations

import argparse

from wirewatch.crawler.usage._types import positive_int

NAME = "search"
HELP = "full-text search of stored stories (alert query syntax), newest published first"
SORTS = ("published", "relevance", "seen")  # pipelines.search.SORTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="QUERY", help="e.g. '\"Mansur\" AND taliban'")
    parser.add_argument("--limit", metavar="N", type=positive_int, default=20, help="default: 20")
    parser.add_argument(
        "--all-copies", action="store_true", help="search every copy, one row per article"
    )
    parser.add_argument(
        "--sort",
        choices=SORTS,
        default="published",
        help="newest published first (default), best match first, or newest seen first",
    )
    parser.add_argument("--format", choices=("text", "jsonl", "csv"), default="text")

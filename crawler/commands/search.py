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
import sys
from typing import Any

from crawler.commands.feed import positive_int
from pipelines import db
from pipelines.export import CsvWriter, jsonl_line
from pipelines.search import search

NAME = "search"
HELP = "full-text search of stored stories (alert query syntax)"

STORY_FIELDS = (
    "story_id",
    "title",
    "url",
    "outlet",
    "source",
    "published",
    "first_seen",
    "language",
    "copies",
    "outlets",
    "summary",
)
ARTICLE_FIELDS = (
    "article_id",
    "story_id",
    "title",
    "url",
    "outlet",
    "source",
    "published",
    "first_seen",
    "language",
    "summary",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", metavar="QUERY", help="e.g. '\"Mansur\" AND taliban'")
    parser.add_argument("--limit", metavar="N", type=positive_int, default=20, help="default: 20")
    parser.add_argument(
        "--all-copies", action="store_true", help="search every copy, one row per article"
    )
    parser.add_argument("--format", choices=("text", "jsonl", "csv"), default="text")


def _text_line(row: dict[str, Any]) -> str:
    when = row["published"] or row["first_seen"]
    date = when.strftime("%Y-%m-%d %H:%M") if when else "-"
    extra = f" (+{row['copies'] - 1} copies)" if row.get("copies", 1) > 1 else ""
    return f"{date}  {row['outlet']}: {row['title'] or '(untitled)'}{extra}\n    {row['url']}"


def run(args: argparse.Namespace) -> int:
    fields = ARTICLE_FIELDS if args.all_copies else STORY_FIELDS
    with db.session() as conn:
        rows = search(conn, args.query, limit=args.limit, all_copies=args.all_copies)
    out = sys.stdout
    if args.format == "jsonl":
        for row in rows:
            out.write(jsonl_line(row, fields) + "\n")
    elif args.format == "csv":
        writer = CsvWriter(fields, out)
        writer.header()
        for row in rows:
            writer.write(row)
    else:
        for row in rows:
            out.write(_text_line(row) + "\n")
        if not rows:
            print("no matching stories", file=sys.stderr)
    return 0

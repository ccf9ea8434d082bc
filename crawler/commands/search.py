"""Full-text search over stored stories, with the alert query language.

Its options, and the description `wirewatch search --help` prints, are in
crawler/usage/search.py (imported without this module).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pipelines import db
from pipelines.export import CsvWriter, jsonl_line
from pipelines.search import search

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

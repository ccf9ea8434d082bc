"""Full-text search over stored stories, with the alert query language.

Its options, and the description `wirewatch search --help` prints, are in
crawler/usage/search.py (imported without this module).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from wirewatch.pipelines import db
from wirewatch.pipelines.export import CsvWriter, jsonl_line
from wirewatch.pipelines.search import (
    FRAGMENT_GAP,
    MATCH_END,
    MATCH_START,
    count_matches,
    publication_time,
    search,
)

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
    "snippet",
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
    "snippet",
)

# What a page's text may not send to a terminal: control characters (escape
# sequences start with ESC; CR and backspace overwrite what was shown) and the
# bidirectional overrides that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
BOLD, PLAIN = "\x1b[1m", "\x1b[0m"


def terminal_safe(text: str) -> str:
    """``text`` with every control character (and bidi override) shown as one space."""
    return _UNSAFE.sub(" ", text)


def render_snippet(snippet: str, *, on_terminal: bool) -> str:
    """A search snippet as printed: fragments joined by ' … ', matches in bold on a
    terminal and between ** elsewhere; never a control character from the page."""
    mark, unmark = (BOLD, PLAIN) if on_terminal else ("**", "**")
    safe = terminal_safe(snippet)
    safe = safe.replace(MATCH_START, mark).replace(MATCH_END, unmark)
    return " … ".join(part.strip() for part in safe.split(FRAGMENT_GAP))


def _text_line(row: dict[str, Any], sort: str, on_terminal: bool) -> str:
    when = row["first_seen"] if sort == "seen" else publication_time(row)
    date = when.strftime("%Y-%m-%d %H:%M") if when else "-"
    extra = f" (+{row['copies'] - 1} copies)" if row.get("copies", 1) > 1 else ""
    title = terminal_safe(f"{row['outlet']}: {row['title'] or '(untitled)'}")
    lines = [f"{date}  {title}{extra}", f"    {terminal_safe(row['url'])}"]
    if row.get("snippet"):
        lines.append(f"    {render_snippet(row['snippet'], on_terminal=on_terminal)}")
    return "\n".join(lines)


def count_line(found: int, more: bool, shown: int, what: str, sort: str) -> str:
    """'1,000+ stories match; the 20 newest published:' and the like."""
    total = f"{found:,}{'+' if more else ''}"
    noun = what if found != 1 or more else {"stories": "story", "articles": "article"}[what]
    order = {"published": "newest published", "seen": "newest seen", "relevance": "best"}[sort]
    if shown >= found and not more:
        return f"{total} {noun} match, {order} first:"
    return f"{total} {noun} match; the {shown} {order}:"


def run(args: argparse.Namespace) -> int:
    fields = ARTICLE_FIELDS if args.all_copies else STORY_FIELDS
    with db.session() as conn:
        rows = search(
            conn,
            args.query,
            limit=args.limit,
            all_copies=args.all_copies,
            sort=args.sort,
            snippets=True,
        )
        counted = None
        if rows and args.format == "text":
            counted = count_matches(conn, args.query, all_copies=args.all_copies)
    out = sys.stdout
    if args.format == "jsonl":
        for row in rows:
            out.write(jsonl_line(plain_snippet(row), fields) + "\n")
    elif args.format == "csv":
        writer = CsvWriter(fields, out)
        writer.header()
        for row in rows:
            writer.write(plain_snippet(row))
    elif counted is not None:
        on_terminal = out.isatty()
        what = "articles" if args.all_copies else "stories"
        out.write(count_line(*counted, len(rows), what, args.sort) + "\n\n")
        for row in rows:
            out.write(_text_line(row, args.sort, on_terminal) + "\n")
    if not rows:
        print("no matching stories", file=sys.stderr)
    return 0


def plain_snippet(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its snippet as plain text for JSON Lines and CSV (matches in **)."""
    snippet = row.get("snippet")
    return {**row, "snippet": render_snippet(snippet, on_terminal=False) if snippet else None}

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
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import psycopg

from crawler.errors import UsageError
from pipelines import db, feed
from pipelines.atom import feed_info, render_atom
from pipelines.cursor import parse_cursor
from pipelines.export import CsvWriter, jsonl_line

NAME = "feed"
HELP = "print changes after a cursor as JSON Lines, Atom or CSV (--follow to keep going)"
FORMATS = ("jsonl", "atom", "csv")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text}")
    return value


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


@contextmanager
def _atomic_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run(args: argparse.Namespace) -> int:
    if args.follow and args.format == "atom":
        raise UsageError("--follow prints a stream: use --format jsonl or csv, not atom")
    if args.follow and args.output:
        raise UsageError("--follow writes to standard output; --output is for one-off exports")
    after = parse_cursor(args.since)
    url = db.database_url()
    db.ensure_migrated(url)
    with feed.reader_connection(url) as conn:
        where = feed.story_filter(conn, args.query) if args.query else None
        if args.latest:
            after = feed.latest_start(conn, args.latest, where)
        if args.follow:
            return _follow(url, conn, after, where, args)
        changes = feed.iter_changes(conn, after, limit=args.limit, where=where)
        with _atomic_output(args.output) as out:
            if args.format == "atom":
                info = feed_info(args.query, args.feed_url)
                out.write(render_atom(info, list(changes)).decode("utf-8"))
            elif args.format == "csv":
                writer = CsvWriter(feed.FIELDS, out)
                writer.header()
                for change in changes:
                    writer.write(change)
            else:
                for change in changes:
                    out.write(jsonl_line(change, feed.FIELDS) + "\n")
    return 0


def _follow(
    url: str,
    conn: psycopg.Connection,
    after: int,
    where: feed.StoryFilter | None,
    args: argparse.Namespace,
) -> int:
    feed.check_cursor(conn, after)  # a bad cursor fails now, not after the first wait
    printed = 0
    writer = CsvWriter(feed.FIELDS, sys.stdout) if args.format == "csv" else None
    if writer:
        writer.header()
        sys.stdout.flush()

    def emit(change: dict[str, Any]) -> None:
        nonlocal printed
        if writer:
            writer.write(change)
        else:
            sys.stdout.write(jsonl_line(change, feed.FIELDS) + "\n")
        sys.stdout.flush()
        printed += 1

    feed.follow(
        url,
        after,
        emit,
        where=where,
        poll_seconds=args.poll,
        stop=lambda: args.limit is not None and printed >= args.limit,
    )
    return 0

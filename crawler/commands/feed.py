"""Print the feed's changes (new stories, new copies, canonical changes) after a cursor.

Its options, and the description `wirewatch feed --help` prints, are in
crawler/usage/feed.py (imported without this module).
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
from psycopg.rows import DictRow

from wirewatch.pipelines import db, feed
from wirewatch.pipelines.atom import feed_info, render_atom
from wirewatch.pipelines.cursor import parse_cursor
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.export import CsvWriter, jsonl_line


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
    conn: psycopg.Connection[DictRow],
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

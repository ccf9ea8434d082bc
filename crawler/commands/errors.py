"""List the pages crawls failed on or turned away, newest first, with the evidence.

Its options, and the description `wirewatch errors --help` prints, are in
crawler/usage/errors.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler.config import config_path, load_config
from wirewatch.crawler.extensions.crawl_runs import NOT_LISTED
from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.queries import Q

MESSAGE_WIDTH = 80  # evidence is cut to this in the table; --json has it whole
URL_WIDTH = 60  # longer URLs are shown whole and push their row's evidence right


def check_sources(names: Sequence[str], known: Iterable[str], config_arg: str | None) -> None:
    """A clear usage error for a source nobody knows: not crawled, not configured.

    Sources the database has seen are enough, so the command works without a
    configuration file; the file is read only to accept sources never crawled.
    """
    known_names = set(known)
    if all(name in known_names for name in names):
        return
    known_names |= _configured_names(config_arg)
    for name in names:
        if name not in known_names:
            listed = ", ".join(sorted(known_names)) or "none"
            raise UsageError(f"no source named {name!r} (known: {listed})")


def _configured_names(config_arg: str | None) -> set[str]:
    if not config_arg and not config_path(None).exists():
        return set()
    config = load_config(config_arg, skip_bad_sources=True)
    return {s.name for s in config.sources} | set(config.rejected)


def _one_line(text: str | None, width: int | None = None) -> str:
    line = re.sub(r"\s+", " ", text or "").strip()
    if width is not None and len(line) > width:
        return line[: width - 3].rstrip() + "..."
    return line


def _when(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _columns(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: frozenset[int] = frozenset(),
    caps: Mapping[int, int] | None = None,
) -> str:
    """Aligned columns; a column in ``caps`` is at most that wide, longer cells overflow."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, cap in (caps or {}).items():
        widths[i] = min(widths[i], cap)
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """Time, source, kind, URL, evidence; URLs whole (to be opened), evidence cut."""
    header = ("time (UTC)", "source", "kind", "url", "evidence")
    lines = [
        (
            _when(row["at"]),
            row["source"],
            row["kind"],
            row["url"] or "-",
            _one_line(row["message"], MESSAGE_WIDTH),
        )
        for row in rows
    ]
    return _columns(header, lines, caps={3: URL_WIDTH})


def format_counts(rows: Sequence[Mapping[str, Any]]) -> str:
    header = ("source", "kind", "count", "first (UTC)", "last (UTC)")
    lines = [
        (r["source"], r["kind"], str(r["count"]), _when(r["first_at"]), _when(r["last_at"]))
        for r in rows
    ]
    return _columns(header, lines, right=frozenset({2}))


def as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        raise TypeError(type(value).__name__)

    return json.dumps([dict(row) for row in rows], default=encode, indent=2)


def nothing_found(
    since: datetime, sources: Sequence[str] | None, kinds: Sequence[str] | None
) -> str:
    scope = [f"source {', '.join(sources)}"] if sources else []
    scope += [f"kind {', '.join(kinds)}"] if kinds else []
    return f"no errors since {_when(since)} UTC" + (f" ({'; '.join(scope)})" if scope else "")


def fetch(
    conn: psycopg.Connection[DictRow],
    since: datetime,
    sources: Sequence[str] | None,
    kinds: Sequence[str] | None,
    *,
    counts: bool,
    limit: int,
) -> list[dict[str, Any]]:
    params = {
        "since": since,
        "sources": list(sources) if sources else None,
        "kinds": list(kinds) if kinds else None,
        "limit": limit,
    }
    query = Q.crawl_error_counts_since if counts else Q.crawl_errors_since
    return list(conn.execute(query, params))


def run(args: argparse.Namespace) -> int:
    since = datetime.now(UTC) - args.since
    with db.session() as conn:
        if args.source:
            known = [r["name"] for r in conn.execute(Q.source_names)]
            check_sources(args.source, known, args.config)
        rows = fetch(conn, since, args.source, args.kind, counts=args.counts, limit=args.limit)
    uncounted = sorted(set(args.kind or ()) & NOT_LISTED)
    if uncounted:
        print(
            f"wirewatch: note: {', '.join(uncounted)} pages are counted per run, not kept "
            "one by one; see `wirewatch status --json`",
            file=sys.stderr,
        )
    if args.json:
        print(as_json(rows))
        if not rows:
            print(nothing_found(since, args.source, args.kind), file=sys.stderr)
        return 0
    if not rows:
        print(nothing_found(since, args.source, args.kind))
        return 0
    print(format_counts(rows) if args.counts else format_table(rows))
    if not args.counts and len(rows) == args.limit:
        print(f"(the latest {args.limit}; --limit N shows more)", file=sys.stderr)
    return 0

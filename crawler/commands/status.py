"""Show each source's health: last run, next run, new articles, failures, rejections, alarms.

Its options, and the description `wirewatch status --help` prints, are in
crawler/usage/status.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from wirewatch.crawler import health
from wirewatch.crawler.config import load_config
from wirewatch.crawler.run_history import RunRecord
from wirewatch.crawler.source_status import (
    SourceStatus,
    gather,
    relative,
    source_detail,
    span,
    status_word,
)
from wirewatch.pipelines import db


def format_table(rows: Sequence[SourceStatus], now: datetime) -> str:
    header = (
        "source",
        "state",
        "last run",
        "result",
        "next run",
        "new 24h",
        "errors 24h",
        "rejected 24h",
        "health",
    )
    lines = [header]
    for row in rows:
        if any(a.kind == health.INVALID for a in row.alarms):
            state = "invalid"
        else:
            state = "disabled" if not row.enabled else "running" if row.running else "idle"
        if not row.enabled:
            next_run = "-"
        elif state == "invalid":
            next_run = "never"
        elif row.next_run is None or row.next_run <= now:
            next_run = "due"
        else:
            next_run = relative(row.next_run, now)
        lines.append(
            (
                row.source,
                state,
                relative(row.last_run, now) if row.last_run else "never",
                row.last_status or "-",
                next_run,
                str(row.new_last_day),
                _percent(row.error_rate),
                _percent(row.rejection_share),
                "ok" if row.healthy else ", ".join(a.kind for a in row.alarms).upper(),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(
            cell.rjust(w) if i in (5, 6, 7) else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    alarms = [alarm for row in rows for alarm in row.alarms]
    if alarms:
        text.append("")
        text.extend(f"ALARM {alarm}" for alarm in alarms)
    return "\n".join(text)


def _percent(share: float | None) -> str:
    return f"{share:.0%}" if share is not None else "-"


def as_json(rows: Sequence[SourceStatus], detail: dict[str, Any] | None = None) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    documents = []
    for row in rows:
        document = asdict(row)
        document["healthy"] = row.healthy
        documents.append(document)
    body: dict[str, Any] = {"sources": documents}
    if detail is not None:
        body["runs"] = [{**asdict(run), "interrupted": run.interrupted} for run in detail["runs"]]
        body["errors_by_kind"] = detail["errors_by_kind"]
    return json.dumps(body, default=encode, indent=2)


def format_runs(runs: Sequence[RunRecord], now: datetime) -> str:
    """A source's recent runs, newest first: what happened each time."""
    header = ("started", "result", "took", "pages", "new", "errors", "rejected")
    lines = [header]
    for run in runs:
        took = span((run.finished_at - run.started_at).total_seconds()) if run.finished_at else "-"
        lines.append(
            (
                f"{run.started_at:%Y-%m-%d %H:%M}",
                status_word(run) or "-",
                took,
                str(run.pages_fetched),
                str(run.articles_new),
                str(run.errors),
                _percent(run.rejection_share),
            )
        )
    return _columns(lines, right=(3, 4, 5, 6))


def format_listing_changes(runs: Sequence[RunRecord]) -> str | None:
    """The listings discovery found moved (``discover = true``), by run, newest first;
    None when no recent run saw a change."""
    lines = [
        f"{run.started_at:%Y-%m-%d %H:%M}  {change}"
        for run in runs
        for change in run.listing_changes
    ]
    return "\n".join(lines) if lines else None


def format_error_kinds(counts: Sequence[dict[str, Any]], now: datetime) -> str:
    """Pages failed or turned away over the last day, per kind (what ``errors`` lists)."""
    if not counts:
        return "no failed or rejected pages in the last day"
    lines = [("kind", "pages", "last")] + [
        (row["kind"], str(row["count"]), relative(row["last_at"], now)) for row in counts
    ]
    return _columns(lines, right=(1,))


def _columns(lines: Sequence[Sequence[str]], right: Sequence[int]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, skip_bad_sources=True)
    if args.name:
        args.source = [*(args.source or []), args.name]
    if args.source:
        for name in args.source:
            if name not in config.rejected:
                config.source(name)  # a clear error for an unknown name
    now = datetime.now(UTC)
    with db.session() as conn:
        rows = gather(conn, config, now)
        if args.source:
            rows = [r for r in rows if r.source in args.source]
        if args.notify:
            from wirewatch.crawler.health_notify import notify_operator

            notify_operator(
                conn, config, [r.source for r in rows], [a for r in rows for a in r.alarms]
            )
        detail = source_detail(conn, args.name, now) if args.name else None
    if args.json:
        print(as_json(rows, detail))
    else:
        print(format_table(rows, now))
        if detail is not None:
            print(f"\nrecent runs of {args.name}:")
            print(format_runs(detail["runs"], now))
            if changes := format_listing_changes(detail["runs"]):
                print(f"\nlisting changes found by discovery (discover = true) of {args.name}:")
                print(changes)
            print(f"\nfailed or rejected pages of {args.name}, last day (wirewatch errors):")
            print(format_error_kinds(detail["errors_by_kind"], now))
    unhealthy = [r.source for r in rows if not r.healthy]
    if unhealthy:
        print(f"wirewatch: unhealthy: {', '.join(unhealthy)}", file=sys.stderr)
        return 1
    return 0

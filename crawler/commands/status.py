"""Show each source's health: last run, next run, new articles, failures, rejections, alarms.

Its options, and the description `wirewatch status --help` prints, are in
crawler/usage/status.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler import health, locks
from wirewatch.crawler.config import Config, load_config
from wirewatch.crawler.extensions.crawl_runs import NOT_ERRORS
from wirewatch.crawler.run_history import REJECTION_KINDS, RunRecord
from wirewatch.crawler.schedule_config import ScheduleOptions, schedule_options
from wirewatch.crawler.schedule_state import load_histories, next_due_of
from wirewatch.pipelines import db
from wirewatch.pipelines.queries import Q

DAY = timedelta(days=1)

# Failure kinds recorded for a page whose response did arrive, so the page is
# already among the pages fetched.  Any other failure (dns, timeout,
# connection, too_large...) is a page attempted that never answered.
_ANSWERED = frozenset(
    REJECTION_KINDS
    | {"not_html", "pipeline_error", "dropped", "bad_feed", "bad_sitemap", "redirect_loop"}
)


def failure_share(pages_fetched: int, errors: int, outcomes: Mapping[str, int]) -> float | None:
    """Failed pages / pages attempted, never above 1; None when nothing was attempted.

    ``errors / pages fetched`` is not a share: a timeout or a DNS failure is a
    page that failed *without* being fetched, so a source whose host is down
    showed several hundred percent.  Pages attempted are the pages fetched plus
    the failures that never got a response.
    """
    unanswered = sum(
        n
        for kind, n in outcomes.items()
        if kind not in NOT_ERRORS and kind not in _ANSWERED and not kind.startswith("http_")
    )
    attempted = pages_fetched + min(unanswered, errors)
    return min(1.0, errors / attempted) if attempted else None


def rejection_share(article_pages: int, rejections: Mapping[str, int]) -> float | None:
    """Rejected article pages (walls, not_article, extraction_failed) / article pages fetched."""
    if not article_pages:
        return None
    return min(1.0, sum(rejections.values()) / article_pages)


@dataclass(frozen=True)
class SourceStatus:
    source: str
    enabled: bool
    running: bool
    last_run: datetime | None
    last_status: str | None
    next_run: datetime | None  # None: due now (never crawled)
    new_last_day: int
    runs_last_day: int
    error_rate: float | None  # failed pages / pages attempted over the last day
    alarms: list[health.Alarm] = field(default_factory=list)
    # Medians over the last day, seconds: published_to_discovered,
    # discovered_to_stored, stored_to_alerted.
    latency_s: dict[str, float | None] = field(default_factory=dict)
    # Article pages rejected over the last day, by kind (REJECTION_KINDS), and
    # their share of the article pages fetched.
    rejected_last_day: dict[str, int] = field(default_factory=dict)
    rejection_share: float | None = None

    @property
    def healthy(self) -> bool:
        return not self.alarms


def source_status(
    name: str,
    enabled: bool,
    running: bool,
    history: Sequence[RunRecord],
    next_run: datetime | None,
    new_last_day: int,
    totals: dict[str, Any] | None,
    options: ScheduleOptions,
    latency: dict[str, float | None] | None = None,
    outcomes: Mapping[str, int] | None = None,
) -> SourceStatus:
    latest = history[0] if history else None
    totals = totals or {}
    outcomes = outcomes or {}
    rejected = {k: n for k, n in sorted(outcomes.items()) if k in REJECTION_KINDS and n}
    return SourceStatus(
        source=name,
        enabled=enabled,
        running=running,
        last_run=latest.started_at if latest else None,
        last_status=_status_word(latest),
        next_run=next_run if enabled else None,
        new_last_day=new_last_day,
        runs_last_day=totals.get("runs", 0),
        error_rate=failure_share(totals.get("pages", 0), totals.get("errors", 0), outcomes),
        alarms=health.drift_alarms(name, history, options.health),
        latency_s=latency or {},
        rejected_last_day=rejected,
        rejection_share=rejection_share(totals.get("article_pages", 0), rejected),
    )


def _status_word(run: RunRecord | None) -> str | None:
    if run is None:
        return None
    if run.interrupted:
        return "interrupted"
    return run.status


def gather(conn: psycopg.Connection[DictRow], config: Config, now: datetime) -> list[SourceStatus]:
    options = schedule_options(config)
    names = [s.name for s in config.sources]
    histories = load_histories(conn, names)
    since = now - DAY
    new = {
        r["source"]: r["n"]
        for r in conn.execute(Q.new_articles_since, {"since": since, "sources": names})
    }
    totals = {
        r["source"]: r for r in conn.execute(Q.run_totals_since, {"since": since, "sources": names})
    }
    outcomes: dict[str, dict[str, int]] = {name: {} for name in names}
    for row in conn.execute(Q.run_outcomes_since, {"since": since, "sources": names}):
        outcomes[row["source"]][row["kind"]] = row["n"]
    running = locks.locked_sources(conn, names)
    invalid = [
        SourceStatus(
            source=label,
            enabled=True,
            running=False,
            last_run=None,
            last_status=None,
            next_run=None,
            new_last_day=0,
            runs_last_day=0,
            error_rate=None,
            alarms=[health.Alarm(label, health.INVALID, " / ".join(problems))],
        )
        for label, problems in config.rejected.items()
    ]
    latency: dict[str, dict[str, float | None]] = {name: {} for name in names}
    for row in conn.execute(Q.latency_since, {"since": since, "sources": names}):
        latency[row.pop("source")].update(row)
    for row in conn.execute(Q.alert_latency_since, {"since": since, "sources": names}):
        latency[row.pop("source")].update(row)
    return [
        source_status(
            s.name,
            s.enabled,
            s.name in running,
            histories[s.name],
            next_due_of(s, histories[s.name], options),
            new.get(s.name, 0),
            totals.get(s.name),
            options,
            latency[s.name],
            outcomes[s.name],
        )
        for s in config.sources
    ] + invalid


def relative(when: datetime | None, now: datetime) -> str:
    """'3m ago', 'in 2h', 'now' — coarse on purpose: a table, not a log."""
    if when is None:
        return "-"
    seconds = (when - now).total_seconds()
    if abs(seconds) < 30:
        return "now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(seconds)} ago"


def span(seconds: float) -> str:
    """A length of time in its largest whole unit: '45s', '3m', '2h', '1d'."""
    size = abs(seconds)
    for unit, length in (("d", 86400), ("h", 3600), ("m", 60)):
        if size >= length:
            return f"{int(size // length)}{unit}"
    return f"{int(size)}s"


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
                _status_word(run) or "-",
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


def source_detail(
    conn: psycopg.Connection[DictRow], name: str, now: datetime, runs: int = 10
) -> dict[str, Any]:
    """One source's recent runs and its errors by kind over the last day."""
    history = load_histories(conn, [name], per_source=runs)[name]
    counts = conn.execute(
        Q.crawl_error_counts_since,
        {"since": now - DAY, "sources": [name], "kinds": None},
    ).fetchall()
    return {"runs": history, "errors_by_kind": counts}


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

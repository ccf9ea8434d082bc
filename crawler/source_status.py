"""Each source's health, gathered from the database and the configuration.

What ``wirewatch status`` prints and the web interface's sources page shows:
last and next run, new articles, failure and rejection shares, alarms,
latency medians.  The command formats it; this module only gathers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import DictRow

from wirewatch.crawler import health, locks
from wirewatch.crawler.config import Config
from wirewatch.crawler.extensions.crawl_runs import NOT_ERRORS
from wirewatch.crawler.run_history import REJECTION_KINDS, RunRecord
from wirewatch.crawler.schedule_config import ScheduleOptions, schedule_options
from wirewatch.crawler.schedule_state import load_histories, next_due_of
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
        last_status=status_word(latest),
        next_run=next_run if enabled else None,
        new_last_day=new_last_day,
        runs_last_day=totals.get("runs", 0),
        error_rate=failure_share(totals.get("pages", 0), totals.get("errors", 0), outcomes),
        alarms=health.drift_alarms(name, history, options.health),
        latency_s=latency or {},
        rejected_last_day=rejected,
        rejection_share=rejection_share(totals.get("article_pages", 0), rejected),
    )


def status_word(run: RunRecord | None) -> str | None:
    """A run's status as people read it: a killed run says ``interrupted``, not ``running``."""
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

"""Metrics for cron mode: a node-exporter textfile written after each run.

The daemon serves ``/metrics``; a crontab has no process to scrape.  After a
``wirewatch crawl --metrics-file PATH`` the file holds a snapshot of every
configured source read from the database (its last run, alarms) and the
alert queue, so it is complete whichever sources this run crawled.  It is
written atomically (``write_to_textfile`` renames a temporary file), so the
exporter never reads half a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from psycopg.rows import DictRow

from wirewatch.crawler.run_history import RunRecord
from wirewatch.crawler.schedule_state import load_histories
from wirewatch.pipelines.queries import Q


def snapshot(
    histories: dict[str, list[RunRecord]],
    alarms: dict[str, int],
    alerts_pending: int | None,
    written_at: datetime,
) -> CollectorRegistry:
    """Gauges of each source's last finished run, its alarms, and the alert queue."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: Sequence[str] = ("source",)) -> Gauge:
        return Gauge(name, doc, list(labels), registry=registry)

    last_run = gauge("wirewatch_last_run_timestamp_seconds", "Start of the last finished crawl.")
    last_ok = gauge("wirewatch_last_run_ok", "1 when the last finished crawl was ok, else 0.")
    pages = gauge("wirewatch_last_run_pages_fetched", "Pages fetched by the last crawl.")
    new = gauge("wirewatch_last_run_articles_new", "New articles stored by the last crawl.")
    errors = gauge("wirewatch_last_run_errors", "Errors recorded by the last crawl.")
    raised = gauge("wirewatch_source_alarms", "Drift alarms currently raised.")
    for source, history in histories.items():
        finished = [r for r in history if r.status != "running"]
        raised.labels(source).set(alarms.get(source, 0))
        if not finished:
            continue
        run = finished[0]
        last_run.labels(source).set(run.started_at.timestamp())
        last_ok.labels(source).set(1 if run.status == "ok" and not run.interrupted else 0)
        pages.labels(source).set(run.pages_fetched)
        new.labels(source).set(run.articles_new)
        errors.labels(source).set(run.errors)
    if alerts_pending is not None:
        gauge("wirewatch_alerts_pending", "Alerts waiting in the outbox.", ()).set(alerts_pending)
    gauge("wirewatch_metrics_written_timestamp_seconds", "When this file was written.", ()).set(
        written_at.timestamp()
    )
    return registry


def write_metrics_file(
    conn: psycopg.Connection[DictRow], sources: Sequence[str], path: str, now: datetime
) -> None:
    """Read the figures of ``sources`` and write them to ``path`` (atomically)."""
    histories = load_histories(conn, list(sources), per_source=5)
    alarms = {
        row["source"]: row["n"]
        for row in conn.execute(Q.raised_alarm_counts, {"sources": list(sources)})
    }
    pending = conn.execute(Q.pending_alerts).fetchone()
    write_to_textfile(path, snapshot(histories, alarms, pending["n"] if pending else 0, now))

"""The scheduler daemon's own database connection: its lock, its heartbeat, its health.

The connection holds the daemon lock (one ``wirewatch schedule`` per
database), and every heartbeat (each turn of the main loop, 5 s) pings
through it and writes the jobs' next run times to ``scheduler_jobs`` for
``status`` and the web interface.  A dropped connection (a database restart)
is replaced at once; while the database stays away the daemon is not
*ready*, and it is not *alive* when the main loop itself stops turning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

import psycopg
from apscheduler.schedulers.base import BaseScheduler
from psycopg.rows import DictRow

from wirewatch.crawler import locks
from wirewatch.crawler.logs import log_event
from wirewatch.crawler.metrics import DaemonMetrics
from wirewatch.pipelines import db
from wirewatch.pipelines.db import DatabaseError
from wirewatch.pipelines.errors import WirewatchError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

# /healthz fails when the main loop (a heartbeat every 5 s) has been silent this long.
LIVENESS_GRACE = 60.0


class Heartbeat:
    """Owns the daemon's lock connection; ``on_lock_lost`` is called when another
    daemon took the lock while the database was away (this one must stop)."""

    def __init__(self, database_url: str, metrics: DaemonMetrics, on_lock_lost: Callable[[], None]):
        self.database_url = database_url
        self.metrics = metrics
        self.on_lock_lost = on_lock_lost
        self.conn: psycopg.Connection[DictRow] | None = None
        self.database_down = False
        self.last_beat = time.monotonic()
        self.published: dict[str, datetime] = {}  # next run times written to scheduler_jobs

    def acquire(self) -> psycopg.Connection[DictRow]:
        """Connect and take the daemon lock, or raise: another daemon holds it."""
        conn = db.connect(self.database_url, autocommit=True)
        self.conn = conn
        if not locks.try_lock(conn, locks.SCHEDULER_LOCK_KEY):
            raise WirewatchError(
                f"another wirewatch schedule is already running against "
                f"{db.describe(self.database_url)}"
            )
        return conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def alive(self) -> tuple[bool, str]:
        """Liveness: the main loop turned recently (it turns every 5 s)."""
        quiet = time.monotonic() - self.last_beat
        if quiet > LIVENESS_GRACE:
            return False, f"main loop silent for {quiet:.0f}s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        """Readiness: the database answered at the last heartbeat."""
        if self.database_down:
            return False, "database unreachable"
        return True, "ok"

    def beat(self, scheduler: BaseScheduler | None) -> None:
        """Publish next run times; keep the daemon lock across database outages.

        While the database stays away the crawl jobs fail (and are logged) and
        the schedule goes on.  The lock is taken again on reconnecting —
        unless another daemon took it meanwhile (``on_lock_lost``).
        """
        self.last_beat = time.monotonic()
        for attempt in (1, 2):
            try:
                self._reconnect()
                if self.conn is not None:
                    self._publish_next_runs(self.conn, scheduler)
                return
            except (psycopg.Error, DatabaseError) as exc:
                conn = self.conn
                if conn is not None and (conn.closed or conn.broken):
                    conn.close()
                    self.conn = None
                    self.published.clear()
                    if attempt == 1:
                        continue  # dropped connection: reconnect right away
                if not self.database_down:
                    log_event(
                        log, logging.ERROR, "database unreachable: %s", exc, event="database_down"
                    )
                self.database_down = True
                return

    def _reconnect(self) -> None:
        if self.conn is not None:
            return
        conn = db.connect(self.database_url, autocommit=True)
        if not locks.try_lock(conn, locks.SCHEDULER_LOCK_KEY):
            conn.close()
            log_event(
                log,
                logging.ERROR,
                "another daemon took over while the database was away; stopping",
                event="lock_lost",
            )
            self.on_lock_lost()
            return
        self.conn = conn
        self.database_down = False
        log_event(log, logging.INFO, "connected to the database again", event="database_back")

    def _publish_next_runs(
        self, conn: psycopg.Connection[DictRow], scheduler: BaseScheduler | None
    ) -> None:
        conn.execute(Q.scheduler_ping)
        if scheduler is None:
            return
        for job in scheduler.get_jobs():
            if job.next_run_time is None or self.published.get(job.id) == job.next_run_time:
                continue
            if job.id.startswith("crawl:"):
                self.metrics.next_run.labels(job.id.split(":", 1)[1]).set(
                    job.next_run_time.timestamp()
                )
            conn.execute(
                Q.set_scheduler_next_run, {"job": job.id, "next_run_at": job.next_run_time}
            )
            self.published[job.id] = job.next_run_time

"""``wirewatch schedule``: the long-running daemon (APScheduler 3).

One job per enabled source, plus ``alerts send`` and housekeeping.  Each crawl
runs as a child process (``wirewatch crawl --source NAME``) because Twisted's
reactor cannot be restarted in one process; the child holds the source's
advisory lock for the whole crawl, so the daemon, cron and other machines
never overlap.

* Misfires coalesce: a daemon that was down (or busy) runs a missed job once,
  however many turns it missed.
* A crawl still running when its next turn comes is skipped and logged, not
  stacked (APScheduler's ``max_instances=1``), as is one locked elsewhere.
* State lives in PostgreSQL (``crawl_runs`` and ``scheduler_jobs``): on start
  every job's next time is computed from when it last started, so a restart
  neither loses a run (a missed or interrupted one runs at once) nor repeats
  one (a job that just ran waits for its next turn).
* SIGTERM (or Ctrl-C): no new jobs; running crawls get one SIGTERM, which
  makes Scrapy finish the requests and items in flight and record the run;
  the daemon exits 0 once they are done (a second signal kills them).
* A daemon killed outright (``kill -9``, the OOM killer) cannot ask anything:
  on Linux its children get that same single SIGTERM from the kernel when it
  dies (``PR_SET_PDEATHSIG``), so no crawl goes on unsupervised: each finishes
  what is in flight, records its run and releases its source, which the next
  daemon runs again at once (at its next turn if the crawl is still ending).
  Children killed with it leave runs 'running' that the next daemon closes
  as 'interrupted' before running those sources again.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from psycopg.rows import DictRow

from wirewatch.crawler import health, locks
from wirewatch.crawler.config import Config
from wirewatch.crawler.daemon_children import Children
from wirewatch.crawler.daemon_heartbeat import Heartbeat
from wirewatch.crawler.daemon_plans import Planner, PlanTrigger, crawl_job_id, replan
from wirewatch.crawler.health_notify import notify_operator
from wirewatch.crawler.logs import log_event
from wirewatch.crawler.metrics import DaemonMetrics, MetricsServer
from wirewatch.crawler.schedule_config import ScheduleOptions
from wirewatch.crawler.schedule_state import (
    enabled_sources,
    load_histories,
    reap_interrupted_runs,
)
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.retention import prune_archive
from wirewatch.pipelines.durations import format_duration
from wirewatch.pipelines.errors import WirewatchError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

ALERTS_JOB = "alerts"
HOUSEKEEPING_JOB = "housekeeping"


def _log(level: int, message: str, *args: Any, **fields: Any) -> None:
    log_event(log, level, message, *args, **fields)


class Daemon:
    """The jobs and their lifecycle; planning (``daemon_plans``), the children
    (``daemon_children``) and the lock/heartbeat connection (``daemon_heartbeat``)
    are each owned by an object of their own."""

    def __init__(
        self,
        config: Config,
        options: ScheduleOptions,
        database_url: str,
        *,
        child_args: list[str],
        metrics: DaemonMetrics | None = None,
    ):
        self.config = config
        self.options = options
        self.database_url = database_url
        self.metrics = metrics or DaemonMetrics()
        self.sources = {s.name: s for s in enabled_sources(config)}
        self.planner = Planner(self.sources, options)
        self.stopping = threading.Event()
        self.children = Children(child_args, database_url, self.stopping)
        self.heartbeat = Heartbeat(database_url, self.metrics, on_lock_lost=self.stop)
        self.slots = threading.BoundedSemaphore(options.max_concurrent_crawls)
        self.killing = False
        self.scheduler: BackgroundScheduler | None = None
        self.metrics_server: MetricsServer | None = None

    # -- lifecycle ---------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; 0 after a clean stop."""
        try:
            conn = self.heartbeat.acquire()
            self._load_state(conn)
            self._install_signal_handlers()
            if self.options.metrics_port:
                self.metrics_server = MetricsServer(
                    self.metrics,
                    self.options.metrics_address,
                    self.options.metrics_port,
                    alive=self.heartbeat.alive,
                    ready=self.heartbeat.ready,
                )
            self.scheduler = self._build_scheduler()
            self.scheduler.start()
            _log(
                logging.INFO,
                "scheduler started: %d source(s), at most %d crawl(s) at once",
                len(self.sources),
                self.options.max_concurrent_crawls,
                event="scheduler_started",
                sources=len(self.sources),
            )
            self.heartbeat.beat(self.scheduler)
            while not self.stopping.wait(timeout=5):
                self.heartbeat.beat(self.scheduler)
            return self._shutdown()
        finally:
            self.heartbeat.close()

    def _load_state(self, conn: psycopg.Connection[DictRow]) -> None:
        """Close runs of dead crawls, bring ``scheduler_jobs`` in line with the
        configuration, and load what the plans start from."""
        reap_interrupted_runs(conn)
        jobs = [crawl_job_id(n) for n in self.sources]
        if self.options.alerts_interval:
            jobs.append(ALERTS_JOB)
        jobs.append(HOUSEKEEPING_JOB)
        for job in jobs:
            conn.execute(Q.ensure_scheduler_job, {"job": job})
        for row in conn.execute(Q.forget_unconfigured_jobs, {"jobs": jobs}).fetchall():
            log.info("forgetting job %s: no longer configured", row["job"])
        conn.execute(Q.forget_unconfigured_alarms, {"sources": list(self.sources)})
        self.planner.load(conn)

    def _build_scheduler(self) -> BackgroundScheduler:
        # Crawl jobs wait for a slot inside their thread (``self.slots``), so
        # the pool only needs one thread per job.
        workers = len(self.sources) + 2
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        for name in self.sources:
            scheduler.add_job(
                self._crawl_job,
                PlanTrigger(self.planner.crawl(name), f"crawl plan of {name}"),
                args=[name],
                id=crawl_job_id(name),
                name=crawl_job_id(name),
            )
        if self.options.alerts_interval:
            interval = self.options.alerts_interval
            scheduler.add_job(
                self._alerts_job,
                PlanTrigger(self.planner.interval(ALERTS_JOB, interval), f"every {interval}"),
                id=ALERTS_JOB,
                name=ALERTS_JOB,
            )
        cron = CronTrigger.from_crontab(self.options.housekeeping, timezone=UTC)
        scheduler.add_job(
            self._housekeeping_job,
            PlanTrigger(self.planner.cron(HOUSEKEEPING_JOB, cron), self.options.housekeeping),
            id=HOUSEKEEPING_JOB,
            name=HOUSEKEEPING_JOB,
        )
        scheduler.add_listener(self._on_max_instances, EVENT_JOB_MAX_INSTANCES)
        scheduler.add_listener(self._on_job_error, EVENT_JOB_ERROR)
        return scheduler

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.stopping.is_set():
            _log(logging.WARNING, "second signal: killing running crawls", event="kill")
            self.children.signal(signal.SIGKILL)
            self.killing = True
            return
        _log(
            logging.INFO,
            "%s: finishing the work in flight, then stopping",
            signal.Signals(signum).name,
            event="stopping",
        )
        self.stop()

    def stop(self) -> None:
        """Stop taking jobs and ask running children to finish (callable from any thread)."""
        self.stopping.set()
        self.children.signal(signal.SIGTERM)

    def _shutdown(self) -> int:
        assert self.scheduler is not None
        self.scheduler.pause()
        self.children.signal(signal.SIGTERM)
        waiter = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True})
        waiter.start()
        waiter.join(timeout=self.options.stop_timeout.total_seconds())
        if waiter.is_alive():
            _log(
                logging.ERROR,
                "crawls still running after %s: killing them",
                self.options.stop_timeout,
                event="kill",
            )
            self.children.signal(signal.SIGKILL)
            self.killing = True
            waiter.join()
        if self.metrics_server is not None:
            self.metrics_server.close()
        _log(logging.INFO, "scheduler stopped", event="scheduler_stopped")
        return 1 if self.killing else 0

    # -- jobs ---------------------------------------------------------------

    def _crawl_job(self, name: str) -> None:
        job = crawl_job_id(name)
        if self.stopping.is_set():
            return
        with db.connect(self.database_url, autocommit=True) as conn:
            if locks.is_locked(conn, locks.source_lock_key(name)):
                self._skip(conn, name, "locked", "being crawled by another process")
                return
        self.metrics.waiting.inc()
        try:
            while not self.slots.acquire(timeout=1):
                if self.stopping.is_set():
                    return
        finally:
            self.metrics.waiting.dec()
        try:
            if self.stopping.is_set():
                return
            self._run_crawl(name, job)
        finally:
            self.slots.release()

    def _run_crawl(self, name: str, job: str) -> None:
        started, started_in_db = self._start_job(job)
        _log(logging.INFO, "crawl of %s starting", name, event="crawl_started", source=name)
        clock = time.monotonic()
        self.metrics.running.inc()
        try:
            code = self.children.run(job, ["crawl", "--source", name])
        finally:
            self.metrics.running.dec()
        seconds = time.monotonic() - clock
        with db.connect(self.database_url, autocommit=True) as conn:
            history = load_histories(conn, [name])[name]
            run = conn.execute(
                Q.latest_run_since, {"source": name, "since": started_in_db}
            ).fetchone()
            self.planner.learned(name, history)
            if run is None and code == 0:
                outcome = "skipped"  # the child found the source locked
                self.metrics.skipped.labels(name, "locked").inc()
            else:
                outcome = run["status"] if run else "failed"
                self.metrics.observe_run(name, run, seconds)
            self._finish_job(conn, job, outcome, code, None)
            alarms = health.drift_alarms(name, history, self.options.health)
            self.metrics.alarms.labels(name).set(len(alarms))
            report_alarms(conn, self.config, [name], alarms)
        _log(
            logging.INFO if outcome in ("ok", "skipped") else logging.WARNING,
            "crawl of %s: %s in %.1fs (%s new, %s errors)",
            name,
            outcome,
            seconds,
            run["articles_new"] if run else 0,
            run["errors"] if run else "?",
            event="crawl_finished",
            source=name,
            status=outcome,
            exit_code=code,
            seconds=round(seconds, 3),
            run_id=run["id"] if run else None,
            articles_new=run["articles_new"] if run else 0,
            errors=run["errors"] if run else None,
        )
        self._replan(job, started)

    def _alerts_job(self) -> None:
        if self.stopping.is_set():
            return
        started, _ = self._start_job(ALERTS_JOB)
        code = self.children.run(ALERTS_JOB, ["alerts", "send"])
        outcome = "ok" if code == 0 else "failed"
        with db.connect(self.database_url, autocommit=True) as conn:
            self._finish_job(conn, ALERTS_JOB, outcome, code, None)
            self._observe_alerts(conn)
        self.metrics.jobs.labels(ALERTS_JOB, outcome).inc()
        if code:
            _log(
                logging.WARNING,
                "alerts send exited with %s",
                code,
                event="job_failed",
                job=ALERTS_JOB,
                exit_code=code,
            )
        self._replan(ALERTS_JOB, started)

    def _observe_alerts(self, conn: psycopg.Connection[DictRow]) -> None:
        try:
            pending = conn.execute(Q.pending_alerts).fetchone()
            since = datetime.now(UTC) - timedelta(hours=1)
            rows = conn.execute(
                Q.alert_latency_since, {"since": since, "sources": list(self.sources)}
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return  # an older schema without the alert outbox
        self.metrics.alerts_pending.set(pending["n"] if pending else 0)
        for row in rows:
            if row["stored_to_alerted"] is not None:
                self.metrics.latency.labels(row["source"], "stored_to_alerted").set(
                    row["stored_to_alerted"]
                )

    def _housekeeping_job(self) -> None:
        if self.stopping.is_set():
            return
        started, _ = self._start_job(HOUSEKEEPING_JOB)
        try:
            with db.connect(self.database_url, autocommit=True) as conn:
                summary = housekeeping(conn, self.config, self.options)
                self._finish_job(conn, HOUSEKEEPING_JOB, "ok", None, summary)
            self.metrics.jobs.labels(HOUSEKEEPING_JOB, "ok").inc()
            _log(logging.INFO, "housekeeping: %s", summary, event="housekeeping")
        except (psycopg.Error, WirewatchError) as exc:
            self.metrics.jobs.labels(HOUSEKEEPING_JOB, "failed").inc()
            _log(
                logging.ERROR,
                "housekeeping failed: %s",
                exc,
                event="job_failed",
                job=HOUSEKEEPING_JOB,
            )
        self._replan(HOUSEKEEPING_JOB, started)

    # -- helpers ------------------------------------------------------------

    def _start_job(self, job: str) -> tuple[datetime, datetime]:
        """Record that ``job`` starts: (daemon's clock, database's clock)."""
        now = datetime.now(UTC)
        with db.connect(self.database_url, autocommit=True) as conn:
            row = conn.execute(Q.start_scheduler_job, {"job": job, "fire_at": now}).fetchone()
        self.planner.started(job, now)
        return now, row["started_at"] if row else now

    def _finish_job(
        self,
        conn: psycopg.Connection[DictRow],
        job: str,
        outcome: str,
        code: int | None,
        message: str | None,
    ) -> None:
        conn.execute(
            Q.finish_scheduler_job,
            {"job": job, "outcome": outcome, "exit_code": code, "message": message},
        )

    def _skip(self, conn: psycopg.Connection[DictRow], name: str, reason: str, why: str) -> None:
        self.metrics.skipped.labels(name, reason).inc()
        conn.execute(Q.skip_scheduler_job, {"job": crawl_job_id(name), "message": why})
        _log(
            logging.WARNING,
            "crawl of %s skipped: %s",
            name,
            why,
            event="crawl_skipped",
            source=name,
            reason=reason,
        )

    def _on_max_instances(self, event: JobExecutionEvent) -> None:
        job = event.job_id
        if not job.startswith("crawl:"):
            _log(logging.WARNING, "%s skipped: still running", job, event="job_skipped", job=job)
            return
        name = job.split(":", 1)[1]
        with db.connect(self.database_url, autocommit=True) as conn:
            self._skip(conn, name, "still_running", "its previous crawl is still running")

    def _on_job_error(self, event: JobExecutionEvent) -> None:
        _log(
            logging.ERROR,
            "job %s crashed: %r",
            event.job_id,
            event.exception,
            event="job_error",
            job=event.job_id,
        )

    def _replan(self, job: str, started: datetime) -> None:
        if self.scheduler is not None and not self.stopping.is_set():
            replan(self.scheduler, job, started)


def housekeeping(
    conn: psycopg.Connection[DictRow], config: Config, options: ScheduleOptions
) -> str:
    """Reap runs of dead processes, drop old history, check every source's health."""
    sources = [s.name for s in enabled_sources(config)]
    reaped = reap_interrupted_runs(conn)
    errors = conn.execute(Q.delete_old_crawl_errors, {"days": options.retention_days}).rowcount
    runs = conn.execute(
        Q.delete_old_crawl_runs,
        {"days": options.retention_days, "keep": options.health.baseline_runs + 20},
    ).rowcount
    archived = prune_archive_files(conn, config)
    histories = load_histories(conn, sources)
    alarms = [
        alarm
        for name, history in histories.items()
        for alarm in health.drift_alarms(name, history, options.health)
    ]
    report_alarms(conn, config, sources, alarms)
    return (
        f"{len(reaped)} interrupted run(s) closed, {runs} old run(s) and "
        f"{errors} old error(s) deleted, {archived}{len(alarms)} alarm(s)"
    )


def prune_archive_files(conn: psycopg.Connection[DictRow], config: Config) -> str:
    """Old raw-page archive files deleted as ``[archive] keep`` says (part of the summary).

    A file system error is logged and housekeeping goes on: the health checks
    after it matter more than a file that can be pruned tomorrow.
    """
    keep = config.archive.keep  # honoured with enabled = false too: old files are still there
    if keep is None:
        return ""
    try:
        report = prune_archive(conn, config.archive.path(), keep)
    except OSError as exc:
        log.error("could not prune the raw-page archive: %s", exc)
        return "archive not pruned, "
    return f"{report.files} archive file(s) older than {format_duration(keep)} deleted, "


def report_alarms(
    conn: psycopg.Connection[DictRow],
    config: Config,
    sources: list[str],
    alarms: list[health.Alarm],
) -> None:
    """Log alarms and mail new ones to the operator; a mail failure never stops the daemon."""
    for alarm in alarms:
        _log(
            logging.WARNING,
            "health alarm: %s",
            alarm,
            event="alarm",
            source=alarm.source,
            kind=alarm.kind,
        )
    try:
        notify_operator(conn, config, sources, alarms)
    except (psycopg.Error, WirewatchError, OSError) as exc:
        log.error("could not record or mail health alarms: %s", exc)


def child_arguments(config: Config, log_level: str, json_logs: bool) -> list[str]:
    """Global options the children get: the same config file and logging."""
    args = ["--log-level", log_level]
    if config.path is not None:
        args += ["--config", str(config.path.resolve())]
    if json_logs:
        args.append("--json-logs")
    return args

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

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from psycopg.rows import DictRow

from wirewatch.crawler import health, locks, polling
from wirewatch.crawler.config import SKIP_BAD_SOURCES_ENV, Config
from wirewatch.crawler.health_notify import notify_operator
from wirewatch.crawler.metrics import DaemonMetrics, MetricsServer
from wirewatch.crawler.run_history import RunRecord, last_started
from wirewatch.crawler.schedule_config import ScheduleOptions
from wirewatch.crawler.schedule_state import (
    cron_trigger,
    enabled_sources,
    load_histories,
    reap_interrupted_runs,
)
from wirewatch.pipelines import db
from wirewatch.pipelines.archive.retention import prune_archive
from wirewatch.pipelines.db import DatabaseError
from wirewatch.pipelines.durations import format_duration
from wirewatch.pipelines.errors import WirewatchError
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

ALERTS_JOB = "alerts"
HOUSEKEEPING_JOB = "housekeeping"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# /healthz fails when the main loop (a heartbeat every 5 s) has been silent this long.
LIVENESS_GRACE = 60.0


def crawl_job_id(source: str) -> str:
    return f"crawl:{source}"


def stop_with_parent(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send ``signum`` to the child when we die.

    Linux only (None elsewhere: children then finish on their own).  The
    signal fires when the thread that started the child ends; ours waits for
    the child, so in practice that is when the daemon dies.  The C function
    is looked up before the fork: between fork and exec the child only calls
    it and ``getppid``, and exits at once if the daemon died before it asked.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0)
        if os.getppid() != parent:  # orphaned already: the kernel will not tell us
            os._exit(1)

    return preexec


class PlanTrigger(BaseTrigger):
    """An APScheduler trigger that asks a function for the next fire time.

    ``plan(previous_fire_time, now)`` sees fresh state each time, so adaptive
    intervals and failure backoff apply from the very next turn.
    """

    def __init__(self, plan: Callable[[datetime | None, datetime], datetime | None], label: str):
        self.plan = plan
        self.label = label

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        return self.plan(previous_fire_time, now)

    def __str__(self) -> str:
        return self.label


def _log(level: int, message: str, *args: Any, **fields: Any) -> None:
    """A log line whose ``fields`` become keys of the JSON line (``--json-logs``)."""
    log.log(level, message, *args, extra={"fields": fields})


class Daemon:
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
        self.child_args = child_args
        self.metrics = metrics or DaemonMetrics()
        self.sources = {s.name: s for s in enabled_sources(config)}
        self.crons: dict[str, CronTrigger | None] = {
            name: cron_trigger(s, options) for name, s in self.sources.items()
        }
        self.histories: dict[str, list[RunRecord]] = {}
        self.job_started: dict[str, datetime] = {}  # scheduler_jobs.last_started_at
        self.rerun_now: set[str] = set()
        self.state_lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(options.max_concurrent_crawls)
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        # Children already asked to stop: Scrapy takes a second SIGTERM as
        # "force an unclean shutdown", which would leave their runs half-recorded.
        self.terminated: set[int] = set()
        self.stopping = threading.Event()
        self.killing = False
        self.scheduler: BackgroundScheduler | None = None
        self.lock_conn: psycopg.Connection[DictRow] | None = None
        self.database_down = False
        self.last_beat = time.monotonic()
        self.published: dict[str, datetime] = {}  # next run times written to scheduler_jobs
        self.metrics_server: MetricsServer | None = None

    # -- lifecycle ---------------------------------------------------------

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; 0 after a clean stop."""
        conn = db.connect(self.database_url, autocommit=True)
        self.lock_conn = conn
        try:
            if not locks.try_lock(conn, locks.SCHEDULER_LOCK_KEY):
                raise WirewatchError(
                    f"another wirewatch schedule is already running against "
                    f"{db.describe(self.database_url)}"
                )
            self._load_state(conn)
            self._install_signal_handlers()
            if self.options.metrics_port:
                self.metrics_server = MetricsServer(
                    self.metrics,
                    self.options.metrics_address,
                    self.options.metrics_port,
                    alive=self._alive,
                    ready=self._ready,
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
            self._heartbeat()
            while not self.stopping.wait(timeout=5):
                self._heartbeat()
            return self._shutdown()
        finally:
            if self.lock_conn is not None:
                self.lock_conn.close()

    def _alive(self) -> tuple[bool, str]:
        """Liveness: the main loop turned recently (it turns every 5 s)."""
        quiet = time.monotonic() - self.last_beat
        if quiet > LIVENESS_GRACE:
            return False, f"main loop silent for {quiet:.0f}s"
        return True, "ok"

    def _ready(self) -> tuple[bool, str]:
        """Readiness: the database answered at the last heartbeat."""
        if self.database_down:
            return False, "database unreachable"
        return True, "ok"

    def _heartbeat(self) -> None:
        """Publish next run times; keep the daemon lock across database outages.

        A dropped connection (a database restart) is replaced at once; while
        the database stays away the crawl jobs fail (and are logged) and the
        schedule goes on.  The lock is taken again on reconnecting — unless
        another daemon took it meanwhile, in which case this one stops.
        """
        self.last_beat = time.monotonic()
        for attempt in (1, 2):
            try:
                self._ensure_lock_conn()
                if self.lock_conn is not None:
                    self._publish_next_runs(self.lock_conn)
                return
            except (psycopg.Error, DatabaseError) as exc:
                conn = self.lock_conn
                if conn is not None and (conn.closed or conn.broken):
                    conn.close()
                    self.lock_conn = None
                    self.published.clear()
                    if attempt == 1:
                        continue  # dropped connection: reconnect right away
                if not self.database_down:
                    _log(logging.ERROR, "database unreachable: %s", exc, event="database_down")
                self.database_down = True
                return

    def _ensure_lock_conn(self) -> None:
        if self.lock_conn is not None:
            return
        conn = db.connect(self.database_url, autocommit=True)
        if not locks.try_lock(conn, locks.SCHEDULER_LOCK_KEY):
            conn.close()
            _log(
                logging.ERROR,
                "another daemon took over while the database was away; stopping",
                event="lock_lost",
            )
            self.stop()
            return
        self.lock_conn = conn
        self.database_down = False
        _log(logging.INFO, "connected to the database again", event="database_back")

    def _load_state(self, conn: psycopg.Connection[DictRow]) -> None:
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
        # We hold the daemon lock: a job still marked running was left by a dead daemon.
        for row in conn.execute(Q.interrupted_scheduler_jobs).fetchall():
            _log(
                logging.WARNING,
                "job %s was interrupted by the last shutdown; running it again",
                row["job"],
                event="job_interrupted",
                job=row["job"],
            )
            self.rerun_now.add(row["job"])
        for row in conn.execute(Q.scheduler_jobs).fetchall():
            if row["last_started_at"] is not None:
                self.job_started[row["job"]] = row["last_started_at"]
        self.histories = load_histories(conn, list(self.sources))

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
                PlanTrigger(self._crawl_plan(name), f"crawl plan of {name}"),
                args=[name],
                id=crawl_job_id(name),
                name=crawl_job_id(name),
            )
        if self.options.alerts_interval:
            interval = self.options.alerts_interval
            scheduler.add_job(
                self._alerts_job,
                PlanTrigger(self._interval_plan(ALERTS_JOB, interval), f"every {interval}"),
                id=ALERTS_JOB,
                name=ALERTS_JOB,
            )
        cron = CronTrigger.from_crontab(self.options.housekeeping, timezone=UTC)
        scheduler.add_job(
            self._housekeeping_job,
            PlanTrigger(self._cron_plan(HOUSEKEEPING_JOB, cron), self.options.housekeeping),
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
            self._signal_children(signal.SIGKILL)
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
        self._signal_children(signal.SIGTERM)

    def _shutdown(self) -> int:
        assert self.scheduler is not None
        self.scheduler.pause()
        self._signal_children(signal.SIGTERM)
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
            self._signal_children(signal.SIGKILL)
            self.killing = True
            waiter.join()
        if self.metrics_server is not None:
            self.metrics_server.close()
        _log(logging.INFO, "scheduler stopped", event="scheduler_stopped")
        return 1 if self.killing else 0

    # -- plans: when each job runs next -----------------------------------

    def _crawl_plan(self, name: str) -> Callable[[datetime | None, datetime], datetime | None]:
        job = crawl_job_id(name)

        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            with self.state_lock:
                if previous is None and job in self.rerun_now:
                    return now
                history = self.histories.get(name, [])
                known = [t for t in (last_started(history), self.job_started.get(job)) if t]
                last = previous or max(known, default=None)
                due = polling.next_due(last, history, self.options.bounds(name), self.crons[name])
            return now if due is None else due

        return plan

    def _interval_plan(
        self, job: str, interval: timedelta
    ) -> Callable[[datetime | None, datetime], datetime | None]:
        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            last = previous or self.job_started.get(job)
            if last is None or (previous is None and job in self.rerun_now):
                return now
            return last + interval

        return plan

    def _cron_plan(
        self, job: str, cron: CronTrigger
    ) -> Callable[[datetime | None, datetime], datetime | None]:
        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            if previous is None and job in self.rerun_now:
                return now
            last = previous or self.job_started.get(job)
            if last is None:
                return cron.get_next_fire_time(None, now)
            return cron.get_next_fire_time(None, last + timedelta(microseconds=1))

        return plan

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
            code = self._run_child(job, ["crawl", "--source", name])
        finally:
            self.metrics.running.dec()
        seconds = time.monotonic() - clock
        with db.connect(self.database_url, autocommit=True) as conn:
            history = load_histories(conn, [name])[name]
            run = conn.execute(
                Q.latest_run_since, {"source": name, "since": started_in_db}
            ).fetchone()
            with self.state_lock:
                self.histories[name] = history
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
        code = self._run_child(ALERTS_JOB, ["alerts", "send"])
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
        with self.state_lock:
            self.job_started[job] = now
            self.rerun_now.discard(job)
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
        """Apply what the run just taught (backoff, a new interval) to the next turn.

        A turn that is already past is left alone: it was skipped while the
        job ran, and skipped turns are not made up.
        """
        scheduler = self.scheduler
        if scheduler is None or self.stopping.is_set():
            return
        current = scheduler.get_job(job)
        if current is None:
            return
        now = datetime.now(UTC)
        new = current.trigger.get_next_fire_time(started, now)
        if new is not None and new > now and new != current.next_run_time:
            current.modify(next_run_time=new)

    def _publish_next_runs(self, conn: psycopg.Connection[DictRow]) -> None:
        conn.execute(Q.scheduler_ping)
        scheduler = self.scheduler
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

    def _run_child(self, job: str, args: list[str]) -> int:
        command = [sys.executable, "-m", "wirewatch.crawler.cli", *self.child_args, *args]
        # The daemon already logged any broken source: the children skip them too.
        env = dict(os.environ, DATABASE_URL=self.database_url, **{SKIP_BAD_SOURCES_ENV: "1"})
        # A session of its own: Ctrl-C in a terminal reaches only the daemon,
        # which then asks each child exactly once to finish.  If the daemon is
        # killed outright, the kernel asks instead (stop_with_parent).
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
            preexec_fn=stop_with_parent(),
        )
        with self.state_lock:
            self.children[job] = child
        try:
            if self.stopping.is_set():
                child.send_signal(signal.SIGTERM)
            return child.wait()
        finally:
            with self.state_lock:
                self.children.pop(job, None)

    def _signal_children(self, signum: int) -> None:
        with self.state_lock:
            children = [c for c in self.children.values() if c.poll() is None]
            if signum == signal.SIGTERM:
                children = [c for c in children if c.pid not in self.terminated]
                self.terminated.update(c.pid for c in children)
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)


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

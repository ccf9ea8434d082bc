"""When each of the scheduler daemon's jobs runs next.

A crawl's next turn comes from its run history (adaptive interval, failure
backoff, the source's cron or bounds, ``crawler.polling``); the alert and
housekeeping jobs run on an interval and a cron expression.  Every plan
starts from when the job last started (``scheduler_jobs``), so a restarted
daemon neither loses a turn nor repeats one, and a job interrupted by the
last shutdown runs again at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import psycopg
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from psycopg.rows import DictRow

from wirewatch.crawler import polling
from wirewatch.crawler.config import Source
from wirewatch.crawler.logs import log_event
from wirewatch.crawler.run_history import RunRecord, last_started
from wirewatch.crawler.schedule_config import ScheduleOptions
from wirewatch.crawler.schedule_state import cron_trigger, load_histories
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

Plan = Callable[[datetime | None, datetime], datetime | None]


def crawl_job_id(source: str) -> str:
    return f"crawl:{source}"


class PlanTrigger(BaseTrigger):
    """An APScheduler trigger that asks a function for the next fire time.

    ``plan(previous_fire_time, now)`` sees fresh state each time, so adaptive
    intervals and failure backoff apply from the very next turn.
    """

    def __init__(self, plan: Plan, label: str):
        self.plan = plan
        self.label = label

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        return self.plan(previous_fire_time, now)

    def __str__(self) -> str:
        return self.label


class Planner:
    """The state plans read (histories, last starts, jobs to rerun), under one lock:
    the scheduler's threads plan while job threads record what they learned."""

    def __init__(self, sources: Mapping[str, Source], options: ScheduleOptions):
        self.options = options
        self.crons: dict[str, CronTrigger | None] = {
            name: cron_trigger(s, options) for name, s in sources.items()
        }
        self.histories: dict[str, list[RunRecord]] = {}
        self.job_started: dict[str, datetime] = {}  # scheduler_jobs.last_started_at
        self.rerun_now: set[str] = set()
        self.lock = threading.Lock()

    def load(self, conn: psycopg.Connection[DictRow]) -> None:
        """Last starts, run histories, and the jobs a dead daemon left running.

        Only the daemon holding the daemon lock may call it: a job still marked
        running was then left by a dead daemon.
        """
        for row in conn.execute(Q.interrupted_scheduler_jobs).fetchall():
            log_event(
                log,
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
        self.histories = load_histories(conn, list(self.crons))

    def started(self, job: str, now: datetime) -> None:
        with self.lock:
            self.job_started[job] = now
            self.rerun_now.discard(job)

    def learned(self, source: str, history: list[RunRecord]) -> None:
        """A crawl of ``source`` ended: its next turn plans from this history."""
        with self.lock:
            self.histories[source] = history

    def crawl(self, name: str) -> Plan:
        job = crawl_job_id(name)

        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            with self.lock:
                if previous is None and job in self.rerun_now:
                    return now
                history = self.histories.get(name, [])
                known = [t for t in (last_started(history), self.job_started.get(job)) if t]
                last = previous or max(known, default=None)
                due = polling.next_due(last, history, self.options.bounds(name), self.crons[name])
            return now if due is None else due

        return plan

    def interval(self, job: str, interval: timedelta) -> Plan:
        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            last = previous or self.job_started.get(job)
            if last is None or (previous is None and job in self.rerun_now):
                return now
            return last + interval

        return plan

    def cron(self, job: str, cron: CronTrigger) -> Plan:
        def plan(previous: datetime | None, now: datetime) -> datetime | None:
            if previous is None and job in self.rerun_now:
                return now
            last = previous or self.job_started.get(job)
            if last is None:
                return cron.get_next_fire_time(None, now)
            return cron.get_next_fire_time(None, last + timedelta(microseconds=1))

        return plan


def replan(scheduler: BaseScheduler, job: str, started: datetime) -> None:
    """Apply what the run just taught (backoff, a new interval) to the next turn.

    A turn that is already past is left alone: it was skipped while the job
    ran, and skipped turns are not made up.
    """
    current = scheduler.get_job(job)
    if current is None:
        return
    now = datetime.now(UTC)
    new = current.trigger.get_next_fire_time(started, now)
    if new is not None and new > now and new != current.next_run_time:
        current.modify(next_run_time=new)

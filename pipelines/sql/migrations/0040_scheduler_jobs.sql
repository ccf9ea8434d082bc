-- The scheduler daemon's job state: what ran when, so a restart neither loses
-- nor repeats a run.  Crawls are also judged by crawl_runs (shared with cron
-- mode); this table covers every job, including alerts and housekeeping.

CREATE TABLE scheduler_jobs (
    job               text PRIMARY KEY,  -- 'crawl:<source>', 'alerts', 'housekeeping'
    last_fire_at      timestamptz,       -- the scheduled time of the last run taken
    last_started_at   timestamptz,
    last_finished_at  timestamptz,
    running_since     timestamptz,       -- set while a run is in progress
    last_outcome      text,              -- ok, failed, skipped, interrupted
    last_exit_code    integer,
    last_message      text,
    runs              bigint NOT NULL DEFAULT 0,
    skips             bigint NOT NULL DEFAULT 0,
    next_run_at       timestamptz,       -- as last computed by the daemon, for status
    updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Runs still marked running are found by housekeeping and status.
CREATE INDEX crawl_runs_running ON crawl_runs (source) WHERE status = 'running';

-- Scheduling: advisory locks, due computation, the daemon's job state.

-- name: try_advisory_lock
SELECT pg_try_advisory_lock(%(key)s) AS locked;

-- name: try_advisory_lock_shared
SELECT pg_try_advisory_lock_shared(%(key)s) AS locked;

-- name: advisory_unlock
SELECT pg_advisory_unlock(%(key)s) AS unlocked;

-- name: advisory_lock_held
-- A bigint advisory key shows in pg_locks as classid (high 32 bits), objid
-- (low 32 bits) and objsubid 1; locks are per database.
SELECT EXISTS (
    SELECT 1 FROM pg_locks
    WHERE locktype = 'advisory' AND granted
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND classid = %(classid)s::bigint::oid AND objid = %(objid)s::bigint::oid
      AND objsubid = 1
) AS held;

-- name: recent_runs_of_sources
-- The latest runs of each source, newest first, as the polling policy and
-- the health checks read them.
SELECT id, source, started_at, finished_at, status, finish_reason, pages_fetched,
       articles_new, articles_updated, articles_unchanged, errors, stats
FROM (
    SELECT r.*, row_number() OVER (PARTITION BY source ORDER BY started_at DESC, id DESC) AS n
    FROM crawl_runs r
    WHERE source = ANY(%(sources)s)
) ranked
WHERE n <= %(per_source)s
ORDER BY source, started_at DESC, id DESC;

-- name: running_crawl_runs
SELECT id, source, started_at FROM crawl_runs WHERE status = 'running' ORDER BY id;

-- name: mark_run_interrupted
-- A run left 'running' by a process that died: nobody holds its source lock.
UPDATE crawl_runs
SET status = 'failed', finish_reason = 'interrupted', finished_at = now()
WHERE id = %(id)s AND status = 'running';

-- name: ensure_scheduler_job
INSERT INTO scheduler_jobs (job) VALUES (%(job)s) ON CONFLICT (job) DO NOTHING;

-- name: scheduler_jobs
SELECT * FROM scheduler_jobs ORDER BY job;

-- name: start_scheduler_job
-- A run of a job begins (fire_at: the daemon's clock).  Returns the
-- database's clock, the one crawl_runs.started_at is compared with.
UPDATE scheduler_jobs
SET last_fire_at = %(fire_at)s, last_started_at = now(), running_since = now(),
    runs = runs + 1, updated_at = now()
WHERE job = %(job)s
RETURNING now() AS started_at;

-- name: finish_scheduler_job
UPDATE scheduler_jobs
SET running_since = NULL, last_finished_at = now(), last_outcome = %(outcome)s,
    last_exit_code = %(exit_code)s, last_message = %(message)s, updated_at = now()
WHERE job = %(job)s;

-- name: skip_scheduler_job
UPDATE scheduler_jobs
SET skips = skips + 1, last_message = %(message)s, updated_at = now()
WHERE job = %(job)s;

-- name: set_scheduler_next_run
UPDATE scheduler_jobs SET next_run_at = %(next_run_at)s, updated_at = now() WHERE job = %(job)s;

-- name: interrupted_scheduler_jobs
-- Jobs a previous daemon started and never finished (it died).
UPDATE scheduler_jobs
SET running_since = NULL, last_outcome = 'interrupted', last_finished_at = now(),
    updated_at = now()
WHERE running_since IS NOT NULL
RETURNING job, last_fire_at;

-- name: delete_old_crawl_errors
DELETE FROM crawl_errors WHERE at < now() - make_interval(days => %(days)s);

-- name: delete_old_crawl_runs
-- Old runs go, but never a source's latest ones: they are its history.
DELETE FROM crawl_runs r
WHERE r.started_at < now() - make_interval(days => %(days)s)
  AND r.status <> 'running'
  AND r.id NOT IN (
      SELECT id FROM (
          SELECT id, row_number() OVER (PARTITION BY source ORDER BY started_at DESC) AS n
          FROM crawl_runs
      ) latest
      WHERE latest.n <= %(keep)s
  );

-- name: latest_run_since
SELECT * FROM crawl_runs
WHERE source = %(source)s AND started_at >= %(since)s
ORDER BY started_at DESC, id DESC
LIMIT 1;

-- name: scheduler_ping
-- The daemon's heartbeat: notices a dropped connection (and lost lock) early.
SELECT 1 AS ok;

-- name: forget_unconfigured_jobs
-- Jobs of sources no longer in the configuration.
DELETE FROM scheduler_jobs WHERE NOT (job = ANY(%(jobs)s)) RETURNING job;

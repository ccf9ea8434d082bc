-- Sources and crawl runs.

-- name: upsert_source
INSERT INTO sources (name, kind, urls, wire, schedule, settings)
VALUES (%(name)s, %(kind)s, %(urls)s, %(wire)s, %(schedule)s, %(settings)s)
ON CONFLICT (name) DO UPDATE
SET kind = EXCLUDED.kind, urls = EXCLUDED.urls, wire = EXCLUDED.wire,
    schedule = EXCLUDED.schedule, settings = EXCLUDED.settings, updated_at = now()
WHERE (sources.kind, sources.urls, sources.wire, sources.schedule, sources.settings)
      IS DISTINCT FROM
      (EXCLUDED.kind, EXCLUDED.urls, EXCLUDED.wire, EXCLUDED.schedule, EXCLUDED.settings);

-- name: start_crawl_run
INSERT INTO crawl_runs (source) VALUES (%(source)s) RETURNING id, started_at;

-- name: finish_crawl_run
UPDATE crawl_runs
SET finished_at = now(), status = %(status)s, finish_reason = %(finish_reason)s,
    pages_fetched = %(pages_fetched)s, articles_new = %(articles_new)s,
    articles_updated = %(articles_updated)s, articles_unchanged = %(articles_unchanged)s,
    errors = %(errors)s, stats = %(stats)s
WHERE id = %(id)s;

-- name: record_crawl_error
-- at: when the page failed (the row may be written later, once the database is back).
INSERT INTO crawl_errors (run_id, source, url, kind, message, at)
VALUES (%(run_id)s, %(source)s, %(url)s, %(kind)s, %(message)s, %(at)s);

-- name: crawl_run_by_id
SELECT * FROM crawl_runs WHERE id = %(id)s;

-- name: crawl_errors_of_run
SELECT url, kind, message FROM crawl_errors WHERE run_id = %(run_id)s ORDER BY id;

-- name: close_dead_runs_of_sources
-- Runs still 'running' of sources whose locks the caller holds: a live crawl
-- holds its source's lock, so the process that ran these died.
UPDATE crawl_runs
SET status = 'failed', finish_reason = 'interrupted', finished_at = now()
WHERE source = ANY(%(sources)s) AND status = 'running'
RETURNING id, source;

-- name: ping
SELECT 1 AS alive;

-- The raw-page archive (pipelines.archive): re-extraction and pruning.

-- name: reextract_last_article
SELECT coalesce(max(id), 0) AS id FROM articles;

-- name: reextract_run
SELECT * FROM reextract_runs WHERE selection = %(selection)s;

-- name: reextract_begin
-- A new run of a selection (or the next one, once the last finished).
INSERT INTO reextract_runs (selection, source, horizon, last_id)
VALUES (%(selection)s, %(source)s, %(horizon)s, %(last_id)s)
ON CONFLICT (selection) DO UPDATE
SET source = EXCLUDED.source, horizon = EXCLUDED.horizon, last_id = EXCLUDED.last_id,
    after_id = 0, counts = '{}'::jsonb, started_at = now(), updated_at = now(),
    finished_at = NULL
RETURNING *;

-- name: reextract_checkpoint
-- Every article with id <= after_id is done, and these are the counts so far.
UPDATE reextract_runs
SET after_id = %(after_id)s, counts = %(counts)s, updated_at = now(),
    finished_at = CASE WHEN %(finished)s THEN now() END
WHERE selection = %(selection)s;

-- name: reextract_counts
-- The selection: archived articles (to re-extract; done: up to after_id) and
-- the ones without an archived page.  Pruned bodies stay pruned.
SELECT count(*) FILTER (WHERE warc_file IS NOT NULL) AS archived,
       count(*) FILTER (WHERE warc_file IS NOT NULL AND id <= %(after_id)s) AS done,
       count(*) FILTER (WHERE warc_file IS NULL) AS not_archived
FROM articles
WHERE id <= %(last_id)s AND pruned_at IS NULL
  AND (%(source)s::text IS NULL OR source = %(source)s)
  AND (%(horizon)s::timestamptz IS NULL OR fetched_at >= %(horizon)s);

-- name: reextract_batch
-- The next archived articles of the selection, in id order.
SELECT a.id, a.url, a.source, a.outlet, a.title, a.content_hash, a.paywalled,
       a.discovered_at, a.fetched_at, a.crawl_run_id,
       a.warc_file, a.warc_offset, a.warc_length, coalesce(s.wire, false) AS wire
FROM articles a
LEFT JOIN sources s ON s.name = a.source
WHERE a.id > %(after_id)s AND a.id <= %(last_id)s
  AND a.warc_file IS NOT NULL AND a.pruned_at IS NULL
  AND (%(source)s::text IS NULL OR a.source = %(source)s)
  AND (%(horizon)s::timestamptz IS NULL OR a.fetched_at >= %(horizon)s)
ORDER BY a.id
LIMIT %(limit)s;

-- name: reextract_lock_article
-- The article, locked until the transaction ends, if it still points at the
-- page that was re-extracted (a crawl may have stored a newer one meanwhile).
SELECT id FROM articles
WHERE id = %(id)s AND warc_file = %(warc_file)s AND warc_offset = %(warc_offset)s
  AND pruned_at IS NULL
FOR UPDATE;

-- name: archive_run_states
-- Which of these crawl runs are still running (the others are finished or gone).
SELECT id FROM crawl_runs WHERE id = ANY(%(ids)s::bigint[]) AND status = 'running';

-- name: archive_file_articles
SELECT count(*) AS n FROM articles WHERE warc_file = %(warc_file)s;

-- name: archive_forget_file
-- The articles whose page was in a pruned file no longer point into it.
UPDATE articles SET warc_file = NULL, warc_offset = NULL, warc_length = NULL
WHERE warc_file = %(warc_file)s;

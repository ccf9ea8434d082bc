-- Rejections and page failures: what a crawl fetched and did not keep, and why.

-- name: crawl_errors_since
-- Recorded failures, newest first.  A NULL list means "any source" / "any kind".
SELECT id, run_id, source, kind, url, message, at
FROM crawl_errors
WHERE at >= %(since)s
  AND (%(sources)s::text[] IS NULL OR source = ANY(%(sources)s::text[]))
  AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
ORDER BY at DESC, id DESC
LIMIT %(limit)s;

-- name: crawl_error_counts_since
-- How many failures of each kind each source recorded, with the first and last.
SELECT source, kind, count(*) AS count, min(at) AS first_at, max(at) AS last_at
FROM crawl_errors
WHERE at >= %(since)s
  AND (%(sources)s::text[] IS NULL OR source = ANY(%(sources)s::text[]))
  AND (%(kinds)s::text[] IS NULL OR kind = ANY(%(kinds)s::text[]))
GROUP BY source, kind
ORDER BY source, count(*) DESC, kind;

-- name: source_names
-- Every source a crawl has seen (synced from the configuration at each crawl).
SELECT name FROM sources ORDER BY name;

-- name: run_outcomes_since
-- Per source and outcome kind, the pages counted by the runs started since a
-- time (crawl_runs.stats.outcomes): rejections that crawl_errors does not
-- keep one by one (not_article) are counted here too.
SELECT r.source, o.kind, sum(o.n::numeric)::bigint AS n
FROM crawl_runs r
CROSS JOIN LATERAL jsonb_each_text(
    CASE WHEN jsonb_typeof(r.stats -> 'outcomes') = 'object'
         THEN r.stats -> 'outcomes' ELSE '{}'::jsonb END
) AS o(kind, n)
WHERE r.started_at >= %(since)s AND r.source = ANY(%(sources)s)
  AND coalesce(r.finish_reason, '') <> 'interrupted'
GROUP BY r.source, o.kind;

-- Health: per-run latency, per-source status figures.

-- name: run_latency
-- Medians over the articles a run stored first, in seconds: how long a story
-- took to be listed after publication, and to be stored after being listed.
SELECT
    percentile_cont(0.5) WITHIN GROUP (
        ORDER BY extract(epoch FROM discovered_at - published)) AS published_to_discovered,
    percentile_cont(0.5) WITHIN GROUP (
        ORDER BY extract(epoch FROM first_seen - discovered_at)) AS discovered_to_stored
FROM articles
WHERE crawl_run_id = %(run_id)s AND first_seen >= %(started_at)s;

-- name: new_articles_since
SELECT source, count(*) AS n
FROM articles
WHERE first_seen >= %(since)s AND source = ANY(%(sources)s)
GROUP BY source;

-- name: run_totals_since
-- Pages and errors of each source's runs since a time: its error rate.
SELECT source, count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed_runs,
       coalesce(sum(pages_fetched), 0) AS pages, coalesce(sum(errors), 0) AS errors
FROM crawl_runs
WHERE started_at >= %(since)s AND source = ANY(%(sources)s)
  AND coalesce(finish_reason, '') <> 'interrupted'
GROUP BY source;

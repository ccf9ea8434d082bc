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
-- Pages and errors of each source's runs since a time: its failure and
-- rejection shares (article_pages: the article pages fetched, from stats).
SELECT source, count(*) AS runs, count(*) FILTER (WHERE status = 'failed') AS failed_runs,
       coalesce(sum(pages_fetched), 0) AS pages, coalesce(sum(errors), 0) AS errors,
       coalesce(sum(CASE WHEN jsonb_typeof(stats -> 'article_pages') = 'number'
                         THEN (stats ->> 'article_pages')::numeric END), 0)::bigint
           AS article_pages
FROM crawl_runs
WHERE started_at >= %(since)s AND source = ANY(%(sources)s)
  AND coalesce(finish_reason, '') <> 'interrupted'
GROUP BY source;

-- name: raise_health_alarm
-- raised: the alarm is new (it was not raised already).
INSERT INTO health_alarms (source, kind, message) VALUES (%(source)s, %(kind)s, %(message)s)
ON CONFLICT (source, kind) DO UPDATE SET message = EXCLUDED.message
RETURNING (xmax = 0) AS raised;

-- name: clear_health_alarms
-- Alarms of the checked sources that are no longer raised.
DELETE FROM health_alarms
WHERE source = ANY(%(sources)s) AND NOT ((source || ':' || kind) = ANY(%(current)s))
RETURNING source, kind;

-- name: unnotified_health_alarms
SELECT source, kind, message, raised_at FROM health_alarms
WHERE notified_at IS NULL
ORDER BY source, kind
FOR UPDATE SKIP LOCKED;

-- name: mark_health_alarms_notified
UPDATE health_alarms SET notified_at = now()
WHERE (source || ':' || kind) = ANY(%(keys)s);

-- name: latency_since
-- Per source, medians in seconds over the articles first stored since a time:
-- published -> discovered (listed by a feed/sitemap/section page) -> stored.
SELECT source,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM discovered_at - published)) AS published_to_discovered,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM first_seen - discovered_at)) AS discovered_to_stored
FROM articles
WHERE first_seen >= %(since)s AND source = ANY(%(sources)s)
GROUP BY source;

-- name: alert_latency_since
-- Per source of the story's canonical copy, the median seconds from the story
-- being stored to its alert being sent, over immediate (not digest) story alerts
-- (an edit alert is sent long after the story was first stored, by design).
SELECT a.source,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM o.sent_at - s.first_seen)) AS stored_to_alerted
FROM alert_outbox o
JOIN stories s ON s.id = o.story_id
JOIN articles a ON a.id = s.canonical_article_id
WHERE o.status = 'sent' AND o.sent_at >= %(since)s AND o.due_at <= o.enqueued_at
  AND o.revision IS NULL AND a.source = ANY(%(sources)s)
GROUP BY a.source;

-- name: pending_alerts
SELECT count(*) AS n FROM alert_outbox WHERE status = 'pending';

-- name: forget_unconfigured_alarms
DELETE FROM health_alarms WHERE NOT (source = ANY(%(sources)s));

-- name: raised_alarm_counts
SELECT source, count(*) AS n FROM health_alarms WHERE source = ANY(%(sources)s) GROUP BY source;

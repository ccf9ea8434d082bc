-- The web interface (crawler/web): keys, story pages, source charts.  Reads
-- go through the wirewatch_feed views; the filters slot is filled by crawler.web.data
-- with fixed conditions whose values are bound parameters.

-- name: insert_web_key
INSERT INTO web_keys (name, key) VALUES (%(name)s, %(key)s) ON CONFLICT (name) DO NOTHING;

-- name: web_key
SELECT key FROM web_keys WHERE name = %(name)s;

-- name: web_stories
-- The story list, newest first; the filters are web_filter_* conditions, ANDed.
SELECT s.story_id, s.title, s.url, s.outlet, s.source, s.published, s.first_seen,
       s.language, s.copies, s.outlets, coalesce(s.summary, left(s.text, 400)) AS summary
FROM wirewatch_feed.stories s
WHERE s.merged_into IS NULL {filters}
ORDER BY s.first_seen DESC, s.story_id DESC
LIMIT %(limit)s;

-- name: web_filter_before
-- The page cursor: stories after the last one shown (first_seen, story_id), newest first.
s.first_seen <= %(f_before_at)s
AND (s.first_seen < %(f_before_at)s OR s.story_id < %(f_before_id)s)

-- name: web_filter_source
-- Carried by that source (any copy).
EXISTS (SELECT FROM wirewatch_feed.copies fc
        WHERE fc.story_id = s.story_id AND fc.source = %(f_source)s)

-- name: web_filter_outlet
EXISTS (SELECT FROM wirewatch_feed.copies fc
        WHERE fc.story_id = s.story_id AND fc.outlet = %(f_outlet)s)

-- name: web_filter_language
-- Of the canonical copy; en-GB counts as en (as lang: in queries).
coalesce(lower(split_part(replace(s.language, '_', '-'), '-', 1)) = %(f_language)s, false)

-- name: web_filter_since
s.first_seen >= %(f_since)s

-- name: web_filter_until
s.first_seen < %(f_until)s

-- name: web_story
SELECT story_id, title, text, summary, url, outlet, source, published, first_seen, updated_at,
       language, wire_credit, copies, outlets, canonical_article_id, merged_into, paywalled
FROM wirewatch_feed.stories
WHERE story_id = %(story_id)s;

-- name: web_story_copies
SELECT article_id, outlet, source, url, title, published, first_seen, similarity,
       is_canonical, matched_article_id
FROM wirewatch_feed.copies
WHERE story_id = %(story_id)s
ORDER BY first_seen, article_id;

-- name: web_article
SELECT article_id, story_id, url, outlet, source, title, text, published, first_seen,
       language, pruned_at
FROM wirewatch_feed.articles
WHERE article_id = %(article_id)s;

-- name: web_story_alerts
-- Alerts matched to a story (no view: alerts are not part of the feed contract);
-- revision: an edit alert, about that revision of the canonical copy.
SELECT o.subscription_id, sub.name, o.status, o.enqueued_at, o.sent_at, o.matched_terms,
       o.attempts, o.last_error, o.revision
FROM alert_outbox o
JOIN alert_subscriptions sub ON sub.id = o.subscription_id
WHERE o.story_id = %(story_id)s
ORDER BY o.enqueued_at, o.id;

-- name: web_source_days
-- Per source and UTC day: runs, new articles, errors and pages, for the 30-day charts.
SELECT source, (started_at AT TIME ZONE 'UTC')::date AS day, count(*) AS runs,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       coalesce(sum(articles_new), 0) AS new, coalesce(sum(errors), 0) AS errors,
       coalesce(sum(pages_fetched), 0) AS pages
FROM wirewatch_feed.crawl_runs
WHERE started_at >= %(since)s AND source = ANY(%(sources)s)
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: web_source_runs
SELECT run_id, started_at, finished_at, status, finish_reason, pages_fetched, articles_new,
       articles_updated, articles_unchanged, errors
FROM wirewatch_feed.crawl_runs
WHERE source = %(source)s
ORDER BY started_at DESC, run_id DESC
LIMIT %(limit)s;

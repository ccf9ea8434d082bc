-- The feed for downstream tools: cursor pages and search.  Every query
-- reads through the public views of schema wirewatch_feed, so the CLI uses the
-- same contract as any other consumer.  {match_join} / {match} are filled by
-- pipelines.search with composed SQL whose values are bound parameters.

-- name: feed_position
-- The newest cursor handed out (committed); no valid cursor is beyond it.
SELECT last_seq FROM wirewatch_feed.feed_head();

-- name: feed_page
SELECT c.cursor, c.kind, c.story_id, c.article_id,
       s.title, ca.title AS article_title, ca.url, ca.outlet, ca.source,
       ca.published, ca.first_seen, c.changed_at, s.language, s.copies, s.outlets,
       cp.similarity, coalesce(ca.summary, left(ca.text, 400)) AS summary,
       s.merged_into, c.seq
FROM wirewatch_feed.changes c
JOIN wirewatch_feed.stories s ON s.story_id = c.story_id
LEFT JOIN wirewatch_feed.articles ca ON ca.article_id = c.article_id
LEFT JOIN wirewatch_feed.copies cp ON cp.article_id = c.article_id AND cp.story_id = c.story_id
{match_join}
WHERE c.seq > %(after)s
  AND {match}
ORDER BY c.seq
LIMIT %(limit)s;

-- name: feed_latest_position
-- Where to start so that the last %(n)s changes follow.
SELECT seq FROM wirewatch_feed.changes ORDER BY seq DESC OFFSET %(n)s LIMIT 1;

-- name: search_stories
-- Stories whose canonical copy matches, newest first.
SELECT s.story_id, s.title, s.url, s.outlet, s.source, s.published, s.first_seen,
       s.language, s.copies, s.outlets, coalesce(s.summary, left(s.text, 400)) AS summary
FROM wirewatch_feed.stories s
JOIN wirewatch_feed.articles a ON a.article_id = s.canonical_article_id
WHERE s.merged_into IS NULL
  AND {match}
ORDER BY s.first_seen DESC, s.story_id DESC
LIMIT %(limit)s;

-- name: search_articles
-- Every matching article (each copy of a story on its own), newest first.
SELECT a.article_id, a.story_id, a.title, a.url, a.outlet, a.source, a.published,
       a.first_seen, a.language, coalesce(a.summary, left(a.text, 400)) AS summary
FROM wirewatch_feed.articles a
WHERE {match}
ORDER BY a.first_seen DESC, a.article_id DESC
LIMIT %(limit)s;

-- name: indexed_configs
SELECT wirewatch_feed.indexed_configs()::text[] AS configs;

-- The feed for downstream tools: cursor pages and search.  Every query
-- reads through the public views of schema wirewatch_feed, so the CLI uses the
-- same contract as any other consumer.  {hits} / {story_filter} / {match} are
-- filled by pipelines.feed and pipelines.search with composed SQL whose values
-- are bound parameters.

-- name: feed_position
-- The newest cursor handed out (committed); no valid cursor is beyond it.
SELECT last_seq FROM wirewatch_feed.feed_head();

-- name: feed_page
{hits}
SELECT c.cursor, c.kind, c.story_id, c.article_id,
       s.title, ca.title AS article_title, ca.url, ca.outlet, ca.source,
       ca.published, ca.first_seen, c.changed_at, s.language, s.copies, s.outlets,
       cp.similarity, coalesce(ca.summary, left(ca.text, 400)) AS summary,
       s.merged_into, c.seq
FROM wirewatch_feed.changes c
JOIN wirewatch_feed.stories s ON s.story_id = c.story_id
{story_filter}
LEFT JOIN wirewatch_feed.articles ca ON ca.article_id = c.article_id
LEFT JOIN wirewatch_feed.copies cp ON cp.article_id = c.article_id AND cp.story_id = c.story_id
WHERE c.seq > %(after)s
ORDER BY c.seq
LIMIT %(limit)s;

-- name: feed_latest_position
-- Where to start so that the last %(n)s (matching) changes follow.
{hits}
SELECT c.seq
FROM wirewatch_feed.changes c
JOIN wirewatch_feed.stories s ON s.story_id = c.story_id
{story_filter}
ORDER BY c.seq DESC
OFFSET %(n)s
LIMIT 1;

-- Search has two plans, chosen by pipelines.search from a bounded count of
-- matches: walk stories newest first and test each (fast when matches are
-- many), or collect the matches from the full-text index first (fast when
-- they are few).  The planner's own estimate for a rare word is far too high
-- on a large archive, which made it walk hundreds of thousands of stories.

-- name: search_probe
SELECT count(*) AS n FROM (
    SELECT 1 FROM wirewatch_feed.articles a WHERE {match} LIMIT %(probe)s
) AS found;

-- name: search_stories_indexed
-- The matches are few, or {match} limits them to a window of the newest
-- articles (pipelines.search): collect them (and only then sort), so the
-- planner cannot choose to walk all stories in date order looking for them.
WITH hits AS MATERIALIZED (
    SELECT s.story_id, s.first_seen
    FROM wirewatch_feed.articles a
    JOIN wirewatch_feed.stories s ON s.canonical_article_id = a.article_id
    WHERE s.merged_into IS NULL AND {match}
)
SELECT s.story_id, s.title, s.url, s.outlet, s.source, s.published, s.first_seen,
       s.language, s.copies, s.outlets, coalesce(s.summary, left(s.text, 400)) AS summary
FROM (SELECT story_id FROM hits ORDER BY first_seen DESC, story_id DESC LIMIT %(limit)s) AS top
JOIN wirewatch_feed.stories s ON s.story_id = top.story_id
ORDER BY s.first_seen DESC, s.story_id DESC;

-- name: search_articles_indexed
WITH hits AS MATERIALIZED (
    SELECT a.article_id, a.first_seen FROM wirewatch_feed.articles a WHERE {match}
)
SELECT a.article_id, a.story_id, a.title, a.url, a.outlet, a.source, a.published,
       a.first_seen, a.language, coalesce(a.summary, left(a.text, 400)) AS summary
FROM (SELECT article_id FROM hits ORDER BY first_seen DESC, article_id DESC LIMIT %(limit)s) AS top
JOIN wirewatch_feed.articles a ON a.article_id = top.article_id
ORDER BY a.first_seen DESC, a.article_id DESC;

-- name: search_window_starts
-- Where windows of about the newest %(sizes)s articles begin (ids grow with
-- time; the bound is a time, so the window itself is exact).  NULL: the
-- archive is smaller than the window.
-- (ORDER BY ... LIMIT 1, not max(): through the view, max() reads the whole index.)
WITH newest AS (SELECT article_id AS id FROM wirewatch_feed.articles
                ORDER BY article_id DESC LIMIT 1)
SELECT size, (SELECT a.first_seen FROM wirewatch_feed.articles a
              WHERE a.article_id <= newest.id - size
              ORDER BY a.article_id DESC LIMIT 1) AS since
FROM newest, unnest(%(sizes)s::bigint[]) AS size
ORDER BY size;

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

-- name: search_stories_ranked
-- Stories whose canonical copy matches, by publication time (never later than
-- first seen: pipelines.search.publication_time) or by {rank} first: every
-- match is collected through the full-text index, then only the top sorted.
WITH hits AS MATERIALIZED (
    SELECT s.story_id, least(coalesce(s.published, s.first_seen), s.first_seen) AS at,
           {rank} AS rank
    FROM wirewatch_feed.articles a
    JOIN wirewatch_feed.stories s ON s.canonical_article_id = a.article_id
    WHERE s.merged_into IS NULL AND {match}
)
SELECT s.story_id, s.title, s.url, s.outlet, s.source, s.published, s.first_seen,
       s.language, s.copies, s.outlets, coalesce(s.summary, left(s.text, 400)) AS summary,
       top.rank
FROM (SELECT story_id, at, rank FROM hits ORDER BY {order} LIMIT %(limit)s) AS top
JOIN wirewatch_feed.stories s ON s.story_id = top.story_id
ORDER BY {top_order};

-- name: search_articles_ranked
WITH hits AS MATERIALIZED (
    SELECT a.article_id, least(coalesce(a.published, a.first_seen), a.first_seen) AS at,
           {rank} AS rank
    FROM wirewatch_feed.articles a WHERE {match}
)
SELECT a.article_id, a.story_id, a.title, a.url, a.outlet, a.source, a.published,
       a.first_seen, a.language, coalesce(a.summary, left(a.text, 400)) AS summary, top.rank
FROM (SELECT article_id, at, rank FROM hits ORDER BY {order} LIMIT %(limit)s) AS top
JOIN wirewatch_feed.articles a ON a.article_id = top.article_id
ORDER BY {top_order};

-- name: search_count_stories
-- Matching stories, counted up to %(bound)s (pipelines.search.count_matches).
SELECT count(*) AS n FROM (
    SELECT 1 FROM wirewatch_feed.articles a
    JOIN wirewatch_feed.stories s ON s.canonical_article_id = a.article_id
    WHERE s.merged_into IS NULL AND {match}
    LIMIT %(bound)s
) AS found;

-- name: search_count_articles
SELECT count(*) AS n FROM (
    SELECT 1 FROM wirewatch_feed.articles a WHERE {match} LIMIT %(bound)s
) AS found;

-- name: search_story_snippets
-- The canonical text of these stories (as indexed: its first 100,000
-- characters) and ts_headline of its folded form, as the index folds it, so
-- accents and case never hide a match; pipelines.search.snippet_of puts the
-- text's own characters back.  Pruned stories fall back to their summary.
SELECT s.story_id AS id, left(coalesce(a.text, a.summary), 100000) AS text,
       ts_headline(wirewatch_feed.ts_config(a.language),
                   translate(wirewatch_feed.fold(left(coalesce(a.text, a.summary), 100000)),
                             %(markers)s, ''),
                   {query}, %(options)s) AS headline
FROM wirewatch_feed.stories s
JOIN wirewatch_feed.articles a ON a.article_id = s.canonical_article_id
WHERE s.story_id = ANY(%(ids)s);

-- name: search_article_snippets
SELECT a.article_id AS id, left(coalesce(a.text, a.summary), 100000) AS text,
       ts_headline(wirewatch_feed.ts_config(a.language),
                   translate(wirewatch_feed.fold(left(coalesce(a.text, a.summary), 100000)),
                             %(markers)s, ''),
                   {query}, %(options)s) AS headline
FROM wirewatch_feed.articles a
WHERE a.article_id = ANY(%(ids)s);

-- name: indexed_configs
SELECT wirewatch_feed.indexed_configs()::text[] AS configs;

-- Retention (wirewatch prune).  A story is pruned as a whole, once neither it
-- nor any of its copies has changed since the horizon, so a story is never
-- left half pruned while outlets still carry it.

-- name: prune_candidate_stories
SELECT s.id
FROM stories s
WHERE s.id > %(after)s
  AND s.updated_at < %(horizon)s
  AND s.first_seen < %(horizon)s
  AND NOT EXISTS (
      SELECT FROM story_copies c JOIN articles a ON a.id = c.article_id
      WHERE c.story_id = s.id AND (a.updated_at >= %(horizon)s OR c.first_seen >= %(horizon)s))
  AND (%(delete_rows)s OR EXISTS (
      SELECT FROM story_copies c JOIN articles a ON a.id = c.article_id
      WHERE c.story_id = s.id AND a.pruned_at IS NULL))
ORDER BY s.id
LIMIT %(batch)s;

-- name: prune_last_story
-- The highest story id: where prune's walk in id order ends (its progress bar's end).
SELECT coalesce(max(id), 0) AS id FROM stories;

-- name: prune_candidate_orphans
-- Articles that never became part of a story (dedupe not run on them).
SELECT a.id
FROM articles a
WHERE a.id > %(after)s
  AND a.updated_at < %(horizon)s
  AND (%(delete_rows)s OR a.pruned_at IS NULL)
  AND NOT EXISTS (SELECT FROM story_copies c WHERE c.article_id = a.id)
ORDER BY a.id
LIMIT %(batch)s;

-- name: story_article_ids
SELECT article_id FROM story_copies WHERE story_id = ANY(%(stories)s);

-- name: prune_drop_bands
-- The dedupe index rows of these articles (found through their own band keys).
DELETE FROM lsh_bands b
USING story_copies c
WHERE c.article_id = ANY(%(articles)s)
  AND b.band_key = ANY(c.band_keys) AND b.article_id = c.article_id;

-- name: prune_drop_bodies
-- Every revision's text goes with the body (titles stay, as the article's do).
WITH revisions AS (
    UPDATE article_revisions SET text = ''
    WHERE article_id = ANY(%(articles)s) AND text <> ''
)
UPDATE articles
SET text = '', pruned_at = now()
WHERE id = ANY(%(articles)s) AND pruned_at IS NULL;

-- name: prune_delete_stories
-- The stories, the empty (merged) stories that point at them or at the
-- articles going, their copies and change rows (their alert outbox rows go
-- by ON DELETE CASCADE).  Cursors stay valid: a position does not need the
-- rows before it.
WITH RECURSIVE doomed (id) AS (
    SELECT unnest(%(stories)s::bigint[])
    UNION
    SELECT s.id FROM stories s
    WHERE s.merged_into IS NOT NULL AND s.canonical_article_id = ANY(%(articles)s)
    UNION
    SELECT s.id FROM stories s JOIN doomed d ON s.merged_into = d.id
),
changes AS (
    DELETE FROM feed_changes WHERE story_id IN (SELECT id FROM doomed)
),
copies AS (
    DELETE FROM story_copies WHERE story_id IN (SELECT id FROM doomed)
)
DELETE FROM stories WHERE id IN (SELECT id FROM doomed);

-- name: prune_delete_articles
DELETE FROM articles WHERE id = ANY(%(articles)s);

-- name: phrase_pairs
-- The word pairs a phrase needs, as tsquery text, or NULL (see 0034).
SELECT wirewatch_feed.pairs_query(%(phrase)s, %(configs)s::regconfig[])::text AS pairs;

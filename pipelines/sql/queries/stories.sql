-- Stories and their copies (pipelines/stories.py).

-- name: lock_band_keys
-- Serialises assignments whose texts could match: a transaction that could
-- create a second story for a text waits here until the first one commits.
-- Each key comes with its lock id; locks are taken in lock id order, so two
-- assignments never wait on each other in a cycle.  A key that at least
-- common_holders other articles already hold is common text (a stock phrase,
-- boilerplate) or an existing story's, which any copy finds committed: it is
-- not locked, or every assignment would queue on it (stories.COMMON_HOLDERS).
-- When every key of a text is common, all are locked.  The article is named by
-- article_id, or by url_key (then article_id is NULL) when its upsert goes in
-- the same pipeline (stories.queue_lookup), as in current_copy and
-- story_candidates.
WITH keys AS MATERIALIZED (
    SELECT k.lock_id,
           (SELECT count(*) FROM (SELECT FROM lsh_bands l
                                  WHERE l.band_key = k.band_key
                                    AND l.article_id <> coalesce(%(article_id)s::bigint, (SELECT a.id FROM articles a WHERE a.url_key = %(url_key)s))
                                  LIMIT %(common_holders)s) AS held) < %(common_holders)s AS rare
    FROM unnest(%(band_keys)s::bigint[], %(lock_ids)s::integer[]) AS k (band_key, lock_id)
), chosen AS (
    SELECT DISTINCT lock_id FROM keys
    WHERE rare OR NOT EXISTS (SELECT FROM keys WHERE rare)
    ORDER BY lock_id
)
SELECT count(pg_advisory_xact_lock(%(namespace)s, lock_id)) FROM chosen;

-- name: current_copy
-- Not locked here: story rows are locked before copy rows (lock_stories),
-- so a merge and a re-assignment never wait on each other in a cycle.
SELECT c.story_id, c.band_keys, s.canonical_article_id, s.copy_count
FROM story_copies c JOIN stories s ON s.id = c.story_id
WHERE c.article_id = coalesce(%(article_id)s::bigint, (SELECT a.id FROM articles a WHERE a.url_key = %(url_key)s));

-- name: lock_copy
-- The article's copy row, locked once its story is (it may have moved with a
-- merge since current_copy read it).
SELECT story_id, band_keys FROM story_copies
WHERE article_id = %(article_id)s
FOR UPDATE;

-- name: story_candidates
-- Articles sharing keys with the new text, best first, plus the canonical
-- copy of each of their stories (shared = 0 when only there as canonical).
-- Each key contributes at most per_key of its most recent articles, so a key
-- common to thousands of pages (boilerplate) costs no more than a rare one:
-- the lookup is bounded whatever the archive size.  A key held by many
-- articles also weighs less (1 / holders), so shared content outranks shared
-- boilerplate.  At most per_story candidates come from one story, so a story
-- of many copies cannot crowd out a second story the text also belongs to
-- (which it then merges).  A copy is compared through the sketch stored with
-- it (stories.comparable); its text comes along only when it has no sketch of
-- this fingerprint version, and pruned says whether it can be compared at all.
-- The article is named as in lock_band_keys.  Each candidate's article row is
-- read by its key in a LATERAL subquery (the LIMIT keeps the planner from
-- turning it back into a join): as a join, the plan a connection keeps, made
-- while articles was never analyzed and guessed at 10 pages, scanned the whole
-- table for every lookup until autovacuum's first analyze, so each article of
-- a new database's first crawl cost more than the one before (issue 21).
WITH me AS MATERIALIZED (
    SELECT coalesce(%(article_id)s::bigint, (SELECT a.id FROM articles a WHERE a.url_key = %(url_key)s)) AS id
), hits AS (
    SELECT b.article_id, count(*) AS shared, sum(1.0 / b.holders) AS score
    FROM unnest(%(band_keys)s::bigint[]) AS k (band_key)
    CROSS JOIN LATERAL (
        SELECT recent.article_id, count(*) OVER () AS holders
        FROM (SELECT l.article_id FROM lsh_bands l
              WHERE l.band_key = k.band_key AND l.article_id <> (SELECT id FROM me)
              ORDER BY l.article_id DESC
              LIMIT %(per_key)s) recent) b
    GROUP BY b.article_id
    ORDER BY score DESC, b.article_id DESC
    LIMIT %(pool)s
), ranked AS (
    SELECT h.article_id, h.shared, h.score, c.story_id,
           row_number() OVER (PARTITION BY c.story_id
                              ORDER BY h.score DESC, h.article_id DESC) AS nth
    FROM hits h JOIN story_copies c ON c.article_id = h.article_id
), matched AS (
    SELECT article_id, shared, story_id FROM ranked
    WHERE nth <= %(per_story)s
    ORDER BY score DESC, article_id DESC
    LIMIT %(limit)s
), rows AS (
    SELECT article_id, shared, story_id FROM matched
    UNION
    SELECT s.canonical_article_id, 0, s.id
    FROM stories s
    WHERE s.id IN (SELECT story_id FROM matched)
      AND s.canonical_article_id NOT IN (SELECT article_id FROM matched)
      AND s.canonical_article_id <> (SELECT id FROM me)
)
SELECT r.article_id, r.shared, r.story_id, s.canonical_article_id,
       CASE WHEN c.sketch IS NULL OR c.fingerprint_version <> %(version)s THEN a.text END AS text,
       c.sketch, c.fingerprint_version, coalesce(a.text, '') = '' AND c.words > 0 AS pruned,
       a.title, a.wire_credit, a.published, a.first_seen,
       coalesce(src.wire, false) AS wire, c.words
FROM rows r
JOIN stories s ON s.id = r.story_id
CROSS JOIN LATERAL (SELECT a.text, a.title, a.wire_credit, a.published, a.first_seen, a.source
                    FROM articles a WHERE a.id = r.article_id LIMIT 1) a
JOIN story_copies c ON c.article_id = r.article_id
LEFT JOIN sources src ON src.name = a.source
ORDER BY r.shared DESC, r.article_id;

-- name: story_copy_details
-- Every copy of one story, in the order they were seen, for re-choosing its
-- canonical copy when the current one changed or left.  Texts only of copies
-- without a current sketch (stories.comparable).
SELECT c.article_id, c.story_id, c.words, c.sketch, c.fingerprint_version,
       CASE WHEN c.sketch IS NULL OR c.fingerprint_version <> %(version)s THEN a.text END AS text,
       a.title, a.wire_credit,
       a.published, a.first_seen, coalesce(src.wire, false) AS wire
FROM story_copies c
JOIN articles a ON a.id = c.article_id
LEFT JOIN sources src ON src.name = a.source
WHERE c.story_id = %(story_id)s
ORDER BY c.first_seen, c.article_id;

-- name: insert_band_keys
INSERT INTO lsh_bands (band_key, article_id)
SELECT k, %(article_id)s FROM unnest(%(band_keys)s::bigint[]) AS k
ON CONFLICT DO NOTHING;

-- name: delete_band_keys
DELETE FROM lsh_bands
WHERE band_key = ANY(%(band_keys)s::bigint[]) AND article_id = %(article_id)s;

-- name: create_story
-- A new story with its first copy and the copy's band keys, in one statement
-- (all plain INSERTs).
WITH keys AS (
    INSERT INTO lsh_bands (band_key, article_id)
    SELECT k, %(article_id)s FROM unnest(%(band_keys)s::bigint[]) AS k
    ON CONFLICT DO NOTHING
), story AS (
    INSERT INTO stories (canonical_article_id, title, wire_credit)
    VALUES (%(article_id)s, %(title)s, %(wire_credit)s)
    RETURNING id
)
INSERT INTO story_copies (article_id, story_id, similarity, matched_article_id,
                          words, band_keys, fingerprint_version, sketch)
SELECT %(article_id)s, story.id, 1.0, NULL, %(words)s, %(band_keys)s::bigint[], %(version)s,
       %(sketch)s
FROM story
RETURNING story_id;

-- name: add_copy
-- Into a story locked by lock_stories.
INSERT INTO story_copies (article_id, story_id, similarity, matched_article_id,
                          words, band_keys, fingerprint_version, sketch)
VALUES (%(article_id)s, %(story_id)s, %(similarity)s, %(matched_article_id)s,
        %(words)s, %(band_keys)s::bigint[], %(version)s, %(sketch)s);

-- name: add_copy_if_live
-- The common case, one statement: lock the story and add the copy unless a
-- merge (committed while this transaction waited for the lock) folded the
-- story into another one; then no row comes back and assign resolves it.
-- The copy's band keys are inserted either way (assign's other paths keep them).
WITH keys AS (
    INSERT INTO lsh_bands (band_key, article_id)
    SELECT k, %(article_id)s FROM unnest(%(band_keys)s::bigint[]) AS k
    ON CONFLICT DO NOTHING
), live AS (
    SELECT id FROM stories
    WHERE id = %(story_id)s AND merged_into IS NULL
    FOR NO KEY UPDATE
)
INSERT INTO story_copies (article_id, story_id, similarity, matched_article_id,
                          words, band_keys, fingerprint_version, sketch)
SELECT %(article_id)s, live.id, %(similarity)s, %(matched_article_id)s,
       %(words)s, %(band_keys)s::bigint[], %(version)s, %(sketch)s
FROM live
RETURNING story_id;

-- name: update_copy
UPDATE story_copies
SET similarity = %(similarity)s, matched_article_id = %(matched_article_id)s,
    words = %(words)s, band_keys = %(band_keys)s::bigint[], fingerprint_version = %(version)s,
    sketch = %(sketch)s, updated_at = now()
WHERE article_id = %(article_id)s;

-- name: remove_copy
DELETE FROM story_copies WHERE article_id = %(article_id)s;

-- name: count_copy_change
-- Copies joined or left; keeps canonical_article_id out of the SET list so
-- the feed's "canonical changed" trigger does not fire.  Live stories only:
-- assign sends it with add_copy_if_live, which adds nothing to a story merged
-- meanwhile (every other caller holds the story's lock, so it is live).
UPDATE stories
SET copy_count = copy_count + %(delta)s,
    wire_credit = coalesce(wire_credit, %(wire_credit)s),
    updated_at = now()
WHERE id = %(story_id)s AND merged_into IS NULL;

-- name: change_canonical
-- Live stories only, as count_copy_change.
UPDATE stories
SET canonical_article_id = %(article_id)s, title = %(title)s,
    wire_credit = coalesce(%(wire_credit)s, wire_credit),
    copy_count = copy_count + %(delta)s, updated_at = now()
WHERE id = %(story_id)s AND merged_into IS NULL;

-- name: refresh_story_title
-- The canonical copy was re-crawled with a new title; the cache follows it.
UPDATE stories
SET title = %(title)s, updated_at = now()
WHERE id = %(story_id)s AND canonical_article_id = %(article_id)s
  AND title IS DISTINCT FROM %(title)s;

-- name: mark_story_merged
-- The story was folded into another one (merged, or its last copy moved
-- there); the row stays so ids already handed out (alerts, feed) still
-- resolve.  The feed reports it as one 'update' change.
UPDATE stories
SET merged_into = %(merged_into)s, copy_count = 0, updated_at = now()
WHERE id = %(story_id)s;

-- Merging stories ------------------------------------------------------------------

-- name: resolve_stories
-- The live story each asked one is now: itself, or the end of its
-- merged_into chain.
WITH RECURSIVE chain (asked, id, merged_into, depth) AS (
    SELECT s.id, s.id, s.merged_into, 0 FROM stories s WHERE s.id = ANY(%(story_ids)s)
    UNION ALL
    SELECT c.asked, s.id, s.merged_into, c.depth + 1
    FROM chain c JOIN stories s ON s.id = c.merged_into
    WHERE c.depth < 1000
)
SELECT asked, id AS live_id FROM chain WHERE merged_into IS NULL;

-- name: lock_stories
-- Locked in id order, so two transactions merging overlapping stories never
-- wait on each other in a cycle; NO KEY UPDATE, so other transactions can
-- still add copies pointing at them (foreign-key checks take KEY SHARE).
SELECT id, first_seen, canonical_article_id, copy_count, title, wire_credit, merged_into
FROM stories
WHERE id = ANY(%(story_ids)s)
ORDER BY id
FOR NO KEY UPDATE;

-- name: canonical_copies
-- The canonical copy of each story, for choosing the merged story's.
SELECT c.article_id, s.id AS story_id, c.words, c.sketch, c.fingerprint_version,
       CASE WHEN c.sketch IS NULL OR c.fingerprint_version <> %(version)s THEN a.text END AS text,
       a.title, a.wire_credit, a.published, a.first_seen, coalesce(src.wire, false) AS wire
FROM stories s
JOIN story_copies c ON c.article_id = s.canonical_article_id
JOIN articles a ON a.id = c.article_id
LEFT JOIN sources src ON src.name = a.source
WHERE s.id = ANY(%(story_ids)s);

-- name: move_copies
-- Every copy of the merged (younger) story joins the older one; the feed
-- reports each as a 'copy' of the older story.
UPDATE story_copies SET story_id = %(into)s, updated_at = now()
WHERE story_id = %(story_id)s;

-- name: drop_repeated_alerts
-- Nobody is alerted twice about what is now one story: of the two stories'
-- outbox rows for one subscription, a pending one goes when the other was
-- already handled (sent or failed), and of two pending ones the older
-- story's stays.  Edit alerts (revision set) are about one revision each: kept.
DELETE FROM alert_outbox o
WHERE o.story_id IN (%(story_id)s, %(into)s) AND o.status = 'pending' AND o.revision IS NULL
  AND EXISTS (SELECT FROM alert_outbox k
              WHERE k.subscription_id = o.subscription_id AND k.id <> o.id
                AND k.story_id IN (%(story_id)s, %(into)s) AND k.revision IS NULL
                AND (k.status <> 'pending' OR o.story_id = %(story_id)s));

-- name: move_alerts
-- The merged story's remaining outbox rows follow it where the older story
-- has none for that subscription, so matching the merged story again hits
-- enqueue_alert's unique key: a subscriber alerted about either story is
-- not alerted again (sent rows keep their message_id).  Edit alerts all follow.
UPDATE alert_outbox o SET story_id = %(into)s
WHERE o.story_id = %(story_id)s
  AND (o.revision IS NOT NULL
       OR NOT EXISTS (SELECT FROM alert_outbox k
                      WHERE k.story_id = %(into)s AND k.subscription_id = o.subscription_id
                        AND k.revision IS NULL));

-- name: story_by_id
SELECT * FROM stories WHERE id = %(story_id)s;

-- name: story_of_article
SELECT s.*, c.similarity, c.matched_article_id
FROM story_copies c JOIN stories s ON s.id = c.story_id
WHERE c.article_id = %(article_id)s;

-- name: copies_of_story
-- Provenance of a story: every copy's outlet, URL, first-seen time and similarity.
SELECT c.article_id, a.outlet, a.source, a.url, a.title, c.first_seen, c.similarity,
       c.matched_article_id, (c.article_id = s.canonical_article_id) AS canonical
FROM story_copies c
JOIN articles a ON a.id = c.article_id
JOIN stories s ON s.id = c.story_id
WHERE c.story_id = %(story_id)s
ORDER BY c.first_seen, c.article_id;

-- Re-fingerprinting (wirewatch dedupe --rebuild-index) -------------------------------

-- name: refingerprint_counts
-- Copies still to re-fingerprint, and those that cannot be: pruned texts.
SELECT count(*) FILTER (WHERE c.fingerprint_version <> %(version)s) AS stale,
       count(*) FILTER (WHERE c.fingerprint_version <> %(version)s
                          AND a.text = '' AND c.words > 0) AS pruned,
       count(*) AS copies
FROM story_copies c JOIN articles a ON a.id = c.article_id;

-- name: copies_to_refingerprint
-- The next copies fingerprinted with another version, in article order from
-- a position (keyset paging through the primary key: linear over a run, and
-- a resumed run skips what is done).  Pruned texts cannot be re-fingerprinted.
SELECT c.article_id, a.text, a.title, a.wire_credit, a.published, a.first_seen,
       coalesce(src.wire, false) AS wire
FROM story_copies c
JOIN articles a ON a.id = c.article_id
LEFT JOIN sources src ON src.name = a.source
WHERE c.article_id > %(after)s AND c.fingerprint_version <> %(version)s
  AND NOT (a.text = '' AND c.words > 0)
ORDER BY c.article_id
LIMIT %(limit)s;

-- name: refingerprint_copy
-- New keys for an unchanged text: what it matched, how closely, and when the
-- copy last changed (updated_at) stay.
UPDATE story_copies
SET words = %(words)s, band_keys = %(band_keys)s::bigint[], fingerprint_version = %(version)s,
    sketch = %(sketch)s
WHERE article_id = %(article_id)s;

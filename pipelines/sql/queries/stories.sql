-- Stories and their copies (pipelines/stories.py).

-- name: lock_band_keys
-- Serialises assignments whose texts could match: a transaction that could
-- create a second story for a text waits here until the first one commits.
-- Keys arrive sorted so two assignments never wait on each other in a cycle.
SELECT count(pg_advisory_xact_lock(%(namespace)s, k.lock_id))
FROM unnest(%(lock_ids)s::integer[]) WITH ORDINALITY AS k (lock_id, n);

-- name: current_copy
SELECT c.story_id, c.band_keys, s.canonical_article_id, s.copy_count
FROM story_copies c JOIN stories s ON s.id = c.story_id
WHERE c.article_id = %(article_id)s
FOR UPDATE OF c;

-- name: story_candidates
-- Articles sharing band keys with the new text, best first, plus the
-- canonical copy of each of their stories (shared = 0 when only there as
-- canonical).  Each key contributes at most per_key of its most recent
-- articles, so a key common to thousands of pages (boilerplate) costs no
-- more than a rare one: the lookup is bounded whatever the archive size.
-- A key held by many articles also weighs less (1 / holders), so shared
-- content outranks shared boilerplate.
WITH hits AS (
    SELECT b.article_id, count(*) AS shared, sum(1.0 / b.holders) AS score
    FROM unnest(%(band_keys)s::bigint[]) AS k (band_key)
    CROSS JOIN LATERAL (
        SELECT recent.article_id, count(*) OVER () AS holders
        FROM (SELECT l.article_id FROM lsh_bands l
              WHERE l.band_key = k.band_key AND l.article_id <> %(article_id)s
              ORDER BY l.article_id DESC
              LIMIT %(per_key)s) recent) b
    GROUP BY b.article_id
    ORDER BY score DESC, b.article_id DESC
    LIMIT %(limit)s
), matched AS (
    SELECT h.article_id, h.shared, c.story_id
    FROM hits h JOIN story_copies c ON c.article_id = h.article_id
), rows AS (
    SELECT article_id, shared, story_id FROM matched
    UNION
    SELECT s.canonical_article_id, 0, s.id
    FROM stories s
    WHERE s.id IN (SELECT story_id FROM matched)
      AND s.canonical_article_id NOT IN (SELECT article_id FROM matched)
      AND s.canonical_article_id <> %(article_id)s
)
SELECT r.article_id, r.shared, r.story_id, s.canonical_article_id,
       a.text, a.title, a.wire_credit, a.published, a.first_seen,
       coalesce(src.wire, false) AS wire, c.words
FROM rows r
JOIN stories s ON s.id = r.story_id
JOIN articles a ON a.id = r.article_id
JOIN story_copies c ON c.article_id = r.article_id
LEFT JOIN sources src ON src.name = a.source
ORDER BY r.shared DESC, r.article_id;

-- name: story_copy_details
-- Every copy of one story, in the order they were seen, for re-choosing its
-- canonical copy when the current one changed or left.
SELECT c.article_id, c.story_id, c.words, a.text, a.title, a.wire_credit,
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
-- A new story with its first copy, in one statement (both are plain INSERTs).
WITH story AS (
    INSERT INTO stories (canonical_article_id, title, wire_credit)
    VALUES (%(article_id)s, %(title)s, %(wire_credit)s)
    RETURNING id
)
INSERT INTO story_copies (article_id, story_id, similarity, matched_article_id,
                          words, band_keys, fingerprint_version)
SELECT %(article_id)s, story.id, 1.0, NULL, %(words)s, %(band_keys)s, %(version)s
FROM story
RETURNING story_id;

-- name: add_copy
INSERT INTO story_copies (article_id, story_id, similarity, matched_article_id,
                          words, band_keys, fingerprint_version)
VALUES (%(article_id)s, %(story_id)s, %(similarity)s, %(matched_article_id)s,
        %(words)s, %(band_keys)s, %(version)s);

-- name: update_copy
UPDATE story_copies
SET similarity = %(similarity)s, matched_article_id = %(matched_article_id)s,
    words = %(words)s, band_keys = %(band_keys)s, fingerprint_version = %(version)s,
    updated_at = now()
WHERE article_id = %(article_id)s;

-- name: remove_copy
DELETE FROM story_copies WHERE article_id = %(article_id)s;

-- name: count_copy_change
-- Copies joined or left; keeps canonical_article_id out of the SET list so
-- the feed's "canonical changed" trigger does not fire.
UPDATE stories
SET copy_count = copy_count + %(delta)s,
    wire_credit = coalesce(wire_credit, %(wire_credit)s),
    updated_at = now()
WHERE id = %(story_id)s;

-- name: change_canonical
UPDATE stories
SET canonical_article_id = %(article_id)s, title = %(title)s,
    wire_credit = coalesce(%(wire_credit)s, wire_credit),
    copy_count = copy_count + %(delta)s, updated_at = now()
WHERE id = %(story_id)s;

-- name: refresh_story_title
-- The canonical copy was re-crawled with a new title; the cache follows it.
UPDATE stories
SET title = %(title)s, updated_at = now()
WHERE id = %(story_id)s AND canonical_article_id = %(article_id)s
  AND title IS DISTINCT FROM %(title)s;

-- name: mark_story_merged
-- The story's last copy moved to another story; the row stays so ids
-- already handed out (alerts, feed) still resolve.
UPDATE stories
SET merged_into = %(merged_into)s, copy_count = 0, updated_at = now()
WHERE id = %(story_id)s;

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

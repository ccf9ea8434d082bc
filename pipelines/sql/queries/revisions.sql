-- Article revisions (migration 0100): one row per version of an article's title and text.

-- name: latest_revision
-- The version a refetch is compared with; the article row is already locked by the upsert.
SELECT revision, title, text FROM article_revisions
WHERE article_id = %(article_id)s
ORDER BY revision DESC
LIMIT 1;

-- name: insert_revision
-- A revision > 1 also adds a 'revision' change to the feed (trigger feed_revision_added).
INSERT INTO article_revisions (article_id, revision, fetched_at, title, text,
                               words_added, words_removed, headline_changed)
VALUES (%(article_id)s, %(revision)s, %(fetched_at)s, %(title)s, %(text)s,
        %(words_added)s, %(words_removed)s, %(headline_changed)s);

-- name: article_revisions
SELECT * FROM wirewatch_feed.revisions
WHERE article_id = %(article_id)s
ORDER BY revision;

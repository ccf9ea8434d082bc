-- Articles: one row per fetched URL, updated in place when its text changes.

-- name: upsert_article
-- Returns nothing when the stored text is already the same (unchanged).  A new
-- article's first revision is written by this statement too, from the row it
-- inserts: one statement, and one copy of the text sent, fewer for every new
-- article (pipelines.revisions; a revision 1 adds nothing to the feed).
WITH upserted AS (
    INSERT INTO articles (
        url, url_key, canonical_url, source, outlet, title, text, published, authors, language,
        top_image, section, summary, wire_credit, dateline, content_hash, paywalled,
        discovered_at, fetched_at, crawl_run_id, warc_file, warc_offset, warc_length)
    VALUES (
        %(url)s, %(url_key)s, %(canonical_url)s, %(source)s, %(outlet)s, %(title)s, %(text)s, %(published)s,
        %(authors)s, %(language)s, %(top_image)s, %(section)s, %(summary)s, %(wire_credit)s,
        %(dateline)s, %(content_hash)s, %(paywalled)s, %(discovered_at)s, %(fetched_at)s, %(crawl_run_id)s,
        %(warc_file)s, %(warc_offset)s, %(warc_length)s)
    ON CONFLICT (url_key) DO UPDATE
    SET url = EXCLUDED.url, canonical_url = EXCLUDED.canonical_url, title = EXCLUDED.title, text = EXCLUDED.text,
        published = COALESCE(EXCLUDED.published, articles.published),
        authors = EXCLUDED.authors, language = EXCLUDED.language,
        top_image = EXCLUDED.top_image, section = EXCLUDED.section, summary = EXCLUDED.summary,
        wire_credit = EXCLUDED.wire_credit, dateline = EXCLUDED.dateline,
        content_hash = EXCLUDED.content_hash, paywalled = EXCLUDED.paywalled,
        fetched_at = EXCLUDED.fetched_at,
        crawl_run_id = EXCLUDED.crawl_run_id, updated_at = now(),
        warc_file = EXCLUDED.warc_file, warc_offset = EXCLUDED.warc_offset,
        warc_length = EXCLUDED.warc_length
    WHERE articles.content_hash IS DISTINCT FROM EXCLUDED.content_hash
       OR articles.title IS DISTINCT FROM EXCLUDED.title
       OR articles.paywalled IS DISTINCT FROM EXCLUDED.paywalled
    RETURNING id, (xmax = 0) AS inserted, fetched_at, title, text
), first_revision AS (
    INSERT INTO article_revisions (article_id, revision, fetched_at, title, text,
                                   words_added, words_removed, headline_changed)
    SELECT id, 1, fetched_at, title, text, %(first_words)s, 0, false
    FROM upserted WHERE inserted
)
-- The alert subscriptions' version comes with the row (as subscriptions_version
-- reads it): storing needs it only for a new or changed article.
SELECT id, inserted,
       (SELECT subscriptions_version FROM alert_state) AS version,
       (SELECT oid FROM pg_database WHERE datname = current_database()) AS database_oid
FROM upserted;

-- name: article_by_url_key
SELECT * FROM articles WHERE url_key = %(url_key)s;

-- name: known_url_keys
-- Which of the given URL keys are stored already (for skipping refetches).
SELECT url_key FROM articles WHERE url_key = ANY(%(url_keys)s);

-- name: count_articles
SELECT count(*) AS n FROM articles;

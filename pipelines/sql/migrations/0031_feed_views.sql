-- The feed (issue 8): change-log triggers on the dedupe tables, NOTIFY, and the
-- documented views of schema wirewatch_feed.
--
-- Views keep their columns across migrations (tests/test_feed_views.py pins
-- them): a later migration may add a column at the end, never rename, drop or
-- retype one.  Views run with their owner's rights, so a reader role needs
-- rights on wirewatch_feed only.

-- Change-log triggers ------------------------------------------------------------------
-- They write in the writer's transaction, so a change row commits (or rolls
-- back) with the story rows it describes, whoever the writer is.

CREATE FUNCTION story_created_in_this_transaction(story bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM wirewatch.feed_changes
                   WHERE story_id = story AND kind = 'story' AND tx = pg_current_xact_id())
$$;

CREATE FUNCTION feed_story_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
    VALUES ('story', NEW.id, NEW.canonical_article_id);
    RETURN NULL;
END;
$$;

-- A new canonical copy, or the story folded into another (merged_into); not
-- reported for a story the same transaction created: its readers see the
-- final state anyway.
CREATE FUNCTION feed_story_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT wirewatch.story_created_in_this_transaction(NEW.id) THEN
        INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
        VALUES ('update', NEW.id, NEW.canonical_article_id);
    END IF;
    RETURN NULL;
END;
$$;

-- A copy joining a story (inserted, or moved over from another story when its
-- text was edited); the copy that started a story is part of the 'story' change.
CREATE FUNCTION feed_copy_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM wirewatch.feed_changes
                   WHERE story_id = NEW.story_id AND kind = 'story'
                     AND article_id = NEW.article_id AND tx = pg_current_xact_id()) THEN
        INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
        VALUES ('copy', NEW.story_id, NEW.article_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER feed_story_inserted AFTER INSERT ON stories
FOR EACH ROW EXECUTE FUNCTION feed_story_inserted();

CREATE TRIGGER feed_story_updated AFTER UPDATE OF canonical_article_id, merged_into ON stories
FOR EACH ROW
WHEN (OLD.canonical_article_id IS DISTINCT FROM NEW.canonical_article_id
      OR OLD.merged_into IS DISTINCT FROM NEW.merged_into)
EXECUTE FUNCTION feed_story_updated();

CREATE TRIGGER feed_copy_inserted AFTER INSERT ON story_copies
FOR EACH ROW EXECUTE FUNCTION feed_copy_added();

CREATE TRIGGER feed_copy_moved AFTER UPDATE OF story_id ON story_copies
FOR EACH ROW WHEN (OLD.story_id IS DISTINCT FROM NEW.story_id)
EXECUTE FUNCTION feed_copy_added();

-- Views -------------------------------------------------------------------------------

CREATE VIEW wirewatch_feed.articles AS
SELECT a.id AS article_id,
       a.url,
       a.canonical_url,
       a.source,
       a.outlet,
       a.title,
       CASE WHEN a.pruned_at IS NULL THEN a.text END AS text,
       a.summary,
       a.published,
       a.authors,
       a.language,
       a.section,
       a.top_image,
       a.wire_credit,
       a.dateline,
       a.first_seen,
       a.fetched_at,
       a.updated_at,
       a.pruned_at,
       c.story_id,
       a.search_vector
FROM wirewatch.articles a
LEFT JOIN wirewatch.story_copies c ON c.article_id = a.id;
COMMENT ON VIEW wirewatch_feed.articles IS
    'Every stored article (one per URL). text is NULL once pruned; story_id is NULL '
    'until dedupe filed it. search_vector: title (weight A) + body (B), folded.';

CREATE VIEW wirewatch_feed.stories AS
SELECT s.id AS story_id,
       coalesce(s.title, a.title) AS title,
       CASE WHEN a.pruned_at IS NULL THEN a.text END AS text,
       a.summary,
       a.url,
       a.outlet,
       a.source,
       a.published,
       s.first_seen,
       s.updated_at,
       a.language,
       coalesce(s.wire_credit, a.wire_credit) AS wire_credit,
       s.copy_count AS copies,
       coalesce(o.outlets, ARRAY[a.outlet]) AS outlets,
       s.canonical_article_id,
       s.merged_into
FROM wirewatch.stories s
JOIN wirewatch.articles a ON a.id = s.canonical_article_id
LEFT JOIN LATERAL (
    SELECT array_agg(outlet ORDER BY first_seen, outlet) AS outlets
    FROM (SELECT ca.outlet, min(c.first_seen) AS first_seen
          FROM wirewatch.story_copies c
          JOIN wirewatch.articles ca ON ca.id = c.article_id
          WHERE c.story_id = s.id
          GROUP BY ca.outlet) AS by_outlet
) o ON true;
COMMENT ON VIEW wirewatch_feed.stories IS
    'One row per story: its canonical copy''s title, text and URL, and every outlet '
    'that carried it (in order of first appearance). merged_into is set when the '
    'story was folded into another one; it then has no copies.';

CREATE VIEW wirewatch_feed.copies AS
SELECT c.story_id,
       c.article_id,
       a.outlet,
       a.source,
       a.url,
       a.title,
       a.published,
       c.first_seen,
       c.similarity,
       (s.canonical_article_id = c.article_id) AS is_canonical,
       c.matched_article_id
FROM wirewatch.story_copies c
JOIN wirewatch.articles a ON a.id = c.article_id
JOIN wirewatch.stories s ON s.id = c.story_id;
COMMENT ON VIEW wirewatch_feed.copies IS
    'Provenance: each outlet''s copy of a story, with its containment similarity '
    '(0..1) to the copy it matched.';

CREATE VIEW wirewatch_feed.sources AS
SELECT name AS source, kind, urls, wire, schedule, created_at, updated_at
FROM wirewatch.sources;
COMMENT ON VIEW wirewatch_feed.sources IS 'Configured sources, as last synced from wirewatch.toml.';

CREATE VIEW wirewatch_feed.crawl_runs AS
SELECT id AS run_id, source, started_at, finished_at, status, finish_reason,
       pages_fetched, articles_new, articles_updated, articles_unchanged, errors
FROM wirewatch.crawl_runs;
COMMENT ON VIEW wirewatch_feed.crawl_runs IS 'One row per crawl of one source.';

CREATE VIEW wirewatch_feed.crawl_health AS
SELECT src.name AS source,
       last_run.run_id AS last_run_id,
       last_run.started_at AS last_started_at,
       last_run.finished_at AS last_finished_at,
       last_run.status AS last_status,
       last_run.finish_reason AS last_finish_reason,
       (SELECT max(r.finished_at) FROM wirewatch.crawl_runs r
        WHERE r.source = src.name AND r.status = 'ok') AS last_ok_at,
       day.runs AS runs_24h,
       day.failed AS failed_runs_24h,
       day.pages AS pages_fetched_24h,
       day.articles_new AS articles_new_24h,
       day.errors AS errors_24h,
       (SELECT max(a.first_seen) FROM wirewatch.articles a
        WHERE a.source = src.name) AS last_article_at
FROM wirewatch.sources src
LEFT JOIN LATERAL (
    SELECT r.id AS run_id, r.started_at, r.finished_at, r.status, r.finish_reason
    FROM wirewatch.crawl_runs r WHERE r.source = src.name
    ORDER BY r.started_at DESC LIMIT 1
) last_run ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS runs,
           count(*) FILTER (WHERE r.status = 'failed') AS failed,
           coalesce(sum(r.pages_fetched), 0) AS pages,
           coalesce(sum(r.articles_new), 0) AS articles_new,
           coalesce(sum(r.errors), 0) AS errors
    FROM wirewatch.crawl_runs r
    WHERE r.source = src.name AND r.started_at > now() - interval '24 hours'
) day;
COMMENT ON VIEW wirewatch_feed.crawl_health IS
    'Per source: the last crawl, the last successful one, the last 24 hours in sums.';

CREATE FUNCTION wirewatch_feed.feed_head() RETURNS TABLE (last_seq bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT last_seq FROM wirewatch.feed_clock
$$;
COMMENT ON FUNCTION wirewatch_feed.feed_head() IS
    'The newest cursor ever handed out; a cursor beyond it was not issued here.';

-- Committed changes in feed order.  seq is assigned at commit, in commit
-- order (see feed_change_sequence): a reader that resumes after the last
-- cursor it handled misses nothing and sees nothing twice.
CREATE VIEW wirewatch_feed.changes AS
SELECT c.seq::text AS cursor,
       c.kind,
       c.story_id,
       c.article_id,
       c.changed_at,
       c.seq
FROM wirewatch.feed_changes c
WHERE c.seq IS NOT NULL;
COMMENT ON VIEW wirewatch_feed.changes IS
    'The change log (kind: story, copy, update), ordered by seq; read it with '
    'changes_after(cursor, n). NOTIFY channel: wirewatch_feed.';

CREATE FUNCTION wirewatch_feed.changes_after(after text DEFAULT NULL, max_rows integer DEFAULT 1000)
RETURNS SETOF wirewatch_feed.changes
LANGUAGE plpgsql STABLE AS $$
DECLARE
    position bigint := 0;
BEGIN
    IF after IS NOT NULL AND after <> '' THEN
        IF after !~ '^[0-9]{1,18}$' THEN
            RAISE EXCEPTION 'malformed feed cursor: %', after
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Pass the cursor of the last change you handled, e.g. 1042.';
        END IF;
        position := after::bigint;
        IF position > (SELECT last_seq FROM wirewatch_feed.feed_head()) THEN
            RAISE EXCEPTION 'feed cursor % is ahead of the feed', after
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    RETURN QUERY SELECT * FROM wirewatch_feed.changes c
                 WHERE c.seq > position ORDER BY c.seq LIMIT max_rows;
END;
$$;
COMMENT ON FUNCTION wirewatch_feed.changes_after(text, integer) IS
    'The next changes after a cursor (NULL = from the beginning), oldest first.';

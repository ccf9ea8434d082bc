-- Number a transaction's feed changes all at once, at commit.
--
-- 0030 numbered each change row in its own deferred trigger firing, each
-- updating the one feed_clock row.  Updating one row N times in a transaction
-- leaves a chain of N versions that every further update walks, so a
-- transaction writing many stories (a backfill, a re-dedupe, a merge of large
-- stories) spent quadratic time in COMMIT.  Now the first firing numbers all
-- of the transaction's pending rows with one UPDATE of the clock and one of
-- the change log; the later firings find their row numbered and return.
-- The guarantees are those of 0030: seq is taken under the clock's row lock,
-- held until the commit is visible, so seq grows in commit order.

CREATE INDEX feed_changes_unnumbered ON feed_changes (tx, id) WHERE seq IS NULL;

CREATE OR REPLACE FUNCTION feed_change_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    pending bigint;
    last_position bigint;
    change record;
BEGIN
    IF EXISTS (SELECT FROM wirewatch.feed_changes WHERE id = NEW.id AND seq IS NOT NULL) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO pending
    FROM wirewatch.feed_changes WHERE tx = pg_current_xact_id() AND seq IS NULL;
    UPDATE wirewatch.feed_clock SET last_seq = last_seq + pending
    RETURNING last_seq INTO last_position;
    -- NOTIFY is delivered only if and when the transaction commits, in this order.
    FOR change IN
        WITH numbered AS (
            SELECT id, last_position - pending + row_number() OVER (ORDER BY id) AS position
            FROM wirewatch.feed_changes
            WHERE tx = pg_current_xact_id() AND seq IS NULL
        ), done AS (
            UPDATE wirewatch.feed_changes f SET seq = n.position
            FROM numbered n WHERE f.id = n.id
            RETURNING f.kind, f.story_id, f.article_id, f.seq
        )
        SELECT * FROM done ORDER BY seq
    LOOP
        PERFORM pg_notify('wirewatch_feed', json_build_object(
            'kind', change.kind,
            'id', change.story_id,
            'article_id', change.article_id,
            'cursor', change.seq::text)::text);
    END LOOP;
    RETURN NULL;
END;
$$;

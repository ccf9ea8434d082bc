-- Article revisions (issue 17): every version of an article's title and text.
--
-- pipelines.storage.store_article writes revision 1 when it first stores an
-- article and revision n+1 whenever a refetch finds its title or text
-- changed, in the same transaction as the article update; an unchanged
-- refetch writes nothing.  Each revision keeps its full title and text (so
-- any version reads back without replaying diffs) and the size of the edit
-- against the previous revision.
--
-- Existing articles get their revision 1 here, from the text stored now (the
-- versions before it were never kept), so a later edit is revision 2.  On a
-- large archive this copies every article's text once.

CREATE TABLE article_revisions (
    article_id       bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision         integer NOT NULL CHECK (revision >= 1),
    fetched_at       timestamptz NOT NULL,
    title            text,
    text             text NOT NULL,
    -- Against the previous revision, counted as multisets of words
    -- (pipelines.revisions.word_changes); revision 1 adds all of its words.
    words_added      integer NOT NULL CHECK (words_added >= 0),
    words_removed    integer NOT NULL CHECK (words_removed >= 0),
    headline_changed boolean NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, revision)
);

INSERT INTO article_revisions (article_id, revision, fetched_at, title, text,
                               words_added, words_removed, headline_changed)
SELECT id, 1, fetched_at, title, text,
       CASE WHEN btrim(text) = '' THEN 0
            ELSE cardinality(regexp_split_to_array(btrim(text), '\s+')) END,
       0, false
FROM articles;

-- The feed's new change kind: an edit of an article (revision 2 on).  Revision
-- 1 is the first fetch, already announced by its story or copy change.
ALTER TABLE feed_changes DROP CONSTRAINT feed_changes_kind_check;
ALTER TABLE feed_changes ADD CONSTRAINT feed_changes_kind_check
    CHECK (kind IN ('story', 'copy', 'update', 'revision'));

CREATE FUNCTION feed_revision_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO wirewatch.feed_changes (kind, story_id, article_id)
    SELECT 'revision', c.story_id, NEW.article_id
    FROM wirewatch.story_copies c WHERE c.article_id = NEW.article_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER feed_revision_added AFTER INSERT ON article_revisions
FOR EACH ROW WHEN (NEW.revision > 1)
EXECUTE FUNCTION feed_revision_added();

CREATE VIEW wirewatch_feed.revisions AS
SELECT r.article_id,
       c.story_id,
       r.revision,
       r.fetched_at,
       r.title,
       CASE WHEN a.pruned_at IS NULL THEN r.text END AS text,
       r.words_added,
       r.words_removed,
       r.headline_changed
FROM wirewatch.article_revisions r
JOIN wirewatch.articles a ON a.id = r.article_id
LEFT JOIN wirewatch.story_copies c ON c.article_id = r.article_id;
COMMENT ON VIEW wirewatch_feed.revisions IS
    'Every version of every article: revision 1 is the first fetch (or the text stored '
    'when revisions began, migration 0100), each later one a refetch that found the '
    'title or text changed. words_added/words_removed count words against the previous '
    'revision; text is NULL once the article is pruned. story_id is the story now.';

COMMENT ON VIEW wirewatch_feed.changes IS
    'The change log (kind: story, copy, update, revision; more kinds may be added, '
    'ignore the ones you do not know), ordered by seq; read it with '
    'changes_after(cursor, n). NOTIFY channel: wirewatch_feed.';

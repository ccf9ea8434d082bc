-- Syndication dedupe: stories, the copies that make them up, and the LSH band
-- index that finds candidate copies at a cost independent of archive size.
--
-- The feed puts triggers on these tables: INSERT INTO stories = a new story,
-- UPDATE OF canonical_article_id = a canonical change, INSERT INTO
-- story_copies = a new copy.  pipelines/stories.py keeps to exactly those
-- plain statements.

CREATE TABLE stories (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    canonical_article_id bigint NOT NULL REFERENCES articles (id),
    -- Cached from the canonical copy / the copies, for listings without joins.
    title                text,
    wire_credit          text,
    copy_count           integer NOT NULL DEFAULT 1 CHECK (copy_count >= 0),
    -- Set when the story's last copy moved to another story (its text was
    -- edited into a copy of that one): the row stays so ids handed out to
    -- alerts and the feed keep resolving.
    merged_into          bigint REFERENCES stories (id),
    first_seen           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stories_first_seen ON stories (first_seen DESC);
CREATE INDEX stories_canonical_article ON stories (canonical_article_id);

CREATE TABLE story_copies (
    article_id         bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    story_id           bigint NOT NULL REFERENCES stories (id),
    -- Containment of the shorter text in the longer (0..1) against
    -- matched_article_id; 1 for the copy that started the story.
    similarity         real NOT NULL CHECK (similarity >= 0 AND similarity <= 1),
    matched_article_id bigint REFERENCES articles (id) ON DELETE SET NULL,
    -- Word count of the text, for the "most complete copy" rule.
    words              integer NOT NULL,
    -- This copy's rows in lsh_bands, so a text change can remove exactly them.
    band_keys          bigint[] NOT NULL,
    fingerprint_version smallint NOT NULL,
    first_seen         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX story_copies_story ON story_copies (story_id, first_seen);

-- One row per (band key, article).  No foreign key on purpose: 30+ FK checks
-- per article would dominate insert cost, and rows of a deleted article are
-- harmless (lookups join story_copies, which cascades).
CREATE TABLE lsh_bands (
    band_key   bigint NOT NULL,
    article_id bigint NOT NULL,
    PRIMARY KEY (band_key, article_id)
);

-- The raw-page archive (issue 17): where each article's page is kept as WARC,
-- and the checkpoints of `wirewatch reextract`.
--
-- A crawl with [archive] enabled writes every fetched article page as a WARC
-- response record (one gzip member) to $WIREWATCH_HOME/archive/<source>/...;
-- the article row points at the record its stored text was extracted from:
-- the file (relative to the archive directory), the byte offset of the
-- record's gzip member and its length in bytes.  The three are set together
-- or not at all; NULL when the page was not archived, or its file was pruned
-- (`wirewatch prune --archive-older-than`).  A refetch that finds the text
-- unchanged leaves the pointer at the record the text came from.

ALTER TABLE articles
    ADD COLUMN warc_file   text,
    ADD COLUMN warc_offset bigint,
    ADD COLUMN warc_length integer,
    ADD CONSTRAINT articles_warc_pointer CHECK (
        (warc_file IS NULL AND warc_offset IS NULL AND warc_length IS NULL)
        OR (warc_file IS NOT NULL AND warc_offset >= 0 AND warc_length > 0));

-- Pruning a file clears the pointers into it.
CREATE INDEX articles_warc_file ON articles (warc_file) WHERE warc_file IS NOT NULL;

-- One row per re-extraction of a selection (its --source and --since as
-- given): the articles it covers (ids up to last_id, fetched at or after
-- horizon, frozen when it starts so a resumed run sees the same set), how
-- far it got (every article with id <= after_id is done) and its counts so
-- far.  A run that stops resumes after after_id; a finished one is started
-- afresh by the next run of the same selection.
CREATE TABLE reextract_runs (
    selection   text PRIMARY KEY,
    source      text,
    horizon     timestamptz,
    last_id     bigint NOT NULL,
    after_id    bigint NOT NULL DEFAULT 0,
    counts      jsonb NOT NULL DEFAULT '{}'::jsonb,
    started_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- Backfill from WARC files (wirewatch import-warc, issue 18).

-- Imported articles belong to a source like crawled ones; a name used only
-- for imports (default 'import') has its own kind, so it never passes for a
-- crawlable source.
ALTER TABLE sources DROP CONSTRAINT sources_kind_check;
ALTER TABLE sources ADD CONSTRAINT sources_kind_check
    CHECK (kind IN ('feed', 'sitemap', 'section', 'import'));

-- One row per WARC file: who works on it and how far it got.  An importer
-- holds a session advisory lock on the file while it works (released by the
-- server when the importer dies), so several importers given the same file
-- list each take different files; the checkpoint says where the first record
-- not yet handled starts (records stored past it are marked, 0081), so a
-- resumed import starts there and never handles a record twice.
CREATE TABLE warc_imports (
    -- Which file: the URL, or a local file's name and size (the same file on
    -- several machines, whatever its directory).
    file_key       text PRIMARY KEY,
    location       text NOT NULL,               -- as the last importer named it
    source         text NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'working', 'done')),
    claimed_by     text,                        -- host:pid of the importer
    -- Byte offset of the first record not handled yet, and the number of
    -- records before it (for streams that cannot seek).
    next_offset    bigint NOT NULL DEFAULT 0,
    records_done   bigint NOT NULL DEFAULT 0,
    -- Outcomes so far, by kind (stored_new, not_html, revisit, ...).
    counts         jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    checkpoint_at  timestamptz,
    finished_at    timestamptz
);
CREATE INDEX warc_imports_unfinished ON warc_imports (status) WHERE status <> 'done';

-- Several writers per importer (issue 18): articles of one file commit out of
-- order, so the file's checkpoint (warc_imports.next_offset) only covers the
-- records before the first one still in flight.  Each stored record past it
-- is marked here, in the transaction that stores it; a resumed import skips
-- the marked records, and a checkpoint deletes the marks it covers.
CREATE TABLE warc_import_records (
    file_key  text NOT NULL REFERENCES warc_imports (file_key) ON DELETE CASCADE,
    ordinal   bigint NOT NULL,            -- the record's number in the file, from 1
    kind      text NOT NULL,              -- stored_new | stored_updated | unchanged
    PRIMARY KEY (file_key, ordinal)
);

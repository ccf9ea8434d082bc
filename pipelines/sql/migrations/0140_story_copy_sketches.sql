-- What comparing a stored copy needs, kept with it: story assignment compares
-- a new article with up to ~9 stored copies, and shingling each one's text
-- again cost ~2.4 ms of the ~2.6 ms of storing-thread CPU per crawled article.
-- pipelines.fingerprint.pack_sketch: the exact key, then the distinct 32-bit
-- shingles, strong then weak (~4 bytes per word of the text).  Valid for
-- fingerprint_version; NULL for copies stored before this column, which are
-- compared on their text until `wirewatch dedupe --rebuild-index` fills it.
ALTER TABLE story_copies ADD COLUMN sketch bytea;
-- Kept in the row (MAIN: out of line only when the row would not fit a page),
-- so reading a candidate's sketch costs no TOAST lookup (~30% less server CPU
-- for 9 candidates than EXTERNAL, measured); hashes do not compress, and
-- pglz gives up on them after its first kilobyte.
ALTER TABLE story_copies ALTER COLUMN sketch SET STORAGE MAIN;

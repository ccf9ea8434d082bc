-- `wirewatch errors` lists a window of recent failures, newest first, for all
-- sources or a few: find them by index instead of scanning every failure kept
-- (180 days by default).  The time index also serves housekeeping's deletion
-- of old rows.

CREATE INDEX crawl_errors_source_at ON crawl_errors (source, at DESC);
CREATE INDEX crawl_errors_at ON crawl_errors (at DESC);

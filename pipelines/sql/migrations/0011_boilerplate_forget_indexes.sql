-- Forgetting stale boilerplate counts runs at the end of every crawl: find the
-- old rows by index instead of scanning the tables.

CREATE INDEX boilerplate_blocks_last_seen ON boilerplate_blocks (last_seen);
CREATE INDEX boilerplate_pages_learned_at ON boilerplate_pages (learned_at);

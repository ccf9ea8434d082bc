-- Site-level boilerplate learning (pipelines.extract.sitelearn): how many
-- distinct pages of each domain carried each text block.

CREATE TABLE boilerplate_blocks (
    domain      text NOT NULL,
    -- pipelines.extract.sitelearn.block_key(block): case, digits and spacing folded.
    block_key   text NOT NULL,
    pages       integer NOT NULL CHECK (pages > 0),
    sample      text NOT NULL,  -- the block as first seen, for people reading the table
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, block_key)
);
CREATE INDEX boilerplate_blocks_domain_pages ON boilerplate_blocks (domain, pages DESC);

-- Pages already counted, so a page fetched again (a re-crawl, an update, a
-- retried save after a crash) never counts twice.
CREATE TABLE boilerplate_pages (
    domain      text NOT NULL,
    page_key    text NOT NULL,  -- sha1 of the page URL
    learned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, page_key)
);

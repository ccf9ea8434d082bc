-- Polite incremental fetching: what the crawler remembers between runs.

-- Conditional-GET state of listing pages (feeds, sitemaps, section pages),
-- written only after a run handled everything the listing led to.
CREATE TABLE listing_state (
    url                 text PRIMARY KEY,
    host                text NOT NULL,
    source              text NOT NULL,
    etag                text,
    last_modified       text,
    -- Hash of the body last parsed: "not modified" when a full fetch finds
    -- the same bytes, and the evidence against servers whose validators lie.
    content_hash        text NOT NULL,
    -- Listings this one led to (a sitemap index's sitemaps): still visited
    -- when this one has not changed.
    children            text[] NOT NULL DEFAULT '{}',
    -- false once the server answered with unchanged validators for changed content.
    validators_trusted  boolean NOT NULL DEFAULT true,
    distrust_reason     text,
    -- Conditional fetches since the last full (verifying) fetch.
    fetches_since_full  integer NOT NULL DEFAULT 0,
    checked_at          timestamptz NOT NULL DEFAULT now(),
    changed_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listing_state_source ON listing_state (source);
CREATE INDEX listing_state_host ON listing_state (host) WHERE NOT validators_trusted;

-- Hosts that asked us (Retry-After on a 429/503) to stay away for longer than a run waits.
CREATE TABLE host_backoff (
    host        text PRIMARY KEY,
    not_before  timestamptz NOT NULL,
    reason      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Foundation: sources, crawl runs and their errors, articles.

CREATE TABLE sources (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9_-]+$'),
    kind        text NOT NULL CHECK (kind IN ('feed', 'sitemap', 'section')),
    urls        text[] NOT NULL,
    wire        boolean NOT NULL DEFAULT false,
    schedule    text,
    settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE crawl_runs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source             text NOT NULL REFERENCES sources (name) ON UPDATE CASCADE,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    status             text NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    finish_reason      text,
    pages_fetched      integer NOT NULL DEFAULT 0,
    articles_new       integer NOT NULL DEFAULT 0,
    articles_updated   integer NOT NULL DEFAULT 0,
    articles_unchanged integer NOT NULL DEFAULT 0,
    errors             integer NOT NULL DEFAULT 0,
    stats              jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX crawl_runs_source_started ON crawl_runs (source, started_at DESC);

CREATE TABLE crawl_errors (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id    bigint REFERENCES crawl_runs (id) ON DELETE CASCADE,
    source    text NOT NULL,
    url       text,
    kind      text NOT NULL,
    message   text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX crawl_errors_run ON crawl_errors (run_id);

CREATE TABLE articles (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    url            text NOT NULL,
    -- crawler.urls.url_key(url): the identity of a page across tracking
    -- parameters, fragments, www. and trailing slashes.
    url_key        text NOT NULL UNIQUE,
    canonical_url  text,
    source         text NOT NULL REFERENCES sources (name) ON UPDATE CASCADE,
    outlet         text NOT NULL,
    title          text,
    text           text NOT NULL,
    published      timestamptz,
    authors        text[] NOT NULL DEFAULT '{}',
    language       text,
    top_image      text,
    section        text,
    summary        text,
    wire_credit    text,
    dateline       text,
    content_hash   text NOT NULL,
    discovered_at  timestamptz,
    fetched_at     timestamptz NOT NULL,
    first_seen     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    crawl_run_id   bigint REFERENCES crawl_runs (id) ON DELETE SET NULL
);
CREATE INDEX articles_url ON articles (url);
CREATE INDEX articles_canonical_url ON articles (canonical_url);
CREATE INDEX articles_source_first_seen ON articles (source, first_seen DESC);
CREATE INDEX articles_published ON articles (published DESC);
CREATE INDEX articles_content_hash ON articles (content_hash);

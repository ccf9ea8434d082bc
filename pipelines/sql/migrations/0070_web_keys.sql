-- Keys of the web interface (issue 16): one random key per purpose, made on
-- first use, so the web app and every `wirewatch alerts send` (cron, the
-- daemon, another machine) sign unsubscribe links with the same key without
-- any configuration.  [web] secret_env overrides it.  Readers of the feed
-- schema never see this table.

CREATE TABLE web_keys (
    name       text PRIMARY KEY,
    key        bytea NOT NULL CHECK (length(key) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

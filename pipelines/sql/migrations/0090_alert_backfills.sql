-- Alert backfills (issue 15): every time stored stories were matched for a
-- subscription after the fact (`alerts add --backfill`, `alerts backfill`, the
-- `backfill` key of [[alert]] tables).  The query is kept with the window it
-- covered, so an [[alert]] table's backfill runs once per query instead of at
-- every sync, and runs again when the query changes.
CREATE TABLE alert_backfills (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    query           text NOT NULL,
    exact           boolean NOT NULL,
    -- Stories first seen from here on were matched (later ones live).
    since           timestamptz NOT NULL,
    candidates      integer NOT NULL,  -- found by the widened full-text query
    matched         integer NOT NULL,  -- confirmed by the alert matcher
    queued          integer NOT NULL,  -- outbox rows added
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_backfills_subscription ON alert_backfills (subscription_id, at DESC);

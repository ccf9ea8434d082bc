-- Keyword alerts: subscriptions, the once-per-story outbox, and every delivery attempt.

CREATE TABLE alert_subscriptions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    query           text NOT NULL,
    -- Exact-only: no spelling variants for any word of the query.
    exact           boolean NOT NULL DEFAULT false,
    channel         text NOT NULL CHECK (channel IN ('email', 'webhook', 'apprise')),
    -- The address, webhook URL or Apprise URL the alerts go to.
    target          text NOT NULL,
    -- Webhook only: name of the environment variable holding the HMAC key
    -- (the key itself is never stored).
    secret_env      text,
    digest          text NOT NULL DEFAULT 'immediate'
                    CHECK (digest IN ('immediate', 'hourly', 'daily')),
    -- 'config' rows mirror [[alert]] tables of wirewatch.toml and are
    -- replaced when the file changes; 'cli' rows belong to `wirewatch alerts`.
    origin          text NOT NULL DEFAULT 'cli' CHECK (origin IN ('cli', 'config')),
    active          boolean NOT NULL DEFAULT true,
    disabled_reason text,
    -- Consecutive permanent failures (5xx, refused address); reset by a success.
    failures        integer NOT NULL DEFAULT 0,
    last_error      text,
    last_error_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (subscription, story), inserted in the transaction that stores
-- the story: the unique constraint is what makes "once per story" hold
-- however many copies arrive and however often matching runs.
CREATE TABLE alert_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    story_id        bigint NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    -- The story's words that matched, as written there (for highlighting).
    matched_terms   text[] NOT NULL DEFAULT '{}',
    enqueued_at     timestamptz NOT NULL DEFAULT now(),
    -- now() for immediate subscriptions, the end of the period for digests.
    due_at          timestamptz NOT NULL DEFAULT now(),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    message_id      text,
    sent_at         timestamptz,
    UNIQUE (subscription_id, story_id)
);
CREATE INDEX alert_outbox_pending ON alert_outbox (subscription_id, due_at)
    WHERE status = 'pending';
CREATE INDEX alert_outbox_story ON alert_outbox (story_id);

-- Every delivery attempt, successful or not: the record a bounce or an
-- outage leaves behind.
CREATE TABLE alert_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    outbox_ids      bigint[] NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    outcome         text NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed')),
    detail          text
);
CREATE INDEX alert_attempts_subscription ON alert_attempts (subscription_id, at DESC);

-- A counter bumped by any change to what subscriptions match, so
-- long-running processes know when to rebuild their compiled matcher.
CREATE TABLE alert_state (
    singleton             boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    subscriptions_version bigint NOT NULL DEFAULT 0
);
INSERT INTO alert_state DEFAULT VALUES;

CREATE FUNCTION alert_subscriptions_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE alert_state SET subscriptions_version = subscriptions_version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER alert_subscriptions_changed
AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF query, exact, active ON alert_subscriptions
FOR EACH STATEMENT EXECUTE FUNCTION alert_subscriptions_changed();

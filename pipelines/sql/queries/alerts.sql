-- Keyword alerts: subscriptions, matching input, the outbox and its delivery.

-- name: insert_subscription
INSERT INTO alert_subscriptions (name, query, exact, channel, target, secret_env, digest, origin,
                                 on_edit)
VALUES (%(name)s, %(query)s, %(exact)s, %(channel)s, %(target)s, %(secret_env)s, %(digest)s,
        %(origin)s, %(on_edit)s)
RETURNING *;

-- name: upsert_config_subscription
-- [[alert]] tables: matched by name; a changed table is updated (and re-enabled).
INSERT INTO alert_subscriptions (name, query, exact, channel, target, secret_env, digest, origin,
                                 on_edit)
VALUES (%(name)s, %(query)s, %(exact)s, %(channel)s, %(target)s, %(secret_env)s, %(digest)s,
        'config', %(on_edit)s)
ON CONFLICT (name) DO UPDATE
SET query = EXCLUDED.query, exact = EXCLUDED.exact, channel = EXCLUDED.channel,
    target = EXCLUDED.target, secret_env = EXCLUDED.secret_env, digest = EXCLUDED.digest,
    on_edit = EXCLUDED.on_edit,
    origin = 'config', active = true, disabled_reason = NULL, failures = 0,
    updated_at = now()
WHERE (alert_subscriptions.query, alert_subscriptions.exact, alert_subscriptions.channel,
       alert_subscriptions.target, alert_subscriptions.secret_env, alert_subscriptions.digest,
       alert_subscriptions.on_edit, alert_subscriptions.origin)
      IS DISTINCT FROM
      (EXCLUDED.query, EXCLUDED.exact, EXCLUDED.channel, EXCLUDED.target, EXCLUDED.secret_env,
       EXCLUDED.digest, EXCLUDED.on_edit, 'config')
RETURNING id;

-- name: delete_config_subscriptions_except
DELETE FROM alert_subscriptions
WHERE origin = 'config' AND NOT (name = ANY(%(names)s))
RETURNING name;

-- name: list_subscriptions
SELECT s.*,
       (SELECT count(*) FROM alert_outbox o
         WHERE o.subscription_id = s.id AND o.status = 'pending') AS pending,
       (SELECT count(*) FROM alert_outbox o
         WHERE o.subscription_id = s.id AND o.status = 'sent') AS sent,
       (SELECT count(*) FROM alert_outbox o
         WHERE o.subscription_id = s.id AND o.status = 'failed') AS failed
FROM alert_subscriptions s
ORDER BY s.id;

-- name: subscription_by_id
SELECT * FROM alert_subscriptions WHERE id = %(id)s;

-- name: subscription_by_name
SELECT * FROM alert_subscriptions WHERE name = %(name)s;

-- name: delete_subscription
DELETE FROM alert_subscriptions WHERE id = %(id)s RETURNING id, name, origin;

-- name: active_subscriptions
SELECT id, query, exact FROM alert_subscriptions WHERE active ORDER BY id;

-- name: subscriptions_version
-- The database's oid tells a recreated database of the same name apart.
SELECT subscriptions_version AS version,
       (SELECT oid FROM pg_database WHERE datname = current_database()) AS database_oid
FROM alert_state;

-- name: enable_subscription
UPDATE alert_subscriptions
SET active = true, failures = 0, disabled_reason = NULL, updated_at = now()
WHERE id = %(id)s;

-- name: disable_subscription
UPDATE alert_subscriptions
SET active = false, disabled_reason = %(reason)s, updated_at = now()
WHERE id = %(id)s;

-- name: story_for_matching
-- The canonical copy's text plus every source and outlet that carried the story so far.
-- Each copy's row is read by its key (LATERAL ... LIMIT 1), as in story_candidates:
-- joined, the plan kept from before articles was first analyzed hashed a scan of the
-- whole table for every new story.
SELECT s.id AS story_id, s.canonical_article_id, a.title, a.text, a.language, a.paywalled,
       carried.sources
FROM stories s
JOIN articles a ON a.id = s.canonical_article_id
CROSS JOIN LATERAL (
    SELECT array_agg(DISTINCT c.source) || array_agg(DISTINCT c.outlet) AS sources
    FROM story_copies sc
    CROSS JOIN LATERAL (SELECT source, outlet FROM articles WHERE id = sc.article_id LIMIT 1) c
    WHERE sc.story_id = s.id
) carried
WHERE s.id = %(story_id)s AND carried.sources IS NOT NULL;

-- name: enqueue_alert
-- Once per (subscription, story): a repeat (another copy, a re-match) changes nothing.
-- (Edit alerts, with a revision, have a unique key of their own: enqueue_edit_alert.)
INSERT INTO alert_outbox (subscription_id, story_id, matched_terms, due_at)
SELECT s.id, %(story_id)s, %(terms)s, alert_due_at(s.digest)
FROM alert_subscriptions s
WHERE s.id = %(subscription_id)s AND s.active
ON CONFLICT (subscription_id, story_id) WHERE revision IS NULL DO NOTHING;

-- name: due_subscriptions
-- Longest-waiting first: a subscription whose messages were just retried comes after
-- those never tried, so a run cut short by a failing server starves nobody.
SELECT o.subscription_id AS id
FROM alert_outbox o
JOIN alert_subscriptions s ON s.id = o.subscription_id
WHERE o.status = 'pending' AND o.due_at <= now() AND o.next_attempt_at <= now() AND s.active
GROUP BY o.subscription_id
ORDER BY min(greatest(o.due_at, o.next_attempt_at)), 1;

-- name: due_outbox_of_subscription
SELECT o.id, o.story_id, o.matched_terms, o.due_at, o.attempts, o.enqueued_at, o.article_id,
       o.revision
FROM alert_outbox o
WHERE o.subscription_id = %(subscription_id)s AND o.status = 'pending'
  AND o.due_at <= now() AND o.next_attempt_at <= now()
ORDER BY o.due_at, o.id
LIMIT %(limit)s;

-- name: pending_outbox_of_subscription
-- Everything not sent yet, due or not (for preview).
SELECT o.id, o.story_id, o.matched_terms, o.due_at, o.attempts, o.enqueued_at, o.article_id,
       o.revision
FROM alert_outbox o
WHERE o.subscription_id = %(subscription_id)s AND o.status = 'pending'
ORDER BY o.due_at, o.id
LIMIT %(limit)s;

-- name: story_for_message
SELECT s.id AS story_id, s.first_seen, a.id AS article_id, a.title, a.text, a.url,
       a.canonical_url, a.outlet, a.source, a.published, a.language
FROM stories s
JOIN articles a ON a.id = s.canonical_article_id
WHERE s.id = %(story_id)s;

-- name: story_outlets
-- Read at send time, so copies that arrived after matching are listed too.
SELECT a.outlet, a.url, sc.first_seen
FROM story_copies sc
JOIN articles a ON a.id = sc.article_id
WHERE sc.story_id = %(story_id)s
ORDER BY sc.first_seen, a.id;

-- name: claim_outbox_attempt
-- Committed before the message is handed over, so every transmission is counted,
-- even one whose outcome never gets recorded (a timeout after DATA, a crash).
UPDATE alert_outbox SET attempts = attempts + 1
WHERE id = ANY(%(ids)s) AND status = 'pending';

-- name: release_outbox_attempt
-- The channel refused before the message was handed over (MAIL FROM refused, no
-- connection): the attempt claimed for it is given back, nothing else changes.
UPDATE alert_outbox SET attempts = greatest(attempts - 1, 0)
WHERE id = ANY(%(ids)s) AND status = 'pending';

-- name: mark_outbox_sent
UPDATE alert_outbox
SET status = 'sent', sent_at = now(), message_id = %(message_id)s, last_error = NULL
WHERE id = ANY(%(ids)s) AND status = 'pending';

-- name: mark_outbox_retry
UPDATE alert_outbox
SET last_error = %(error)s, next_attempt_at = now() + make_interval(secs => %(delay)s)
WHERE id = ANY(%(ids)s) AND status = 'pending';

-- name: mark_outbox_failed
UPDATE alert_outbox
SET status = 'failed', last_error = %(error)s
WHERE id = ANY(%(ids)s) AND status = 'pending';

-- name: record_alert_attempt
INSERT INTO alert_attempts (subscription_id, outbox_ids, outcome, detail)
VALUES (%(subscription_id)s, %(ids)s, %(outcome)s, %(detail)s);

-- name: subscription_delivered
UPDATE alert_subscriptions SET failures = 0 WHERE id = %(id)s AND failures <> 0;

-- name: subscription_failed
-- A permanent failure: counted, and after too many in a row the subscription is disabled.
UPDATE alert_subscriptions
SET failures = failures + 1, last_error = %(error)s, last_error_at = now(),
    active = CASE WHEN failures + 1 >= %(max_failures)s THEN false ELSE active END,
    disabled_reason = CASE WHEN failures + 1 >= %(max_failures)s
                           THEN %(error)s ELSE disabled_reason END
WHERE id = %(id)s
RETURNING active;

-- name: subscription_error
-- A permanent failure of one message that says nothing about the address (refused
-- after DATA, attempts used up): shown by `alerts list`, not counted towards disabling.
UPDATE alert_subscriptions
SET last_error = %(error)s, last_error_at = now()
WHERE id = %(id)s
RETURNING active;

-- name: alert_attempts_of_subscription
SELECT outbox_ids, outcome, detail, at FROM alert_attempts
WHERE subscription_id = %(subscription_id)s ORDER BY id;

-- Backfills (pipelines.alerts.backfill): stories stored before a subscription
-- existed, matched after the fact and queued with enqueue_alert like live matches.

-- name: backfill_window_start
-- The database's clock, the one that stamped stories.first_seen.
SELECT now() - %(window)s::interval AS since;

-- name: backfill_vocabulary
-- Every word indexed for the canonical copies of the window's stories (search_vector
-- lexemes: folded, stemmed per language), once each: where spelling variants are sought.
SELECT DISTINCT u.lexeme
FROM stories s
JOIN articles a ON a.id = s.canonical_article_id
CROSS JOIN LATERAL unnest(a.search_vector) AS u
WHERE s.first_seen >= %(since)s AND s.merged_into IS NULL AND length(u.lexeme) >= 3
ORDER BY 1;

-- name: unindexed_words
-- Query words a stored language leaves out of its index (stop words): an article in
-- that language has no entry for them, so full-text search cannot require them.
SELECT w AS word
FROM unnest(%(words)s::text[]) AS w
WHERE EXISTS (SELECT FROM unnest(wirewatch_feed.indexed_configs()) AS cfg
              WHERE to_tsvector(cfg, wirewatch_feed.fold(w)) = ''::tsvector);

-- name: backfill_candidates
-- Stories first seen since %(since)s, not merged away and not queued for the
-- subscription yet, whose canonical copy satisfies {match}: a full-text condition
-- over the articles row "a", composed from bound parameters by pipelines.search.
SELECT s.id AS story_id
FROM stories s
JOIN articles a ON a.id = s.canonical_article_id
WHERE s.first_seen >= %(since)s AND s.merged_into IS NULL
  AND NOT EXISTS (SELECT FROM alert_outbox o
                  WHERE o.subscription_id = %(subscription_id)s AND o.story_id = s.id
                    AND o.revision IS NULL)
  AND {match}
ORDER BY s.first_seen, s.id;

-- name: stories_for_matching
-- story_for_matching for a batch of stories.
SELECT s.id AS story_id, s.canonical_article_id, a.title, a.text, a.language, a.paywalled,
       array_agg(DISTINCT c.source) || array_agg(DISTINCT c.outlet) AS sources
FROM stories s
JOIN articles a ON a.id = s.canonical_article_id
JOIN story_copies sc ON sc.story_id = s.id
JOIN articles c ON c.id = sc.article_id
WHERE s.id = ANY(%(ids)s)
GROUP BY s.id, a.id
ORDER BY s.id;

-- name: record_backfill
INSERT INTO alert_backfills (subscription_id, query, exact, since, candidates, matched, queued)
VALUES (%(subscription_id)s, %(query)s, %(exact)s, %(since)s, %(candidates)s, %(matched)s,
        %(queued)s);

-- name: backfill_covered
-- Whether the subscription's current query was backfilled back to now() - %(window)s
-- (later stories were matched live): an [[alert]] table's backfill then runs no more.
SELECT EXISTS (
    SELECT FROM alert_backfills b
    JOIN alert_subscriptions s ON s.id = b.subscription_id
    WHERE b.subscription_id = %(id)s AND b.query = s.query AND b.exact = s.exact
      AND b.since <= now() - %(window)s::interval
) AS covered;

-- `alerts retry`: failed alerts (and, with stuck, pending ones already tried and
-- waiting for their next attempt) get a fresh set of attempts, due now.

-- name: requeue_subscriptions
SELECT DISTINCT o.subscription_id AS id
FROM alert_outbox o
WHERE (%(subscription_id)s::bigint IS NULL OR o.subscription_id = %(subscription_id)s)
  AND (o.status = 'failed' OR (%(stuck)s AND o.status = 'pending' AND o.attempts > 0))
ORDER BY 1;

-- name: requeue_outbox
WITH chosen AS (
    SELECT id, status AS was FROM alert_outbox
    WHERE subscription_id = %(subscription_id)s
      AND (status = 'failed' OR (%(stuck)s AND status = 'pending' AND attempts > 0))
    FOR UPDATE
)
UPDATE alert_outbox o
SET status = 'pending', attempts = 0, next_attempt_at = now()
FROM chosen
WHERE o.id = chosen.id
RETURNING chosen.was;

-- Alerts on edits (pipelines.alerts.edits, migration 0110): when the canonical copy
-- of a story is edited, one message per (subscription, revision) to the subscriptions
-- that opted in (on_edit) and were already told about the story.

-- name: edit_alert_subscriptions
-- Opted in, active, and the story's alert handed over already: sent, or tried (an
-- attempt is counted before the message leaves, so it may have reached them).  A
-- story alert still waiting shows the edited text when it goes: nothing to add.
SELECT sub.id, sub.on_edit
FROM alert_outbox o
JOIN alert_subscriptions sub ON sub.id = o.subscription_id
WHERE o.story_id = %(story_id)s AND o.revision IS NULL
  AND (o.status = 'sent' OR (o.status = 'pending' AND o.attempts > 0))
  AND sub.active AND sub.on_edit IS NOT NULL
ORDER BY sub.id;

-- name: revision_just_recorded
-- The revision (2 on) this transaction recorded for the article, while it is the
-- story's canonical copy, with the text it replaced.  created_at defaults to now(),
-- the transaction's start: an update that recorded no revision finds none.
SELECT r.article_id, r.revision, r.words_added, r.words_removed, r.headline_changed,
       p.text AS previous_text
FROM article_revisions r
JOIN stories s ON s.id = %(story_id)s AND s.canonical_article_id = r.article_id
JOIN article_revisions p ON p.article_id = r.article_id AND p.revision = r.revision - 1
WHERE r.article_id = %(article_id)s AND r.created_at = now()
ORDER BY r.revision DESC
LIMIT 1;

-- name: enqueue_edit_alert
-- Once per (subscription, revision): a re-run of the storing transaction changes nothing.
-- Due like the subscription's story alerts (alert_due_at: now, or the end of its digest period).
INSERT INTO alert_outbox (subscription_id, story_id, article_id, revision, matched_terms, due_at)
SELECT s.id, %(story_id)s, %(article_id)s, %(revision)s,
       coalesce((SELECT o.matched_terms FROM alert_outbox o
                 WHERE o.subscription_id = s.id AND o.story_id = %(story_id)s
                   AND o.revision IS NULL), '{}'),
       alert_due_at(s.digest)
FROM alert_subscriptions s
WHERE s.id = %(subscription_id)s AND s.active
ON CONFLICT (article_id, revision, subscription_id) WHERE revision IS NOT NULL DO NOTHING;

-- name: revision_for_message
-- An edit alert's revision and the one before it, read at send time.
SELECT r.article_id, r.revision, r.fetched_at, r.title, r.text, r.words_added,
       r.words_removed, r.headline_changed, p.title AS previous_title,
       p.text AS previous_text, a.pruned_at IS NOT NULL AS pruned
FROM article_revisions r
JOIN articles a ON a.id = r.article_id
LEFT JOIN article_revisions p ON p.article_id = r.article_id AND p.revision = r.revision - 1
WHERE r.article_id = %(article_id)s AND r.revision = %(revision)s;

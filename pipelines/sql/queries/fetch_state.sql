-- Polite incremental fetching: listing validators, distrusted hosts, host backoff.

-- name: listing_states_of_source
SELECT url, etag, last_modified, content_hash, children, validators_trusted,
       fetches_since_full, changed_at
FROM listing_state
WHERE source = %(source)s
  AND (source_config IS NULL OR source_config = %(source_config)s);

-- name: forget_listings_of_old_config
-- The source's listings as read with another configuration: fetched in full again.
DELETE FROM listing_state
WHERE source = %(source)s AND source_config IS DISTINCT FROM %(source_config)s
  AND source_config IS NOT NULL
RETURNING url;

-- name: settled_url_keys
-- Which of the given URL keys are stored articles first seen at least
-- %(recheck_after)s seconds ago (0: every stored one): those are not fetched again.
SELECT url_key FROM articles
WHERE url_key = ANY(%(url_keys)s)
  AND first_seen <= now() - make_interval(secs => %(recheck_after)s);

-- name: distrusted_hosts
-- Hosts with a listing whose validators were caught lying: none of their
-- listings are fetched conditionally any more.
SELECT DISTINCT host FROM listing_state WHERE NOT validators_trusted;

-- name: save_listing_state
INSERT INTO listing_state (
    url, host, source, etag, last_modified, content_hash, children, fetches_since_full,
    source_config, checked_at, changed_at)
VALUES (
    %(url)s, %(host)s, %(source)s, %(etag)s, %(last_modified)s, %(content_hash)s, %(children)s,
    %(fetches_since_full)s, %(source_config)s, now(), now())
ON CONFLICT (url_md5) DO UPDATE
SET host = EXCLUDED.host, source = EXCLUDED.source, etag = EXCLUDED.etag,
    source_config = EXCLUDED.source_config,
    last_modified = EXCLUDED.last_modified, content_hash = EXCLUDED.content_hash,
    children = EXCLUDED.children, fetches_since_full = EXCLUDED.fetches_since_full,
    checked_at = now(),
    changed_at = CASE WHEN listing_state.content_hash = EXCLUDED.content_hash
                      THEN listing_state.changed_at ELSE now() END;

-- name: distrust_listing_validators
INSERT INTO listing_state (url, host, source, content_hash, validators_trusted, distrust_reason)
VALUES (%(url)s, %(host)s, %(source)s, '', false, %(reason)s)
ON CONFLICT (url_md5) DO UPDATE
SET validators_trusted = false, distrust_reason = EXCLUDED.distrust_reason;

-- name: active_host_backoffs
SELECT host, not_before, reason FROM host_backoff WHERE not_before > now();

-- name: save_host_backoff
INSERT INTO host_backoff (host, not_before, reason)
VALUES (%(host)s, %(not_before)s, %(reason)s)
ON CONFLICT (host) DO UPDATE
SET not_before = GREATEST(host_backoff.not_before, EXCLUDED.not_before),
    reason = EXCLUDED.reason, updated_at = now();

-- Paywalled articles are kept and flagged (issue 12): a page marked for
-- subscribers (JSON-LD isAccessibleForFree: false, a paywall element or
-- prompt) that still carries the article text is stored with paywalled = true.
-- Teasers (a prompt beside a short text) are still rejected as 'paywall'.
--
-- The feed views get the column appended, as their contract allows.

ALTER TABLE articles ADD COLUMN paywalled boolean NOT NULL DEFAULT false;

CREATE OR REPLACE VIEW wirewatch_feed.articles AS
SELECT a.id AS article_id,
       a.url,
       a.canonical_url,
       a.source,
       a.outlet,
       a.title,
       CASE WHEN a.pruned_at IS NULL THEN a.text END AS text,
       a.summary,
       a.published,
       a.authors,
       a.language,
       a.section,
       a.top_image,
       a.wire_credit,
       a.dateline,
       a.first_seen,
       a.fetched_at,
       a.updated_at,
       a.pruned_at,
       c.story_id,
       a.search_vector,
       a.paywalled
FROM wirewatch.articles a
LEFT JOIN wirewatch.story_copies c ON c.article_id = a.id;

CREATE OR REPLACE VIEW wirewatch_feed.stories AS
SELECT s.id AS story_id,
       coalesce(s.title, a.title) AS title,
       CASE WHEN a.pruned_at IS NULL THEN a.text END AS text,
       a.summary,
       a.url,
       a.outlet,
       a.source,
       a.published,
       s.first_seen,
       s.updated_at,
       a.language,
       coalesce(s.wire_credit, a.wire_credit) AS wire_credit,
       s.copy_count AS copies,
       coalesce(o.outlets, ARRAY[a.outlet]) AS outlets,
       s.canonical_article_id,
       s.merged_into,
       a.paywalled
FROM wirewatch.stories s
JOIN wirewatch.articles a ON a.id = s.canonical_article_id
LEFT JOIN LATERAL (
    SELECT array_agg(outlet ORDER BY first_seen, outlet) AS outlets
    FROM (SELECT ca.outlet, min(c.first_seen) AS first_seen
          FROM wirewatch.story_copies c
          JOIN wirewatch.articles ca ON ca.id = c.article_id
          WHERE c.story_id = s.id
          GROUP BY ca.outlet) AS by_outlet
) o ON true;

COMMENT ON COLUMN wirewatch_feed.articles.paywalled IS
    'The page was marked for subscribers but served the article text.';
COMMENT ON COLUMN wirewatch_feed.stories.paywalled IS
    'The canonical copy was marked for subscribers but served the article text.';

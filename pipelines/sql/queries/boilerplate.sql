-- Site-level boilerplate learning (pipelines.boilerplate).

-- name: boilerplate_known_blocks
-- Blocks of a domain seen on at least two pages: candidates a crawl can push to boilerplate.
SELECT block_key, pages
FROM boilerplate_blocks
WHERE domain = %(domain)s AND pages >= %(min_pages)s;

-- name: boilerplate_claim_pages
-- Registers pages as counted; returns only the ones not counted before.
INSERT INTO boilerplate_pages (domain, page_key)
SELECT %(domain)s, key FROM unnest(%(page_keys)s::text[]) AS key
ON CONFLICT DO NOTHING
RETURNING page_key;

-- name: boilerplate_add_counts
INSERT INTO boilerplate_blocks AS b (domain, block_key, pages, sample)
SELECT %(domain)s, key, n, sample
FROM unnest(%(block_keys)s::text[], %(counts)s::integer[], %(samples)s::text[]) AS t(key, n, sample)
ON CONFLICT (domain, block_key)
DO UPDATE SET pages = b.pages + EXCLUDED.pages, last_seen = now();

-- name: boilerplate_forget_rare
-- Blocks still seen on fewer than min_pages pages after the grace period are article text.
-- At most %(batch)s rows per call, so the end of a crawl never waits on a big delete.
DELETE FROM boilerplate_blocks
WHERE (domain, block_key) IN (
    SELECT domain, block_key FROM boilerplate_blocks
    WHERE last_seen < now() - make_interval(days => %(days)s) AND pages < %(min_pages)s
    LIMIT %(batch)s
);

-- name: boilerplate_forget_pages
DELETE FROM boilerplate_pages
WHERE (domain, page_key) IN (
    SELECT domain, page_key FROM boilerplate_pages
    WHERE learned_at < now() - make_interval(days => %(days)s)
    LIMIT %(batch)s
);

-- name: boilerplate_site_summary
-- What was learned per domain, for people: blocks that count as boilerplate.
SELECT domain, count(*) AS blocks, max(pages) AS most_pages
FROM boilerplate_blocks
WHERE pages >= %(min_pages)s
GROUP BY domain
ORDER BY domain;

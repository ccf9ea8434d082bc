-- The web interface (crawler/web): keys, story pages, source charts.  Reads
-- go through the wirewatch_feed views; {filters} is filled by crawler.web.data
-- with fixed conditions whose values are bound parameters.

-- name: insert_web_key
INSERT INTO web_keys (name, key) VALUES (%(name)s, %(key)s) ON CONFLICT (name) DO NOTHING;

-- name: web_key
SELECT key FROM web_keys WHERE name = %(name)s;

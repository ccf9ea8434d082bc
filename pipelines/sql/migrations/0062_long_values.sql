-- Over-long values (issue 14): a btree index row holds at most ~2,700 bytes,
-- so an article whose URL, canonical URL or URL key was longer could never be
-- stored ("index row requires 9048 bytes") and failed again on every run.
-- Full values stay in their columns; only what is indexed changes.

-- 1. articles.url_key (UNIQUE, the upsert's conflict target and the
--    crawler's "already stored?" lookup) stays a btree, but a key longer than
--    2,000 bytes is cut to its first 500 characters, '#' and the SHA-256 of
--    the whole key: crawler.urls.bounded_key computes new keys, this function
--    rewrites the stored ones (keys up to ~2,700 bytes could be stored), and
--    tests check that the two agree.  Lookups by url_key are unchanged.
CREATE FUNCTION bounded_url_key(key text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(convert_to(key, 'UTF8')) <= 2000 THEN key
                ELSE left(key, 500) || '#' || encode(sha256(convert_to(key, 'UTF8')), 'hex')
           END
$$;
COMMENT ON FUNCTION bounded_url_key(text) IS
    'crawler.urls.bounded_key: a URL key short enough for a btree index row';
UPDATE articles SET url_key = bounded_url_key(url_key)
WHERE octet_length(convert_to(url_key, 'UTF8')) > 2000;

-- 2. url and canonical_url are looked up by equality only: hash indexes hold
--    a 4-byte hash per row, whatever the length of the value.
DROP INDEX articles_url;
CREATE INDEX articles_url ON articles USING hash (url);
DROP INDEX articles_canonical_url;
CREATE INDEX articles_canonical_url ON articles USING hash (canonical_url);

-- 3. listing_state was keyed by its full URL: the key is now the URL's MD5
--    (a generated column, so writers name the URL only).
ALTER TABLE listing_state ADD COLUMN url_md5 text GENERATED ALWAYS AS (md5(url)) STORED;
ALTER TABLE listing_state DROP CONSTRAINT listing_state_pkey;
ALTER TABLE listing_state ADD CONSTRAINT listing_state_pkey PRIMARY KEY (url_md5);
